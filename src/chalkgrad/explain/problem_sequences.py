"""Problem kinds for recurrent steps and the classic learners: rnn, perceptron, knn, svm.

Imported by :mod:`.problem_kinds`, which calls nothing here but the ``register`` calls at import.
The reference is docs/sequence-problems.md; in short::

    kind: rnn                         # one recurrent layer, step by step
    cell: lstm                        # rnn | lstm | gru
    weights: {W_ih: [[...]], W_hh: [[...]], b_ih: [...], b_hh: [...]}   # or weight_ih, weight_hh, ...
    inputs: [[0.5], [-1.0]]           # (steps, input_size)
    h0: [0.0]                         # optional, c0 too for an LSTM
    target: [0.2]                     # optional: E = ½·Σ (h_T − y)², for bptt
    bptt: [W_hh]                      # weights whose gradient to write out over the steps
    show: [steps, params, bptt]

    kind: perceptron                  # gate: and | or | nand | nor | xor | not, or inputs + targets
    gate: and
    weights: [0.3, -0.1]              # initial weights; bias: 0.2 or threshold: 0.2
    lr: 0.1
    epochs: 10

    kind: knn
    points: [[1, 2], [2, 3]]
    labels: [a, b]
    query: [2, 2]
    k: 1                              # metric: euclidean | manhattan | minkowski | cosine; weights; task

    kind: svm
    points: [[1, 1], [0, 0]]
    labels: [1, -1]
    C: 10                             # kernel: linear; estimator: svc | linear_svc; query: points to classify
"""

from __future__ import annotations

import numpy as np

from ..errors import ChalkgradError, ProblemError
from .problem import _describe, _Mapping
from .problem_kinds import register

__all__ = ["WEIGHT_KEYS", "ACTIVATION_KEYS"]

_CELLS = {"rnn": 1, "lstm": 4, "gru": 3}
#: accepted names of each parameter in ``weights``
WEIGHT_KEYS = {
    "W_ih": "weight_ih", "weight_ih": "weight_ih", "weight_ih_l0": "weight_ih",
    "W_hh": "weight_hh", "weight_hh": "weight_hh", "weight_hh_l0": "weight_hh",
    "b_ih": "bias_ih", "bias_ih": "bias_ih", "bias_ih_l0": "bias_ih",
    "b_hh": "bias_hh", "bias_hh": "bias_hh", "bias_hh_l0": "bias_hh",
}
#: which activation options each cell takes
ACTIVATION_KEYS = {
    "rnn": ("nonlinearity",),
    "lstm": ("gate_activation", "candidate_activation", "cell_activation"),
    "gru": ("gate_activation", "candidate_activation"),
}
_ACTS = ("tanh", "sigmoid", "relu", "identity", "linear")
_RNN_SHOW = ("steps", "params", "bptt")
_BIG = 1e6


def _number(v, d, key, line=None, positive=False, integer=False, lo=None, hi=None):
    val = d[key]
    ok = isinstance(val, (int, float)) and not isinstance(val, bool) and np.isfinite(val)
    if ok and integer:
        ok = isinstance(val, int)
    if ok and positive:
        ok = val > 0
    if ok and lo is not None:
        ok = lo <= val <= hi
    if not ok:
        what = "an integer" if integer else "a positive number" if positive else "a number"
        rng = f" from {lo:g} to {hi:g}" if lo is not None else ""
        v.fail(d.lines[key], key, f"expected {what}{rng}, got {_describe(val)}")
    return val


def _array(v, value, where, line, ndim, big=_BIG):
    arr = v.matrix(value, where, line, ndim)
    if np.abs(arr).max() > big:
        v.fail(line, where, f"numbers must be at most {big:g} in size for a worked solution")
    return arr


def _rows(v, value, where, line, max_rows, max_cols, big=_BIG):
    """A list of rows (a flat list means one number per row)."""
    if isinstance(value, list) and value and all(isinstance(x, (int, float)) and not isinstance(x, bool)
                                                 for x in value):
        arr = _array(v, value, where, line, 1, big)[:, None]
    else:
        arr = _array(v, value, where, line, 2, big)
    if arr.shape[0] > max_rows or arr.shape[1] > max_cols:
        v.fail(line, where, f"shape {arr.shape} is too large for a worked solution (at most {max_rows} rows of "
               f"{max_cols} numbers)")
    return arr


