"""Keras 3's weights file (``*.weights.h5``, and ``model.weights.h5`` inside a ``.keras`` archive).

The HDF5 file mirrors the model's object tree, one group per object that Keras saves, named by
where the object sits rather than by its (auto-generated) name::

    vars                                   attrs name="sequential"   (the model's own variables: none)
    layers/conv2d/vars/0, vars/1           attrs name="conv2d"       kernel, bias
    layers/conv2d_1/vars/0, vars/1         the second Conv2D of the model's layer list
    layers/lstm/cell/vars/0 .. 2           an RNN layer keeps its variables in its cell
    layers/bidirectional/forward_layer/cell/vars/0 .. 2
    optimizer/vars/0 ..                    optimizer state (written by Keras when compiled; ignored here)

Each ``vars`` group holds datasets ``0, 1, ...``: the object's trainable then non-trainable
variables in creation order. :func:`write_weights_h5` writes such a file from a list of
:class:`Entry`; :func:`read_weights_h5` reads one into a dict from group path to arrays.

Reading is bounded: links (soft, external), external or virtual datasets and non-numeric dtypes
are refused; a dataset may not declare more bytes than it stores (times DEFLATE's largest ratio
when compressed), nor store more than the file holds. Errors are
:class:`~chalkgrad.errors.CheckpointError` naming the file and the dataset.
"""

from __future__ import annotations

import io
import math
import os
from dataclasses import dataclass, field

import numpy as np

from ...errors import CheckpointError
from ...serialization import atomic_write_bytes

__all__ = ["Entry", "WeightsFile", "write_weights_h5", "read_weights_h5", "save_weights_file", "h5py_or_error"]

DEFLATE_MAX_RATIO = 1032


def h5py_or_error(what: str):
    """Import h5py, or raise a CheckpointError that says how to install it."""
    try:
        import h5py
    except ImportError:
        raise CheckpointError(f"{what} needs h5py (Keras' weights are HDF5 files); install it with "
                              'pip install "chalkgrad[keras]"') from None
    return h5py


@dataclass
class Entry:
    """One ``vars`` group: its path ('' for the root), the object's name (an attribute) and its arrays."""

    path: str
    name: str | None
    arrays: list = field(default_factory=list)


@dataclass
class WeightsFile:
    """A read weights file: ``groups[path]`` is the list of arrays of ``path/vars`` ('' for the root)."""

    source: str
    groups: dict
    names: dict

    def arrays(self, path: str) -> list:
        return self.groups.get(path, [])


def write_weights_h5(entries: list) -> bytes:
    """Return the bytes of an HDF5 file with one ``<path>/vars`` group per entry (datasets ``0, 1, ...``)."""
    h5py = h5py_or_error("writing Keras weights")
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        for entry in entries:
            group = f.create_group(f"{entry.path}/vars" if entry.path else "vars")
            if entry.name is not None:
                group.attrs["name"] = entry.name
            for i, array in enumerate(entry.arrays):
                group.create_dataset(str(i), data=np.ascontiguousarray(array))
    return buffer.getvalue()


def save_weights_file(path, entries: list) -> None:
    """Write ``entries`` to ``path`` as a Keras ``.weights.h5`` file, atomically."""
    data = write_weights_h5(entries)
    atomic_write_bytes(path, lambda f: f.write(data))


def _check_dataset(h5py, dataset, where: str, source: str, file_size: int):
    if dataset.external:
        raise CheckpointError(f"{source}: dataset {where!r} refers to an external file; refused")
    if dataset.is_virtual:
        raise CheckpointError(f"{source}: dataset {where!r} is a virtual dataset; refused")
    dtype = dataset.dtype
    if dtype.kind not in "fiub" or dtype.fields is not None:
        bf16 = " (bfloat16 weights are not supported)" if dataset.attrs.get("dtype") == "bfloat16" else ""
        raise CheckpointError(f"{source}: dataset {where!r} has dtype {dtype}{bf16}; expected numeric weights")
    declared = math.prod(dataset.shape or ()) * dtype.itemsize
    stored = dataset.id.get_storage_size()
    ratio = DEFLATE_MAX_RATIO if dataset.compression else 1
    if stored > file_size or declared > max(stored, 0) * ratio:
        raise CheckpointError(f"{source}: dataset {where!r} declares {declared} bytes (shape {dataset.shape}, "
                              f"{dtype}) but stores {stored} in a file of {file_size} bytes; the file is corrupt "
                              "or forged, nothing was loaded")


def _read(h5py, f, source: str, file_size: int) -> WeightsFile:
    groups: dict = {}
    names: dict = {}

    def visit(group, prefix: str):
        for key in group:
            link = group.get(key, getlink=True)
            where = f"{prefix}{key}"
            if not isinstance(link, h5py.HardLink):
                raise CheckpointError(f"{source}: {where!r} is a {type(link).__name__}; links are refused")
            child = group[key]
            if key == "vars" and isinstance(child, h5py.Group):
                groups[prefix.rstrip("/")] = _read_vars(h5py, child, where, source, file_size)
                name = child.attrs.get("name")
                names[prefix.rstrip("/")] = name.decode() if isinstance(name, bytes) else name
            elif isinstance(child, h5py.Group):
                visit(child, where + "/")

    visit(f, "")
    return WeightsFile(source, groups, names)


def _read_vars(h5py, group, where: str, source: str, file_size: int) -> list:
    keys = list(group)
    expected = [str(i) for i in range(len(keys))]
    if sorted(keys, key=lambda k: (len(k), k)) != expected:
        raise CheckpointError(f"{source}: group {where!r} holds {sorted(keys)[:8]}, expected datasets named "
                              f"0..{len(keys) - 1}")
    arrays = []
    for key in expected:
        link = group.get(key, getlink=True)
        if not isinstance(link, h5py.HardLink):
            raise CheckpointError(f"{source}: {where}/{key!r} is a {type(link).__name__}; links are refused")
        dataset = group[key]
        if not isinstance(dataset, h5py.Dataset):
            raise CheckpointError(f"{source}: {where}/{key} is a group, expected a dataset")
        _check_dataset(h5py, dataset, f"{where}/{key}", source, file_size)
        arrays.append(np.asarray(dataset[()]))
    return arrays


def read_weights_h5(source, data: bytes | None = None) -> WeightsFile:
    """Read a Keras weights file: from ``data`` (bytes of an archive member named ``source``) or the file ``source``."""
    h5py = h5py_or_error("reading Keras weights")
    source = os.fspath(source)
    if data is None:
        if not os.path.isfile(source):
            raise FileNotFoundError(f"no weights file at {source}")
        with open(source, "rb") as fh:
            data = fh.read()
    if not data.startswith(b"\x89HDF\r\n\x1a\n"):
        kind = "an empty file" if not data else ("a zip archive (a .keras or .npz file?)" if data[:2] == b"PK"
                                                 else "not an HDF5 file")
        raise CheckpointError(f"{source}: not a Keras weights file: it is {kind}")
    try:
        with h5py.File(io.BytesIO(data), "r") as f:
            return _read(h5py, f, source, len(data))
    except CheckpointError:
        raise
    except (OSError, ValueError, KeyError, RuntimeError, TypeError) as e:
        raise CheckpointError(f"{source}: truncated or corrupt HDF5 weights file ({type(e).__name__}: {e})") from None
