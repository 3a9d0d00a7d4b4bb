"""Helpers around modules and parameters: flattening to one vector and gradient clipping."""

from __future__ import annotations

import math

import numpy as np

from ..errors import NumericalError, ShapeError
from ..tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters", "clip_grad_norm_", "clip_grad_value_"]


def _as_list(parameters) -> list:
    return [parameters] if isinstance(parameters, Tensor) else list(parameters)


def parameters_to_vector(parameters) -> Tensor:
    """All parameters flattened and concatenated into one new 1-D tensor (a copy, no graph)."""
    params = _as_list(parameters)
    if not params:
        return Tensor._wrap(np.zeros(0, dtype=np.float32))
    return Tensor._wrap(np.concatenate([p.data.reshape(-1) for p in params]))


def vector_to_parameters(vec, parameters) -> None:
    """Copy consecutive slices of the 1-D ``vec`` into ``parameters`` (the inverse of parameters_to_vector)."""
    arr = vec.data if isinstance(vec, Tensor) else np.asarray(vec)
    params = _as_list(parameters)
    total = sum(p.numel() for p in params)
    if arr.ndim != 1 or arr.size != total:
        raise ShapeError(f"vector_to_parameters: expected a 1-D vector of {total} values, got shape {arr.shape}")
    start = 0
    for p in params:
        n = p.numel()
        p.data[...] = arr[start:start + n].reshape(p.shape)
        p._version += 1
        start += n


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False) -> Tensor:
    """Scale all gradients together so that their joint norm is at most ``max_norm``; returns the norm before.

    total = (Σ_p ‖g_p‖^q)^(1/q) over every parameter's gradient (q = ``norm_type``; 'inf': the largest |g|);
    each gradient is multiplied by min(1, max_norm / (total + 1e-6)), in place.
    """
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    if not grads:
        return Tensor._wrap(np.array(0.0, dtype=np.float32))
    q = float(norm_type)
    if math.isinf(q):
        total = max(float(np.max(np.abs(g.data))) if g.data.size else 0.0 for g in grads)
    else:
        total = sum(float(np.sum(np.abs(g.data.astype(np.float64)) ** q)) for g in grads) ** (1.0 / q)
    if error_if_nonfinite and not math.isfinite(total):
        raise NumericalError(f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is {total}; "
                             "pass error_if_nonfinite=False to clip anyway")
    coef = min(1.0, max_norm / (total + 1e-6))
    for g in grads:
        np.multiply(g.data, coef, out=g.data, casting="unsafe")
        g._version += 1
    return Tensor._wrap(np.array(total, dtype=grads[0].dtype))


def clip_grad_value_(parameters, clip_value: float) -> None:
    """Clamp every gradient element to [-clip_value, clip_value], in place."""
    c = float(clip_value)
    for p in _as_list(parameters):
        if p.grad is not None:
            np.clip(p.grad.data, -c, c, out=p.grad.data)
            p.grad._version += 1
