"""Golden files: the full printed text of each renderer and mode, compared character by character.

Regenerate on purpose only:  CHALKGRAD_UPDATE_GOLDEN=1 python -m pytest tests/explain/test_golden.py
then read the diff before committing it.
"""

import os
from pathlib import Path

import pytest

from chalkgrad.explain import render
from chalkgrad.explain.problem import load_problem, solve_problem

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("CHALKGRAD_UPDATE_GOLDEN") == "1"

CASES = [
    # (problem file, format, mode, carry, precision, golden name)
    ("backprop_2_2_2.yaml", "text", "full", "exact", 9, "backprop_2_2_2.txt"),
    ("backprop_2_2_2.yaml", "md", "full", "exact", 6, "backprop_2_2_2.md"),
    ("backprop_2_2_2.yaml", "tex", "full", "exact", 6, "backprop_2_2_2.tex"),
    ("backprop_2_2_2.yaml", "text", "key", "exact", 6, "backprop_2_2_2.key.txt"),
    ("backprop_2_2_2.yaml", "text", "problem", "exact", 6, "backprop_2_2_2.problem.txt"),
    ("backprop_2_2_2.yaml", "text", "full", "displayed", 3, "backprop_2_2_2.displayed3.txt"),
    ("softmax_cross_entropy.yaml", "text", "full", "exact", 4, "softmax_cross_entropy.txt"),
    ("relu_regression.yaml", "text", "full", "exact", 4, "relu_regression.txt"),
    ("conv_net_shapes.yaml", "text", "full", "exact", 4, "arch_conv_net_shapes.txt"),
    ("lenet5_arithmetic.yaml", "md", "key", "exact", 4, "arch_lenet5.key.md"),
    ("adam_two_parameters.yaml", "text", "full", "exact", 6, "optimizer_adam_two_parameters.txt"),
]


@pytest.mark.parametrize("problem,fmt,mode,carry,precision,golden", CASES, ids=[c[-1] for c in CASES])
def test_rendering_matches_golden_file(problem, fmt, mode, carry, precision, golden):
    p = load_problem(ROOT / "examples" / "problems" / problem)
    text = render(solve_problem(p).carried(carry, precision), format=fmt, precision=precision, mode=mode)
    path = GOLDEN / golden
    if UPDATE or not path.exists():
        if not UPDATE:
            pytest.fail(f"golden file {path.name} is missing; run with CHALKGRAD_UPDATE_GOLDEN=1 to create it")
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_latex_output_is_a_balanced_document():
    text = (GOLDEN / "backprop_2_2_2.tex").read_text(encoding="utf-8")
    assert text.startswith(r"\documentclass{article}") and text.rstrip().endswith(r"\end{document}")
    assert text.count("{") == text.count("}")
    assert text.count(r"\begin{align*}") == text.count(r"\end{align*}")
    assert text.count(r"\left") == text.count(r"\right")
    body = text.split(r"\begin{document}")[1]
    for ch in "σδηΣ∂·−½":  # every symbol went through a LaTeX command
        assert ch not in body, ch
