"""Problem variants: new numbers from a seed, the same shapes and kinds, reproducible, each solvable."""

import argparse
from pathlib import Path

import pytest

from chalkgrad.errors import ConfigError
from chalkgrad.explain.command import add_solve_parser
from chalkgrad.explain.problem import load_problem, solve_problem
from chalkgrad.explain.variants import make_variant

ROOT = Path(__file__).resolve().parents[2] / "examples" / "problems"


def numbers(node):
    if isinstance(node, bool):
        return []
    if isinstance(node, (int, float)):
        return [node]
    if isinstance(node, list):
        return [x for item in node for x in numbers(item)]
    if isinstance(node, dict):
        return [x for v in node.values() for x in numbers(v)]
    return []


@pytest.mark.parametrize("name", ["backprop_2_2_2", "adam_two_parameters", "layer_conv2d", "lstm_one_unit",
                                  "expr_computation_graph", "knn_three_neighbours"])
def test_variant_redraws_numbers_keeps_shapes_and_solves(name):
    problem = load_problem(ROOT / f"{name}.yaml")
    a, b, again = make_variant(problem, 1), make_variant(problem, 2), make_variant(problem, 1)
    assert a.data == again.data  # the same seed gives the same variant
    assert a.data != b.data and a.data != problem.data
    assert "expected" not in a.data and "variant, seed 1" in a.title
    solve_problem(a).verify()
    if name == "backprop_2_2_2":
        w0, w1 = problem.data["network"][0]["linear"]["weight"], a.data["network"][0]["linear"]["weight"]
        assert len(w0) == len(w1) and all(len(r0) == len(r1) for r0, r1 in zip(w0, w1))
        lo, hi = min(numbers(w0)), max(numbers(w0))
        assert all(lo <= v <= hi for v in numbers(w1))
        assert a.data["target"] == problem.data["target"]  # only the given numbers change


def test_kinds_without_variants_say_so():
    with pytest.raises(ConfigError, match="variants are not defined for problems of kind 'architecture'"):
        make_variant(load_problem(ROOT / "conv_net_shapes.yaml"), 0)


def test_command_prints_each_variant_with_its_key(capsys):
    parser = argparse.ArgumentParser()
    add_solve_parser(parser.add_subparsers())
    args = parser.parse_args(["solve", str(ROOT / "backprop_2_2_2.yaml"), "--variants", "2", "--seed", "10"])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert out.count("(variant, seed 10) (problem)") == 1 and out.count("(variant, seed 11) (answer key)") == 1
    assert "________" in out and "Checked against" not in out
