"""keras.datasets loaders against Keras 3's own loaders (their download step replaced by the local file)."""

from __future__ import annotations

import gzip
import io
import os
import pickle
import tarfile

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")

from chalkgrad.errors import DataError  # noqa: E402
from chalkgrad.keras.datasets import cifar10, fashion_mnist, imdb, mnist  # noqa: E402

RNG = np.random.default_rng(0)


def local_file(monkeypatch, module, path):
    """Make Keras' loader read ``path`` instead of downloading (its get_file returns the local path)."""
    monkeypatch.setattr(module, "get_file", lambda *a, **k: str(path))


def idx_bytes(array: np.ndarray) -> bytes:
    dims = b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return bytes([0, 0, 0x08, array.ndim]) + dims + array.astype(np.uint8).tobytes()


def assert_same_splits(ours, theirs):
    """``(x_train, y_train), (x_test, y_test)`` equal array by array, dtypes and shapes included."""
    for a, b in zip([*ours[0], *ours[1]], [*theirs[0], *theirs[1]]):
        assert a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)


def test_mnist_matches_keras(tmp_path, monkeypatch):
    from keras.src.datasets import mnist as keras_mnist

    arrays = {"x_train": RNG.integers(0, 256, (5, 28, 28), dtype=np.uint8),
              "y_train": RNG.integers(0, 10, 5).astype(np.uint8),
              "x_test": RNG.integers(0, 256, (3, 28, 28), dtype=np.uint8),
              "y_test": RNG.integers(0, 10, 3).astype(np.uint8)}
    np.savez(tmp_path / "mnist.npz", **arrays)
    local_file(monkeypatch, keras_mnist, tmp_path / "mnist.npz")
    ours, theirs = mnist.load_data(str(tmp_path / "mnist.npz")), keras_mnist.load_data()
    assert_same_splits(ours, theirs)


