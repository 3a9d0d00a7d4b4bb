"""``Embedding``: a lookup table of learned vectors (torch.nn.Embedding).

    out[..., :] = weight[input[...], :],   weight: (num_embeddings, embedding_dim)

Initialized N(0, 1) as torch, with the ``padding_idx`` row set to zero; that row gets no
gradient, so it stays zero while training. The table's gradient is a scatter-add over
the indices (repeated indices add up). See :func:`chalkgrad.nn.functional.embedding`.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError, ShapeError
from ..tensor import Tensor
from . import init
from .functional.sparse import embedding
from .module import Module, layer_dtype
from .parameter import Parameter
from .rnn import _check_size

__all__ = ["Embedding"]


class Embedding(Module):
    """Embedding(num_embeddings, embedding_dim, padding_idx=None, max_norm=None, norm_type=2.0,
    scale_grad_by_freq=False, sparse=False, _weight=None, _freeze=False, device=None, dtype=None).

    Input: integer tensor of any shape (*); output (*, embedding_dim). Parameters:
    num_embeddings·embedding_dim. ``max_norm`` renormalizes the looked-up rows in place.
    Errors: float indices (DTypeError); an index outside 0..num_embeddings-1
    (IndexOutOfRangeError naming the layer, the index and the vocabulary size).
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx=None, max_norm=None,
                 norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False, _weight=None,
                 _freeze: bool = False, device=None, dtype=None, *, generator=None) -> None:
        super().__init__()
        self.num_embeddings = _check_size("Embedding", "num_embeddings", num_embeddings)
        self.embedding_dim = _check_size("Embedding", "embedding_dim", embedding_dim)
        if padding_idx is not None:
            if isinstance(padding_idx, bool) or not isinstance(padding_idx, (int, np.integer)) or not (
                    -self.num_embeddings <= padding_idx < self.num_embeddings):
                raise ConfigError(f"Embedding({num_embeddings}, {embedding_dim}): padding_idx must be an integer "
                                  f"within the vocabulary (-{num_embeddings}..{num_embeddings - 1}), got "
                                  f"{padding_idx!r}")
            padding_idx = int(padding_idx) % self.num_embeddings
        if sparse:
            raise ConfigError(f"Embedding({num_embeddings}, {embedding_dim}): sparse gradients are not supported; "
                              "use sparse=False")
        self.padding_idx, self.max_norm, self.norm_type = padding_idx, max_norm, float(norm_type)
        self.scale_grad_by_freq, self.sparse = bool(scale_grad_by_freq), False
        dtype = layer_dtype("Embedding", dtype, device)
        if _weight is None:
            self.weight = Parameter(np.empty((self.num_embeddings, self.embedding_dim), dtype=dtype),
                                    requires_grad=not _freeze)
            self.reset_parameters(generator)
        else:
            arr = _weight.data if isinstance(_weight, Tensor) else np.asarray(_weight)
            if arr.shape != (self.num_embeddings, self.embedding_dim):
                raise ShapeError(f"Embedding({num_embeddings}, {embedding_dim}): _weight has shape {arr.shape}, "
                                 f"expected {(self.num_embeddings, self.embedding_dim)}")
            self.weight = Parameter(np.array(arr, copy=True), requires_grad=not _freeze)

    def reset_parameters(self, generator=None) -> None:
        """weight ~ N(0, 1); the padding_idx row is zero."""
        init.normal_(self.weight, generator=generator)
        if self.padding_idx is not None:
            self.weight.data[self.padding_idx] = 0

    @classmethod
    def from_pretrained(cls, embeddings, freeze: bool = True, padding_idx=None, max_norm=None,
                        norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False):
        """An Embedding holding a copy of ``embeddings`` (2-D); frozen (no gradient) unless ``freeze=False``."""
        arr = embeddings.data if isinstance(embeddings, Tensor) else np.asarray(embeddings)
        if arr.ndim != 2:
            raise ShapeError(f"Embedding.from_pretrained: embeddings must be 2-D (num_embeddings, embedding_dim), "
                             f"got shape {arr.shape}")
        if arr.dtype.kind != "f":
            arr = arr.astype(np.float32)
        return cls(arr.shape[0], arr.shape[1], padding_idx=padding_idx, max_norm=max_norm, norm_type=norm_type,
                   scale_grad_by_freq=scale_grad_by_freq, sparse=sparse, _weight=arr, _freeze=freeze)

    def forward(self, input):
        return embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                         self.scale_grad_by_freq, False, _where=f"Embedding({self.extra_repr()})")

    def output_shape(self, input_shape):
        """(*) -> (*, embedding_dim)."""
        return tuple(input_shape) + (self.embedding_dim,)

    def macs(self, input_shape):
        """0: a lookup multiplies nothing."""
        return 0

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq:
            s += ", scale_grad_by_freq=True"
        return s
