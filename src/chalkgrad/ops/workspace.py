"""Spare buffers shared by the array kernels (convolution, normalization).

A fresh multi-megabyte array costs a page fault per 4 KB page on first touch, which can be a
large part of a kernel's time, so scratch arrays that are no longer needed are kept here for the
next request with the same shape and dtype: at most two per shape, ``SPARE_LIMIT`` bytes in all,
only arrays of at least ``SPARE_MIN`` bytes. ``clear_workspace()`` frees them.

Only scratch goes through this pool: an array handed to the user (an output, a gradient) must be
owned by its Tensor and never given back, since a later ``take`` would overwrite it.
"""

from __future__ import annotations

import os
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ..errors import ConfigError

__all__ = ["take", "give", "clear_workspace", "split_blocks", "set_num_threads", "get_num_threads"]

#: (shape, dtype) -> list of spare arrays.
SPARE: dict = {}
SPARE_LIMIT = 1 << 29
SPARE_MIN = 1 << 20

#: The arrays ``take`` has handed out (by id): only these, or same-size views of them, go back to SPARE.
_ORIGIN: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


def clear_workspace() -> None:
    """Free the spare buffers kept for reuse."""
    SPARE.clear()


def take(shape, dtype) -> np.ndarray:
    """An uninitialized array of ``shape`` and ``dtype``: a spare one when available, else a new one."""
    shape, dtype = tuple(shape), np.dtype(dtype)
    spare = SPARE.get((shape, dtype))
    if spare:
        return spare.pop()
    arr = np.empty(shape, dtype=dtype)
    _ORIGIN[id(arr)] = arr
    return arr


def give(arr, min_bytes: int | None = None) -> None:
    """Hand back an array from ``take`` (or a same-size view of one) once nothing reads it any more.

    Arrays that did not come from ``take``, small ones (under ``min_bytes``, default SPARE_MIN) and
    ones over the pool's limits are left to the garbage collector.
    """
    if _ORIGIN.get(id(arr)) is not arr:
        base = arr.base
        if base is None or _ORIGIN.get(id(base)) is not base or base.nbytes != arr.nbytes:
            return  # not a buffer of ours (e.g. a view of the caller's input): never recycle it
        arr = base
    if arr.nbytes < (SPARE_MIN if min_bytes is None else min_bytes):
        return
    kept = sum(a.nbytes for spare in SPARE.values() for a in spare)
    spare = SPARE.setdefault((arr.shape, arr.dtype), [])
    if len(spare) < 2 and kept + arr.nbytes <= SPARE_LIMIT and not any(a is arr for a in spare):
        spare.append(arr)


# -- splitting a loop of blocks over threads ------------------------------------------------------------
# NumPy releases the GIL inside its array loops, so two threads working on different blocks of a large
# array run at the same time. Used by the memory-bound normalization kernels; each part gets a fixed,
# contiguous range of blocks and partial results are combined in order, so results do not depend on
# timing (they depend only on the number of threads).

_threads = {"n": min(2, os.cpu_count() or 1), "pool": None, "pid": None}

#: A loop is split only when each part gets at least this many blocks.
MIN_BLOCKS_PER_THREAD = 2


def set_num_threads(n: int) -> None:
    """Use up to ``n`` threads (1: everything on the calling thread) in the blocked kernels."""
    n = int(n)
    if n < 1:
        raise ConfigError(f"set_num_threads: expected a positive number of threads, got {n}")
    _threads["n"] = n
    pool = _threads["pool"]
    if pool is not None:
        pool.shutdown(wait=False)
    _threads["pool"] = None


def get_num_threads() -> int:
    """The number of threads the blocked kernels may use."""
    return _threads["n"]


def _pool(workers: int):
    pool = _threads["pool"]
    if pool is None or _threads["pid"] != os.getpid():  # none yet, or inherited through fork
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="chalkgrad")
        _threads["pool"], _threads["pid"] = pool, os.getpid()
    return pool


def split_blocks(fn, n_blocks: int) -> list:
    """``[fn(start, stop), ...]`` over consecutive ranges covering ``range(n_blocks)``, in order: one range
    per thread (the first on the calling thread) when the blocks are many enough, else one range."""
    parts = min(_threads["n"], n_blocks // MIN_BLOCKS_PER_THREAD)
    if parts <= 1 or threading.current_thread().name.startswith("chalkgrad"):  # (never wait on our own pool)
        return [fn(0, n_blocks)]
    bounds = [n_blocks * i // parts for i in range(parts + 1)]
    pool = _pool(_threads["n"] - 1)
    futures = [pool.submit(fn, bounds[i], bounds[i + 1]) for i in range(1, parts)]
    first = fn(bounds[0], bounds[1])
    return [first] + [f.result() for f in futures]
