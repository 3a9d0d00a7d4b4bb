"""Pointwise operations. Binary ops broadcast like NumPy; backward un-broadcasts."""

from __future__ import annotations

import numpy as np

from ..autograd.function import Function
from ..errors import ConfigError, DTypeError, ShapeError
from ..tensor import Tensor, _default_float, as_tensor_like
from .promotion import convert, result_type
from .shape import sum_to


def unbroadcast(grad: Tensor, shape: tuple) -> Tensor:
    """Sum ``grad`` down to ``shape``: the backward of NumPy broadcasting."""
    return grad if grad.shape == shape else sum_to(grad, shape)


def _shape(x):
    return x.shape if isinstance(x, Tensor) else np.shape(x)


def broadcast_error(op: str, *operands) -> ShapeError:
    """The error for operands whose shapes do not broadcast (built only after NumPy refused)."""
    shapes = [np.shape(x) for x in operands]
    ndim = max(len(s) for s in shapes)
    for d in range(1, ndim + 1):
        sizes = {s[-d] for s in shapes if len(s) >= d} - {1}
        if len(sizes) > 1:
            got = " and ".join(str(s[-d]) for s in shapes if len(s) >= d)
            return ShapeError(
                f"{op}: shapes {' and '.join(map(str, shapes))} do not broadcast: dimension {-d} "
                f"has sizes {got}; expected equal sizes, or 1 in all but one of them"
            )
    return ShapeError(f"{op}: shapes {' and '.join(map(str, shapes))} do not broadcast")


# ----------------------------------------------------------------------------- binary
class Add(Function):
    """z = a + b;   dz/da = 1,  dz/db = 1"""

    def forward(self, a, b):
        try:
            return a + b
        except ValueError:
            raise broadcast_error("add (+)", a, b) from None

    def backward(self, g):
        a, b = self.inputs
        ga = unbroadcast(g, _shape(a)) if self.needs_input_grad[0] else None
        gb = unbroadcast(g, _shape(b)) if self.needs_input_grad[1] else None
        return ga, gb


class Sub(Function):
    """z = a - b = a + (-1)·b;   dz/da = 1,  dz/db = -1"""

    def forward(self, a, b):
        try:
            return a - b
        except ValueError:
            raise broadcast_error("sub (-)", a, b) from None

    def backward(self, g):
        a, b = self.inputs
        ga = unbroadcast(g, _shape(a)) if self.needs_input_grad[0] else None
        gb = -unbroadcast(g, _shape(b)) if self.needs_input_grad[1] else None
        return ga, gb


class Mul(Function):
    """z = a·b;   dz/da = b,  dz/db = a"""

    def forward(self, a, b):
        try:
            return a * b
        except ValueError:
            raise broadcast_error("mul (*)", a, b) from None

    def backward(self, g):
        a, b = self.inputs
        ga = unbroadcast(g * b, _shape(a)) if self.needs_input_grad[0] else None
        gb = unbroadcast(g * a, _shape(b)) if self.needs_input_grad[1] else None
        return ga, gb


class Div(Function):
    """z = a / b;   dz/da = 1/b,  dz/db = -a/b² = -z/b"""

    def forward(self, a, b):
        try:
            return a / b
        except ValueError:
            raise broadcast_error("div (/)", a, b) from None

    def backward(self, g):
        a, b = self.inputs
        ga = unbroadcast(g / b, _shape(a)) if self.needs_input_grad[0] else None
        gb = unbroadcast(-g * a / (b * b), _shape(b)) if self.needs_input_grad[1] else None
        return ga, gb


