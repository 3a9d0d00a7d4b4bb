"""Saving: temporaries of killed saves are removed, files get the umask's mode, permission errors name the target;
``chalkgrad train --resume`` with a bad checkpoint: one line on stderr, exit code 2."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file as np_load_file
from safetensors.numpy import save_file as np_save_file

import chalkgrad as cg
from chalkgrad.cli import main
from chalkgrad.serialization import atomic_write_bytes

OLD = Path(__file__).parent / "fixtures" / "old_checkpoints"

_KILLED_SAVE = """
import os, signal, sys
from chalkgrad.serialization import atomic_write_bytes

def write(f):
    f.write(b"half of a checkpoint" * 1000)
    f.flush()
    os.kill(os.getpid(), signal.SIGKILL)

atomic_write_bytes(sys.argv[1], write)
"""


def _temporaries(folder):
    return sorted(name for name in os.listdir(folder) if name.endswith(".tmp"))


def test_next_save_removes_the_temporary_of_a_killed_save(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    cg.save({"w": np.zeros(3)}, path)
    for _ in range(2):  # the second killed save already removes the first one's temporary
        proc = subprocess.run([sys.executable, "-c", _KILLED_SAVE, str(path)], capture_output=True)
        assert proc.returncode == -9
        assert len(_temporaries(tmp_path)) == 1
    np.testing.assert_array_equal(cg.load(path)["w"], np.zeros(3))  # the killed saves did not touch it
    other = tmp_path / ".other.safetensors.12345-abcd.tmp"  # another target's temporary: not ours to delete
    other.write_bytes(b"x")
    cg.save({"w": np.ones(3)}, path)
    assert _temporaries(tmp_path) == [other.name]
    np.testing.assert_array_equal(cg.load(path)["w"], np.ones(3))


def test_temporary_of_a_running_save_is_kept(tmp_path):
    path = tmp_path / "c.npz"
    running = tmp_path / f".c.npz.{os.getppid()}-0000.tmp"  # a live process (pytest's parent) is writing it
    running.write_bytes(b"x")
    cg.save({"a": 1}, path)
    assert running.exists()


@pytest.mark.parametrize("umask", [0o022, 0o027, 0o077])
def test_files_get_the_mode_open_gives(tmp_path, umask):
    before = os.umask(umask)
    try:
        with open(tmp_path / "plain", "wb"):
            pass
        cg.save({"w": np.ones(2)}, tmp_path / "c.safetensors")
        cg.save({"w": np.ones(2)}, tmp_path / "c.npz")
    finally:
        os.umask(before)
    expected = (tmp_path / "plain").stat().st_mode & 0o777
    assert expected == 0o666 & ~umask
    assert (tmp_path / "c.safetensors").stat().st_mode & 0o777 == expected
    assert (tmp_path / "c.npz").stat().st_mode & 0o777 == expected


def test_permission_error_names_the_target(tmp_path, monkeypatch):
    target = tmp_path / "c.safetensors"
    real_replace = os.replace

    def refuse(src, dst):
        raise PermissionError(13, "Permission denied", src)

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(PermissionError) as info:
        cg.save({"w": np.ones(2)}, target)
    assert str(target) in str(info.value) and info.value.filename == str(target) and ".tmp" not in str(info.value)
    monkeypatch.setattr(os, "replace", real_replace)
    assert _temporaries(tmp_path) == []

    real_open = os.open

    def refuse_open(name, *args, **kwargs):
        if str(name).endswith(".tmp"):
            raise PermissionError(13, "Permission denied", name)
        return real_open(name, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse_open)
    with pytest.raises(PermissionError, match=rf"cannot save to {target}: no permission") as info:
        cg.save({"w": np.ones(2)}, target)
    assert info.value.filename == str(target)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root may write anywhere")
def test_read_only_folder(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(PermissionError, match=str(folder / "c.npz")):
            atomic_write_bytes(folder / "c.npz", lambda f: f.write(b"x"))
    finally:
        folder.chmod(0o755)


# ----------------------------------------------------------------------------- train --resume
@pytest.fixture
def old_run(tmp_path):
    """A run folder of chalkgrad before safetensors (its checkpoint.npz, 1 epoch of the MLP)."""
    run = tmp_path / "run"
    run.mkdir()
    shutil.copy(OLD / "train_checkpoint.npz", run / "checkpoint.npz")
    return run


def test_resume_an_old_npz_run(old_run, capsys):
    assert main(["train", "--resume", str(old_run), "--epochs", "2", "--verbose", "0"]) == 0
    assert "resuming after epoch 1" in capsys.readouterr().out
    ck = cg.load(old_run / "checkpoint.safetensors")
    assert ck["epoch"] == 2 and ck["config"]["model"] == "mlp"
    assert (old_run / "model.safetensors").exists()


def test_an_old_mlp_run_is_renumbered_exactly(old_run):
    # chalkgrad 0.2 counted the InputLayer in model.layers: its '2.linear.weight' is today's '1.linear.weight'
    from chalkgrad.train import TrainConfig, _from_old_fit_layers, build_model

    ck = cg.load(old_run / "checkpoint.npz")
    model = build_model("mlp", (64,), 10)
    model.load_state_dict(_from_old_fit_layers(ck["model"], model, TrainConfig(**ck["config"])))
    model.eval()
    w = {k: np.asarray(v.numpy() if hasattr(v, "numpy") else v, np.float64) for k, v in ck["model"].items()}
    x = np.random.default_rng(0).uniform(size=(5, 64)).astype(np.float32)
    h = np.maximum(x @ w["2.linear.weight"].T + w["2.linear.bias"], 0)
    h = np.maximum(h @ w["4.linear.weight"].T + w["4.linear.bias"], 0)
    z = h @ w["5.linear.weight"].T + w["5.linear.bias"]
    expected = np.exp(z - z.max(1, keepdims=True))
    expected /= expected.sum(1, keepdims=True)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)


def test_an_old_cnn_run_is_refused_in_one_line(old_run, tmp_path, capsys):
    # channels-first convolutions and Flatten order: the weights would load but compute something else
    from chalkgrad.train import build_model

    ck = cg.load(old_run / "checkpoint.npz")
    cnn = build_model("cnn", (8, 8, 1), 10)
    ck["model"] = {f"{int(k.split('.')[0]) + 1}.{k.split('.', 1)[1]}": v for k, v in cnn.state_dict().items()}
    ck["config"]["model"] = "cnn"
    cg.save(ck, old_run / "checkpoint.npz")
    assert main(["train", "--resume", str(old_run), "--epochs", "2", "--verbose", "0", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "chalkgrad 0.2's channels-first Keras-style layers" in err
    assert not (tmp_path / "checkpoint.safetensors").exists()


def _edited(old_run, edit):
    ck = cg.load(old_run / "checkpoint.npz")
    edit(ck)
    path = old_run / "edited.safetensors"
    cg.save(ck, path)
    return path


@pytest.mark.parametrize("edit, message", [
    (lambda ck: ck.update(epoch="3"), "the entry 'epoch' must be a int"),
    (lambda ck: ck.pop("rng"), "no entry 'rng'"),
    (lambda ck: ck.update(rng={"bit_generator": "PCG64"}), "the entry 'rng' is not a random generator state"),
    (lambda ck: ck["config"].update(seed=-1), "'config.seed' is out of range"),
    (lambda ck: ck["config"].update(batch_size="32"), "'config.batch_size' has the wrong type str"),
    (lambda ck: ck.update(config=[1]), "the entry 'config' must be a dict"),
    (lambda ck: ck["model"].update({"2.linear.weight": np.zeros((3, 3), np.float32)}), "does not fit the model"),
    (lambda ck: ck["optimizer"].update(param_groups=[]), "does not fit the model"),
])
def test_resume_with_an_edited_checkpoint(old_run, tmp_path, capsys, edit, message):
    path = _edited(old_run, edit)
    assert main(["train", "--resume", str(path), "--epochs", "2", "--verbose", "0", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and err.startswith("chalkgrad train: error: --resume")


def test_resume_with_a_corrupt_file_from_the_command_line(old_run):
    bad_header = old_run / "version.safetensors"
    cg.save({"epoch": 1, "w": np.ones(2)}, bad_header)
    metadata = {"chalkgrad": json.dumps({"format": "chalkgrad-checkpoint", "version": None, "object": {"dict": []}})}
    np_save_file(np_load_file(bad_header), bad_header, metadata=metadata)
    truncated = old_run / "truncated.npz"
    truncated.write_bytes((old_run / "checkpoint.npz").read_bytes()[:5000])
    for path, message in ((bad_header, "'version' must be a positive integer"), (truncated, "truncated or corrupt")):
        proc = subprocess.run([sys.executable, "-m", "chalkgrad", "train", "--resume", str(path)],
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr
        assert proc.stderr.count("\n") == 1 and message in proc.stderr and str(path) in proc.stderr
