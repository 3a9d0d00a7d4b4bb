"""The summary command: zoo models and architecture problem files, with and without formulas."""

import argparse
import shutil
import subprocess
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
    assert layer.count_parameters() == 8
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


@pytest.mark.parametrize("helper", ["load_model", "save_model", "make_vgg_features", "bilinear_kernel"])
def test_only_model_builders_are_offered_and_accepted(capsys, helper):
    from chalkgrad import models
    from chalkgrad.explain.summary_command import _zoo_names

    names = _zoo_names()
    assert helper not in names
    assert all(isinstance(getattr(models, n).__wrapped__, type(_zoo_names)) for n in names)
    assert {"lenet5", "resnet18", "vgg16_bn", "segnet"} <= set(names)
    code, _, err = run([helper], capsys)
    assert code == 2 and err.count("\n") == 1 and f"unknown model {helper!r}" in err
    assert "load_model" not in err.split("one of", 1)[1]


def test_output_file_is_written_atomically_and_matches_stdout(capsys, tmp_path, monkeypatch):
    _, printed, _ = run(["lenet5"], capsys)
    target = tmp_path / "lenet5.txt"
    code, out, _ = run(["lenet5", "-o", str(target)], capsys)
    assert code == 0 and out == "" and target.read_text(encoding="utf-8") == printed
    from chalkgrad import serialization

    def fail(f):
        f.write(b"partial")
        raise OSError(28, "No space left on device")

    real = serialization.atomic_write_bytes
    monkeypatch.setattr(serialization, "atomic_write_bytes", lambda path, write: real(path, fail))
    code, _, err = run(["resnet18", "--output", str(target)], capsys)
    assert code == 2 and "cannot write" in err and str(target) in err
    assert target.read_text(encoding="utf-8") == printed  # the old file is whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lenet5.txt"]  # no temporary file left
    code, _, err = run(["lenet5", "-o", str(tmp_path / "missing" / "x.txt")], capsys)
    assert code == 2 and err.count("\n") == 1


def test_markdown_fences_the_tables(capsys):
    code, out, _ = run(["lenet5", "--explain", "--format", "md"], capsys)
    assert code == 0 and out.startswith("```\n====") and out.count("```") == 4


@pytest.mark.parametrize("name", ["lenet5", "resnet18", "segnet"])
def test_tex_is_one_complete_document(capsys, name):
    code, out, _ = run([name, "--explain", "--format", "tex"], capsys)
    assert code == 0
    assert out.startswith(r"\documentclass") and out.rstrip().endswith(r"\end{document}")
    for command in (r"\documentclass", r"\begin{document}", r"\end{document}", r"\usepackage{longtable}"):
        assert out.count(command) == 1, command
    assert "Total params: 11,689,512" in out if name == "resnet18" else True
    assert "layer arithmetic" in out and "====" not in out and "├" not in out


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
@pytest.mark.parametrize("argv", [["lenet5", "--explain"], ["resnet18", "--explain"], ["vgg16_bn"],
                                  [str(ROOT / "examples" / "problems" / "conv_net_shapes.yaml"), "--explain"]])
def test_tex_document_compiles(capsys, tmp_path, argv):
    code, out, _ = run([*argv, "--format", "tex", "-o", str(tmp_path / "s.tex")], capsys)
    assert code == 0
    done = subprocess.run([shutil.which("pdflatex"), "-interaction=nonstopmode", "-halt-on-error", "s.tex"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, [line for line in done.stdout.splitlines() if line.startswith("!")]
    assert (tmp_path / "s.pdf").read_bytes()[:4] == b"%PDF"
