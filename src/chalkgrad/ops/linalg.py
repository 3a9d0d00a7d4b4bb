"""Matrix products: ``matmul`` (with NumPy/PyTorch batching rules) and the fused ``linear``."""

from __future__ import annotations

import numpy as np

from ..autograd.function import Function
from ..errors import DTypeError, ShapeError
from ..tensor import Tensor, as_tensor_like
from .shape import reshape, sum_to


class MatMul(Function):
    """C = A @ B (both at least 2-D, batch dims broadcast);   dA = G @ Bᵀ,  dB = Aᵀ @ G"""

    def forward(self, a, b):
        return np.matmul(a, b)

    def backward(self, g):
        a, b = self.inputs
        ga = sum_to(g @ b.mT, a.shape) if self.needs_input_grad[0] else None
        gb = sum_to(a.mT @ g, b.shape) if self.needs_input_grad[1] else None
        return ga, gb


class Linear(Function):
    """y = x Wᵀ + b;   dx = G W,  dW = Gᵀ x (summed over the batch),  db = Σ_batch G"""

    def forward(self, x, w, b=None):
        if x.ndim > 2:  # one 2-D GEMM: NumPy would loop over the leading dims of a 3-D @ 2-D product
            y = (x.reshape(-1, x.shape[-1]) @ w.T).reshape(x.shape[:-1] + (w.shape[0],))
        else:
            y = x @ w.T
        if b is not None:
            y += b
        return y

    def backward(self, g):
        x, w = self.inputs[0], self.inputs[1]
        need = self.needs_input_grad
        g2 = reshape(g, (-1, g.shape[-1])) if g.ndim != 2 else g
        gx = None
        if need[0]:
            gx = g @ w if g.ndim <= 2 else reshape(g2 @ w, x.shape)
        gw = g2.T @ (reshape(x, (-1, x.shape[-1])) if x.ndim != 2 else x) if need[1] else None
        gb = g2.sum(0) if len(need) > 2 and need[2] else None
        return gx, gw, gb


def _as_tensor(x, other):
    """Tensors pass; a NumPy array takes ``other``'s float dtype if both are floating; lists become tensors."""
    if isinstance(x, Tensor):
        return x
    return as_tensor_like(x, other) if isinstance(x, np.ndarray) else Tensor(x)


def check_same_dtype(op: str, a: Tensor, b: Tensor, names=("operands",)) -> None:
    """Matrix products take operands of one dtype, as in PyTorch (no promotion)."""
    if a.dtype != b.dtype:
        raise DTypeError(f"{op}: {names[0]} have dtypes {a.dtype} and {b.dtype}; expected the same dtype "
                         f"(PyTorch does not promote in matrix products): convert one with .to({b.dtype}) "
                         f"or .to({a.dtype})")
    if a.dtype.kind == "b":
        raise DTypeError(f"{op}: bool operands are not supported (as in PyTorch); convert them with .long() "
                         "or .float() first")


def matmul(a, b):
    """Matrix product with PyTorch's rules: 1-D operands are promoted and the added dim removed."""
    a, b = _as_tensor(a, b), _as_tensor(b, a)
    check_same_dtype("matmul", a, b)
    if a.ndim == 0 or b.ndim == 0:
        raise ShapeError(f"matmul: both operands need at least 1 dimension, got shapes {a.shape} and {b.shape}")
    ka = a.shape[-1]
    kb = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if ka != kb:
        raise ShapeError(f"matmul: cannot multiply shapes {a.shape} and {b.shape}: "
                         f"inner dimensions {ka} and {kb} differ")
    if a.ndim >= 2 and b.ndim >= 2:
        try:
            np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        except ValueError:
            raise ShapeError(f"matmul: batch dimensions of {a.shape} and {b.shape} do not broadcast") from None
        return MatMul.apply(a, b)
    a2 = reshape(a, (1, ka)) if a.ndim == 1 else a
    b2 = reshape(b, (kb, 1)) if b.ndim == 1 else b
    out = MatMul.apply(a2, b2)
    if a.ndim == 1:
        out = reshape(out, out.shape[:-2] + out.shape[-1:])
    if b.ndim == 1:
        out = reshape(out, out.shape[:-1])
    return out


def mm(a, b):
    if a.ndim != 2 or b.ndim != 2:
        raise ShapeError(f"mm: expected two 2-D tensors, got shapes {a.shape} and {b.shape}")
    return matmul(a, b)


def dot(a, b):
    if a.ndim != 1 or b.ndim != 1:
        raise ShapeError(f"dot: expected two 1-D tensors, got shapes {a.shape} and {b.shape}")
    return matmul(a, b)


def linear(x, weight, bias=None):
    """y = x Wᵀ + b with ``weight`` of shape (out_features, in_features)."""
    if weight.ndim != 2:
        raise ShapeError(f"linear: weight must be 2-D (out_features, in_features), got shape {weight.shape}")
    if x.ndim == 0 or x.shape[-1] != weight.shape[1]:
        raise ShapeError(f"linear: input of shape {x.shape} has {x.shape[-1] if x.ndim else 0} features "
                         f"in its last dimension, expected in_features={weight.shape[1]}")
    check_same_dtype("linear", x, weight, ("input and weight",))
    if bias is not None:
        check_same_dtype("linear", x, bias, ("input and bias",))
        if bias.shape != (weight.shape[0],):
            raise ShapeError(f"linear: bias must have shape ({weight.shape[0]},), got {bias.shape}")
        return Linear.apply(x, weight, bias)
    return Linear.apply(x, weight)
