"""Ready-made datasets: ``digits`` (bundled with scikit-learn), MNIST, FashionMNIST, CIFAR-10, ImageFolder.

Nothing is downloaded. ``digits`` reads the 8x8 digits file that scikit-learn
ships; the others read files you put on disk (the errors say which files, where
they are looked for, and where to get them).

Items are ``(image, label)`` with ``label`` a Python int. With ``transform=None``
the image is the raw NumPy ``uint8`` array as stored: HxW for MNIST/FashionMNIST,
HxWx3 for CIFAR-10 and ImageFolder (RGB). Pass ``transform=ToTensor()`` (first in a
``Compose``) to get CxHxW float32 Tensors in [0, 1]; the random geometric transforms
then work on those. ``to_tensor_dataset()`` turns a whole MNIST/CIFAR split into a
:class:`TensorDataset` (float32 in [0, 1], NxCxHxW; int64 labels) for fast training.

Files are treated as untrusted: a loader allocates no more than a small multiple of the
file's size (IDX headers are checked against the file, a ``.gz`` may decompress to 64
times its size, an image may declare 1024 pixels per byte of its file, pickled arrays must
fit in the pickle), never follows a link into a folder twice, and reports any damaged or
hostile file with a :class:`~chalkgrad.errors.DataError` that names it.
"""

from __future__ import annotations

import gzip
import math
import os
import reprlib
import struct
import warnings
import zlib
from pathlib import Path

import numpy as np

from ..errors import ConfigError, DataError
from ..tensor import Tensor
from ._unpickle import restricted_load
from .dataset import Dataset, Subset, TensorDataset

__all__ = [
    "digits", "train_test_split", "read_idx", "MNIST", "FashionMNIST", "CIFAR10", "ImageFolder",
    "IMG_EXTENSIONS",
]

_INSTALL_HINT = 'install with pip install "chalkgrad[datasets]"'


