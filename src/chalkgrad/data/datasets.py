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
"""

from __future__ import annotations

import gzip
import math
import os
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


def _read_bytes(path: Path) -> bytes:
    try:
        with open(path, "rb") as fh:
            head = fh.read(2)
        if head == b"\x1f\x8b":
            with gzip.open(path, "rb") as fh:
                return fh.read()
        return path.read_bytes()
    except (OSError, EOFError) as e:
        raise DataError(f"{path}: cannot read the file ({e})") from e


def read_idx(path) -> np.ndarray:
    """Read an IDX file (the MNIST format), raw or gzip-compressed, into a NumPy array.

    Layout: two zero bytes, a type code (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
    0x0D float32, 0x0E float64), the number of dims d, then d big-endian uint32 sizes,
    then the values, big-endian, row-major. The magic number, the header and the data
    size are checked; a mismatch raises DataError naming the file.
    """
    path = Path(path)
    raw = _read_bytes(path)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES or raw[3] == 0:
        raise DataError(
            f"{path}: not an IDX file: the magic number is {raw[:4].hex() or 'missing'}, expected 0000TTDD "
            "(two zero bytes, a type code 08/09/0b/0c/0d/0e, the number of dims)"
        )
    dtype, ndim = _IDX_DTYPES[raw[2]], raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{path}: IDX header truncated: {ndim} dims need {header} header bytes, "
                        f"the file has {len(raw)}")
    dims = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    expected = math.prod(dims) * dtype.itemsize
    if len(raw) - header != expected:
        raise DataError(
            f"{path}: IDX data size mismatch: dims {dims} of {dtype.name} need {expected} bytes after the header, "
            f"the file has {len(raw) - header}"
        )
    arr = np.frombuffer(raw, dtype=dtype, offset=header).reshape(dims)
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
        raw = np.fromfile(path, dtype=np.uint8)
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
            raise DataError(f"{path}: the dict has keys {sorted(map(str, d))}; expected 'data' and 'labels'")
        x, y = d["data"], np.asarray(d["labels"])
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
        if isinstance(names, list) and len(names) == 10:
            self.classes = [n.decode("latin1") if isinstance(n, bytes) else str(n) for n in names]

    __len__ = MNIST.__len__
    __getitem__ = MNIST.__getitem__
    to_tensor_dataset = MNIST.to_tensor_dataset

    def __repr__(self) -> str:
        return f"CIFAR10({'train' if self.train else 'test'}, {len(self)} samples, root={str(self.root)!r})"


# ---------------------------------------------------------------------------- ImageFolder
IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp", ".gif")


class ImageFolder(Dataset):
    """Images sorted into one subfolder per class: ``root/<class>/<...>/<image>``.

    ``classes``: the subfolder names, sorted; ``class_to_idx``: name -> index;
    ``samples``: sorted ``(path, class_index)`` for every file whose extension is in
    ``extensions`` (default :data:`IMG_EXTENSIONS`, case-insensitive), searched
    recursively; ``targets``: the class indices. Images are read with Pillow and
    converted to RGB: a uint8 HxWx3 NumPy array unless ``transform`` is given.
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
            found = []
            for dirpath, dirnames, filenames in os.walk(self.root / c, followlinks=True):
                dirnames.sort()
                for fn in sorted(filenames):
                    if fn.lower().endswith(self.extensions):
                        found.append((os.path.join(dirpath, fn), self.class_to_idx[c]))
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

    def _load(self, path: str) -> np.ndarray:
        from PIL import Image

        try:
            with Image.open(path) as im:
                return np.asarray(im.convert("RGB"))
        except OSError as e:
            raise DataError(f"ImageFolder: cannot read the image {path} ({e})") from e

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
