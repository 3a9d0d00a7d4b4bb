"""Activation layers, with the class names, arguments, defaults and reprs of ``torch.nn``.

Each layer calls the function of the same name in :mod:`chalkgrad.nn.functional`
(where the formulas and derivatives are documented) and keeps the shape:
``output_shape(s) == s``. ``inplace=True`` is accepted where PyTorch has it and
ignored (results are new tensors); ``repr`` shows it as PyTorch does.

Beyond ``torch.nn``: ``Step`` (alias ``Heaviside``), the perceptron's threshold
unit; ``Sign``; ``LinearActivation(gain)``, the linear transfer function y = gain·x;
and ``Swish``, another name for ``SiLU``.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError
from ..ops.shape import normalize_dim
from . import functional as F
from . import init
from .module import Module, layer_dtype, positive_int
from .parameter import Parameter

__all__ = [
    "ReLU", "ReLU6", "Hardtanh", "LeakyReLU", "PReLU", "ELU", "SELU", "CELU", "GELU", "SiLU", "Swish", "Mish",
    "Softplus", "Softsign", "Hardsigmoid", "Hardswish", "Sigmoid", "Tanh", "Softmax", "LogSoftmax",
    "Step", "Heaviside", "Sign", "LinearActivation",
]


class _Activation(Module):
    """An elementwise layer without parameters: the output has the input's shape."""

    def output_shape(self, input_shape):
        return tuple(input_shape)


class _InplaceActivation(_Activation):
    """An activation with PyTorch's (ignored here) ``inplace`` flag."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class ReLU(_InplaceActivation):
    """y = max(0, x)"""

    def forward(self, input):  # noqa: A002 - the PyTorch name
        return F.relu(input)


class Hardtanh(_Activation):
    """y = min(max(x, min_val), max_val);   gradient 1 strictly between the bounds, else 0"""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False,
                 min_value: float | None = None, max_value: float | None = None) -> None:
        super().__init__()
        # min_value / max_value: PyTorch's deprecated spellings, still accepted
        self.min_val = min_val if min_value is None else min_value
        self.max_val = max_val if max_value is None else max_value
        self.inplace = inplace
        if not self.max_val > self.min_val:
            raise ConfigError(f"{type(self).__name__}: max_val ({self.max_val}) must be greater than "
                              f"min_val ({self.min_val})")

    def forward(self, input):  # noqa: A002
        return F.hardtanh(input, self.min_val, self.max_val)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}" + (", inplace=True" if self.inplace else "")


class ReLU6(Hardtanh):
    """y = min(max(x, 0), 6) = Hardtanh(0, 6)"""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class LeakyReLU(_Activation):
    """y = x for x > 0, negative_slope·x otherwise"""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, input):  # noqa: A002
        return F.leaky_relu(input, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class PReLU(_Activation):
    """y = x for x > 0, a·x otherwise, with learned slopes a: one shared, or one per channel (dim 1).

    ``weight`` has shape (num_parameters,), every entry initialized to ``init``.
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device=None, dtype=None) -> None:
        super().__init__()
        self.num_parameters, self.init = positive_int("PReLU", "num_parameters", num_parameters), init
        self.weight = Parameter(np.empty(self.num_parameters, dtype=layer_dtype("PReLU", dtype, device)))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.constant_(self.weight, self.init)

    def forward(self, input):  # noqa: A002
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class ELU(_Activation):
    """y = x for x > 0, α(e^x − 1) otherwise"""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input):  # noqa: A002
        return F.elu(input, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class CELU(ELU):
    """y = max(0, x) + min(0, α(e^(x/α) − 1))"""

    def forward(self, input):  # noqa: A002
        return F.celu(input, self.alpha)


class SELU(_InplaceActivation):
    """y = λ·ELU(x, α) with λ ≈ 1.0507 and α ≈ 1.6733 (self-normalizing)"""

    def forward(self, input):  # noqa: A002
        return F.selu(input)


class GELU(_Activation):
    """y = x·Φ(x) (``approximate='none'``, with erf) or its tanh approximation (``'tanh'``)"""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ConfigError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, input):  # noqa: A002
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(_InplaceActivation):
    """y = x·σ(x) (also called Swish)"""

    def forward(self, input):  # noqa: A002
        return F.silu(input)


Swish = SiLU


class Mish(_InplaceActivation):
    """y = x·tanh(softplus(x))"""

    def forward(self, input):  # noqa: A002
        return F.mish(input)


class Hardsigmoid(_InplaceActivation):
    """y = min(max(x + 3, 0), 6) / 6"""

    def forward(self, input):  # noqa: A002
        return F.hardsigmoid(input)

    def extra_repr(self) -> str:  # PyTorch does not show inplace here
        return ""


class Hardswish(_InplaceActivation):
    """y = x·min(max(x + 3, 0), 6) / 6"""

    def forward(self, input):  # noqa: A002
        return F.hardswish(input)

    def extra_repr(self) -> str:  # PyTorch does not show inplace here
        return ""


class Softplus(_Activation):
    """y = ln(1 + e^(βx))/β, reverting to y = x where βx > threshold"""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input):  # noqa: A002
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Softsign(_Activation):
    """y = x / (1 + |x|)"""

    def forward(self, input):  # noqa: A002
        return F.softsign(input)


class Sigmoid(_Activation):
    """y = 1 / (1 + e^−x)"""

    def forward(self, input):  # noqa: A002
        return F.sigmoid(input)


class Tanh(_Activation):
    """y = tanh x"""

    def forward(self, input):  # noqa: A002
        return F.tanh(input)


class Softmax(_Activation):
    """y_i = e^(x_i) / Σ_j e^(x_j) along ``dim`` (``dim=None``: PyTorch's legacy choice, with a warning)"""

    _fn = staticmethod(F.softmax)

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input):  # noqa: A002
        return self._fn(input, self.dim, _stacklevel=5)

    def output_shape(self, input_shape):
        if self.dim is not None:
            normalize_dim(self.dim, len(input_shape), type(self).__name__)
        return tuple(input_shape)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """y_i = x_i − log Σ_j e^(x_j) along ``dim``"""

    _fn = staticmethod(F.log_softmax)


class Step(_Activation):
    """The perceptron's threshold unit: y = 1 for x > threshold, ``value`` at it, 0 below (gradient 0).

    The defaults give y = 1 for x ≥ 0, else 0. ``Heaviside`` is another name for this layer.
    """

    def __init__(self, threshold: float = 0.0, value: float = 1.0) -> None:
        super().__init__()
        self.threshold, self.value = threshold, value

    def forward(self, input):  # noqa: A002
        return F.step(input, self.threshold, self.value)

    def extra_repr(self) -> str:
        return f"threshold={self.threshold}, value={self.value}"


Heaviside = Step


class Sign(_Activation):
    """y = sign(x) ∈ {−1, 0, 1} (gradient 0)"""

    def forward(self, input):  # noqa: A002
        return F.sign(input)


class LinearActivation(_Activation):
    """The linear transfer function y = gain·x (dy/dx = gain); gain = 1 is the identity"""

    def __init__(self, gain: float = 1.0) -> None:
        super().__init__()
        self.gain = gain

    def forward(self, input):  # noqa: A002
        return F.linear_activation(input, self.gain)

    def extra_repr(self) -> str:
        return f"gain={self.gain}"
