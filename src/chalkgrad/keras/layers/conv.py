"""Convolutions: Conv1D, Conv2D, Conv2DTranspose, DepthwiseConv2D, SeparableConv2D.

Layout: convert at the boundary. The layers hold ``nn.Conv1d/Conv2d/ConvTranspose2d`` (NCHW,
weights (out, in, kh, kw)); with ``data_format='channels_last'`` (the default) the input is
permuted NHWC -> NCHW before the convolution and the output back (both are views; see
docs/architecture.md for the measured cost). Keras's kernels are views of the same weights:
Conv2D (kh, kw, in, out), Conv1D (k, in, out), Conv2DTranspose (kh, kw, out, in),
DepthwiseConv2D (kh, kw, in, depth_multiplier), SeparableConv2D depthwise (kh, kw, in, m) and
pointwise (1, 1, in·m, filters).

``padding='same'`` follows TensorFlow: output length ⌈L/s⌉ and
pad_total = max((⌈L/s⌉ − 1)·s + k_eff − L, 0) with k_eff = (k − 1)·d + 1, pad_total//2 at the
start and the rest at the end (asymmetric when odd, so stride-2 layers match Keras exactly).
Conv1D also takes ``padding='causal'`` (k_eff − 1 zeros at the start).
"""

from __future__ import annotations

import math

import numpy as np

from ... import nn
from ...errors import ConfigError, ShapeError
from ...ops.conv import out_len
from ...ops.shape import pad
from .. import initializers, regularizers
from .base import Layer, register
from .core import ActivationMixin, init_param
from .reshaping import check_data_format

__all__ = ["Conv1D", "Conv2D", "Conv2DTranspose", "DepthwiseConv2D", "SeparableConv2D", "same_pads",
           "conv_out_len", "to_channels_first", "to_channels_last", "ntuple"]


def ntuple(layer, arg, value, n) -> tuple:
    if isinstance(value, (int, np.integer)):
        return (int(value),) * n
    value = tuple(int(v) for v in value)
    if len(value) != n:
        raise ConfigError(f"{layer}: {arg} must be an int or {n} ints, got {value}")
    return value


def same_pads(length: int, k: int, s: int, d: int = 1) -> tuple[int, int]:
    """TensorFlow's 'same' padding (start, end) for one spatial axis."""
    k_eff = (k - 1) * d + 1
    total = max((math.ceil(length / s) - 1) * s + k_eff - length, 0)
    return total // 2, total - total // 2


def padding_pads(padding: str, length: int, k: int, s: int, d: int = 1) -> tuple[int, int]:
    """The zeros (start, end) a Keras padding mode adds on one axis: 'valid' none, 'same' TensorFlow's
    rule above, 'causal' (k − 1)·d at the start only."""
    if padding == "same":
        return same_pads(length, k, s, d)
    if padding == "causal":
        return (k - 1) * d, 0
    return 0, 0


def conv_out_len(length, k, s, d, padding):
    """Output length of one axis: the convolution's own formula (:func:`chalkgrad.ops.conv.out_len`) over the
    padded axis ('same' gives ⌈L/s⌉ and 'causal' ⌊(L − 1)/s⌋ + 1 as consequences, not as formulas of their own)."""
    if length is None:
        return None
    return out_len(length, *padding_pads(padding, length, k, s, d), k, s, d)


def to_channels_first(x):
    return x.permute(0, x.ndim - 1, *range(1, x.ndim - 1))


def to_channels_last(x):
    return x.permute(0, *range(2, x.ndim), 1)


