"""``chalkgrad.save`` / ``chalkgrad.load``: checkpoints as ``.safetensors`` files (or the older ``.npz``), never pickle.

What can be saved: nested dicts (string or integer keys), lists and tuples of NumPy arrays,
chalkgrad Tensors, NumPy scalars, Python numbers, strings, booleans and None, e.g.::

    chalkgrad.save(model.state_dict(), "w.safetensors")    # tensor names = the state_dict's keys
    chalkgrad.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3}, "ckpt.safetensors")
    ckpt = chalkgrad.load("ckpt.safetensors")              # tensors come back as Tensors, arrays as arrays

**safetensors** (every file name except ``*.npz``, or ``format="safetensors"``): each array is a
tensor named by its place in the object, the parts joined by dots (``model.0.weight``,
``optimizer.state.0.exp_avg``; a flat state_dict keeps its keys). Everything else (numbers,
strings, the epoch, the random generator's state, configurations) is JSON in the file's
``__metadata__`` under the key ``"chalkgrad"``: the header ``{"format", "version", "object", ...}``
in which each array is a reference such as ``{"tensor": "model.0.weight"}``. So
``safetensors.torch.load_file(path)`` and ``safetensors.numpy.load_file(path)`` open the file, and
``torch_model.load_state_dict(load_file("w.safetensors"))`` works for a saved state_dict.
``chalkgrad.load`` also reads safetensors files written by PyTorch, NumPy or Flax: without
chalkgrad's metadata they load as ``{name: Tensor}``; bfloat16 is widened exactly to float32,
and dtypes NumPy cannot hold (float8...) raise :class:`~chalkgrad.errors.CheckpointError`
naming the tensor and the dtype. Arrays of strings cannot be saved to safetensors.

**npz** (``*.npz`` names, or ``format="npz"``; the format before safetensors, still read): a NumPy
``.npz`` archive whose entry ``__chalkgrad__`` holds the same JSON header (arrays referenced as
``{"array": "a7"}``) and whose entries ``a0, a1, ...`` hold the arrays.

Loading picks the format from the file's first bytes, not its name, checks every declared size
against the bytes present before allocating (see :mod:`chalkgrad.checkpoint_npz` and
:mod:`chalkgrad.checkpoint_safetensors`), and reads everything before returning: a truncated,
corrupt, edited or foreign file raises ``CheckpointError`` naming the path (and the header key
at fault), and nothing is half-loaded.

Writes are atomic (see :func:`atomic_write_bytes`): an interrupted save leaves the previous file
intact, the temporaries of killed saves are removed by the next save to the same file, and the
new file gets the mode ``open()`` would give it (0666 minus the umask).
"""

from __future__ import annotations

import json
import os
import secrets

import numpy as np

from .errors import CheckpointError, DTypeError
from .tensor import Tensor

__all__ = ["save", "load", "atomic_write_bytes", "read_checkpoint", "FORMAT", "VERSION", "FORMATS"]

FORMAT = "chalkgrad-checkpoint"
VERSION = 1
HEADER_KEY = "__chalkgrad__"  # the npz entry holding the header
METADATA_KEY = "chalkgrad"  # the safetensors __metadata__ key holding the header
FORMATS = ("safetensors", "npz")
MAX_DEPTH = 64  # nesting a checkpoint's object may have


