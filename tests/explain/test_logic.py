"""Step-unit networks on truth tables (kind: logic): values, formulas, targets, limits, problem-file errors."""

import functools
import itertools
import os
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import chalkgrad.explain.problem_logic  # noqa: F401  (registers kind: logic; also listed in problem_kinds)
from chalkgrad.errors import ConfigError, ProblemError
from chalkgrad.explain import render
from chalkgrad.explain.logic import GATES, Unit, explain_logic, truth_table
from chalkgrad.explain.problem import load_problem, solve_problem
from chalkgrad.explain.problem_kinds import KINDS

from .problem_helpers import solve_cli, solve_mutated, solve_text

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).parent / "golden"
XOR_FILE = ROOT / "examples" / "problems" / "logic_xor_two_hidden.yaml"
XOR = XOR_FILE.read_text(encoding="utf-8")
COURSE = ROOT / "examples" / "problems" / "course"


def xor_units():
    return [Unit("h1", {"x1": 1, "x2": 1}, bias=-0.5), Unit("h2", {"x1": 1, "x2": 1}, threshold=1.5),
            Unit("y", {"h1": 1, "h2": -1}, bias=-0.5)]


def test_kind_is_registered():
    assert "logic" in KINDS


def test_xor_with_two_hidden_units_values_match_torch():
    s = explain_logic(["x1", "x2"], xor_units(), targets={"y": "xor"})
    s.verify()
    x = torch.tensor(truth_table(2), dtype=torch.float64)
    h_net = x @ torch.tensor([[1.0, 1.0], [1.0, 1.0]], dtype=torch.float64).T + torch.tensor([-0.5, -1.5],
                                                                                             dtype=torch.float64)
    h = (h_net >= 0).double()
    y_net = h @ torch.tensor([1.0, -1.0], dtype=torch.float64) - 0.5
    for r in range(4):
        assert s[f"net_h1({r + 1})"] == h_net[r, 0].item() and s[f"net_h2({r + 1})"] == h_net[r, 1].item()
        assert s[f"net_y({r + 1})"] == y_net[r].item()
        assert s[f"y({r + 1})"] == float(y_net[r] >= 0)
    assert [s[f"y({r})"] for r in range(1, 5)] == [0, 1, 1, 0]
    assert s["errors(y)"] == 0 and s["units"] == 3 and s["layers"] == 2
    text = render(s)
    assert "net_h1(2) = x1(2) + x2(2) − 0.5 = 0 + 1 − 0.5 = 0.5" in text
    assert "net_h2(4) = x1(4) + x2(4) − 1.5 = 1 + 1 − 1.5 = 0.5" in text
    assert "net_y(4) = h1(4) − h2(4) − 0.5" in text
    assert "t_y(4) = 0   (target ✓)" in text


@pytest.mark.parametrize("gate,weights,bias", [
    ("and", [1, 1], -1.5), ("or", [1, 1], -0.5), ("nand", [-1, -1], 1.5), ("nor", [-1, -1], 0.5),
    ("and", [1, 1, 1], -2.5), ("majority", [1, 1, 1], -1.5),
])
def test_single_unit_gates(gate, weights, bias):
    names = [f"x{i + 1}" for i in range(len(weights))]
    s = explain_logic(names, [Unit("y", dict(zip(names, weights)), bias=bias)], targets={"y": gate})
    assert s["errors(y)"] == 0
    assert [s[f"y({r + 1})"] for r in range(2 ** len(names))] == [
        float(GATES[gate]([bool(v) for v in row])) for row in truth_table(len(names))]


def test_xnor_gate_is_the_chained_xnor():
    for n in range(1, 7):
        for bits in itertools.product((False, True), repeat=n):
            chained = functools.reduce(lambda a, b: a == b, bits)
            assert GATES["xnor"](list(bits)) == chained, bits


def test_a_wrong_network_counts_its_errors():
    s = explain_logic(["x1", "x2"], [Unit("y", {"x1": 1, "x2": 1}, bias=-0.5)], targets={"y": "xor"})
    assert s["errors(y)"] == 1
    assert "t_y(4) = 0   (target ✗ differs)" in render(s)


