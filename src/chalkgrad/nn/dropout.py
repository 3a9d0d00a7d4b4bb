"""Dropout layers with ``torch.nn``'s names: ``Dropout``, ``Dropout1d/2d/3d``, ``AlphaDropout``.

Active only in training mode (``model.train()``); in eval mode (``model.eval()``) they
are the identity. The formulas are in :mod:`chalkgrad.nn.functional.dropout`:
kept values are scaled by 1/(1 − p) ("inverted dropout"). ``generator=`` (beyond
PyTorch) fixes the source of the masks; by default the global generator is used.
"""

from __future__ import annotations

from . import functional as F
from .functional.dropout import _check_p
from .module import Module

__all__ = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"]


class _DropoutNd(Module):
    _fn = staticmethod(F.dropout)

    def __init__(self, p: float = 0.5, inplace: bool = False, generator=None) -> None:
        super().__init__()
        self.p = _check_p(type(self).__name__, p)
        self.inplace = inplace
        self.generator = generator

    def forward(self, input):  # noqa: A002 - the PyTorch name
        return self._fn(input, self.p, self.training, generator=self.generator)

    def output_shape(self, input_shape):
        return tuple(input_shape)

    def macs(self, input_shape):
        return 0

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """y = x·m/(1 − p) with m ~ Bernoulli(1 − p) per element in training; y = x in eval."""


class Dropout1d(_DropoutNd):
    """Zero whole channels of (N, C, L) inputs with probability p (training only)."""

    _fn = staticmethod(F.dropout1d)


class Dropout2d(_DropoutNd):
    """Zero whole feature maps of (N, C, H, W) inputs with probability p (training only)."""

    _fn = staticmethod(F.dropout2d)


class Dropout3d(_DropoutNd):
    """Zero whole channels of (N, C, D, H, W) inputs with probability p (training only)."""

    _fn = staticmethod(F.dropout3d)


class AlphaDropout(_DropoutNd):
    """Dropout that keeps a SELU network self-normalizing (mean 0, variance 1 preserved)."""

    _fn = staticmethod(F.alpha_dropout)


class FeatureAlphaDropout(_DropoutNd):
    """Alpha dropout of whole channels."""

    _fn = staticmethod(F.feature_alpha_dropout)