def test_mnist_default_location_and_missing_file(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    with pytest.raises(DataError, match=r"mnist\.npz not found in .*datasets.*does not download"):
        mnist.load_data()
    (tmp_path / "datasets").mkdir()
    np.savez(tmp_path / "datasets" / "mnist.npz", x_train=np.zeros((2, 28, 28), np.uint8),
             y_train=np.zeros(2, np.uint8), x_test=np.zeros((1, 28, 28), np.uint8), y_test=np.zeros(1, np.uint8))
    (x, y), (xt, yt) = mnist.load_data()
    assert x.shape == (2, 28, 28) and yt.shape == (1,)


def test_mnist_bad_files(tmp_path):
    np.savez(tmp_path / "wrong.npz", x_train=np.zeros((2, 28, 28), np.uint8))
    with pytest.raises(DataError, match=r"wrong\.npz.*missing \['y_train'"):
        mnist.load_data(str(tmp_path / "wrong.npz"))
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(DataError, match=r"junk\.npz"):
        mnist.load_data(str(tmp_path / "junk.npz"))
    np.savez(tmp_path / "shape.npz", x_train=np.zeros((2, 27, 28), np.uint8), y_train=np.zeros(2, np.uint8),
             x_test=np.zeros((1, 28, 28), np.uint8), y_test=np.zeros(1, np.uint8))
    with pytest.raises(DataError, match=r"uint8 of shape \(N, 28, 28\).*\(2, 27, 28\)"):
        mnist.load_data(str(tmp_path / "shape.npz"))


def test_fashion_mnist_matches_keras(tmp_path, monkeypatch):
    from keras.src.datasets import fashion_mnist as keras_fashion

    folder = tmp_path / "fashion-mnist"
    folder.mkdir()
    parts = {"train-labels-idx1-ubyte.gz": RNG.integers(0, 10, 4),
             "train-images-idx3-ubyte.gz": RNG.integers(0, 256, (4, 28, 28)),
             "t10k-labels-idx1-ubyte.gz": RNG.integers(0, 10, 2),
             "t10k-images-idx3-ubyte.gz": RNG.integers(0, 256, (2, 28, 28))}
    for name, array in parts.items():
        (folder / name).write_bytes(gzip.compress(idx_bytes(array)))
    monkeypatch.setattr(keras_fashion, "get_file", lambda fname, **k: str(folder / fname))
    ours, theirs = fashion_mnist.load_data(folder), keras_fashion.load_data()
    assert_same_splits(ours, theirs)
    (folder / "t10k-images-idx3-ubyte.gz").unlink()
    with pytest.raises(DataError, match=r"t10k-images-idx3-ubyte\.gz .*not found in .*fashion-mnist"):
        fashion_mnist.load_data(folder)


def cifar_batches(folder, sizes=(2, 1, 1, 1, 1, 3)):
    folder.mkdir(parents=True)
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for name, n in zip(names, sizes):
        batch = {b"data": RNG.integers(0, 256, (n, 3072), dtype=np.uint8), b"labels": RNG.integers(0, 10, n).tolist()}
        (folder / name).write_bytes(pickle.dumps(batch, protocol=4))


def keras_cifar(monkeypatch, root):
    """Keras' cifar10.load_data on the batches in ``root/cifar-10-batches-py`` (it expects 50,000 training images,
    so its fixed-size buffer is replaced by the five batches' real sizes)."""
    from keras.src.datasets import cifar as keras_cifar_batch

    xs, ys = zip(*(keras_cifar_batch.load_batch(str(root / "cifar-10-batches-py" / f"data_batch_{i}"))
                   for i in range(1, 6)))
    x_test, y_test = keras_cifar_batch.load_batch(str(root / "cifar-10-batches-py" / "test_batch"))
    x_train, y_train = np.concatenate(xs), np.concatenate(ys)
    # Keras: labels reshaped to (N, 1), images transposed to channels_last
    return ((x_train.transpose(0, 2, 3, 1), np.reshape(y_train, (-1, 1)).astype(np.uint8)),
            (x_test.transpose(0, 2, 3, 1), np.reshape(np.asarray(y_test), (-1, 1)).astype(np.uint8)))


def test_cifar10_folder_and_archive_match_keras(tmp_path, monkeypatch):
    root = tmp_path / "cifar-10-batches-py-target"
    cifar_batches(root / "cifar-10-batches-py")
    theirs = keras_cifar(monkeypatch, root)
    archive = tmp_path / "cifar-10-python.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(root / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "home"))
    (tmp_path / "home" / "datasets").mkdir(parents=True)
    (root).rename(tmp_path / "home" / "datasets" / "cifar-10-batches-py-target")
    for ours in (cifar10.load_data(), cifar10.load_data(archive)):
        assert_same_splits(ours, theirs)


def test_cifar10_missing_and_hostile_archive(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    with pytest.raises(DataError, match=r"cifar-10-batches-py/\{data_batch_1\.\.5, test_batch\}.*not found"):
        cifar10.load_data()
    archive = tmp_path / "evil.tar"
    with tarfile.open(archive, "w") as tar:
        info = tarfile.TarInfo("cifar-10-batches-py/data_batch_1")
        info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(info)
    with pytest.raises(DataError, match=r"evil\.tar.*not a regular file"):
        cifar10.load_data(archive)
    archive = tmp_path / "code.tar"
    with tarfile.open(archive, "w") as tar:
        payload = pickle.dumps(print)  # a pickle naming a global function
        info = tarfile.TarInfo("cifar-10-batches-py/data_batch_1")
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    with pytest.raises(DataError, match=r"refused to unpickle the global builtins\.print"):
        cifar10.load_data(archive)


def test_imdb_matches_keras(tmp_path, monkeypatch):
    from keras.src.datasets import imdb as keras_imdb

    def reviews(n):
        out = np.empty(n, dtype=object)
        out[:] = [RNG.integers(1, 30, RNG.integers(2, 9)).tolist() for _ in range(n)]
        return out

    np.savez(tmp_path / "imdb.npz", x_train=reviews(7), y_train=RNG.integers(0, 2, 7), x_test=reviews(5),
             y_test=RNG.integers(0, 2, 5))
    local_file(monkeypatch, keras_imdb, tmp_path / "imdb.npz")
    for kwargs in ({}, {"num_words": 12, "skip_top": 2, "maxlen": 9}, {"oov_char": None, "num_words": 20, "seed": 3}):
        ours, theirs = imdb.load_data(str(tmp_path / "imdb.npz"), **kwargs), keras_imdb.load_data(**kwargs)
        for (xa, ya), (xb, yb) in zip(ours, theirs):
            assert [list(s) for s in xa] == [list(s) for s in xb]
            assert np.array_equal(ya, yb)


def test_imdb_refuses_code_in_pickles(tmp_path):
    import zipfile

    with zipfile.ZipFile(tmp_path / "imdb.npz", "w") as zf:
        header = io.BytesIO()
        np.lib.format.write_array_header_1_0(header, {"descr": "|O", "fortran_order": False, "shape": (1,)})
        zf.writestr("x_train.npy", b"\x93NUMPY\x01\x00" + header.getvalue()[8:] + pickle.dumps(print))
    with pytest.raises(DataError, match=r"imdb\.npz.*refused to unpickle the global builtins\.print"):
        imdb.load_data(str(tmp_path / "imdb.npz"))


def test_imdb_word_index_matches_keras(tmp_path, monkeypatch):
    from keras.src.datasets import imdb as keras_imdb

    (tmp_path / "imdb_word_index.json").write_text('{"the": 1, "and": 2, "film": 19}')
    local_file(monkeypatch, keras_imdb, tmp_path / "imdb_word_index.json")
    assert imdb.get_word_index(str(tmp_path / "imdb_word_index.json")) == keras_imdb.get_word_index()
    (tmp_path / "bad.json").write_text('["the", 1]')
    with pytest.raises(DataError, match=r"bad\.json: expected a JSON object"):
        imdb.get_word_index(str(tmp_path / "bad.json"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "nowhere"))
    with pytest.raises(DataError, match=r"imdb_word_index\.json not found"):
        imdb.get_word_index()


def test_npz_header_claiming_a_huge_array_is_refused_before_allocating(tmp_path):
    import zipfile

    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "|u1", "fortran_order": False, "shape": (10**12, 28, 28)})
    with zipfile.ZipFile(tmp_path / "mnist.npz", "w") as zf:
        zf.writestr("x_train.npy", header.getvalue() + b"\0" * 100)
    with pytest.raises(DataError, match=r"mnist\.npz: member 'x_train\.npy' declares an array of shape "
                                        r"\(1000000000000, 28, 28\)"):
        mnist.load_data(str(tmp_path / "mnist.npz"))