# ---------------------------------------------------------------------------- digits
def digits(flatten: bool = True) -> TensorDataset:
    """The 1,797 handwritten digits (8x8, 10 classes) that scikit-learn ships in its package.

    Returns ``TensorDataset(x, y)``: ``x`` float32 pixels scaled to [0, 1] (the stored
    values 0..16 divided by 16), shape (1797, 64) if ``flatten`` else (1797, 1, 8, 8);
    ``y`` int64 labels 0..9, shape (1797,). Needs scikit-learn (no network access).
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError as e:
        raise DataError(f"digits(): scikit-learn is not installed (it ships the digits data); {_INSTALL_HINT}") from e
    bunch = load_digits()
    x = (np.asarray(bunch.data, dtype=np.float64) / 16.0).astype(np.float32)
    y = np.asarray(bunch.target, dtype=np.int64)
    if not flatten:
        x = x.reshape(-1, 1, 8, 8)
    return TensorDataset(Tensor._wrap(np.ascontiguousarray(x)), Tensor._wrap(y))


def _labels_of(dataset) -> np.ndarray:
    if isinstance(dataset, TensorDataset):
        if len(dataset.tensors) < 2:
            raise ConfigError("train_test_split: stratify=True needs labels, but the TensorDataset holds one tensor; "
                              "pass stratify=False")
        y = np.asarray(dataset.tensors[-1].data).reshape(len(dataset), -1)
        return y[:, 0] if y.shape[1] == 1 else np.unique(y, axis=0, return_inverse=True)[1].reshape(-1)
    if isinstance(dataset, Subset):
        return _labels_of(dataset.dataset)[np.asarray(dataset.indices, dtype=np.int64)]
    targets = getattr(dataset, "targets", None)
    if targets is not None:
        return np.asarray(targets.data if isinstance(targets, Tensor) else targets)
    return np.asarray([int(dataset[i][1]) for i in range(len(dataset))])


def train_test_split(dataset, test_fraction: float = 0.2, seed: int = 0, stratify: bool = True):
    """Split ``dataset`` into ``(train, test)``, deterministically for a given ``seed``.

    With ``stratify`` each class (label = last tensor of a TensorDataset, one-hot rows
    allowed; else ``dataset.targets``; else ``dataset[i][1]``) puts ``round(n_c * test_fraction)``
    of its ``n_c`` samples, chosen at random, into the test part, so both parts keep
    the class proportions. Without it, ``round(n * test_fraction)`` random samples.
    Indices are kept in increasing order. A :class:`TensorDataset` gives two
    TensorDatasets (rows copied by fancy indexing, ``.tensors`` available); any other
    dataset gives two :class:`Subset` s. The seed uses its own generator: the
    default generator is untouched.
    """
    f = float(test_fraction)
    if not 0 < f < 1:
        raise ConfigError(f"train_test_split: test_fraction must lie strictly between 0 and 1, got {test_fraction!r}")
    n = len(dataset)
    rng = np.random.Generator(np.random.PCG64(int(seed)))
    if stratify:
        labels = _labels_of(dataset)
        if labels.dtype.kind not in "iub":
            raise ConfigError(f"train_test_split: stratify=True needs integer class labels, got {labels.dtype} "
                              "labels (regression targets?); pass stratify=False")
        test = []
        for c in np.unique(labels):
            members = np.flatnonzero(labels == c)
            k = int(math.floor(len(members) * f + 0.5))
            test.append(rng.permutation(members)[:k])
        test_idx = np.sort(np.concatenate(test)) if test else np.zeros(0, dtype=np.int64)
    else:
        test_idx = np.sort(rng.permutation(n)[: int(math.floor(n * f + 0.5))])
    mask = np.ones(n, dtype=bool)
    mask[test_idx] = False
    train_idx = np.flatnonzero(mask)
    if isinstance(dataset, TensorDataset):
        return (TensorDataset(*(Tensor._wrap(t.data[train_idx]) for t in dataset.tensors)),
                TensorDataset(*(Tensor._wrap(t.data[test_idx]) for t in dataset.tensors)))
    return Subset(dataset, train_idx), Subset(dataset, test_idx)


# ---------------------------------------------------------------------------- IDX (MNIST)
_IDX_DTYPES = {0x08: np.dtype("u1"), 0x09: np.dtype("i1"), 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
               0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


#: At most this many dims (IDX files in use have 1 to 4; NumPy allows 64).
_IDX_MAX_DIMS = 16
#: A .gz may decompress to at most this many times its own size, or to 16 MiB if that is more:
#: MNIST's files decompress to about 5 times their size, a zip bomb to 1,000 times.
_GZIP_MAX_RATIO = 64
_GZIP_MIN_ALLOWANCE = 16 * 2**20
_CHUNK = 2**20


def read_idx(path) -> np.ndarray:
    """Read an IDX file (the MNIST format), raw or gzip-compressed, into a NumPy array.

    Layout: two zero bytes, a type code (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
    0x0D float32, 0x0E float64), the number of dims d (1 to 16), then d big-endian uint32
    sizes, then the values, big-endian, row-major. The header is read first and the data
    size it declares, ``prod(sizes) * itemsize``, is checked against the file before
    anything is allocated: a raw file must hold exactly that many bytes after the header;
    a ``.gz`` file is decompressed in chunks, at most to 64 times its own size (or 16 MiB),
    and must end where the header says. A mismatch raises DataError naming the file.
    """
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            gz = fh.read(2) == b"\x1f\x8b"
            fh.seek(0)
            if not gz:
                return _parse_idx(path, fh, size, size, gz)
            with gzip.GzipFile(fileobj=fh, mode="rb") as stream:
                return _parse_idx(path, stream, max(_GZIP_MAX_RATIO * size, _GZIP_MIN_ALLOWANCE), size, gz)
    except (OSError, EOFError, zlib.error) as e:
        raise DataError(f"{path}: cannot read the file ({e})") from e


def _parse_idx(path: Path, stream, budget: int, size: int, gz: bool) -> np.ndarray:
    """The IDX array in ``stream``, reading at most ``budget`` bytes (what the file can hold)."""
    magic = stream.read(4)
    if len(magic) < 4 or magic[0] != 0 or magic[1] != 0 or magic[2] not in _IDX_DTYPES or magic[3] == 0:
        raise DataError(
            f"{path}: not an IDX file: the magic number is {magic.hex() or 'missing'}, expected 0000TTDD "
            "(two zero bytes, a type code 08/09/0b/0c/0d/0e, the number of dims)"
        )
    dtype, ndim = _IDX_DTYPES[magic[2]], magic[3]
    if ndim > _IDX_MAX_DIMS:
        raise DataError(f"{path}: the IDX header declares {ndim} dims, expected 1 to {_IDX_MAX_DIMS}")
    header = 4 + 4 * ndim
    head = stream.read(4 * ndim)
    if len(head) < 4 * ndim:
        raise DataError(f"{path}: IDX header truncated: {ndim} dims need {header} header bytes, "
                        f"the file has {4 + len(head)}")
    dims = struct.unpack(f">{ndim}I", head)
    need = math.prod(dims) * dtype.itemsize
    what = f"IDX data size mismatch: dims {dims} of {dtype.name} need {need} bytes after the header"
    if not gz and need != size - header:
        raise DataError(f"{path}: {what}, the file has {size - header}")
    if need > budget - header:
        raise DataError(f"{path}: {what}, more than a {size}-byte .gz file may decompress to "
                        f"({_GZIP_MAX_RATIO} times its size, or {_GZIP_MIN_ALLOWANCE >> 20} MiB)")
    data = bytearray()
    while len(data) < need:  # in chunks: a short stream allocates only what it holds
        chunk = stream.read(min(_CHUNK, need - len(data)))
        if not chunk:
            break
        data += chunk
    if len(data) < need:
        raise DataError(f"{path}: {what}, the file has {len(data)}")
    if stream.read(1):
        raise DataError(f"{path}: {what}, the file holds more data after them")
    arr = np.frombuffer(data, dtype=dtype).reshape(dims)
    return arr.astype(dtype.newbyteorder("="))


class MNIST(Dataset):
    """MNIST handwritten digits from the IDX files in ``root`` (28x28 grayscale, 10 classes).

    Looks in ``root``, ``root/MNIST/raw`` and ``root/MNIST`` for
    ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte`` (``train=True``) or
    ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``, each raw or ``.gz``.
    ``data``: uint8 (N, 28, 28); ``targets``: int64 (N,). Items: ``(image, label)``,
    the image as described in the module docstring. No downloading.
    """

    _name = "MNIST"
    _url = "http://yann.lecun.com/exdb/mnist/ (or the mirror https://ossci-datasets.s3.amazonaws.com/mnist/)"
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four",
               "5 - five", "6 - six", "7 - seven", "8 - eight", "9 - nine"]

    def __init__(self, root, train: bool = True, transform=None, target_transform=None) -> None:
        self.root = Path(root)
        self.train = bool(train)
        self.transform = transform
        self.target_transform = target_transform
        split = "train" if self.train else "t10k"
        images_path = self._find(f"{split}-images", "idx3")
        labels_path = self._find(f"{split}-labels", "idx1")
        try:
            images, labels = read_idx(images_path), read_idx(labels_path)
        except DataError as e:
            raise DataError(f"{self._name}: {e}. Expected files: {self._expected()}") from e
        if images.ndim != 3 or images.dtype != np.uint8:
            raise DataError(f"{images_path}: expected uint8 images of 3 dims (N, H, W), got {images.dtype} "
                            f"of shape {images.shape}")
        if labels.ndim != 1 or labels.dtype != np.uint8:
            raise DataError(f"{labels_path}: expected uint8 labels of 1 dim (N,), got {labels.dtype} "
                            f"of shape {labels.shape}")
        if len(images) != len(labels):
            raise DataError(f"{self._name}: {images_path} holds {len(images)} images but {labels_path} "
                            f"holds {len(labels)} labels")
        if labels.size and labels.max() >= len(self.classes):
            raise DataError(f"{labels_path}: label {int(labels.max())} is out of range for "
                            f"{len(self.classes)} classes")
        self.data = images
        self.targets = labels.astype(np.int64)

    def _expected(self) -> str:
        return ("train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, "
                "t10k-labels-idx1-ubyte (each raw or .gz)")

    def _find(self, stem: str, kind: str) -> Path:
        dirs = [self.root, self.root / self._name / "raw", self.root / self._name]
        names = [f"{stem}-{kind}-ubyte", f"{stem}.{kind}-ubyte"]
        for d in dirs:
            for nm in names:
                for ext in ("", ".gz"):
                    p = d / (nm + ext)
                    if p.is_file():
                        return p
        looked = ", ".join(str(d) for d in dirs)
        raise DataError(
            f"{self._name}: cannot find {names[0]}[.gz]; looked in {looked}. Expected files: {self._expected()}. "
            f"chalkgrad does not download datasets: get them from {self._url} and put them in {self.root}"
        )

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index):
        img, target = self.data[index], int(self.targets[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def to_tensor_dataset(self) -> TensorDataset:
        """The whole split as ``TensorDataset(x, y)``: x float32 in [0, 1] (N, C, H, W), y int64 (N,).

        Ignores ``transform``; batches of it are one fancy-index (the DataLoader fast path).
        """
        x = self.data.astype(np.float32) / np.float32(255)
        x = x[:, None] if x.ndim == 3 else np.ascontiguousarray(x.transpose(0, 3, 1, 2))
        return TensorDataset(Tensor._wrap(x), Tensor._wrap(self.targets.copy()))

    def __repr__(self) -> str:
        return f"{self._name}({'train' if self.train else 'test'}, {len(self)} samples, root={str(self.root)!r})"


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST (28x28 grayscale clothes, 10 classes), same IDX files and layout as :class:`MNIST`.

    Looks in ``root``, ``root/FashionMNIST/raw`` and ``root/FashionMNIST``.
    """

    _name = "FashionMNIST"
    _url = "https://github.com/zalandoresearch/fashion-mnist"
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


