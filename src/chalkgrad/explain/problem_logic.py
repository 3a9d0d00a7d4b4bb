"""Problem kind ``logic``: a network of step units (threshold logic) checked on a truth table.

::

    kind: logic
    inputs: [x1, x2]                 # names of the binary inputs (or a count: 2 gives x1, x2); at most 8
    units:                           # in order; a unit reads inputs and earlier units
      h1: {weights: {x1: 1, x2: 1}, bias: -0.5}         # OR
      h2: {weights: {x1: 1, x2: 1}, threshold: 1.5}     # AND: net = Σ w·x − θ
      y:  {weights: {h1: 1, h2: -1}, bias: -0.5}        # h1 AND NOT h2 = XOR
    targets: {y: xor}                # a gate (and, or, nand, nor, xor, xnor, parity, majority) or one value per row
    activation: step                 # step (0/1, default) or sign (−1/+1)
    at_zero: 1                       # the output when net = 0 (default: the high level)
    levels: [0, 1]                   # the two values of an input (default 0 and 1; [-1, 1] for bipolar)
    rows: all                        # default: all 2^n rows in binary order; or a list of rows
    show: all                        # all units on every row (default), or outputs: only the units with targets
    expected: {errors(y): 0, units: 3, layers: 2}

The worked solution comes from :func:`chalkgrad.explain.logic.explain_logic`. Importing this module
registers the kind.
"""

from __future__ import annotations

import re

from ..errors import ChalkgradError, ProblemError
from .logic import GATES, LIMITS, Unit, explain_logic
from .problem import _describe, _Mapping
from .problem_kinds import register

__all__ = ["validate_logic_problem", "solve_logic_problem"]

_NAME = re.compile(r"[^\W\d]\w{0,15}")
_RESERVED = ("units", "layers")
_UNIT_KEYS = {"weights", "bias", "threshold"}


def _number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and abs(x) <= 1e6


def _key(name) -> str:
    """A key as it can appear in a one-line message (odd keys, with newlines or spaces, in quotes)."""
    return name if isinstance(name, str) and _NAME.fullmatch(name) else ascii(name)


def _input_names(d):
    inp = d["inputs"]
    return [f"x{i + 1}" for i in range(inp)] if isinstance(inp, int) else list(inp)


def _check_name(v, name, line, where):
    if not isinstance(name, str) or not _NAME.fullmatch(name) or name in _RESERVED or \
            name.startswith(("net_", "t_", "errors")):
        v.fail(line, where, f"{ascii(name)} is not a usable name: letters, digits and _ (at most 16, starting with a "
               "letter), not units/layers and not starting with net_, t_ or errors")


