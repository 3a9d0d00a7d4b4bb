"""The summary command: zoo models and architecture problem files, with and without formulas."""

import argparse
from pathlib import Path

import numpy as np
import pytest

from chalkgrad import nn
from chalkgrad.explain.summary_command import add_summary_parser

ROOT = Path(__file__).resolve().parents[2]


def run(argv, capsys):
    parser = argparse.ArgumentParser()
    add_summary_parser(parser.add_subparsers())
    args = parser.parse_args(["summary", *argv])
    code = args.func(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_vgg16_table_is_fast_and_counts_parameters(capsys):
    code, out, _ = run(["vgg16"], capsys)
    assert code == 0
    assert "Total params: 138,357,544" in out
    assert "Receptive field: 224x224" in out


def test_lenet5_with_formulas(capsys):
    code, out, _ = run(["lenet5", "--explain"], capsys)
    assert code == 0
    assert "Total params: 61,706" in out
    assert "H_out(features.0) = ⌊(H_in + 2·p − k)/s⌋ + 1 = ⌊(32 + 2·0 − 5)/1⌋ + 1 = 28" in out
    assert "total parameters" in out and "61706" in out


def test_problem_file_and_custom_input(capsys):
    path = str(ROOT / "examples" / "problems" / "conv_net_shapes.yaml")
    code, out, _ = run([path, "--explain", "--format", "md"], capsys)
    assert code == 0 and "# A small CNN on 32x32 RGB images: layer arithmetic" in out
    code, out, _ = run(["resnet18", "--input", "3x64x64", "--num-classes", "10"], capsys)
    assert code == 0 and "[1, 10]" in out


@pytest.mark.parametrize("argv,message", [
    (["nope"], "unknown model 'nope'; expected a problem file"),
    (["alexnet", "--input", "3x10x10"], "smaller than the kernel"),
    (["lenet5", "--input", "1xtwo"], "--input must be sizes"),
    ([str(ROOT / "examples" / "problems" / "backprop_2_2_2.yaml")], "kind: architecture"),
])
def test_errors_are_one_line(capsys, argv, message):
    code, _, err = run(argv, capsys)
    assert code == 2 and message in err and err.count("\n") == 1


def test_skip_init_leaves_weights_undrawn_and_restores():
    with nn.init.skip_init():
        layer = nn.Linear(3, 2)
        w = nn.init.uniform_(nn.Parameter(np.full((2, 2), 7.0)))
        assert np.all(w.detach().numpy() == 7.0)
    assert layer.num_parameters() == 8
    drawn = nn.init.uniform_(nn.Parameter(np.full((2, 2), 7.0)))
    assert np.all(drawn.detach().numpy() < 1.0)


def test_recurrent_problem_file_with_formulas(capsys):
    path = str(ROOT / "examples" / "problems" / "course" / "bits_keras_embedding_lstm_summary.yaml")
    code, out, _ = run([path, "--explain"], capsys)
    assert code == 0 and "Total params: 2,691,713" in out
    assert "params(1) = G·(h·(d + h) + h) = 4·(128·(128 + 128) + 128) = 131584" in out
    assert "features(0) = e = 128" in out


@pytest.mark.parametrize("name", ["lenet5", "lenet_digits", "alexnet", "nin", "mobilenet_like", "resnet18", "fcn",
                                  "segnet"])
def test_every_zoo_model_explains_at_its_default_input(capsys, name):
    code, out, err = run([name, "--explain"], capsys)
    assert code == 0, err
    assert "total parameters" in out
