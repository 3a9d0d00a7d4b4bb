"""Ready-made datasets on tiny files the tests write: IDX (MNIST), CIFAR-10 (binary and pickled), image folders.

Also: the bundled scikit-learn digits, train_test_split, and the restricted unpickler
refusing a pickle that would run ``os.system``.
"""

from __future__ import annotations

import gzip
import os
import pickle
import sys

import numpy as np
import pytest
from PIL import Image

import chalkgrad as cg
from chalkgrad.data import (
    CIFAR10,
    MNIST,
    DataLoader,
    FashionMNIST,
    ImageFolder,
    Subset,
    TensorDataset,
    ToTensor,
    digits,
    read_idx,
    restricted_load,
    train_test_split,
)
from chalkgrad.errors import ConfigError, DataError

RNG = np.random.default_rng(0)


# ---------------------------------------------------------------------------- digits
@pytest.fixture(scope="module")
def digit_data():
    return digits()


def test_digits_shapes_dtypes_and_range(digit_data):
    x, y = digit_data.tensors
    assert isinstance(digit_data, TensorDataset) and len(digit_data) == 1797
    assert x.shape == (1797, 64) and x.dtype == cg.float32 and y.shape == (1797,) and y.dtype == cg.int64
    assert float(x.numpy().min()) == 0.0 and float(x.numpy().max()) == 1.0
    np.testing.assert_array_equal(np.unique(x.numpy() * 16), np.arange(17))  # pixel / 16, exactly
    assert sorted(np.unique(y.numpy()).tolist()) == list(range(10))
    img = digits(flatten=False)
    assert img.tensors[0].shape == (1797, 1, 8, 8)
    np.testing.assert_array_equal(img.tensors[0].numpy().reshape(1797, 64), x.numpy())


