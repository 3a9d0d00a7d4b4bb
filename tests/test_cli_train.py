"""`chalkgrad train`: a short run end to end, resuming artifacts, errors as one line with exit code 2."""

import subprocess
import sys

import numpy as np
import pytest

from chalkgrad import data, fit
from chalkgrad.cli import main
from chalkgrad.errors import CheckpointError
from chalkgrad.serialization import load


def test_train_two_epochs_writes_checkpoint_model_and_plot(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--epochs", "2", "--model", "mlp", "--out", str(out), "--verbose", "2"]) == 0
    text = capsys.readouterr().out
    assert "Epoch 2/2" in text and "test accuracy: " in text and "confusion matrix" in text
    assert f"outputs written to {out}" in text
    acc = float(text.split("test accuracy: ")[1].split()[0])
    assert acc > 0.8
    ck = load(out / "checkpoint.safetensors")
    assert ck["epoch"] == 2 and set(ck) >= {"model", "optimizer", "rng", "config"}
    assert ck["config"]["model"] == "mlp" and ck["optimizer"]["state"]
    model = fit.load_model(out / "model.safetensors")
    model.load_state_dict(ck["model"])
    assert (out / "history.png").read_bytes()[:4] == b"\x89PNG"
    assert (out / "history.csv").read_text().startswith("epoch,")
    x = data.digits().tensors[0].numpy()[:3]
    assert model.predict(x).shape == (3, 10)


def test_train_run_api_and_cnn(tmp_path):
    from chalkgrad.train import TrainConfig, run

    lines = []
    result = run(TrainConfig(model="cnn", epochs=1, out=str(tmp_path), verbose=0), print_fn=lines.append)
    assert result["epochs_completed"] == 1 and result["confusion_matrix"].shape == (10, 10)
    assert result["confusion_matrix"].sum() == 359  # the stratified 20% test split
    assert any("model cnn" in line for line in lines)


def test_ctrl_c_keeps_the_last_completed_checkpoint(tmp_path, monkeypatch):
    from chalkgrad.fit import model as model_mod
    from chalkgrad.train import TrainConfig, run

    real = model_mod.Model._loss_value
    calls = {"n": 0}

    def interrupt_in_epoch_two(self, *args):
        calls["n"] += 1
        if calls["n"] == 60:  # an epoch: 45 training + 12 validation batches of 32
            raise KeyboardInterrupt
        return real(self, *args)

    monkeypatch.setattr(model_mod.Model, "_loss_value", interrupt_in_epoch_two)
    lines = []
    result = run(TrainConfig(model="mlp", epochs=5, out=str(tmp_path), verbose=0), print_fn=lines.append)
    assert result["interrupted"] and result["epochs_completed"] == 1
    assert load(tmp_path / "checkpoint.safetensors")["epoch"] == 1
    assert any(line.startswith("test accuracy") for line in lines)


@pytest.mark.parametrize("argv,message", [
    (["--dataset", "mnist"], "needs --data-root"),
    (["--dataset", "mnist", "--data-root", "/no/such/dir"], "no such directory"),
    (["--optimizer", "adamm"], "unknown optimizer 'adamm'"),
    (["--epochs", "0"], "must be positive"),
    (["--lr", "-1"], "--lr must be a positive number"),
])
def test_errors_are_one_line_with_exit_code_2(argv, message, tmp_path, capsys):
    assert main(["train", "--out", str(tmp_path / "o"), *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_missing_dataset_files_and_missing_scikit_learn(tmp_path, capsys, monkeypatch):
    (tmp_path / "empty").mkdir()
    assert main(["train", "--dataset", "fashion-mnist", "--data-root", str(tmp_path / "empty"),
                 "--out", str(tmp_path / "o")]) == 2
    assert "chalkgrad train: error:" in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)  # import fails as if not installed
    assert main(["train", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "scikit-learn" in err and err.count("\n") == 1


def test_mnist_from_idx_files(tmp_path, capsys):
    import gzip
    import struct

    root = tmp_path / "mnist"
    root.mkdir()
    rng = np.random.default_rng(0)
    for split, n in (("train", 64), ("t10k", 32)):
        labels = rng.integers(0, 10, n).astype(np.uint8)
        images = (rng.random((n, 28, 28)) * 50).astype(np.uint8)
        images[np.arange(n), labels * 2, :] = 255  # a learnable stripe per class
        with gzip.open(root / f"{split}-images-idx3-ubyte.gz", "wb") as f:
            f.write(struct.pack(">IIII", 0x803, n, 28, 28) + images.tobytes())
        with gzip.open(root / f"{split}-labels-idx1-ubyte.gz", "wb") as f:
            f.write(struct.pack(">II", 0x801, n) + labels.tobytes())
    assert main(["train", "--dataset", "mnist", "--data-root", str(root), "--epochs", "1", "--model", "mlp",
                 "--out", str(tmp_path / "o"), "--verbose", "0"]) == 0
    assert "test accuracy" in capsys.readouterr().out


def test_help_and_demo_still_work():
    out = subprocess.run([sys.executable, "-m", "chalkgrad", "train", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "--data-root" in out.stdout and "--batch-size" in out.stdout


def test_checkpoint_loading_of_a_corrupt_run_file(tmp_path):
    path = tmp_path / "checkpoint.safetensors"
    path.write_bytes(b"PK\x03\x04garbage")
    with pytest.raises(CheckpointError, match="checkpoint.safetensors"):
        load(path)


def test_default_run_reaches_97_percent(tmp_path):
    """The main job's target, with its defaults (about 5 s: 30 epochs of a 38k-parameter CNN)."""
    from chalkgrad.train import TrainConfig, run

    result = run(TrainConfig(out=str(tmp_path), verbose=0), print_fn=lambda *a: None)
    assert result["test_accuracy"] >= 0.97


def test_resume_after_ctrl_c_equals_an_uninterrupted_run(tmp_path, monkeypatch, capsys):
    from chalkgrad.fit import model as model_mod

    assert main(["train", "--model", "mlp", "--epochs", "3", "--out", str(tmp_path / "straight"),
                 "--verbose", "0"]) == 0
    real = model_mod.Model._loss_value
    calls = {"n": 0}

    def interrupt_in_epoch_three(self, *args):
        calls["n"] += 1
        if calls["n"] == 120:  # 45 training + 12 validation batches per epoch: inside epoch 3
            raise KeyboardInterrupt
        return real(self, *args)

    monkeypatch.setattr(model_mod.Model, "_loss_value", interrupt_in_epoch_three)
    assert main(["train", "--model", "mlp", "--epochs", "3", "--out", str(tmp_path / "cut"), "--verbose", "0"]) == 0
    assert load(tmp_path / "cut" / "checkpoint.safetensors")["epoch"] == 2
    monkeypatch.setattr(model_mod.Model, "_loss_value", real)
    assert main(["train", "--resume", str(tmp_path / "cut"), "--verbose", "0"]) == 0
    assert "resuming after epoch 2" in capsys.readouterr().out
    a, b = load(tmp_path / "straight" / "checkpoint.safetensors"), load(tmp_path / "cut" / "checkpoint.safetensors")
    assert a["epoch"] == b["epoch"] == 3
    for key in a["model"]:
        np.testing.assert_array_equal(a["model"][key].numpy(), b["model"][key].numpy())
    rows = (tmp_path / "cut" / "history.csv").read_text().strip().splitlines()
    assert [r.split(",")[0] for r in rows] == ["epoch", "0", "1", "2"]
    assert main(["train", "--resume", str(tmp_path / "cut"), "--verbose", "0"]) == 2
    assert "already has 3 epochs" in capsys.readouterr().err
    assert main(["train", "--resume", str(tmp_path / "nothing")]) == 2
    assert "no checkpoint at" in capsys.readouterr().err


def test_validation_split_is_stratified_seeded_and_disjoint():
    from chalkgrad.train import validation_split

    x = np.arange(200)[:, None] * 1.0
    y = np.repeat([0, 1, 2, 3], [100, 50, 30, 20])
    xtr, ytr, xval, yval = validation_split(x, y, 0.1, seed=3)
    assert sorted(np.concatenate([xtr[:, 0], xval[:, 0]])) == list(range(200))  # a partition of the samples
    assert np.bincount(yval).tolist() == [10, 5, 3, 2] and np.bincount(ytr).tolist() == [90, 45, 27, 18]
    np.testing.assert_array_equal(y[xval[:, 0].astype(int)], yval)
    again = validation_split(x, y, 0.1, seed=3)
    np.testing.assert_array_equal(again[2], xval)
    assert not np.array_equal(validation_split(x, y, 0.1, seed=4)[2], xval)


def test_epoch_metrics_come_from_the_held_out_validation_split_not_the_test_set(tmp_path, capsys):
    from chalkgrad.train import load_dataset, validation_split

    out = tmp_path / "run"
    assert main(["train", "--epochs", "2", "--model", "mlp", "--out", str(out), "--verbose", "2", "--seed", "5"]) == 0
    text = capsys.readouterr().out
    xtr, ytr, xte, yte, _ = load_dataset("digits")
    xtr, ytr, xval, yval = validation_split(xtr, ytr, seed=5)
    assert f"({len(xtr)} train / {len(xval)} validation / {len(xte)} test)" in text
    assert text.count("test accuracy") == 1 and text.index("test accuracy") > text.index("Epoch 2/2")
    last = (out / "history.csv").read_text().strip().splitlines()
    header, row = last[0].split(","), last[-1].split(",")
    model = fit.load_model(out / "model.safetensors")  # the weights at the end of the last epoch
    val_loss, val_acc = model.evaluate(xval, yval, verbose=0)
    assert float(row[header.index("val_accuracy")]) == pytest.approx(val_acc, abs=1e-9)
    assert float(row[header.index("val_loss")]) == pytest.approx(val_loss, rel=1e-5)
    test_acc = float(text.split("test accuracy: ")[1].split()[0])
    assert test_acc == pytest.approx(float((model.predict(xte).argmax(1) == yte).mean()), abs=1e-4)


def test_a_closed_pipe_ends_quietly_with_status_141(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "chalkgrad", "train", "--model", "mlp", "--epochs", "5",
                             "--verbose", "2", "--out", str(tmp_path / "o")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = proc.stdout.readline()  # the header line; then the reader goes away, as `| head -1` does
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141
    assert first.startswith(b"chalkgrad train:") and err == ""
