"""Problem files: validation with file/line/key messages, and the solve command on good and bad files."""

import textwrap
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalkgrad.errors import ProblemError
from chalkgrad.explain.problem import load_problem, solve_problem

from .problem_helpers import assert_bad_problem, solve_cli, solve_mutated

ROOT = Path(__file__).resolve().parents[2]
GOOD = (ROOT / "examples" / "problems" / "backprop_2_2_2.yaml").read_text(encoding="utf-8")


def write(tmp_path, text, name="p.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


BAD = [
    (
        "unknown top-level key",
        GOOD.replace("chain: [w5, w1]", "chains: [w5, w1]"),
        r"p.yaml:20: problem: unknown key 'chains'; expected one of .*chain",
    ),
    (
        "unknown layer key",
        GOOD.replace("      weight: [[0.15", "      weights: [[0.15"),
        r"p.yaml:7: network\[0\].linear: unknown key 'weights'",
    ),
    ("missing key", GOOD.replace("target: [0.01, 0.99]\n", ""), r"p.yaml:3: problem: missing key 'target'"),
    (
        "weight does not fit the layer before",
        GOOD.replace("[[0.40, 0.45], [0.50, 0.55]]", "[[0.4, 0.45, 1], [0.5, 0.55, 1]]"),
        r"p.yaml:12: network\[1\].linear.weight: has 3 columns .* expected shape \(2, 2\)",
    ),
    (
        "ragged weight",
        GOOD.replace("[[0.15, 0.20], [0.25, 0.30]]", "[[0.15, 0.20], [0.25]]"),
        r"p.yaml:7: network\[0\].linear.weight: expected rows of numbers",
    ),
    (
        "bias length",
        GOOD.replace("bias: [0.35, 0.35]", "bias: [0.35]"),
        r"p.yaml:8: network\[0\].linear.bias: has 1 values, expected 2",
    ),
    (
        "input length",
        GOOD.replace("input: [0.05, 0.10]", "input: [0.05]"),
        r"p.yaml:16: input: has 1 values, the first layer expects 2",
    ),
    ("target length", GOOD.replace("target: [0.01, 0.99]", "target: [0.01]"), r"p.yaml:17: target: has 1 values"),
    (
        "unknown activation",
        GOOD.replace("activation: sigmoid", "activation: swish", 1),
        r"p.yaml:9: network\[0\].activation: unknown activation 'swish'",
    ),
    (
        "unknown loss",
        GOOD.replace("{name: mse, reduction: half_sum}", "{name: mae}"),
        r"p.yaml:18: loss: unknown loss 'mae'",
    ),
    (
        "unknown reduction",
        GOOD.replace("reduction: half_sum", "reduction: average"),
        r"p.yaml:18: loss.reduction: unknown reduction 'average'",
    ),
    (
        "negative learning rate",
        GOOD.replace("lr: 0.5", "lr: -0.5"),
        r"p.yaml:19: optimizer.lr: expected a positive number",
    ),
    (
        "text instead of a number",
        GOOD.replace("input: [0.05, 0.10]", "input: [0.05, abc]"),
        r"p.yaml:16: input: expected a list of numbers",
    ),
    (
        "names of the wrong shape",
        GOOD.replace("bias: [b1, b2], units", "bias: [b1], units"),
        r"p.yaml:10: network\[0\].names.bias: expected names \(text\) in the shape \(2,\)",
    ),
    (
        "duplicate key",
        GOOD.replace("precision: 9", "precision: 9\nprecision: 3"),
        r"p.yaml:23: the key 'precision' appears twice",
    ),
    (
        "a chain weight that does not exist",
        GOOD.replace("chain: [w5, w1]", "chain: [w5, w99]"),
        r"p.yaml:20: chain asks for 'w99'",
    ),
    ("a name used twice", GOOD.replace("bias: [b3, b4]", "bias: [b3, b1]"), r"the name 'b1' is used twice"),
    ("not YAML", "network: [\n", r"p.yaml:2: not valid YAML"),
    ("a list, not a mapping", "- 1\n- 2\n", r"p.yaml:1: a problem file must be a mapping"),
    (
        "update without optimizer",
        GOOD.replace("optimizer: {name: sgd, lr: 0.5}\n", ""),
        r"p.yaml:20: show: 'update' needs an optimizer",
    ),
]


@pytest.mark.parametrize("name,text,message", BAD, ids=[b[0] for b in BAD])
def test_bad_files_name_file_line_and_key(tmp_path, capsys, name, text, message):
    assert_bad_problem(tmp_path, capsys, text, message)


def test_missing_file(tmp_path, capsys):
    assert solve_cli([str(tmp_path / "nope.yaml")]) == 2
    assert "nope.yaml: cannot read the problem file" in capsys.readouterr().err


def test_good_file_in_every_format_and_mode(tmp_path, capsys):
    path = write(tmp_path, GOOD)
    for argv in (
        [],
        ["--format", "md"],
        ["--format", "tex"],
        ["--answer-key"],
        ["--problem-only"],
        ["--carry", "displayed", "--precision", "3"],
    ):
        assert solve_cli([str(path), *argv]) == 0
        out = capsys.readouterr().out
        assert "One backpropagation step" in out
    assert solve_cli([str(path), "--answer-key", "-o", str(tmp_path / "key.txt")]) == 0
    assert "w5⁺ = 0.35891648" in (tmp_path / "key.txt").read_text(encoding="utf-8")


# ----------------------------------------------------------------------------- fuzzing
_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**12), 10**12), st.floats(allow_nan=True), st.text(max_size=8)
)
_values = st.recursive(
    _scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
_keys = st.sampled_from(
    [
        "network",
        "input",
        "target",
        "loss",
        "optimizer",
        "chain",
        "show",
        "precision",
        "carry",
        "title",
        "kind",
        "linear",
        "weight",
        "bias",
        "activation",
        "names",
        "lr",
        "name",
        "bogus",
    ]
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=st.dictionaries(_keys, _values, max_size=6))
def test_random_documents_never_crash(tmp_path, capsys, doc):
    path = write(tmp_path, yaml.safe_dump(doc), "fuzz.yaml")
    code = solve_cli([str(path)])
    err = capsys.readouterr().err
    assert code in (0, 2)
    if code == 2:
        assert err.count("\n") == 1 and "fuzz.yaml" in err


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    path_to_change=st.sampled_from(
        [
            ("input",),
            ("target",),
            ("network", 0, "linear", "weight"),
            ("network", 1, "linear", "bias"),
            ("optimizer", "lr"),
            ("network", 0, "activation"),
            ("loss",),
            ("show",),
            ("network", 1),
        ]
    ),
    value=_values,
)
def test_mutated_good_file_never_crashes(tmp_path, capsys, path_to_change, value):
    doc = yaml.safe_load(GOOD)
    solve_mutated(tmp_path, capsys, doc, path_to_change, value)


