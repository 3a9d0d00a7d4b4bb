"""model.save / load_model / save_weights / load_weights through chalkgrad.keras, against Keras 3.

The course scripts in tests/keras/corpus cover the round trips of many architectures (CNN,
LSTM, BatchNorm, Embedding, Bidirectional, skip connection, nested models); here: a shared
layer and two outputs, compile settings, suffix rules, errors and atomic saves.
"""

from __future__ import annotations

import os
import zipfile

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")

from chalkgrad.errors import ChalkgradError, CheckpointError, ConfigError  # noqa: E402


@pytest.fixture(scope="module")
def ck():
    import chalkgrad.keras as ck

    return ck


def two_headed(lib):
    """A functional model with a shared Dense layer (two nodes), a skip connection and two outputs."""
    a = lib.Input(shape=(6,), name="a")
    b = lib.Input(shape=(6,), name="b")
    shared = lib.layers.Dense(6, activation="tanh", name="shared")
    ha, hb = shared(a), shared(b)
    merged = lib.layers.Add(name="skip")([ha, b])
    out1 = lib.layers.Dense(2, name="out1")(merged)
    out2 = lib.layers.Dense(1, activation="sigmoid", name="out2")(lib.layers.Concatenate()([ha, hb]))
    return lib.Model(inputs=[a, b], outputs=[out1, out2], name="two_headed")


X = [np.random.default_rng(0).normal(size=(3, 6)).astype("float32"),
     np.random.default_rng(1).normal(size=(3, 6)).astype("float32")]


def outputs(model):
    return [np.asarray(o) for o in model.predict(X, verbose=0)]


def assert_close(a, b):
    for x, y in zip(a, b):
        np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-6)


def test_shared_layer_two_outputs_both_ways(tmp_path, ck):
    theirs = two_headed(keras)
    theirs.save(tmp_path / "k.keras")
    ours = ck.models.load_model(tmp_path / "k.keras")
    assert [layer.name for layer in ours.layers] == [layer.name for layer in theirs.layers]
    assert_close(outputs(ours), outputs(theirs))

    ours.save(tmp_path / "c.keras")
    back = keras.models.load_model(tmp_path / "c.keras")
    assert_close(outputs(back), outputs(theirs))

    fresh = two_headed(ck)
    fresh.load_weights(tmp_path / "k.keras")  # the weights of a .keras file, as Keras allows
    assert_close(outputs(fresh), outputs(theirs))


def test_compiled_model_round_trip(tmp_path, ck):
    model = ck.Sequential([ck.Input(shape=(4,)), ck.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.save(tmp_path / "c.keras")
    theirs = keras.models.load_model(tmp_path / "c.keras")  # compile=True: Keras rebuilds the compile settings
    assert theirs.optimizer is not None and type(theirs.optimizer).__name__ == "Adam"
    x = np.random.default_rng(2).normal(size=(5, 4)).astype("float32")
    np.testing.assert_allclose(theirs.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    theirs.save(tmp_path / "k.keras")
    again = ck.saving.load_model(tmp_path / "k.keras")
    again.fit(x, np.array([0, 1, 2, 1, 0]), epochs=1, verbose=0)  # compiled from Keras' compile_config


@pytest.mark.parametrize("method, name", [("save", "m.h5"), ("save", "m.weights.h5"), ("save", "m"),
                                          ("save_weights", "w.h5"), ("save_weights", "w.keras")])
def test_no_other_format_under_keras_names(tmp_path, ck, method, name):
    model = ck.Sequential([ck.Input(shape=(2,)), ck.layers.Dense(1)])
    with pytest.raises(ChalkgradError, match=r"must end in|weights file name"):
        getattr(model, method)(tmp_path / name)
    assert not (tmp_path / name).exists()


def test_saved_file_is_keras_layout(tmp_path, ck):
    model = ck.Sequential([ck.Input(shape=(3,)), ck.layers.Dense(2), ck.layers.Dense(1)])
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as zf:
        assert zf.namelist() == ["metadata.json", "config.json", "model.weights.h5"]
    model.save_weights(tmp_path / "m.weights.h5")
    import h5py

    with h5py.File(tmp_path / "m.weights.h5") as f:
        assert f["layers/dense/vars/0"].shape == (3, 2) and f["layers/dense_1/vars/1"].shape == (1,)


def test_load_errors_name_the_file(tmp_path, ck):
    (tmp_path / "junk.keras").write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(CheckpointError, match=r"junk\.keras"):
        ck.models.load_model(tmp_path / "junk.keras")
    with pytest.raises(FileNotFoundError, match=r"nothere\.keras"):
        ck.models.load_model(tmp_path / "nothere.keras")
    theirs = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4)])
    theirs.save_weights(tmp_path / "k.weights.h5")
    ours = ck.Sequential([ck.Input(shape=(3,)), ck.layers.Dense(5)])
    before = [w.copy() for w in ours.get_weights()]
    with pytest.raises(CheckpointError, match=r"k\.weights\.h5: layer 'dense.*' weight 0 has shape \(3, 5\), the "
                                              r"file holds \(3, 4\)"):
        ours.load_weights(tmp_path / "k.weights.h5")
    for a, b in zip(before, ours.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ConfigError, match=r"must end in '\.keras' .*'\.weights\.h5' .*got '.*k\.h5' \(the legacy"):
        ours.load_weights(tmp_path / "k.h5")