# ---------------------------------------------------------------------------- encoding
class _Encoder:
    """Turns an object into a JSON tree plus ``{name: array}``.

    ``dotted_names``: arrays are named by their place in the object (``model.0.weight``), as
    safetensors tensors; otherwise ``a0, a1, ...`` (the npz format).
    """

    def __init__(self, dotted_names: bool) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self.dotted_names = dotted_names

    def _name(self, parts: tuple) -> str:
        if not self.dotted_names:
            return f"a{len(self.arrays)}"
        name = ".".join(parts) or "tensor"
        unique, n = name, 1
        while unique in self.arrays:  # e.g. keys "a.b" and "a" -> "b" both give "a.b"
            unique, n = f"{name}#{n}", n + 1
        return unique

    def _array(self, arr: np.ndarray, parts: tuple) -> str:
        if arr.dtype.hasobject:
            raise DTypeError(f"chalkgrad.save: the array at {_where(parts)} has dtype object; only numeric, bool "
                             "and string arrays can be saved (checkpoints never use pickle)")
        name = self._name(parts)
        # (not np.ascontiguousarray: it turns a 0-d array, e.g. BatchNorm's num_batches_tracked, into shape (1,))
        self.arrays[name] = arr if arr.flags.c_contiguous else arr.copy(order="C")
        return name

    def encode(self, obj, parts: tuple = ()):
        if obj is None or isinstance(obj, (bool, str, int)):
            return obj
        if isinstance(obj, float):
            if obj != obj or obj in (float("inf"), float("-inf")):
                return {"float": repr(obj)}
            return obj
        if isinstance(obj, Tensor):
            return {"tensor": self._array(obj.detach().numpy(), parts), "requires_grad": bool(obj.requires_grad)}
        if isinstance(obj, np.ndarray):
            return {"array": self._array(obj, parts)}
        if isinstance(obj, np.generic):
            return {"scalar": self._array(np.asarray(obj), parts)}
        if hasattr(obj, "detach") and hasattr(obj, "numpy"):  # e.g. a torch.Tensor
            return {"array": self._array(np.asarray(obj.detach().cpu().numpy()), parts)}
        if len(parts) >= MAX_DEPTH:
            raise DTypeError(f"chalkgrad.save: the object is nested deeper than {MAX_DEPTH} levels at {_where(parts)}")
        if isinstance(obj, dict):
            items = []
            for k, v in obj.items():
                if isinstance(k, bool) or not isinstance(k, (str, int)):
                    raise DTypeError(f"chalkgrad.save: dictionary keys must be strings or integers, got "
                                     f"{type(k).__name__} {k!r} at {_where(parts)}")
                items.append([k, self.encode(v, parts + (str(k),))])
            return {"dict": items}
        if isinstance(obj, (list, tuple)):
            tag = "list" if isinstance(obj, list) else "tuple"
            return {tag: [self.encode(v, parts + (str(i),)) for i, v in enumerate(obj)]}
        raise DTypeError(f"chalkgrad.save: cannot save a {type(obj).__name__} at {_where(parts)}; checkpoints hold "
                         "dicts, lists, tuples, arrays, Tensors, numbers, strings, booleans and None")


def _where(parts: tuple) -> str:
    return "obj" + "".join(f"[{p!r}]" for p in parts)


def _decode(node, arrays, path, depth: int = 0):
    """The object the JSON tree ``node`` describes, its arrays taken from ``arrays``."""
    if node is None or isinstance(node, (bool, str, int, float)):
        return node
    if depth > MAX_DEPTH:
        raise CheckpointError(f"{path}: the checkpoint header key 'object' is nested deeper than {MAX_DEPTH} levels")
    if not isinstance(node, dict) or len(node) not in (1, 2):
        raise CheckpointError(f"{path}: malformed checkpoint header key 'object' (unexpected "
                              f"{type(node).__name__} {str(node)[:60]})")
    tag = next(iter(node))
    try:
        if tag == "dict":
            items = node["dict"]
            if not all(isinstance(kv, list) and len(kv) == 2 and isinstance(kv[0], (str, int)) for kv in items):
                raise TypeError("dict items must be [key, value] pairs")
            return {k: _decode(v, arrays, path, depth + 1) for k, v in items}
        if tag == "list":
            return [_decode(v, arrays, path, depth + 1) for v in node["list"]]
        if tag == "tuple":
            return tuple(_decode(v, arrays, path, depth + 1) for v in node["tuple"])
        if tag == "float":
            return float(node["float"])
        if tag == "array":
            return arrays[node["array"]]
        if tag == "scalar":
            return arrays[node["scalar"]][()]
        if tag == "tensor":
            t = Tensor(arrays[node["tensor"]])
            if node.get("requires_grad") is True:
                t.requires_grad_(True)
            return t
    except KeyError as e:
        raise CheckpointError(f"{path}: the checkpoint header refers to array {e.args[0]!r}, which the file "
                              "does not contain (corrupt or edited file)") from None
    except (TypeError, ValueError, IndexError) as e:
        raise CheckpointError(f"{path}: malformed checkpoint header key 'object' ({e})") from None
    raise CheckpointError(f"{path}: malformed checkpoint header key 'object' (unknown entry {str(tag)[:40]!r})")


# ---------------------------------------------------------------------------- files
def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _remove_stale_temporaries(directory: str, base: str) -> None:
    """Delete ``.<base>.<pid>-<token>.tmp`` files left by saves whose process no longer runs."""
    prefix = f".{base}."
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for name in names:
        if not (name.startswith(prefix) and name.endswith(".tmp")):
            continue
        pid = name[len(prefix):-len(".tmp")].split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
            try:
                os.unlink(os.path.join(directory, name))
            except OSError:
                pass