# ---------------------------------------------------------------------------- CIFAR-10
_CIFAR_URL = "https://www.cs.toronto.edu/~kriz/cifar.html"
_CIFAR_RECORD = 1 + 3 * 32 * 32


class CIFAR10(Dataset):
    """CIFAR-10 (32x32 RGB, 10 classes) from the binary or the python version of the batches.

    Looks for ``cifar-10-batches-bin/`` (``data_batch_1.bin`` ... ``data_batch_5.bin``,
    ``test_batch.bin``: records of 1 label byte + 3072 pixel bytes, channel-major) or
    ``cifar-10-batches-py/`` (``data_batch_1`` ... ``data_batch_5``, ``test_batch``:
    pickled dicts with ``data`` (N, 3072) uint8 and ``labels``), in ``root`` or as
    ``root`` itself (the binary version first when both are there). The pickles are
    read with a restricted unpickler that refuses every global but NumPy's array
    rebuilding, so a crafted file cannot run code.
    ``data``: uint8 (N, 32, 32, 3) HWC; ``targets``: int64 (N,). No downloading.
    """

    classes = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    _expected = ("cifar-10-batches-bin/{data_batch_1..5,test_batch}.bin or "
                 "cifar-10-batches-py/{data_batch_1..5,test_batch}")

    def __init__(self, root, train: bool = True, transform=None, target_transform=None) -> None:
        self.root = Path(root)
        self.train = bool(train)
        self.transform = transform
        self.target_transform = target_transform
        stems = [f"data_batch_{i}" for i in range(1, 6)] if self.train else ["test_batch"]
        folder, kind = self._find_folder()
        chunks, labels = [], []
        for stem in stems:
            path = folder / (stem + (".bin" if kind == "bin" else ""))
            if not path.is_file():
                raise DataError(f"CIFAR10: missing {path}; expected files: {self._expected}. chalkgrad does not "
                                f"download datasets: get them from {_CIFAR_URL}")
            x, y = self._read_bin(path) if kind == "bin" else self._read_py(path)
            chunks.append(x)
            labels.append(y)
        self.data = np.ascontiguousarray(np.concatenate(chunks).transpose(0, 2, 3, 1))
        self.targets = np.concatenate(labels).astype(np.int64)
        if kind == "py":
            self._read_meta(folder / "batches.meta")

    def _find_folder(self) -> tuple[Path, str]:
        for kind in ("bin", "py"):
            for d in (self.root / f"cifar-10-batches-{kind}", self.root):
                marker = "data_batch_1" + (".bin" if kind == "bin" else "")
                if (d / marker).is_file() or (d / ("test_batch" + (".bin" if kind == "bin" else ""))).is_file():
                    return d, kind
        raise DataError(
            f"CIFAR10: no CIFAR-10 batches found in {self.root}; expected {self._expected} (in root or as root). "
            f"chalkgrad does not download datasets: get the binary or python version from {_CIFAR_URL}"
        )

    @staticmethod
    def _check_labels(path: Path, y: np.ndarray) -> None:
        if y.size and (y.min() < 0 or y.max() > 9):
            raise DataError(f"{path}: labels must lie in 0..9, found {int(y.min())}..{int(y.max())}")

    def _read_bin(self, path: Path):
        try:
            raw = np.fromfile(path, dtype=np.uint8)  # exactly the file's bytes
        except OSError as e:
            raise DataError(f"{path}: cannot read the file ({e.strerror or e})") from e
        if raw.size == 0 or raw.size % _CIFAR_RECORD:
            raise DataError(f"{path}: {raw.size} bytes is not a whole number of CIFAR-10 records "
                            f"({_CIFAR_RECORD} bytes each: 1 label + 3x32x32 pixels)")
        rec = raw.reshape(-1, _CIFAR_RECORD)
        y = rec[:, 0].astype(np.int64)
        self._check_labels(path, y)
        return rec[:, 1:].reshape(-1, 3, 32, 32), y

    def _read_py(self, path: Path):
        d = restricted_load(path)
        if not isinstance(d, dict):
            raise DataError(f"{path}: expected a pickled dict with 'data' and 'labels', got {type(d).__name__}")
        d = {k.decode("latin1") if isinstance(k, bytes) else k: v for k, v in d.items()}
        if "data" not in d or "labels" not in d:
            raise DataError(f"{path}: the dict has keys {_abbreviated(list(d))}; expected 'data' and 'labels'")
        x, y = d["data"], d["labels"]
        if not isinstance(y, (list, np.ndarray)) or not all(isinstance(v, (int, np.integer)) for v in y):
            raise DataError(f"{path}: 'labels' must be a list of integers, got {type(y).__name__} "
                            f"{_abbreviated(y)}")
        y = np.asarray(y) if len(y) else np.zeros(0, np.int64)
        if not isinstance(x, np.ndarray) or x.dtype != np.uint8 or x.ndim != 2 or x.shape[1] != 3072:
            shape = getattr(x, "shape", None)
            raise DataError(f"{path}: 'data' must be a uint8 array of shape (N, 3072), got "
                            f"{type(x).__name__} {getattr(x, 'dtype', '')} of shape {shape}")
        if y.ndim != 1 or y.shape[0] != x.shape[0] or y.dtype.kind not in "iu":
            raise DataError(f"{path}: 'labels' must be {x.shape[0]} integers, got {y.dtype} of shape {y.shape}")
        y = y.astype(np.int64)
        self._check_labels(path, y)
        return x.reshape(-1, 3, 32, 32), y

    def _read_meta(self, path: Path) -> None:
        if not path.is_file():
            return
        meta = restricted_load(path)
        names = meta.get(b"label_names", meta.get("label_names")) if isinstance(meta, dict) else None
        if isinstance(names, list) and len(names) == 10 and all(isinstance(n, (bytes, str)) for n in names):
            self.classes = [n.decode("latin1") if isinstance(n, bytes) else n for n in names]

    __len__ = MNIST.__len__
    __getitem__ = MNIST.__getitem__
    to_tensor_dataset = MNIST.to_tensor_dataset

    def __repr__(self) -> str:
        return f"CIFAR10({'train' if self.train else 'test'}, {len(self)} samples, root={str(self.root)!r})"


