"""``keras.datasets.mnist.load_data``: the handwritten digits from Keras' ``mnist.npz``, never downloaded."""

from __future__ import annotations

import numpy as np

from ...errors import DataError
from ._files import missing, read_npz, resolve

__all__ = ["load_data"]

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"


def check_images(path, name: str, x: np.ndarray, y: np.ndarray, size: tuple) -> None:
    """Images uint8 (N, *size), labels uint8 (N,) in 0..9: else a DataError naming the file."""
    if x.dtype != np.uint8 or x.shape[1:] != size:
        raise DataError(f"{path}: {name} images must be uint8 of shape (N, {', '.join(map(str, size))}), "
                        f"got {x.dtype} {x.shape}")
    if y.ndim != 1 or len(y) != len(x) or y.dtype.kind not in "iu":
        raise DataError(f"{path}: {name} labels must be {len(x)} integers, got {y.dtype} {y.shape}")
    if y.size and (y.min() < 0 or y.max() > 9):
        raise DataError(f"{path}: {name} labels must lie in 0..9, found {int(y.min())}..{int(y.max())}")


def load_data(path="mnist.npz"):
    """Return ``(x_train, y_train), (x_test, y_test)`` as Keras does: uint8 (N, 28, 28) images, uint8 labels.

    ``path`` is the ``.npz`` file (arrays ``x_train, y_train, x_test, y_test``), relative to
    ``~/.keras/datasets`` (``$KERAS_HOME/datasets``) unless absolute.
    """
    file = resolve(path)
    if not file.is_file():
        raise missing("mnist", f"the file {file.name}", file.parent, ORIGIN)
    a = read_npz(file, ("x_train", "y_train", "x_test", "y_test"), "mnist")
    check_images(file, "train", a["x_train"], a["y_train"], (28, 28))
    check_images(file, "test", a["x_test"], a["y_test"], (28, 28))
    return (a["x_train"], a["y_train"]), (a["x_test"], a["y_test"])
