"""``chalkgrad.save`` / ``chalkgrad.load``: checkpoints as ``.npz`` files with a JSON header, never pickle.

What can be saved: nested dicts (string or integer keys), lists and tuples of NumPy arrays,
chalkgrad Tensors, NumPy scalars, Python numbers, strings, booleans and None, e.g.::

    chalkgrad.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3}, "ckpt.npz")
    ckpt = chalkgrad.load("ckpt.npz")          # tensors come back as Tensors, arrays as arrays

The file is an ordinary NumPy ``.npz`` archive (``np.load(path)`` opens it without chalkgrad):
the entry ``__chalkgrad__`` holds the UTF-8 JSON header (format, version, and the structure of
the object, in which each array is a reference ``{"array": "a7"}``), the entries ``a0, a1, ...``
hold the arrays. Saving uses ``allow_pickle=False``; loading too, so a checkpoint cannot run code.

Writes are atomic: the archive is written to a temporary file in the same directory, flushed,
``fsync``-ed and moved over ``path`` with ``os.replace``, so an interrupted save leaves the previous
file intact. Loading reads and checks everything (zip CRCs, header, every referenced array)
before returning: a truncated, corrupt or foreign file raises :class:`~chalkgrad.errors.CheckpointError`
naming the path, and nothing is half-loaded.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile

import numpy as np

from .errors import CheckpointError
from .tensor import Tensor

__all__ = ["save", "load", "atomic_write_bytes", "FORMAT", "VERSION"]

FORMAT = "chalkgrad-checkpoint"
VERSION = 1
HEADER_KEY = "__chalkgrad__"


# ---------------------------------------------------------------------------- encoding
class _Encoder:
    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}

    def _array(self, arr: np.ndarray, where: str) -> str:
        if arr.dtype == object or arr.dtype.hasobject:
            raise TypeError(f"chalkgrad.save: the array at {where} has dtype object; only numeric, bool and "
                            "string arrays can be saved (checkpoints never use pickle)")
        key = f"a{len(self.arrays)}"
        # (not np.ascontiguousarray: it turns a 0-d array, e.g. BatchNorm's num_batches_tracked, into shape (1,))
        self.arrays[key] = arr if arr.flags.c_contiguous else arr.copy(order="C")
        return key

    def encode(self, obj, where: str = "obj"):
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, int):
            return obj
        if isinstance(obj, float):
            if obj != obj or obj in (float("inf"), float("-inf")):
                return {"float": repr(obj)}
            return obj
        if isinstance(obj, Tensor):
            return {"tensor": self._array(obj.detach().numpy(), where), "requires_grad": bool(obj.requires_grad)}
        if isinstance(obj, np.ndarray):
            return {"array": self._array(obj, where)}
        if isinstance(obj, np.generic):
            return {"scalar": self._array(np.asarray(obj), where)}
        if hasattr(obj, "detach") and hasattr(obj, "numpy"):  # e.g. a torch.Tensor
            return {"array": self._array(np.asarray(obj.detach().cpu().numpy()), where)}
        if isinstance(obj, dict):
            items = []
            for k, v in obj.items():
                if isinstance(k, bool) or not isinstance(k, (str, int)):
                    raise TypeError(f"chalkgrad.save: dictionary keys must be strings or integers, got "
                                    f"{type(k).__name__} {k!r} at {where}")
                items.append([k, self.encode(v, f"{where}[{k!r}]")])
            return {"dict": items}
        if isinstance(obj, (list, tuple)):
            tag = "list" if isinstance(obj, list) else "tuple"
            return {tag: [self.encode(v, f"{where}[{i}]") for i, v in enumerate(obj)]}
        raise TypeError(f"chalkgrad.save: cannot save a {type(obj).__name__} at {where}; checkpoints hold "
                        "dicts, lists, tuples, arrays, Tensors, numbers, strings, booleans and None")


def _decode(node, arrays, path):
    if node is None or isinstance(node, (bool, str, int, float)):
        return node
    if isinstance(node, list):  # never produced by the encoder
        raise CheckpointError(f"{path}: malformed checkpoint header (a bare list)")
    if not isinstance(node, dict) or not node:
        raise CheckpointError(f"{path}: malformed checkpoint header (unexpected {type(node).__name__})")
    tag = next(iter(node))
    try:
        if tag == "dict":
            return {k: _decode(v, arrays, path) for k, v in node["dict"]}
        if tag == "list":
            return [_decode(v, arrays, path) for v in node["list"]]
        if tag == "tuple":
            return tuple(_decode(v, arrays, path) for v in node["tuple"])
        if tag == "float":
            return float(node["float"])
        if tag == "array":
            return arrays[node["array"]]
        if tag == "scalar":
            return arrays[node["scalar"]][()]
        if tag == "tensor":
            t = Tensor(arrays[node["tensor"]])
            if node.get("requires_grad"):
                t.requires_grad_(True)
            return t
    except KeyError as e:
        raise CheckpointError(f"{path}: the checkpoint header refers to array {e.args[0]!r}, which the file "
                              "does not contain (corrupt or edited file)") from None
    except (TypeError, ValueError) as e:
        raise CheckpointError(f"{path}: malformed checkpoint header ({e})") from None
    raise CheckpointError(f"{path}: malformed checkpoint header (unknown entry {tag!r})")


# ---------------------------------------------------------------------------- files
def atomic_write_bytes(path, write) -> None:
    """Call ``write(fileobj)`` on a temporary file next to ``path``, fsync it, then ``os.replace`` it onto path.

    If ``write`` raises (or the process dies), ``path`` keeps its previous contents and the
    temporary file is removed.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"cannot save to {path}: the directory {directory} does not exist")
    fd, tmp = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:  # make the rename itself durable (best effort; not possible on every platform)
        dfd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass


