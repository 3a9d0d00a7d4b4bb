"""Indexing: ``x[...]`` with gradient, gather, scatter_add, masked_fill, one_hot."""

from __future__ import annotations

import numpy as np

from ..autograd.function import Function
from ..errors import ClassIndexError, DTypeError, IndexOutOfRangeError, ShapeError
from ..tensor import Tensor
from .shape import normalize_dim


def _index_array(i, where="index"):
    arr = i.data if isinstance(i, Tensor) else np.asarray(i)
    if arr.dtype.kind == "b":
        return arr
    if arr.dtype.kind not in "iu":
        raise DTypeError(f"{where}: tensors used as indices must be int64 or bool, got dtype {arr.dtype}")
    return arr.astype(np.intp, copy=False)


def normalize_index(index, shape=None):
    """Replace Tensors and lists inside an index by NumPy arrays; check their dtypes."""
    if isinstance(index, tuple):
        return tuple(_normalize_one(i) for i in index)
    return _normalize_one(index)


def _normalize_one(i):
    if isinstance(i, (Tensor, np.ndarray)):
        return _index_array(i)
    if isinstance(i, list):
        return _index_array(np.asarray(i))
    if isinstance(i, float):
        raise DTypeError(f"index: {i!r} is a float; indices must be integers, slices, None, ... or int/bool tensors")
    return i


def _is_basic(index):
    items = index if isinstance(index, tuple) else (index,)
    return all(i is None or i is Ellipsis or isinstance(i, (int, slice, np.integer)) for i in items)


class GetItem(Function):
    """y = x[index];   backward adds the gradient back into the indexed places (repeats add up)"""

    def forward(self, x):
        try:
            out = x[self.index]
        except IndexError as e:
            raise IndexOutOfRangeError(f"index {self.index!r} does not fit a tensor of shape {x.shape}: {e}") from None
        return np.array(out) if self.basic and isinstance(out, np.ndarray) else out

    def backward(self, g):
        return IndexAdd.apply(g, index=self.index, shape=self.inputs[0].shape, basic=self.basic)


class IndexAdd(Function):
    """y = zeros(shape) with g added at ``index``;   backward reads the gradient at ``index``"""

    def forward(self, g):
        out = np.zeros(self.shape, dtype=g.dtype)
        if self.basic:
            out[self.index] = g
        else:
            np.add.at(out, self.index, g)
        return out

    def backward(self, gg):
        return GetItem.apply(gg, index=self.index, basic=self.basic)


class Gather(Function):
    """y[i][j] = x[index[i][j]][j] (for dim 0);   backward scatter-adds the gradient"""

    def forward(self, x):
        return np.take_along_axis(x[self.crop], self.index, axis=self.dim)

    def backward(self, g):
        return ScatterAddInto.apply(g, dim=self.dim, index=self.index, shape=self.inputs[0].shape)


class ScatterAddInto(Function):
    """y = zeros(shape); y[index[i][j]][j] += src[i][j] (dim 0);   backward gathers"""

    def forward(self, src):
        out = np.zeros(self.shape, dtype=src.dtype)
        np.add.at(out, _scatter_index(self.index, self.dim), src)
        return out

    def backward(self, gg):
        return Gather.apply(gg, dim=self.dim, index=self.index, crop=_crop(self.shape, self.index.shape, self.dim))


def _scatter_index(index, dim):
    grids = list(np.indices(index.shape, sparse=True))
    grids[dim] = index
    return tuple(grids)


def _crop(shape, index_shape, dim):
    return tuple(slice(None) if d == dim else slice(0, index_shape[d]) for d in range(len(shape)))


# ----------------------------------------------------------------------------- functions
def getitem(x, index):
    index = normalize_index(index, x.shape)
    basic = _is_basic(index)
    return GetItem.apply(x, index=index, basic=basic)


