"""Normalization functions with PyTorch's signatures: batch, layer, group, instance and local response norm.

All normalize with the biased variance: x̂ = (x − mean)/√(var + ε), then y = γ·x̂ + β.
Running statistics (batch and instance norm) are updated in place with the unbiased
variance: r ← (1 − momentum)·r + momentum·batch_statistic.
"""

from __future__ import annotations

import math

import numpy as np

from ...errors import ConfigError, DTypeError, ShapeError
from ...ops.norm import BatchNormTrain, ChannelAffine, Normalize
from ...ops.shape import pad, reshape
from ...tensor import Tensor

__all__ = ["batch_norm", "layer_norm", "group_norm", "instance_norm", "local_response_norm"]


def _check_param(op: str, name: str, t, c: int, x) -> None:
    if t is not None and tuple(t.shape) != (c,):
        raise ShapeError(f"{op}: {name} must have shape ({c},) to match the {c} channels of the input "
                         f"of shape {tuple(x.shape)} (dim 1), got shape {tuple(t.shape)}")


def _same_dtype(op: str, x, **params) -> None:
    """The input and the given parameters or statistics share one dtype (PyTorch refuses "mixed dtype")."""
    for name, t in params.items():
        if t is not None and t.dtype != x.dtype:
            raise DTypeError(f"{op}: {name} has dtype {t.dtype} but the input has dtype {x.dtype}; expected one "
                             f"dtype: convert one of them with .to()")


def _update_running(running: Tensor, value: np.ndarray, momentum: float) -> None:
    """running ← (1 − momentum)·running + momentum·value, in place (no graph)."""
    d = running.data
    d *= 1.0 - momentum
    d += (momentum * value).astype(d.dtype, copy=False)
    running._version += 1


def _check_training_size(op: str, x) -> None:
    per_channel = x.shape[0] * math.prod(x.shape[2:])
    if per_channel == 1:
        raise ShapeError(f"{op}: Expected more than 1 value per channel when training, got input size "
                         f"{tuple(x.shape)} (a batch of 1 has no variance: use a larger batch or eval mode)")


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,  # noqa: A002
               momentum=0.1, eps=1e-5):
    """Batch normalization over dim 1 of an input (N, C, *).

    training: statistics of the batch, per channel, over N and the spatial dims (biased variance
    normalizes; ``running_mean``/``running_var``, when given, are updated in place with the mean
    and the unbiased variance, weighted by ``momentum``). Otherwise y = (x − running_mean)/√(running_var + ε)·γ + β.
    """
    op = "batch_norm"
    if input.ndim < 2:
        raise ShapeError(f"{op}: expected an input of shape (N, C, *) with at least 2 dimensions, "
                         f"got shape {tuple(input.shape)}")
    c = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                    ("bias", bias)):
        _check_param(op, name, t, c, input)
    _same_dtype(op, input, running_mean=running_mean, running_var=running_var, weight=weight, bias=bias)
    if not training and (running_mean is None or running_var is None):
        raise ConfigError(f"{op}: running_mean and running_var must be given in evaluation mode (training=False)")
    if training:
        _check_training_size(op, input)
        stats = {} if running_mean is not None or running_var is not None else None
        args = [input] + [t for t in (weight, bias) if t is not None]
        out = BatchNormTrain.apply(*args, eps=float(eps), stats=stats, has_weight=weight is not None,
                                   has_bias=bias is not None)
        if stats is not None:
            m = input.shape[0] * math.prod(input.shape[2:])
            if running_mean is not None:
                _update_running(running_mean, stats["mean"], momentum)
            if running_var is not None:
                _update_running(running_var, stats["var"] * (m / (m - 1)), momentum)
        return out
    # y = x·a + b with a = γ/√(running_var + ε), b = β − running_mean·a: one fused pass
    inv = 1.0 / np.sqrt(running_var.data.astype(input.dtype, copy=False) + eps)
    scale = Tensor._wrap(inv.astype(input.dtype, copy=False))
    if weight is not None:
        scale = weight * scale
    rm = Tensor._wrap(running_mean.data.astype(input.dtype, copy=False))
    shift = rm * scale
    shift = bias - shift if bias is not None else -shift
    return ChannelAffine.apply(input, scale, shift)


