"""Hostile dataset files: every loader stays within a small multiple of the file's size, never hangs,
and refuses a bad file with a DataError that names it.

Each case runs in a subprocess with a memory cap and a time limit (tests/bounded.py), so a
loader that allocates what a lying header declares fails the test instead of the machine.
"""

import gzip
import io
import os
import pickle
import struct
import zlib
from functools import partial

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from bounded import SUPPORTED, BoundedWorker, read_every_item, samples_of
from chalkgrad.data import CIFAR10, MNIST, ImageFolder, read_idx
from helpers import examples

MEMORY_MB = 96  # what a case may allocate beyond the worker's baseline; the files are a few KB
SECONDS = 10


@pytest.fixture(scope="module")
def worker():
    if not SUPPORTED:
        pytest.skip("the memory-capped worker needs Linux (/proc, RLIMIT_AS)")
    with BoundedWorker(memory_mb=MEMORY_MB, seconds=SECONDS) as w:
        yield w


def assert_loaded_or_refused(outcome, path) -> None:
    """The call returned, or raised a DataError (a ChalkgradError) whose message names ``path``."""
    if outcome.kind == "returned":
        return
    assert outcome.kind == "raised", f"{path}: the loader {outcome}"
    assert outcome.raised("DataError") and outcome.raised("ChalkgradError"), f"{path}: {outcome}"
    assert str(path) in outcome.message, f"the message does not name {path}: {outcome.message}"


def assert_refused(outcome, path, match: str = "") -> None:
    assert outcome.kind == "raised", f"{path}: expected a DataError, the loader {outcome}"
    assert_loaded_or_refused(outcome, path)
    assert match.lower() in outcome.message.lower(), outcome.message


# ------------------------------------------------------------------ what the worker runs
load_mnist = partial(read_every_item, MNIST)
load_cifar = partial(read_every_item, partial(CIFAR10, train=False))
load_images = partial(read_every_item, ImageFolder)


def list_images(worker, root):
    out = worker.call(samples_of, ImageFolder, root)
    assert out.kind == "returned", out
    return [os.path.relpath(p, root) for p, _ in out.value]


# ------------------------------------------------------------------ file makers
def idx_bytes(arr: np.ndarray) -> bytes:
    return bytes([0, 0, 0x08, arr.ndim]) + np.asarray(arr.shape, ">u4").tobytes() + arr.astype("u1").tobytes()


