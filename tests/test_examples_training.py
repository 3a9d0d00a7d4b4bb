"""The training examples in examples/ run offline in small mode and learn (accuracy far above chance,
denoised error below the noise's)."""

import importlib.util
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def load(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_keras_digits_mlp_learns_and_plots(tmp_path, capsys):
    png = tmp_path / "history.png"
    r = load("keras_digits_mlp").main(["--small", "--plot", str(png)])
    assert r["test_accuracy"] > 0.6  # chance is 0.1
    assert 1 <= r["epochs"] <= 8
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    out = capsys.readouterr().out
    assert "test accuracy" in out and "val_loss" in out


def test_denoising_autoencoder_removes_noise(capsys):
    r = load("denoising_autoencoder").main(["--small"])
    assert r["denoised_mse"] < r["noisy_mse"] / 1.5
    assert "test MSE after denoising" in capsys.readouterr().out


def test_small_resnet_digits_learns(capsys):
    mod = load("small_resnet_digits")
    model = mod.small_resnet(8)
    assert model.output_shape((5, 1, 8, 8)) == (5, 10)
    r = mod.main(["--small"])
    assert r["test_accuracy"] > 0.8  # chance is 0.1
    out = capsys.readouterr().out
    assert "Total params" in out and "layer2.downsample" in out  # the summary came first
    assert out.index("Total params") < out.index("test accuracy")
