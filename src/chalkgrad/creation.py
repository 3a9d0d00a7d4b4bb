"""Functions that make tensors: ``tensor``, ``zeros``, ``randn``... (PyTorch names)."""

from __future__ import annotations

import numpy as np

from .device import check_device
from .errors import ConfigError, DTypeError, ShapeError
from .random import get_generator
from .tensor import Tensor, _default_float, canonical_dtype


def _shape(size, where: str = "size") -> tuple:
    """``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])`` as a tuple of non-negative ints."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    if any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) for s in size):
        raise ShapeError(f"{where}: size must be integers, got {tuple(size)!r}")
    shape = tuple(int(s) for s in size)
    if any(s < 0 for s in shape):
        raise ShapeError(f"{where}: negative dimension in size {shape}; expected sizes >= 0")
    return shape


def _dtype(dtype, default=None):
    return canonical_dtype(dtype) if dtype is not None else (default or _default_float())


def _make(array, requires_grad):
    t = Tensor._wrap(array)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _foreign_array(data):
    """An array sharing memory with a tensor of another library (torch, JAX, CuPy on CPU...) via DLPack.

    Objects that are not arrays but speak DLPack are read through it; a tensor that requires
    grad is detached first (its values are taken, its graph is not). Anything else is returned as is.
    """
    if isinstance(data, (Tensor, np.ndarray, np.generic)) or not hasattr(data, "__dlpack__"):
        return data
    if getattr(data, "requires_grad", False) and hasattr(data, "detach"):
        data = data.detach()
    try:
        return np.from_dlpack(data)
    except (BufferError, TypeError, RuntimeError) as e:
        raise DTypeError(f"cannot read a {type(data).__module__}.{type(data).__name__} of dtype "
                         f"{getattr(data, 'dtype', '?')} through DLPack ({e}); expected a CPU tensor of a dtype "
                         "NumPy knows (float32, float64, ints, bool)") from e


def from_dlpack(obj) -> Tensor:
    """A tensor sharing memory with ``obj`` (anything with ``__dlpack__``: torch, NumPy, JAX... on the CPU).

    float32, float64, int64 and bool data are shared without a copy; other dtypes are converted
    (copied) by chalkgrad's dtype rules (int32 -> int64, float16 -> float32).
    """
    if isinstance(obj, Tensor):
        return obj
    if not hasattr(obj, "__dlpack__"):
        raise DTypeError(f"from_dlpack: expected an object with __dlpack__ (a torch/NumPy/JAX array), "
                         f"got {type(obj).__name__}")
    return Tensor(_foreign_array(obj))


def tensor(data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (nested lists, numbers, arrays, torch tensors)."""
    check_device(device, "tensor()")
    data = _foreign_array(data)
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, (np.ndarray, np.generic)):
        data = np.array(data, copy=True)
    return Tensor(data, dtype=dtype, requires_grad=requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like :func:`tensor` but shares memory with a NumPy array or a torch tensor when possible."""
    check_device(device, "as_tensor()")
    if isinstance(data, Tensor) and (dtype is None or canonical_dtype(dtype) == data.dtype):
        return data
    return Tensor(_foreign_array(data), dtype=dtype)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``array`` (which must have a supported dtype)."""
    if not isinstance(array, np.ndarray):
        raise DTypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__} "
                         "(for torch tensors and other DLPack arrays use chalkgrad.as_tensor or chalkgrad.from_dlpack)")
    canonical_dtype(array.dtype)
    return Tensor._wrap(array)


def zeros(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    check_device(device, "zeros()")
    return _make(np.zeros(_shape(size, "zeros()"), dtype=_dtype(dtype)), requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    check_device(device, "ones()")
    return _make(np.ones(_shape(size, "ones()"), dtype=_dtype(dtype)), requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    check_device(device, "full()")
    if dtype is None:
        dtype = (np.dtype("bool") if isinstance(fill_value, bool) else
                 np.dtype("int64") if isinstance(fill_value, int) else _default_float())
    return _make(np.full(_shape((size,), "full()"), fill_value, dtype=canonical_dtype(dtype)), requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    check_device(device, "empty()")
    return zeros(*size, dtype=dtype, requires_grad=requires_grad)


def eye(n, m=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    check_device(device, "eye()")
    return _make(np.eye(n, m, dtype=_dtype(dtype)), requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Values from ``start`` to ``end`` (excluded); int64 when all arguments are ints."""
    check_device(device, "arange()")
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ConfigError(f"arange: step must be non-zero, got {step!r}")
    if dtype is None:
        ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = np.dtype("int64") if ints else _default_float()
    return _make(np.arange(start, end, step).astype(canonical_dtype(dtype)), requires_grad)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False) -> Tensor:
    check_device(device, "linspace()")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ConfigError(f"linspace: steps must be a non-negative integer, got {steps!r}")
    return _make(np.linspace(start, end, steps, dtype=np.float64).astype(_dtype(dtype)), requires_grad)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Uniform samples on [0, 1)."""
    check_device(device, "rand()")
    d = _dtype(dtype)
    return _make(get_generator(generator).random(_shape(size, "rand()"), dtype=np.float64).astype(d), requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Standard normal samples."""
    check_device(device, "randn()")
    d = _dtype(dtype)
    return _make(get_generator(generator).standard_normal(_shape(size, "randn()")).astype(d), requires_grad)


def randint(low, high=None, size=(), generator=None, dtype=None, device=None) -> Tensor:
    """Integers uniform in [low, high) (``randint(high, size=...)`` means low = 0)."""
    check_device(device, "randint()")
    if high is None:
        low, high = 0, low
    if high <= low:
        raise ConfigError(f"randint: high ({high}) must be greater than low ({low})")
    out = get_generator(generator).integers(low, high, size=_shape((size,), "randint()"), dtype=np.int64)
    return Tensor._wrap(out.astype(_dtype(dtype, np.dtype("int64"))))


def randperm(n, generator=None, dtype=None, device=None) -> Tensor:
    check_device(device, "randperm()")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ConfigError(f"randperm: n must be a non-negative integer, got {n!r}")
    return Tensor._wrap(get_generator(generator).permutation(n).astype(_dtype(dtype, np.dtype("int64"))))


def zeros_like(x, dtype=None, device=None, requires_grad=False) -> Tensor:
    check_device(device, "zeros_like()")
    return zeros(x.shape, dtype=dtype or x.dtype, requires_grad=requires_grad)


def ones_like(x, dtype=None, device=None, requires_grad=False) -> Tensor:
    check_device(device, "ones_like()")
    return ones(x.shape, dtype=dtype or x.dtype, requires_grad=requires_grad)


def full_like(x, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    check_device(device, "full_like()")
    return full(x.shape, fill_value, dtype=dtype or x.dtype, requires_grad=requires_grad)


def rand_like(x, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    check_device(device, "rand_like()")
    return rand(x.shape, generator=generator, dtype=dtype or x.dtype, requires_grad=requires_grad)


def randn_like(x, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    check_device(device, "randn_like()")
    return randn(x.shape, generator=generator, dtype=dtype or x.dtype, requires_grad=requires_grad)


def randint_like(x, low, high=None, generator=None, dtype=None, device=None) -> Tensor:
    check_device(device, "randint_like()")
    return randint(low, high, x.shape, generator=generator, dtype=dtype or x.dtype)
