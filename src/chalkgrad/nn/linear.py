"""Dense layers and shape helpers: ``Linear``, ``Identity``, ``Flatten``, ``Unflatten``."""

from __future__ import annotations

import math

import numpy as np

from ..errors import ConfigError, ShapeError
from ..ops.linalg import linear
from ..ops.shape import flatten as _flatten
from ..ops.shape import normalize_dim, reshape
from . import init
from .module import Module, check_input_dtype, layer_dtype, positive_int
from .parameter import Parameter


class Linear(Module):
    """y = x Wᵀ + b, with W of shape (out_features, in_features) and b of shape (out_features,).

    Initialized as PyTorch does: W and b uniform on [-1/√in, 1/√in]
    (``kaiming_uniform_`` with a = √5 gives exactly that bound for W).
    Parameters: out·(in + 1) with a bias, out·in without.
    Shapes: input (*, in) -> output (*, out); MACs = rows·in·out where rows is the
    product of the leading dimensions.
    ``dtype`` (float32 by default, or float64) and ``generator=`` (for reproducible
    initial weights) are optional; ``device`` accepts only None or 'cpu'.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device=None, dtype=None, *,
                 generator=None) -> None:
        super().__init__()
        where_ = f"{type(self).__name__}({in_features}, {out_features})"
        self.in_features = positive_int(where_, "in_features", in_features)
        self.out_features = positive_int(where_, "out_features", out_features)
        dtype = layer_dtype(where_, dtype, device)
        self.weight = Parameter(np.empty((self.out_features, self.in_features), dtype=dtype))
        if bias:
            self.bias = Parameter(np.empty(self.out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters(generator)

    def reset_parameters(self, generator=None) -> None:
        """Redraw W ~ U(±1/√in) (kaiming_uniform_ with a = √5) and b ~ U(±1/√in), W first."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5), generator=generator)
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0
            init.uniform_(self.bias, -bound, bound, generator=generator)

    def forward(self, x):
        shape = x.shape
        if not shape or shape[-1] != self.in_features:
            raise ShapeError(
                f"{type(self).__name__}({self.in_features}, {self.out_features}): input of shape "
                f"{tuple(shape)} has {shape[-1] if shape else 0} features in its last dimension, "
                f"expected {self.in_features}"
            )
        check_input_dtype(f"{type(self).__name__}({self.in_features}, {self.out_features})", x, self.weight)
        return linear(x, self.weight, self.bias)

    def output_shape(self, input_shape):
        """(*, in) -> (*, out_features)."""
        input_shape = tuple(input_shape)
        if not input_shape or input_shape[-1] != self.in_features:
            raise ShapeError(f"{type(self).__name__}({self.in_features}, {self.out_features}): input shape "
                             f"{input_shape} must end in {self.in_features} features")
        return input_shape[:-1] + (self.out_features,)

    def macs(self, input_shape):
        """rows·in·out, rows = product of the leading dimensions (the bias adds are not counted)."""
        self.output_shape(input_shape)
        rows = int(np.prod(input_shape[:-1], dtype=np.int64))
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
    """Flatten dims ``start_dim..end_dim`` into one (default: all but the batch dim).

    (N, C, H, W) -> (N, C·H·W) with the defaults.
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        return _flatten(x, self.start_dim, self.end_dim)

    def output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        n = len(input_shape)
        if n == 0:
            return (1,)
        s, e = normalize_dim(self.start_dim, n, "Flatten"), normalize_dim(self.end_dim, n, "Flatten")
        if s > e:
            raise ShapeError(f"Flatten: start_dim ({self.start_dim}) comes after end_dim ({self.end_dim}) "
                             f"for an input of shape {input_shape}")
        return input_shape[:s] + (int(np.prod(input_shape[s:e + 1], dtype=np.int64)),) + input_shape[e + 1:]

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dimension ``dim`` into ``unflattened_size`` (e.g. (N, 784) -> (N, 1, 28, 28)).

    One entry of ``unflattened_size`` may be -1: it is inferred from the others.
    """

    def __init__(self, dim: int, unflattened_size) -> None:
        super().__init__()
        sizes = tuple(int(v) for v in unflattened_size)
        if sum(v == -1 for v in sizes) > 1 or any(v < -1 for v in sizes):
            raise ConfigError(f"Unflatten: unflattened_size {sizes} may hold non-negative sizes and at most one -1")
        self.dim, self.unflattened_size = dim, sizes

    def output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if not input_shape:
            raise ShapeError(f"Unflatten: cannot split a dimension of a 0-d input (unflattened_size "
                             f"{self.unflattened_size})")
        d = normalize_dim(self.dim, len(input_shape), "Unflatten")
        sizes, n = self.unflattened_size, input_shape[d]
        known = int(np.prod([v for v in sizes if v != -1], dtype=np.int64))
        if -1 in sizes:
            ok = known > 0 and n % known == 0
            sizes = tuple(n // known if v == -1 else v for v in sizes) if ok else sizes
        else:
            ok = known == n
        if not ok:
            raise ShapeError(f"Unflatten: dim {d} of input shape {input_shape} has size {n}, "
                             f"which cannot be split into {self.unflattened_size}")
        return input_shape[:d] + sizes + input_shape[d + 1:]

    def forward(self, x):
        return reshape(x, self.output_shape(x.shape))

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