def _choice(v, d, key, choices, default):
    val = d.get(key, default)
    if not isinstance(val, str) or val not in choices:
        v.fail(d.lines.get(key, d.line), key, f"unknown {key} {val!r}; expected one of {', '.join(choices)}")
    return val


def _labels(v, d, key, n):
    labels = d[key]
    line = d.lines[key]
    if not isinstance(labels, list) or len(labels) != n:
        v.fail(line, key, f"expected a list of {n} labels (one per point), got {_describe(labels)}")
    numbers = all(isinstance(x, (int, float)) and not isinstance(x, bool) and np.isfinite(x) for x in labels)
    names = all(isinstance(x, str) and x and len(x) <= 20 and x.replace("_", "").isalnum() for x in labels)
    if not (numbers or names):
        v.fail(line, key, f"labels must be all numbers or all short names (letters, digits, _), got "
               f"{_describe(labels)}")
    return labels


def _safely(problem, fn):
    """Run a solver; numerical trouble becomes a ProblemError naming the file (never a traceback)."""
    try:
        return fn()
    except ChalkgradError:
        raise
    except (AssertionError, ArithmeticError, ValueError) as e:
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise ProblemError(f"{problem.path}:{problem.data.line}: the computation failed ({msg})") from None


# ----------------------------------------------------------------------------- rnn
def _rnn_weights(v, d):
    cell = d["cell"]
    if not isinstance(cell, str) or cell.lower() not in _CELLS:
        v.fail(d.lines["cell"], "cell", f"unknown cell {cell!r}; expected one of {', '.join(_CELLS)}")
    cell = cell.lower()
    G = _CELLS[cell]
    w = d["weights"]
    if not isinstance(w, _Mapping) or not w:
        v.fail(d.lines["weights"], "weights", f"expected a mapping with W_ih, W_hh and optionally b_ih, b_hh "
               f"(or torch's weight_ih, weight_hh, bias_ih, bias_hh), got {_describe(w)}")
    found = {}
    for k in w:
        if k not in WEIGHT_KEYS:
            v.fail(w.lines[k], f"weights.{k}", f"unknown weight {k!r}; expected one of {', '.join(WEIGHT_KEYS)}")
        canon = WEIGHT_KEYS[k]
        if canon in found:
            v.fail(w.lines[k], f"weights.{k}", f"gives {canon} a second time (as {found[canon]!r} too)")
        found[canon] = k
    for need in ("weight_ih", "weight_hh"):
        if need not in found:
            v.fail(w.line, "weights", f"missing {need} (W_{need[-2:]})")
    if "bias_hh" in found and "bias_ih" not in found:
        v.fail(w.lines[found["bias_hh"]], f"weights.{found['bias_hh']}",
               "b_hh without b_ih; for one bias per gate give b_ih only")
    arrays = {}
    k = found["weight_hh"]
    whh = _array(v, w[k], f"weights.{k}", w.lines[k], 2, 1e3)
    H = whh.shape[1]
    if whh.shape[0] != G * H:
        v.fail(w.lines[k], f"weights.{k}", f"has shape {whh.shape}; a {cell} with hidden size {H} needs "
               f"({G * H}, {H}) ({G} gate(s) stacked)")
    if H > 8:
        v.fail(w.lines[k], f"weights.{k}", f"hidden size {H} is too large for a worked solution (at most 8)")
    arrays["weight_hh"] = whh
    k = found["weight_ih"]
    wih = _array(v, w[k], f"weights.{k}", w.lines[k], 2, 1e3)
    if wih.shape[0] != G * H or wih.shape[1] > 8:
        v.fail(w.lines[k], f"weights.{k}", f"has shape {wih.shape}; expected ({G * H}, input_size) with "
               f"input_size at most 8")
    arrays["weight_ih"] = wih
    for canon in ("bias_ih", "bias_hh"):
        if canon in found:
            k = found[canon]
            b = _array(v, w[k], f"weights.{k}", w.lines[k], 1, 1e3)
            if b.shape != (G * H,):
                v.fail(w.lines[k], f"weights.{k}", f"has {b.size} values; expected {G * H} ({G} gate(s) × {H} "
                       f"units)")
            arrays[canon] = b
        else:
            arrays[canon] = None
    return cell, arrays


