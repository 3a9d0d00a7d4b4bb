"""Where Keras keeps its datasets, and a bounded reader for ``.npz`` files.

Keras caches downloads in ``$KERAS_HOME/datasets`` (``~/.keras/datasets`` when ``KERAS_HOME``
is not set). chalkgrad never downloads: the loaders read the files Keras would have cached
there, or those at the ``path`` you give, and say which files they expected where.
"""

from __future__ import annotations

import math
import os
import zipfile
from pathlib import Path

import numpy as np

from ...errors import DataError

__all__ = ["datasets_dir", "resolve", "read_npz", "missing"]

DEFLATE_MAX_RATIO = 1032


def datasets_dir() -> Path:
    """``$KERAS_HOME/datasets``, or ``~/.keras/datasets``."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(home) / "datasets"


def resolve(path) -> Path:
    """A relative ``path`` is looked up in :func:`datasets_dir` (as Keras' ``get_file`` does); ``~`` is expanded."""
    p = Path(os.path.expanduser(os.fspath(path)))
    return p if p.is_absolute() else datasets_dir() / p


def missing(dataset: str, expected: str, where, origin: str) -> DataError:
    """The error for a dataset that is not on disk: the files expected, where, and where to get them."""
    return DataError(f"keras.datasets.{dataset}.load_data: {expected} not found in {where}. chalkgrad does not "
                     f"download datasets: get the file Keras uses from {origin} and put it there "
                     "(or pass path=...)")


def npy_header(f):
    """``(shape, fortran_order, dtype)`` of the ``.npy`` stream ``f`` (positioned at its start)."""
    version = np.lib.format.read_magic(f)
    read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    return read(f)


def _check_npy_header(zf: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path) -> None:
    """An array may not declare more bytes than its member holds (NumPy allocates what the header says)."""
    with zf.open(info) as f:
        shape, _, dtype = npy_header(f)
    declared = math.prod(shape) * dtype.itemsize
    if not dtype.hasobject and declared > info.file_size:
        raise DataError(f"{path}: member {info.filename!r} declares an array of shape {shape} ({declared} bytes) "
                        f"but holds {info.file_size} bytes; the file is corrupt, nothing was loaded")


def read_npz(path: Path, keys: tuple, dataset: str) -> dict:
    """Read the arrays ``keys`` of an ``.npz`` file, checking member sizes against the file size first."""
    size = path.stat().st_size
    try:
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                ratio = 1 if info.compress_type == zipfile.ZIP_STORED else DEFLATE_MAX_RATIO
                if info.compress_size > size or info.file_size > size * ratio:
                    raise DataError(f"{path}: member {info.filename!r} declares {info.file_size} bytes but the file "
                                    f"holds {size}; the file is corrupt")
                if info.filename.endswith(".npy"):
                    _check_npy_header(zf, info, path)
        with np.load(path, allow_pickle=False) as npz:
            absent = [k for k in keys if k not in npz.files]
            if absent:
                raise DataError(f"{path}: keras.datasets.{dataset} expects arrays {list(keys)}, the file has "
                                f"{npz.files} (missing {absent})")
            return {k: npz[k] for k in keys}
    except DataError:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as e:
        raise DataError(f"{path}: not a readable .npz file for keras.datasets.{dataset} "
                        f"({type(e).__name__}: {e})") from None