@pytest.mark.parametrize("at_zero,expected", [(None, 1.0), (1, 1.0), (0, 0.0), (0.5, 0.5)])
def test_the_value_at_zero_is_the_stated_one(at_zero, expected):
    s = explain_logic(["a"], [Unit("y", {"a": 2}, threshold=2)], at_zero=at_zero)
    assert s["net_y(2)"] == 0 and s["y(2)"] == expected and s["y(1)"] == 0
    s.verify()


def test_sign_activation_with_bipolar_inputs():
    s = explain_logic(["a", "b"], [Unit("y", {"a": 1, "b": 1}, bias=1)], activation="sign", at_zero=0,
                      levels=(-1, 1), targets={"y": "or"})
    assert [s[f"y({r})"] for r in range(1, 5)] == [-1, 1, 1, 1]
    assert s["errors(y)"] == 0
    assert "y(1) = sign(net_y(1))" in render(s)
    s2 = explain_logic(["a", "b"], [Unit("y", {"a": 1, "b": 1}, bias=0)], activation="sign", at_zero=-1,
                       levels=(-1, 1), targets={"y": "and"})
    assert [s2[f"y({r})"] for r in range(1, 5)] == [-1, -1, -1, 1] and s2["errors(y)"] == 0


def test_given_rows_and_target_values():
    s = explain_logic(["p", "q"], [Unit("y", {"p": 1, "q": -1}, bias=0)], rows=[[1, 0], [0, 1]],
                      at_zero=0, targets={"y": [1, 0]})
    assert s["y(1)"] == 1 and s["y(2)"] == 0 and s["errors(y)"] == 0


def test_units_and_layers_per_output_for_a_tree():
    s = solve_problem(load_problem(COURSE / "aiml_reg_q3_xor6.yaml"))
    assert (s["units(g5)"], s["layers(g5)"], s["units(s)"], s["layers(s)"]) == (15, 6, 33, 2)
    assert s["units"] == 48 and s["errors(g5)"] == 0 and s["errors(s)"] == 0
    x = np.array(truth_table(6))
    assert [s[f"g5({r + 1})"] for r in range(64)] == list(x.sum(axis=1) % 2)
    assert [s[f"s({r + 1})"] for r in range(64)] == list(x.sum(axis=1) % 2)
    s = solve_problem(load_problem(COURSE / "bits_ec2_xnor5_network.yaml"))
    assert (s["units(g4)"], s["layers(g4)"], s["units(s)"], s["layers(s)"]) == (12, 6, 17, 2)
    assert s["errors(g4)"] == 0 and s["errors(s)"] == 0


@pytest.mark.parametrize("kwargs,message", [
    ({"inputs": [f"x{i}" for i in range(9)]}, "9 inputs; a truth-table solution takes 1 to 8"),
    ({"inputs": [f"x{i}" for i in range(7)]}, "all rows of 7 inputs are 128, more than 64"),
    ({"units": [Unit(f"u{i}", {"x1": 1}, bias=0) for i in range(33)]}, "33 units; at most 32"),
    ({"units": [Unit("y", {"h": 1}, bias=0), Unit("h", {"x1": 1}, bias=0)]}, "reads 'h', which is a later unit"),
    ({"units": [Unit("x1", {"x2": 1}, bias=0)]}, "the name 'x1' is used twice"),
    ({"targets": {"y": "xorr"}}, "unknown gate 'xorr'"),
    ({"targets": {"y": [0, 1]}}, "expected 4 values"),
    ({"rows": [[0, 2]]}, "row 1 is"),
    ({"activation": "relu"}, "activation must be 'step'"),
])
def test_limits_and_mistakes_are_refused_clearly(kwargs, message):
    args = {"inputs": ["x1", "x2"], "units": [Unit("y", {"x1": 1, "x2": 1}, bias=-1)]}
    args.update(kwargs)
    inputs, units = args.pop("inputs"), args.pop("units")
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        explain_logic(inputs, units, **args)