def _validate_rnn(v, d):
    from .sequences import recurrent_weight_names

    v.keys(d, "rnn_problem", "problem", d.line)
    cell, arrays = _rnn_weights(v, d)
    H, n_in = arrays["weight_hh"].shape[1], arrays["weight_ih"].shape[1]
    x = _rows(v, d["inputs"], "inputs", d.lines["inputs"], 10, 8, 1e3)
    if x.shape[1] != n_in:
        v.fail(d.lines["inputs"], "inputs", f"each step has {x.shape[1]} value(s), but W_ih has {n_in} column(s) "
               f"(input_size)")
    for key in ("h0", "c0", "target"):
        if key in d:
            if key == "c0" and cell != "lstm":
                v.fail(d.lines[key], key, f"c0 is the cell state of an LSTM; a {cell} has none")
            s = _array(v, d[key], key, d.lines[key], 1, 1e3)
            if s.shape != (H,):
                v.fail(d.lines[key], key, f"has {s.size} value(s); expected {H} (one per hidden unit)")
    for key in ("nonlinearity", "gate_activation", "candidate_activation", "cell_activation"):
        if key in d:
            if key not in ACTIVATION_KEYS[cell]:
                v.fail(d.lines[key], key, f"a {cell} takes {', '.join(ACTIVATION_KEYS[cell])}, not {key}")
            _choice(v, d, key, _ACTS, "tanh")
    show = d.get("show", ["steps", "bptt"] if "bptt" in d else ["steps"])
    if not isinstance(show, list) or not show or any(not isinstance(s, str) or s not in _RNN_SHOW for s in show):
        v.fail(d.lines.get("show", d.line), "show", f"expected a list from {', '.join(_RNN_SHOW)}, got {show!r}")
    style = None if arrays["bias_ih"] is None else "torch" if arrays["bias_hh"] is not None else "single"
    names = recurrent_weight_names(cell, n_in, H, style)
    valid = [n for rows in names.values() for r in rows for n in (r if isinstance(r, list) else [r])]
    if "bptt" in d:
        b = d["bptt"]
        if not isinstance(b, list) or not all(isinstance(n, str) for n in b) or len(b) > 8:
            v.fail(d.lines["bptt"], "bptt", f"expected a list of at most 8 weight names (a name with commas, "
                   f"W_hh,1,2, goes on its own line '- W_hh,1,2' or in quotes), got {_describe(b)}")
        for n in b:
            if n not in valid:
                shown = ", ".join(valid[:12]) + (", ..." if len(valid) > 12 else "")
                v.fail(d.lines["bptt"], "bptt", f"unknown weight {n!r}; expected one of {shown}")
    if "bptt" in show and "target" not in d:
        v.fail(d.lines.get("show", d.line), "show", "bptt needs a target (target: [...], one value per hidden "
               "unit) for the loss E = ½·Σ (h_T − y)²")
    if "bptt" in show and cell != "rnn" and not d.get("bptt"):
        v.fail(d.lines.get("show", d.line), "show", "bptt for an lstm or gru needs the weights to show "
               "(bptt: [W_hi,1,1, ...])")


def _solve_rnn(problem):
    from .sequences import explain_recurrent, recurrent_layer

    d = problem.data
    cell = d["cell"].lower()
    arrays = {WEIGHT_KEYS[k]: np.asarray(val, dtype=np.float64) for k, val in d["weights"].items()}
    acts = {k: ("identity" if d[k] == "linear" else d[k]) for k in ACTIVATION_KEYS[cell] if k in d}
    x = np.asarray(d["inputs"], dtype=np.float64)
    show = d.get("show", ["steps", "bptt"] if "bptt" in d else ["steps"])

    def run():
        layer = recurrent_layer(cell, arrays["weight_ih"], arrays["weight_hh"], arrays.get("bias_ih"),
                                arrays.get("bias_hh"), **acts)
        return explain_recurrent(layer, x, h0=d.get("h0"), c0=d.get("c0"), target=d.get("target"),
                                 bptt=d.get("bptt", ()), show=show, title=problem.title)
    return _safely(problem, run)


