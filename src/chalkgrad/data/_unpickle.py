"""A restricted unpickler for dataset files (the CIFAR-10 python batches).

``pickle.load`` can call any importable function named in the file, so a crafted
"dataset" could run code (``os.system``...). :func:`restricted_load` only resolves
the few globals that dicts of bytes, lists and NumPy arrays need: NumPy's array
reconstruction functions, ``numpy.ndarray``, ``numpy.dtype`` and
``_codecs.encode`` (which protocol-2 pickles use for bytes). Any other global
raises :class:`~chalkgrad.errors.DataError` naming the file and the refused global,
before anything is called.

Sizes are bounded by the file: the whole file is read first (so a length field in the
pickle that claims more than the file holds ends in a truncation error, not an
allocation), and every array rebuilt must fit in the file's bytes: its state (shape,
dtype, data) is checked before NumPy sees it, and object dtypes are refused.
"""

from __future__ import annotations

import codecs
import io
import math
import pickle
from pathlib import Path

import numpy as np

from ..errors import DataError

__all__ = ["restricted_load"]


def _numpy_attr(module: str, name: str):
    """``numpy._core.<module>.<name>`` (NumPy 2), falling back to ``numpy.core`` (NumPy 1)."""
    import importlib

    for prefix in ("numpy._core", "numpy.core"):
        try:
            return getattr(importlib.import_module(f"{prefix}.{module}"), name)
        except (ImportError, AttributeError):
            continue
    return None


class _NDArrayName:
    """What the global ``numpy.ndarray`` unpickles to: only a name for ``_reconstruct``'s first argument
    (the real class, called by a crafted pickle, would allocate any shape it is given)."""


def _allowed(limit: int, allow_objects: bool = False) -> dict:
    """The globals a pickle of ``limit`` bytes may name, each bounded by ``limit`` where it allocates."""
    table = {
        ("numpy", "ndarray"): _NDArrayName,
        ("numpy", "dtype"): np.dtype,
        ("_codecs", "encode"): _latin1_encode,
    }
    guarded = {"_reconstruct": _guarded_reconstruct(limit, allow_objects), "scalar": _guarded_scalar(limit)}
    for module, name in (("multiarray", "_reconstruct"), ("multiarray", "scalar"), ("numeric", "_frombuffer")):
        obj = _numpy_attr(module, name)
        if obj is not None:
            for prefix in ("numpy._core", "numpy.core"):
                table[(f"{prefix}.{module}", name)] = guarded.get(name, obj)
    return table


def _guarded_scalar(limit: int):
    """NumPy's ``scalar(dtype, data)`` (a NumPy scalar from its bytes), refusing dtypes larger than the file."""
    real = _numpy_attr("multiarray", "scalar")

    def scalar(dtype, *data):
        if not isinstance(dtype, np.dtype) or dtype.itemsize > limit or len(data) != 1:
            raise pickle.UnpicklingError(f"a NumPy scalar needs a dtype of at most {limit} bytes and its data")
        return real(dtype, *data)

    return scalar