def test_rows_times_units_limit():
    units = [Unit(f"u{i}", {"x1": 1}, bias=0) for i in range(17)]
    with pytest.raises(ConfigError, match="64 rows × 17 units is more than 1024"):
        explain_logic([f"x{i + 1}" for i in range(6)], units)


def test_unit_needs_bias_or_threshold():
    with pytest.raises(ConfigError, match="either a bias or a threshold, not both"):
        Unit("y", {"x1": 1}, bias=1, threshold=2)


def test_example_file_and_golden_rendering(tmp_path):
    s = solve_problem(load_problem(XOR_FILE))
    text = render(s, precision=4)
    path = GOLDEN / "logic_xor_two_hidden.txt"
    if os.environ.get("CHALKGRAD_UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")
    for fmt in ("md", "tex"):
        assert "errors" in render(s, format=fmt)


BAD = [
    ("inputs: [x1, x2]", "inputs: 9", r"p.yaml:6: inputs: expected 1 to 8 inputs, got 9"),
    ("inputs: [x1, x2]", "inputs: [x1, x1]", r"p.yaml:6: inputs: each input needs its own name"),
    ("inputs: [x1, x2]", "inputs: [x1, 2]", r"p.yaml:6: inputs: 2 is not a usable name"),
    ("h1: {weights: {x1: 1, x2: 1}, bias: -0.5}", "h1: {weights: {x1: 1, x3: 1}, bias: -0.5}",
     r"p.yaml:8: units.h1.weights.x3: 'x3' is not an input or unit; a unit reads x1, x2"),
    ("h1: {weights: {x1: 1, x2: 1}, bias: -0.5}", "h1: {weights: {x1: 1, h2: 1}, bias: -0.5}",
     r"p.yaml:8: units.h1.weights.h2: 'h2' is a later unit"),
    ("h1: {weights: {x1: 1, x2: 1}, bias: -0.5}", "h1: {weights: {x1: 1, x2: 1}, bias: -0.5, threshold: 1}",
     r"p.yaml:8: units.h1: give either bias .* or threshold .*, not both"),
    ("h1: {weights: {x1: 1, x2: 1}, bias: -0.5}", "h1: {weights: {x1: 1, x2: 1}}",
     r"p.yaml:8: units.h1: give either bias .*, not neither"),
    ("h1: {weights: {x1: 1, x2: 1}, bias: -0.5}", "h1: {weights: {x1: one, x2: 1}, bias: -0.5}",
     r"p.yaml:8: units.h1.weights.x1: expected a number, got the text 'one'|p.yaml:8: units.h1.weights.x1: "
     r"expected a number"),
    ("h1: {weights: {x1: 1, x2: 1}, bias: -0.5}", "h1: {weights: {x1: 1, x2: 1}, bias: -0.5, w: 2}",
     r"p.yaml:8: units.h1.w: unknown key 'w'; expected one of bias, threshold, weights"),
    ("h1: {weights: {x1: 1, x2: 1}, bias: -0.5}", "net_h1: {weights: {x1: 1, x2: 1}, bias: -0.5}",
     r"p.yaml:8: units.net_h1: 'net_h1' is not a usable name"),
    ("targets: {y: xor}", "targets: {y: xorr}", r"p.yaml:11: targets.y: unknown gate 'xorr'"),
    ("targets: {y: xor}", "targets: {z: xor}", r"p.yaml:11: targets.z: 'z' is not a unit"),
    ("targets: {y: xor}", "targets: {y: [0, 1]}", r"p.yaml:11: targets.y: expected a gate or 4 values"),
    ("targets: {y: xor}", "targets: {y: xor}\nactivation: relu", r"p.yaml:12: activation: expected step"),
    ("targets: {y: xor}", "targets: {y: xor}\nlevels: [1, 0]", r"p.yaml:12: levels: expected the two input values"),
    ("targets: {y: xor}", "targets: {y: xor}\nrows: [[0, 3]]", r"p.yaml:12: rows\[0\]: expected 2 values"),
    ("targets: {y: xor}", "targets: {y: xor}\nat_zero: half", r"p.yaml:12: at_zero: expected the output"),
    ("targets: {y: xor}", "targets: {y: xor}\nweights: 1", r"p.yaml:12: problem: unknown key 'weights'"),
    ("targets: {y: xor}", "targets: {y: xor}\nshow: some", r"p.yaml:12: show: expected all .* or outputs"),
    ("targets: {y: xor}", "show: outputs", r"p.yaml:11: show: outputs prints only the units with targets"),
]