def test_huge_sizes_are_refused(tmp_path):
    big = GOOD.replace("[[0.15, 0.20], [0.25, 0.30]]", str([[0.1] * 2] * 5000))
    with pytest.raises(ProblemError, match="too many"):
        load_problem(write(tmp_path, big))


def test_expected_answers_are_checked(tmp_path, capsys):
    wrong = GOOD.replace("w5⁺: 0.35891648", "w5⁺: 0.3598")  # a typo in a published answer
    path = write(tmp_path, wrong)
    solution = solve_problem(load_problem(path))
    assert [name for name, _, _ in solution.mismatches] == ["w5⁺"]
    assert solve_cli([str(path), "--check"]) == 1
    captured = capsys.readouterr()
    assert "✗ the problem expects 0.3598" in captured.out
    assert "1 expected answer(s) disagree with the computation: w5⁺" in captured.err
    assert solve_cli([str(path)]) == 0  # without --check a mismatch is reported, not an error
    assert solve_cli([str(write(tmp_path, GOOD, "good.yaml")), "--check"]) == 0


def test_expected_names_must_exist(tmp_path):
    path = write(tmp_path, GOOD.replace("  w5⁺: 0.35891648", "  w55⁺: 0.35891648"))
    with pytest.raises(ProblemError, match=r"expected.w55⁺: the solution has no quantity named 'w55⁺'; did you mean"):
        solve_problem(load_problem(path))
