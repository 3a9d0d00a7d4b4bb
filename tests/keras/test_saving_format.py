"""The Keras 3 file formats at the byte level, against files Keras 3 writes and reads.

``model_entries`` / ``assign_model_weights`` are run on Keras' own models here, so the layout
(group paths, variable order, names) is checked against Keras itself, independently of the
chalkgrad layers; tests/keras/test_saving.py does the same through chalkgrad models.
"""

from __future__ import annotations

import io
import os
import struct
import zipfile

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")
h5py = pytest.importorskip("h5py")

from chalkgrad.errors import CheckpointError  # noqa: E402
from chalkgrad.keras.saving import h5 as h5_module  # noqa: E402
from chalkgrad.keras.saving.archive import read_keras_archive, write_keras_archive  # noqa: E402
from chalkgrad.keras.saving.h5 import Entry, read_weights_h5, save_weights_file, write_weights_h5  # noqa: E402
from chalkgrad.keras.saving.weight_paths import assign_model_weights, model_entries, snake_case  # noqa: E402

L = keras.layers


def keras_mixed_model():
    """Every nesting rule at once: Bidirectional LSTM, TimeDistributed, skip connection, GRU, BatchNorm,
    a Sequential model used as a layer, PReLU, two layers of one class."""
    keras.utils.set_random_seed(1)
    i = keras.Input((6, 3))
    x = L.Bidirectional(L.LSTM(4, return_sequences=True))(i)
    x = L.TimeDistributed(L.Dense(3))(x)
    x = L.Add()([x, i])
    x = L.GRU(2)(x)
    x = L.BatchNormalization()(x)
    x = keras.Sequential([keras.Input((2,)), L.Dense(3), L.Dense(2)])(x)
    x = L.PReLU()(x)
    return keras.Model(i, L.Dense(2, name="head")(x))


def keras_cnn():
    keras.utils.set_random_seed(2)
    return keras.Sequential([keras.Input((8, 8, 1)), L.Conv2D(4, 3, activation="relu", name="c"),
                             L.BatchNormalization(), L.Conv2D(2, 3), L.Flatten(), L.Dense(3, activation="softmax")])


def perturb(model):
    """Give every variable (moving statistics included) distinct random values."""
    rng = np.random.default_rng(5)
    for layer in model.layers:
        layer.set_weights([rng.uniform(0.5, 1.5, np.shape(w)).astype("float32") for w in layer.get_weights()])


X_SEQ = np.random.default_rng(0).normal(size=(3, 6, 3)).astype("float32")
X_IMG = np.random.default_rng(0).normal(size=(3, 8, 8, 1)).astype("float32")


