"""Hostile and edited checkpoints: lying sizes, zip bombs, edited headers; each a CheckpointError naming the file.

The files that would allocate terabytes if trusted are loaded in a subprocess with a memory cap
(tests/checkpoint_sandbox.py), so a regression fails the test instead of the machine.
"""

import io
import json
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
from safetensors import safe_open
from safetensors.numpy import load_file as np_load_file
from safetensors.numpy import save_file as np_save_file

import chalkgrad as cg
from chalkgrad import fit, models
from chalkgrad.errors import CheckpointError
from checkpoint_sandbox import run_loaders

OLD = Path(__file__).parent / "fixtures" / "old_checkpoints"
TIB_SHAPE = 2**40


# ----------------------------------------------------------------------------- helpers
def _npy_bytes(arr, shape_text=None) -> bytes:
    """The .npy file of ``arr``; with ``shape_text`` its header claims that shape instead (same header length)."""
    buf = io.BytesIO()
    np.save(buf, arr)
    raw = buf.getvalue()
    if shape_text is None:
        return raw
    hlen = int.from_bytes(raw[8:10], "little")
    header = raw[10:10 + hlen].decode("latin1")
    real = repr(arr.shape)
    edited = header.replace(real, shape_text).replace(" " * (len(shape_text) - len(real)) + "\n", "\n", 1)
    assert len(edited) == hlen
    return raw[:10] + edited.encode("latin1") + raw[10 + hlen:]


def _npz(path, entries: dict, compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression) as z:
        for name, raw in entries.items():
            z.writestr(name + ".npy", raw)


def _header_npy(header: dict) -> bytes:
    return _npy_bytes(np.frombuffer(json.dumps(header).encode(), np.uint8))


def _edit_safetensors_header(path, edit_text):
    """Rewrite the chalkgrad metadata (JSON text) of a safetensors file with ``edit_text(text) -> text``."""
    with safe_open(path, framework="np") as f:
        metadata = f.metadata()
    arrays = np_load_file(path)
    metadata["chalkgrad"] = edit_text(metadata["chalkgrad"])
    np_save_file(arrays, path, metadata=metadata)


def _edit_key(key, value):
    def edit(text):
        header = json.loads(text)
        if value is _DELETE:
            del header[key]
        else:
            header[key] = value
        return json.dumps(header)

    return edit


_DELETE = object()


def _raw_safetensors(header: dict, data: bytes) -> bytes:
    blob = json.dumps(header).encode()
    return len(blob).to_bytes(8, "little") + blob + data


# ----------------------------------------------------------------------------- declared sizes
def test_npy_entry_declaring_terabytes_is_refused_before_allocating(tmp_path):
    path = tmp_path / "tib.npz"
    header = {"format": "chalkgrad-checkpoint", "version": 1, "object": {"array": "a0"}}
    _npz(path, {"__chalkgrad__": _header_npy(header), "a0": _npy_bytes(np.zeros(1), f"({TIB_SHAPE},)")})
    with pytest.raises(CheckpointError, match=rf"tib.npz: the entry 'a0' declares shape \({TIB_SHAPE},\) of float64"):
        cg.load(path)
    [result] = run_loaders([("load", str(path))], memory_mb=512)
    assert result["outcome"] == "CheckpointError" and result["seconds"] < 2


def test_zip_bomb_is_refused_while_inflating(tmp_path):
    path = tmp_path / "bomb.npz"
    header = {"format": "chalkgrad-checkpoint", "version": 1, "object": {"array": "a0"}}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("__chalkgrad__.npy", _header_npy(header))
        with z.open("a0.npy", "w", force_zip64=True) as f:
            f.write(_npy_bytes(np.zeros(0, np.uint8), "(50000000,)"))
            for _ in range(50):
                f.write(bytes(1_000_000))
    assert path.stat().st_size < 200_000
    with pytest.raises(CheckpointError, match=r"bomb.npz: the entry 'a0.npy' (declares|inflates)"):
        cg.load(path)
    [result] = run_loaders([("load", str(path))], memory_mb=512)
    assert result["outcome"] == "CheckpointError"


def test_zip_entry_inflating_beyond_its_declared_size(tmp_path):
    path = tmp_path / "lie.npz"
    header = {"format": "chalkgrad-checkpoint", "version": 1, "object": {"array": "a0"}}
    _npz(path, {"__chalkgrad__": _header_npy(header), "a0": _npy_bytes(np.zeros(1000))}, zipfile.ZIP_DEFLATED)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("a0.npy")
    central = data.rindex(b"PK\x01\x02")  # the central directory entry of a0.npy, written last
    assert data[central + 46:central + 46 + len("a0.npy")] == b"a0.npy"
    data[central + 24:central + 28] = (info.file_size // 10).to_bytes(4, "little")  # claims a tenth of its size
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="lie.npz"):
        cg.load(path)