def _affine(y, weight, bias, shape):
    if weight is not None:
        y = y * (reshape(weight, shape) if weight.shape != shape else weight)
    if bias is not None:
        y = y + (reshape(bias, shape) if bias.shape != shape else bias)
    return y


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):  # noqa: A002
    """Normalize over the last ``len(normalized_shape)`` dims (which must equal ``normalized_shape``)."""
    shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) else tuple(normalized_shape)
    shape = tuple(int(s) for s in shape)
    k = len(shape)
    if k == 0 or input.ndim < k or tuple(input.shape[input.ndim - k:]) != shape:
        raise ShapeError(f"layer_norm: input of shape {tuple(input.shape)} must end in normalized_shape {shape}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != shape:
            raise ShapeError(f"layer_norm: {name} must have shape normalized_shape {shape}, got {tuple(t.shape)}")
    _same_dtype("layer_norm", input, weight=weight, bias=bias)
    axes = tuple(range(input.ndim - k, input.ndim))
    affine = [t for t in (weight, bias) if t is not None]
    return Normalize.apply(input, *affine, axes=axes, eps=float(eps), stats=None, has_weight=weight is not None,
                           has_bias=bias is not None)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):  # noqa: A002
    """Split the C channels into ``num_groups`` groups; normalize each (sample, group) over its channels
    and spatial positions; then a per-channel affine γ, β."""
    if input.ndim < 2:
        raise ShapeError(f"group_norm: expected an input of shape (N, C, *), got shape {tuple(input.shape)}")
    n, c = input.shape[0], input.shape[1]
    if num_groups <= 0 or c % num_groups:
        raise ConfigError(f"group_norm: the {c} channels of the input of shape {tuple(input.shape)} cannot be "
                          f"split into num_groups={num_groups} equal groups")
    for name, t in (("weight", weight), ("bias", bias)):
        _check_param("group_norm", name, t, c, input)
    _same_dtype("group_norm", input, weight=weight, bias=bias)
    grouped = reshape(input, (n, num_groups, -1))
    y = reshape(Normalize.apply(grouped, axes=(2,), eps=float(eps), stats=None), input.shape)
    return _affine(y, weight, bias, (1, c) + (1,) * (input.ndim - 2))


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,  # noqa: A002
                  use_input_stats=True, momentum=0.1, eps=1e-5):
    """Normalize each (sample, channel) over its spatial positions (input (N, C, *spatial)).

    With ``use_input_stats`` the running statistics, when given, are updated with the batch average
    of the per-instance means and unbiased variances; otherwise they are used to normalize.
    """
    op = "instance_norm"
    if input.ndim < 3:
        raise ShapeError(f"{op}: expected an input of shape (N, C, *spatial) with at least 3 dimensions, "
                         f"got shape {tuple(input.shape)}")
    c = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                    ("bias", bias)):
        _check_param(op, name, t, c, input)
    _same_dtype(op, input, weight=weight, bias=bias)  # (running statistics of another float dtype are fine)
    bshape = (1, c) + (1,) * (input.ndim - 2)
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise ConfigError(f"{op}: running_mean and running_var are needed when use_input_stats=False")
        mean, var = (Tensor._wrap(t.data.astype(input.dtype, copy=False)) for t in (running_mean, running_var))
        return batch_norm(input, mean, var, weight, bias, False, momentum, eps)
    spatial = math.prod(input.shape[2:])
    if spatial == 1:
        raise ShapeError(f"{op}: Expected more than 1 spatial element when training, got input size "
                         f"{tuple(input.shape)}")
    track = running_mean is not None or running_var is not None
    stats = {} if track else None
    axes = tuple(range(2, input.ndim))
    y = Normalize.apply(input, axes=axes, eps=float(eps), stats=stats)
    if track:
        mean = stats["mean"].reshape(input.shape[0], c).mean(axis=0)
        var = (stats["var"] * (spatial / (spatial - 1))).reshape(input.shape[0], c).mean(axis=0)
        if running_mean is not None:
            _update_running(running_mean, mean, momentum)
        if running_var is not None:
            _update_running(running_var, var, momentum)
    return _affine(y, weight, bias, bshape)


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):  # noqa: A002
    """y_c = x_c / (k + α/n·Σ_{c' in window} x_{c'}²)^β, the window being n = ``size`` neighbouring
    channels centred on c (zero-padded: size//2 before, (size−1)//2 after)."""
    if input.ndim < 3:
        raise ShapeError(f"local_response_norm: expected an input of shape (N, C, *) with at least 3 "
                         f"dimensions, got shape {tuple(input.shape)}")
    if size < 1:
        raise ConfigError(f"local_response_norm: size must be a positive integer, got {size}")
    c = input.shape[1]
    sq = input * input
    widths = [0, 0] * (input.ndim - 2) + [size // 2, (size - 1) // 2]
    padded = pad(sq, tuple(widths))
    total = padded[:, 0:c]
    for i in range(1, size):
        total = total + padded[:, i:i + c]
    div = (total * (alpha / size) + k) ** beta
    return input / div
