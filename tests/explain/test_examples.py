"""Every example problem file solves, verifies itself, and agrees with the answers it states."""

from pathlib import Path

import pytest

from chalkgrad.explain import render
from chalkgrad.explain.problem import load_problem, solve_problem

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted((ROOT / "examples" / "problems").glob("*.yaml"))


def test_there_are_example_problems():
    assert len(FILES) >= 5


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_example_problem_solves_and_matches_its_expected_answers(path):
    problem = load_problem(path)
    solution = solve_problem(problem)
    solution.verify()
    assert solution.mismatches == [], f"{path.name}: {solution.mismatches}"
    if "expected" in problem.data:
        checked = [s for s in solution.sections if s.title == "Checked against the expected answers"]
        assert checked and len(checked[0].steps) == len(problem.data["expected"])
    for fmt in ("text", "md", "tex"):
        assert render(solution, format=fmt, precision=problem.precision or 6)
