"""Dropout as functions: ``dropout``, ``dropout1d``, ``dropout2d``, ``dropout3d``, ``alpha_dropout``.

Inverted dropout (PyTorch's and Keras's convention): in training each element (or each
whole channel, for the ``*d`` variants) is kept with probability 1 − p and scaled by
1/(1 − p), so the expected output equals the input and evaluation is the identity:

    y = x · m / (1 − p),    m ~ Bernoulli(1 − p),    dy/dx = m / (1 − p)

p = 0 returns the input unchanged; p = 1 zeroes everything (gradient 0), as PyTorch.
``training=False`` returns the input itself. The mask comes from ``generator`` (or the
default generator that ``chalkgrad.manual_seed`` resets), so a seed reproduces it.
"""

from __future__ import annotations

import warnings

import numpy as np

from ...autograd.function import Function
from ...errors import ConfigError, ShapeError
from ...random import get_generator
from ...tensor import Tensor

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout"]

# SELU's constants: alpha' = -λ·α is the value SELU saturates to for very negative inputs.
_SELU_ALPHA_PRIME = -1.0507009873554804934193349852946 * 1.6732632423543772848170429916717


class _MaskMul(Function):
    """y = x·M + c with a fixed array M (the scaled mask) and constant c;   dy/dx = M"""

    def forward(self, x):
        y = x * self.mask
        if self.shift is not None:
            y = y + self.shift
        return y.astype(x.dtype, copy=False)

    def backward(self, g):
        return g * Tensor._wrap(self.mask)


def _check_p(op: str, p) -> float:
    try:
        p = float(p)
    except (TypeError, ValueError):
        raise ConfigError(f"{op}: dropout probability p must be a number in [0, 1], got {p!r}") from None
    if not 0.0 <= p <= 1.0:
        raise ConfigError(f"{op}: dropout probability has to be between 0 and 1, but got {p}")
    return p


def _tensor(x, op: str) -> Tensor:
    if not isinstance(x, Tensor):
        x = Tensor(np.asarray(x))
    if x.dtype.kind != "f":
        raise ShapeError(f"{op}: expected a floating-point input, got dtype {x.dtype}")
    return x


def _keep_mask(op, x, p, mask_shape, generator):
    """The scaled mask m/(1 − p) in x's dtype, of ``mask_shape`` (broadcastable to x)."""
    dtype = x.dtype
    if p == 1.0:
        return np.zeros(mask_shape, dtype=dtype)
    rng = get_generator(generator)
    keep = rng.random(mask_shape, dtype=np.float32 if dtype == np.float32 else np.float64) >= p
    return keep.astype(dtype) * dtype.type(1.0 / (1.0 - p))


def _apply(op, x, p, training, generator, mask_shape_fn):
    p = _check_p(op, p)
    x = _tensor(x, op)
    if not training or p == 0.0:
        return x
    mask = _keep_mask(op, x, p, mask_shape_fn(x.shape), generator)
    return _MaskMul.apply(x, mask=mask, shift=None)


def dropout(input, p: float = 0.5, training: bool = True, inplace: bool = False, generator=None):  # noqa: A002
    """Zero each element with probability p and scale the rest by 1/(1 − p) (in training only).

    ``inplace`` is accepted for PyTorch compatibility; the result is always a new tensor.
    """
    return _apply("dropout", input, p, training, generator, lambda s: s)


def _feature(op: str, dims: int):
    """Channel-wise dropout for inputs (N, C, *spatial) or unbatched (C, *spatial), ``dims`` spatial dims."""

    spatial = {1: "L", 2: "H, W", 3: "D, H, W"}[dims]

    def mask_shape(shape):
        if len(shape) not in (dims + 1, dims + 2):
            raise ShapeError(f"{op}: expected a {dims + 1}-D (C, {spatial}) or {dims + 2}-D (N, C, {spatial}) "
                             f"input, got shape {tuple(shape)}")
        lead = 2 if len(shape) == dims + 2 else 1
        return tuple(shape[:lead]) + (1,) * (len(shape) - lead)

    return mask_shape


def dropout1d(input, p: float = 0.5, training: bool = True, inplace: bool = False, generator=None):  # noqa: A002
    """Zero whole channels of (N, C, L) or (C, L) inputs with probability p; scale the kept ones by 1/(1 − p)."""
    return _apply("dropout1d", input, p, training, generator, _feature("dropout1d", 1))


def dropout2d(input, p: float = 0.5, training: bool = True, inplace: bool = False, generator=None):  # noqa: A002
    """Zero whole channels (feature maps) of (N, C, H, W) or (C, H, W) inputs with probability p.

    As PyTorch, a 3-D input is read as (N, C, L) (channel-wise 1-D dropout) with a warning.
    """
    x = input
    if isinstance(x, (Tensor, np.ndarray)) and x.ndim == 3:
        warnings.warn("dropout2d: received a 3-D input; treating it as (N, C, L) and dropping whole channels "
                      "(use dropout1d for this, or pass a 4-D (N, C, H, W) input)", UserWarning, stacklevel=2)
        return _apply("dropout2d", x, p, training, generator, _feature("dropout2d", 1))
    return _apply("dropout2d", x, p, training, generator, _feature("dropout2d", 2))


def dropout3d(input, p: float = 0.5, training: bool = True, inplace: bool = False, generator=None):  # noqa: A002
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) inputs with probability p."""
    return _apply("dropout3d", input, p, training, generator, _feature("dropout3d", 3))


def _alpha(op, input, p, training, generator, mask_shape_fn):  # noqa: A002
    p = _check_p(op, p)
    x = _tensor(input, op)
    if not training or p == 0.0:
        return x
    dtype = x.dtype
    if p == 1.0:  # PyTorch: the output is all zeros
        return _MaskMul.apply(x, mask=np.zeros((1,) * x.ndim, dtype=dtype), shift=None)
    ap = _SELU_ALPHA_PRIME
    a = (1.0 - p) * (1.0 + p * ap * ap)
    a = a ** -0.5
    b = -a * ap * p
    rng = get_generator(generator)
    keep = rng.random(mask_shape_fn(x.shape)) >= p
    mask = (keep * a).astype(dtype)
    shift = (a * ap * (~keep) + b).astype(dtype)
    return _MaskMul.apply(x, mask=mask, shift=shift)


def alpha_dropout(input, p: float = 0.5, training: bool = False, inplace: bool = False,  # noqa: A002
                  generator=None):
    """Dropout for SELU networks: keeps mean and variance of a standardized input.

    Dropped elements are set to α' = −λα ≈ −1.7581 (SELU's saturation value), then
    y = a·x̃ + b with a = ((1 − p)(1 + p·α'²))^(−1/2) and b = −a·α'·p; dy/dx = a·m.
    (PyTorch's functional default is ``training=False``; the layer passes its mode.)
    """
    return _alpha("alpha_dropout", input, p, training, generator, lambda s: s)


def feature_alpha_dropout(input, p: float = 0.5, training: bool = False, inplace: bool = False,  # noqa: A002
                          generator=None):
    """Alpha dropout of whole channels (dim 1) of an (N, C, *) input."""
    def mask_shape(shape):
        if len(shape) < 2:
            raise ShapeError(f"feature_alpha_dropout: expected an input (N, C, *), got shape {tuple(shape)}")
        return tuple(shape[:2]) + (1,) * (len(shape) - 2)

    return _alpha("feature_alpha_dropout", input, p, training, generator, mask_shape)