class _BaseConv(ActivationMixin, Layer):
    """Shared arguments, padding and layout handling of the convolutions."""

    rank = 2

    def __init__(self, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 activation=None, use_bias=True, bias_initializer="zeros", bias_regularizer=None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        cls = type(self).__name__
        self.kernel_size = ntuple(cls, "kernel_size", kernel_size, self.rank)
        self.strides = ntuple(cls, "strides", strides, self.rank)
        self.dilation_rate = ntuple(cls, "dilation_rate", dilation_rate, self.rank)
        padding = padding.lower() if isinstance(padding, str) else padding
        allowed = ("valid", "same", "causal") if self.rank == 1 and cls == "Conv1D" else ("valid", "same")
        if padding not in allowed:
            raise ConfigError(f"{cls}: padding must be one of {', '.join(map(repr, allowed))}, got {padding!r}")
        self.padding = padding
        self.data_format = check_data_format(cls, data_format)
        self._set_activation(activation)
        self.use_bias = bool(use_bias)
        self.bias_initializer = initializers.get(bias_initializer)
        self.bias_regularizer = regularizers.get(bias_regularizer)

    def _channels(self, input_shape) -> int:
        if len(input_shape) != self.rank + 2:
            layout = "(batch, length, channels)" if self.rank == 1 else "(batch, height, width, channels)"
            if self.data_format == "channels_first":
                layout = "(batch, channels, length)" if self.rank == 1 else "(batch, channels, height, width)"
            raise ShapeError(f"{type(self).__name__} {self.name!r}: expected inputs {layout} "
                             f"({self.data_format}), got shape {tuple(input_shape)}")
        c = input_shape[-1] if self.data_format == "channels_last" else input_shape[1]
        if c is None:
            raise ShapeError(f"{type(self).__name__} {self.name!r}: the channel dimension of {tuple(input_shape)} "
                             "must be known")
        return int(c)

    def _spatial(self, shape):
        return list(shape[1:-1]) if self.data_format == "channels_last" else list(shape[2:])

    def _padded_first(self, inputs):
        """Inputs as channels-first, with the asymmetric / causal zeros added."""
        x = to_channels_first(inputs) if self.data_format == "channels_last" else inputs
        if self.padding == "valid":
            return x
        pads = [padding_pads(self.padding, length, k, s, d)
                for length, k, s, d in zip(x.shape[2:], self.kernel_size, self.strides, self.dilation_rate)]
        if any(lo or hi for lo, hi in pads):
            flat = []
            for lo, hi in reversed(pads):  # F.pad order: last axis first
                flat += [lo, hi]
            x = pad(x, tuple(flat))
        return x

    def _out(self, y):
        return to_channels_last(y) if self.data_format == "channels_last" else y

    def compute_output_shape(self, input_shape):
        spatial = [conv_out_len(n, k, s, d, self.padding) for n, k, s, d in
                   zip(self._spatial(input_shape), self.kernel_size, self.strides, self.dilation_rate)]
        for n in spatial:
            if n is not None and n < 1:
                raise ShapeError(f"{type(self).__name__} {self.name!r}: input {tuple(input_shape)} "
                                 f"({self.data_format}) is smaller than the kernel {self.kernel_size} "
                                 f"(output size {n}); check the layout and padding")
        c = self._out_channels()
        if self.data_format == "channels_last":
            return (input_shape[0], *spatial, c)
        return (input_shape[0], c, *spatial)

    def _common_config(self):
        return {"kernel_size": self.kernel_size, "strides": self.strides, "padding": self.padding,
                "data_format": self.data_format, "dilation_rate": self.dilation_rate}

    def _tail_config(self):
        return {"activation": self.activation_name, "use_bias": self.use_bias}


_KERNEL_LAYOUT = {  # torch layout <-> Keras layout, per rank
    1: ((2, 1, 0), (2, 1, 0)),
    2: ((2, 3, 1, 0), (3, 2, 0, 1)),
}


class _Conv(_BaseConv):
    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 groups=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, **kwargs) -> None:
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         bias_initializer, bias_regularizer, **kwargs)
        if isinstance(filters, bool) or not isinstance(filters, (int, np.integer)) or filters < 1:
            raise ConfigError(f"{type(self).__name__}: filters must be a positive integer, got {filters!r}")
        self.filters, self.groups = int(filters), int(groups)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)

    def _out_channels(self):
        return self.filters

    def build(self, input_shape):
        c = self._channels(input_shape)
        if c % self.groups or self.filters % self.groups:
            raise ConfigError(f"{type(self).__name__} {self.name!r}: groups={self.groups} must divide the "
                              f"{c} input channels and the {self.filters} filters")
        cls = nn.Conv1d if self.rank == 1 else nn.Conv2d
        self.conv = cls(c, self.filters, self.kernel_size, stride=self.strides, padding=0,
                        dilation=self.dilation_rate, groups=self.groups, bias=self.use_bias, dtype=self.np_dtype)
        to_k, from_k = _KERNEL_LAYOUT[self.rank]
        keras_shape = (*self.kernel_size, c // self.groups, self.filters)
        init_param(self.conv.weight, self.kernel_initializer, keras_shape, lambda v: v.transpose(from_k))
        self._add_weight("kernel", lambda: self.conv.weight, lambda a: a.transpose(to_k),
                         lambda v: v.transpose(from_k))
        if self.use_bias:
            init_param(self.conv.bias, self.bias_initializer, (self.filters,))
            self._add_weight("bias", lambda: self.conv.bias)
        self.built = True

    def call_without_activation(self, inputs):
        return self._out(self.conv(self._padded_first(inputs)))

    def regularization_losses(self):
        out = [] if self.kernel_regularizer is None else [self.kernel_regularizer(self.conv.weight)]
        if self.use_bias and self.bias_regularizer is not None:
            out.append(self.bias_regularizer(self.conv.bias))
        return out

    def get_config(self):
        return {**self._base_config(), "filters": self.filters, **self._common_config(), "groups": self.groups,
                **self._tail_config(),
                "kernel_initializer": initializers.serialize_initializer(self.kernel_initializer),
                "bias_initializer": initializers.serialize_initializer(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize_regularizer(self.kernel_regularizer),
                "bias_regularizer": regularizers.serialize_regularizer(self.bias_regularizer),
                "activity_regularizer": None, "kernel_constraint": None, "bias_constraint": None}


@register
class Conv2D(_Conv):
    """2-D convolution of (batch, H, W, C) images; kernel (kh, kw, C/groups, filters), bias (filters,)."""


@register
class Conv1D(_Conv):
    """1-D convolution of (batch, T, C) sequences; kernel (k, C/groups, filters), bias (filters,)."""

    rank = 1


@register
class Conv2DTranspose(_BaseConv):
    """Transposed 2-D convolution; kernel (kh, kw, filters, C). Output ⌈L·s⌉ ('same') or (L − 1)·s + k_eff."""

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", output_padding=None,
                 data_format=None, dilation_rate=(1, 1), activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, **kwargs) -> None:
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         bias_initializer, bias_regularizer, **kwargs)
        if output_padding is not None:
            raise ConfigError("Conv2DTranspose: output_padding is not supported (only None)")
        self.filters, self.output_padding = int(filters), None
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)

    def _out_channels(self):
        return self.filters

    def build(self, input_shape):
        c = self._channels(input_shape)
        self.conv = nn.ConvTranspose2d(c, self.filters, self.kernel_size, stride=self.strides, padding=0,
                                       dilation=self.dilation_rate, bias=self.use_bias, dtype=self.np_dtype)
        to_k, from_k = (2, 3, 1, 0), (3, 2, 0, 1)  # torch (in, out, kh, kw) <-> Keras (kh, kw, out, in)
        init_param(self.conv.weight, self.kernel_initializer, (*self.kernel_size, self.filters, c),
                   lambda v: v.transpose(from_k))
        self._add_weight("kernel", lambda: self.conv.weight, lambda a: a.transpose(to_k),
                         lambda v: v.transpose(from_k))
        if self.use_bias:
            init_param(self.conv.bias, self.bias_initializer, (self.filters,))
            self._add_weight("bias", lambda: self.conv.bias)
        self.built = True

    def _lengths(self, n, k, s, d):
        k_eff = (k - 1) * d + 1
        if n is None:
            return None, 0
        if self.padding == "same":
            return n * s, max(k_eff - s, 0) // 2
        return (n - 1) * s + max(k_eff, s), 0

    def call_without_activation(self, inputs):
        x = to_channels_first(inputs) if self.data_format == "channels_last" else inputs
        y = self.conv(x)  # full output (L − 1)·s + k_eff
        h, w = y.shape[2], y.shape[3]
        (oh, th), (ow, tw) = [self._lengths(n, k, s, d) for n, k, s, d in
                              zip(x.shape[2:], self.kernel_size, self.strides, self.dilation_rate)]
        if oh > h or ow > w:  # kernel smaller than the stride: zeros at the end
            y = pad(y, (0, max(ow - w, 0), 0, max(oh - h, 0)))
        y = y[:, :, th:th + oh, tw:tw + ow]
        return self._out(y)

    def compute_output_shape(self, input_shape):
        spatial = [self._lengths(n, k, s, d)[0] for n, k, s, d in
                   zip(self._spatial(input_shape), self.kernel_size, self.strides, self.dilation_rate)]
        if self.data_format == "channels_last":
            return (input_shape[0], *spatial, self.filters)
        return (input_shape[0], self.filters, *spatial)

    def get_config(self):
        common = self._common_config()
        return {**self._base_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "strides": self.strides, "padding": self.padding, "output_padding": None,
                "data_format": self.data_format, "dilation_rate": common["dilation_rate"], **self._tail_config(),
                "kernel_initializer": initializers.serialize_initializer(self.kernel_initializer),
                "bias_initializer": initializers.serialize_initializer(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize_regularizer(self.kernel_regularizer),
                "bias_regularizer": regularizers.serialize_regularizer(self.bias_regularizer),
                "activity_regularizer": None, "kernel_constraint": None, "bias_constraint": None}


def _dw_to_keras(a, c, m):
    """torch depthwise weight (c·m, 1, kh, kw) -> Keras (kh, kw, c, m)."""
    return a.reshape(c, m, *a.shape[2:]).transpose(2, 3, 0, 1)


def _dw_from_keras(v):
    kh, kw, c, m = v.shape
    return v.transpose(2, 3, 0, 1).reshape(c * m, 1, kh, kw)


@register
class DepthwiseConv2D(_BaseConv):
    """One kh×kw filter per input channel (times depth_multiplier); kernel (kh, kw, C, m), bias (C·m,)."""

    def __init__(self, kernel_size, strides=(1, 1), padding="valid", depth_multiplier=1, data_format=None,
                 dilation_rate=(1, 1), activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, bias_regularizer=None, **kwargs) -> None:
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         bias_initializer, bias_regularizer, **kwargs)
        self.depth_multiplier = int(depth_multiplier)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)

    def _out_channels(self):
        return self._in_channels * self.depth_multiplier

    def compute_output_shape(self, input_shape):
        self._in_channels = self._channels(input_shape)
        return super().compute_output_shape(input_shape)

    def build(self, input_shape):
        c = self._in_channels = self._channels(input_shape)
        m = self.depth_multiplier
        self.conv = nn.Conv2d(c, c * m, self.kernel_size, stride=self.strides, padding=0,
                              dilation=self.dilation_rate, groups=c, bias=self.use_bias, dtype=self.np_dtype)
        init_param(self.conv.weight, self.depthwise_initializer, (*self.kernel_size, c, m), _dw_from_keras)
        self._add_weight("kernel", lambda: self.conv.weight, lambda a: _dw_to_keras(a, c, m), _dw_from_keras)
        if self.use_bias:
            init_param(self.conv.bias, self.bias_initializer, (c * m,))
            self._add_weight("bias", lambda: self.conv.bias)
        self.built = True

    def call_without_activation(self, inputs):
        return self._out(self.conv(self._padded_first(inputs)))

    def get_config(self):
        return {**self._base_config(), "depth_multiplier": self.depth_multiplier, **self._common_config(),
                **self._tail_config(),
                "depthwise_initializer": initializers.serialize_initializer(self.depthwise_initializer),
                "bias_initializer": initializers.serialize_initializer(self.bias_initializer),
                "depthwise_regularizer": regularizers.serialize_regularizer(self.depthwise_regularizer),
                "bias_regularizer": regularizers.serialize_regularizer(self.bias_regularizer),
                "activity_regularizer": None, "depthwise_constraint": None, "bias_constraint": None}


