"""``Tensor``: an n-dimensional array that records the operations applied to it.

A tensor holds ``data`` (a NumPy array), ``grad`` (a Tensor or None),
``requires_grad`` and the graph node that produced it (``grad_fn``). Its methods
are thin wrappers over the ops in :mod:`chalkgrad.ops`, where each operation's
forward and backward live together.
"""

from __future__ import annotations

import numpy as np

from .autograd import grad_mode
from .errors import DTypeError, GradError, ShapeError

float32 = np.dtype("float32")
float64 = np.dtype("float64")
int64 = np.dtype("int64")
bool_ = np.dtype("bool")

#: The dtypes a tensor may have. Floating tensors can require grad.
SUPPORTED_DTYPES = (float32, float64, int64, bool_)
_DTYPE_ALIASES = {
    "float32": float32, "float": float32, "float64": float64, "double": float64,
    "int64": int64, "long": int64, "bool": bool_,
    float: float32, int: int64, bool: bool_,
}


def _default_float():
    return float32


def canonical_dtype(dtype) -> np.dtype:
    """Map a user-given dtype (``chalkgrad.float64``, ``'float64'``, ``np.float64``...) to a NumPy dtype."""
    if dtype in _DTYPE_ALIASES:
        return _DTYPE_ALIASES[dtype]
    try:
        d = np.dtype(dtype)
    except TypeError:
        d = None
    if d is None or d not in SUPPORTED_DTYPES:  # (NumPy reads None as float64, so test it first)
        raise DTypeError(
            f"unsupported dtype {dtype!r}: chalkgrad tensors are float32, float64, int64 or bool"
        )
    return d


def _coerce_array(data, dtype=None, copy=True) -> np.ndarray:
    """Turn Python data or an array into an array of a supported dtype.

    Without ``dtype``: Python floats become float32 (the default), Python ints
    int64, bools bool; NumPy arrays keep float32/float64/int64/bool, other
    integer widths become int64 and float16 becomes float32.
    """
    if isinstance(data, Tensor):
        data = data.data
    if dtype is not None:
        return np.array(data, dtype=canonical_dtype(dtype), copy=copy or None)
    if isinstance(data, (np.ndarray, np.generic)):
        arr = np.array(data, copy=copy or None)
    else:
        arr = _nested_array(data)
        if arr.dtype == float64:
            arr = arr.astype(_default_float())
    kind = arr.dtype.kind
    if arr.dtype in SUPPORTED_DTYPES:
        return arr
    if kind in "iu":
        return arr.astype(int64)
    if kind == "f":
        return arr.astype(float32)
    raise DTypeError(
        f"cannot make a tensor from data of dtype {arr.dtype}: "
        "expected numbers (float32, float64, int64) or bools"
    )


def _nested_array(data) -> np.ndarray:
    """``np.array(data)``, or a ShapeError naming the first place where nested lists differ in length."""
    try:
        return np.array(data)
    except ValueError:
        raise ShapeError(f"tensor(): the nested sequences are ragged: {_ragged_place(data)}; "
                         "expected every row of a dimension to have the same length") from None


def _ragged_place(data, dim: int = 0, path: str = "data") -> str:
    """Where ``data`` stops being rectangular: 'data[1] has length 1, expected 2 (at dim 1)'."""
    rows = list(data) if isinstance(data, (list, tuple)) else []
    lengths = [len(r) if isinstance(r, (list, tuple, np.ndarray)) else None for r in rows]
    if lengths and lengths[0] is not None:
        for i, n in enumerate(lengths):
            if n != lengths[0]:
                got = "a number" if n is None else f"length {n}"
                return f"{path}[{i}] has {got}, expected length {lengths[0]} like {path}[0] (at dim {dim + 1})"
    elif any(n is not None for n in lengths):
        i = next(i for i, n in enumerate(lengths) if n is not None)
        return f"{path}[{i}] is a sequence where {path}[0] is a number (at dim {dim + 1})"
    for i, r in enumerate(rows):
        if isinstance(r, (list, tuple)):
            place = _ragged_place(r, dim + 1, f"{path}[{i}]")
            if place:
                return place
    return "" if dim else "the sequences do not form an array"


