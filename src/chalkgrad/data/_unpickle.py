"""A restricted unpickler for dataset files (the CIFAR-10 python batches).

``pickle.load`` can call any importable function named in the file, so a crafted
"dataset" could run code (``os.system``...). :func:`restricted_load` only resolves
the few globals that dicts of bytes, lists and NumPy arrays need: NumPy's array
reconstruction functions, ``numpy.ndarray``, ``numpy.dtype`` and
``_codecs.encode`` (which protocol-2 pickles use for bytes). Any other global
raises :class:`~chalkgrad.errors.DataError` naming the file and the refused global,
before anything is called.
"""

from __future__ import annotations

import codecs
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


def _allowed() -> dict:
    table = {
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
        ("_codecs", "encode"): codecs.encode,
    }
    for module, name in (("multiarray", "_reconstruct"), ("multiarray", "scalar"), ("numeric", "_frombuffer")):
        obj = _numpy_attr(module, name)
        if obj is not None:
            for prefix in ("numpy._core", "numpy.core"):
                table[(f"{prefix}.{module}", name)] = obj
    return table


_ALLOWED = None


class _RestrictedUnpickler(pickle.Unpickler):
    def __init__(self, file, path: str) -> None:
        super().__init__(file, encoding="bytes")
        self._path = path

    def find_class(self, module: str, name: str):
        global _ALLOWED
        if _ALLOWED is None:
            _ALLOWED = _allowed()
        obj = _ALLOWED.get((module, name))
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
        with open(path, "rb") as f:
            return _RestrictedUnpickler(f, str(path)).load()
    except DataError:
        raise
    except OSError as e:
        raise DataError(f"{path}: cannot read the file ({e.strerror or e})") from e
    except Exception as e:  # truncated or corrupt pickles raise many kinds of errors
        raise DataError(f"{path}: not a valid pickle file ({type(e).__name__}: {e})") from e
