"""Variants of a problem: the same network or setup with new random numbers, for exams and practice.

:func:`make_variant` copies a problem file's data and redraws the numbers a problem gives
(weights, biases, inputs, starting parameters, sequences...) from a seed. Each new number is
drawn between the smallest and the largest number of the list it replaces, with as many
decimals as the original (integers stay integers), so probabilities stay probabilities and
pixel values stay pixel values. The stated answers (``expected``) no longer apply and are
dropped. ``chalkgrad solve FILE --variants N --seed S`` prints each variant with its answer key.
"""

from __future__ import annotations

import copy

import numpy as np

from ..errors import ChalkgradError, ConfigError
from .expr import decimals_of

__all__ = ["make_variant", "VARIED_KEYS"]

#: For each kind, the keys (paths, with * for every list item) whose numbers a variant redraws.
VARIED_KEYS = {
    "dense": [("network", "*", "linear", "weight"), ("network", "*", "linear", "bias"), ("input",)],
    "optimizer": [("params",)],
    "layer": [("input",), ("weight",), ("bias",)],
    "expression": [("values",)],
    "rnn": [("inputs",), ("weights",), ("h0",), ("c0",)],
    "perceptron": [("w_init",), ("b_init",)],
    "knn": [("query",)],
}


def _numbers(node, out: list) -> None:
    if isinstance(node, bool):
        return
    if isinstance(node, (int, float)):
        out.append(node)
    elif isinstance(node, list):
        for x in node:
            _numbers(x, out)
    elif isinstance(node, dict):
        for x in node.values():
            _numbers(x, out)


def _redraw(node, rng, lo, hi, decimals, integers):
    if isinstance(node, bool):
        return node
    if isinstance(node, (int, float)):
        if integers:
            return int(rng.integers(int(np.floor(lo)), int(np.floor(hi)) + 1))
        return round(float(rng.uniform(lo, hi)), decimals)
    if isinstance(node, list):
        return [_redraw(x, rng, lo, hi, decimals, integers) for x in node]
    if isinstance(node, dict):
        out = type(node)() if type(node) is not dict else {}
        for k, v in node.items():
            out[k] = _redraw(v, rng, lo, hi, decimals, integers)
        if hasattr(node, "lines"):
            out.lines, out.line = dict(node.lines), node.line
        return out
    return node


def _visit(node, path, rng):
    """Redraw the numbers at ``path`` inside ``node`` (in place where possible); return the new node."""
    if not path:
        values: list = []
        _numbers(node, values)
        if not values:
            return node
        lo, hi = float(min(values)), float(max(values))
        integers = all(isinstance(v, int) for v in values)
        if lo == hi:
            lo, hi = (lo - 1, hi + 1) if integers else (lo - abs(lo) - 0.5, hi + abs(hi) + 0.5)
        decimals = max(2, max(decimals_of(v) for v in values)) if not integers else 0
        return _redraw(node, rng, lo, hi, decimals, integers)
    head, rest = path[0], path[1:]
    if head == "*":
        if isinstance(node, list):
            for i, item in enumerate(node):
                node[i] = _visit(item, rest, rng)
        return node
    if isinstance(node, dict) and head in node and node[head] is not None:
        node[head] = _visit(node[head], rest, rng)
    return node


def make_variant(problem, seed: int):
    """A new :class:`~.problem.Problem` like ``problem`` with its given numbers redrawn from ``seed``."""
    from .problem import Problem, _Validator

    kind = problem.data.get("kind", "dense")
    if kind not in VARIED_KEYS:
        raise ConfigError(f"{problem.path}: variants are not defined for problems of kind '{kind}' "
                          f"(they are for: {', '.join(VARIED_KEYS)})")
    rng = np.random.default_rng(seed)
    for _attempt in range(20):  # a draw may be invalid (a zero variance, log of a non-positive number...)
        data = copy.deepcopy(problem.data)
        for path in VARIED_KEYS[kind]:
            _visit(data, list(path), rng)
        data.pop("expected", None)
        data.pop("tolerance", None)
        title = f"{problem.title} (variant, seed {seed})"
        data["title"] = title
        try:
            _Validator(problem.path).problem(data)
            variant = Problem(problem.path, data, title, problem.precision, problem.carry)
            from .problem import solve_problem

            solve_problem(variant)
            return variant
        except (ChalkgradError, ArithmeticError, ValueError):
            continue
    raise ConfigError(f"{problem.path}: no valid variant found from seed {seed} in 20 draws")