@pytest.mark.parametrize("build, x", [(keras_mixed_model, X_SEQ), (keras_cnn, X_IMG)])
def test_layout_matches_what_keras_writes(tmp_path, build, x):
    model = build()
    perturb(model)
    model.save_weights(tmp_path / "k.weights.h5")
    stored = read_weights_h5(tmp_path / "k.weights.h5")
    entries = model_entries(model)
    assert sorted(e.path for e in entries) == sorted(stored.groups)
    for entry in entries:
        assert stored.names[entry.path] == entry.name, entry.path
        assert len(entry.arrays) == len(stored.groups[entry.path]), entry.path
        for ours, theirs in zip(entry.arrays, stored.groups[entry.path]):
            np.testing.assert_array_equal(ours, theirs)

    # our bytes -> Keras load_weights: the same predictions
    save_weights_file(tmp_path / "ours.weights.h5", entries)
    fresh = build()
    fresh.load_weights(tmp_path / "ours.weights.h5")
    np.testing.assert_allclose(fresh.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)

    # Keras' file -> assign_model_weights: the same predictions
    fresh = build()
    assign_model_weights(fresh, stored)
    np.testing.assert_allclose(fresh.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


def test_snake_case_matches_keras():
    from keras.src.utils.naming import to_snake_case

    for name in ("Conv2D", "Conv2DTranspose", "BatchNormalization", "PReLU", "LSTM", "SimpleRNN", "GRU", "ReLU",
                 "GlobalAveragePooling2D", "ZeroPadding2D", "InputLayer", "SeparableConv2D", "TimeDistributed"):
        assert snake_case(name) == to_snake_case(name)


def test_assign_checks_counts_and_shapes_before_changing_anything(tmp_path):
    model = keras_cnn()
    before = [w.copy() for w in model.get_weights()]
    entries = model_entries(model)
    bad = [Entry(e.path, e.name, [a[..., :1] if a.ndim == 4 else a for a in e.arrays]) for e in entries]
    save_weights_file(tmp_path / "bad.weights.h5", bad)
    expected = r"bad\.weights\.h5: layer 'c' weight 0 has shape \(3, 3, 1, 4\), the file holds \(3, 3, 1, 1\)"
    with pytest.raises(CheckpointError, match=expected):
        assign_model_weights(model, read_weights_h5(tmp_path / "bad.weights.h5"))
    short = [Entry(e.path, e.name, e.arrays[:1]) for e in entries]
    save_weights_file(tmp_path / "short.weights.h5", short)
    with pytest.raises(CheckpointError, match=r"layer 'c' \(Conv2D\) expects 2 arrays in 'layers/conv2d/vars'"):
        assign_model_weights(model, read_weights_h5(tmp_path / "short.weights.h5"))
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_keras_archive_both_ways(tmp_path):
    model = keras_mixed_model()
    perturb(model)
    model.save(tmp_path / "k.keras")
    archive = read_keras_archive(tmp_path / "k.keras")
    assert archive.metadata["keras_version"] == keras.__version__
    assert archive.config["class_name"] == "Functional"
    stored = read_weights_h5(f"{tmp_path}/k.keras/model.weights.h5", archive.weights_h5)
    assert "layers/bidirectional/forward_layer/cell" in stored.groups

    # an archive written here (Keras' config, our weights bytes) loads in Keras
    write_keras_archive(tmp_path / "ours.keras", archive.config, write_weights_h5(model_entries(model)))
    with zipfile.ZipFile(tmp_path / "ours.keras") as zf:
        assert zf.namelist() == ["metadata.json", "config.json", "model.weights.h5"]
        assert all(info.compress_type == zipfile.ZIP_STORED for info in zf.infolist())
    loaded = keras.models.load_model(tmp_path / "ours.keras")
    np.testing.assert_allclose(loaded.predict(X_SEQ, verbose=0), model.predict(X_SEQ, verbose=0), rtol=1e-6)


def forge_member_size(data: bytes, member: str, size: int) -> bytes:
    """Rewrite the uncompressed size of ``member`` in the zip's central directory and local header."""
    out = bytearray(data)
    name = member.encode()
    central = out.find(b"PK\x01\x02" + b"", 0)
    while central != -1:
        name_len = struct.unpack_from("<H", out, central + 28)[0]
        if out[central + 46:central + 46 + name_len] == name:
            struct.pack_into("<I", out, central + 24, size)
            local = struct.unpack_from("<I", out, central + 42)[0]
            struct.pack_into("<I", out, local + 22, size)
        central = out.find(b"PK\x01\x02", central + 4)
    return bytes(out)


def test_lying_archive_is_refused_before_reading(tmp_path):
    write_keras_archive(tmp_path / "ok.keras", {"class_name": "Sequential"}, b"\x89HDF\r\n\x1a\nxx")
    data = (tmp_path / "ok.keras").read_bytes()
    (tmp_path / "big.keras").write_bytes(forge_member_size(data, "config.json", 1 << 31))
    with pytest.raises(CheckpointError, match=r"big\.keras: member 'config\.json' declares 2147483648 bytes"):
        read_keras_archive(tmp_path / "big.keras")
    (tmp_path / "trunc.keras").write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match=r"trunc\.keras"):
        read_keras_archive(tmp_path / "trunc.keras")