class Pow(Function):
    """z = a^b;   dz/da = b·a^(b-1),  dz/db = a^b·ln(a)"""

    def forward(self, a, b):
        try:
            return np.power(a, b)
        except ValueError:
            raise broadcast_error("pow (**)", a, b) from None

    def backward(self, g):
        a, b = self.inputs
        ga = gb = None
        if self.needs_input_grad[0]:
            if isinstance(b, Tensor):
                ga = g * b * a ** (b - 1)
            elif b == 0:
                ga = g * 0.0
            else:
                ga = g * b * a ** (b - 1)
            ga = unbroadcast(ga, _shape(a))
        if self.needs_input_grad[1]:
            log_a = log(a) if isinstance(a, Tensor) else np.log(np.asarray(a, dtype=g.dtype))
            gb = unbroadcast(g * self.output * log_a, _shape(b))
        return ga, gb


class Maximum(Function):
    """z = max(a, b);   the gradient goes to the larger input, split in half on ties."""

    def forward(self, a, b):
        try:
            return np.maximum(a, b)
        except ValueError:
            raise broadcast_error("maximum", a, b) from None

    def backward(self, g):
        return _select_backward(self, g, np.greater)


class Minimum(Function):
    """z = min(a, b);   the gradient goes to the smaller input, split in half on ties."""

    def forward(self, a, b):
        try:
            return np.minimum(a, b)
        except ValueError:
            raise broadcast_error("minimum", a, b) from None

    def backward(self, g):
        return _select_backward(self, g, np.less)


def _select_backward(fn, g, wins):
    a, b = fn.inputs
    ad, bd = _data(a), _data(b)
    dtype = g.dtype
    share_a = (wins(ad, bd) + 0.5 * (ad == bd)).astype(dtype)
    share_b = (wins(bd, ad) + 0.5 * (ad == bd)).astype(dtype)
    ga = unbroadcast(g * share_a, _shape(a)) if fn.needs_input_grad[0] else None
    gb = unbroadcast(g * share_b, _shape(b)) if fn.needs_input_grad[1] else None
    return ga, gb


def _data(x):
    return x.data if isinstance(x, Tensor) else np.asarray(x)


class Where(Function):
    """z = a where cond else b;   dz/da = cond,  dz/db = not cond"""

    def forward(self, a, b):
        try:
            return np.where(self.cond, a, b)
        except ValueError:
            raise broadcast_error("where", self.cond, a, b) from None

    def backward(self, g):
        a, b = self.inputs
        zero = np.zeros((), dtype=g.dtype)
        ga = unbroadcast(where(self.cond, g, zero), _shape(a)) if self.needs_input_grad[0] else None
        gb = unbroadcast(where(self.cond, zero, g), _shape(b)) if self.needs_input_grad[1] else None
        return ga, gb


# ----------------------------------------------------------------------------- unary
class Neg(Function):
    """y = -x;   dy/dx = -1"""

    def forward(self, x):
        return np.negative(x)

    def backward(self, g):
        return -g


class Exp(Function):
    """y = e^x;   dy/dx = e^x = y"""

    def forward(self, x):
        return np.exp(x)

    def backward(self, g):
        return g * self.output


class Log(Function):
    """y = ln x;   dy/dx = 1/x"""

    def forward(self, x):
        return np.log(x)

    def backward(self, g):
        return g / self.inputs[0]


class Log1p(Function):
    """y = ln(1 + x);   dy/dx = 1/(1 + x)"""

    def forward(self, x):
        return np.log1p(x)

    def backward(self, g):
        return g / (self.inputs[0] + 1.0)


class Expm1(Function):
    """y = e^x - 1;   dy/dx = e^x = y + 1"""

    def forward(self, x):
        return np.expm1(x)

    def backward(self, g):
        return g * (self.output + 1.0)


class Sqrt(Function):
    """y = √x;   dy/dx = 1/(2√x) = 1/(2y)"""

    def forward(self, x):
        return np.sqrt(x)

    def backward(self, g):
        return g / (2.0 * self.output)


class Rsqrt(Function):
    """y = 1/√x;   dy/dx = -½·x^(-3/2) = -½·y³"""

    def forward(self, x):
        return 1.0 / np.sqrt(x)

    def backward(self, g):
        y = self.output
        return g * (-0.5) * y * y * y


