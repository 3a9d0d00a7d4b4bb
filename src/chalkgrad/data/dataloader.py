"""``DataLoader``: iterate over a dataset in (shuffled) mini-batches; ``default_collate``.

Each epoch (each ``iter(loader)``) the sampler yields an order of the indices,
which is cut into batches of ``batch_size``; each batch's samples are fetched
and merged by ``collate_fn``. With ``shuffle=True`` every epoch draws a new
permutation from ``generator`` (or from the default generator, so
``chalkgrad.manual_seed(s)`` before the loop reproduces every epoch's batches).

Fast path: when the dataset is a :class:`~chalkgrad.data.TensorDataset` (or a
``Subset`` of one) and ``collate_fn`` is the default, a batch is one fancy-index
per tensor (``x.data[idx]``), with no per-sample Python loop.

Loading happens in the main process: ``num_workers`` must be 0.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..errors import ConfigError, DTypeError, ShapeError
from ..random import Generator
from ..tensor import Tensor
from .sampler import BatchSampler, RandomSampler, SequentialSampler

__all__ = ["DataLoader", "default_collate", "default_convert"]


def _array_to_tensor(arr: np.ndarray) -> Tensor:
    """A tensor of a supported dtype: floats keep float32/float64 (float16 -> float32), ints -> int64."""
    k = arr.dtype.kind
    if k == "f":
        if arr.dtype not in (np.float32, np.float64):
            arr = arr.astype(np.float32)
    elif k in "iu":
        arr = arr.astype(np.int64, copy=False)
    elif k != "b":
        raise DTypeError(f"default_collate: cannot make a tensor from arrays of dtype {arr.dtype}")
    return Tensor._wrap(arr)


def _stack_arrays(arrays, what: str) -> np.ndarray:
    first = arrays[0].shape
    for a in arrays:
        if a.shape != first:
            raise ShapeError(
                f"default_collate: cannot stack {what} of shapes {first} and {a.shape} into one batch; "
                "make the samples the same size (e.g. a RandomCrop transform) or pass a collate_fn"
            )
    return np.stack(arrays)


def default_collate(batch):
    """Merge a list of samples into a batch.

    * chalkgrad Tensors and NumPy arrays are stacked along a new first dimension into
      a Tensor (float32/float64 kept, float16 -> float32, integers -> int64, bool kept);
    * Python ``int`` -> int64 Tensor, ``float`` -> float32 Tensor, ``bool`` -> bool Tensor,
      NumPy scalars keep their dtype as above;
    * tuples (and namedtuples), lists and dicts are collated element-wise / key-wise,
      keeping their type; strings and bytes are returned as a list.
    """
    if not batch:
        raise ShapeError("default_collate: the batch is empty")
    elem = batch[0]
    if isinstance(elem, Tensor):
        if any(b.requires_grad for b in batch):
            from ..ops.shape import stack

            return stack(batch)
        return Tensor._wrap(_stack_arrays([b.data for b in batch], "tensors"))
    if isinstance(elem, np.ndarray):
        if elem.dtype.kind in "USO":
            return list(batch)
        return _array_to_tensor(_stack_arrays(batch, "arrays"))
    if isinstance(elem, np.generic):
        return _array_to_tensor(np.array(batch))
    if isinstance(elem, bool):
        return Tensor._wrap(np.array(batch, dtype=np.bool_))
    if isinstance(elem, int):
        return Tensor._wrap(np.array(batch, dtype=np.int64))
    if isinstance(elem, float):
        return Tensor._wrap(np.array(batch, dtype=np.float32))
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, Mapping):
        out = {key: default_collate([d[key] for d in batch]) for key in elem}
        try:
            return type(elem)(out)
        except TypeError:
            return out
    if isinstance(elem, (tuple, list)):
        n = len(elem)
        if any(len(b) != n for b in batch):
            raise ShapeError(
                f"default_collate: samples have different lengths ({n} and "
                f"{next(len(b) for b in batch if len(b) != n)}); every sample must have the same number of fields"
            )
        fields = [default_collate(list(samples)) for samples in zip(*batch)]
        if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
            return type(elem)(*fields)
        return tuple(fields) if isinstance(elem, tuple) else fields
    hint = " (add a ToTensor() transform)" if type(elem).__module__.startswith("PIL") else ""
    raise DTypeError(
        f"default_collate: cannot batch samples of type {type(elem).__name__}{hint}; "
        "expected Tensors, NumPy arrays, numbers, strings, or tuples/lists/dicts of them, or pass a collate_fn"
    )


def default_convert(sample):
    """What a loader with ``batch_size=None`` yields: NumPy arrays become Tensors, containers recursively."""
    if isinstance(sample, np.ndarray) and sample.dtype.kind not in "USO":
        return _array_to_tensor(sample)
    if isinstance(sample, Mapping):
        return {k: default_convert(v) for k, v in sample.items()}
    if isinstance(sample, tuple) and hasattr(sample, "_fields"):
        return type(sample)(*(default_convert(v) for v in sample))
    if isinstance(sample, (tuple, list)):
        return type(sample)(default_convert(v) for v in sample)
    return sample


class DataLoader:
    """Iterate over ``dataset`` in batches.

    Args:
        dataset: a map-style dataset (``__len__`` and ``__getitem__``).
        batch_size: samples per batch; ``None`` yields single samples (no batching).
        shuffle: a new random order each epoch (from ``generator`` or the default generator).
        sampler: an iterable of indices to use instead (excludes ``shuffle``).
        batch_sampler: an iterable of index lists (excludes ``batch_size``, ``shuffle``,
            ``sampler`` and ``drop_last``).
        num_workers: must be 0 (loading runs in the main process).
        collate_fn: merges a list of samples into a batch (default :func:`default_collate`).
        pin_memory: accepted for torch compatibility; has no effect (there is no GPU memory to pin).
        drop_last: drop the last batch when it is smaller than ``batch_size``.
        generator: the :class:`chalkgrad.Generator` used for shuffling.

    ``len(loader)`` is the number of batches: ``ceil(n / batch_size)``, or
    ``floor(n / batch_size)`` with ``drop_last``.
    """

    def __init__(self, dataset, batch_size: int | None = 1, shuffle: bool = False, sampler=None,
                 batch_sampler=None, num_workers: int = 0, collate_fn=None, pin_memory: bool = False,
                 drop_last: bool = False, *, generator: Generator | None = None) -> None:
        if num_workers != 0:
            raise ConfigError(
                f"DataLoader: num_workers={num_workers!r} is not supported; chalkgrad loads batches in the "
                "main process (num_workers=0), where batching a TensorDataset is a single NumPy fancy-index "
                "and worker processes would only add start-up and copying costs"
            )
        if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer))
                                       or batch_size <= 0):
            raise ConfigError(f"DataLoader: batch_size must be a positive integer or None, got {batch_size!r}")
        if sampler is not None and shuffle:
            raise ConfigError("DataLoader: give either sampler or shuffle=True, not both (the sampler sets the order)")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ConfigError(
                    "DataLoader: batch_sampler excludes batch_size, shuffle, sampler and drop_last "
                    "(the batch sampler already decides them)"
                )
            batch_size = None
        elif batch_size is None and drop_last:
            raise ConfigError("DataLoader: drop_last=True needs a batch_size (batch_size=None yields single samples)")
        self.dataset = dataset
        self.batch_size = None if batch_size is None else int(batch_size)
        self.shuffle = bool(shuffle)
        self.num_workers = 0
        self.pin_memory = bool(pin_memory)
        self.drop_last = bool(drop_last)
        self.generator = generator
        self._default_collate = collate_fn is None
        self.collate_fn = default_collate if collate_fn is None else collate_fn
        if sampler is None:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        self.sampler = sampler
        if batch_sampler is None and self.batch_size is not None:
            batch_sampler = BatchSampler(sampler, self.batch_size, self.drop_last)
        self.batch_sampler = batch_sampler

    def __len__(self) -> int:
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        return len(self.sampler)

    def __iter__(self):
        if self.batch_sampler is None:  # batch_size=None: one sample at a time
            for i in self.sampler:
                yield default_convert(self.dataset[i]) if self._default_collate else self.collate_fn(self.dataset[i])
            return
        fast = getattr(self.dataset, "_get_batch", None) if self._default_collate else None
        if isinstance(self.batch_sampler, BatchSampler):
            batches = self.batch_sampler._batches()
        else:
            batches = (np.asarray(list(b), dtype=np.int64) for b in self.batch_sampler)
        for idx in batches:
            if fast is not None:
                yield fast(idx)
            else:
                yield self.collate_fn([self.dataset[i] for i in idx.tolist()])

    def __repr__(self) -> str:
        return (f"DataLoader({len(self.dataset)} samples, batch_size={self.batch_size}, shuffle={self.shuffle}, "
                f"drop_last={self.drop_last}, {len(self)} batches)")
