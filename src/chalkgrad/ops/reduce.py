"""Reductions: sum, mean, prod, max/min, var/std, logsumexp, norm, cumsum."""

from __future__ import annotations

import builtins
from collections import namedtuple

import numpy as np

from ..autograd.function import Function
from ..errors import ConfigError, DTypeError, GradError, ShapeError
from ..tensor import Tensor
from .shape import broadcast_to, normalize_dim, reshape

#: What ``max(dim)`` and ``min(dim)`` return, as ``torch.return_types.max``.
ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])


def _axes(dim, ndim, op):
    """Normalize ``dim`` (None, int or sequence) to a sorted tuple of axes."""
    if dim is None:
        return tuple(range(ndim))
    dims = tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)
    axes = tuple(sorted({normalize_dim(d, ndim, op) for d in dims}))
    return axes if ndim else ()  # a 0-d tensor accepts dim 0 or -1, as in PyTorch, and has no axis to reduce


def _keepdim_shape(shape, axes):
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


def expand_reduced(g, in_shape, axes):
    """Broadcast the gradient of a reduction back over the reduced axes."""
    return broadcast_to(reshape(g, _keepdim_shape(in_shape, axes)), in_shape)


class Sum(Function):
    """y = Σ_i x_i over ``axes``;   dy/dx_i = 1"""

    def forward(self, x):
        if x.ndim == 2 and self.axes == (0,) and x.dtype.kind == "f" and x.shape[0] > 1:
            # A GEMV with a ones vector beats ndarray.sum on tall, narrow arrays.
            out = np.ones(x.shape[0], dtype=x.dtype) @ x
            return out.reshape(1, -1) if self.keepdims else out
        return x.sum(axis=self.axes, keepdims=self.keepdims)

    def backward(self, g):
        return expand_reduced(g, self.inputs[0].shape, self.axes)


class Mean(Function):
    """y = (1/n)·Σ_i x_i;   dy/dx_i = 1/n"""

    def forward(self, x):
        self.n = int(np.prod([x.shape[a] for a in self.axes]))
        return x.mean(axis=self.axes, keepdims=self.keepdims)

    def backward(self, g):
        return expand_reduced(g, self.inputs[0].shape, self.axes) / float(self.n)


class Prod(Function):
    """y = Π_i x_i;   dy/dx_i = Π_{j≠i} x_j (= y/x_i when no x is zero)"""

    def forward(self, x):
        return x.prod(axis=self.axes, keepdims=self.keepdims)

    def backward(self, g):
        x = self.inputs[0]
        ge = expand_reduced(g, x.shape, self.axes)
        if not np.any(x.data == 0):
            return ge * expand_reduced(self.output, x.shape, self.axes) / x
        # With zeros, use the product of the other elements (exact, first order only).
        from ..autograd import grad_mode

        if grad_mode.is_grad_enabled():
            raise GradError("prod: double backward is not supported when the input contains zeros")
        return ge * Tensor._wrap(_prod_of_others(x.data, self.axes))


