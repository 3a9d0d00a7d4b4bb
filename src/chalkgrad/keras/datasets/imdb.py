"""``keras.datasets.imdb.load_data``: movie-review sentiment as word-index sequences, from Keras' ``imdb.npz``.

The file holds ragged ``x_train``/``x_test`` (object arrays of integer lists, stored as pickles)
and 0/1 ``y_train``/``y_test``. The pickles are read with chalkgrad's restricted unpickler
(NumPy arrays and lists only), never ``allow_pickle=True``.
"""

from __future__ import annotations

import json
import zipfile

import numpy as np

from ...data._unpickle import _plain_arrays, _RestrictedUnpickler
from ...errors import DataError, DTypeError
from ._files import DEFLATE_MAX_RATIO, missing, npy_header, resolve

__all__ = ["load_data", "get_word_index"]

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/imdb.npz"
KEYS = ("x_train", "y_train", "x_test", "y_test")


def _read_member(zf: zipfile.ZipFile, key: str, path, size: int) -> np.ndarray:
    name = key + ".npy"
    try:
        info = zf.getinfo(name)
    except KeyError:
        raise DataError(f"{path}: keras.datasets.imdb expects arrays {list(KEYS)}, the file has "
                        f"{[n.removesuffix('.npy') for n in zf.namelist()]}") from None
    ratio = 1 if info.compress_type == zipfile.ZIP_STORED else DEFLATE_MAX_RATIO
    if info.file_size > size * ratio:
        raise DataError(f"{path}: member {name!r} declares {info.file_size} bytes, the file holds {size}")
    with zf.open(info) as f:
        shape, fortran, dtype = npy_header(f)
        if dtype.hasobject:
            array = _plain_arrays(_RestrictedUnpickler(f, f"{path}:{name}", info.file_size, allow_objects=True).load())
        else:
            count = int(np.prod(shape))
            data = f.read(count * dtype.itemsize)
            if len(data) != count * dtype.itemsize:
                raise DataError(f"{path}: member {name!r} is truncated")
            array = np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran else "C")
    if not isinstance(array, np.ndarray) or array.ndim != 1:
        raise DataError(f"{path}: {key} must be a 1-D array, got {type(array).__name__} "
                        f"{getattr(array, 'shape', '')}")
    return array


def _read(path) -> dict:
    size = path.stat().st_size
    try:
        with zipfile.ZipFile(path) as zf:
            arrays = {key: _read_member(zf, key, path, size) for key in KEYS}
    except DataError:
        raise
    except Exception as e:  # corrupt zips, headers and pickles raise many kinds of errors
        raise DataError(f"{path}: not a readable imdb.npz ({type(e).__name__}: {e})") from None
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if len(x) != len(y):
            raise DataError(f"{path}: x_{split} holds {len(x)} reviews but y_{split} {len(y)} labels")
    return arrays


def load_data(path="imdb.npz", num_words=None, skip_top=0, maxlen=None, seed=113, start_char=1, oov_char=2,
              index_from=3, **kwargs):
    """Return ``(x_train, y_train), (x_test, y_test)`` as Keras does.

    Each split is shuffled with ``np.random.RandomState(seed)``; word indices are shifted by
    ``index_from`` and each review starts with ``start_char``; reviews longer than ``maxlen`` are
    dropped; indices ``>= num_words`` or ``< skip_top`` become ``oov_char`` (or are removed when
    it is None). ``x`` are object arrays of lists, ``y`` the 0/1 labels.
    """
    if kwargs:
        raise DTypeError(f"keras.datasets.imdb.load_data: unknown arguments {sorted(kwargs)}")
    file = resolve(path)
    if not file.is_file():
        raise missing("imdb", f"the file {file.name}", file.parent, ORIGIN)
    a = _read(file)
    splits = []
    rng = np.random.RandomState(seed)
    for split in ("train", "test"):
        order = np.arange(len(a[f"x_{split}"]))
        rng.shuffle(order)
        splits.append((a[f"x_{split}"][order], a[f"y_{split}"][order]))
    (x_train, y_train), (x_test, y_test) = splits

    def shift(x):
        head = [start_char] if start_char is not None else []
        return [head + [w + (index_from or 0) for w in seq] for seq in x]

    x_train, x_test = shift(x_train), shift(x_test)
    if maxlen:
        keep_train = [i for i, s in enumerate(x_train) if len(s) < maxlen]
        keep_test = [i for i, s in enumerate(x_test) if len(s) < maxlen]
        x_train, y_train = [x_train[i] for i in keep_train], y_train[keep_train]
        x_test, y_test = [x_test[i] for i in keep_test], y_test[keep_test]
        if not x_train or not x_test:
            raise DataError(f"keras.datasets.imdb.load_data: no review is shorter than maxlen={maxlen}; "
                            "increase maxlen")
    xs = x_train + x_test
    if not num_words:
        num_words = max(max(s) for s in xs if s) if any(xs) else 0
    if oov_char is not None:
        xs = [[w if skip_top <= w < num_words else oov_char for w in s] for s in xs]
    else:
        xs = [[w for w in s if skip_top <= w < num_words] for s in xs]
    n = len(x_train)
    as_objects = []
    for part in (xs[:n], xs[n:]):
        arr = np.empty(len(part), dtype=object)
        arr[:] = part
        as_objects.append(arr)
    return (as_objects[0], np.asarray(y_train)), (as_objects[1], np.asarray(y_test))


WORD_INDEX_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/imdb_word_index.json"
WORD_INDEX_MAX_BYTES = 64 << 20


def get_word_index(path="imdb_word_index.json") -> dict:
    """The word -> index dictionary of the reviews (``imdb_word_index.json``, in ``~/.keras/datasets``).

    Indices in it are 1-based ranks; ``load_data`` shifts them by ``index_from`` (3 by default).
    """
    file = resolve(path)
    if not file.is_file():
        raise missing("imdb", f"the file {file.name}", file.parent, WORD_INDEX_ORIGIN)
    if file.stat().st_size > WORD_INDEX_MAX_BYTES:
        raise DataError(f"{file}: {file.stat().st_size} bytes is far more than the IMDB word index (about 1.6 MB)")
    try:
        index = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise DataError(f"{file}: not a JSON word index ({e})") from None
    if not isinstance(index, dict) or not all(isinstance(v, int) for v in index.values()):
        raise DataError(f"{file}: expected a JSON object mapping words to integer indices")
    return index
