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