def atomic_write_bytes(path, write) -> None:
    """Call ``write(fileobj)`` on a temporary file next to ``path``, fsync it, then ``os.replace`` it onto path.

    If ``write`` raises, ``path`` keeps its previous contents and the temporary file is removed;
    if the process is killed, the temporary ``.<name>.<pid>-<token>.tmp`` stays and the next save
    to ``path`` deletes it (it deletes those whose process is gone). The file gets mode
    0666 minus the umask, as with ``open()``. A permission problem raises ``PermissionError``
    whose message and ``filename`` name ``path`` (not the temporary).
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"cannot save to {path}: the directory {directory} does not exist")
    base = os.path.basename(path)
    _remove_stale_temporaries(directory, base)
    tmp = os.path.join(directory, f".{base}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    except PermissionError as e:
        raise PermissionError(e.errno, f"cannot save to {path}: no permission to write in {directory}",
                              path) from None
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(e, PermissionError):
            raise PermissionError(e.errno, f"cannot save to {path}: permission denied", path) from None
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


def _write_bytes(f, blob: bytes) -> None:
    f.write(blob)


def format_for(path, format: str | None = None) -> str:  # noqa: A002 - the natural name
    """The file format a save to ``path`` uses: ``format`` if given, else 'npz' for ``*.npz``, else 'safetensors'."""
    if format is not None:
        if format not in FORMATS:
            raise DTypeError(f"chalkgrad.save: format must be one of {FORMATS}, got {format!r}")
        return format
    return "npz" if os.fspath(path).lower().endswith(".npz") else "safetensors"


def save(obj, path, *, format: str | None = None, _header_extra: dict | None = None) -> None:  # noqa: A002
    """Save ``obj`` (nested dicts/lists of arrays, Tensors, numbers, strings) to ``path`` atomically.

    ``format``: 'safetensors' or 'npz'; by default ``*.npz`` names get the npz format and every
    other name safetensors. See the module docstring for both layouts.
    """
    kind = format_for(path, format)
    enc = _Encoder(dotted_names=kind == "safetensors")
    tree = enc.encode(obj)
    header = {"format": FORMAT, "version": VERSION, **(_header_extra or {}), "object": tree}
    blob = json.dumps(header, allow_nan=False).encode("utf-8")
    if kind == "npz":
        arrays = {HEADER_KEY: np.frombuffer(blob, dtype=np.uint8), **enc.arrays}
        atomic_write_bytes(path, lambda f: _write_npz(f, arrays))
        return
    from .checkpoint_safetensors import to_safetensors_bytes

    content = to_safetensors_bytes(enc.arrays, {METADATA_KEY: blob.decode("utf-8")}, os.fspath(path))
    atomic_write_bytes(path, lambda f: _write_bytes(f, content))


# ---------------------------------------------------------------------------- reading
def _parse_header(text: str, path: str, where: str) -> dict:
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as e:  # JSONDecodeError is a ValueError
        raise CheckpointError(f"{path}: the checkpoint header ({where}) is corrupt or nested too deeply "
                              f"({type(e).__name__})") from None


def check_header(header, path: str) -> dict:
    """``header`` if it is a chalkgrad header this version reads; CheckpointError naming the key otherwise."""
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        found = header.get("format") if isinstance(header, dict) else type(header).__name__
        raise CheckpointError(f"{path}: unknown checkpoint format {found!r} in header key 'format' "
                              f"(expected {FORMAT!r})")
    version = header.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise CheckpointError(f"{path}: the checkpoint header key 'version' must be a positive integer, got "
                              f"{version!r} (edited or corrupt file)")
    if version > VERSION:
        raise CheckpointError(f"{path}: checkpoint version {version} (header key 'version') is newer than this "
                              f"chalkgrad understands ({VERSION}); upgrade chalkgrad")
    if "object" not in header:
        raise CheckpointError(f"{path}: the checkpoint header has no key 'object' (edited or corrupt file)")
    return header


def _read_npz(data: bytes, path: str) -> tuple[dict, dict]:
    from .checkpoint_npz import read_npz_entries

    arrays = read_npz_entries(data, path)
    if HEADER_KEY not in arrays:
        raise CheckpointError(f"{path} is an .npz archive but not a chalkgrad checkpoint (no '{HEADER_KEY}' "
                              f"header; entries: {list(arrays)[:5]}); for plain .npz files use numpy.load")
    blob = arrays.pop(HEADER_KEY)
    if blob.dtype != np.uint8 or blob.ndim != 1:
        raise CheckpointError(f"{path}: the '{HEADER_KEY}' entry is not a byte array (corrupt file)")
    try:
        text = blob.tobytes().decode("utf-8")
    except UnicodeDecodeError:
        raise CheckpointError(f"{path}: the checkpoint header is not UTF-8 (corrupt file)") from None
    return _parse_header(text, path, f"npz entry '{HEADER_KEY}'"), arrays


def _read_safetensors(data: bytes, path: str) -> tuple[dict, dict]:
    from .checkpoint_safetensors import read_safetensors

    metadata, arrays = read_safetensors(data, path)
    if METADATA_KEY in metadata:
        return _parse_header(metadata[METADATA_KEY], path, f"__metadata__['{METADATA_KEY}']"), arrays
    # a file written by another program: a flat {name: tensor}
    tree = {"dict": [[name, {"tensor": name}] for name in arrays]}
    return {"format": FORMAT, "version": VERSION, "object": tree, "foreign": True}, arrays


def read_checkpoint(path) -> tuple[dict, dict]:
    """Read and verify the whole file; returns (header, ``{name: array}``). Raises CheckpointError for a bad file.

    The header is checked (format, version, an ``object``); keys other programs add are kept.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no checkpoint at {path}")
    try:
        with open(path, "rb") as f:
            data = f.read()
    except IsADirectoryError:
        raise CheckpointError(f"{path} is a directory, not a checkpoint file") from None
    if data.startswith(b"PK"):
        header, arrays = _read_npz(data, path)
    else:
        from .checkpoint_safetensors import is_safetensors

        if not is_safetensors(data):
            raise CheckpointError(f"{path} is not a chalkgrad checkpoint (neither safetensors nor an .npz "
                                  f"archive: {'empty file' if not data else 'unknown format'})")
        header, arrays = _read_safetensors(data, path)
    return check_header(header, path), arrays


