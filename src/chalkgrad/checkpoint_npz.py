"""Reading chalkgrad's old ``.npz`` checkpoints without trusting a single declared size.

An ``.npz`` is a zip archive of ``.npy`` entries. A hostile file can lie in two places:

* the zip entry sizes (a zip bomb: 1.6 MB that inflates to gigabytes), and
* each npy header's shape (``(2**40,)`` float64 asks NumPy for 8 TiB).

So every entry is decompressed *while counting*: the total may not exceed
``MAX_EXPANSION · (file size) + 1 MiB`` (chalkgrad writes stored, uncompressed entries, so a
real checkpoint is never bigger than its file), and an entry may not exceed the size its zip
header declares. Then the npy header's ``prod(shape) · itemsize`` must equal the bytes that
follow it exactly, before any array is made (the array is a view of those bytes).
"""

from __future__ import annotations

import ast
import io
import math
import zipfile

import numpy as np

from .errors import CheckpointError

__all__ = ["read_npz_entries", "MAX_EXPANSION"]

MAX_EXPANSION = 16  # decompressed bytes allowed per byte of file (plus _SLACK)
_SLACK = 1 << 20
_CHUNK = 1 << 20
_MAX_NPY_HEADER = 1 << 16


def _read_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int, path: str) -> bytes:
    """The bytes of one entry, decompressed in chunks; refuses more than ``budget`` or than declared."""
    if info.file_size > budget:
        raise CheckpointError(f"{path}: the entry {info.filename!r} declares {info.file_size} bytes, more than "
                              f"the file can justify ({budget} bytes left of {MAX_EXPANSION}x its size): "
                              "a zip bomb or a corrupt file")
    limit = min(budget, info.file_size)
    out = bytearray()
    with archive.open(info) as stream:
        while True:
            chunk = stream.read(min(_CHUNK, limit + 1 - len(out)))
            if not chunk:
                break
            out += chunk
            if len(out) > limit:
                raise CheckpointError(f"{path}: the entry {info.filename!r} inflates beyond the {limit} bytes "
                                      "it may hold (a zip bomb or a corrupt file)")
    return bytes(out)


def _parse_npy(raw: bytes, name: str, path: str) -> np.ndarray:
    """The array of an ``.npy`` blob, after checking its header against the bytes present."""
    where = f"{path}: the entry {name!r}"
    if not raw.startswith(b"\x93NUMPY") or len(raw) < 10:
        raise CheckpointError(f"{where} is not an .npy array")
    major = raw[6]
    if major == 1:
        hlen, start = int.from_bytes(raw[8:10], "little"), 10
    elif major in (2, 3):
        hlen, start = int.from_bytes(raw[8:12], "little"), 12
    else:
        raise CheckpointError(f"{where} has an unknown .npy version {major}")
    if hlen > _MAX_NPY_HEADER or start + hlen > len(raw):
        raise CheckpointError(f"{where} declares a {hlen}-byte .npy header, but holds {len(raw)} bytes")
    try:
        text = raw[start:start + hlen].decode("utf-8" if major == 3 else "latin1")
        header = ast.literal_eval(text)
        descr, fortran, shape = header["descr"], header["fortran_order"], header["shape"]
        dtype = np.dtype(descr)
    except (ValueError, SyntaxError, TypeError, KeyError, MemoryError, RecursionError, UnicodeDecodeError) as e:
        raise CheckpointError(f"{where} has a malformed .npy header ({type(e).__name__})") from None
    if dtype.hasobject:
        raise CheckpointError(f"{where} holds Python objects (dtype {dtype}); checkpoints never use pickle")
    if (not isinstance(shape, tuple) or not isinstance(fortran, bool)
            or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in shape)):
        raise CheckpointError(f"{where} has a malformed .npy header (shape {shape!r})")
    data = memoryview(raw)[start + hlen:]
    declared = math.prod(shape) * dtype.itemsize
    if declared != len(data):
        raise CheckpointError(f"{where} declares shape {shape} of {dtype} ({declared} bytes), but "
                              f"{len(data)} bytes follow its header")
    flat = np.frombuffer(data, dtype=dtype) if declared else np.empty(0, dtype)
    return flat.reshape(shape, order="F" if fortran else "C").copy(order="K")


def read_npz_entries(data: bytes, path: str) -> dict[str, np.ndarray]:
    """Every ``name.npy`` entry of the archive ``data`` as ``{name: array}``, bounded by ``len(data)``."""
    budget = MAX_EXPANSION * len(data) + _SLACK
    arrays: dict[str, np.ndarray] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in archive.infolist():
                raw = _read_entry(archive, info, budget, path)
                budget -= len(raw)
                name = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
                arrays[name] = _parse_npy(raw, name, path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, NotImplementedError,
            RuntimeError) as e:
        if isinstance(e, CheckpointError):
            raise
        raise CheckpointError(f"{path} is truncated or corrupt and cannot be loaded ({type(e).__name__}: {e})") \
            from None
    return arrays