def test_safetensors_lying_headers(tmp_path):
    cases = {
        "length.safetensors": (2**40).to_bytes(8, "little") + b'{"a": {}}',
        "shape.safetensors": _raw_safetensors({"a": {"dtype": "F64", "shape": [TIB_SHAPE], "data_offsets": [0, 8]}},
                                              bytes(8)),
        "offsets.safetensors": _raw_safetensors({"a": {"dtype": "F64", "shape": [TIB_SHAPE],
                                                       "data_offsets": [0, 8 * TIB_SHAPE]}}, bytes(8)),
        "overlap.safetensors": _raw_safetensors({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                                                 "b": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}},
                                                bytes(8)),
        "gap.safetensors": _raw_safetensors({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, bytes(8)),
        "dtype.safetensors": _raw_safetensors({"a": {"dtype": "F128", "shape": [1], "data_offsets": [0, 16]}},
                                              bytes(16)),
        "deep.safetensors": _raw_safetensors({"__metadata__": {"chalkgrad": "[" * 5000 + "]" * 5000}}, b""),
        "notjson.safetensors": (5).to_bytes(8, "little") + b"{oops",
    }
    expected = {"length": "header declares 1099511627776 bytes", "shape": "declares shape",
                "offsets": "outside the 8 data bytes", "overlap": "not a valid safetensors file",
                "gap": "not a valid safetensors file", "dtype": "unknown dtype 'F128'",
                "deep": "nested too deeply", "notjson": "not valid JSON"}
    for name, content in cases.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(CheckpointError, match=expected[name.split(".")[0]]) as info:
            cg.load(tmp_path / name)
        assert str(tmp_path / name) in str(info.value)
    results = run_loaders([("load", str(tmp_path / name)) for name in cases], memory_mb=512)
    assert [r["outcome"] for r in results] == ["CheckpointError"] * len(cases)


