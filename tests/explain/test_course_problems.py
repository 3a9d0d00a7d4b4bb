"""The course problems in examples/problems/course/ solve, verify, and agree with their published answers.

Each file restates one course problem in a comment and lists the course's checked answers under
``expected:``; docs/problem-coverage.md lists every course problem and what its file checks.
"""

import argparse
from pathlib import Path

import pytest

from chalkgrad.explain import render
from chalkgrad.explain.command import add_solve_parser, run_solve
from chalkgrad.explain.problem import load_problem, solve_problem

ROOT = Path(__file__).resolve().parents[2]
COURSE = ROOT / "examples" / "problems" / "course"
FILES = sorted(COURSE.glob("*.yaml"))
#: Number of course problems with a problem file (docs/problem-coverage.md has the full list of 72).
N_FILES = 69
CHECKED = "Checked against the expected answers"


def test_every_covered_course_problem_has_a_file():
    assert len(FILES) >= N_FILES


def test_coverage_page_lists_every_file():
    page = (ROOT / "docs" / "problem-coverage.md").read_text(encoding="utf-8")
    for path in FILES:
        assert f"course/{path.name}" in page, f"{path.name} is missing from docs/problem-coverage.md"


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_course_problem_matches_its_published_answers(path):
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# "), f"{path.name}: the problem should be restated in a comment at the top"
    problem = load_problem(path)
    assert "expected" in problem.data and "tolerance" in problem.data
    solution = solve_problem(problem)
    solution.verify()
    assert solution.mismatches == [], f"{path.name}: {solution.mismatches}"
    checked = [s for s in solution.sections if s.title == CHECKED]
    assert len(checked) == 1
    assert len(checked[0].steps) == len(problem.data["expected"])
    assert all("✓" in step.note for step in checked[0].steps)
    for fmt in ("text", "md", "tex"):
        assert render(solution, format=fmt, precision=problem.precision or 6)
    assert render(solution, mode="key") and render(solution, mode="problem")


def _args(path, *options):
    """The parsed arguments of ``chalkgrad solve PATH --check OPTIONS`` (the command's own parser)."""
    parser = argparse.ArgumentParser(prog="chalkgrad")
    add_solve_parser(parser.add_subparsers())
    return parser.parse_args(["solve", str(path), "--check", *options])


@pytest.mark.parametrize("name", ["notes_hk_epoch_update.yaml", "bits_cnn128_four_conv.yaml",
                                  "tum_ws21_bn_affine.yaml", "aiml511_q3a_adam.yaml"])
def test_solve_check_passes_and_answer_key_renders(name, capsys):
    path = COURSE / name
    assert run_solve(_args(path)) == 0
    assert run_solve(_args(path, "--answer-key", "--format", "md")) == 0
    out = capsys.readouterr()
    assert "✓" in out.out and "✗" not in out.out
    assert out.err == ""


def test_check_fails_when_a_published_answer_is_changed(tmp_path, capsys):
    # the half-squared-error convention gives the classic w46 = -0.261, not the file's -0.2217
    text = (COURSE / "notes_hk_epoch_update.yaml").read_text(encoding="utf-8")
    changed = tmp_path / "hk_half.yaml"
    changed.write_text(text.replace("reduction: sum", "reduction: half_sum"), encoding="utf-8")
    assert run_solve(_args(changed)) == 1
    err = capsys.readouterr().err
    assert "disagree" in err and "w46⁺" in err
    half = solve_problem(load_problem(changed), check=False)
    assert abs(half["w46⁺"] - (-0.2608)) < 1e-4