@register
class SeparableConv2D(_BaseConv):
    """Depthwise kh×kw convolution (multiplier m) then a 1×1 pointwise one to ``filters`` channels, + bias."""

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, pointwise_regularizer=None,
                 bias_regularizer=None, **kwargs) -> None:
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         bias_initializer, bias_regularizer, **kwargs)
        self.filters, self.depth_multiplier = int(filters), int(depth_multiplier)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)

    def _out_channels(self):
        return self.filters

    def build(self, input_shape):
        c = self._channels(input_shape)
        m = self.depth_multiplier
        self.depthwise = nn.Conv2d(c, c * m, self.kernel_size, stride=self.strides, padding=0,
                                   dilation=self.dilation_rate, groups=c, bias=False, dtype=self.np_dtype)
        self.pointwise = nn.Conv2d(c * m, self.filters, 1, bias=self.use_bias, dtype=self.np_dtype)
        init_param(self.depthwise.weight, self.depthwise_initializer, (*self.kernel_size, c, m), _dw_from_keras)
        to_k, from_k = _KERNEL_LAYOUT[2]
        init_param(self.pointwise.weight, self.pointwise_initializer, (1, 1, c * m, self.filters),
                   lambda v: v.transpose(from_k))
        self._add_weight("depthwise_kernel", lambda: self.depthwise.weight, lambda a: _dw_to_keras(a, c, m),
                         _dw_from_keras)
        self._add_weight("pointwise_kernel", lambda: self.pointwise.weight, lambda a: a.transpose(to_k),
                         lambda v: v.transpose(from_k))
        if self.use_bias:
            init_param(self.pointwise.bias, self.bias_initializer, (self.filters,))
            self._add_weight("bias", lambda: self.pointwise.bias)
        self.built = True

    def call_without_activation(self, inputs):
        return self._out(self.pointwise(self.depthwise(self._padded_first(inputs))))

    def get_config(self):
        return {**self._base_config(), "depth_multiplier": self.depth_multiplier, "filters": self.filters,
                **self._common_config(), **self._tail_config(),
                "depthwise_initializer": initializers.serialize_initializer(self.depthwise_initializer),
                "pointwise_initializer": initializers.serialize_initializer(self.pointwise_initializer),
                "bias_initializer": initializers.serialize_initializer(self.bias_initializer),
                "depthwise_regularizer": regularizers.serialize_regularizer(self.depthwise_regularizer),
                "pointwise_regularizer": regularizers.serialize_regularizer(self.pointwise_regularizer),
                "bias_regularizer": regularizers.serialize_regularizer(self.bias_regularizer),
                "activity_regularizer": None, "depthwise_constraint": None, "pointwise_constraint": None,
                "bias_constraint": None}


