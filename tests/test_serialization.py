"""chalkgrad.save / chalkgrad.load: exact round trips, corrupt files, atomic writes, exact resume."""

import os
import zipfile

import numpy as np
import pytest

import chalkgrad as cg
from chalkgrad.errors import CheckpointError
from chalkgrad.serialization import load, save


def _model_and_opt(seed=0):
    cg.manual_seed(seed)
    model = cg.nn.Sequential(cg.nn.Linear(4, 8), cg.nn.ReLU(), cg.nn.Dropout(0.3), cg.nn.Linear(8, 3))
    opt = cg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    return model, opt


def _data():
    rng = np.random.default_rng(0)
    return rng.standard_normal((40, 4)).astype(np.float32), rng.integers(0, 3, 40)


def _train(model, opt, epochs, start=0):
    x, y = _data()
    for _ in range(start, epochs):
        perm = cg.randperm(40).numpy()
        for i in range(0, 40, 10):
            b = perm[i:i + 10]
            opt.zero_grad()
            cg.nn.functional.cross_entropy(model(cg.tensor(x[b])), cg.tensor(y[b])).backward()
            opt.step()


def test_round_trip_is_exact_for_nested_values(tmp_path):
    obj = {
        "model": {"w": cg.randn(3, 2, dtype="float64"), "b": np.arange(3, dtype=np.int64)},
        "optimizer": {"state": {0: {"momentum_buffer": np.ones(3, np.float32)}}, "param_groups": [
            {"lr": 0.1, "betas": (0.9, 0.999), "nesterov": False, "params": [0, 1]}]},
        "epoch": 3, "name": "run", "none": None, "nan": float("nan"), "inf": -float("inf"),
        "big": 2**100, "scalar": np.float32(1.5), "strings": np.array(["a", "bc"]),
    }
    path = tmp_path / "ckpt.npz"
    save(obj, path)
    back = load(path)
    assert isinstance(back["model"]["w"], cg.Tensor) and back["model"]["w"].dtype == np.float64
    np.testing.assert_array_equal(back["model"]["w"].numpy(), obj["model"]["w"].numpy())
    np.testing.assert_array_equal(back["model"]["b"], obj["model"]["b"])
    assert list(back["optimizer"]["state"]) == [0]  # integer keys stay integers
    assert back["optimizer"]["param_groups"][0]["betas"] == (0.9, 0.999)  # tuples stay tuples
    assert back["optimizer"]["param_groups"][0]["nesterov"] is False
    assert back["epoch"] == 3 and back["name"] == "run" and back["none"] is None
    assert np.isnan(back["nan"]) and back["inf"] == -float("inf") and back["big"] == 2**100
    assert back["scalar"] == np.float32(1.5) and back["scalar"].dtype == np.float32
    assert back["strings"].tolist() == ["a", "bc"]
    # it is a plain npz: numpy can open it without chalkgrad, and no pickle is needed
    with np.load(path, allow_pickle=False) as npz:
        assert "__chalkgrad__" in npz.files


def test_unsupported_values_are_refused(tmp_path):
    with pytest.raises(TypeError, match=r"cannot save a object at obj\['f'\]"):
        save({"f": object()}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match="dtype object"):
        save({"a": np.array([1, "x", None], dtype=object)}, tmp_path / "x.npz")
    assert not os.listdir(tmp_path)  # nothing written, no temporary left behind