@pytest.mark.parametrize("old,new,message", BAD, ids=[b[1][:40] for b in BAD])
def test_problem_file_errors_name_file_line_and_key(tmp_path, old, new, message):
    assert old in XOR
    with pytest.raises(ProblemError, match=message):
        solve_text(tmp_path, XOR.replace(old, new))


def test_problem_file_too_many_rows_and_units(tmp_path):
    units = "\n".join(f"  u{i}: {{weights: {{x1: 1}}, bias: 0}}" for i in range(17))
    text = f"kind: logic\ninputs: 6\nunits:\n{units}\n"
    with pytest.raises(ProblemError, match=r"p.yaml:3: units: 64 rows × 17 units is more than 1024"):
        solve_text(tmp_path, text)
    with pytest.raises(ProblemError, match=r"p.yaml:2: rows: all rows of 7 inputs are 128"):
        solve_text(tmp_path, "kind: logic\ninputs: 7\nunits:\n  y: {weights: {x1: 1}, bias: 0}\n")


def test_check_fails_for_a_wrong_expected_answer(tmp_path, capsys):
    path = tmp_path / "w.yaml"
    path.write_text(XOR.replace("errors(y): 0", "errors(y): 1"), encoding="utf-8")
    assert solve_cli([str(path), "--check"]) == 1
    assert "errors(y)" in capsys.readouterr().err


_scalars = st.one_of(st.none(), st.booleans(), st.integers(-(10**7), 10**7), st.floats(allow_nan=True, width=32),
                     st.text(max_size=5), st.sampled_from(["xor", "all", "x1", "h1", "sign"]))
# keys without control characters: problem.py's own messages (expected.<key>, unknown key) print keys as they are
_keys = st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), max_size=4)
_values = st.recursive(_scalars, lambda c: st.one_of(st.lists(c, max_size=4), st.dictionaries(
    st.one_of(_keys, st.sampled_from(["x1", "x2", "h1", "weights", "bias"])), c, max_size=3)),
    max_leaves=8)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key_path=st.sampled_from([("inputs",), ("units",), ("units", "h1"), ("units", "h1", "weights"),
                                 ("units", "h1", "weights", "x1"), ("units", "y", "bias"), ("units", "h2"),
                                 ("targets",), ("targets", "y"), ("rows",), ("levels",), ("at_zero",),
                                 ("activation",), ("expected",)]),
       value=_values)
def test_mutated_logic_files_never_crash(tmp_path, capsys, key_path, value):
    doc = yaml.safe_load(XOR)
    solve_mutated(tmp_path, capsys, doc, key_path, value)


def test_show_outputs_hides_the_other_units_but_still_verifies_them():
    units = [Unit(f"h{i}", {"x1": 1, "x2": 1, "x3": -1}, bias=-i) for i in range(40)]
    units.append(Unit("y", {f"h{i}": 1 for i in range(40)}, bias=-1))
    with pytest.raises(ConfigError, match=r"41 units; at most 32 .*show: outputs allows 64"):
        explain_logic(["x1", "x2", "x3"], units, targets={"y": "or"})
    s = explain_logic(["x1", "x2", "x3"], units, targets={"y": [1, 0, 1, 1, 1, 1, 1, 1]}, show="outputs")
    shown = [st.name for st in s.steps() if not st.hidden]
    assert "y(3)" in shown and "net_y(3)" in shown and "h0(3)" not in shown
    assert s["h0(3)"] == 1 and s["errors(y)"] == 0
    s.verify()
    with pytest.raises(ConfigError, match="give targets"):
        explain_logic(["x1"], [Unit("y", {"x1": 1}, bias=0)], show="outputs")