def gzip_stream(header: bytes, zeros: int) -> bytes:
    """A gzip file of ``header`` followed by ``zeros`` zero bytes (in 1 MiB members, each about 1 KB)."""
    member = gzip.compress(bytes(2**20))
    return gzip.compress(header) + member * (zeros // 2**20) + gzip.compress(bytes(zeros % 2**20))


def write_mnist(root, images: bytes, labels: bytes, compress: bool):
    """The train split's two files; ``compress``: gzip the given bytes (else they are written as they are)."""
    paths = []
    for stem, raw in (("train-images-idx3-ubyte", images), ("train-labels-idx1-ubyte", labels)):
        gz = compress or raw[:2] == b"\x1f\x8b"
        path = root / (stem + (".gz" if gz else ""))
        path.write_bytes(gzip.compress(raw) if compress else raw)
        paths.append(path)
    return paths


RNG = np.random.default_rng(0)
GOOD_IMAGES = idx_bytes(RNG.integers(0, 256, (3, 28, 28), dtype=np.uint8))
GOOD_LABELS = idx_bytes(np.array([1, 2, 3], np.uint8))


# ------------------------------------------------------------------ MNIST / IDX
def test_gzip_bomb_is_not_decompressed_in_full(tmp_path, worker):
    """A small .gz whose stream holds far more than its header declares (or a header that declares it
    all, far beyond what the file could honestly hold) is refused after reading a bounded amount."""
    lying = tmp_path / "lying.gz"
    lying.write_bytes(gzip_stream(bytes([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 28, 0, 0, 0, 28]), 128 * 2**20))
    assert lying.stat().st_size < 2**20
    assert_refused(worker.call(read_idx, lying), lying, "more data")
    honest = tmp_path / "honest.gz"
    honest.write_bytes(gzip_stream(bytes([0, 0, 8, 1]) + struct.pack(">I", 128 * 2**20), 128 * 2**20))
    assert_refused(worker.call(read_idx, honest), honest, "decompress")


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("header,match", [
    (bytes([0, 0, 8, 255]) + struct.pack(">I", 1) * 255 + b"\x07", "dims"),  # more dims than NumPy has
    (bytes([0, 0, 8, 3]) + struct.pack(">III", 2**31, 2**31, 2**31), "need"),  # 2**93 bytes declared
    (bytes([0, 0, 8, 2]) + struct.pack(">II", 2**20, 2**20) + b"\x00" * 64, "need"),
    (bytes([0, 0, 0x42, 1]) + struct.pack(">I", 1) + b"\x00", "type code"),  # unknown dtype
    (bytes([1, 0, 8, 1]) + struct.pack(">I", 1) + b"\x00", "magic"),
    (bytes([0, 0, 8, 0]), "magic"),  # zero dims
])
def test_lying_idx_headers(tmp_path, worker, header, match, gz):
    path = tmp_path / ("x.gz" if gz else "x")
    path.write_bytes(gzip.compress(header) if gz else header)
    assert_refused(worker.call(read_idx, path), path, match)


def mutations(good: bytes):
    """Truncations, bit flips and overwritten header words of ``good``."""
    n = len(good)
    truncate = st.integers(0, n - 1).map(lambda k: good[:k])
    flips = st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, 7)), min_size=1, max_size=4).map(
        lambda fl: _flip(good, fl))
    header_word = st.tuples(st.integers(0, min(n, 64) // 4 - 1), st.integers(0, 2**32 - 1)).map(
        lambda iv: good[:4 * iv[0]] + struct.pack(">I", iv[1]) + good[4 * iv[0] + 4:])
    return st.one_of(truncate, flips, header_word)


def _flip(data: bytes, flips) -> bytes:
    out = bytearray(data)
    for pos, bit in flips:
        out[pos] ^= 1 << bit
    return bytes(out)


@examples(40)
@given(images=st.one_of(st.tuples(mutations(GOOD_IMAGES), st.booleans()),  # IDX bytes, raw or gzipped
                        st.tuples(mutations(gzip.compress(GOOD_IMAGES)), st.just(False))),  # a damaged .gz
       labels=st.sampled_from([GOOD_LABELS, GOOD_LABELS[:-1]]))
def test_fuzzed_mnist(tmp_path_factory, worker, images, labels):
    root = tmp_path_factory.mktemp("mnist")
    paths = write_mnist(root, images[0], labels, images[1])
    out = worker.call(load_mnist, root)
    if out.kind == "raised":
        assert any(str(p) in out.message for p in paths), out.message
    assert_loaded_or_refused(out, root)


# ------------------------------------------------------------------ CIFAR-10
def cifar_root(tmp_path, name: str, raw: bytes):
    kind = "bin" if name.endswith(".bin") else "py"
    d = tmp_path / f"cifar-10-batches-{kind}"
    d.mkdir(exist_ok=True)
    (d / name).write_bytes(raw)
    return d / name


GOOD_RECORDS = np.concatenate([np.array([[3], [7]], np.uint8),
                               RNG.integers(0, 256, (2, 3072), dtype=np.uint8)], axis=1).tobytes()
GOOD_PICKLE = pickle.dumps({b"data": RNG.integers(0, 256, (2, 3072), dtype=np.uint8), b"labels": [3, 7]}, protocol=2)


@examples(25)
@given(raw=mutations(GOOD_RECORDS))
def test_fuzzed_cifar_binary(tmp_path_factory, worker, raw):
    path = cifar_root(tmp_path_factory.mktemp("cifar"), "test_batch.bin", raw)
    assert_loaded_or_refused(worker.call(load_cifar, path.parent), path)


@examples(60)
@given(raw=mutations(GOOD_PICKLE))
def test_fuzzed_cifar_pickle(tmp_path_factory, worker, raw):
    path = cifar_root(tmp_path_factory.mktemp("cifar"), "test_batch", raw)
    assert_loaded_or_refused(worker.call(load_cifar, path.parent), path)


GOOD_META = pickle.dumps({b"label_names": [b"plane", b"car"] + [str(i).encode() for i in range(8)]}, protocol=2)


@examples(25)
@given(meta=mutations(GOOD_META))
def test_fuzzed_cifar_meta(tmp_path_factory, worker, meta):
    root = tmp_path_factory.mktemp("cifar")
    cifar_root(root, "test_batch", GOOD_PICKLE)
    path = cifar_root(root, "batches.meta", meta)
    assert_loaded_or_refused(worker.call(load_cifar, path.parent), path)


class _Lie:
    """Pickles as NumPy's array rebuilding with a shape and dtype of our choosing, in the rebuilt
    array (``_reconstruct``; NumPy writes (0,)) or in the state set on it."""

    def __init__(self, shape, dtype, data: bytes, in_reconstruct: bool):
        self.shape, self.dtype, self.data, self.in_reconstruct = shape, dtype, data, in_reconstruct

    def __reduce__(self):
        from numpy._core.multiarray import _reconstruct

        first = self.shape if self.in_reconstruct else (0,)
        return _reconstruct, (np.ndarray, first, b"b"), (1, self.shape, np.dtype(self.dtype), False, self.data)


@examples(30)
@given(shape=st.lists(st.integers(0, 2**40), min_size=1, max_size=3).map(tuple),
       dtype=st.sampled_from(["u1", "f8", "V1024", "O"]), data=st.one_of(st.binary(max_size=16), st.just([1, 2])),
       in_reconstruct=st.booleans())
def test_cifar_pickle_with_lying_array_headers(tmp_path_factory, worker, shape, dtype, data, in_reconstruct):
    raw = pickle.dumps({b"data": _Lie(shape, dtype, data, in_reconstruct), b"labels": [1]}, protocol=2)
    path = cifar_root(tmp_path_factory.mktemp("cifar"), "test_batch", raw)
    assert_loaded_or_refused(worker.call(load_cifar, path.parent), path)


@pytest.mark.parametrize("labels", [[[1], [1, 2]], [[[[[1]]]]] * 2, [2**100, 1], "ab", None, {1: 2}, [1.5, 2]])
def test_cifar_pickle_with_strange_labels(tmp_path, worker, labels):
    raw = pickle.dumps({b"data": np.zeros((2, 3072), np.uint8), b"labels": labels}, protocol=2)
    path = cifar_root(tmp_path, "test_batch", raw)
    assert_refused(worker.call(load_cifar, path.parent), path, "labels")


def test_cifar_pickle_with_strange_keys(tmp_path, worker):
    raw = pickle.dumps({10**5000: 1, ("a", (1, 2)): 2}, protocol=2)
    path = cifar_root(tmp_path, "test_batch", raw)
    assert_refused(worker.call(load_cifar, path.parent), path, "expected 'data' and 'labels'")


def test_pickle_length_fields_larger_than_the_file(tmp_path, worker):
    """BINBYTES8 / BINUNICODE8 / FRAME lengths of 2**40 are not allocated."""
    for body in (b"\x8e" + struct.pack("<Q", 2**40) + b"abc",  # BINBYTES8
                 b"\x8d" + struct.pack("<Q", 2**40) + b"abc",  # BINUNICODE8
                 b"\x95" + struct.pack("<Q", 2**40) + b"N."):  # FRAME
        path = cifar_root(tmp_path, "test_batch", b"\x80\x04" + body)
        assert_refused(worker.call(load_cifar, path.parent), path, "not a valid pickle")


# ------------------------------------------------------------------ ImageFolder
def png_bytes(width: int, height: int, mode: str = "L") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, (width, height)).save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def set_png_size(png: bytes, width: int, height: int) -> bytes:
    """The PNG with its IHDR width and height replaced (and the chunk's CRC fixed, so only the size lies)."""
    ihdr = png[12:29]  # b"IHDR" + 13 bytes of fields
    fields = struct.pack(">II", width, height) + ihdr[12:]
    chunk = b"IHDR" + fields
    return png[:12] + chunk + struct.pack(">I", zlib.crc32(chunk)) + png[33:]


