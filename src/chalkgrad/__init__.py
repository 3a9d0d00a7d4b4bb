"""chalkgrad: deep learning from first principles, in NumPy, that shows its work.

The low-level API is shaped like PyTorch::

    import chalkgrad as cg
    x = cg.tensor([[1.0, 2.0]], requires_grad=True)
    y = (x @ cg.ones(2, 1)).relu().sum()
    y.backward()
"""

__version__ = "0.2.0"

from .tensor import Tensor, float32, float64, int64, bool_, SUPPORTED_DTYPES  # noqa: E402
from .errors import (  # noqa: E402
    ChalkgradError, ShapeError, DTypeError, GradError, StateDictError, IndexOutOfRangeError,
    ClassIndexError, ConfigError, NumericalError, DataError, CheckpointError, ProblemError, ExportError,
    ConversionError, DomainError, KeyNameError, AttributeLookupError,
)
from .autograd import (  # noqa: E402
    no_grad, enable_grad, set_grad_enabled, is_grad_enabled, Function,
)
from . import autograd  # noqa: E402
from . import nn  # noqa: E402
from . import optim  # noqa: E402
from .random import Generator, manual_seed, default_generator  # noqa: E402
from .creation import (  # noqa: E402
    tensor, as_tensor, from_numpy, from_dlpack, zeros, ones, full, empty, eye, arange, linspace,
    rand, randn, randint, randperm, zeros_like, ones_like, full_like, rand_like,
    randn_like, randint_like,
)
from .ops.elementwise import (  # noqa: E402
    add, sub, mul, div, pow, neg, exp, log, log1p, expm1, sqrt, rsqrt, abs, sign,
    sin, cos, tanh, sigmoid, relu, clamp, clip, maximum, minimum, where,
)
from .ops.reduce import (  # noqa: E402
    sum, mean, prod, max, min, amax, amin, argmax, argmin, var, std, logsumexp, norm, cumsum,
)
from .ops.shape import (  # noqa: E402
    reshape, flatten, squeeze, unsqueeze, permute, transpose, broadcast_to, cat,
    concatenate, stack, split, chunk, flip, tril, triu,
)
from .ops.indexing import gather, scatter_add, masked_fill, index_select  # noqa: E402
from .ops.linalg import matmul, mm, dot  # noqa: E402

bool = bool_  # noqa: A001 - chalkgrad.bool, as torch.bool
float = float32  # noqa: A001 - chalkgrad.float, as torch.float
double = float64
long = int64


def isnan(x):
    return x.isnan()


def isfinite(x):
    return x.isfinite()


def is_tensor(x) -> "bool_":
    return isinstance(x, Tensor)


def numel(x) -> int:
    return x.numel()


from .ops.softmax import softmax, log_softmax  # noqa: E402
from .ops.sort import sort, argsort, topk  # noqa: E402
from .device import device  # noqa: E402
from .nn.summary import summary, receptive_field  # noqa: E402
from .ops.workspace import set_num_threads, get_num_threads  # noqa: E402


# Higher layers load on first use (``chalkgrad.data``, ``chalkgrad.explain``...), so that
# ``import chalkgrad`` and short commands such as ``chalkgrad solve`` start fast.
_LAZY_SUBPACKAGES = ("data", "fit", "keras", "models", "classic", "explain", "onnx", "interop")


def __getattr__(name):
    if name in ("save", "load"):  # chalkgrad.save / chalkgrad.load: atomic safetensors checkpoints
        from . import serialization

        return getattr(serialization, name)
    if name in _LAZY_SUBPACKAGES:
        import importlib

        module = importlib.import_module(f".{name}", __name__)
        globals()[name] = module
        return module
    raise AttributeLookupError(f"module 'chalkgrad' has no attribute {name!r}")