def test_save_is_atomic(tmp_path, ck, monkeypatch):
    model = ck.Sequential([ck.Input(shape=(2,)), ck.layers.Dense(1)])
    model.save(tmp_path / "m.keras")
    before = (tmp_path / "m.keras").read_bytes()
    from chalkgrad.keras.saving import api

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(api, "write_weights_h5", fail)
    with pytest.raises(OSError, match="disk full"):
        model.save(tmp_path / "m.keras")
    assert (tmp_path / "m.keras").read_bytes() == before
    assert os.listdir(tmp_path) == ["m.keras"]


def with_inner_model(lib):
    """A functional model called as a layer inside another one (the transfer-learning pattern)."""
    x = lib.Input(shape=(5,))
    inner = lib.Model(x, lib.layers.Dense(4, activation="relu", name="inner_dense")(x), name="base")
    inputs = lib.Input(shape=(5,))
    h = inner(inputs)
    return lib.Model(inputs, lib.layers.Dense(2, name="head")(lib.layers.BatchNormalization()(h)), name="outer")


def test_functional_model_used_as_layer_both_ways(tmp_path, ck):
    theirs = with_inner_model(keras)
    x = np.random.default_rng(3).normal(size=(4, 5)).astype("float32")
    ours = with_inner_model(ck)
    for a, b in zip(theirs.layers, ours.layers):
        b.set_weights(a.get_weights())
    expected = theirs.predict(x, verbose=0)
    theirs.save(tmp_path / "k.keras")
    np.testing.assert_allclose(ck.models.load_model(tmp_path / "k.keras").predict(x, verbose=0), expected,
                               rtol=1e-5, atol=1e-6)
    ours.save(tmp_path / "c.keras")
    np.testing.assert_allclose(keras.models.load_model(tmp_path / "c.keras").predict(x, verbose=0), expected,
                               rtol=1e-5, atol=1e-6)
    ours.save_weights(tmp_path / "c.weights.h5")
    fresh = with_inner_model(keras)
    fresh.load_weights(tmp_path / "c.weights.h5")
    np.testing.assert_allclose(fresh.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)


def test_unknown_layer_class_names_the_file(tmp_path, ck):
    import json

    from chalkgrad.keras.saving.archive import read_keras_archive, write_keras_archive

    keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]).save(tmp_path / "k.keras")
    archive = read_keras_archive(tmp_path / "k.keras")
    config = json.loads(json.dumps(archive.config).replace('"Dense"', '"FancyDense"'))
    write_keras_archive(tmp_path / "odd.keras", config, archive.weights_h5, archive.metadata)
    with pytest.raises(CheckpointError, match=r"odd\.keras/config\.json: cannot rebuild the Sequential model.*"
                                              r"FancyDense"):
        ck.models.load_model(tmp_path / "odd.keras")
