"""Sorting: ``sort``, ``argsort`` and ``topk`` along one dimension (PyTorch's names and results).

The order is computed on the raw array; the values are then picked with :func:`gather`, so their
gradient is gather's (each output's gradient goes back to the element it came from) and
double backward works. Ties keep their original order (a stable sort) whether or not
``stable=True`` is asked for; PyTorch only promises that order with ``stable=True``.
NaN sorts above every number, as in PyTorch.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from ..errors import DTypeError, IndexOutOfRangeError
from ..tensor import Tensor
from .indexing import gather
from .shape import normalize_dim

#: ``values, indices = x.sort()`` as in PyTorch (also reachable as ``.values`` and ``.indices``).
SortResult = namedtuple("SortResult", "values indices")
TopKResult = namedtuple("TopKResult", "values indices")


def _order(data: np.ndarray, dim: int, descending: bool) -> np.ndarray:
    """Stable argsort along ``dim``; descending keeps equal elements in their original order too."""
    if not descending:
        return np.argsort(data, axis=dim, kind="stable")
    # Sort the reversed array ascending, then reverse: the last of equal elements in the
    # reversed array is the first in the original one.
    n = data.shape[dim]
    reversed_order = np.argsort(np.flip(data, axis=dim), axis=dim, kind="stable")
    return n - 1 - np.flip(reversed_order, axis=dim)


def _check(x, dim, op) -> int:
    if not isinstance(x, Tensor):
        raise DTypeError(f"{op}: expected a chalkgrad Tensor, got {type(x).__name__}")
    if x.ndim == 0:
        normalize_dim(dim, 0, op)  # dims 0 and -1 are accepted for a 0-d tensor, as in PyTorch
        return -1
    return normalize_dim(dim, x.ndim, op)


def argsort(x, dim=-1, descending=False, stable=False) -> Tensor:
    """The indices (int64) that sort ``x`` along ``dim``."""
    d = _check(x, dim, "argsort")
    if d < 0:
        return Tensor._wrap(np.zeros((), dtype=np.int64))
    return Tensor._wrap(_order(x.data, d, descending).astype(np.int64, copy=False))


def sort(x, dim=-1, descending=False, stable=False) -> SortResult:
    """``(values, indices)``: ``x`` sorted along ``dim`` and where each value came from.

    values = gather(x, dim, indices), so dvalues/dx sends each gradient back to its element.
    """
    d = _check(x, dim, "sort")
    if d < 0:
        return SortResult(x.clone(), Tensor._wrap(np.zeros((), dtype=np.int64)))
    indices = Tensor._wrap(_order(x.data, d, descending).astype(np.int64, copy=False))
    return SortResult(gather(x, d, indices), indices)


def topk(x, k, dim=-1, largest=True, sorted=True) -> TopKResult:  # noqa: A002 - PyTorch's name
    """``(values, indices)`` of the ``k`` largest (``largest=False``: smallest) elements along ``dim``.

    The values come largest first (smallest first with ``largest=False``); equal values
    keep their original order. ``sorted=False`` returns the same order.
    """
    d = _check(x, dim, "topk")
    size = 1 if d < 0 else x.shape[d]
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 <= k <= size:
        raise IndexOutOfRangeError(f"topk: k must be an integer in [0, {size}] (the size of dim {dim}), "
                                   f"got {k!r}")
    if d < 0:
        return TopKResult(x.clone(), Tensor._wrap(np.zeros((), dtype=np.int64)))
    order = _order(x.data, d, descending=largest)
    indices = Tensor._wrap(np.take(order, np.arange(k), axis=d).astype(np.int64, copy=False))
    return TopKResult(gather(x, d, indices), indices)
