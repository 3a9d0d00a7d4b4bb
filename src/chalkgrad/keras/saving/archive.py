"""The ``.keras`` file: a zip archive holding ``metadata.json``, ``config.json`` and ``model.weights.h5``.

That is the layout Keras 3 writes (``keras.saving.save_model``): members stored uncompressed,
``metadata.json`` with ``keras_version`` and ``date_saved``, ``config.json`` the serialized
model, ``model.weights.h5`` the variables (see :mod:`.h5`). An ``assets/`` folder may follow;
chalkgrad writes none and ignores it when reading.

Reading is bounded: the archive's directory is checked before anything is decompressed (each
member must be smaller than the whole file times the largest ratio DEFLATE can reach, and than a
hard cap for the JSON members), so a file that lies about its sizes fails with a
:class:`~chalkgrad.errors.CheckpointError` naming the file and the member instead of allocating
what it claims. Writing is atomic (temporary file, fsync, rename).
"""

from __future__ import annotations

import datetime
import io
import json
import os
import zipfile

from ...errors import CheckpointError
from ...serialization import atomic_write_bytes

__all__ = ["CONFIG_NAME", "METADATA_NAME", "WEIGHTS_NAME", "KERAS_VERSION", "KerasArchive",
           "read_keras_archive", "write_keras_archive"]

CONFIG_NAME = "config.json"
METADATA_NAME = "metadata.json"
WEIGHTS_NAME = "model.weights.h5"
KERAS_VERSION = "3.15.1"  # the Keras release whose format chalkgrad writes (and is tested against)

DEFLATE_MAX_RATIO = 1032   # the most DEFLATE can expand: a member claiming more is lying
JSON_MAX_BYTES = 64 << 20  # config/metadata larger than this are not model configs


class KerasArchive:
    """What a ``.keras`` file holds: ``config`` and ``metadata`` (parsed JSON) and the weights' h5 bytes."""

    def __init__(self, path: str, config: dict, metadata: dict, weights_h5: bytes) -> None:
        self.path = path
        self.config = config
        self.metadata = metadata
        self.weights_h5 = weights_h5


def _checked_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, path: str, file_size: int, cap: int) -> bytes:
    """Read one member after checking that its declared size is possible for this file."""
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise CheckpointError(f"{path}: member {info.filename!r} uses zip compression method {info.compress_type}; "
                              "Keras files use stored or deflated members")
    limit = file_size if info.compress_type == zipfile.ZIP_STORED else file_size * DEFLATE_MAX_RATIO
    if info.compress_size > file_size or info.file_size > min(limit, cap):
        raise CheckpointError(f"{path}: member {info.filename!r} declares {info.file_size} bytes "
                              f"({info.compress_size} compressed) but the file holds {file_size} bytes; "
                              "the archive is corrupt or forged, nothing was loaded")
    try:
        with zf.open(info) as f:
            data = f.read(info.file_size + 1)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as e:
        raise CheckpointError(f"{path}: member {info.filename!r} cannot be read ({type(e).__name__}: {e})") from None
    if len(data) != info.file_size:
        raise CheckpointError(f"{path}: member {info.filename!r} holds {len(data)} bytes, its header says "
                              f"{info.file_size}; the archive is corrupt")
    return data


def _json_member(zf, infos, name, path, file_size) -> dict:
    if name not in infos:
        raise CheckpointError(f"{path}: not a Keras 3 model file: the archive has no {name!r} "
                              f"(members: {sorted(infos)[:8]})")
    data = _checked_member(zf, infos[name], path, file_size, JSON_MAX_BYTES)
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CheckpointError(f"{path}: member {name!r} is not valid JSON ({e})") from None
    if not isinstance(value, dict):
        raise CheckpointError(f"{path}: member {name!r} holds a JSON {type(value).__name__}, expected an object")
    return value


def read_keras_archive(path) -> KerasArchive:
    """Open a ``.keras`` file and return its checked contents (raises CheckpointError for a bad file)."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no Keras model file at {path}")
    file_size = os.path.getsize(path)
    with open(path, "rb") as f:
        head = f.read(4)
    if head[:2] != b"PK":
        kind = "an HDF5 file (the legacy Keras 2 .h5 format, not supported)" if head == b"\x89HDF" else \
            ("an empty file" if not head else "not a zip archive")
        raise CheckpointError(f"{path}: not a Keras 3 .keras file: it is {kind}")
    try:
        with zipfile.ZipFile(path) as zf:
            infos = {info.filename: info for info in zf.infolist()}
            config = _json_member(zf, infos, CONFIG_NAME, path, file_size)
            metadata = _json_member(zf, infos, METADATA_NAME, path, file_size) if METADATA_NAME in infos else {}
            if WEIGHTS_NAME not in infos:
                other = " (this file keeps its weights as npz, which chalkgrad does not read)" \
                    if "model.weights.npz" in infos else ""
                raise CheckpointError(f"{path}: the archive has no {WEIGHTS_NAME!r}{other}")
            weights = _checked_member(zf, infos[WEIGHTS_NAME], path, file_size, file_size * DEFLATE_MAX_RATIO)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as e:
        if isinstance(e, CheckpointError):
            raise
        raise CheckpointError(f"{path}: truncated or corrupt .keras archive ({type(e).__name__}: {e})") from None
    return KerasArchive(path, config, metadata, weights)


def metadata_now() -> dict:
    """The ``metadata.json`` Keras writes: its version and the save time as ``YYYY-MM-DD@HH:MM:SS``."""
    return {"keras_version": KERAS_VERSION, "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")}


def write_keras_archive(path, config: dict, weights_h5: bytes, metadata: dict | None = None) -> None:
    """Write a ``.keras`` file atomically: metadata.json, config.json, model.weights.h5 (stored, as Keras does)."""
    meta = json.dumps(metadata if metadata is not None else metadata_now()).encode("utf-8")
    conf = json.dumps(config).encode("utf-8")

    def write(f):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as zf:
            zf.writestr(METADATA_NAME, meta)
            zf.writestr(CONFIG_NAME, conf)
            zf.writestr(WEIGHTS_NAME, weights_h5)
        f.write(buffer.getbuffer())

    atomic_write_bytes(path, write)
