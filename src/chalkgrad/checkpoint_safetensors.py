"""Reading and writing ``.safetensors`` files (the ``safetensors`` package does the format).

The layout (https://huggingface.co/docs/safetensors): 8 bytes little-endian ``N``, then ``N``
bytes of JSON ``{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}}``,
then the tensor bytes, each tensor at ``8 + N + begin``.

Before the library parses anything, the header is checked against the file: ``N`` must fit in
the file, every tensor's ``prod(shape) · itemsize`` must equal ``end - begin`` and lie inside the
data. So a lying header is refused before any allocation, and a load never holds more than
about three times the file's size (the file, the library's copy, the arrays).

Dtypes: the ones NumPy holds load as they are; ``BF16`` (PyTorch's bfloat16) is widened exactly
to float32 (a bfloat16 is the upper half of a float32); ``F8_*`` and other dtypes NumPy cannot
hold raise :class:`~chalkgrad.errors.CheckpointError` naming the tensor and its dtype.
"""

from __future__ import annotations

import json
import math

import numpy as np

from .errors import CheckpointError, DTypeError

__all__ = ["to_safetensors_bytes", "read_safetensors", "is_safetensors", "SAVABLE_KINDS"]

# safetensors dtype name -> NumPy dtype (BF16 is handled apart)
_NUMPY_DTYPES = {
    "F64": np.float64, "F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32,
    "I16": np.int16, "I8": np.int8, "U64": np.uint64, "U32": np.uint32, "U16": np.uint16, "U8": np.uint8,
    "BOOL": np.bool_, "C64": np.complex64,
}
_ITEMSIZE = {**{k: np.dtype(v).itemsize for k, v in _NUMPY_DTYPES.items()}, "BF16": 2,
             "F8_E4M3": 1, "F8_E5M2": 1, "F8_E8M0": 1, "F4": 1, "F6_E2M3": 1, "F6_E3M2": 1}
#: NumPy dtypes a safetensors file can hold
SAVABLE_KINDS = tuple(np.dtype(v) for v in _NUMPY_DTYPES.values())
_MAX_HEADER = 100 * (1 << 20)  # the library's own limit


def is_safetensors(data: bytes) -> bool:
    """Whether ``data`` starts like a safetensors file (a length, then a JSON object)."""
    return len(data) >= 10 and data[8:9] == b"{"


def to_safetensors_bytes(arrays: dict, metadata: dict[str, str], where: str) -> bytes:
    """The file content for ``{name: array}`` with ``metadata`` (``where`` names the target in errors)."""
    from safetensors.numpy import save as st_save

    for name, arr in arrays.items():
        if arr.dtype not in SAVABLE_KINDS:
            raise DTypeError(f"chalkgrad.save: {where}: the array {name!r} has dtype {arr.dtype}, which safetensors "
                             f"cannot hold (it holds {', '.join(sorted({d.name for d in SAVABLE_KINDS}))}); "
                             "save to a .npz file instead")
    return st_save({k: np.ascontiguousarray(v) if v.ndim else v for k, v in arrays.items()}, metadata=metadata)


def _check_header(header, data_len: int, path: str) -> dict:
    """``header`` after checking every entry's dtype, shape and offsets against ``data_len`` bytes."""
    if not isinstance(header, dict):
        raise CheckpointError(f"{path}: the safetensors header is a {type(header).__name__}, not a JSON object")
    metadata = header.get("__metadata__", {})
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise CheckpointError(f"{path}: the safetensors '__metadata__' must map strings to strings")
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        where = f"{path}: tensor {name!r}"
        if not isinstance(entry, dict):
            raise CheckpointError(f"{where}: the header entry is not an object")
        dtype, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
        if not isinstance(dtype, str) or dtype not in _ITEMSIZE:
            raise CheckpointError(f"{where} has an unknown dtype {dtype!r}")
        if not isinstance(shape, list) or not all(type(s) is int and s >= 0 for s in shape):
            raise CheckpointError(f"{where} has a malformed shape {shape!r}")
        if (not isinstance(offsets, list) or len(offsets) != 2 or not all(type(o) is int for o in offsets)
                or not 0 <= offsets[0] <= offsets[1] <= data_len):
            raise CheckpointError(f"{where} has data offsets {offsets!r} outside the {data_len} data bytes the "
                                  "file holds (truncated or edited file)")
        declared = math.prod(shape) * _ITEMSIZE[dtype]
        if declared != offsets[1] - offsets[0]:
            raise CheckpointError(f"{where} declares shape {shape} of {dtype} ({declared} bytes) but spans "
                                  f"{offsets[1] - offsets[0]} bytes")
    return metadata


def _to_numpy(name: str, view: dict, path: str) -> np.ndarray:
    dtype, shape, raw = view["dtype"], view["shape"], view["data"]
    if dtype == "BF16":  # bfloat16 = the 16 high bits of a float32: widen exactly
        wide = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
        return wide.view(np.float32).reshape(shape)
    if dtype not in _NUMPY_DTYPES:
        raise CheckpointError(f"{path}: tensor {name!r} has dtype {dtype}, which NumPy (and so chalkgrad) cannot "
                              "hold; convert it first, e.g. tensor.float() in PyTorch, and save again")
    np_dtype = np.dtype(_NUMPY_DTYPES[dtype]).newbyteorder("<")
    arr = np.frombuffer(raw, dtype=np_dtype).reshape(shape)
    if not np_dtype.isnative:
        return arr.astype(np_dtype.newbyteorder("="))
    return arr if arr.flags.writeable else arr.copy()  # (older safetensors return bytes, not bytearrays)


def read_safetensors(data: bytes, path: str) -> tuple[dict[str, str], dict[str, np.ndarray]]:
    """(metadata, ``{name: array}`` in file order) of the safetensors bytes ``data``."""
    import safetensors

    if len(data) < 8:
        raise CheckpointError(f"{path} is truncated: {len(data)} bytes, a safetensors file has at least 8")
    n = int.from_bytes(data[:8], "little")
    if n > len(data) - 8 or n > _MAX_HEADER:
        raise CheckpointError(f"{path}: the safetensors header declares {n} bytes, but the file has "
                              f"{len(data) - 8} after the length (truncated or edited file)")
    try:
        header = json.loads(data[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise CheckpointError(f"{path}: the safetensors header is not valid JSON ({type(e).__name__})") from None
    metadata = _check_header(header, len(data) - 8 - n, path)
    try:
        views = safetensors.deserialize(data)
    except Exception as e:  # the library raises SafetensorError (and others) for what it finds invalid
        raise CheckpointError(f"{path} is not a valid safetensors file ({e})") from None
    order = sorted(views, key=lambda item: header[item[0]]["data_offsets"][0])
    return metadata, {name: _to_numpy(name, view, path) for name, view in order}
