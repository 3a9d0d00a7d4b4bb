"""The sequence examples in examples/ run offline in small mode and learn (the loss drops by a clear factor)."""

import importlib.util
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def load(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_forecast_sine_learns(cell, capsys):
    r = load("forecast_sine").main(["--small", "--cell", cell])
    assert r["final_loss"] < r["first_loss"] / 20
    assert r["final_loss"] < r["naive_loss"] / 2  # beats repeating the last value
    assert "test MSE after training" in capsys.readouterr().out


def test_adding_problem_learns_with_variable_lengths():
    r = load("sequence_tasks").main(["--small", "--task", "adding"])
    assert r["final_loss"] < 0.167 / 5  # far below predicting the mean
    assert r["final_loss"] < r["first_loss"] / 20


def test_parity_learns():
    r = load("sequence_tasks").main(["--small", "--task", "parity", "--cell", "gru"])
    assert r["final_loss"] < r["first_loss"] / 5
    assert r["accuracy"] > 0.95


def test_char_lm_learns_with_truncated_bptt():
    r = load("char_lm").main(["--small"])
    assert r["first_loss"] < r["uniform_loss"]
    assert r["final_loss"] < r["first_loss"] / 2
    assert r["sample"].startswith("Beautiful") and len(r["sample"]) > 60