@pytest.mark.parametrize("content, message", [
    (b"", "empty file"),
    (b"\x89HDF\r\n\x1a\n" + b"\0" * 100, "legacy Keras 2 .h5 format"),
    (b"hello", "not a zip archive"),
])
def test_not_a_keras_file(tmp_path, content, message):
    (tmp_path / "m.keras").write_bytes(content)
    with pytest.raises(CheckpointError, match=message):
        read_keras_archive(tmp_path / "m.keras")


def test_archive_without_config_or_weights(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("metadata.json", "{}")
        zf.writestr("model.weights.npz", b"")
        zf.writestr("config.json", "[1, 2]")
    (tmp_path / "a.keras").write_bytes(buffer.getvalue())
    with pytest.raises(CheckpointError, match=r"a\.keras: member 'config\.json' holds a JSON list"):
        read_keras_archive(tmp_path / "a.keras")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("config.json", "{}")
        zf.writestr("model.weights.npz", b"")
    (tmp_path / "b.keras").write_bytes(buffer.getvalue())
    with pytest.raises(CheckpointError, match=r"b\.keras: the archive has no 'model\.weights\.h5' \(.*npz"):
        read_keras_archive(tmp_path / "b.keras")


def test_hostile_h5_files(tmp_path):
    path = tmp_path / "bomb.weights.h5"
    with h5py.File(path, "w") as f:  # declares 4 GiB, stores nothing (chunked, compressed, never written)
        f.create_dataset("layers/dense/vars/0", shape=(1 << 30,), dtype="f4", chunks=(1 << 16,), compression="gzip")
    with pytest.raises(CheckpointError, match=r"bomb\.weights\.h5: dataset 'layers/dense/vars/0' declares 4294967296"):
        read_weights_h5(path)
    path = tmp_path / "link.weights.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("layers/dense/vars/0", data=np.zeros(3, "f4"))
        f["layers/dense/vars"]["1"] = h5py.SoftLink("/layers/dense/vars/0")
    with pytest.raises(CheckpointError, match=r"link\.weights\.h5: layers/dense/vars/'1' is a SoftLink"):
        read_weights_h5(path)
    path = tmp_path / "text.weights.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("vars/0", data=np.array([b"x"]))
    with pytest.raises(CheckpointError, match=r"text\.weights\.h5: dataset 'vars/0' has dtype \|S1"):
        read_weights_h5(path)
    path = tmp_path / "gap.weights.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("vars/0", data=np.zeros(2))
        f.create_dataset("vars/2", data=np.zeros(2))
    with pytest.raises(CheckpointError, match=r"gap\.weights\.h5: group 'vars' holds \['0', '2'\]"):
        read_weights_h5(path)
    good = write_weights_h5([Entry("layers/dense", "dense", [np.ones((2, 3), "f4")])])
    (tmp_path / "cut.weights.h5").write_bytes(good[: len(good) // 2])
    with pytest.raises(CheckpointError, match=r"cut\.weights\.h5: truncated or corrupt"):
        read_weights_h5(tmp_path / "cut.weights.h5")
    (tmp_path / "zip.weights.h5").write_bytes(b"PK\x03\x04rest")
    with pytest.raises(CheckpointError, match=r"a zip archive"):
        read_weights_h5(tmp_path / "zip.weights.h5")


def test_saves_are_atomic(tmp_path, monkeypatch):
    path = tmp_path / "w.weights.h5"
    save_weights_file(path, [Entry("", "m", [np.ones(2, "f4")])])
    before = path.read_bytes()
    monkeypatch.setattr(h5_module.np, "ascontiguousarray", lambda a: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError, match="disk full"):
        save_weights_file(path, [Entry("", "m", [np.zeros(2, "f4")])])
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["w.weights.h5"]
