"""safetensors checkpoints: the safetensors package and PyTorch read what chalkgrad writes, and the reverse."""

import json

import numpy as np
import pytest
import torch
from safetensors import safe_open
from safetensors.numpy import load_file as np_load_file
from safetensors.numpy import save_file as np_save_file
from safetensors.torch import load_file as torch_load_file
from safetensors.torch import save_file as torch_save_file

import chalkgrad as cg
from chalkgrad import nn
from chalkgrad.errors import CheckpointError, DTypeError


def _twin_models():
    """A chalkgrad model and a torch model with the same state_dict keys (conv, batch norm, linear, LSTM)."""

    class CgNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(2, 3, 3, padding=1)
            self.bn = nn.BatchNorm2d(3)
            self.fc = nn.Linear(3 * 4 * 4, 5)
            self.lstm = nn.LSTM(5, 4, num_layers=2, batch_first=True)

        def forward(self, x):
            h = self.fc(self.bn(self.conv(x)).relu().reshape(x.shape[0], -1))
            return self.lstm(h.reshape(h.shape[0], 1, 5))[0]

    class TorchNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(2, 3, 3, padding=1)
            self.bn = torch.nn.BatchNorm2d(3)
            self.fc = torch.nn.Linear(3 * 4 * 4, 5)
            self.lstm = torch.nn.LSTM(5, 4, num_layers=2, batch_first=True)

        def forward(self, x):
            h = self.fc(self.bn(self.conv(x)).relu().reshape(x.shape[0], -1))
            return self.lstm(h.reshape(h.shape[0], 1, 5))[0]

    cg.manual_seed(0)
    torch.manual_seed(0)
    return CgNet(), TorchNet()


def _x():
    return np.random.default_rng(0).standard_normal((2, 2, 4, 4)).astype(np.float32)


def test_state_dict_keys_are_the_tensor_names_and_torch_loads_them(tmp_path):
    model, torch_model = _twin_models()
    model.train()
    model(cg.tensor(_x()))  # running statistics move, num_batches_tracked becomes 1
    model.eval()
    path = tmp_path / "w.safetensors"
    cg.save(model.state_dict(), path)
    sd = model.state_dict()
    by_numpy = np_load_file(path)
    by_torch = torch_load_file(path)
    assert list(by_numpy) != [] and set(by_numpy) == set(sd) == set(by_torch)
    for key, value in sd.items():
        np.testing.assert_array_equal(by_numpy[key], value.numpy())
        assert by_numpy[key].shape == value.shape  # 0-d num_batches_tracked stays 0-d
    assert by_torch["bn.num_batches_tracked"].shape == ()
    torch_model.load_state_dict(by_torch)
    torch_model.eval()
    with torch.no_grad():
        expected = torch_model(torch.from_numpy(_x())).numpy()
    np.testing.assert_allclose(model(cg.tensor(_x())).detach().numpy(), expected, rtol=1e-5, atol=1e-6)


def test_files_written_by_torch_load_into_chalkgrad(tmp_path):
    model, torch_model = _twin_models()
    torch_model.train()
    torch_model(torch.from_numpy(_x()))
    torch_model.eval()
    path = tmp_path / "torch.safetensors"
    torch_save_file(torch_model.state_dict(), path, metadata={"format": "pt"})
    loaded = cg.load(path)
    assert set(loaded) == set(torch_model.state_dict())
    assert all(isinstance(v, cg.Tensor) for v in loaded.values())
    model.load_state_dict(loaded)
    model.eval()
    with torch.no_grad():
        expected = torch_model(torch.from_numpy(_x())).numpy()
    np.testing.assert_allclose(model(cg.tensor(_x())).detach().numpy(), expected, rtol=1e-5, atol=1e-6)


def test_numpy_and_flax_style_files_load_as_tensors(tmp_path):
    arrays = {"params.Dense_0.kernel": np.arange(6, dtype=np.float32).reshape(2, 3),
              "params.Dense_0.bias": np.zeros(3, np.float64), "step": np.array(7, np.int64),
              "mask": np.array([True, False])}
    path = tmp_path / "flax.safetensors"
    np_save_file(arrays, path)
    loaded = cg.load(path)
    assert set(loaded) == set(arrays)
    for key, value in arrays.items():
        assert isinstance(loaded[key], cg.Tensor) and loaded[key].dtype == value.dtype
        np.testing.assert_array_equal(loaded[key].numpy(), value)


def test_bfloat16_widens_exactly_and_float8_is_refused(tmp_path):
    t = torch.randn(3, 4).to(torch.bfloat16)
    path = tmp_path / "bf16.safetensors"
    torch_save_file({"w": t}, path)
    w = cg.load(path)["w"]
    assert w.dtype == np.float32
    np.testing.assert_array_equal(w.numpy(), t.float().numpy())
    torch_save_file({"ok": torch.ones(2), "q": torch.zeros(2, dtype=torch.float8_e4m3fn)}, path)
    with pytest.raises(CheckpointError, match=r"bf16.safetensors: tensor 'q' has dtype F8_E4M3"):
        cg.load(path)