def index_select(x, dim, index):
    """The slices of ``x`` at positions ``index`` (1-D ints) along ``dim``."""
    d = normalize_dim(dim, x.ndim, "index_select")
    idx = _index_array(index, "index_select")
    if idx.ndim != 1:
        raise ShapeError(f"index_select: index must be 1-D, got shape {idx.shape}")
    if idx.size and (idx.min() < -x.shape[d] or idx.max() >= x.shape[d]):
        raise IndexOutOfRangeError(f"index_select: index values must be in [0, {x.shape[d]}) for dim {d} of shape "
                         f"{x.shape}; got {idx.min()}..{idx.max()}")
    return GetItem.apply(x, index=(slice(None),) * d + (idx,), basic=False)


def _check_gather_index(op, x, dim, index):
    idx = _index_array(index, op)
    if idx.dtype.kind == "b":
        raise DTypeError(f"{op}: index must be int64, got bool")
    d = normalize_dim(dim, x.ndim, op)
    if idx.ndim != x.ndim:
        raise ShapeError(f"{op}: index has {idx.ndim} dimensions, the tensor has {x.ndim} (shape {x.shape})")
    for k in range(x.ndim):
        if k != d and idx.shape[k] > x.shape[k]:
            raise ShapeError(f"{op}: index shape {idx.shape} is larger than the tensor shape {x.shape} in dim {k}")
    if idx.size and (idx.min() < -x.shape[d] or idx.max() >= x.shape[d]):
        raise IndexOutOfRangeError(f"{op}: index values must be in [0, {x.shape[d]}) for dim {d} of shape {x.shape}; "
                         f"got {idx.min()}..{idx.max()}")
    return d, idx % builtin_max(x.shape[d], 1)


def builtin_max(a, b):
    return a if a > b else b


def gather(x, dim, index):
    """Pick values along ``dim``: ``out[i][j] = x[index[i][j]][j]`` for dim 0 (as ``torch.gather``)."""
    d, idx = _check_gather_index("gather", x, dim, index)
    return Gather.apply(x, dim=d, index=idx, crop=_crop(x.shape, idx.shape, d))


def scatter_add(x, dim, index, src):
    """A copy of ``x`` with ``src`` added at ``index`` along ``dim`` (as ``torch.scatter_add``)."""
    d, idx = _check_gather_index("scatter_add", x, dim, index)
    if not isinstance(src, Tensor):
        src = Tensor(src, dtype=x.dtype)
    if any(i > s for i, s in zip(idx.shape, src.shape)) or src.ndim != idx.ndim:
        raise ShapeError(f"scatter_add: src shape {src.shape} must cover the index shape {idx.shape}")
    if src.shape != idx.shape:
        src = src[tuple(slice(0, n) for n in idx.shape)]
    return x + ScatterAddInto.apply(src, dim=d, index=idx, shape=x.shape)


def masked_fill(x, mask, value):
    """``x`` with ``value`` wherever ``mask`` (bool, broadcastable) is True."""
    from .elementwise import where

    m = mask.data if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype != np.bool_:
        raise DTypeError(f"masked_fill: mask must be a bool tensor, got dtype {m.dtype}")
    if not isinstance(value, Tensor):
        value = np.asarray(value, dtype=x.dtype)
    try:
        out = where(m, value, x)
    except ShapeError:
        out = None
    if out is None or out.shape != x.shape:
        raise ShapeError(f"masked_fill: mask of shape {m.shape} does not broadcast to the tensor shape {x.shape}")
    return out


def one_hot(indices, num_classes=-1):
    """int64 tensor with a trailing dim of size ``num_classes``: 1 at each index, 0 elsewhere."""
    idx = _index_array(indices, "one_hot")
    if idx.dtype.kind == "b":
        raise DTypeError("one_hot: indices must be int64, got bool")
    if idx.size and idx.min() < 0:
        raise ClassIndexError(f"one_hot: class indices must be non-negative, got {idx.min()}")
    if num_classes == -1:
        num_classes = int(idx.max()) + 1 if idx.size else 0
    if idx.size and idx.max() >= num_classes:
        raise ClassIndexError(f"one_hot: class index {idx.max()} is out of range for num_classes={num_classes}")
    out = np.zeros(idx.shape + (num_classes,), dtype=np.int64)
    np.put_along_axis(out, idx[..., None], 1, axis=-1)
    return Tensor._wrap(out)
