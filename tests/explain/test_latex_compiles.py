"""The LaTeX renderings compile (runs where pdflatex is installed; skipped elsewhere, e.g. in CI)."""

import shutil
import subprocess
from pathlib import Path

import pytest

from chalkgrad.explain import render
from chalkgrad.explain.problem import load_problem, solve_problem

ROOT = Path(__file__).resolve().parents[2]
PDFLATEX = shutil.which("pdflatex")
ONE_PER_KIND = ["backprop_2_2_2", "adam_two_parameters", "conv_net_shapes", "layer_batchnorm1d", "layer_conv2d",
                "rnn_elman_two_steps", "lstm_one_unit", "perceptron_and_gate", "knn_three_neighbours",
                "svm_linear_margin", "expr_derivatives", "expr_metrics"]


@pytest.mark.skipif(PDFLATEX is None, reason="pdflatex is not installed")
@pytest.mark.parametrize("name", ONE_PER_KIND)
@pytest.mark.parametrize("mode", ["full", "key"])
def test_latex_document_compiles(tmp_path, name, mode):
    problem = load_problem(ROOT / "examples" / "problems" / f"{name}.yaml")
    tex = render(solve_problem(problem), format="tex", precision=4, mode=mode)
    (tmp_path / "s.tex").write_text(tex, encoding="utf-8")
    out = subprocess.run([PDFLATEX, "-interaction=nonstopmode", "-halt-on-error", "s.tex"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    errors = [line for line in out.stdout.splitlines() if line.startswith("!")]
    assert out.returncode == 0, f"{name}: {errors}"