def as_tensor_like(array, other) -> Tensor:
    """A constant tensor from ``array``; floating arrays take ``other``'s float dtype."""
    arr = np.asarray(array)
    if isinstance(other, Tensor) and arr.dtype.kind == "f" and other.dtype.kind == "f":
        arr = arr.astype(other.dtype, copy=False)
    return Tensor._wrap(arr)


class Tensor:
    """An array with reverse-mode automatic differentiation.

    >>> x = chalkgrad.tensor([1.0, 2.0], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad
    tensor([2., 4.])
    """

    __slots__ = ("data", "grad", "requires_grad", "_node", "_retains_grad", "_ver", "_vc", "__weakref__")
    __array_priority__ = 1000  # make ``ndarray * Tensor`` call Tensor.__rmul__

    def __init__(self, data, dtype=None, requires_grad: bool = False) -> None:
        self.data = _coerce_array(data, dtype, copy=False)
        self.grad = None
        self._node = None
        self._retains_grad = False
        self._ver = 0
        self._vc = None  # a shared version counter [n], created when the tensor is first detach()ed
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _wrap(cls, data) -> Tensor:
        """Fast constructor for op results (no dtype checks)."""
        t = object.__new__(cls)
        t.data = data if type(data) is np.ndarray else np.asarray(data)
        t.grad = None
        t.requires_grad = False
        t._node = None
        t._retains_grad = False
        t._ver = 0
        t._vc = None  # (no list per tensor: a container per op result makes the garbage collector run often)
        return t

    # ------------------------------------------------------------------ attributes
    @property
    def _version(self) -> int:
        """Bumped by every in-place change; shared with tensors from ``detach()`` (same memory)."""
        vc = self._vc
        return self._ver if vc is None else vc[0]

    @_version.setter
    def _version(self, value: int) -> None:
        if self._vc is None:
            self._ver = value
        else:
            self._vc[0] = value

    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def device(self):
        """``chalkgrad.device('cpu')``: every tensor lives in NumPy memory (compares equal to 'cpu')."""
        from .device import CPU

        return CPU

    @property
    def grad_fn(self):
        """The node that produced this tensor, or None for a leaf."""
        return self._node

    @property
    def is_leaf(self) -> bool:
        """True for tensors made by the user (or that do not require grad)."""
        return self._node is None

    def size(self, dim: int | None = None):
        return self.shape if dim is None else self.shape[dim]

    def dim(self) -> int:
        return self.ndim

    def numel(self) -> int:
        return int(self.data.size)

    def __len__(self) -> int:
        if self.ndim == 0:
            raise DTypeError("len() of a 0-d tensor")
        return self.shape[0]

    def is_floating_point(self) -> bool:
        return self.dtype.kind == "f"

    # ------------------------------------------------------------------ conversion
    def numpy(self) -> np.ndarray:
        """The underlying array (shared memory, as ``torch.Tensor.numpy``)."""
        if self.requires_grad:
            raise GradError(
                "numpy() on a tensor that requires grad: call .detach().numpy() "
                "so the array cannot be mistaken for part of the graph"
            )
        return self.data

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ShapeError(f"item(): the tensor has {self.data.size} elements, expected exactly 1")
        return self.data.item()

    def tolist(self):
        return self.data.tolist()

    def to(self, *args, dtype=None, device=None, copy: bool = False) -> Tensor:
        """This tensor in another dtype (differentiable between float dtypes), as ``torch.Tensor.to``.

        Accepts ``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other_tensor)`` (its dtype)
        and the keywords; the device must be the CPU ('cpu' or ``chalkgrad.device('cpu')``).
        Returns ``self`` when nothing changes, unless ``copy=True``.
        """
        from .device import to_arguments

        dtype, _ = to_arguments(args, dtype, device, "Tensor.to()")
        d = self.dtype if dtype is None else dtype
        if d == self.dtype:
            return self.clone() if copy else self
        return _shape.cast(self, d)

    def cpu(self) -> Tensor:
        """This tensor (it already lives on the CPU), as ``torch.Tensor.cpu``."""
        return self

    def int(self) -> Tensor:
        """An integer copy, as ``torch.Tensor.int``; chalkgrad's integer dtype is int64 (no int32)."""
        return self.to(int64)

    def double(self) -> Tensor:
        return self.to(float64)

    def float(self) -> Tensor:
        return self.to(float32)

    def long(self) -> Tensor:
        return self.to(int64)

    def bool(self) -> Tensor:
        return self.to(bool_)

    def type(self, dtype=None):
        return str(self.dtype) if dtype is None else self.to(dtype)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ShapeError(
                f"the truth value of a tensor with {self.data.size} elements is ambiguous; "
                "use .any() or .all()"
            )
        return bool(self.data.item())

    def __index__(self) -> int:
        if self.dtype.kind not in "iub" or self.data.size != 1:
            raise DTypeError("only integer tensors of a single element can be used as an index")
        return int(self.data.item())

    # ------------------------------------------------------------------ array protocols
    def _exportable(self, protocol: str) -> np.ndarray:
        """The data for another library; refused while the tensor requires grad (as in PyTorch)."""
        if self.requires_grad:
            raise GradError(
                f"{protocol} on a tensor that requires grad: the other library would not see the graph; "
                "call .detach() first (for example np.asarray(t.detach()))"
            )
        return self.data

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        """NumPy's array protocol (NumPy 2 signature): the data itself, shared, unless a copy is needed.

        ``copy=True`` always copies; ``copy=False`` never does (a ``dtype`` change then raises
        ValueError, as NumPy does); ``copy=None`` copies only for a ``dtype`` change.
        """
        data = self._exportable("__array__")
        if dtype is not None and np.dtype(dtype) != data.dtype:
            if copy is False:
                raise ValueError(f"__array__: converting a {data.dtype} tensor to {np.dtype(dtype)} "
                                 "needs a copy, but copy=False")
            return data.astype(dtype)
        return data.copy() if copy else data

    def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
        """DLPack export (a capsule sharing the memory), keywords as ``numpy.ndarray.__dlpack__``.

        The tensor lives on the CPU, so ``stream`` must be None; ``dl_device`` may only name
        the CPU; ``copy=True`` exports a copy.
        """
        data = self._exportable("__dlpack__")
        if stream is not None:
            raise BufferError(f"__dlpack__: stream must be None for a CPU tensor, got {stream!r}")
        kwargs = {"copy": copy}
        if max_version is not None:
            kwargs["max_version"] = max_version
        if dl_device is not None:
            kwargs["dl_device"] = dl_device
        return data.__dlpack__(**kwargs)

    def __dlpack_device__(self) -> tuple:
        """(device type, device id): (1, 0) is DLPack's kDLCPU."""
        return (1, 0)

    # ------------------------------------------------------------------ autograd
    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Mark a leaf as needing gradients (in place); returns self."""
        if not self.is_leaf:
            raise GradError(
                "requires_grad_() on a non-leaf tensor: it already follows its inputs; "
                "use .detach().requires_grad_() for a new leaf"
            )
        if requires_grad and self.dtype.kind != "f":
            raise DTypeError(
                f"only floating-point tensors can require gradients, got dtype {self.dtype}"
            )
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` on this non-leaf tensor after backward."""
        if not self.requires_grad:
            raise GradError("retain_grad() on a tensor that does not require grad")
        if not self.is_leaf:
            self._retains_grad = True

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def detach(self) -> Tensor:
        """The same data (shared memory) cut off from the graph; in-place changes to either are seen by
        the version checks of both, as in PyTorch."""
        t = Tensor._wrap(self.data)
        if self._vc is None:
            self._vc = [self._ver]
        t._vc = self._vc
        return t

    def detach_(self) -> Tensor:
        self._node = None
        self.requires_grad = False
        return self

    def clone(self) -> Tensor:
        return _shape.clone(self)

    def backward(self, gradient=None, retain_graph: bool | None = None, create_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad``.

        ``gradient`` is required unless the tensor holds a single element; it is
        the vector of the vector-Jacobian product. ``retain_graph`` defaults to
        ``create_graph``.
        """
        from .autograd.engine import run_backward

        if not self.requires_grad:
            raise GradError(
                "backward() on a tensor that does not require grad and has no grad_fn: "
                "did you forget requires_grad=True on an input, or run under no_grad()?"
            )
        if gradient is None:
            if self.data.size != 1:
                raise GradError(
                    f"backward() without a gradient needs a single-element output; this tensor "
                    f"has shape {self.shape}. Reduce it first (e.g. .sum()) or pass "
                    f"gradient= a tensor of shape {self.shape}"
                )
            gradient = Tensor._wrap(np.ones(self.shape, dtype=self.dtype))
        else:
            gradient = gradient if isinstance(gradient, Tensor) else Tensor(gradient, dtype=self.dtype)
            if gradient.shape != self.shape:
                raise ShapeError(
                    f"backward(): gradient has shape {gradient.shape}, expected the output's "
                    f"shape {self.shape}"
                )
        if retain_graph is None:
            retain_graph = create_graph
        run_backward([self], [gradient], retain_graph, create_graph)

    # ------------------------------------------------------------------ in-place
    def _check_inplace(self, what: str) -> None:
        if grad_mode.state.enabled and self.requires_grad:
            raise GradError(
                f"{what}: in-place change of a tensor that requires grad; "
                "wrap it in `with chalkgrad.no_grad():` (for example a parameter update)"
            )

    def _inplace(self, array, what: str) -> Tensor:
        self._check_inplace(what)
        arr = np.asarray(array)
        if arr.shape != self.shape:
            try:
                arr = np.broadcast_to(arr, self.shape)
            except ValueError:
                raise ShapeError(
                    f"{what}: result of shape {arr.shape} cannot be written into a tensor of shape {self.shape}"
                ) from None
        self.data[...] = arr
        self._version += 1
        return self

    def _inplace_binary(self, ufunc, other, what: str) -> Tensor:
        promoted = _promotion.result_type(self, other if not isinstance(other, list) else np.asarray(other))
        if _promotion.category(promoted) > _promotion.category(self.dtype) or (
                ufunc is np.true_divide and self.dtype.kind != "f"):
            promoted = promoted if ufunc is not np.true_divide or promoted.kind == "f" else float32
            raise DTypeError(f"{what}: the result is {promoted}, which cannot be written into a tensor of dtype "
                             f"{self.dtype} (as in PyTorch); compute out of place, or convert the tensor first")
        other = _raw(other)
        try:
            result = ufunc(self.data, other)
        except ValueError:
            raise _ew.broadcast_error(what, self.data, other) from None
        return self._inplace(result, what)

    def __iadd__(self, other):
        return self._inplace_binary(np.add, other, "+=")

    def __isub__(self, other):
        return self._inplace_binary(np.subtract, other, "-=")

    def __imul__(self, other):
        return self._inplace_binary(np.multiply, other, "*=")

    def __itruediv__(self, other):
        return self._inplace_binary(np.true_divide, other, "/=")

    def add_(self, other, alpha=1):
        return self._inplace_binary(np.add, other if alpha == 1 else alpha * _raw(other), "add_")

    def sub_(self, other, alpha=1):
        return self._inplace_binary(np.subtract, other if alpha == 1 else alpha * _raw(other), "sub_")

    def mul_(self, other):
        return self._inplace_binary(np.multiply, other, "mul_")

    def div_(self, other):
        return self._inplace_binary(np.true_divide, other, "div_")

    def zero_(self):
        return self._inplace(np.zeros((), self.dtype), "zero_")

    def fill_(self, value):
        return self._inplace(np.asarray(_raw(value), dtype=self.dtype), "fill_")

    def copy_(self, src):
        return self._inplace(_raw(src), "copy_")

    def clamp_(self, min=None, max=None):  # noqa: A002
        return self._inplace(np.clip(self.data, min, max), "clamp_")

    def __setitem__(self, index, value) -> None:
        self._check_inplace("__setitem__")
        if isinstance(value, Tensor) and value.requires_grad and grad_mode.state.enabled:
            raise GradError("__setitem__: the value requires grad; assign under no_grad()")
        index = _indexing.normalize_index(index, self.shape)
        try:
            self.data[index] = _raw(value)
        except ValueError:
            raise ShapeError(
                f"__setitem__: a value of shape {np.shape(_raw(value))} cannot be assigned to "
                f"tensor[{index!r}], which has shape {np.shape(self.data[index])}"
            ) from None
        self._version += 1

    # ------------------------------------------------------------------ operators
    def __add__(self, other):
        return _ew.add(self, other)

    def __radd__(self, other):
        return _ew.add(other, self)

    def __sub__(self, other):
        return _ew.sub(self, other)

    def __rsub__(self, other):
        return _ew.sub(other, self)

    def __mul__(self, other):
        return _ew.mul(self, other)

    def __rmul__(self, other):
        return _ew.mul(other, self)

    def __truediv__(self, other):
        return _ew.div(self, other)

    def __rtruediv__(self, other):
        return _ew.div(other, self)

    def __pow__(self, other):
        return _ew.pow(self, other)

    def __rpow__(self, other):
        return _ew.pow(other, self)

    def __matmul__(self, other):
        return _linalg.matmul(self, other)

    def __rmatmul__(self, other):
        return _linalg.matmul(other, self)

    def __neg__(self):
        return _ew.neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _ew.abs(self)

    def __getitem__(self, index):
        return _indexing.getitem(self, index)

    # comparisons: no gradient, bool results
    def _compare(self, ufunc, other, what: str) -> Tensor:
        other = _raw(other)
        try:
            return Tensor._wrap(ufunc(self.data, other))
        except ValueError:
            raise _ew.broadcast_error(what, self.data, other) from None

    def __eq__(self, other):  # type: ignore[override]
        return self._compare(np.equal, other, "==")

    def __ne__(self, other):  # type: ignore[override]
        return self._compare(np.not_equal, other, "!=")

    def __lt__(self, other):
        return self._compare(np.less, other, "<")

    def __le__(self, other):
        return self._compare(np.less_equal, other, "<=")

    def __gt__(self, other):
        return self._compare(np.greater, other, ">")

    def __ge__(self, other):
        return self._compare(np.greater_equal, other, ">=")

    __hash__ = object.__hash__

    def __invert__(self):
        if self.dtype != bool_:
            raise DTypeError(f"~ needs a bool tensor, got {self.dtype}")
        return Tensor._wrap(~self.data)

    def __and__(self, other):
        return Tensor._wrap(np.logical_and(self.data, _raw(other)))

    def __or__(self, other):
        return Tensor._wrap(np.logical_or(self.data, _raw(other)))

    def __xor__(self, other):
        return Tensor._wrap(np.logical_xor(self.data, _raw(other)))

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__

    def isnan(self):
        return Tensor._wrap(np.isnan(self.data))

    def isfinite(self):
        return Tensor._wrap(np.isfinite(self.data))

    def isinf(self):
        return Tensor._wrap(np.isinf(self.data))

    def any(self, dim=None, keepdim=False):
        return Tensor._wrap(np.any(self.data, axis=dim, keepdims=keepdim))

    def all(self, dim=None, keepdim=False):
        return Tensor._wrap(np.all(self.data, axis=dim, keepdims=keepdim))

    def equal(self, other) -> bool:
        return self.shape == other.shape and bool(np.array_equal(self.data, _raw(other)))

    def allclose(self, other, rtol=1e-5, atol=1e-8) -> bool:
        return bool(np.allclose(self.data, _raw(other), rtol=rtol, atol=atol))

    # ------------------------------------------------------------------ elementwise
    def add(self, other, alpha=1):
        return _ew.add(self, other if alpha == 1 else other * alpha)

    def sub(self, other, alpha=1):
        return _ew.sub(self, other if alpha == 1 else other * alpha)

    def mul(self, other):
        return _ew.mul(self, other)

    def div(self, other):
        return _ew.div(self, other)

    def pow(self, other):
        return _ew.pow(self, other)

    def neg(self):
        return _ew.neg(self)

    def exp(self):
        return _ew.exp(self)

    def log(self):
        return _ew.log(self)

    def log1p(self):
        return _ew.log1p(self)

    def expm1(self):
        return _ew.expm1(self)

    def sqrt(self):
        return _ew.sqrt(self)

    def rsqrt(self):
        return _ew.rsqrt(self)

    def abs(self):
        return _ew.abs(self)

    def sign(self):
        return _ew.sign(self)

    def sin(self):
        return _ew.sin(self)

    def cos(self):
        return _ew.cos(self)

    def tanh(self):
        return _ew.tanh(self)

    def sigmoid(self):
        return _ew.sigmoid(self)

    def relu(self):
        return _ew.relu(self)

    def square(self):
        return _ew.mul(self, self)

    def reciprocal(self):
        return _ew.div(1.0, self)

    def clamp(self, min=None, max=None):  # noqa: A002
        return _ew.clamp(self, min, max)

    clip = clamp

    def maximum(self, other):
        return _ew.maximum(self, other)

    def minimum(self, other):
        return _ew.minimum(self, other)

    def where(self, cond, other):
        return _ew.where(cond, self, other)

    def masked_fill(self, mask, value):
        return _indexing.masked_fill(self, mask, value)

    # ------------------------------------------------------------------ reductions
    def sum(self, dim=None, keepdim=False):
        return _reduce.sum(self, dim, keepdim)

    def mean(self, dim=None, keepdim=False):
        return _reduce.mean(self, dim, keepdim)

    def prod(self, dim=None, keepdim=False):
        return _reduce.prod(self, dim, keepdim)

    def max(self, dim=None, keepdim=False):
        return _reduce.max(self, dim, keepdim)

    def min(self, dim=None, keepdim=False):
        return _reduce.min(self, dim, keepdim)

    def amax(self, dim=None, keepdim=False):
        return _reduce.amax(self, dim, keepdim)

    def amin(self, dim=None, keepdim=False):
        return _reduce.amin(self, dim, keepdim)

    def argmax(self, dim=None, keepdim=False):
        return _reduce.argmax(self, dim, keepdim)

    def argmin(self, dim=None, keepdim=False):
        return _reduce.argmin(self, dim, keepdim)

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return _reduce.var(self, dim, unbiased, keepdim, correction=correction)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return _reduce.std(self, dim, unbiased, keepdim, correction=correction)

    def logsumexp(self, dim=None, keepdim=False):
        return _reduce.logsumexp(self, dim, keepdim)

    def norm(self, p="fro", dim=None, keepdim=False):
        return _reduce.norm(self, p, dim, keepdim)

    def cumsum(self, dim):
        return _reduce.cumsum(self, dim)

    # ------------------------------------------------------------------ shape
    def reshape(self, *shape):
        return _shape.reshape(self, *shape)

    view = reshape

    def view_as(self, other):
        return _shape.reshape(self, other.shape)

    def reshape_as(self, other):
        return _shape.reshape(self, other.shape)

    def flatten(self, start_dim=0, end_dim=-1):
        return _shape.flatten(self, start_dim, end_dim)

    def squeeze(self, dim=None):
        return _shape.squeeze(self, dim)

    def unsqueeze(self, dim):
        return _shape.unsqueeze(self, dim)

    def transpose(self, dim0, dim1):
        return _shape.transpose(self, dim0, dim1)

    def permute(self, *dims):
        return _shape.permute(self, *dims)

    @property
    def T(self):
        return _shape.permute(self, *reversed(range(self.ndim)))

    @property
    def mT(self):
        return _shape.transpose(self, -2, -1)

    def t(self):
        if self.ndim > 2:
            raise ShapeError(f"t() expects a tensor with at most 2 dimensions, got shape {self.shape}")
        return self.T

    def expand(self, *sizes):
        return _shape.expand(self, *sizes)

    def expand_as(self, other):
        return _shape.broadcast_to(self, other.shape)

    def broadcast_to(self, shape):
        return _shape.broadcast_to(self, shape)

    def repeat(self, *sizes):
        return _shape.repeat(self, *sizes)

    def split(self, split_size_or_sections, dim=0):
        return _shape.split(self, split_size_or_sections, dim)

    def chunk(self, chunks, dim=0):
        return _shape.chunk(self, chunks, dim)

    def flip(self, dims):
        return _shape.flip(self, dims)

    def tril(self, diagonal=0):
        return _shape.tril(self, diagonal)

    def triu(self, diagonal=0):
        return _shape.triu(self, diagonal)

    def contiguous(self):
        return self

    # ------------------------------------------------------------------ indexing / linalg
    def gather(self, dim, index):
        return _indexing.gather(self, dim, index)

    def scatter_add(self, dim, index, src):
        return _indexing.scatter_add(self, dim, index, src)

    def index_select(self, dim, index):
        return _indexing.index_select(self, dim, index)

    def matmul(self, other):
        return _linalg.matmul(self, other)

    def mm(self, other):
        return _linalg.mm(self, other)

    def dot(self, other):
        return _linalg.dot(self, other)

    # ------------------------------------------------------------------ softmax / sorting
    def softmax(self, dim=-1):
        """e^x / Σ e^x along ``dim`` (the last by default); see :func:`chalkgrad.softmax`."""
        return _softmax.softmax(self, dim)

    def log_softmax(self, dim=-1):
        """log(softmax(x)) along ``dim`` (the last by default)."""
        return _softmax.log_softmax(self, dim)

    def sort(self, dim=-1, descending=False, stable=False):
        """``(values, indices)`` sorted along ``dim``; the values are differentiable."""
        return _sort.sort(self, dim, descending, stable)

    def argsort(self, dim=-1, descending=False, stable=False):
        """The int64 indices that sort the tensor along ``dim``."""
        return _sort.argsort(self, dim, descending, stable)

    def topk(self, k, dim=-1, largest=True, sorted=True):  # noqa: A002 - PyTorch's name
        """``(values, indices)`` of the k largest (or smallest) elements along ``dim``."""
        return _sort.topk(self, k, dim, largest, sorted)

    # ------------------------------------------------------------------ printing
    def __repr__(self) -> str:
        body = np.array2string(
            self.data, separator=", ", prefix="tensor(", precision=4, suppress_small=False,
            threshold=1000, edgeitems=3,
        )
        extras = []
        if self.dtype not in (float32, int64, bool_):
            extras.append(f"dtype=chalkgrad.{self.dtype}")
        if self._node is not None:
            extras.append(f"grad_fn={self._node!r}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"


def _raw(x):
    return x.data if isinstance(x, Tensor) else x


# Op families import Tensor, so they are bound here, after the class exists.
from .autograd import function as _function  # noqa: E402

_function._tensor_class = Tensor
from .ops import elementwise as _ew  # noqa: E402
from .ops import indexing as _indexing  # noqa: E402
from .ops import linalg as _linalg  # noqa: E402
from .ops import promotion as _promotion  # noqa: E402
from .ops import reduce as _reduce  # noqa: E402
from .ops import shape as _shape  # noqa: E402
from .ops import softmax as _softmax  # noqa: E402
from .ops import sort as _sort  # noqa: E402
