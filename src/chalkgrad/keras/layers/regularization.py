"""Dropout layers: Dropout(rate) and SpatialDropout1D/2D (whole feature maps), active only in training."""

from __future__ import annotations

from ...errors import ConfigError
from ...nn import functional as F
from ...random import Generator
from .base import Layer, register
from .reshaping import check_data_format

__all__ = ["Dropout", "SpatialDropout1D", "SpatialDropout2D"]


def _rate(layer, rate) -> float:
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
        raise ConfigError(f"{layer}: rate must be a number in [0, 1], got {rate!r}")
    return float(rate)


@register
class Dropout(Layer):
    """Training: zero each value with probability ``rate`` and scale the rest by 1/(1 − rate); inference: y = x."""

    supports_masking = True
    records_build_shape = False
    node_kwargs = {"training": False}

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.rate = _rate("Dropout", rate)
        if noise_shape is not None:
            raise ConfigError("Dropout: noise_shape is not supported; use SpatialDropout1D/2D for whole channels")
        self.noise_shape, self.seed = noise_shape, seed
        self.generator = None if seed is None else Generator(seed)
        self.built = True

    def call(self, inputs, training=None):
        if not self._is_training(training) or self.rate == 0:
            return inputs
        return F.dropout(inputs, self.rate, True, generator=self.generator)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**self._base_config(), "rate": self.rate, "seed": self.seed, "noise_shape": self.noise_shape}


class _SpatialDropout(Dropout):
    _rank = 2

    def __init__(self, rate, seed=None, name=None, dtype=None, data_format=None, **kwargs) -> None:
        super().__init__(rate, seed=seed, name=name, dtype=dtype, **kwargs)
        self.data_format = check_data_format(type(self).__name__, data_format)

    def call(self, inputs, training=None):
        if not self._is_training(training) or self.rate == 0:
            return inputs
        last = self.data_format == "channels_last"
        x = inputs.permute(0, inputs.ndim - 1, *range(1, inputs.ndim - 1)) if last else inputs
        fn = F.dropout2d if self._rank == 2 else F.dropout1d
        y = fn(x, self.rate, True, generator=self.generator)
        return y.permute(0, *range(2, y.ndim), 1) if last else y

    def get_config(self):
        return {"rate": self.rate, "seed": self.seed, "name": self.name, "dtype": self.dtype_name,
                "data_format": self.data_format}


@register
class SpatialDropout2D(_SpatialDropout):
    """Drops whole feature maps of (batch, H, W, C) images (one draw per sample and channel)."""


@register
class SpatialDropout1D(_SpatialDropout):
    """Drops whole channels of (batch, T, C) sequences."""

    _rank = 1

    def __init__(self, rate, seed=None, name=None, dtype=None, **kwargs) -> None:
        super().__init__(rate, seed=seed, name=name, dtype=dtype, data_format="channels_last", **kwargs)

    def get_config(self):
        return {"rate": self.rate, "seed": self.seed, "name": self.name, "dtype": self.dtype_name}