def test_nested_objects_round_trip_exactly(tmp_path):
    obj = {"model": {"w": cg.randn(3, 2, dtype="float64"), "b": np.arange(3, dtype=np.int64)},
           "optimizer": {"state": {0: {"momentum_buffer": np.ones(3, np.float32)}},
                         "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "params": [0, 1]}]},
           "epoch": 3, "none": None, "nan": float("nan"), "big": 2**100, "scalar": np.float32(1.5),
           "half": np.ones((2, 0), np.float16), "flags": np.array([True, False]), "c": np.complex64(1 + 2j)}
    path = tmp_path / "c.safetensors"
    cg.save(obj, path)
    back = cg.load(path)
    assert isinstance(back["model"]["w"], cg.Tensor)
    np.testing.assert_array_equal(back["model"]["w"].numpy(), obj["model"]["w"].numpy())
    assert back["model"]["b"].dtype == np.int64 and not isinstance(back["model"]["b"], cg.Tensor)
    assert list(back["optimizer"]["state"]) == [0]
    assert back["optimizer"]["param_groups"][0]["betas"] == (0.9, 0.999)
    assert back["epoch"] == 3 and back["none"] is None and np.isnan(back["nan"]) and back["big"] == 2**100
    assert back["scalar"] == np.float32(1.5) and back["scalar"].dtype == np.float32
    assert back["half"].shape == (2, 0) and back["flags"].tolist() == [True, False] and back["c"] == 1 + 2j
    assert sorted(np_load_file(path)) == ["c", "flags", "half", "model.b", "model.w",
                                          "optimizer.state.0.momentum_buffer", "scalar"]


def test_training_checkpoint_layout(tmp_path):
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    opt = cg.optim.Adam(model.parameters(), lr=0.01)
    model(cg.randn(5, 3)).sum().backward()
    opt.step()
    path = tmp_path / "ckpt.safetensors"
    rng = cg.default_generator.get_state()
    cg.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 4, "rng": rng,
             "config": {"lr": 0.01}}, path)
    names = set(torch_load_file(path))
    assert {"model.0.weight", "model.2.bias", "optimizer.state.0.exp_avg", "optimizer.state.3.exp_avg_sq"} <= names
    with safe_open(path, framework="np") as f:
        header = json.loads(f.metadata()["chalkgrad"])
    assert header["format"] == "chalkgrad-checkpoint" and header["version"] == 1
    entries = dict(header["object"]["dict"])
    assert entries["epoch"] == 4 and entries["config"] == {"dict": [["lr", 0.01]]}
    assert cg.load(path)["rng"] == rng
    fresh = cg.optim.Adam(model.parameters(), lr=0.01)
    fresh.load_state_dict(cg.load(path)["optimizer"])
    np.testing.assert_array_equal(fresh.state_dict()["state"][0]["exp_avg"], opt.state_dict()["state"][0]["exp_avg"])


def test_format_is_chosen_by_name_and_read_by_content(tmp_path):
    sd = {"w": np.ones(3, np.float32)}
    cg.save(sd, tmp_path / "a.npz")
    cg.save(sd, tmp_path / "a.ckpt")
    cg.save(sd, tmp_path / "b.bin", format="npz")
    assert (tmp_path / "a.npz").read_bytes()[:2] == b"PK" == (tmp_path / "b.bin").read_bytes()[:2]
    assert set(np_load_file(tmp_path / "a.ckpt")) == {"w"}
    for name in ("a.npz", "a.ckpt", "b.bin"):
        np.testing.assert_array_equal(cg.load(tmp_path / name)["w"], sd["w"])
    with pytest.raises(DTypeError, match="format must be one of"):
        cg.save(sd, tmp_path / "c", format="pickle")


def test_values_safetensors_cannot_hold_are_refused(tmp_path):
    with pytest.raises(DTypeError, match=r"'s' has dtype <U2, which safetensors cannot hold"):
        cg.save({"s": np.array(["a", "bc"])}, tmp_path / "s.safetensors")
    with pytest.raises(DTypeError, match="complex128"):
        cg.save({"z": np.ones(2, np.complex128)}, tmp_path / "s.safetensors")
    with pytest.raises(TypeError, match="cannot save a object"):  # DTypeError is a TypeError
        cg.save({"f": object()}, tmp_path / "s.safetensors")
    assert not list(tmp_path.iterdir())


def test_colliding_names_stay_distinct(tmp_path):
    obj = {"a.b": np.zeros(1), "a": {"b": np.ones(1)}}
    cg.save(obj, tmp_path / "x.safetensors")
    back = cg.load(tmp_path / "x.safetensors")
    assert back["a.b"][0] == 0 and back["a"]["b"][0] == 1
    assert set(np_load_file(tmp_path / "x.safetensors")) == {"a.b", "a.b#1"}