def validate_logic_problem(v, d) -> None:
    v.keys(d, "logic_problem", "problem", d.line)
    inp = d["inputs"]
    if isinstance(inp, int) and not isinstance(inp, bool):
        if not 1 <= inp <= LIMITS["inputs"]:
            v.fail(d.lines["inputs"], "inputs", f"expected 1 to {LIMITS['inputs']} inputs, got {inp}")
    elif isinstance(inp, list) and 1 <= len(inp) <= LIMITS["inputs"]:
        for name in inp:
            _check_name(v, name, d.lines["inputs"], "inputs")
        if len(set(inp)) != len(inp):
            v.fail(d.lines["inputs"], "inputs", "each input needs its own name")
    else:
        v.fail(d.lines["inputs"], "inputs", f"expected a count (1 to {LIMITS['inputs']}) or a list of input names, "
               f"got {_describe(inp)}")
    names = _input_names(d)
    units = d["units"]
    if not isinstance(units, _Mapping) or not units:
        v.fail(d.lines["units"], "units", "expected a mapping of unit names to {weights: {...}, bias: b} "
               f"(or threshold: θ), got {_describe(units)}")
    show = d.get("show", "all")
    if show not in ("all", "outputs"):
        v.fail(d.lines.get("show", d.line), "show", f"expected all (every unit on every row) or outputs (only the "
               f"units with targets), got {_describe(show)}")
    sfx = "" if show == "all" else "_outputs"
    max_units, max_evals = LIMITS["units" + sfx], LIMITS["rows_x_units" + sfx]
    if len(units) > max_units:
        v.fail(d.lines["units"], "units", f"{len(units)} units; at most {max_units} make a readable solution"
               + (f" (show: outputs allows {LIMITS['units_outputs']})" if show == "all" else ""))
    known = list(names)
    for name, spec in units.items():
        line, where = units.lines[name], f"units.{_key(name)}"
        _check_name(v, name, line, where)
        if name in known:
            v.fail(line, where, f"the name {ascii(name)} is already an input or an earlier unit")
        if not isinstance(spec, _Mapping):
            v.fail(line, where, f"expected {{weights: {{...}}, bias: b}} or a threshold, got {_describe(spec)}")
        for k in spec:
            if k not in _UNIT_KEYS:
                v.fail(spec.lines[k], f"{where}.{_key(k)}", f"unknown key {ascii(k)}; expected one of "
                       f"{', '.join(sorted(_UNIT_KEYS))}")
        if ("bias" in spec) == ("threshold" in spec):
            v.fail(line, where, "give either bias (net = Σ w·x + b) or threshold (net = Σ w·x − θ), "
                   f"not {'both' if 'bias' in spec else 'neither'}")
        key = "bias" if "bias" in spec else "threshold"
        if not _number(spec[key]):
            v.fail(spec.lines[key], f"{where}.{key}", f"expected a number, got {_describe(spec[key])}")
        w = spec.get("weights")
        if not isinstance(w, _Mapping) or not w:
            v.fail(spec.lines.get("weights", line), f"{where}.weights", "expected a mapping of inputs or earlier "
                   f"units to weights, e.g. {{x1: 1, x2: -1}}, got {_describe(w)}")
        for src, wt in w.items():
            if src not in known:
                what = "a later unit" if src in units else "not an input or unit"
                v.fail(w.lines[src], f"{where}.weights.{_key(src)}", f"{ascii(src)} is {what}; a unit reads "
                       f"{', '.join(known)}")
            if not _number(wt):
                v.fail(w.lines[src], f"{where}.weights.{_key(src)}", f"expected a number, got {_describe(wt)}")
        known.append(name)
    act = d.get("activation", "step")
    if act not in ("step", "sign"):
        v.fail(d.lines.get("activation", d.line), "activation", f"expected step (0/1) or sign (−1/+1), got {act!r}")
    lo, hi = (0, 1) if act == "step" else (-1, 1)
    if "at_zero" in d and not _number(d["at_zero"]):
        v.fail(d.lines["at_zero"], "at_zero", f"expected the output at net = 0 (a number), "
               f"got {_describe(d['at_zero'])}")
    levels = d.get("levels", [0, 1])
    if not isinstance(levels, list) or len(levels) != 2 or not all(_number(x) for x in levels) or \
            not levels[0] < levels[1]:
        v.fail(d.lines.get("levels", d.line), "levels", f"expected the two input values, low first, e.g. [0, 1] "
               f"or [-1, 1], got {_describe(levels)}")
    rows = d.get("rows", "all")
    n_rows = 2 ** len(names)
    if rows == "all":
        if n_rows > LIMITS["rows"]:
            v.fail(d.lines.get("rows", d.lines["inputs"]), "rows", f"all rows of {len(names)} inputs are {n_rows}, "
                   f"more than {LIMITS['rows']}; list the rows to evaluate")
    elif isinstance(rows, list) and 1 <= len(rows) <= LIMITS["rows"]:
        for i, row in enumerate(rows):
            if not isinstance(row, list) or len(row) != len(names) or any(
                    not _number(x) or x not in levels for x in row):
                v.fail(d.lines["rows"], f"rows[{i}]", f"expected {len(names)} values, each {levels[0]} or "
                       f"{levels[1]}, got {_describe(row)}")
        n_rows = len(rows)
    else:
        v.fail(d.lines.get("rows", d.line), "rows", f"expected all or a list of rows (at most {LIMITS['rows']}), "
               f"got {_describe(rows)}")
    if n_rows * len(units) > max_evals:
        v.fail(d.lines["units"], "units", f"{n_rows} rows × {len(units)} units is more than "
               f"{max_evals} unit evaluations; use fewer rows or units" + (" (or show: outputs)" if show == "all"
                                                                            else ""))
    targets = d.get("targets", _Mapping())
    if not isinstance(targets, _Mapping):
        v.fail(d.lines["targets"], "targets", f"expected a mapping of unit names to a gate or one value per row, "
               f"got {_describe(targets)}")
    for name, spec in targets.items():
        line, where = targets.lines[name], f"targets.{_key(name)}"
        if name not in units:
            v.fail(line, where, f"{ascii(name)} is not a unit; expected one of {', '.join(map(_key, units))}")
        if isinstance(spec, str):
            if spec not in GATES:
                v.fail(line, where, f"unknown gate {spec!r}; expected one of {', '.join(GATES)} or one value per row")
        elif not isinstance(spec, list) or len(spec) != n_rows or any(not _number(x) or x not in (lo, hi)
                                                                        for x in spec):
            v.fail(line, where, f"expected a gate or {n_rows} values, each {lo} or {hi}, got {_describe(spec)}")
    if show == "outputs" and not targets:
        v.fail(d.lines["show"], "show", "outputs prints only the units with targets; give targets")


def solve_logic_problem(problem):
    d = problem.data
    units = [Unit(name, dict(spec["weights"]), bias=spec.get("bias"), threshold=spec.get("threshold"))
             for name, spec in d["units"].items()]
    rows = d.get("rows", "all")
    try:
        return explain_logic(_input_names(d), units, rows=None if rows == "all" else rows,
                             activation=d.get("activation", "step"), at_zero=d.get("at_zero"),
                             levels=tuple(d.get("levels", (0, 1))), targets=dict(d.get("targets", {})),
                             show=d.get("show", "all"), title=problem.title)
    except ChalkgradError as e:
        raise ProblemError(f"{problem.path}:{d.lines['units']}: units: {e}") from None


register("logic", validate_logic_problem, solve_logic_problem, {"inputs", "units"},
         {"targets", "activation", "at_zero", "levels", "rows", "show"})
