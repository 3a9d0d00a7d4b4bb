"""Pooling: Max/AveragePooling1D/2D (valid or TensorFlow 'same') and the global pools, channels_last by default.

'same' pads as the convolutions (asymmetric, extra at the end); max pooling pads with −∞ and
average pooling divides each window by the number of real (unpadded) values in it, as Keras.
"""

from __future__ import annotations

import numpy as np

from ...errors import ConfigError, ShapeError
from ...nn import functional as F
from ...ops.shape import pad
from ...tensor import Tensor
from .base import Layer, register
from .conv import conv_out_len, ntuple, same_pads, to_channels_first, to_channels_last
from .reshaping import check_data_format

__all__ = ["MaxPooling1D", "MaxPooling2D", "AveragePooling1D", "AveragePooling2D", "GlobalAveragePooling1D",
           "GlobalAveragePooling2D", "GlobalMaxPooling1D", "GlobalMaxPooling2D", "MaxPool2D", "AvgPool2D",
           "MaxPool1D", "AvgPool1D"]


class _Pool(Layer):
    records_build_shape = False
    rank = 2
    mode = "max"

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs) -> None:
        super().__init__(**kwargs)
        cls = type(self).__name__
        self.pool_size = ntuple(cls, "pool_size", pool_size, self.rank)
        self.strides = self.pool_size if strides is None else ntuple(cls, "strides", strides, self.rank)
        padding = padding.lower() if isinstance(padding, str) else padding
        if padding not in ("valid", "same"):
            raise ConfigError(f"{cls}: padding must be 'valid' or 'same', got {padding!r}")
        self.padding = padding
        self.data_format = check_data_format(cls, data_format)
        self.built = True

    def build(self, input_shape):
        if len(input_shape) != self.rank + 2:
            raise ShapeError(f"{type(self).__name__} {self.name!r}: expected {self.rank + 2}-D inputs "
                             f"({self.data_format}), got {tuple(input_shape)}")
        self.built = True

    def call(self, inputs):
        x = to_channels_first(inputs) if self.data_format == "channels_last" else inputs
        if self.rank == 1:
            x = x.unsqueeze(2)
        k = (1,) * (2 - self.rank) + self.pool_size
        s = (1,) * (2 - self.rank) + self.strides
        if self.padding == "same":
            pads = [(0, 0)] * (2 - self.rank) + [same_pads(n, kk, ss) for n, kk, ss in
                                                  zip(x.shape[4 - self.rank:], self.pool_size, self.strides)]
            flat = (pads[1][0], pads[1][1], pads[0][0], pads[0][1])
            if self.mode == "max":
                y = F.max_pool2d(pad(x, flat, value=-np.inf), k, s)
            else:
                ones = Tensor(np.ones((1, 1) + tuple(x.shape[2:]), dtype=x.dtype))
                y = F.avg_pool2d(pad(x, flat), k, s) / F.avg_pool2d(pad(ones, flat), k, s)
        else:
            y = F.max_pool2d(x, k, s) if self.mode == "max" else F.avg_pool2d(x, k, s)
        if self.rank == 1:
            y = y.squeeze(2)
        return to_channels_last(y) if self.data_format == "channels_last" else y

    def compute_output_shape(self, input_shape):
        spatial = list(input_shape[1:-1]) if self.data_format == "channels_last" else list(input_shape[2:])
        out = [conv_out_len(n, k, s, 1, self.padding) for n, k, s in zip(spatial, self.pool_size, self.strides)]
        if any(n is not None and n < 1 for n in out):
            raise ShapeError(f"{type(self).__name__} {self.name!r}: input {tuple(input_shape)} is smaller than "
                             f"the pool {self.pool_size}")
        if self.data_format == "channels_last":
            return (input_shape[0], *out, input_shape[-1])
        return (input_shape[0], input_shape[1], *out)

    def get_config(self):
        return {**self._base_config(), "pool_size": self.pool_size, "padding": self.padding,
                "strides": self.strides, "data_format": self.data_format}


@register
class MaxPooling2D(_Pool):
    """Max over pool_size windows of (batch, H, W, C) (stride = pool_size by default)."""


@register
class AveragePooling2D(_Pool):
    """Mean over pool_size windows of (batch, H, W, C)."""

    mode = "avg"


@register
class MaxPooling1D(_Pool):
    """Max over windows of (batch, T, C)."""

    rank = 1


@register
class AveragePooling1D(_Pool):
    """Mean over windows of (batch, T, C)."""

    rank = 1
    mode = "avg"


MaxPool2D, AvgPool2D, MaxPool1D, AvgPool1D = MaxPooling2D, AveragePooling2D, MaxPooling1D, AveragePooling1D


class _GlobalPool(Layer):
    records_build_shape = False
    rank = 2
    mode = "avg"

    def __init__(self, data_format=None, keepdims=False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.data_format = check_data_format(type(self).__name__, data_format)
        self.keepdims = bool(keepdims)
        self.built = True

    def _axes(self, ndim):
        return tuple(range(1, ndim - 1)) if self.data_format == "channels_last" else tuple(range(2, ndim))

    def call(self, inputs):
        if inputs.ndim != self.rank + 2:
            raise ShapeError(f"{type(self).__name__} {self.name!r}: expected {self.rank + 2}-D inputs, got "
                             f"{tuple(inputs.shape)}")
        axes = self._axes(inputs.ndim)
        if self.mode == "avg":
            return inputs.mean(axes, keepdim=self.keepdims)
        return inputs.amax(axes, keepdim=self.keepdims)

    def compute_output_shape(self, input_shape):
        axes = self._axes(len(input_shape))
        if self.keepdims:
            return tuple(1 if i in axes else s for i, s in enumerate(input_shape))
        return tuple(s for i, s in enumerate(input_shape) if i not in axes)

    def get_config(self):
        return {**self._base_config(), "data_format": self.data_format, "keepdims": self.keepdims}


@register
class GlobalAveragePooling2D(_GlobalPool):
    """(batch, H, W, C) -> (batch, C): the mean of each feature map."""


@register
class GlobalMaxPooling2D(_GlobalPool):
    """(batch, H, W, C) -> (batch, C): the max of each feature map."""

    mode = "max"


@register
class GlobalAveragePooling1D(_GlobalPool):
    """(batch, T, C) -> (batch, C): the mean over time."""

    node_kwargs = {"mask": None}

    rank = 1


@register
class GlobalMaxPooling1D(_GlobalPool):
    """(batch, T, C) -> (batch, C): the max over time."""

    rank = 1
    mode = "max"
