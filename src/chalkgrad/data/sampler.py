"""Samplers: the order in which a :class:`~chalkgrad.data.DataLoader` visits a dataset.

A sampler is an iterable of indices with a length. ``SequentialSampler`` gives
0..n-1, ``RandomSampler`` a fresh permutation each epoch (from its ``generator``,
or from the default generator at the start of each epoch, so
``chalkgrad.manual_seed(s)`` fixes every epoch's order), ``SubsetRandomSampler``
a permutation of given indices, ``BatchSampler`` groups another sampler's indices
into lists.

The built-in samplers also answer ``_index_array()``, the whole epoch as one
NumPy array, which the loader slices into batches without a Python loop.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError
from ..random import Generator, get_generator

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler", "BatchSampler"]


class Sampler:
    """Base class: subclasses define ``__iter__`` (indices) and usually ``__len__``."""

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__()")

    def _index_array(self) -> np.ndarray:
        return np.fromiter(iter(self), dtype=np.int64)


class SequentialSampler(Sampler):
    """Indices 0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source) -> None:
        self.data_source = data_source

    def _index_array(self) -> np.ndarray:
        return np.arange(len(self.data_source), dtype=np.int64)

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random order of the dataset, drawn anew for each epoch.

    Without replacement: a permutation (of length ``num_samples``, default the
    dataset size; longer requests chain several permutations). With replacement:
    ``num_samples`` indices drawn uniformly.
    """

    def __init__(self, data_source, replacement: bool = False, num_samples: int | None = None,
                 generator: Generator | None = None) -> None:
        self.data_source = data_source
        self.replacement = bool(replacement)
        self._num_samples = num_samples
        self.generator = generator
        if num_samples is not None and (not isinstance(num_samples, (int, np.integer)) or num_samples <= 0):
            raise ConfigError(f"RandomSampler: num_samples must be a positive integer, got {num_samples!r}")

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else int(self._num_samples)

    def _index_array(self) -> np.ndarray:
        n, m = len(self.data_source), self.num_samples
        rng = get_generator(self.generator)
        if self.replacement:
            return rng.integers(0, n, size=m, dtype=np.int64)
        if n == 0:
            return np.zeros(0, dtype=np.int64)
        reps = -(-m // n)
        return np.concatenate([rng.permutation(n) for _ in range(reps)])[:m].astype(np.int64, copy=False)

    def __iter__(self):
        return iter(self._index_array().tolist())

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given ``indices`` in a random order, drawn anew for each epoch."""

    def __init__(self, indices, generator: Generator | None = None) -> None:
        self.indices = np.asarray(indices, dtype=np.int64)
        self.generator = generator

    def _index_array(self) -> np.ndarray:
        return self.indices[get_generator(self.generator).permutation(len(self.indices))]

    def __iter__(self):
        return iter(self._index_array().tolist())

    def __len__(self) -> int:
        return len(self.indices)


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size`` (the last one may be shorter)."""

    def __init__(self, sampler, batch_size: int, drop_last: bool = False) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
            raise ConfigError(f"BatchSampler: batch_size must be a positive integer, got {batch_size!r}")
        self.sampler = sampler
        self.batch_size = int(batch_size)
        self.drop_last = bool(drop_last)

    def _batches(self):
        """Index arrays, one per batch."""
        if hasattr(self.sampler, "_index_array"):
            idx = self.sampler._index_array()
            n, b = len(idx), self.batch_size
            stop = n - n % b if self.drop_last else n
            for s in range(0, stop, b):
                yield idx[s:s + b]
            return
        batch = []
        for i in self.sampler:
            batch.append(int(i))
            if len(batch) == self.batch_size:
                yield np.asarray(batch, dtype=np.int64)
                batch = []
        if batch and not self.drop_last:
            yield np.asarray(batch, dtype=np.int64)

    def __iter__(self):
        return (b.tolist() for b in self._batches())

    def __len__(self) -> int:
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
