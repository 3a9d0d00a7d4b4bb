"""Keras activation functions on Tensors, by Keras name: ``activations.get('relu')(x)``.

softmax/log_softmax act on the last axis; leaky_relu's default slope is Keras's 0.2;
gelu is exact (erf) unless ``approximate=True``; hard_sigmoid = relu6(x + 3) / 6 (Keras 3).
``serialize(fn)`` gives the name written into a layer config ('linear' for None).
"""

from __future__ import annotations

from ..errors import ConfigError
from ..nn import functional as F

__all__ = ["relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "silu", "swish", "mish", "sigmoid", "hard_sigmoid",
           "hard_silu", "hard_swish", "tanh", "softmax", "log_softmax", "softplus", "softsign", "exponential",
           "linear", "get", "serialize", "deserialize"]


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return F.relu(x)
    from ..ops.elementwise import where

    y = where(x >= threshold, x, (x - threshold) * negative_slope)
    return y if max_value is None else y.clamp(max=max_value)


def relu6(x):
    return F.relu6(x)


def leaky_relu(x, negative_slope=0.2):
    return F.leaky_relu(x, negative_slope)


def elu(x, alpha=1.0):
    return F.elu(x, alpha)


def selu(x):
    return F.selu(x)


def gelu(x, approximate=False):
    return F.gelu(x, approximate="tanh" if approximate else "none")


def silu(x):
    return F.silu(x)


swish = silu


def mish(x):
    return F.mish(x)


def sigmoid(x):
    return x.sigmoid()


def hard_sigmoid(x):
    return F.hardsigmoid(x)


def hard_silu(x):
    return F.hardswish(x)


hard_swish = hard_silu


def tanh(x):
    return x.tanh()


def softmax(x, axis=-1):
    return F.softmax(x, dim=axis)


def log_softmax(x, axis=-1):
    return F.log_softmax(x, dim=axis)


def softplus(x):
    return F.softplus(x)


def softsign(x):
    return F.softsign(x)


def exponential(x):
    return x.exp()


def linear(x):
    return x


_ALL = {f.__name__: f for f in (relu, relu6, leaky_relu, elu, selu, gelu, silu, mish, sigmoid, hard_sigmoid,
                                 hard_silu, tanh, softmax, log_softmax, softplus, softsign, exponential, linear)}
_ALIASES = {"swish": silu, "hard_swish": hard_silu, None: linear}


def get(identifier):
    """The activation function for a Keras name (None → linear) or a callable (returned as is)."""
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        fn = _ALL.get(identifier) or _ALIASES.get(identifier)
        if fn is None:
            raise ConfigError(f"unknown activation {identifier!r}; valid names: {', '.join(sorted(_ALL))}")
        return fn
    if isinstance(identifier, dict):
        return get(identifier.get("config", identifier.get("class_name")))
    if callable(identifier):
        return identifier
    raise ConfigError(f"activation must be a name such as 'relu' or a function, got {type(identifier).__name__}")


def serialize(fn) -> str:
    """The name Keras writes into a config ('relu'); a custom function's ``__name__``."""
    return "linear" if fn is None else getattr(fn, "__name__", str(fn))


def deserialize(name):
    return get(name)
