"""``keras.datasets.cifar10.load_data``: CIFAR-10 from the python batches Keras caches (folder or ``.tar.gz``)."""

from __future__ import annotations

import tarfile
import tempfile
from pathlib import Path

import numpy as np

from ...data.datasets import CIFAR10
from ...errors import DataError
from ._files import datasets_dir, missing

__all__ = ["load_data"]

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6)) + ("test_batch",)
EXPECTED = "cifar-10-batches-py/{data_batch_1..5, test_batch} (a folder, or the archive cifar-10-python.tar.gz)"
GZIP_MAX_RATIO = 1032


def _candidates(path) -> list:
    if path is not None:
        return [Path(path).expanduser()]
    root = datasets_dir()
    return [root / "cifar-10-batches-py-target", root / "cifar-10-batches-py", root / "cifar-10-python.tar.gz",
            root / "cifar-10-batches-py-target_archive"]


def _folder_with_batches(p: Path) -> Path | None:
    for d in (p / "cifar-10-batches-py", p):
        if d.is_dir() and (d / "data_batch_1").is_file():
            return d
    return None


def _extract_batches(archive: Path, into: Path) -> Path:
    """Copy the batch files out of the tar archive, refusing links and members larger than the file allows."""
    limit = archive.stat().st_size * GZIP_MAX_RATIO
    wanted = set(BATCHES) | {"batches.meta"}
    try:
        with tarfile.open(archive, "r:*") as tar:
            for member in tar:
                name = member.name.rsplit("/", 1)[-1]
                if name not in wanted:
                    continue
                if not member.isreg():
                    raise DataError(f"{archive}: member {member.name!r} is not a regular file; refused")
                if member.size > limit:
                    raise DataError(f"{archive}: member {member.name!r} declares {member.size} bytes, more than "
                                    f"the archive of {archive.stat().st_size} bytes can hold")
                (into / name).write_bytes(tar.extractfile(member).read())
    except (tarfile.TarError, OSError, EOFError) as e:
        raise DataError(f"{archive}: cannot read the CIFAR-10 archive ({type(e).__name__}: {e})") from None
    return into


def _load(folder: Path):
    try:
        train, test = CIFAR10(folder, train=True), CIFAR10(folder, train=False)
    except DataError as e:
        raise DataError(f"keras.datasets.cifar10.load_data: {e}") from e
    as_keras = [(d.data, d.targets.astype(np.uint8).reshape(-1, 1)) for d in (train, test)]
    return as_keras[0], as_keras[1]


def load_data(path=None):
    """Return ``(x_train, y_train), (x_test, y_test)`` as Keras does: uint8 (N, 32, 32, 3), labels uint8 (N, 1).

    ``path``: a ``cifar-10-batches-py`` folder (or its parent), or the ``cifar-10-python.tar.gz``
    archive. By default Keras' cache is searched: ``~/.keras/datasets/cifar-10-batches-py-target``,
    ``.../cifar-10-batches-py`` and ``.../cifar-10-python.tar.gz``.
    """
    places = _candidates(path)
    for p in places:
        folder = _folder_with_batches(p)
        if folder is not None:
            return _load(folder)
        if p.is_file():
            with tempfile.TemporaryDirectory() as tmp:
                return _load(_extract_batches(p, Path(tmp)))
    raise missing("cifar10", EXPECTED, " or ".join(str(p) for p in places), ORIGIN)