def _abbreviated(value) -> str:
    """``repr(value)`` cut to 60 characters (a pickled value may be huge or nested deeply)."""
    try:
        text = reprlib.repr(value)
    except (RecursionError, ValueError):  # ValueError: an integer with more digits than Python prints
        text = f"<{type(value).__name__}>"
    return text if len(text) <= 60 else text[:57] + "..."


# ---------------------------------------------------------------------------- ImageFolder
IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp", ".gif")
#: An image may have at most this many pixels per byte of its file, or 4 Mpx (2048x2048) if that is more.
#: Photos hold 2 to 10 pixels per byte and flat drawings a few hundred; a decompression bomb holds thousands.
_PIXELS_PER_BYTE = 1024
_MIN_PIXEL_ALLOWANCE = 2**22


def _dir_key(path) -> tuple:
    """A folder's identity, links followed: (device, inode)."""
    st = os.stat(path)
    return st.st_dev, st.st_ino


def _check_pixels(path: str, size: tuple) -> None:
    """Refuse an image whose header declares more pixels than its file can honestly hold."""
    pixels = size[0] * size[1]
    file_bytes = os.path.getsize(path)
    if pixels > max(_PIXELS_PER_BYTE * file_bytes, _MIN_PIXEL_ALLOWANCE):
        raise DataError(
            f"ImageFolder: refused the image {path}: it declares {size[0]}x{size[1]} = {pixels} pixels in a "
            f"{file_bytes}-byte file (at most {_PIXELS_PER_BYTE} pixels per byte, or {_MIN_PIXEL_ALLOWANCE} pixels); "
            "a decompression bomb?")


