"""``keras.datasets.fashion_mnist.load_data``: Zalando's clothes images from the four IDX files Keras caches."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...data.datasets import read_idx
from ...errors import DataError
from ._files import datasets_dir, missing
from .mnist import check_images

__all__ = ["load_data", "FILES"]

FILES = ("train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz",
         "t10k-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz")
ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/ (the four files)"


def load_data(path=None):
    """Return ``(x_train, y_train), (x_test, y_test)``: uint8 (N, 28, 28) images and uint8 labels.

    Reads ``train-labels-idx1-ubyte.gz, train-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz,
    t10k-images-idx3-ubyte.gz`` from the folder ``path`` (default ``~/.keras/datasets/fashion-mnist``,
    where Keras caches them; the files may also be uncompressed, without ``.gz``).
    """
    folder = Path(path).expanduser() if path is not None else datasets_dir() / "fashion-mnist"
    found = []
    for name in FILES:
        candidates = [folder / name, folder / name[:-3]]
        file = next((p for p in candidates if p.is_file()), None)
        if file is None:
            raise missing("fashion_mnist", f"{name} (expected files: {', '.join(FILES)})", folder, ORIGIN)
        found.append(file)
    y_train, x_train, y_test, x_test = (np.asarray(read_idx(p)) for p in found)
    for x, y, split in ((x_train, y_train, "train"), (x_test, y_test, "test")):
        if y.dtype != np.uint8:
            raise DataError(f"{folder}: fashion_mnist {split} labels must be uint8, got {y.dtype}")
        check_images(folder, split, x, y, (28, 28))
    return (x_train, y_train), (x_test, y_test)
