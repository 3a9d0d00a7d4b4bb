"""Softmax and log-softmax along one dimension, stable for inputs of any magnitude."""

from __future__ import annotations

import numpy as np

from ..autograd.function import Function
from ..errors import DTypeError
from .shape import normalize_dim


class Softmax(Function):
    """y_i = e^(x_i - m) / Σ_j e^(x_j - m), m = max x;   dx = y ⊙ (g - Σ_j g_j y_j)"""

    def forward(self, x):
        e = np.exp(x - x.max(axis=self.dim, keepdims=True, initial=-np.inf))
        return e / e.sum(axis=self.dim, keepdims=True)

    def backward(self, g):
        y = self.output
        return y * (g - (g * y).sum(self.dim, keepdim=True))


class LogSoftmax(Function):
    """y_i = x_i - m - log Σ_j e^(x_j - m);   dx = g - softmax(x)·Σ_j g_j"""

    def forward(self, x):
        shifted = x - x.max(axis=self.dim, keepdims=True, initial=-np.inf)
        return shifted - np.log(np.exp(shifted).sum(axis=self.dim, keepdims=True))

    def backward(self, g):
        return g - self.output.exp() * g.sum(self.dim, keepdim=True)


def _dim(x, dim, op):
    if x.dtype.kind != "f":
        raise DTypeError(f"{op}: expected a floating-point tensor, got dtype {x.dtype}")
    return normalize_dim(dim, x.ndim, op)


def softmax(x, dim=-1):
    """Softmax along ``dim`` (the last one by default): probabilities summing to 1."""
    return Softmax.apply(x, dim=_dim(x, dim, "softmax"))


def log_softmax(x, dim=-1):
    """log(softmax(x)) along ``dim``, computed without forming the probabilities."""
    return LogSoftmax.apply(x, dim=_dim(x, dim, "log_softmax"))
