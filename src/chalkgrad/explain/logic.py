"""Networks of step units (threshold logic) evaluated on a truth table, with their formulas.

A unit computes ``net = Σ w_i·x_i + b`` (or ``Σ w_i·x_i − θ`` with a threshold θ) and outputs
``step(net)``: the high level when net > 0, the low level when net < 0, and a stated value at
net = 0 (``at_zero``). ``activation='step'`` has levels 0 and 1, ``'sign'`` −1 and +1. A unit
reads the network's inputs and any earlier units, so layered networks and trees of gates (an
XOR block feeding the next) are both written unit by unit; a unit's layer is one more than the
layer of its latest input (inputs are layer 0).

:func:`explain_logic` evaluates every row of the truth table at once, layer by layer, with the
library's own tensors (``signals @ W.T + b`` and a comparison), then writes each unit's net and
output per row (``net_h1(3) = x1(3) + x2(3) − 0.5 = 0 + 1 − 0.5 = 0.5``, ``h1(3) = 1``) and, for the
outputs with targets, the number of rows where the network disagrees (``errors(y)``).
"""

from __future__ import annotations

import itertools

import numpy as np

from ..errors import ConfigError
from .expr import Call, Div, Mul, Neg, Num, Sub, Sym, add
from .steps import Solution

__all__ = ["explain_logic", "Unit", "truth_table", "GATES", "LIMITS"]

#: Size limits of a readable solution; with ``show='outputs'`` (only the units with targets printed per row)
#: the network may be larger (``units_outputs``, ``rows_x_units_outputs``).
LIMITS = {"inputs": 8, "rows": 64, "units": 32, "rows_x_units": 1024, "units_outputs": 64,
          "rows_x_units_outputs": 4096}


def _and(b):
    return all(b)


def _or(b):
    return any(b)


def _xor(b):
    return sum(b) % 2 == 1


def _xnor(b):
    # x1 ⊙ x2 ⊙ ... ⊙ xn, left to right: n − 1 XNORs, each the negation of an XOR
    return (sum(b) + len(b) - 1) % 2 == 1


#: Named target functions of all the inputs (booleans: an input is true at its high level).
GATES = {
    "and": _and, "or": _or, "nand": lambda b: not _and(b), "nor": lambda b: not _or(b),
    "xor": _xor, "parity": _xor, "xnor": _xnor, "majority": lambda b: 2 * sum(b) > len(b),
}


class Unit:
    """One step unit: ``weights`` maps an input or earlier unit's name to its weight; give ``bias`` or ``threshold``."""

    def __init__(self, name: str, weights: dict, bias: float | None = None, threshold: float | None = None):
        if (bias is None) == (threshold is None):
            raise ConfigError(f"logic unit {name}: give either a bias or a threshold, not "
                              f"{'both' if bias is not None else 'neither'}")
        self.name, self.weights = name, {k: float(v) for k, v in weights.items()}
        self.bias = None if bias is None else float(bias)
        self.threshold = None if threshold is None else float(threshold)

    @property
    def b(self) -> float:
        return self.bias if self.bias is not None else -self.threshold


def truth_table(n: int, levels=(0, 1)) -> list:
    """All 2^n rows in binary order, the first input the most significant (000, 001, ..., 111)."""
    return [[float(levels[bit]) for bit in bits] for bits in itertools.product((0, 1), repeat=n)]


def _layers_of(inputs, units):
    layer = {name: 0 for name in inputs}
    for u in units:
        if not u.weights:
            raise ConfigError(f"logic unit {u.name}: it has no weights (nothing to read)")
        for src in u.weights:
            if src not in layer:
                where = "a later unit" if any(v.name == src for v in units) else "not an input or unit"
                raise ConfigError(f"logic unit {u.name}: reads {src!r}, which is {where}; a unit reads the inputs "
                                  "and earlier units")
        layer[u.name] = 1 + max(layer[s] for s in u.weights)
    return layer


def _net_formula(u: Unit, r: int):
    """Σ w·x + b written as a person would: x1 + x2 − 2·h2 − 0.5 (a negative weight or bias is subtracted)."""
    acc = None
    for src, w in u.weights.items():
        sym = Sym(f"{src}({r})")
        term = sym if abs(w) == 1 else Mul([Num(abs(w)), sym])
        if acc is None:
            acc = term if w > 0 else Neg(term) if w < 0 else Mul([Num(0), sym])
        else:
            acc = add(acc, term) if w >= 0 else Sub(acc, term)
    c = -u.threshold if u.threshold is not None else u.bias
    if c > 0:
        acc = add(acc, Num(c))
    elif c < 0:
        acc = Sub(acc, Num(-c))
    return acc