class Abs(Function):
    """y = |x|;   dy/dx = sign(x)  (0 at x = 0, as PyTorch)"""

    def forward(self, x):
        return np.abs(x)

    def backward(self, g):
        return g * np.sign(self.inputs[0].data)


class Sign(Function):
    """y = sign(x);   dy/dx = 0"""

    def forward(self, x):
        return np.sign(x)

    def backward(self, g):
        return g * 0.0


class Sin(Function):
    """y = sin x;   dy/dx = cos x"""

    def forward(self, x):
        return np.sin(x)

    def backward(self, g):
        return g * cos(self.inputs[0])


class Cos(Function):
    """y = cos x;   dy/dx = -sin x"""

    def forward(self, x):
        return np.cos(x)

    def backward(self, g):
        return -g * sin(self.inputs[0])


class Tanh(Function):
    """y = tanh x;   dy/dx = 1 - y²"""

    def forward(self, x):
        return np.tanh(x)

    def backward(self, g):
        y = self.output
        return g * (1.0 - y * y)


class Sigmoid(Function):
    """y = σ(x) = 1/(1 + e^-x);   dy/dx = y·(1 - y).  Stable for |x| large."""

    def forward(self, x):
        # 1/(1 + e^-x) has no cancellation: full relative precision far into the negative tail
        # (where ½·(1 + tanh(x/2)) rounds to 0). e^-x overflows to inf only where σ underflows anyway.
        with np.errstate(over="ignore"):
            e = np.exp(-x)
        return 1.0 / (1.0 + e)

    def backward(self, g):
        y = self.output
        return g * y * (1.0 - y)


class Relu(Function):
    """y = max(0, x);   dy/dx = 1 if x > 0 else 0"""

    def forward(self, x):
        return np.maximum(x, x.dtype.type(0))  # NaN stays NaN, as in PyTorch

    def backward(self, g):
        return g * (self.output.data > 0).astype(g.dtype)


class Clamp(Function):
    """y = min(max(x, lo), hi);   dy/dx = 1 where lo ≤ x ≤ hi, else 0 (boundaries included, as PyTorch)"""

    def forward(self, x):
        out = x
        inside = np.ones(x.shape, dtype=bool)
        if self.lo is not None:
            out = np.maximum(out, self.lo)
            inside &= x >= self.lo
        if self.hi is not None:
            out = np.minimum(out, self.hi)
            inside &= x <= self.hi
        self.inside = inside
        return out.astype(x.dtype, copy=False)

    def backward(self, g):
        return g * self.inside.astype(g.dtype)


# ----------------------------------------------------------------------------- functions
def add(a, b):
    return Add.apply(*_operands(a, b))


def sub(a, b):
    if _dtype_of(a) == np.bool_ or _dtype_of(b) == np.bool_:
        raise DTypeError("sub (-): subtraction with a bool operand is not defined (as in PyTorch); "
                         "use ^ (logical xor) or ~ (logical not), or convert it with .long() or .float() first")
    return Sub.apply(*_operands(a, b))


def mul(a, b):
    return Mul.apply(*_operands(a, b))


def div(a, b):
    """True division; integer operands give the default float, as in PyTorch."""
    if isinstance(a, np.ndarray):
        a = as_tensor_like(a, b)
    if isinstance(b, np.ndarray):
        b = as_tensor_like(b, a)
    dtype = result_type(a, b)
    if dtype.kind != "f":
        dtype = _default_float()
    return Div.apply(convert(a, dtype), convert(b, dtype))


def pow(a, b):  # noqa: A001 - the PyTorch name
    a, b = _operands(a, b)
    kinds = _dtype_of(a).kind + _dtype_of(b).kind  # (a Python number may still differ from the tensor's kind)
    if kinds == "bb":
        raise DTypeError("pow (**): a bool base and a bool exponent give no number (PyTorch refuses it too); "
                         "convert one with .long() or .float() first")
    if "f" not in kinds and np.any(_data(b) < 0):
        raise DTypeError(f"pow (**): an integer tensor to a negative integer power ({_data(b).min()}) is not "
                         "an integer (PyTorch refuses it too); convert the base with .float() first")
    return Pow.apply(a, b)


