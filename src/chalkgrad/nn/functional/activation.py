"""Activation functions, with the names, arguments and defaults of ``torch.nn.functional``.

Forward values and gradients follow PyTorch, including its choices at the kinks
(``relu``, ``hardtanh`` and ``relu6`` have derivative 0 exactly at their corners;
``leaky_relu``, ``prelu`` and ``elu`` take the left-hand slope at 0...). Second
derivatives follow PyTorch as well: backward passes are written with tensor
operations, so ``create_graph=True`` gives derivatives of any order.

Besides PyTorch's functions this file has four classic transfer functions:

``step(x, threshold=0.0, value=1.0)``  the threshold unit of the perceptron
    (1 above ``threshold``, ``value`` at it, 0 below; derivative 0 everywhere).
``heaviside(input, values)``            ``torch.heaviside``: ``step`` at 0 with ``values`` at 0.
``sign(x)``                             -1, 0 or 1 (derivative 0).
``linear_activation(x, gain=1.0)``      the linear transfer function y = gain·x;
                                        ``identity(x)`` is y = x.

``inplace=True`` is accepted wherever PyTorch has it and ignored: results are
always new tensors. ``sigmoid``, ``tanh``, ``relu``, ``softmax`` and
``log_softmax`` are the core operations of :mod:`chalkgrad.ops`.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ...autograd.function import Function
from ...errors import ConfigError, DTypeError, ShapeError
from ...ops import elementwise as _ew
from ...ops import softmax as _softmax
from ...ops.elementwise import sigmoid, sign, tanh, unbroadcast
from ...ops.special import erf, erf_array
from ...tensor import Tensor

__all__ = [
    "relu", "relu6", "hardtanh", "leaky_relu", "prelu", "elu", "selu", "celu", "gelu", "silu", "swish",
    "mish", "softplus", "softsign", "hardsigmoid", "hardswish", "sigmoid", "tanh", "softmax", "log_softmax",
    "step", "heaviside", "sign", "identity", "linear_activation",
]

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_GELU_K = math.sqrt(2.0 / math.pi)
_GELU_C = 0.044715


def _as_tensor(x, op: str, floating: bool = True) -> Tensor:
    x = x if isinstance(x, Tensor) else Tensor(x)
    if floating and x.dtype.kind != "f":
        raise DTypeError(f"{op}: expected a floating-point tensor (float32 or float64), got dtype {x.dtype}")
    if not floating and x.dtype.kind not in "fi":
        raise DTypeError(f"{op}: expected a numeric tensor, got dtype {x.dtype}")
    return x


def _clamp_strict(x: Tensor, lo: float = -math.inf, hi: float = math.inf) -> Tensor:
    """min(max(x, lo), hi) with derivative 1 only strictly inside (lo, hi), so 0 at the bounds.

    Backward passes use it to build slopes whose own derivative vanishes at a kink, as in PyTorch.
    """
    return Hardtanh.apply(x, lo=lo, hi=hi)


# ----------------------------------------------------------------------------- piecewise linear
class _PiecewiseLinear(Function):
    """Base for y linear on pieces: ``forward`` stores the slope dy/dx as an array; backward is g·slope.

    The slope does not depend on x through any differentiable path, so the second derivative is 0.
    """

    def backward(self, g):
        return g * self.slope


class Hardtanh(_PiecewiseLinear):
    """y = min(max(x, lo), hi);   dy/dx = 1 for lo < x < hi, else 0 (0 at the corners, as PyTorch)"""

    def forward(self, x):
        self.slope = ((x > self.lo) & (x < self.hi)).astype(x.dtype)
        return np.clip(x, self.lo, self.hi).astype(x.dtype, copy=False)


class LeakyRelu(_PiecewiseLinear):
    """y = x for x > 0, a·x for x ≤ 0;   dy/dx = 1 for x > 0, a for x ≤ 0"""

    def forward(self, x):
        pos = x > 0
        self.slope = pos.astype(x.dtype)
        self.slope += ~pos * x.dtype.type(self.negative_slope)  # exactly 1 or a (np.where is slower)
        return x * self.slope


class Hardsigmoid(_PiecewiseLinear):
    """y = min(max(x + 3, 0), 6) / 6;   dy/dx = 1/6 for -3 < x < 3, else 0"""

    def forward(self, x):
        self.slope = ((x > -3) & (x < 3)).astype(x.dtype) * (1.0 / 6.0)
        return np.clip(x + 3.0, 0.0, 6.0) / 6.0


class Step(_PiecewiseLinear):
    """y = 1 for x > θ, v for x = θ, 0 for x < θ;   dy/dx = 0"""

    def forward(self, x):
        self.slope = np.zeros((), dtype=x.dtype)
        return ((x > self.threshold) + (x == self.threshold) * np.asarray(self.value)).astype(x.dtype)


# ----------------------------------------------------------------------------- smooth or nearly
class Hardswish(Function):
    """y = x·min(max(x + 3, 0), 6) / 6;   dy/dx = 0 for x ≤ -3, x/3 + ½ for -3 < x < 3, 1 for x ≥ 3"""

    def forward(self, x):
        return x * np.clip(x + 3.0, 0.0, 6.0) / 6.0

    def backward(self, g):
        x = self.inputs[0]
        inside = (x.data > -3) & (x.data < 3)
        k1 = inside.astype(g.dtype) * (1.0 / 3.0)
        k0 = inside.astype(g.dtype) * 0.5 + (x.data >= 3)
        return g * (_clamp_strict(x, -3.0, 3.0) * k1 + k0)  # clamped: ±inf·0 cannot make NaNs


class Elu(Function):
    """y = s·x for x > 0,  s·α·(e^(c·x) − 1) for x ≤ 0;   dy/dx = s for x > 0,  s·α·c·e^(c·x) for x ≤ 0

    ELU: s = c = 1.   SELU: s = 1.0507…, α = 1.6733…, c = 1.   CELU: s = 1, c = 1/α.
    """

    def forward(self, x):
        neg = np.expm1(np.minimum(x, 0) * self.input_scale) * (self.alpha * self.scale)
        return np.maximum(x, 0) * self.scale + neg

    def backward(self, g):
        x = self.inputs[0]
        pos = x.data > 0
        x_neg = _clamp_strict(x, hi=0.0)  # min(x, 0): e^(c·x) cannot overflow; no 2nd derivative at 0
        neg_coef = (~pos).astype(g.dtype) * (self.alpha * self.scale * self.input_scale)
        return g * ((x_neg * self.input_scale).exp() * neg_coef + pos.astype(g.dtype) * self.scale)


class Softplus(Function):
    """y = ln(1 + e^(βx))/β, or x where βx > threshold;   dy/dx = σ(βx), or 1 where βx > threshold

    Computed as (max(βx, 0) + ln(1 + e^(−|βx|)))/β, which never overflows.
    """

    def forward(self, x):
        z = x * self.beta
        y = np.asarray((np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))) / self.beta)
        np.copyto(y, x, where=z > self.threshold)
        return y

    def backward(self, g):
        x = self.inputs[0]
        linear = (x.data * self.beta > self.threshold).astype(g.dtype)
        z = _clamp_strict(x * self.beta, hi=self.threshold)  # βx where βx ≤ threshold; no 2nd derivative at it
        return g * (sigmoid(z) * (1.0 - linear) + linear)


class Gelu(Function):
    """approximate='none':  y = x·Φ(x) = ½x(1 + erf(x/√2));   dy/dx = Φ(x) + x·φ(x),  φ(x) = e^(−x²/2)/√(2π)

    approximate='tanh':  y = ½x(1 + tanh u),  u = √(2/π)(x + 0.044715x³);
                         dy/dx = ½(1 + tanh u) + ½x(1 − tanh² u)·√(2/π)(1 + 3·0.044715x²)
    """

    def forward(self, x):
        if self.approximate == "tanh":
            return 0.5 * x * (1.0 + np.tanh(_GELU_K * (x + _GELU_C * x * x * x)))
        return 0.5 * x * (1.0 + erf_array(x * _SQRT_HALF))

    def backward(self, g):
        x = self.inputs[0]
        if self.approximate == "tanh":
            t = ((x + x * x * x * _GELU_C) * _GELU_K).tanh()
            du = (x * x * (3.0 * _GELU_C) + 1.0) * _GELU_K
            return g * ((t + 1.0) * 0.5 + x * 0.5 * (1.0 - t * t) * du)
        cdf = (erf(x * _SQRT_HALF) + 1.0) * 0.5
        pdf = (x * x * -0.5).exp() * _INV_SQRT_2PI
        return g * (cdf + x * pdf)


class Silu(Function):
    """y = x·σ(x);   dy/dx = σ(x)·(1 + x·(1 − σ(x)))"""

    def forward(self, x):
        return x * (0.5 + 0.5 * np.tanh(0.5 * x))

    def backward(self, g):
        x = self.inputs[0]
        s = sigmoid(x)
        return g * (s * (x * (1.0 - s) + 1.0))


class Mish(Function):
    """y = x·tanh(softplus(x));   dy/dx = tanh(softplus(x)) + x·σ(x)·(1 − tanh²(softplus(x)))"""

    def forward(self, x):
        return x * np.tanh(np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x))))

    def backward(self, g):
        x = self.inputs[0]
        t = Softplus.apply(x, beta=1.0, threshold=20.0).tanh()
        return g * (t + x * sigmoid(x) * (1.0 - t * t))


class Prelu(Function):
    """y = x for x > 0, a·x for x ≤ 0 (a learned, one per channel);   dy/dx = 1 or a,  dy/da = 0 or x"""

    def forward(self, x, a):
        return np.maximum(x, 0) + a * np.minimum(x, 0)

    def backward(self, g):
        x, a = self.inputs
        gx = ga = None
        if self.needs_input_grad[0]:
            # slope 1 (x > 0) or a (x ≤ 0); as in PyTorch it depends on a only where x < 0
            neg, zero = (x.data < 0).astype(g.dtype), (x.data == 0).astype(g.dtype)
            gx = g * ((x.data > 0).astype(g.dtype) + a * neg + a.detach() * zero)
        if self.needs_input_grad[1]:
            ga = unbroadcast(g * _clamp_strict(x, hi=0.0), a.shape)
        return gx, ga


# ----------------------------------------------------------------------------- functions
def relu(input, inplace: bool = False):  # noqa: A002 - the PyTorch name
    """y = max(0, x);   dy/dx = 1 for x > 0, else 0 (the core op ``chalkgrad.relu``)."""
    return _ew.relu(input)


def hardtanh(input, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False):  # noqa: A002
    """y = min(max(x, min_val), max_val);   dy/dx = 1 for min_val < x < max_val, else 0."""
    if min_val > max_val:
        raise ConfigError(f"hardtanh: min_val ({min_val}) cannot be greater than max_val ({max_val})")
    x = _as_tensor(input, "hardtanh", floating=False)
    return Hardtanh.apply(x, lo=min_val, hi=max_val)


def relu6(input, inplace: bool = False):  # noqa: A002
    """y = min(max(x, 0), 6);   dy/dx = 1 for 0 < x < 6, else 0."""
    x = _as_tensor(input, "relu6", floating=False)
    return Hardtanh.apply(x, lo=0.0, hi=6.0)


def leaky_relu(input, negative_slope: float = 0.01, inplace: bool = False):  # noqa: A002
    """y = x for x > 0, negative_slope·x otherwise;   dy/dx = 1 or negative_slope."""
    return LeakyRelu.apply(_as_tensor(input, "leaky_relu"), negative_slope=negative_slope)


def prelu(input, weight):  # noqa: A002
    """Leaky ReLU with learned slopes ``weight``: one (shared) or one per channel (dim 1 of the input)."""
    x = _as_tensor(input, "prelu")
    w = weight if isinstance(weight, Tensor) else Tensor(weight, dtype=x.dtype)
    if w.dtype != x.dtype:
        raise DTypeError(f"prelu: weight has dtype {w.dtype} but the input has dtype {x.dtype}; "
                         "convert one of them (e.g. layer.double() or x.float())")
    if w.ndim > 1:
        raise ShapeError(f"prelu: weight must be a scalar or 1-D tensor, got shape {tuple(w.shape)}")
    channels = x.shape[1] if x.ndim >= 2 else 1
    if w.numel() == 1:
        w = w.reshape(())
    elif w.numel() == channels:
        w = w.reshape((channels,) + (1,) * (x.ndim - 2))
    else:
        raise ShapeError(
            f"prelu: weight has {w.numel()} parameters but the input of shape {tuple(x.shape)} has {channels} "
            "channels (dim 1; 1 for inputs with fewer than 2 dims); expected 1 or the number of channels"
        )
    return Prelu.apply(x, w)


def elu(input, alpha: float = 1.0, inplace: bool = False):  # noqa: A002
    """y = x for x > 0, α(e^x − 1) otherwise;   dy/dx = 1 or α·e^x."""
    return Elu.apply(_as_tensor(input, "elu"), alpha=alpha, scale=1.0, input_scale=1.0)


def selu(input, inplace: bool = False):  # noqa: A002
    """y = λ·elu(x, α) with λ = 1.0507…, α = 1.6733… (self-normalizing);   dy/dx = λ or λα·e^x."""
    return Elu.apply(_as_tensor(input, "selu"), alpha=SELU_ALPHA, scale=SELU_SCALE, input_scale=1.0)


def celu(input, alpha: float = 1.0, inplace: bool = False):  # noqa: A002
    """y = max(0, x) + min(0, α(e^(x/α) − 1));   dy/dx = 1 or e^(x/α)."""
    if alpha == 0:
        raise ConfigError("celu: alpha cannot be 0 (it divides x)")
    return Elu.apply(_as_tensor(input, "celu"), alpha=alpha, scale=1.0, input_scale=1.0 / alpha)


def gelu(input, approximate: str = "none"):  # noqa: A002
    """y = x·Φ(x) (exact, with erf) or its tanh approximation (``approximate='tanh'``)."""
    if approximate not in ("none", "tanh"):
        raise ConfigError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return Gelu.apply(_as_tensor(input, "gelu"), approximate=approximate)


def silu(input, inplace: bool = False):  # noqa: A002
    """y = x·σ(x) (SiLU, also called Swish);   dy/dx = σ(x)(1 + x(1 − σ(x)))."""
    return Silu.apply(_as_tensor(input, "silu"))


swish = silu


def mish(input, inplace: bool = False):  # noqa: A002
    """y = x·tanh(softplus(x))."""
    return Mish.apply(_as_tensor(input, "mish"))


def softplus(input, beta: float = 1.0, threshold: float = 20.0):  # noqa: A002
    """y = ln(1 + e^(βx))/β, reverting to y = x where βx > threshold;   dy/dx = σ(βx) (or 1)."""
    if beta == 0:
        raise ConfigError("softplus: beta cannot be 0 (it divides the result)")
    return Softplus.apply(_as_tensor(input, "softplus"), beta=beta, threshold=threshold)


def softsign(input):  # noqa: A002
    """y = x / (1 + |x|);   dy/dx = 1 / (1 + |x|)²  (composed of tensor ops, as in PyTorch)."""
    x = _as_tensor(input, "softsign")
    return x / (x.abs() + 1.0)


def hardsigmoid(input, inplace: bool = False):  # noqa: A002
    """y = min(max(x + 3, 0), 6) / 6;   dy/dx = 1/6 for -3 < x < 3, else 0."""
    return Hardsigmoid.apply(_as_tensor(input, "hardsigmoid"))


def hardswish(input, inplace: bool = False):  # noqa: A002
    """y = x·hardsigmoid(x);   dy/dx = 0 (x ≤ -3), x/3 + ½ (-3 < x < 3), 1 (x ≥ 3)."""
    return Hardswish.apply(_as_tensor(input, "hardswish"))


def _softmax_dim(name: str, ndim: int, stacklevel: int) -> int:
    """PyTorch's legacy choice when ``dim`` is not given: 0 for 0-, 1- and 3-d inputs, else 1."""
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. "
                  "Change the call to include dim=X as an argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel: int = 3, dtype=None):  # noqa: A002
    """y_i = e^(x_i) / Σ_j e^(x_j) along ``dim``, stable for any magnitude (core ``chalkgrad.softmax``).

    As in PyTorch, ``dim=None`` picks a dimension with a deprecation warning (give ``dim``), and
    ``dtype`` casts the input first.
    """
    x = input if dtype is None else input.to(dtype)
    if dim is None:
        dim = _softmax_dim("softmax", x.ndim, _stacklevel)
    return _softmax.softmax(x, dim)


