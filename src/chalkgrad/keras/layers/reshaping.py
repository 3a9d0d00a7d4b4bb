"""Shape layers: Flatten, Reshape, Permute, ZeroPadding2D, UpSampling2D (channels_last by default)."""

from __future__ import annotations

import math

from ...errors import ConfigError, ShapeError
from ...nn import functional as F
from ...ops.shape import pad, reshape
from .base import Layer, register

__all__ = ["Flatten", "Reshape", "Permute", "ZeroPadding2D", "UpSampling2D", "check_data_format"]


def check_data_format(layer, data_format) -> str:
    if data_format is None:
        from ..backend import image_data_format

        return image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ConfigError(f"{layer}: data_format must be 'channels_last' or 'channels_first', got {data_format!r}")
    return data_format


def _prod(dims):
    return None if any(d is None for d in dims) else math.prod(dims)


@register
class Flatten(Layer):
    """(batch, d1, d2, ...) -> (batch, d1·d2·...), in the stored order (channels_first: channels moved last first)."""

    def __init__(self, data_format=None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.data_format = check_data_format("Flatten", data_format)
        self.built = True

    def call(self, inputs):
        x = inputs
        if self.data_format == "channels_first" and x.ndim > 2:
            x = x.permute(0, *range(2, x.ndim), 1)
        return reshape(x, (x.shape[0], -1))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], _prod(input_shape[1:]))

    def get_config(self):
        return {**self._base_config(), "data_format": self.data_format}


@register
class Reshape(Layer):
    """(batch, ...) -> (batch, *target_shape); one entry may be -1."""

    records_build_shape = False

    def __init__(self, target_shape, **kwargs) -> None:
        super().__init__(**kwargs)
        self.target_shape = tuple(int(s) for s in target_shape)
        if sum(s == -1 for s in self.target_shape) > 1:
            raise ConfigError(f"Reshape: at most one -1 in target_shape, got {self.target_shape}")
        self.built = True

    def call(self, inputs):
        return reshape(inputs, (inputs.shape[0],) + self.target_shape)

    def compute_output_shape(self, input_shape):
        n = _prod(input_shape[1:])
        if -1 not in self.target_shape:
            if n is not None and n != math.prod(self.target_shape):
                raise ShapeError(f"Reshape {self.name!r}: cannot reshape {tuple(input_shape)} to "
                                 f"(batch, {', '.join(map(str, self.target_shape))}): {n} values per sample "
                                 f"vs {math.prod(self.target_shape)}")
            return (input_shape[0],) + self.target_shape
        known = math.prod(s for s in self.target_shape if s != -1)
        if n is not None and n % known:
            raise ShapeError(f"Reshape {self.name!r}: cannot reshape {tuple(input_shape)} to {self.target_shape}")
        return (input_shape[0],) + tuple((None if n is None else n // known) if s == -1 else s
                                         for s in self.target_shape)

    def get_config(self):
        return {**self._base_config(), "target_shape": self.target_shape}


@register
class Permute(Layer):
    """Reorders the non-batch axes: ``Permute((2, 1))`` swaps the two axes after the batch (1-based, as Keras)."""

    def __init__(self, dims, **kwargs) -> None:
        super().__init__(**kwargs)
        self.dims = tuple(int(d) for d in dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ConfigError(f"Permute: dims must be a permutation of 1..{len(self.dims)}, got {self.dims}")
        self.built = True

    def call(self, inputs):
        return inputs.permute(0, *self.dims)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def get_config(self):
        return {**self._base_config(), "dims": self.dims}


def _pairs(layer, padding):
    if isinstance(padding, int):
        return ((padding, padding), (padding, padding))
    if len(padding) != 2:
        raise ConfigError(f"{layer}: padding must be an int, 2 ints or 2 pairs of ints, got {padding!r}")
    out = []
    for p in padding:
        out.append((int(p), int(p)) if isinstance(p, int) else (int(p[0]), int(p[1])))
    return tuple(out)


@register
class ZeroPadding2D(Layer):
    """Zeros around images: padding=((top, bottom), (left, right))."""

    def __init__(self, padding=(1, 1), data_format=None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.padding = _pairs("ZeroPadding2D", padding)
        self.data_format = check_data_format("ZeroPadding2D", data_format)
        self.built = True

    def call(self, inputs):
        (t, b), (left, r) = self.padding
        if self.data_format == "channels_last":
            return pad(inputs, (0, 0, left, r, t, b))
        return pad(inputs, (left, r, t, b))

    def compute_output_shape(self, input_shape):
        s = list(input_shape)
        h, w = (1, 2) if self.data_format == "channels_last" else (2, 3)
        for axis, (lo, hi) in zip((h, w), self.padding):
            if s[axis] is not None:
                s[axis] += lo + hi
        return tuple(s)

    def get_config(self):
        return {**self._base_config(), "padding": self.padding, "data_format": self.data_format}


@register
class UpSampling2D(Layer):
    """Repeats rows and columns ``size`` times ('nearest') or interpolates ('bilinear', half-pixel centres)."""

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs) -> None:
        super().__init__(**kwargs)
        self.size = (int(size), int(size)) if isinstance(size, int) else tuple(int(s) for s in size)
        self.data_format = check_data_format("UpSampling2D", data_format)
        if interpolation not in ("nearest", "bilinear"):
            raise ConfigError(f"UpSampling2D: interpolation must be 'nearest' or 'bilinear', got {interpolation!r}")
        self.interpolation = interpolation
        self.built = True

    def call(self, inputs):
        x = inputs.permute(0, 3, 1, 2) if self.data_format == "channels_last" else inputs
        y = F.interpolate(x, scale_factor=self.size, mode=self.interpolation,
                          align_corners=False if self.interpolation == "bilinear" else None)
        return y.permute(0, 2, 3, 1) if self.data_format == "channels_last" else y

    def compute_output_shape(self, input_shape):
        s = list(input_shape)
        h, w = (1, 2) if self.data_format == "channels_last" else (2, 3)
        for axis, k in zip((h, w), self.size):
            if s[axis] is not None:
                s[axis] *= k
        return tuple(s)

    def get_config(self):
        return {**self._base_config(), "size": self.size, "data_format": self.data_format,
                "interpolation": self.interpolation}