read_header_and_arrays = read_checkpoint  # the name before safetensors


def load(path):
    """Load an object saved with :func:`save`, or a safetensors file from another program (``{name: Tensor}``).

    Tensors come back as Tensors, arrays as NumPy arrays.
    """
    header, arrays = read_checkpoint(path)
    return _decode(header["object"], arrays, os.fspath(path))


# ---------------------------------------------------------------------------- architecture configs
#: the largest integer an architecture config may hold whatever the file's size (kernel sizes, image sizes)
MIN_SIZE_BOUND = 4096


def check_config_sizes(config, arrays: dict, path: str, key: str) -> None:
    """Refuse an architecture config asking for more than the file's weights can fill, before building it.

    A layer of ``units`` outputs, ``num_classes`` classes or ``filters`` channels has at least
    that many weights, so every integer of the config must be at most
    ``max(values in the file, MIN_SIZE_BOUND)``; a bigger one (``Dense(units=10**12)``) raises
    CheckpointError naming ``path`` and the key (e.g. ``model_config.layers[1].config.units``).
    The config must be JSON of at most ``MAX_DEPTH`` levels (it has been parsed as JSON already).
    """
    bound = max(sum(int(a.size) for a in arrays.values()), MIN_SIZE_BOUND)

    def walk(node, where, depth):
        if depth > MAX_DEPTH:
            raise CheckpointError(f"{path}: the header key {where!r} is nested deeper than {MAX_DEPTH} levels")
        if isinstance(node, bool) or node is None or isinstance(node, (str, float)):
            return
        if isinstance(node, int):
            if abs(node) > bound:
                raise CheckpointError(f"{path}: the header key {where!r} asks for {node}, more than the "
                                      f"{bound} weight values the file holds (edited or corrupt file)")
            return
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else None
        if items is None:
            raise CheckpointError(f"{path}: the header key {where!r} holds a {type(node).__name__}")
        for k, v in items:
            walk(v, f"{where}.{k}" if isinstance(node, dict) else f"{where}[{k}]", depth + 1)

    walk(config, key, 0)


def header_mapping(header: dict, key: str, path: str, *, required: bool = True) -> dict | None:
    """``header[key]`` if it is a JSON object; CheckpointError naming the path and the key otherwise."""
    value = header.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, dict):
        raise CheckpointError(f"{path}: the checkpoint header key {key!r} must be a mapping, got "
                              f"{'nothing' if value is None else type(value).__name__} (edited or corrupt file)")
    return value


def object_entry(obj, key: str, path: str, kind: type, what: str, *, required: bool = True):
    """``obj[key]`` (the saved object's entry) if it is a ``kind``; CheckpointError naming the key otherwise."""
    if not isinstance(obj, dict):
        raise CheckpointError(f"{path}: the checkpoint holds a {type(obj).__name__}, expected a mapping with "
                              f"key {key!r}")
    if key not in obj and not required:
        return None
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, kind):
        raise CheckpointError(f"{path}: the checkpoint entry {key!r} must be {what}, got "
                              f"{'nothing' if key not in obj else type(value).__name__} (edited or corrupt file)")
    return value
