"""Fused normalization ops: batch norm in training mode, and normalization over given axes.

Both compute in NumPy in forward and, for a plain ``backward()``, in NumPy in backward
(the closed forms below). When the backward pass is itself recorded
(``create_graph=True``), the same closed forms are evaluated with Tensor operations on
statistics recomputed from the input, so second derivatives are exact.

With x̂ = (x − μ)·σ⁻¹, σ⁻¹ = 1/√(var + ε) (biased variance) over the M values that share
a statistic, and g the incoming gradient:

    dx = σ⁻¹·γ·(g − mean(g) − x̂·mean(g·x̂))   =  (1/M)·γ·σ⁻¹·(M·g − Σg − x̂·Σ(g·x̂))
    dγ = Σ g·x̂,      dβ = Σ g
"""

from __future__ import annotations

import numpy as np

from ..autograd import grad_mode
from ..autograd.function import Function
from ..tensor import Tensor

__all__ = ["BatchNormTrain", "Normalize"]


def _stats_tensors(x: Tensor, axes: tuple, eps: float):
    """x̂ and σ⁻¹ (kept dims) as differentiable Tensor expressions of ``x``."""
    mean = x.mean(axes, keepdim=True)
    xc = x - mean
    invstd = ((xc * xc).mean(axes, keepdim=True) + eps).rsqrt()
    return xc * invstd, invstd


class BatchNormTrain(Function):
    """y = x̂·γ + β with x̂ normalized by the batch statistics of each channel (dim 1).

    Inputs: x of shape (N, C, *), then γ if ``has_weight``, then β if ``has_bias``.
    Params: ``eps``; ``stats`` (a dict) receives the batch ``mean`` and biased ``var``
    (arrays of shape (C,)) for the running-statistics update.
    """

    def forward(self, x, *affine):
        n, c = x.shape[0], x.shape[1]
        x3 = x.reshape(n, c, -1)
        m = x3.shape[0] * x3.shape[2]
        mean = np.einsum("ncl->c", x3) / m
        xc = x3 - mean[:, None]
        var = np.einsum("ncl,ncl->c", xc, xc) / m
        invstd = 1.0 / np.sqrt(var + self.eps)
        xc *= invstd[:, None]  # now x̂
        self.xhat, self.invstd, self.m = xc, invstd, m
        if self.stats is not None:
            self.stats["mean"], self.stats["var"] = mean, var
            self.stats = None
        w = affine[0] if self.has_weight else None
        b = affine[-1] if self.has_bias else None
        y = xc * w[:, None] if w is not None else xc.copy()
        if b is not None:
            y += b[:, None]
        return y.reshape(x.shape)

    def backward(self, g):
        if grad_mode.state.enabled:
            return self._backward_tensors(g)
        x = self.inputs[0]
        shape = x.shape
        n, c = shape[0], shape[1]
        g3 = g.data.reshape(n, c, -1)
        xhat = self.xhat
        sg = np.einsum("ncl->c", g3)
        sgx = np.einsum("ncl,ncl->c", g3, xhat)
        need = self.needs_input_grad
        grads = []
        if need[0]:
            scale = self.invstd
            if self.has_weight:
                scale = scale * self.inputs[1].data
            dx = g3 * scale[:, None]
            dx -= xhat * (scale * sgx / self.m)[:, None]
            dx -= (scale * sg / self.m)[:, None]
            grads.append(Tensor._wrap(dx.reshape(shape).astype(x.dtype, copy=False)))
        else:
            grads.append(None)
        k = 1
        if self.has_weight:
            grads.append(Tensor._wrap(sgx.astype(self.inputs[k].dtype, copy=False)) if need[k] else None)
            k += 1
        if self.has_bias:
            grads.append(Tensor._wrap(sg.astype(self.inputs[k].dtype, copy=False)) if need[k] else None)
        return tuple(grads)

    def _backward_tensors(self, g):
        """The same formulas as Tensor operations (used when create_graph=True)."""
        x = self.inputs[0]
        c = x.shape[1]
        axes = (0,) + tuple(range(2, x.ndim))
        bshape = (1, c) + (1,) * (x.ndim - 2)
        xhat, invstd = _stats_tensors(x, axes, self.eps)
        sg = g.sum(axes, keepdim=True)
        sgx = (g * xhat).sum(axes, keepdim=True)
        need = self.needs_input_grad
        grads = []
        if need[0]:
            scale = invstd * self.inputs[1].reshape(bshape) if self.has_weight else invstd
            grads.append(scale * (g - sg / float(self.m) - xhat * (sgx / float(self.m))))
        else:
            grads.append(None)
        k = 1
        if self.has_weight:
            grads.append(sgx.reshape(c) if need[k] else None)
            k += 1
        if self.has_bias:
            grads.append(sg.reshape(c) if need[k] else None)
        return tuple(grads)


class Normalize(Function):
    """x̂ = (x − mean)/√(var + ε), statistics (biased variance) over ``axes``, kept per other index.

    Used by layer, group and instance norm (their affine part is ordinary broadcasting ops).
    ``stats`` (a dict or None) receives ``mean`` and ``var`` with kept dims.
    """

    def forward(self, x):
        axes = self.axes
        mean = x.mean(axis=axes, keepdims=True)
        xc = x - mean
        var = np.mean(xc * xc, axis=axes, keepdims=True)
        invstd = 1.0 / np.sqrt(var + self.eps)
        xc *= invstd
        self.invstd = invstd
        if self.stats is not None:
            self.stats["mean"], self.stats["var"] = mean, var
            self.stats = None
        return xc

    def backward(self, g):
        axes = self.axes
        if grad_mode.state.enabled:
            xhat, invstd = _stats_tensors(self.inputs[0], axes, self.eps)
            return invstd * (g - g.mean(axes, keepdim=True) - xhat * (g * xhat).mean(axes, keepdim=True))
        xhat = self.output.data
        gd = g.data
        dx = gd - gd.mean(axis=axes, keepdims=True)
        dx -= xhat * np.mean(gd * xhat, axis=axes, keepdims=True)
        dx *= self.invstd
        return Tensor._wrap(dx.astype(self.inputs[0].dtype, copy=False))