def log_softmax(input, dim=None, _stacklevel: int = 3, dtype=None):  # noqa: A002
    """y_i = x_i − log Σ_j e^(x_j) along ``dim``, stable (core ``chalkgrad.log_softmax``); see :func:`softmax`."""
    x = input if dtype is None else input.to(dtype)
    if dim is None:
        dim = _softmax_dim("log_softmax", x.ndim, _stacklevel)
    return _softmax.log_softmax(x, dim)


def step(x, threshold: float = 0.0, value: float = 1.0):
    """The perceptron's threshold unit: y = 1 for x > threshold, ``value`` at it, 0 below;  dy/dx = 0.

    With the defaults, y = 1 for x ≥ 0 and 0 for x < 0. The result has the input's dtype
    (integer inputs need an integer ``value``).
    """
    x = _as_tensor(x, "step", floating=False)
    if x.dtype.kind != "f" and float(value) != int(value):
        raise DTypeError(f"step: value {value!r} cannot be represented in the input's dtype {x.dtype}")
    return Step.apply(x, threshold=threshold, value=value)


def heaviside(input, values):  # noqa: A002
    """``torch.heaviside``: y = 1 for x > 0, ``values`` at x = 0, 0 for x < 0;   dy/dx = 0.

    ``values`` is a number or a tensor that broadcasts against the input.
    """
    x = _as_tensor(input, "heaviside", floating=False)
    v = values.data if isinstance(values, Tensor) else np.asarray(values)
    if x.dtype.kind != "f" and v.dtype.kind == "f":
        raise DTypeError(f"heaviside: floating values cannot be used with an input of dtype {x.dtype}")
    try:
        np.broadcast_shapes(x.shape, v.shape)
    except ValueError:
        raise ShapeError(f"heaviside: values of shape {v.shape} do not broadcast against the input's "
                         f"shape {tuple(x.shape)}") from None
    if np.broadcast_shapes(x.shape, v.shape) != x.shape:
        raise ShapeError(f"heaviside: values of shape {v.shape} would change the input's shape {tuple(x.shape)}")
    return Step.apply(x, threshold=0.0, value=v)


def identity(x):
    """y = x (the same tensor)."""
    return x


def linear_activation(x, gain: float = 1.0):
    """The linear transfer function y = gain·x;   dy/dx = gain."""
    x = x if isinstance(x, Tensor) else Tensor(x)
    return x if gain == 1 else x * gain