def image_bytes(fmt: str) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(RNG.integers(0, 256, (6, 5, 3), dtype=np.uint8)).save(buf, format=fmt)
    return buf.getvalue()


GOOD_IMAGES_BY_FORMAT = [image_bytes(fmt) for fmt in ("PNG", "BMP", "GIF", "JPEG", "TIFF", "WEBP", "PPM")]
GOOD_PNG = GOOD_IMAGES_BY_FORMAT[0]


def image_root(tmp_path, raw: bytes, name="a.png"):
    (tmp_path / "cat").mkdir(exist_ok=True)
    (tmp_path / "cat" / name).write_bytes(raw)
    return tmp_path / "cat" / name


def test_decompression_bomb_png_is_a_data_error(tmp_path, worker):
    # over PIL's limits: its DecompressionBombError (over 179 Mpx) and DecompressionBombWarning (over 89 Mpx)
    path = image_root(tmp_path, set_png_size(GOOD_PNG, 20_000, 20_000))
    assert_refused(worker.call(load_images, tmp_path), path, "decompression bomb")
    path.write_bytes(set_png_size(GOOD_PNG, 10_000, 10_000))
    assert_refused(worker.call(load_images, tmp_path), path, "decompression bomb")
    # below PIL's limit, an honest image of far more pixels than a file this small can hold
    bomb = png_bytes(8_000, 8_000, "1")
    assert len(bomb) < 20_000
    path.write_bytes(bomb)
    assert_refused(worker.call(load_images, tmp_path), path, "pixels")


