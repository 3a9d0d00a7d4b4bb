"""Activation layers with parameters: ReLU, LeakyReLU (slope 0.3), PReLU (learned alpha), ELU, Softmax."""

from __future__ import annotations

import numpy as np

from ...errors import ConfigError
from ...nn.parameter import Parameter
from ...ops.elementwise import where
from .. import activations, initializers, regularizers
from .base import Layer, register
from .core import init_param

__all__ = ["ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax"]


class _Elementwise(Layer):
    supports_masking = True
    records_build_shape = False

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.built = True

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


@register
class ReLU(_Elementwise):
    """y = min(x, max_value) for x ≥ threshold, negative_slope·(x − threshold) below."""

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs) -> None:
        super().__init__(**kwargs)
        if max_value is not None and max_value < 0:
            raise ConfigError(f"ReLU: max_value must be ≥ 0, got {max_value}")
        self.max_value, self.negative_slope, self.threshold = max_value, float(negative_slope), float(threshold)

    def call(self, inputs):
        return activations.relu(inputs, self.negative_slope, self.max_value, self.threshold)

    def get_config(self):
        return {**self._base_config(), "max_value": self.max_value, "negative_slope": self.negative_slope,
                "threshold": self.threshold}


@register
class LeakyReLU(_Elementwise):
    """y = x for x ≥ 0, negative_slope·x below (Keras's layer default slope 0.3)."""

    def __init__(self, negative_slope=0.3, **kwargs) -> None:
        if "alpha" in kwargs:  # Keras 2's name
            negative_slope = kwargs.pop("alpha")
        super().__init__(**kwargs)
        self.negative_slope = float(negative_slope)

    def call(self, inputs):
        return activations.leaky_relu(inputs, self.negative_slope)

    def get_config(self):
        return {**self._base_config(), "negative_slope": self.negative_slope}


@register
class ELU(_Elementwise):
    """y = x for x > 0, alpha·(eˣ − 1) below."""

    def __init__(self, alpha=1.0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.alpha = float(alpha)

    def call(self, inputs):
        return activations.elu(inputs, self.alpha)

    def get_config(self):
        return {**self._base_config(), "alpha": self.alpha}


@register
class Softmax(_Elementwise):
    """softmax over ``axis`` (default the last)."""

    node_kwargs = {"mask": None}

    def __init__(self, axis=-1, **kwargs) -> None:
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, inputs, mask=None):
        return activations.softmax(inputs, self.axis)

    def get_config(self):
        return {**self._base_config(), "axis": self.axis}


@register
class PReLU(Layer):
    """y = x for x ≥ 0, alpha·x below, alpha learned per position (shared along ``shared_axes``)."""

    def __init__(self, alpha_initializer="zeros", alpha_regularizer=None, shared_axes=None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        if shared_axes is not None and not isinstance(shared_axes, (list, tuple)):
            shared_axes = [shared_axes]
        self.shared_axes = None if shared_axes is None else list(shared_axes)

    def build(self, input_shape):
        shape = list(input_shape[1:])
        for axis in self.shared_axes or []:
            shape[axis - 1] = 1
        if any(s is None for s in shape):
            raise ConfigError(f"PReLU {self.name!r}: unknown dimensions in {tuple(input_shape)}; share them with "
                              "shared_axes")
        self.alpha = Parameter(np.zeros(shape, dtype=self.np_dtype))
        init_param(self.alpha, self.alpha_initializer, shape)
        self._add_weight("alpha", lambda: self.alpha)
        self.built = True

    def call(self, inputs):
        return where(inputs >= 0, inputs, inputs * self.alpha)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**self._base_config(),
                "alpha_initializer": initializers.serialize_initializer(self.alpha_initializer),
                "alpha_regularizer": regularizers.serialize_regularizer(self.alpha_regularizer),
                "alpha_constraint": None, "shared_axes": self.shared_axes}