def test_digits_without_sklearn(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(DataError, match=r'scikit-learn is not installed.*pip install "chalkgrad\[datasets\]"'):
        digits()


def test_train_test_split_stratified_deterministic(digit_data):
    train, test = train_test_split(digit_data, test_fraction=0.2, seed=0)
    assert isinstance(train, TensorDataset) and isinstance(test, TensorDataset)
    assert len(train) + len(test) == 1797 and abs(len(test) - 359) <= 5
    y_all, y_test = digit_data.tensors[1].numpy(), test.tensors[1].numpy()
    for c in range(10):
        n_c = int((y_all == c).sum())
        assert (y_test == c).sum() == int(np.floor(n_c * 0.2 + 0.5))
    rows = {r.tobytes() for r in train.tensors[0].numpy()} | {r.tobytes() for r in test.tensors[0].numpy()}
    assert len(rows) == len({r.tobytes() for r in digit_data.tensors[0].numpy()})
    again = train_test_split(digit_data, test_fraction=0.2, seed=0)[1]
    assert again.tensors[0].equal(test.tensors[0])
    other = train_test_split(digit_data, test_fraction=0.2, seed=1)[1]
    assert not np.array_equal(other.tensors[1].numpy(), y_test) or not other.tensors[0].equal(test.tensors[0])
    _, plain = train_test_split(digit_data, test_fraction=0.25, seed=0, stratify=False)
    assert len(plain) == int(np.floor(1797 * 0.25 + 0.5))


def test_train_test_split_on_other_datasets_gives_subsets():
    class Pairs:
        def __len__(self):
            return 20

        def __getitem__(self, i):
            return float(i), i % 2

    train, test = train_test_split(Pairs(), test_fraction=0.3, seed=0)
    assert isinstance(train, Subset) and isinstance(test, Subset)
    assert sorted(train.indices + test.indices) == list(range(20)) and test.indices == sorted(test.indices)
    assert sum(i % 2 for i in test.indices) == 3 and len(test) == 6
    with pytest.raises(ConfigError, match="strictly between 0 and 1"):
        train_test_split(Pairs(), test_fraction=1.0)
    with pytest.raises(ConfigError, match="one tensor"):
        train_test_split(TensorDataset(np.zeros((4, 2))))
    with pytest.raises(ConfigError, match="integer class labels, got float32"):
        train_test_split(TensorDataset(np.zeros((4, 2)), np.zeros(4, np.float32)))


def test_train_test_split_one_hot_labels():
    y = np.repeat(np.arange(3), [10, 20, 30])
    one_hot = np.eye(3, dtype=np.float32)[y]  # float one-hot rows: stratified by row
    _, test = train_test_split(TensorDataset(np.arange(60.0), one_hot), test_fraction=0.1, seed=0)
    assert test.tensors[1].numpy().sum(axis=0).tolist() == [1, 2, 3]


# ---------------------------------------------------------------------------- IDX / MNIST
def write_idx(path, arr: np.ndarray, code: int = 0x08, gz: bool = False) -> None:
    be = {0x08: ">u1", 0x0C: ">i4", 0x0E: ">f8"}[code]
    raw = bytes([0, 0, code, arr.ndim]) + np.asarray(arr.shape, ">u4").tobytes() + arr.astype(be).tobytes()
    if gz:
        with gzip.open(path, "wb") as f:
            f.write(raw)
    else:
        path.write_bytes(raw)


def make_mnist(root, name="MNIST", n_train=6, n_test=4):
    d = root / name / "raw"
    d.mkdir(parents=True)
    data = {}
    for split, n, gz in (("train", n_train, True), ("t10k", n_test, False)):
        imgs = RNG.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = RNG.integers(0, 10, size=n).astype(np.uint8)
        ext = ".gz" if gz else ""
        write_idx(d / f"{split}-images-idx3-ubyte{ext}", imgs, gz=gz)
        write_idx(d / f"{split}-labels-idx1-ubyte{ext}", labels, gz=gz)
        data[split] = (imgs, labels)
    return d, data


def test_read_idx_types_raw_and_gz(tmp_path):
    a = np.arange(24, dtype=np.int32).reshape(2, 3, 4) - 5
    write_idx(tmp_path / "a", a, code=0x0C)
    out = read_idx(tmp_path / "a")
    assert out.dtype == np.int32 and out.dtype.isnative
    np.testing.assert_array_equal(out, a)
    b = np.linspace(-1, 1, 5)
    write_idx(tmp_path / "b.gz", b, code=0x0E, gz=True)
    np.testing.assert_array_equal(read_idx(tmp_path / "b.gz"), b)


def test_read_idx_errors(tmp_path):
    p = tmp_path / "bad"
    p.write_bytes(b"\x00\x01\x08\x01\x00\x00\x00\x01\x00")
    with pytest.raises(DataError, match=r"bad: not an IDX file: the magic number is 00010801"):
        read_idx(p)
    write_idx(p, np.zeros((3, 2), np.uint8))
    p.write_bytes(p.read_bytes()[:-1])
    with pytest.raises(DataError, match=r"data size mismatch: dims \(3, 2\) of uint8 need 6 bytes.*has 5"):
        read_idx(p)
    p.write_bytes(b"\x00\x00\x08\x03\x00\x00")
    with pytest.raises(DataError, match="header truncated"):
        read_idx(p)
    (tmp_path / "trunc.gz").write_bytes(gzip.compress(b"\x00\x00\x08\x01\x00\x00\x00\x09abc")[:-6])
    with pytest.raises(DataError, match="trunc.gz"):
        read_idx(tmp_path / "trunc.gz")


@pytest.mark.parametrize("cls", [MNIST, FashionMNIST])
def test_mnist_reads_gz_and_raw(tmp_path, cls):
    _, data = make_mnist(tmp_path, cls.__name__)
    train = cls(tmp_path)
    test = cls(tmp_path, train=False)
    assert len(train) == 6 and len(test) == 4 and len(cls.classes) == 10
    np.testing.assert_array_equal(train.data, data["train"][0])
    np.testing.assert_array_equal(test.targets, data["t10k"][1])
    img, label = test[1]
    assert isinstance(img, np.ndarray) and img.shape == (28, 28) and img.dtype == np.uint8
    assert isinstance(label, int) and label == data["t10k"][1][1]
    tt = cls(tmp_path, transform=ToTensor(), target_transform=lambda t: t + 100)
    img, label = tt[0]
    assert img.shape == (1, 28, 28) and img.dtype == cg.float32 and label == data["train"][1][0] + 100
    x, y = next(iter(DataLoader(tt, batch_size=4)))
    assert x.shape == (4, 1, 28, 28) and y.dtype == cg.int64
    td = train.to_tensor_dataset()
    assert td.tensors[0].shape == (6, 1, 28, 28) and td.tensors[1].dtype == cg.int64
    np.testing.assert_allclose(td.tensors[0].numpy()[:, 0], data["train"][0] / 255.0, rtol=1e-6)


def test_mnist_files_directly_in_root_with_dotted_names(tmp_path):
    imgs = np.zeros((2, 28, 28), np.uint8)
    write_idx(tmp_path / "t10k-images.idx3-ubyte", imgs)
    write_idx(tmp_path / "t10k-labels.idx1-ubyte", np.array([3, 4], np.uint8))
    assert MNIST(tmp_path, train=False)[1][1] == 4


def test_mnist_errors(tmp_path):
    with pytest.raises(DataError) as e:
        MNIST(tmp_path)
    msg = str(e.value)
    assert "train-images-idx3-ubyte" in msg and str(tmp_path) in msg and "t10k-labels-idx1-ubyte" in msg
    assert "does not download" in msg and "yann.lecun.com" in msg
    d, _ = make_mnist(tmp_path, n_train=6)
    (d / "t10k-images-idx3-ubyte").write_bytes(b"\x12\x34")
    with pytest.raises(DataError, match=r"MNIST: .*t10k-images-idx3-ubyte: not an IDX file.*Expected files: train-"):
        MNIST(tmp_path, train=False)
    write_idx(d / "train-labels-idx1-ubyte.gz", np.zeros(5, np.uint8), gz=True)
    with pytest.raises(DataError, match="holds 6 images but .* holds 5 labels"):
        MNIST(tmp_path)
    write_idx(d / "train-labels-idx1-ubyte.gz", np.full(6, 10, np.uint8), gz=True)
    with pytest.raises(DataError, match="label 10 is out of range for 10 classes"):
        MNIST(tmp_path)
    write_idx(d / "train-labels-idx1-ubyte.gz", np.zeros((6, 1), np.uint8), gz=True)
    with pytest.raises(DataError, match=r"expected uint8 labels of 1 dim.*\(6, 1\)"):
        MNIST(tmp_path)
    write_idx(d / "train-images-idx3-ubyte.gz", np.zeros((6, 784), np.uint8), gz=True)
    with pytest.raises(DataError, match="expected uint8 images of 3 dims"):
        MNIST(tmp_path)


# ---------------------------------------------------------------------------- CIFAR-10
def cifar_arrays(n):
    return RNG.integers(0, 256, size=(n, 3072), dtype=np.uint8), RNG.integers(0, 10, size=n)


def make_cifar(root, sizes=(2, 1, 2, 1, 2), n_test=3):
    """The same random batches written in both the binary and the python layout."""
    bin_dir, py_dir = root / "bin" / "cifar-10-batches-bin", root / "py" / "cifar-10-batches-py"
    bin_dir.mkdir(parents=True)
    py_dir.mkdir(parents=True)
    batches = {}
    for stem, n in [(f"data_batch_{i + 1}", s) for i, s in enumerate(sizes)] + [("test_batch", n_test)]:
        x, y = cifar_arrays(n)
        batches[stem] = (x, y)
        rec = np.concatenate([y.astype(np.uint8)[:, None], x], axis=1)
        (bin_dir / f"{stem}.bin").write_bytes(rec.tobytes())
        d = {b"batch_label": stem.encode(), b"labels": y.tolist(), b"data": x,
             b"filenames": [f"{stem}_{i}.png".encode() for i in range(n)]}
        (py_dir / stem).write_bytes(pickle.dumps(d, protocol=2 if stem.endswith("1") else 5))
    meta = {b"label_names": [c.encode() for c in CIFAR10.classes], b"num_vis": 3072}
    (py_dir / "batches.meta").write_bytes(pickle.dumps(meta, protocol=2))
    return batches


def test_cifar_binary_and_python_agree(tmp_path):
    batches = make_cifar(tmp_path)
    tb, tp = CIFAR10(tmp_path / "bin"), CIFAR10(tmp_path / "py")
    assert len(tb) == len(tp) == 8
    np.testing.assert_array_equal(tb.data, tp.data)
    np.testing.assert_array_equal(tb.targets, tp.targets)
    x1, y1 = batches["data_batch_1"]
    np.testing.assert_array_equal(tb.data[1], x1[1].reshape(3, 32, 32).transpose(1, 2, 0))
    img, label = tp[1]
    assert img.shape == (32, 32, 3) and img.dtype == np.uint8 and label == y1[1]
    assert tp.classes == CIFAR10.classes
    test = CIFAR10(tmp_path / "py" / "cifar-10-batches-py", train=False, transform=ToTensor())
    assert len(test) == 3
    img, _ = test[2]
    np.testing.assert_allclose(img.numpy(), batches["test_batch"][0][2].reshape(3, 32, 32) / 255.0, rtol=1e-6)
    td = CIFAR10(tmp_path / "bin", train=False).to_tensor_dataset()
    assert td.tensors[0].shape == (3, 3, 32, 32)
    np.testing.assert_allclose(td.tensors[0].numpy(), batches["test_batch"][0].reshape(3, 3, 32, 32) / 255.0,
                               rtol=1e-6)


def test_cifar_errors(tmp_path):
    with pytest.raises(DataError, match=r"no CIFAR-10 batches found.*cifar-10-batches-bin.*does not download.*toronto"):
        CIFAR10(tmp_path)
    make_cifar(tmp_path)
    os.remove(tmp_path / "bin" / "cifar-10-batches-bin" / "data_batch_3.bin")
    with pytest.raises(DataError, match=r"missing .*data_batch_3\.bin"):
        CIFAR10(tmp_path / "bin")
    p = tmp_path / "bin" / "cifar-10-batches-bin" / "test_batch.bin"
    p.write_bytes(p.read_bytes()[:-1])
    with pytest.raises(DataError, match=r"test_batch\.bin: 9218 bytes is not a whole number of CIFAR-10 records"):
        CIFAR10(tmp_path / "bin", train=False)
    q = tmp_path / "py" / "cifar-10-batches-py" / "test_batch"
    q.write_bytes(pickle.dumps({b"data": np.zeros((2, 10), np.uint8), b"labels": [0, 1]}))
    with pytest.raises(DataError, match=r"test_batch: 'data' must be a uint8 array of shape \(N, 3072\)"):
        CIFAR10(tmp_path / "py", train=False)
    q.write_bytes(pickle.dumps({b"data": np.zeros((2, 3072), np.uint8), b"labels": [0, 11]}))
    with pytest.raises(DataError, match="labels must lie in 0..9"):
        CIFAR10(tmp_path / "py", train=False)
    q.write_bytes(pickle.dumps([1, 2]))
    with pytest.raises(DataError, match="expected a pickled dict"):
        CIFAR10(tmp_path / "py", train=False)
    q.write_bytes(pickle.dumps({b"data": np.zeros((2, 3072), np.uint8)})[:-10])
    with pytest.raises(DataError, match="test_batch: not a valid pickle file"):
        CIFAR10(tmp_path / "py", train=False)


class _Evil:
    def __init__(self, cmd):
        self.cmd = cmd

    def __reduce__(self):
        return (os.system, (self.cmd,))


def test_malicious_pickle_is_refused_and_not_executed(tmp_path):
    make_cifar(tmp_path)
    marker = tmp_path / "pwned"
    evil = {b"data": _Evil(f"touch {marker}"), b"labels": [0]}
    path = tmp_path / "py" / "cifar-10-batches-py" / "data_batch_1"
    path.write_bytes(pickle.dumps(evil, protocol=2))
    with pytest.raises(DataError) as e:
        CIFAR10(tmp_path / "py")
    assert str(path) in str(e.value) and f"{os.system.__module__}.system" in str(e.value)
    assert "refused" in str(e.value)
    assert not marker.exists()
    other = tmp_path / "eval.pkl"
    other.write_bytes(b"cbuiltins\neval\n(S'1+1'\ntR.")  # protocol 0: eval('1+1')
    with pytest.raises(DataError, match=r"refused to unpickle the global builtins\.eval"):
        restricted_load(other)
    plain = tmp_path / "ok.pkl"
    plain.write_bytes(pickle.dumps({"a": [1, 2.5, b"x"], "arr": np.arange(3.0)}))
    out = restricted_load(plain)
    assert out["a"] == [1, 2.5, b"x"] and out["arr"].tolist() == [0.0, 1.0, 2.0]


# ---------------------------------------------------------------------------- ImageFolder
def make_folder(root):
    (root / "cat" / "sub").mkdir(parents=True)
    (root / "dog").mkdir()
    Image.fromarray(RNG.integers(0, 256, (4, 5, 3), dtype=np.uint8)).save(root / "cat" / "b.png")
    Image.fromarray(RNG.integers(0, 256, (4, 5), dtype=np.uint8)).save(root / "cat" / "sub" / "a.PNG")
    Image.fromarray(RNG.integers(0, 256, (6, 6, 3), dtype=np.uint8)).save(root / "dog" / "c.bmp")
    (root / "dog" / "notes.txt").write_text("not an image")


def test_image_folder(tmp_path):
    make_folder(tmp_path)
    ds = ImageFolder(tmp_path)
    assert ds.classes == ["cat", "dog"] and ds.class_to_idx == {"cat": 0, "dog": 1}
    names = [(os.path.relpath(p, tmp_path), c) for p, c in ds.samples]
    assert names == [("cat/b.png", 0), ("cat/sub/a.PNG", 0), ("dog/c.bmp", 1)]
    assert ds.targets == [0, 0, 1] and len(ds) == 3
    img, label = ds[1]
    assert img.shape == (4, 5, 3) and img.dtype == np.uint8 and label == 0  # grayscale converted to RGB
    np.testing.assert_array_equal(img[..., 0], img[..., 2])
    t = ImageFolder(tmp_path, transform=ToTensor())[2][0]
    assert t.shape == (3, 6, 6) and t.dtype == cg.float32


def test_image_folder_errors(tmp_path):
    with pytest.raises(DataError, match="is not a directory"):
        ImageFolder(tmp_path / "nope")
    with pytest.raises(DataError, match="has no subfolders; expected one subfolder per class"):
        ImageFolder(tmp_path)
    make_folder(tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match=r"no image files in the class folders \['empty'\]"):
        ImageFolder(tmp_path)
    (tmp_path / "empty" / "x.png").write_bytes(b"not really a png")
    with pytest.raises(DataError, match=r"cannot read the image .*x\.png"):
        ImageFolder(tmp_path)[3]


def test_digits_train_loop_through_dataloader(digit_data):
    """Batches from the loader feed a model: softmax regression learns the digits in a few epochs."""
    import chalkgrad.nn as nn
    import chalkgrad.nn.functional as F

    cg.manual_seed(0)
    train, test = train_test_split(digit_data, seed=0)
    model = nn.Linear(64, 10)
    opt = cg.optim.SGD(model.parameters(), lr=0.5)
    for _ in range(5):
        for xb, yb in DataLoader(train, batch_size=32, shuffle=True):
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
    x, y = test.tensors
    assert (model(x).argmax(1) == y).float().mean().item() > 0.85
