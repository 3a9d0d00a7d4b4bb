"""Dense layers and shape helpers: ``Linear``, ``Identity``, ``Flatten``, ``Unflatten``."""

from __future__ import annotations

import math

import numpy as np

from ..errors import ShapeError
from ..ops.linalg import linear
from ..ops.shape import flatten as _flatten
from ..ops.shape import normalize_dim, reshape
from . import init
from .module import Module
from .parameter import Parameter


class Linear(Module):
    """y = x Wᵀ + b, with W of shape (out_features, in_features).

    Initialized as PyTorch does: W and b uniform on [-1/√in, 1/√in]
    (``kaiming_uniform_`` with a = √5 gives exactly that bound for W).
    Parameters: out·(in + 1) with a bias, out·in without.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, dtype=None, generator=None) -> None:
        super().__init__()
        for name, v in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(v, (int, np.integer)) or v < 0:
                raise ValueError(f"Linear: {name} must be a non-negative integer, got {v!r}")
        self.in_features, self.out_features = int(in_features), int(out_features)
        self.weight = Parameter(np.empty((out_features, in_features), dtype=dtype or np.float32))
        if bias:
            self.bias = Parameter(np.empty(out_features, dtype=dtype or np.float32))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters(generator)

    def reset_parameters(self, generator=None) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5), generator=generator)
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0
            init.uniform_(self.bias, -bound, bound, generator=generator)

    def forward(self, x):
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ShapeError(
                f"{type(self).__name__}({self.in_features}, {self.out_features}): input of shape "
                f"{tuple(x.shape)} has {x.shape[-1] if x.ndim else 0} features in its last dimension, "
                f"expected {self.in_features}"
            )
        return linear(x, self.weight, self.bias)

    def output_shape(self, input_shape):
        if not input_shape or input_shape[-1] != self.in_features:
            raise ShapeError(f"Linear({self.in_features}, {self.out_features}): input shape {tuple(input_shape)} "
                             f"must end in {self.in_features} features")
        return tuple(input_shape[:-1]) + (self.out_features,)

    def macs(self, input_shape):
        rows = int(np.prod(input_shape[:-1])) if len(input_shape) > 1 else 1
        return rows * self.in_features * self.out_features

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Identity(Module):
    """y = x (a placeholder layer)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__()

    def forward(self, x):
        return x

    def output_shape(self, input_shape):
        return tuple(input_shape)


class Flatten(Module):
    """Flatten dims ``start_dim..end_dim`` into one (default: all but the batch dim)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        return _flatten(x, self.start_dim, self.end_dim)

    def output_shape(self, input_shape):
        n = len(input_shape)
        s, e = normalize_dim(self.start_dim, n, "Flatten"), normalize_dim(self.end_dim, n, "Flatten")
        return tuple(input_shape[:s]) + (int(np.prod(input_shape[s:e + 1])),) + tuple(input_shape[e + 1:])

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dimension ``dim`` into ``unflattened_size`` (e.g. 784 -> (1, 28, 28))."""

    def __init__(self, dim: int, unflattened_size) -> None:
        super().__init__()
        self.dim, self.unflattened_size = dim, tuple(unflattened_size)

    def output_shape(self, input_shape):
        d = normalize_dim(self.dim, len(input_shape), "Unflatten")
        if int(np.prod(self.unflattened_size)) != input_shape[d]:
            raise ShapeError(f"Unflatten: dim {d} of input shape {tuple(input_shape)} has size {input_shape[d]}, "
                             f"which cannot be split into {self.unflattened_size}")
        return tuple(input_shape[:d]) + self.unflattened_size + tuple(input_shape[d + 1:])

    def forward(self, x):
        return reshape(x, self.output_shape(x.shape))

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