def _latin1_encode(text, encoding="utf-8", errors="strict"):
    """``_codecs.encode`` as protocol-2 pickles use it for bytes: a str to latin-1, nothing else."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise pickle.UnpicklingError(f"_codecs.encode is allowed for latin-1 text only, got {encoding!r}")
    return codecs.encode(text, encoding, errors)


class _GuardedArray(np.ndarray):
    """What NumPy's ``_reconstruct`` gives while unpickling: its ``__setstate__`` checks the state first.

    The state is ``(version, shape, dtype, is_fortran, data)``; the array may hold no more bytes
    than the file (8 per item for an object array, allocated before its items are read) and no
    Python objects unless the reader allows them (keras.datasets.imdb: arrays of lists; the
    unpickler still names only plain-data globals, so the items are plain data).
    """

    _limit = 0  # the file's size, set on each instance by _guarded_reconstruct
    _allow_objects = False

    def __setstate__(self, state):
        if not isinstance(state, tuple) or len(state) != 5:
            raise pickle.UnpicklingError("an array state must be (version, shape, dtype, is_fortran, data)")
        shape, dtype = state[1], state[2]
        if not isinstance(dtype, np.dtype) or (dtype.hasobject and not self._allow_objects):
            raise pickle.UnpicklingError(f"refused an array of dtype {dtype!r} (Python objects)")
        _check_size(shape, dtype.itemsize, self._limit)
        super().__setstate__(state)


def _check_size(shape, itemsize: int, limit: int) -> None:
    dims = (shape,) if isinstance(shape, int) else shape
    if not isinstance(dims, (tuple, list)) or not all(isinstance(d, int) and d >= 0 for d in dims):
        raise pickle.UnpicklingError(f"an array shape must be a tuple of sizes, got {shape!r:.60}")
    nbytes = math.prod(dims) * itemsize
    if nbytes > limit:
        raise pickle.UnpicklingError(f"an array of shape {tuple(dims)} needs {nbytes} bytes, "
                                     f"more than the file's {limit}")


def _guarded_reconstruct(limit: int, allow_objects: bool = False):
    """NumPy's ``_reconstruct(ndarray, shape, dtype)`` for a file of ``limit`` bytes, giving a _GuardedArray."""

    def reconstruct(subtype, shape, dtype):
        if subtype is not _NDArrayName:
            raise pickle.UnpicklingError(f"refused to rebuild an array of type {subtype!r:.60}")
        dtype = np.dtype(dtype)
        if dtype.hasobject and not allow_objects:
            raise pickle.UnpicklingError(f"refused an array of dtype {dtype!r} (Python objects)")
        _check_size(shape, dtype.itemsize, limit)
        arr = np.ndarray.__new__(_GuardedArray, shape, dtype)
        arr._limit, arr._allow_objects = limit, allow_objects
        return arr

    return reconstruct


def _plain_arrays(obj):
    """``obj`` with every _GuardedArray in its dicts, lists and tuples viewed as a plain ndarray."""
    seen: dict = {}

    def plain(x):
        if isinstance(x, _GuardedArray):
            return x.view(np.ndarray)
        if isinstance(x, (dict, list, tuple)) and id(x) not in seen:
            seen[id(x)] = x
            stack.append(x)
        return x

    stack: list = []
    top = plain(obj)
    while stack:  # no recursion: a pickle can nest deeper than Python's stack
        x = stack.pop()
        if isinstance(x, dict):
            for k, v in x.items():
                x[k] = plain(v)
        elif isinstance(x, list):
            x[:] = [plain(v) for v in x]
        else:  # a tuple cannot be patched in place: arrays in it stay _GuardedArray (an ndarray subclass)
            for v in x:
                plain(v)
    return tuple(plain(v) for v in top) if isinstance(top, tuple) else top


class _RestrictedUnpickler(pickle.Unpickler):
    def __init__(self, file, path: str, size: int, allow_objects: bool = False) -> None:
        super().__init__(file, encoding="bytes")
        self._path = path
        self._allowed = _allowed(size, allow_objects)

    def find_class(self, module: str, name: str):
        obj = self._allowed.get((module, name))
        if obj is None:
            raise DataError(
                f"{self._path}: refused to unpickle the global {module}.{name}; a dataset file may only contain "
                "dicts of bytes, lists and NumPy arrays (a file that names other functions could run code)"
            )
        return obj


def restricted_load(path) -> object:
    """Unpickle ``path`` allowing only plain data (dicts, lists, bytes, numbers, NumPy arrays).

    Strings pickled by Python 2 come back as ``bytes`` (``encoding='bytes'``), as the
    CIFAR-10 python batches expect (keys ``b'data'``, ``b'labels'``).
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise DataError(f"{path}: cannot read the file ({e.strerror or e})") from e
    try:
        return _plain_arrays(_RestrictedUnpickler(io.BytesIO(raw), str(path), len(raw)).load())
    except DataError:
        raise
    except Exception as e:  # truncated or corrupt pickles raise many kinds of errors
        raise DataError(f"{path}: not a valid pickle file ({type(e).__name__}: {str(e)[:200]})") from e
