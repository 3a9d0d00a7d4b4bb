"""Hostile problem files for `chalkgrad solve`: wrong encodings, huge numbers, YAML bombs, overflowing
results. Each is refused with a ProblemError: one line on stderr naming the file, exit status 2. The
bombs run in a subprocess with a memory cap and a time limit (tests/bounded.py)."""

import warnings
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bounded import SUPPORTED, BoundedWorker, run_cli
from chalkgrad.errors import ProblemError
from chalkgrad.explain.problem import MAX_FILE_BYTES, MAX_NODES, load_problem, solve_problem
from helpers import examples

from .problem_helpers import solve_cli

ROOT = Path(__file__).resolve().parents[2]
PROBLEMS = ROOT / "examples" / "problems"
GOOD = (PROBLEMS / "backprop_2_2_2.yaml").read_text(encoding="utf-8")


def assert_refused(path, capsys, match: str) -> None:
    """Loading and solving ``path`` raises a ProblemError matching ``match``; `chalkgrad solve` prints
    one line naming the file and exits with 2."""
    with pytest.raises(ProblemError, match=match):
        solve_problem(load_problem(path))
    assert solve_cli([str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"chalkgrad solve: {path}") and "Traceback" not in err, err


# ------------------------------------------------------------------ encoding and numbers
@pytest.mark.parametrize("raw", [
    GOOD.replace("One backpropagation", "Une rétropropagation").encode("latin-1", errors="replace"),
    GOOD.encode("utf-16"),
    b"title: \xff\xfe\n" + GOOD.encode(),
])
def test_a_file_that_is_not_utf8(tmp_path, capsys, raw):
    path = tmp_path / "p.yaml"
    path.write_bytes(raw)
    assert_refused(path, capsys, r"p.yaml: not UTF-8 text \(byte 0x[0-9a-f]{2} at offset \d+\)")


@pytest.mark.parametrize("where,number,match", [
    ("input: [0.05, 0.10]", "5" * 5000, r"p.yaml:16: an integer of 5000 digits is too large"),
    ("input: [0.05, 0.10]", "-" + "9" * 400, r"p.yaml:16: an integer of 400 digits is too large"),
    ("lr: 0.5", "2" + "0" * 308, r"p.yaml:19: the integer 2000.* is too large"),  # 2e308: beyond a float
    ("precision: 9", "7" * 4400, r"p.yaml:22: an integer of 4400 digits is too large"),
    ("lr: 0.5", "1.0e+400", r"p.yaml:19: the number 1.0e\+400 is too large"),
    ("input: [0.05, 0.10]", "-2.5e+999", r"p.yaml:16: the number -2.5e\+999 is too large"),
])
def test_numbers_too_large(tmp_path, capsys, where, number, match):
    key, value = where.split(": ", 1)
    text = GOOD.replace(where, f"{key}: [0.05, {number}]" if key == "input" else f"{key}: {number}")
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    assert_refused(path, capsys, match)


# ------------------------------------------------------------------ bombs
def laughs(levels: int, width: int = 10) -> str:
    """Anchors and aliases: ``width ** levels`` zeros in a file of about ``levels * 5 * width`` bytes."""
    lines = ["a0: &a0 [" + ", ".join(["0"] * width) + "]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]" for i in range(1, levels)]
    return "\n".join(lines) + f"\ninput: *a{levels - 1}\n"


def mapping_laughs(levels: int, width: int = 10) -> str:
    lines = ["m0: &m0 {" + ", ".join(f"k{j}: 0" for j in range(width)) + "}"]
    lines += [f"m{i}: &m{i} {{" + ", ".join(f"k{j}: *m{i - 1}" for j in range(width)) + "}" for i in range(1, levels)]
    return "\n".join(lines) + f"\nnetwork: [{{<<: *m{levels - 1}}}]\n"


BOMBS = {
    "10^8 numbers from 1.5 KB of aliases": (laughs(8), "expands to more than"),
    "mapping aliases and a merge key": (mapping_laughs(7), "expands to more than"),
    "10 MB of numbers": ("input: [" + "0.0, " * (2 * 2**20) + "0.0]\n", "larger than"),
    "a flat list of more values than allowed": ("input: [" + "0," * (MAX_NODES + 10) + "0]\n", "more than"),
    "deep nesting": ("input: " + "[" * 50_000 + "]" * 50_000 + "\n", "nest"),  # libyaml's limit or Python's
}


@pytest.fixture(scope="module")
def worker():
    if not SUPPORTED:
        pytest.skip("the memory-capped worker needs Linux (/proc, RLIMIT_AS)")
    with BoundedWorker(memory_mb=150, seconds=10) as w:
        assert w.call(run_cli, ["solve", str(PROBLEMS / "backprop_2_2_2.yaml")]).value[0] == 0  # imports done
        yield w


@pytest.mark.parametrize("name", list(BOMBS))
def test_yaml_bombs_are_refused_fast_in_bounded_memory(tmp_path, worker, name):
    text, match = BOMBS[name]
    path = tmp_path / "bomb.yaml"
    path.write_text(text, encoding="utf-8")
    if name.startswith("10^8"):
        assert len(text) < 1600
    out = worker.call(run_cli, ["solve", str(path)])
    assert out.kind == "returned", f"{name}: {out}"
    code, stdout, stderr, seconds = out.value
    assert code == 2 and stderr.count("\n") == 1 and stderr.startswith(f"chalkgrad solve: {path}"), stderr
    assert match in stderr, stderr
    # the bombs are refused before being expanded (the limit the brief sets: 0.5 s; slack for a busy machine)
    # (a file of MAX_NODES values is read before it is refused: bounded, not instant)
    limit = 0.5 if "numbers" in name or "aliases" in name else 5.0
    assert seconds < limit * 3, f"{name}: {seconds:.2f} s"


def test_limits_without_libyaml(tmp_path, monkeypatch):
    """Without libyaml's parser (PyYAML built without it) the same limits hold."""
    import sys

    monkeypatch.setitem(sys.modules, "yaml.cyaml", None)  # import yaml.cyaml now raises ImportError
    assert solve_problem(load_problem(PROBLEMS / "backprop_2_2_2.yaml"))["w5⁺"] == pytest.approx(0.35891648)
    path = tmp_path / "bomb.yaml"
    path.write_text(laughs(8), encoding="utf-8")
    with pytest.raises(ProblemError, match=r"bomb.yaml:\d+: the YAML expands to more than"):
        load_problem(path)


def test_limits_leave_room_for_real_files():
    sizes = [p.stat().st_size for p in PROBLEMS.rglob("*.yaml")]
    assert max(sizes) * 20 < MAX_FILE_BYTES and MAX_NODES >= 16 * 4096


def test_a_shared_anchor_below_the_limit_still_works(tmp_path):
    text = GOOD.replace("bias: [0.35, 0.35]", "bias: &b [0.35, 0.35]").replace("bias: [0.60, 0.60]", "bias: *b")
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    assert solve_problem(load_problem(path))["b3"] == 0.35


# ------------------------------------------------------------------ results that overflow
@pytest.mark.parametrize("name", ["relu_regression", "adam_two_parameters", "optimizer_lr_schedule"])
def test_results_that_overflow_are_refused(tmp_path, capsys, name):
    import re

    text = (PROBLEMS / f"{name}.yaml").read_text(encoding="utf-8")
    path = tmp_path / "p.yaml"
    path.write_text(re.sub(r"\blr: [0-9.e+-]+", "lr: 1.0e+308", text), encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning printed before the one line
        assert_refused(path, capsys, r"p.yaml:\d+: .* is not finite")


# ------------------------------------------------------------------ damaged bytes
@examples(30)
@given(data=st.data())
def test_damaged_problem_files_never_crash(tmp_path_factory, worker, data):
    raw = bytearray(GOOD.encode())
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, len(raw) - 1))
        raw[pos] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans()):
        raw = raw[: data.draw(st.integers(0, len(raw)))]
    path = tmp_path_factory.mktemp("damaged") / "d.yaml"
    path.write_bytes(bytes(raw))
    out = worker.call(run_cli, ["solve", str(path)])
    assert out.kind == "returned", out
    code, _, stderr, _ = out.value
    assert code in (0, 2) and "Traceback" not in stderr
    if code == 2:
        assert stderr.count("\n") == 1 and str(path) in stderr, stderr
