"""Map-style datasets: ``Dataset``, ``TensorDataset``, ``Subset``, ``ConcatDataset`` and ``random_split``.

A dataset is anything with ``__len__`` and ``__getitem__(i)`` returning one sample
(usually an ``(input, target)`` tuple), as in ``torch.utils.data``.

``TensorDataset`` and ``Subset`` of one also answer ``_get_batch(indices)``: the
already-stacked batch for an integer index array, taken by one fancy-indexing
operation per tensor. :class:`~chalkgrad.data.DataLoader` uses it to skip the
per-sample Python loop when the default collate is in use.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence

import numpy as np

from ..errors import ConfigError, IndexOutOfRangeError, ShapeError
from ..random import Generator, get_generator
from ..tensor import Tensor

__all__ = ["Dataset", "TensorDataset", "Subset", "ConcatDataset", "random_split"]


class Dataset:
    """Base class of map-style datasets: subclasses define ``__getitem__`` and ``__len__``.

    ``a + b`` concatenates two datasets (a :class:`ConcatDataset`).
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__(index)")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__()")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


def _as_tensor(t, i: int) -> Tensor:
    if isinstance(t, Tensor):
        return t
    if isinstance(t, np.ndarray):
        return Tensor(t)  # keeps float32/float64/int64/bool; other ints become int64
    raise ShapeError(
        f"TensorDataset: argument {i} is a {type(t).__name__}; expected a chalkgrad Tensor or a NumPy array"
    )


def _check_index(index, n: int, who: str) -> int:
    i = int(index)
    if not -n <= i < n:
        raise IndexOutOfRangeError(f"{who}: index {i} is out of range for a dataset of {n} samples")
    return i + n if i < 0 else i


class TensorDataset(Dataset):
    """Samples are the rows of tensors that share their first dimension.

    ``TensorDataset(x, y)[i] == (x[i], y[i])``. Accepts chalkgrad Tensors or NumPy
    arrays (stored as Tensors without a copy where the dtype allows; ``.tensors``
    holds them).
    """

    def __init__(self, *tensors) -> None:
        if not tensors:
            raise ShapeError("TensorDataset: expected at least one tensor, got none")
        ts = tuple(_as_tensor(t, i) for i, t in enumerate(tensors))
        for i, t in enumerate(ts):
            if t.ndim == 0:
                raise ShapeError(f"TensorDataset: tensor {i} is 0-d; each tensor needs a first dimension (samples)")
        n = ts[0].shape[0]
        if any(t.shape[0] != n for t in ts):
            shapes = ", ".join(str(tuple(t.shape)) for t in ts)
            raise ShapeError(
                "TensorDataset: every tensor must have the same size in dim 0 (one row per sample); "
                f"got shapes {shapes}"
            )
        self.tensors = ts

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def __getitem__(self, index):
        if isinstance(index, (int, np.integer)):
            index = _check_index(index, len(self), "TensorDataset")
        return tuple(t[index] if t.requires_grad else Tensor._wrap(t.data[index]) for t in self.tensors)

    def _get_batch(self, indices: np.ndarray) -> tuple:
        """The batch of rows ``indices`` (1-D int array), one fancy-index per tensor."""
        return tuple(t[indices] if t.requires_grad else Tensor._wrap(t.data[indices]) for t in self.tensors)

    def __repr__(self) -> str:
        shapes = ", ".join(str(tuple(t.shape)) for t in self.tensors)
        return f"TensorDataset({len(self)} samples; tensors {shapes})"


class Subset(Dataset):
    """The samples of ``dataset`` at positions ``indices`` (in that order)."""

    def __init__(self, dataset, indices) -> None:
        self.dataset = dataset
        self.indices = [int(i) for i in (indices.tolist() if hasattr(indices, "tolist") else indices)]

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index):
        if isinstance(index, (list, np.ndarray)):
            return [self.dataset[self.indices[int(i)]] for i in index]
        return self.dataset[self.indices[_check_index(index, len(self), "Subset")]]

    @property
    def _get_batch(self):
        # Only offered when the wrapped dataset has a fast batch path itself.
        inner = getattr(self.dataset, "_get_batch", None)
        if inner is None:
            raise AttributeError("_get_batch")
        idx = np.asarray(self.indices, dtype=np.int64)
        return lambda indices: inner(idx[indices])

    def __repr__(self) -> str:
        return f"Subset({len(self)} of {len(self.dataset)} samples)"


class ConcatDataset(Dataset):
    """The samples of several datasets one after the other."""

    def __init__(self, datasets) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ConfigError("ConcatDataset: expected at least one dataset, got an empty list")
        self.cumulative_sizes = list(np.cumsum([len(d) for d in self.datasets]).tolist())

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index):
        i = _check_index(index, len(self), "ConcatDataset")
        k = bisect.bisect_right(self.cumulative_sizes, i)
        start = self.cumulative_sizes[k - 1] if k > 0 else 0
        return self.datasets[k][i - start]

    def __repr__(self) -> str:
        return f"ConcatDataset({len(self.datasets)} datasets, {len(self)} samples)"


def random_split(dataset, lengths: Sequence, generator: Generator | None = None) -> list[Subset]:
    """Split ``dataset`` into non-overlapping random :class:`Subset` s of the given lengths.

    ``lengths`` are integers summing to ``len(dataset)``, or fractions summing to 1:
    each part then gets ``floor(f * n)`` samples and the remaining ones are handed
    out one at a time to the parts in order (as ``torch.utils.data.random_split``).
    The permutation comes from ``generator`` (default: the default generator).
    """
    n = len(dataset)
    lengths = list(lengths)
    if not lengths:
        raise ConfigError("random_split: lengths is empty; expected integers or fractions")
    if all(isinstance(x, (int, np.integer)) for x in lengths):
        sizes = [int(x) for x in lengths]
        if any(s < 0 for s in sizes):
            raise ConfigError(f"random_split: lengths must be non-negative, got {lengths}")
    else:
        fr = [float(x) for x in lengths]
        if any(not 0 <= f <= 1 for f in fr) or not math.isclose(sum(fr), 1.0, abs_tol=1e-6):
            raise ConfigError(
                f"random_split: fractions must lie in [0, 1] and sum to 1, got {lengths} (sum {sum(fr):g})"
            )
        sizes = [int(math.floor(n * f)) for f in fr]
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
    if sum(sizes) != n:
        raise ConfigError(
            f"random_split: lengths {sizes} sum to {sum(sizes)}, but the dataset has {n} samples"
        )
    perm = get_generator(generator).permutation(n)
    out, start = [], 0
    for s in sizes:
        out.append(Subset(dataset, perm[start:start + s]))
        start += s
    return out