class ImageFolder(Dataset):
    """Images sorted into one subfolder per class: ``root/<class>/<...>/<image>``.

    ``classes``: the subfolder names, sorted; ``class_to_idx``: name -> index;
    ``samples``: sorted ``(path, class_index)`` for every file whose extension is in
    ``extensions`` (default :data:`IMG_EXTENSIONS`, case-insensitive), searched
    recursively (links followed, no folder entered twice); ``targets``: the class indices.
    Images are read with Pillow and converted to RGB: a uint8 HxWx3 NumPy array unless
    ``transform`` is given. An image that cannot be read, or that declares more pixels than
    its file can hold (over 1024 per byte and over 2048x2048 in all: a decompression bomb),
    raises DataError naming the file.
    """

    def __init__(self, root, transform=None, target_transform=None, extensions=IMG_EXTENSIONS) -> None:
        try:
            import PIL.Image  # noqa: F401
        except ImportError as e:
            raise DataError(f"ImageFolder: Pillow is not installed (it reads the images); {_INSTALL_HINT}") from e
        self.root = Path(root)
        self.transform = transform
        self.target_transform = target_transform
        self.extensions = tuple(e.lower() for e in extensions)
        if not self.root.is_dir():
            raise DataError(f"ImageFolder: {self.root} is not a directory; expected root/<class name>/<image files>")
        self.classes = sorted(e.name for e in os.scandir(self.root) if e.is_dir())
        if not self.classes:
            raise DataError(f"ImageFolder: {self.root} has no subfolders; expected one subfolder per class "
                            "holding that class's images (root/cat/1.png, root/dog/2.png, ...)")
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}
        self.samples = []
        empty = []
        for c in self.classes:
            found = [(p, self.class_to_idx[c]) for p in self._image_files(self.root / c)]
            if not found:
                empty.append(c)
            self.samples.extend(found)
        if empty:
            raise DataError(f"ImageFolder: no image files in the class folders {empty} under {self.root}; "
                            f"expected files ending in {', '.join(self.extensions)}")
        self.imgs = self.samples
        self.targets = [s[1] for s in self.samples]

    def __len__(self) -> int:
        return len(self.samples)

    def _image_files(self, top: Path) -> list:
        """The image files under ``top``, each folder's files (sorted) before its subfolders (sorted).

        Links are followed, but no folder is entered twice (folders are keyed by device and
        inode, the root counting as entered), so a link back up gives no copies and no loop.
        """
        seen = {_dir_key(self.root)}
        found, todo = [], [str(top)]
        while todo:
            folder = todo.pop()
            try:
                key = _dir_key(folder)
                if key in seen:
                    continue
                seen.add(key)
                entries = sorted(os.scandir(folder), key=lambda e: e.name)
            except OSError as e:
                raise DataError(f"ImageFolder: cannot list the folder {folder} ({e.strerror or e})") from e
            found += [e.path for e in entries if e.name.lower().endswith(self.extensions) and e.is_file()]
            todo += reversed([e.path for e in entries if e.is_dir()])
        return found

    def _load(self, path: str) -> np.ndarray:
        from PIL import Image

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                with Image.open(path) as im:
                    _check_pixels(path, im.size)
                    return np.asarray(im.convert("RGB"))
        except DataError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
            raise DataError(f"ImageFolder: refused the image {path}: {e}") from e
        except Exception as e:  # Pillow reports damaged files as OSError, ValueError, SyntaxError, struct.error...
            raise DataError(f"ImageFolder: cannot read the image {path} ({type(e).__name__}: {e})") from e

    def __getitem__(self, index):
        path, target = self.samples[index]
        img = self._load(path)
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __repr__(self) -> str:
        return f"ImageFolder({len(self)} images, {len(self.classes)} classes, root={str(self.root)!r})"
