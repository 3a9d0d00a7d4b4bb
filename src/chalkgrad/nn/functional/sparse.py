"""Embedding lookup as a function: ``embedding`` (``chalkgrad.nn.functional.embedding``).

    out[..., :] = weight[input[...], :]

The gradient of the table is a scatter-add: row v receives the sum of the output
gradients at every position where input == v (repeated indices add up)::

    dweight[v] = Σ_{p : input[p] = v} dout[p]

``padding_idx`` rows receive no gradient; ``scale_grad_by_freq`` divides each row's
gradient by how often its index occurs in ``input``; ``max_norm`` first rescales, in
place, every referenced row whose ``norm_type``-norm exceeds it to norm max_norm (as torch).
"""

from __future__ import annotations

import numpy as np

from ...autograd.function import Function
from ...errors import ConfigError, DTypeError, IndexOutOfRangeError, ShapeError
from ...tensor import Tensor

__all__ = ["embedding"]


class EmbeddingLookup(Function):
    """y = weight[idx];   dweight = scatter-add of g at idx (zero at padding_idx, / count if scaled)"""

    def forward(self, weight):
        return weight[self.idx]

    def backward(self, g):
        return EmbeddingGrad.apply(g, idx=self.idx, num=self.inputs[0].shape[0], padding_idx=self.padding_idx,
                                   scale=self.scale)


class EmbeddingGrad(Function):
    """dW = zeros(num, dim) with row idx[p] += g[p] · s[p];   its backward reads dW back at idx (times s)"""

    def forward(self, g):
        flat = self.idx.reshape(-1)
        rows = g.reshape(-1, g.shape[-1])
        w = self._weights(flat, g.dtype)
        if w is not None:
            rows = rows * w[:, None]
        out = np.zeros((self.num, g.shape[-1]), dtype=g.dtype)
        np.add.at(out, flat, rows)
        return out

    def _weights(self, flat, dtype):
        w = None
        if self.scale:
            counts = np.bincount(flat, minlength=self.num)
            w = (1.0 / counts[flat]).astype(dtype)
        if self.padding_idx is not None:
            keep = (flat != self.padding_idx).astype(dtype)
            w = keep if w is None else w * keep
        return w

    def backward(self, gg):
        out = EmbeddingLookup.apply(gg, idx=self.idx, padding_idx=None, scale=False)
        w = self._weights(self.idx.reshape(-1), gg.dtype)
        if w is not None:
            out = out * Tensor._wrap(w.reshape(self.idx.shape + (1,)))
        return out


def _indices(input, num: int, where: str) -> np.ndarray:
    arr = input.data if isinstance(input, Tensor) else np.asarray(input)
    if arr.dtype.kind not in "iu":
        raise DTypeError(f"{where}: indices must be integers (int64), got dtype {arr.dtype}; convert them with "
                         ".long()")
    if arr.size:
        lo, hi = arr.min(), arr.max()
        if lo < 0 or hi >= num:
            bad = int(lo) if lo < 0 else int(hi)
            raise IndexOutOfRangeError(f"{where}: index {bad} is out of range for a vocabulary of {num} "
                                       f"embeddings (valid indices are 0..{num - 1})")
    return arr.astype(np.intp, copy=False)


def _renorm(weight, idx: np.ndarray, max_norm: float, norm_type: float) -> None:
    """Rescale in place (without gradient) the rows used by ``idx`` whose norm exceeds ``max_norm``."""
    rows = np.unique(idx)
    w = weight.data
    norms = np.linalg.norm(w[rows].astype(np.float64), ord=norm_type, axis=1)
    big = norms > max_norm
    if big.any():
        w[rows[big]] *= (max_norm / (norms[big] + 1e-7))[:, None].astype(w.dtype)
        weight._version += 1


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False, *, _where: str = "embedding"):
    """Rows of ``weight`` (num_embeddings, dim) picked by the integer ``input`` (any shape): (*input.shape, dim)."""
    if not isinstance(weight, Tensor) or weight.ndim != 2:
        shape = tuple(weight.shape) if hasattr(weight, "shape") else type(weight).__name__
        raise ShapeError(f"{_where}: weight must be a 2-D tensor (num_embeddings, embedding_dim), got {shape}")
    if sparse:
        raise ConfigError(f"{_where}: sparse gradients are not supported (chalkgrad gradients are dense arrays); "
                          "use sparse=False")
    num = weight.shape[0]
    idx = _indices(input, num, _where)
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise IndexOutOfRangeError(f"{_where}: padding_idx {padding_idx} must be within the vocabulary of "
                                       f"{num} embeddings")
        padding_idx = padding_idx % num
    if max_norm is not None and idx.size:
        _renorm(weight, idx, float(max_norm), float(norm_type))
    return EmbeddingLookup.apply(weight, idx=idx, padding_idx=padding_idx, scale=bool(scale_grad_by_freq))