def _write_npz(f, arrays: dict) -> None:
    np.savez(f, allow_pickle=False, **arrays)


def save(obj, path, *, _header_extra: dict | None = None) -> None:
    """Save ``obj`` (nested dicts/lists of arrays, Tensors, numbers, strings) to ``path`` atomically.

    The file is a ``.npz`` archive with a JSON header; see the module docstring.
    """
    enc = _Encoder()
    tree = enc.encode(obj)
    header = {"format": FORMAT, "version": VERSION, **(_header_extra or {}), "object": tree}
    blob = json.dumps(header, allow_nan=False).encode("utf-8")
    arrays = {HEADER_KEY: np.frombuffer(blob, dtype=np.uint8), **enc.arrays}
    atomic_write_bytes(path, lambda f: _write_npz(f, arrays))


def read_header_and_arrays(path) -> tuple[dict, dict]:
    """Read and verify the whole file; returns (header, arrays). Raises CheckpointError for a bad file."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no checkpoint at {path}")
    with open(path, "rb") as f:
        data = f.read()
    if not data.startswith(b"PK"):
        raise CheckpointError(f"{path} is not a chalkgrad checkpoint (not an .npz/zip archive: "
                              f"{'empty file' if not data else 'unknown format'})")
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            names = list(npz.files)
            arrays = {name: npz[name] for name in names}  # reads (and CRC-checks) every entry now
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError, zipfile.LargeZipFile) as e:
        raise CheckpointError(f"{path} is truncated or corrupt and cannot be loaded ({type(e).__name__}: {e})") \
            from None
    odd = [name for name, a in arrays.items() if not isinstance(a, np.ndarray)]
    if odd:
        raise CheckpointError(f"{path} is corrupt or not a chalkgrad checkpoint: the entries {odd[:5]} are not "
                              "NumPy arrays")
    if HEADER_KEY not in arrays:
        raise CheckpointError(f"{path} is an .npz archive but not a chalkgrad checkpoint (no '{HEADER_KEY}' "
                              f"header; entries: {names[:5]}); for plain .npz files use numpy.load")
    try:
        header = json.loads(arrays.pop(HEADER_KEY).tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CheckpointError(f"{path}: the checkpoint header is corrupt ({e})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        found = header.get("format") if isinstance(header, dict) else header
        raise CheckpointError(f"{path}: unknown checkpoint format {found!r} (expected {FORMAT!r})")
    if header.get("version", 0) > VERSION:
        raise CheckpointError(f"{path}: checkpoint version {header['version']} is newer than this chalkgrad "
                              f"understands ({VERSION}); upgrade chalkgrad")
    return header, arrays


def load(path):
    """Load an object saved with :func:`save` (Tensors come back as Tensors, arrays as NumPy arrays)."""
    header, arrays = read_header_and_arrays(path)
    return _decode(header.get("object"), arrays, os.fspath(path))