# ----------------------------------------------------------------------------- perceptron
def _validate_perceptron(v, d):
    from .classic import GATES, MAX_EPOCHS, MAX_FEATURES, MAX_SAMPLES

    v.keys(d, "perceptron_problem", "problem", d.line)
    if "gate" in d:
        if "inputs" in d or "targets" in d:
            v.fail(d.lines["gate"], "gate", "give either a gate or inputs and targets, not both")
        gate = d["gate"]
        if not isinstance(gate, str) or gate.lower() not in GATES:
            v.fail(d.lines["gate"], "gate", f"unknown gate {gate!r}; expected one of {', '.join(GATES)}")
        n_in = len(GATES[gate.lower()][0][0])
        n = len(GATES[gate.lower()][1])
    else:
        for key in ("inputs", "targets"):
            if key not in d:
                v.fail(d.line, "problem", f"missing key '{key}' (or give a gate: and, or, ...)")
        X = _rows(v, d["inputs"], "inputs", d.lines["inputs"], MAX_SAMPLES, MAX_FEATURES)
        t = _array(v, d["targets"], "targets", d.lines["targets"], 1)
        n, n_in = X.shape
        if t.shape != (n,):
            v.fail(d.lines["targets"], "targets", f"has {t.size} values; expected {n} (one per input row)")
    coding = _choice(v, d, "coding", ("binary", "bipolar"), "binary")
    if "gate" in d and coding != "binary":
        v.fail(d.lines["coding"], "coding", "logic gates are given with binary targets (0/1)")
    if "targets" in d:
        allowed = {0.0, 1.0} if coding == "binary" else {-1.0, 1.0}
        t = np.asarray(d["targets"], dtype=np.float64)
        if not set(t.tolist()) <= allowed:
            v.fail(d.lines["targets"], "targets", f"{coding} targets must be {sorted(allowed)}, got "
                   f"{sorted(set(t.tolist()))}")
        if len(set(t.tolist())) < 2:
            v.fail(d.lines["targets"], "targets", "the targets hold one class only; the rule needs both")
    if "weights" in d:
        w = _array(v, d["weights"], "weights", d.lines["weights"], 1)
        if w.shape != (n_in,):
            v.fail(d.lines["weights"], "weights", f"has {w.size} values; expected {n_in} (one per input)")
    if "bias" in d and "threshold" in d:
        v.fail(d.lines["threshold"], "threshold", "give a bias (net = w·x + b) or a threshold (net = w·x − θ), "
               "not both")
    for key in ("bias", "threshold"):
        if key in d:
            _number(v, d, key, lo=-_BIG, hi=_BIG)
    if "lr" in d:
        _number(v, d, "lr", positive=True)
        if d["lr"] > _BIG:
            v.fail(d.lines["lr"], "lr", f"expected at most {_BIG:g}")
    if "epochs" in d:
        _number(v, d, "epochs", integer=True, lo=1, hi=MAX_EPOCHS)
    if "step_at_zero" in d:
        allowed = (0, 1) if coding == "binary" else (-1, 0, 1)
        val = d["step_at_zero"]
        if isinstance(val, bool) or val not in allowed:
            v.fail(d.lines["step_at_zero"], "step_at_zero", f"expected one of {allowed} for {coding} outputs, "
                   f"got {val!r}")


def _solve_perceptron(problem):
    from .classic import explain_perceptron, logic_gate

    d = problem.data
    if "gate" in d:
        X, t = logic_gate(d["gate"])
    else:
        X = np.asarray(d["inputs"], dtype=np.float64)
        X = X[:, None] if X.ndim == 1 else X
        t = np.asarray(d["targets"], dtype=np.float64)
    form = "threshold" if "threshold" in d else "bias"
    return _safely(problem, lambda: explain_perceptron(
        X, t, eta=float(d.get("lr", 1.0)), epochs=d.get("epochs", 10), w_init=d.get("weights"),
        b_init=float(d.get("threshold", d.get("bias", 0.0))), form=form, targets=d.get("coding", "binary"),
        step_at_zero=d.get("step_at_zero"), title=problem.title))