def maximum(a, b):
    return Maximum.apply(*_operands(a, b))


def minimum(a, b):
    return Minimum.apply(*_operands(a, b))


def neg(x):
    if _dtype_of(x) == np.bool_:
        raise DTypeError("neg (-): negation of a bool tensor is not defined (as in PyTorch); "
                         "use ~ (logical not) to invert a mask")
    return Neg.apply(x)


def _dtype_of(x) -> np.dtype:
    return x.data.dtype if isinstance(x, Tensor) else np.asarray(x).dtype


def exp(x):
    return Exp.apply(_to_float(x))


def log(x):
    return Log.apply(_to_float(x))


def log1p(x):
    return Log1p.apply(_to_float(x))


def expm1(x):
    return Expm1.apply(_to_float(x))


def sqrt(x):
    return Sqrt.apply(_to_float(x))


def rsqrt(x):
    return Rsqrt.apply(_to_float(x))


def abs(x):  # noqa: A001 - the PyTorch name
    return Abs.apply(x)


def sign(x):
    return Sign.apply(x)


def sin(x):
    return Sin.apply(_to_float(x))


def cos(x):
    return Cos.apply(_to_float(x))


def tanh(x):
    return Tanh.apply(_to_float(x))


def sigmoid(x):
    return Sigmoid.apply(_to_float(x))


def relu(x):
    return Relu.apply(x)


def clamp(x, min=None, max=None):  # noqa: A002 - the PyTorch names
    """Limit ``x`` to ``[min, max]``; either bound may be None."""
    if min is None and max is None:
        raise ConfigError("clamp: at least one of min and max must be given")
    if min is not None and max is not None and min > max:
        raise ConfigError(f"clamp: min ({min}) must not exceed max ({max})")
    return Clamp.apply(x, lo=min, hi=max)


clip = clamp


def where(cond, a, b):
    """Elementwise ``a if cond else b`` with broadcasting; ``cond`` is a bool tensor or array."""
    c = cond.data if isinstance(cond, Tensor) else np.asarray(cond)
    if c.dtype != np.bool_:
        raise DTypeError(f"where: condition must be a bool tensor, got dtype {c.dtype}")
    a, b = _operands(a, b)
    return Where.apply(a, b, cond=c)


#: Python number types that cannot change a tensor's dtype of this kind (NumPy treats them as "weak").
_WEAK = {"f": (float, int), "i": (int,)}


def _operands(a, b):
    """Both operands in the dtype PyTorch's promotion gives (see :mod:`.promotion`).

    NumPy arrays become constant tensors first, a floating array taking the
    tensor's float dtype; Python numbers become NumPy scalars of the result dtype,
    so ``int_tensor * 0.5`` is float32 as in PyTorch (NumPy would say float64).
    """
    if isinstance(a, np.ndarray):
        a = as_tensor_like(a, b)
    if isinstance(b, np.ndarray):
        b = as_tensor_like(b, a)
    if isinstance(a, Tensor):
        if isinstance(b, Tensor) and a.data.dtype == b.data.dtype:
            return a, b  # the common cases, kept fast: NumPy gives the same dtype
        if type(b) in _WEAK.get(a.data.dtype.kind, ()):
            return a, b
    elif isinstance(b, Tensor) and type(a) in _WEAK.get(b.data.dtype.kind, ()):
        return a, b
    dtype = result_type(a, b)
    return convert(a, dtype), convert(b, dtype)


def _to_float(x):
    """Integer and bool tensors become the default float dtype (float-valued ops, as in PyTorch)."""
    if isinstance(x, Tensor) and x.data.dtype.kind in "biu":
        return Tensor._wrap(x.data.astype(_default_float()))
    return x