def test_state_dicts_load_into_fresh_modules(tmp_path):
    model, opt = _model_and_opt()
    _train(model, opt, 1)
    save({"model": model.state_dict(), "optimizer": opt.state_dict()}, tmp_path / "c.npz")
    fresh, fresh_opt = _model_and_opt(seed=5)
    ck = load(tmp_path / "c.npz")
    fresh.load_state_dict(ck["model"])
    fresh_opt.load_state_dict(ck["optimizer"])
    for a, b in zip(model.parameters(), fresh.parameters()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def test_resume_equals_uninterrupted_training(tmp_path):
    straight, opt = _model_and_opt()
    _train(straight, opt, 3)

    model, opt = _model_and_opt()
    _train(model, opt, 2)
    save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 2,
          "rng": cg.default_generator.get_state()}, tmp_path / "resume.npz")
    cg.manual_seed(123)  # disturb the global generator: the checkpoint must restore it
    resumed, resumed_opt = _model_and_opt(seed=99)
    ck = load(tmp_path / "resume.npz")
    resumed.load_state_dict(ck["model"])
    resumed_opt.load_state_dict(ck["optimizer"])
    cg.default_generator.set_state(ck["rng"])
    _train(resumed, resumed_opt, 3, start=ck["epoch"])
    for a, b in zip(straight.parameters(), resumed.parameters()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def test_truncated_file_raises_checkpoint_error_naming_the_path(tmp_path):
    path = tmp_path / "t.npz"
    save({"w": np.arange(1000.0)}, path)
    data = path.read_bytes()
    for cut in (len(data) // 2, len(data) - 10, 3):
        path.write_bytes(data[:cut])
        with pytest.raises(CheckpointError, match=str(path)):
            load(path)


def test_random_bytes_and_empty_files(tmp_path):
    path = tmp_path / "r.npz"
    path.write_bytes(np.random.default_rng(0).bytes(500))
    with pytest.raises(CheckpointError, match="not a chalkgrad checkpoint"):
        load(path)
    path.write_bytes(b"")
    with pytest.raises(CheckpointError, match="empty file"):
        load(path)
    path.write_bytes(b"PK" + np.random.default_rng(1).bytes(300))
    with pytest.raises(CheckpointError, match="truncated or corrupt"):
        load(path)


def test_flipped_byte_in_array_data_is_detected(tmp_path):
    path = tmp_path / "f.npz"
    save({"w": np.arange(5000, dtype=np.float64)}, path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # inside the array payload: the zip CRC catches it
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="corrupt"):
        load(path)


def test_wrong_format_files(tmp_path):
    plain = tmp_path / "plain.npz"
    np.savez(plain, w=np.ones(3))
    with pytest.raises(CheckpointError, match="not a chalkgrad checkpoint"):
        load(plain)
    other = tmp_path / "other.npz"
    np.savez(other, __chalkgrad__=np.frombuffer(b'{"format": "something-else"}', dtype=np.uint8))
    with pytest.raises(CheckpointError, match="unknown checkpoint format 'something-else'"):
        load(other)
    dangling = tmp_path / "dangling.npz"
    header = b'{"format": "chalkgrad-checkpoint", "version": 1, "object": {"array": "a9"}}'
    np.savez(dangling, __chalkgrad__=np.frombuffer(header, dtype=np.uint8))
    with pytest.raises(CheckpointError, match="'a9'"):
        load(dangling)
    newer = tmp_path / "newer.npz"
    np.savez(newer, __chalkgrad__=np.frombuffer(b'{"format": "chalkgrad-checkpoint", "version": 99}', np.uint8))
    with pytest.raises(CheckpointError, match="newer"):
        load(newer)
    with zipfile.ZipFile(tmp_path / "z.npz", "w") as z:
        z.writestr("__chalkgrad__.npy", b"not an npy")
    with pytest.raises(CheckpointError):
        load(tmp_path / "z.npz")
    with pytest.raises(FileNotFoundError, match="missing.npz"):
        load(tmp_path / "missing.npz")


def test_interrupted_save_keeps_the_previous_file(tmp_path, monkeypatch):
    import chalkgrad.serialization as ser

    path = tmp_path / "ckpt.npz"
    save({"epoch": 1, "w": np.zeros(100)}, path)
    before = path.read_bytes()

    def failing_write(f, arrays):
        f.write(b"PK\x03\x04 half of an archive")
        raise KeyboardInterrupt  # e.g. Ctrl-C in the middle of writing

    monkeypatch.setattr(ser, "_write_npz", failing_write)
    with pytest.raises(KeyboardInterrupt):
        save({"epoch": 2, "w": np.ones(100)}, path)
    assert path.read_bytes() == before
    assert load(path)["epoch"] == 1
    assert os.listdir(tmp_path) == ["ckpt.npz"]  # the temporary file was removed


def test_save_into_a_missing_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save({"a": 1}, tmp_path / "nope" / "c.npz")


def test_zero_dimensional_arrays_keep_their_shape(tmp_path):
    import chalkgrad as cg
    from chalkgrad import nn

    bn = nn.BatchNorm2d(3)
    bn(cg.randn(4, 3, 2, 2))
    path = tmp_path / "bn.npz"
    cg.save(bn.state_dict(), path)
    loaded = cg.load(path)
    assert loaded["num_batches_tracked"].shape == () and int(loaded["num_batches_tracked"].item()) == 1
    fresh = nn.BatchNorm2d(3)
    fresh.load_state_dict(loaded)
    assert int(fresh.num_batches_tracked.item()) == 1
    cg.save({"t": np.float64(2.5), "a": np.array(7)}, path)
    back = cg.load(path)
    assert back["a"].shape == () and back["t"] == 2.5