# ----------------------------------------------------------------------------- knn
def _validate_knn(v, d):
    from .classic import MAX_FEATURES, MAX_SAMPLES

    v.keys(d, "knn_problem", "problem", d.line)
    X = _rows(v, d["points"], "points", d.lines["points"], MAX_SAMPLES, MAX_FEATURES)
    n, n_in = X.shape
    task = _choice(v, d, "task", ("classification", "regression"), "classification")
    labels = _labels(v, d, "labels", n)
    if task == "regression" and not all(isinstance(x, (int, float)) for x in labels):
        v.fail(d.lines["labels"], "labels", "regression needs numbers as targets")
    q = _array(v, d["query"], "query", d.lines["query"], 1)
    if q.shape != (n_in,):
        v.fail(d.lines["query"], "query", f"has {q.size} value(s); the points have {n_in}")
    _number(v, d, "k", integer=True, lo=1, hi=n)
    metric = _choice(v, d, "metric", ("euclidean", "manhattan", "minkowski", "cosine"), "euclidean")
    if "p" in d:
        if metric != "minkowski":
            v.fail(d.lines["p"], "p", "p is the exponent of the minkowski metric (metric: minkowski)")
        _number(v, d, "p", lo=1, hi=100)
    _choice(v, d, "weights", ("uniform", "distance"), "uniform")
    if metric == "cosine" and (not np.any(q) or not np.all(np.any(X, axis=1))):
        v.fail(d.lines["metric"], "metric", "the cosine distance is undefined for a zero vector (query or point)")


def _solve_knn(problem):
    from .classic import explain_knn

    d = problem.data
    X = np.asarray(d["points"], dtype=np.float64)
    X = X[:, None] if X.ndim == 1 else X
    return _safely(problem, lambda: explain_knn(
        X, d["labels"], d["query"], k=d["k"], metric=d.get("metric", "euclidean"), p=d.get("p", 2),
        weights=d.get("weights", "uniform"), task=d.get("task", "classification"), title=problem.title))


# ----------------------------------------------------------------------------- svm
def _validate_svm(v, d):
    from .classic import MAX_FEATURES, MAX_SAMPLES

    v.keys(d, "svm_problem", "problem", d.line)
    X = _rows(v, d["points"], "points", d.lines["points"], MAX_SAMPLES, MAX_FEATURES, 1e4)
    n, n_in = X.shape
    labels = _labels(v, d, "labels", n)
    if len(set(labels)) != 2:
        v.fail(d.lines["labels"], "labels", f"a worked SVM needs exactly two classes, got {len(set(labels))}")
    if "C" in d:
        _number(v, d, "C", positive=True)
        if d["C"] > _BIG:
            v.fail(d.lines["C"], "C", f"expected at most {_BIG:g} (a hard margin is C large, e.g. 1000)")
    _choice(v, d, "kernel", ("linear",), "linear")
    _choice(v, d, "estimator", ("svc", "linear_svc"), "svc")
    if "query" in d:
        Q = _rows(v, d["query"], "query", d.lines["query"], MAX_SAMPLES, MAX_FEATURES, 1e4)
        if Q.shape[1] != n_in:
            if n_in > 1 and Q.shape == (n_in, 1):  # one point written flat
                return
            v.fail(d.lines["query"], "query", f"points of {Q.shape[1]} value(s); the training points have {n_in}")


def _solve_svm(problem):
    from .classic import explain_svm

    d = problem.data
    X = np.asarray(d["points"], dtype=np.float64)
    X = X[:, None] if X.ndim == 1 else X
    Q = None
    if "query" in d:
        Q = np.asarray(d["query"], dtype=np.float64)
        Q = Q.reshape(1, -1) if Q.ndim == 1 and X.shape[1] > 1 else (Q[:, None] if Q.ndim == 1 else Q)
    return _safely(problem, lambda: explain_svm(X, d["labels"], C=float(d.get("C", 1.0)),
                                                estimator=d.get("estimator", "svc"), points=Q, title=problem.title))


register("rnn", _validate_rnn, _solve_rnn, {"cell", "weights", "inputs"},
         {"h0", "c0", "target", "bptt", "show", "nonlinearity", "gate_activation", "candidate_activation",
          "cell_activation"})
register("perceptron", _validate_perceptron, _solve_perceptron, set(),
         {"gate", "inputs", "targets", "weights", "bias", "threshold", "lr", "epochs", "coding", "step_at_zero"})
register("knn", _validate_knn, _solve_knn, {"points", "labels", "query", "k"}, {"metric", "p", "weights", "task"})
register("svm", _validate_svm, _solve_svm, {"points", "labels"}, {"C", "kernel", "estimator", "query"})
