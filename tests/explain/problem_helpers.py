"""Helpers shared by the problem-file tests: solve a text as a file, and run `chalkgrad solve` in-process."""

import argparse

from chalkgrad.explain.command import add_solve_parser
from chalkgrad.explain.problem import load_problem, solve_problem


def solve_text(tmp_path, text, name="p.yaml"):
    """Write ``text`` to ``tmp_path/name`` and return its solution (errors name that file)."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return solve_problem(load_problem(path))


def solve_cli(argv):
    """``chalkgrad solve ARGV`` through the real argument parser; returns the exit status."""
    parser = argparse.ArgumentParser()
    add_solve_parser(parser.add_subparsers())
    args = parser.parse_args(["solve", *argv])
    return args.func(args)


def solve_mutated(tmp_path, capsys, doc, key_path, value, name="m.yaml"):
    """Set ``doc[key_path] = value`` (nothing to check if the path does not exist), write it, run
    `chalkgrad solve` on it: it must succeed, or fail with exit status 2 and one line naming the file."""
    import yaml

    node = doc
    try:
        for key in key_path[:-1]:
            node = node[key]
        node[key_path[-1]] = value
    except (KeyError, IndexError, TypeError):
        return
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    code = solve_cli([str(path)])
    err = capsys.readouterr().err
    assert code in (0, 2)
    if code == 2:
        assert err.count("\n") == 1 and name in err and "Traceback" not in err


def assert_bad_problem(tmp_path, capsys, text, message, name="p.yaml"):
    """``text`` as a problem file: solving it raises a ProblemError matching ``message``, and
    `chalkgrad solve` on it exits with 2 and one line on stderr, no traceback. Returns the error."""
    import pytest

    from chalkgrad.errors import ProblemError

    with pytest.raises(ProblemError, match=message) as info:
        solve_text(tmp_path, text, name)
    assert solve_cli([str(tmp_path / name)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("chalkgrad solve: ") and "Traceback" not in err
    return info.value