def _prod_of_others(x, axes):
    """For each element, the product of the other elements in its reduction group."""
    moved = np.moveaxis(x, axes, tuple(range(-len(axes), 0)))
    flat = moved.reshape(moved.shape[: moved.ndim - len(axes)] + (-1,))
    ones = np.ones_like(flat[..., :1])
    left = np.cumprod(np.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    right = np.cumprod(np.concatenate([ones, flat[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    return np.moveaxis((left * right).reshape(moved.shape), tuple(range(-len(axes), 0)), axes)


class Extreme(Function):
    """y = max (or min) over ``axes``;   the gradient is shared equally among the tied extremes"""

    def forward(self, x):
        if x.size == 0 and (not self.axes or 0 in [x.shape[a] for a in self.axes]):
            raise ShapeError(f"{'amax' if self.is_max else 'amin'}: reduction over an empty dimension "
                             f"of shape {x.shape} has no identity")
        f = np.max if self.is_max else np.min
        return f(x, axis=self.axes, keepdims=self.keepdims)

    def backward(self, g):
        x = self.inputs[0]
        ext = self.output.data.reshape(_keepdim_shape(x.shape, self.axes))
        hits = x.data == ext
        share = hits / hits.sum(axis=self.axes, keepdims=True)
        return expand_reduced(g, x.shape, self.axes) * share.astype(g.dtype)


class Cumsum(Function):
    """y_i = Σ_{j≤i} x_j;   backward is a reversed cumulative sum of the gradient"""

    def forward(self, x):
        return np.cumsum(x, axis=self.dim)

    def backward(self, g):
        from .shape import flip

        return flip(cumsum(flip(g, self.dim), self.dim), self.dim)


class StdFromVar(Function):
    """y = √v, v the variance;   dy/dv = 1/(2y), taken as 0 where y = 0 (as PyTorch's std)"""

    def forward(self, v):
        return np.sqrt(v)

    def backward(self, g):
        y = self.output
        with np.errstate(divide="ignore", invalid="ignore"):
            return (g / (2.0 * y)).masked_fill(y == 0, 0.0)


class Norm2(Function):
    """y = √(Σ x_i²);   dy/dx_i = x_i / y  (0 where y = 0, as PyTorch)"""

    def forward(self, x):
        return np.sqrt(np.sum(x * x, axis=self.axes, keepdims=self.keepdims))

    def backward(self, g):
        x = self.inputs[0]
        y = expand_reduced(self.output, x.shape, self.axes)
        scale = expand_reduced(g, x.shape, self.axes) / y
        scale = scale.masked_fill(y == 0, 0.0)
        return scale * x


# ----------------------------------------------------------------------------- functions
def _float_check(x, op):
    if x.dtype.kind != "f":
        raise DTypeError(f"{op}: expected a floating-point tensor, got dtype {x.dtype}")


def sum(x, dim=None, keepdim=False):  # noqa: A001 - the PyTorch name
    if x.dtype.kind == "b":
        return Tensor._wrap(x.data.sum(axis=dim if dim is None else _axes(dim, x.ndim, "sum"),
                                       keepdims=keepdim))
    return Sum.apply(x, axes=_axes(dim, x.ndim, "sum"), keepdims=keepdim)


def mean(x, dim=None, keepdim=False):
    _float_check(x, "mean")
    return Mean.apply(x, axes=_axes(dim, x.ndim, "mean"), keepdims=keepdim)


def prod(x, dim=None, keepdim=False):
    return Prod.apply(x, axes=_axes(dim, x.ndim, "prod"), keepdims=keepdim)


def amax(x, dim=None, keepdim=False):
    return Extreme.apply(x, axes=_axes(dim, x.ndim, "amax"), keepdims=keepdim, is_max=True)


def amin(x, dim=None, keepdim=False):
    return Extreme.apply(x, axes=_axes(dim, x.ndim, "amin"), keepdims=keepdim, is_max=False)


def _extreme_dim(x, dim, keepdim, is_max):
    if dim is None:
        return amax(x) if is_max else amin(x)
    d = normalize_dim(dim, x.ndim, "max" if is_max else "min")
    if x.shape and x.shape[d] == 0:
        raise ShapeError(f"{'max' if is_max else 'min'}: dim {d} of shape {x.shape} is empty")
    idx = (np.argmax if is_max else np.argmin)(x.data, axis=d, keepdims=True) if x.ndim else np.zeros((), np.int64)
    if x.ndim == 0:
        return ValuesIndices(x, Tensor._wrap(idx))
    from .indexing import gather

    values = gather(x, d, Tensor._wrap(idx))
    if not keepdim:
        values = reshape(values, x.shape[:d] + x.shape[d + 1:])
        idx = idx.reshape(x.shape[:d] + x.shape[d + 1:])
    return ValuesIndices(values, Tensor._wrap(idx.astype(np.int64)))


def max(x, dim=None, keepdim=False):  # noqa: A001 - the PyTorch name
    """The largest value; with ``dim``, a (values, indices) pair as ``torch.max``."""
    return _extreme_dim(x, dim, keepdim, True)


def min(x, dim=None, keepdim=False):  # noqa: A001 - the PyTorch name
    """The smallest value; with ``dim``, a (values, indices) pair as ``torch.min``."""
    return _extreme_dim(x, dim, keepdim, False)


def argmax(x, dim=None, keepdim=False):
    if dim is None:
        return Tensor._wrap(np.asarray(np.argmax(x.data), dtype=np.int64).reshape((1,) * x.ndim if keepdim else ()))
    d = normalize_dim(dim, x.ndim, "argmax")
    return Tensor._wrap(np.argmax(x.data, axis=d, keepdims=keepdim).astype(np.int64))


def argmin(x, dim=None, keepdim=False):
    if dim is None:
        return Tensor._wrap(np.asarray(np.argmin(x.data), dtype=np.int64).reshape((1,) * x.ndim if keepdim else ()))
    d = normalize_dim(dim, x.ndim, "argmin")
    return Tensor._wrap(np.argmin(x.data, axis=d, keepdims=keepdim).astype(np.int64))


def _correction(unbiased, correction):
    if correction is not None and unbiased is not None:
        raise ConfigError("var/std: give either unbiased or correction, not both")
    if correction is not None:
        return correction
    return 1 if unbiased is None or unbiased else 0


def var(x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Σ(x - mean)² / (n - correction); ``correction=1`` (default) is the unbiased estimate."""
    _float_check(x, "var")
    c = _correction(unbiased, correction)
    axes = _axes(dim, x.ndim, "var")
    n = int(np.prod([x.shape[a] for a in axes]))
    centered = x - mean(x, axes, keepdim=True)
    return sum(centered * centered, axes, keepdim) / float(builtins.max(n - c, 0))


def std(x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """√var; see :func:`var` for ``correction``. Where std is 0 its gradient is 0, as in PyTorch."""
    return StdFromVar.apply(var(x, dim, unbiased, keepdim, correction=correction))


def logsumexp(x, dim=None, keepdim=False):
    """log Σ exp(x), computed as m + log Σ exp(x - m) with m the (detached) maximum."""
    _float_check(x, "logsumexp")
    axes = _axes(dim, x.ndim, "logsumexp")
    m = np.max(x.data, axis=axes, keepdims=True) if x.data.size else np.zeros(_keepdim_shape(x.shape, axes), x.dtype)
    m = np.where(np.isfinite(m), m, 0).astype(x.dtype)
    out = sum((x - m).exp(), axes, keepdim=True).log() + m
    return out if keepdim else reshape(out, tuple(s for i, s in enumerate(x.shape) if i not in axes))


def norm(x, p="fro", dim=None, keepdim=False):
    """Vector p-norm over ``dim`` (all elements by default): p = 2/'fro', 1, inf, -inf or any p > 0."""
    _float_check(x, "norm")
    axes = _axes(dim, x.ndim, "norm")
    if p in ("fro", 2, 2.0):
        return Norm2.apply(x, axes=axes, keepdims=keepdim)
    if p == 1:
        return sum(x.abs(), axes, keepdim)
    if p == float("inf"):
        return amax(x.abs(), axes, keepdim)
    if p == float("-inf"):
        return amin(x.abs(), axes, keepdim)
    if isinstance(p, (int, float)) and p > 0:
        return sum(x.abs() ** p, axes, keepdim) ** (1.0 / p)
    raise ConfigError(f"norm: unsupported p={p!r}; expected 'fro', a positive number, inf or -inf")


def cumsum(x, dim):
    d = normalize_dim(dim, x.ndim, "cumsum")
    if x.ndim == 0:  # a 0-d tensor is its own cumulative sum (NumPy would make it 1-D)
        return x.clone()
    return Cumsum.apply(x, dim=d)