@examples(40)
@given(raw=st.one_of(
    st.sampled_from(GOOD_IMAGES_BY_FORMAT).flatmap(mutations),
    st.tuples(st.integers(0, 2**31 - 1), st.integers(0, 2**31 - 1)).map(lambda wh: set_png_size(GOOD_PNG, *wh))))
def test_fuzzed_images(tmp_path_factory, worker, raw):
    root = tmp_path_factory.mktemp("images")
    path = image_root(root, raw)
    assert_loaded_or_refused(worker.call(load_images, root), path)


def test_self_symlinks_do_not_repeat_or_hang(tmp_path, worker):
    path = image_root(tmp_path, GOOD_PNG)
    os.symlink(tmp_path / "cat", tmp_path / "cat" / "again")
    assert list_images(worker, tmp_path) == ["cat/a.png"]
    os.symlink(tmp_path / "cat", tmp_path / "cat" / "and_again")
    os.symlink(tmp_path, tmp_path / "cat" / "root")  # up to the root: the other classes are not walked as cat
    (tmp_path / "dog").mkdir()
    image_root(tmp_path, GOOD_PNG, "b.png").rename(tmp_path / "dog" / "b.png")
    assert list_images(worker, tmp_path) == ["cat/a.png", "dog/b.png"]
    assert path.exists()


def test_symlinked_folders_are_followed(tmp_path, worker):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "x.png").write_bytes(GOOD_PNG)
    root = tmp_path / "root"
    (root / "cat").mkdir(parents=True)
    os.symlink(elsewhere, root / "cat" / "linked")
    os.symlink(elsewhere, root / "dog")  # a class folder that is a link
    assert list_images(worker, root) == ["cat/linked/x.png", "dog/x.png"]