def test_truncated_safetensors(tmp_path):
    path = tmp_path / "t.safetensors"
    cg.save({"w": np.arange(1000.0)}, path)
    data = path.read_bytes()
    for cut in (3, 12, len(data) // 2, len(data) - 1):
        path.write_bytes(data[:cut])
        with pytest.raises(CheckpointError, match=str(path)):
            cg.load(path)


# ----------------------------------------------------------------------------- edited headers
@pytest.fixture(params=["safetensors", "npz"])
def saved_zoo(request, tmp_path):
    path = tmp_path / f"zoo.{request.param}"
    models.save_model(models.lenet_digits(num_classes=3), path, epoch=2)
    return path


def _edit(path, edit):
    if path.suffix == ".safetensors":
        _edit_safetensors_header(path, edit)
        return
    with np.load(path) as npz:
        arrays = {k: npz[k] for k in npz.files}
    text = edit(arrays["__chalkgrad__"].tobytes().decode())
    arrays["__chalkgrad__"] = np.frombuffer(text.encode(), np.uint8)
    np.savez(path, **arrays)


@pytest.mark.parametrize("key, value, message", [
    ("version", "1", "header key 'version' must be a positive integer, got '1'"),
    ("version", None, "header key 'version' must be a positive integer, got None"),
    ("object", _DELETE, "has no key 'object'"),
    ("zoo_config", ["lenet_digits"], "header key 'zoo_config' must be a mapping, got list"),
    ("zoo_config", _DELETE, "header key 'zoo_config' must be a mapping, got nothing"),
    ("zoo_config", {"name": "lenet_digits", "kwargs": {"num_classes": 10**9}},
     "header key 'zoo_config.kwargs.num_classes' asks for 1000000000"),
    ("zoo_config", {"name": "lenet_digits", "kwargs": [3]}, "'zoo_config.kwargs' must be a mapping"),
    ("zoo_config", {"name": "os.system", "kwargs": {}}, "'zoo_config.name' names an unknown model 'os.system'"),
    ("zoo_config", {"name": "lenet_digits", "kwargs": {"num_classes": 5}}, "entry 'weights' does not fit"),
    ("zoo_config", {"name": "lenet_digits", "kwargs": {"bogus": 1}}, "architecture in header key 'zoo_config'"),
])
def test_edited_zoo_model_headers(saved_zoo, key, value, message):
    _edit(saved_zoo, _edit_key(key, value))
    with pytest.raises(CheckpointError, match=message) as info:
        models.load_model(saved_zoo)
    assert str(saved_zoo) in str(info.value)


def test_header_nested_2000_deep_and_missing_weights(saved_zoo):
    deep = '{"list": [' * 2000 + "1" + "]}" * 2000
    _edit(saved_zoo, lambda text: text.replace('"object": ', '"object": ' + deep + ', "was": ', 1))
    with pytest.raises(CheckpointError, match="nested too deeply") as info:
        models.load_model(saved_zoo)
    assert str(saved_zoo) in str(info.value)
    shallow = '{"list": [' * 200 + "1" + "]}" * 200  # valid JSON, too deep for a checkpoint
    _edit(saved_zoo, lambda text: text.replace('"object": ' + deep, '"object": ' + shallow, 1))
    with pytest.raises(CheckpointError, match="key 'object' is nested deeper than 64 levels"):
        models.load_model(saved_zoo)


def test_missing_weights_entry(tmp_path):
    path = tmp_path / "zoo.safetensors"
    cg.save({"epoch": 1}, path, _header_extra={"kind": "chalkgrad.zoo_model",
                                               "zoo_config": {"name": "lenet_digits", "kwargs": {}}})
    with pytest.raises(CheckpointError, match=r"zoo.safetensors: the checkpoint entry 'weights' must be a mapping"):
        models.load_model(path)


@pytest.fixture
def saved_keras(tmp_path):
    model = fit.Sequential([fit.Input((4,)), fit.Dense(8, activation="relu"), fit.Dense(3)])
    path = tmp_path / "keras.safetensors"
    model.save(path)
    return path


@pytest.mark.parametrize("edit, message", [
    (_edit_key("model_config", [1, 2]), "header key 'model_config' must be a mapping, got list"),
    (_edit_key("model_config", "Sequential"), "header key 'model_config' must be a mapping, got str"),
    (lambda t: t.replace('"units": 8', '"units": 1000000000000'),
     r"header key 'model_config.layers\[1\].config.units' asks for 1000000000000"),
    (lambda t: t.replace('"batch_shape": [null, 4]', '"batch_shape": [null, 4000000000]'),
     r"header key 'model_config.layers\[0\].config.batch_shape\[1\]' asks for 4000000000"),
    (lambda t: t.replace('"class_name": "Dense"', '"class_name": "Nope"', 1),
     "architecture in header key 'model_config'"),
    (lambda t: t.replace('"units": 8', '"units": "8"'), "architecture in header key 'model_config'"),
    (lambda t: t.replace('"units": 8', '"units": 5'), "entry 'weights' does not fit"),
    (_edit_key("compile_config", 3), "header key 'compile_config' must be a mapping"),
])
def test_edited_keras_model_headers(saved_keras, edit, message):
    _edit_safetensors_header(saved_keras, edit)
    with pytest.raises(CheckpointError, match=message) as info:
        fit.load_model(saved_keras)
    assert str(saved_keras) in str(info.value)


def test_wrong_kind_of_file(saved_keras):
    with pytest.raises(CheckpointError, match="header key 'kind'"):
        models.load_model(saved_keras)


# ----------------------------------------------------------------------------- old checkpoints
def test_old_keras_style_conv_models_are_refused_not_misread(tmp_path):
    # a chalkgrad 0.2 fit.Sequential header (no 'module' per layer) holding a channels-first Conv2D and Flatten
    from chalkgrad.serialization import read_header_and_arrays

    header, _ = read_header_and_arrays(OLD / "keras_dense.npz")
    config = header["model_config"]
    config["layers"].insert(1, {"class_name": "Conv2D", "config": {"name": "conv2d", "filters": 2, "kernel_size": 1}})
    config["layers"].insert(2, {"class_name": "Flatten", "config": {"name": "flatten"}})
    path = tmp_path / "old_conv.npz"
    cg.save({"weights": fit.load_model(OLD / "keras_dense.npz").state_dict(), "epoch": 1}, path,
            _header_extra={"kind": header["kind"], "model_config": config})
    with pytest.raises(CheckpointError, match=r"old_conv.npz: written by chalkgrad 0.2's channels-first "
                                              r"Keras-style layers \(layer 1 is 'Conv2D'\)"):
        fit.load_model(path)


def test_old_npz_files_still_load(tmp_path):
    ck = cg.load(OLD / "train_checkpoint.npz")
    assert ck["epoch"] == 1 and ck["config"]["model"] == "mlp" and set(ck["model"]) == {
        "2.linear.weight", "2.linear.bias", "4.linear.weight", "4.linear.bias", "5.linear.weight", "5.linear.bias"}
    zoo = models.load_model(OLD / "zoo_lenet_digits.npz")
    zoo.eval()
    np.testing.assert_array_equal(zoo(cg.tensor(np.load(OLD / "zoo_x.npy"))).detach().numpy(),
                                  np.load(OLD / "zoo_pred.npy"))
    assert zoo.saved_epoch == 4
    keras = fit.load_model(OLD / "keras_dense.npz")
    np.testing.assert_array_equal(keras.predict(np.load(OLD / "keras_dense_x.npy")),
                                  np.load(OLD / "keras_dense_pred.npy"))
    # saved again, they are safetensors files with the same content
    models.save_model(zoo, tmp_path / "zoo.safetensors", epoch=4)
    again = models.load_model(tmp_path / "zoo.safetensors")
    assert all(np.array_equal(a.detach().numpy(), b.detach().numpy())
               for a, b in zip(zoo.parameters(), again.parameters()))
    shutil.copy(OLD / "train_checkpoint.npz", tmp_path / "copy.npz")
    assert cg.load(tmp_path / "copy.npz")["rng"] == ck["rng"]