def _out_formula(net: Sym, lo: float, hi: float, at_zero: float, activation: str):
    pos, neg = Call("step", net), Call("step", Neg(net))  # [net > 0], [−net > 0]
    if activation == "sign" and (lo, hi, at_zero) == (-1.0, 1.0, 0.0):
        return Call("sign", net)
    span = hi - lo
    if at_zero == hi:  # hi unless net < 0
        return Sub(Num(hi), neg if span == 1 else Mul([Num(span), neg]))
    base = pos if span == 1 else Mul([Num(span), pos])
    if lo != 0:
        base = add(Num(lo), base)
    if at_zero == lo:
        return base
    return add(base, Mul([Num(at_zero - lo), Sub(Sub(Num(1), pos), neg)]))


def _rule(lo, hi, at_zero):
    z = f"{at_zero:g}"
    return f"output {hi:g} if net > 0, {z} if net = 0, {lo:g} if net < 0"


def explain_logic(inputs, units, *, rows=None, activation: str = "step", at_zero: float | None = None,
                  levels=(0, 1), targets: dict | None = None, show: str = "all", title: str | None = None) -> Solution:
    """Evaluate a network of step units on every row of a truth table, unit by unit, with formulas.

    ``inputs``: the input names; ``units``: :class:`Unit` s in order; ``rows``: lists of input values
    (default: all 2^n rows over ``levels``); ``activation``: ``'step'`` (0/1) or ``'sign'`` (−1/+1);
    ``at_zero``: the output at net = 0 (default the high level: the unit fires at its threshold);
    ``targets``: {unit name: a gate name from :data:`GATES` or one value per row}; ``show``: ``'all'`` prints
    every unit on every row, ``'outputs'`` only the units with targets (the others are computed, verified and
    hidden), which allows larger networks (see :data:`LIMITS`).
    """
    import chalkgrad as cg

    inputs = list(inputs)
    units = list(units)
    if activation not in ("step", "sign"):
        raise ConfigError(f"explain_logic: activation must be 'step' (0/1) or 'sign' (−1/+1), got {activation!r}")
    lo, hi = (0.0, 1.0) if activation == "step" else (-1.0, 1.0)
    at_zero = hi if at_zero is None else float(at_zero)
    levels = (float(levels[0]), float(levels[1]))
    n = len(inputs)
    if not 1 <= n <= LIMITS["inputs"]:
        raise ConfigError(f"explain_logic: {n} inputs; a truth-table solution takes 1 to {LIMITS['inputs']}")
    names = inputs + [u.name for u in units]
    if len(set(names)) != len(names):
        dup = next(x for x in names if names.count(x) > 1)
        raise ConfigError(f"explain_logic: the name {dup!r} is used twice (inputs and units need distinct names)")
    if show not in ("all", "outputs"):
        raise ConfigError(f"explain_logic: show must be 'all' (every unit) or 'outputs' (the units with targets), "
                          f"got {show!r}")
    sfx = "" if show == "all" else "_outputs"
    max_units, max_evals = LIMITS["units" + sfx], LIMITS["rows_x_units" + sfx]
    if not 1 <= len(units) <= max_units:
        raise ConfigError(f"explain_logic: {len(units)} units; at most {max_units} make a readable solution"
                          + (" (show: outputs allows " + str(LIMITS["units_outputs"]) + ")" if show == "all" else ""))
    layer = _layers_of(inputs, units)
    depth = max(layer[u.name] for u in units)
    per_layer = [sum(1 for u in units if layer[u.name] == k) for k in range(1, depth + 1)]
    if rows is None:
        if 2 ** n > LIMITS["rows"]:
            raise ConfigError(f"explain_logic: all rows of {n} inputs are {2 ** n}, more than {LIMITS['rows']}; "
                              "list the rows to evaluate")
        rows = truth_table(n, levels)
    rows = [[float(v) for v in row] for row in rows]
    if not 1 <= len(rows) <= LIMITS["rows"]:
        raise ConfigError(f"explain_logic: {len(rows)} rows; at most {LIMITS['rows']}")
    for i, row in enumerate(rows):
        if len(row) != n or any(v not in levels for v in row):
            raise ConfigError(f"explain_logic: row {i + 1} is {row}; expected {n} values, each {levels[0]:g} or "
                              f"{levels[1]:g}")
    if len(rows) * len(units) > max_evals:
        raise ConfigError(f"explain_logic: {len(rows)} rows × {len(units)} units is more than "
                          f"{max_evals} unit evaluations; use fewer rows or units"
                          + (" (or show: outputs)" if show == "all" else ""))
    if show == "outputs" and not targets:
        raise ConfigError("explain_logic: show 'outputs' prints the units with targets; give targets")
    targets = dict(targets or {})
    target_values = {}
    for name, spec in targets.items():
        if name not in layer or name in inputs:
            raise ConfigError(f"explain_logic: target for {name!r}, which is not a unit")
        if isinstance(spec, str):
            if spec not in GATES:
                raise ConfigError(f"explain_logic: unknown gate {spec!r} for {name}; expected one of "
                                  f"{', '.join(GATES)} or one value per row")
            target_values[name] = [hi if GATES[spec]([v == levels[1] for v in row]) else lo for row in rows]
        else:
            vals = [float(v) for v in spec]
            if len(vals) != len(rows) or any(v not in (lo, hi) for v in vals):
                raise ConfigError(f"explain_logic: target of {name}: expected {len(rows)} values, each {lo:g} or "
                                  f"{hi:g}, got {spec}")
            target_values[name] = vals

    # ---- the library's computation: all rows at once, one layer at a time
    col = {nm: j for j, nm in enumerate(names)}
    signals = np.zeros((len(rows), len(names)))
    signals[:, :n] = np.array(rows)
    nets = {}
    for k in range(1, depth + 1):
        group = [u for u in units if layer[u.name] == k]
        w = np.zeros((len(group), len(names)))
        for i, u in enumerate(group):
            for src, wt in u.weights.items():
                w[i, col[src]] = wt
        s = cg.tensor(signals, dtype=cg.float64)
        net = s @ cg.tensor(w, dtype=cg.float64).T + cg.tensor([u.b for u in group], dtype=cg.float64)
        out = cg.where(net > 0, hi, cg.where(net == 0, at_zero, lo))
        net_np, out_np = net.numpy(), out.numpy()
        for i, u in enumerate(group):
            nets[u.name] = net_np[:, i].copy()
            signals[:, col[u.name]] = out_np[:, i]
    errors = {}
    for name, t in target_values.items():
        y = cg.tensor(signals[:, col[name]], dtype=cg.float64)
        errors[name] = float((cg.abs(y - cg.tensor(t, dtype=cg.float64)).sum() / (hi - lo)).item())

    # ---- the worked solution
    sol = Solution(title or f"A network of {len(units)} step unit(s) on {len(rows)} input row(s)")
    sol.conventions.append(
        "Each unit: net = Σ w·x + b (with a threshold θ: net = Σ w·x − θ), then "
        f"{activation}: {_rule(lo, hi, at_zero)}. "
        f"[v > 0] is 1 when v > 0, else 0. Inputs take the values {levels[0]:g} and {levels[1]:g}; "
        "u(r) is unit or input u on row r.")
    sec = sol.section("Network", "inputs are layer 0; a unit is one layer after its latest input; units per layer: "
                      + ", ".join(str(c) for c in per_layer)
                      + ("; on each row only the units with targets are printed (the others are computed and "
                         "checked the same way)" if show == "outputs" else ""))
    sec.derive("units", Num(len(units)), len(units), note="step units (perceptrons) in the network", answer=True)
    sec.derive("layers", Num(depth), depth, note="layers of units: the longest path from an input", answer=True)
    by_name = {u.name: u for u in units}
    for name in target_values:
        cone, todo = set(), [name]
        while todo:
            x = todo.pop()
            if x in by_name and x not in cone:
                cone.add(x)
                todo += list(by_name[x].weights)
        if len(target_values) > 1 or len(cone) != len(units):
            sec.derive(f"units({name})", Num(len(cone)), len(cone), answer=True,
                       note=f"units {name} depends on, itself included")
            sec.derive(f"layers({name})", Num(layer[name]), layer[name], answer=True, note=f"the layer of {name}")
    for r, row in enumerate(rows, start=1):
        head = ", ".join(f"{nm} = {v:g}" for nm, v in zip(inputs, row))
        sec = sol.section(f"Row {r}: {head}")
        for nm, v in zip(inputs, row):
            sec.given(f"{nm}({r})", v).hidden = True
        for u in units:
            net_name = f"net_{u.name}({r})"
            value = float(nets[u.name][r - 1])
            quiet = show == "outputs" and u.name not in target_values
            sec.derive(net_name, _net_formula(u, r), value).hidden = quiet
            out = float(signals[r - 1, col[u.name]])
            note = "net > 0" if value > 0 else "net = 0" if value == 0 else "net < 0"
            sec.derive(f"{u.name}({r})", _out_formula(Sym(net_name), lo, hi, at_zero, activation), out,
                       note=note, answer=u.name in target_values).hidden = quiet
        for name, t in target_values.items():
            y = signals[r - 1, col[name]]
            sec.given(f"t_{name}({r})", t[r - 1], note="target" + (" ✓" if y == t[r - 1] else " ✗ differs"))
    if target_values:
        sec = sol.section("Check against the targets", "rows where the output differs from its target")
        for name in target_values:
            diffs = add(*[Call("abs", Sub(Sym(f"{name}({r})"), Sym(f"t_{name}({r})")))
                          for r in range(1, len(rows) + 1)])
            formula = diffs if hi - lo == 1 else Div(diffs, Num(hi - lo))
            spec = targets[name]
            sec.derive(f"errors({name})", formula, errors[name], answer=True,
                       note=(f"target {spec}" if isinstance(spec, str) else "the given targets")
                       + ("; the network computes it on every row" if errors[name] == 0 else ""))
    sol.verify()
    return sol
