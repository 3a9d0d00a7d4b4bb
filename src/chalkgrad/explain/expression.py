"""Worked solutions of scalar expressions and their gradients, node by node (a computation graph).

:func:`explain_expression` takes named inputs (numbers or short vectors) and ordered named
definitions such as ``{"a": "x*y", "b": "a + z", "f": "sigmoid(b)"}``, and writes out

* the forward pass: every operation of every definition is one quantity (defined names keep
  their names; the operations inside a definition are named ``u1, u2, ...``), with its formula,
  the numbers put in and its value;
* the backward pass (for the inputs listed in ``gradients``): the seed ``∂f/∂f = 1``, then for each
  node, from the output back to the inputs, the local derivative ``∂c/∂a`` of each consumer ``c``
  and the adjoint ``∂f/∂a = Σ_c ∂f/∂c · ∂c/∂a`` (summed over the consumers, as reverse mode does);
  ``a − b`` counts as ``a + (−1)·b``, so its local derivative −1 is shown.

The expressions are parsed with :mod:`ast` and only arithmetic, names, numbers, lists of numbers
and the functions of :data:`FUNCTIONS` are accepted. Values come from chalkgrad's own ops on
float64 tensors: forward values from the forward pass, adjoints from ``backward`` with
``retain_grad`` on every intermediate, local derivatives from the library's backward of each
operation alone; the formulas are then checked against them by :meth:`~.steps.Solution.verify`.

A vector quantity ``p`` of ``n`` numbers is written as its elements ``p_1 … p_n``.
"""

from __future__ import annotations

import ast
import copy
import math
import unicodedata
from dataclasses import dataclass, field

import numpy as np

from ..errors import ConfigError
from .expr import Add, Call, Div, Expr, Mul, Neg, Num, Pow, Sub, Sym, add
from .steps import Solution

__all__ = [
    "explain_expression", "check_expression", "parse_definitions", "ExpressionError", "FUNCTIONS", "MAX_VECTOR",
    "MAX_OPERATIONS",
]

MAX_LENGTH = 400  # characters of one definition
MAX_DEFINITIONS = 40
MAX_OPERATIONS = 80  # operations over all definitions
MAX_VECTOR = 8  # numbers in one vector
MAX_STEPS = 600  # scalar steps of the whole solution
MAX_DEPTH = 30  # nesting of one expression
_MAX_ABS = 1e15  # largest number accepted as a literal or an input


class ExpressionError(ConfigError):
    """A ConfigError that knows which part of the problem it is about: ``where`` is ``("define", name)``,
    ``("values", name)`` or ``("gradients", None)``."""

    def __init__(self, message: str, where=(None, None)):
        super().__init__(f"{where[1]}: {message}" if where[1] else message)
        self.where = where
        self.detail = message  # the message without the name it is about


# ----------------------------------------------------------------------------- formula nodes beyond expr.py
def _heaviside(x: float, at_zero: float) -> float:
    return 1.0 if x > 0 else at_zero if x == 0 else 0.0


_EXTRA_FUNCS = {
    "sin": (math.sin, r"\sin"), "cos": (math.cos, r"\cos"), "max": (max, r"\max"), "min": (min, r"\min"),
    "round": (lambda v: float(round(v)), r"\operatorname{round}"),  # half to even, as NumPy and PyTorch
    "heaviside": (_heaviside, r"H"),
}


@dataclass(eq=False)
class Fn(Expr):
    """sin, cos, round (one argument) and max, min, heaviside (two), which expr.Call does not have.

    ``round`` rounds half to even (round(2.5) = 2), as ``numpy.round`` and ``torch.round``;
    ``heaviside(x, v)`` is 1 for x > 0, 0 for x < 0 and v at x = 0, as ``torch.heaviside``.
    """

    fn: str
    args: list

    @property
    def children(self):
        return self.args

    def text(self, values=None, precision=6):
        return f"{self.fn}(" + ", ".join(a.text(values, precision) for a in self.args) + ")"

    def tex(self, values=None, precision=6):
        inner = ", ".join(a.tex(values, precision) for a in self.args)
        return _EXTRA_FUNCS[self.fn][1] + r"\left(" + inner + r"\right)"

    def evaluate(self, values):
        return float(_EXTRA_FUNCS[self.fn][0](*[a.evaluate(values) for a in self.args]))


def _half(x: Expr) -> Expr:
    return Div(x, Num(2))


# ----------------------------------------------------------------------------- operations
class _Op:
    """One operation: its shape rule, its library computation, its formula and its local derivatives.

    ``partials(k, j, A, O)`` gives ``{i: ∂out_k/∂arg_j[i]}`` for the entries that are not structurally zero;
    ``A[j]`` lists the formula nodes of argument j's elements, ``O`` those of the output's elements.
    """

    nargs: tuple = (1,)
    no_grad: tuple = ()  # argument positions with no gradient shown (targets of losses)
    fixed_what: str = "the target"  # what an argument in no_grad is, for messages
    note: str = ""
    forward_note: str = ""  # a remark printed with the forward value (set by compute() where it depends on values)
    note_args: tuple | None = None  # argument positions whose local derivative gets the note (None: all)

    def __init__(self, name):
        self.name = name

    def shape(self, shapes):
        return _broadcast(self.name, shapes)

    def check(self, args):
        """Extra checks on the argument nodes (values known before computing); raise ExpressionError."""


def _broadcast(name, shapes):
    vectors = {s for s in shapes if s is not None}
    if len(vectors) > 1:
        raise ConfigError(f"{name}: the arguments have {' and '.join(str(s) for s in sorted(vectors))} numbers; "
                          "element by element needs equal lengths (or a single number)")
    return vectors.pop() if vectors else None


def _pick(A, j, k):
    return A[j][0] if len(A[j]) == 1 else A[j][k]


class _Elementwise(_Op):
    def __init__(self, name, formula, partials, compute, note=""):
        super().__init__(name)
        self._formula, self._partials, self._compute, self.note = formula, partials, compute, note
        self.nargs = (len(partials),)

    def compute(self, *t):
        return self._compute(*t)

    def formula(self, k, A):
        return self._formula(*[_pick(A, j, k) for j in range(len(A))])

    def partials(self, k, j, A, O):
        args = [_pick(A, j2, k) for j2 in range(len(A))]
        return {0 if len(A[j]) == 1 else k: self._partials[j](args, O[k])}


def _cg():
    import chalkgrad as cg

    return cg


def _F():
    import chalkgrad.nn.functional as F

    return F


def _unary(name, formula, derivative, compute, note=""):
    return _Elementwise(name, formula, [lambda a, o: derivative(a[0], o)], compute, note)


def _binary(name, formula, da, db, compute, note=""):
    return _Elementwise(name, formula, [da, db], compute, note)


class _Sum(_Op):
    def shape(self, shapes):
        return None

    def compute(self, a):
        return a.sum()

    def formula(self, k, A):
        return add(*A[0])

    def partials(self, k, j, A, O):
        return {i: Num(1) for i in range(len(A[0]))}


class _Mean(_Sum):
    def compute(self, a):
        return a.mean()

    def formula(self, k, A):
        return Div(add(*A[0]), Num(len(A[0]))) if len(A[0]) > 1 else A[0][0]

    def partials(self, k, j, A, O):
        n = len(A[0])
        return {i: Div(Num(1), Num(n)) if n > 1 else Num(1) for i in range(n)}


class _Dot(_Op):
    nargs = (2,)

    def shape(self, shapes):
        if shapes[0] != shapes[1]:
            raise ConfigError(f"dot: the vectors have {_count(shapes[0])} and {_count(shapes[1])} numbers; "
                              "expected equal lengths")
        return None

    def compute(self, a, b):
        return (a * b).sum()

    def formula(self, k, A):
        return add(*[Mul([a, b]) for a, b in zip(A[0], A[1])])

    def partials(self, k, j, A, O):
        return {i: A[1 - j][i] for i in range(len(A[0]))}


def _count(shape):
    return "1" if shape is None else str(shape)


def _need_vector(name, shape):
    if shape is None:
        raise ConfigError(f"{name}: expected a vector (a list of numbers), got a single number")


class _Softmax(_Op):
    note = "∂p_k/∂z_i = p_k·(1 − p_k) for i = k, −p_k·p_i otherwise"

    def shape(self, shapes):
        _need_vector(self.name, shapes[0])
        return shapes[0]

    def compute(self, a):
        return _cg().softmax(a, dim=-1)

    def formula(self, k, A):
        return Div(Call("exp", A[0][k]), add(*[Call("exp", z) for z in A[0]]))

    def partials(self, k, j, A, O):
        return {i: Mul([O[k], Sub(Num(1), O[k])]) if i == k else Neg(Mul([O[k], O[i]])) for i in range(len(A[0]))}


class _LogSoftmax(_Softmax):
    note = "∂l_k/∂z_i = [i = k] − e^(l_i), where e^(l_i) is softmax_i"

    def compute(self, a):
        return _cg().log_softmax(a, dim=-1)

    def formula(self, k, A):
        return Sub(A[0][k], Call("ln", add(*[Call("exp", z) for z in A[0]])))

    def partials(self, k, j, A, O):
        return {i: Sub(Num(1), Call("exp", O[i])) if i == k else Neg(Call("exp", O[i])) for i in range(len(A[0]))}


class _Loss(_Op):
    nargs = (2,)
    no_grad = (1,)

    def shape(self, shapes):
        if shapes[0] != shapes[1]:
            raise ConfigError(f"{self.name}: the prediction has {_count(shapes[0])} number(s) and the target "
                              f"{_count(shapes[1])}; expected the same")
        return None


class _MSE(_Loss):
    note = "mean squared error: ∂L/∂p_i = 2·(p_i − t_i)/n"

    def compute(self, p, t):
        return _F().mse_loss(p, t)

    def formula(self, k, A):
        n = len(A[0])
        total = add(*[Pow(Sub(p, t), Num(2)) for p, t in zip(A[0], A[1])])
        return Div(total, Num(n)) if n > 1 else total

    def partials(self, k, j, A, O):
        n = len(A[0])
        return {i: Div(Mul([Num(2), Sub(A[0][i], A[1][i])]), Num(n)) if n > 1 else
                Mul([Num(2), Sub(A[0][i], A[1][i])]) for i in range(n)}


def _values_of(node, what):
    if node.values is None:
        raise ConfigError(f"{what} must be numbers or given values, not a computed quantity")
    return np.atleast_1d(node.values)


#: PyTorch's floor for p·(1 − p) in the BCE gradient (1e-12 rounded to float32), as chalkgrad's binary_cross_entropy.
_BCE_EPS = float(np.float32(1e-12))
_LOG_FLOOR = -100.0  # PyTorch (and chalkgrad) clamp each log of binary_cross_entropy at −100


class _Labelled(Num):
    """A constant printed by its label (1e−12 would print as the 0 of rounding noise)."""

    def __init__(self, value, label, tex_label):
        super().__init__(value, label)
        self.tex_label = tex_label

    def tex(self, values=None, precision=6):
        return self.tex_label


class _BCE(_Loss):
    note = "binary cross-entropy, mean over the n outputs: ∂L/∂p_i = (p_i − t_i)/(p_i·(1 − p_i)·n)"

    def check(self, args):
        if args[0].values is not None and not np.all((args[0].values >= 0) & (args[0].values <= 1)):
            raise ConfigError(f"bce: the predictions must lie in [0, 1], got {np.atleast_1d(args[0].values).tolist()}")
        t = _values_of(args[1], "bce: the targets")
        if not np.all((t >= 0) & (t <= 1)):
            raise ConfigError(f"bce: the targets must lie in [0, 1], got {t.tolist()}")

    def compute(self, p, t):
        if not np.all((p.data >= 0) & (p.data <= 1)):
            raise ConfigError(f"bce: the predictions must lie in [0, 1], got {np.atleast_1d(p.data).tolist()}")
        pv = np.atleast_1d(np.asarray(p.data, dtype=np.float64))
        with np.errstate(divide="ignore"):
            self._clamp_p = np.log(pv) < _LOG_FLOOR  # where the library uses −100 for ln p
            self._clamp_q = np.log1p(-pv) < _LOG_FLOOR  # ... and for ln(1 − p)
        self._clamp_d = (1.0 - pv) * pv < _BCE_EPS  # where the gradient's denominator is floored
        if self._clamp_p.any() or self._clamp_q.any():
            self.forward_note = ("a prediction of 0 or 1: ln 0 is replaced by −100, as PyTorch's "
                                 "binary_cross_entropy (and chalkgrad's) clamp each log at −100")
        if self._clamp_d.any():
            self.note = (type(self).note + "; where p_i·(1 − p_i) < 1e-12 (p_i = 0 or 1) the denominator is "
                         "max(p_i·(1 − p_i), 1e-12), as PyTorch, so the gradient stays finite")
        return _F().binary_cross_entropy(p, t)

    def _clamped(self, name, i):
        flags = getattr(self, name, None)
        return flags is not None and i < len(flags) and bool(flags[i])

    def formula(self, k, A):
        n = len(A[0])
        terms = []
        for i, (p, t) in enumerate(zip(A[0], A[1])):
            ln_p = Num(_LOG_FLOOR) if self._clamped("_clamp_p", i) else Call("ln", p)
            ln_q = Num(_LOG_FLOOR) if self._clamped("_clamp_q", i) else Call("ln", Sub(Num(1), p))
            terms.append(add(Mul([t, ln_p]), Mul([Sub(Num(1), t), ln_q])))
        total = Neg(add(*terms)) if n == 1 else Neg(Add(terms))
        return Div(total, Num(n)) if n > 1 else total

    def partials(self, k, j, A, O):
        n = len(A[0])
        out = {}
        for i, (p, t) in enumerate(zip(A[0], A[1])):
            pq = Mul([p, Sub(Num(1), p)])
            if self._clamped("_clamp_d", i):
                pq = Fn("max", [pq, _Labelled(_BCE_EPS, "1e−12", r"10^{-12}")])
            den = Mul([pq, Num(n)]) if n > 1 else pq
            out[i] = Div(Sub(p, t), den)
        return out


class _CrossEntropy(_Op):
    nargs = (2,)
    no_grad = (1,)
    note = "cross-entropy of softmax(z): ∂L/∂z_i = softmax_i − t_i"

    def shape(self, shapes):
        _need_vector("cross_entropy", shapes[0])
        if shapes[1] is not None and shapes[1] != shapes[0]:
            raise ConfigError(f"cross_entropy: {shapes[0]} logits but a target of {shapes[1]} numbers; give a class "
                              "index (0-based) or one probability per class")
        return None

    def check(self, args):
        t = _values_of(args[1], "cross_entropy: the target")
        n = args[0].shape
        self.index = None
        if args[1].shape is None:
            c = float(t[0])
            if c != int(c) or not 0 <= c < n:
                raise ConfigError(f"cross_entropy: the class index must be an integer from 0 to {n - 1} "
                                  f"(0-based, as in PyTorch), got {_fmt(c)}")
            self.index = int(c)
        elif not (np.all(t >= 0) and abs(float(t.sum()) - 1) < 1e-9):
            raise ConfigError(f"cross_entropy: the target {t.tolist()} is not a probability vector "
                              "(non-negative, summing to 1)")

    def _onehot(self, A):
        if self.index is not None:
            return [Num(1.0 if i == self.index else 0.0) for i in range(len(A[0]))], self.index
        return A[1], None

    def compute(self, z, t):
        cg = _cg()
        if t.ndim == 0:
            return _F().cross_entropy(z.reshape(1, -1), cg.tensor([int(t.item())], dtype=cg.int64))
        return -(t * cg.log_softmax(z, dim=-1)).sum()

    def formula(self, k, A):
        total = add(*[Call("exp", z) for z in A[0]])
        T, c = self._onehot(A)
        if c is not None:
            return Sub(Call("ln", total), A[0][c])
        return Neg(add(*[Mul([t, Sub(z, Call("ln", total))]) for z, t in zip(A[0], T)]))

    def partials(self, k, j, A, O):
        total = add(*[Call("exp", z) for z in A[0]])
        if self.index is not None:
            return {i: Sub(Div(Call("exp", z), total), Num(1)) if i == self.index else Div(Call("exp", z), total)
                    for i, z in enumerate(A[0])}
        return {i: Sub(Div(Call("exp", z), total), t) for i, (z, t) in enumerate(zip(A[0], A[1]))}


class _KL(_Loss):
    no_grad = (0,)
    fixed_what = "the reference distribution p"
    note = "KL(p‖q) = Σ p_i·ln(p_i/q_i); gradient with respect to q: ∂KL/∂q_i = −p_i/q_i"

    def shape(self, shapes):
        _need_vector("kl_div", shapes[0])
        return super().shape(shapes)

    def check(self, args):
        p = _values_of(args[0], "kl_div: p (the reference distribution)")
        if not np.all((p >= 0) & (p <= 1)):
            raise ConfigError(f"kl_div: p must be probabilities (from 0 to 1), got {p.tolist()}")
        if args[1].values is not None and not np.all((args[1].values > 0) & (args[1].values <= 1)):
            raise ConfigError(f"kl_div: q must be probabilities greater than 0 (ln q_i is needed; PyTorch gives "
                              f"nan or ∞ for q_i = 0), got {args[1].values.tolist()}")
        self.p = p
        if np.any(p == 0):
            zeros = ", ".join(str(i + 1) for i in np.flatnonzero(p == 0))
            self.forward_note = (f"the reference distribution is 0 at i = {zeros}: those terms are 0 (0·ln 0 = 0, "
                                 "as PyTorch's kl_div) and are left out of the sum")

    def compute(self, p, q):
        if not np.all((q.data > 0) & (q.data <= 1)):
            raise ConfigError(f"kl_div: q must be probabilities greater than 0 (ln q_i is needed; PyTorch gives "
                              f"nan or ∞ for q_i = 0), got {np.atleast_1d(q.data).tolist()}")
        return _F().kl_div(q.log(), p, reduction="sum")

    def formula(self, k, A):
        p_values = getattr(self, "p", None)
        terms = [Mul([p, Call("ln", Div(p, q))]) for i, (p, q) in enumerate(zip(A[0], A[1]))
                 if p_values is None or p_values[i] != 0]
        return add(*terms) if terms else Num(0)

    def partials(self, k, j, A, O):
        return {i: Neg(Div(p, q)) for i, (p, q) in enumerate(zip(A[0], A[1]))}


class _Hinge(_Loss):
    note = "hinge loss, mean over the n scores: ∂L/∂s_i = −y_i·[1 − y_i·s_i > 0]/n"

    def compute(self, s, y):
        return _cg().relu(1.0 - y * s).mean()

    def formula(self, k, A):
        n = len(A[0])
        total = add(*[Call("max0", Sub(Num(1), Mul([y, s]))) for s, y in zip(A[0], A[1])])
        return Div(total, Num(n)) if n > 1 else total

    def partials(self, k, j, A, O):
        n = len(A[0])
        out = {}
        for i, (s, y) in enumerate(zip(A[0], A[1])):
            d = Neg(Mul([y, Call("step", Sub(Num(1), Mul([y, s])))]))
            out[i] = Div(d, Num(n)) if n > 1 else d
        return out


class _Identity(_Op):
    def compute(self, a):
        return a + 0.0

    def formula(self, k, A):
        return A[0][k] if len(A[0]) > 1 else A[0][0]

    def partials(self, k, j, A, O):
        return {0 if len(A[0]) == 1 else k: Num(1)}


def _build_ops():
    cg, F = _cg, _F
    ops = {
        "+": _binary("+", lambda a, b: Add([a, b]), lambda a, o: Num(1), lambda a, o: Num(1), lambda a, b: a + b),
        "-": _binary("-", lambda a, b: Sub(a, b), lambda a, o: Num(1), lambda a, o: Num(-1), lambda a, b: a - b,
                     note="a − b = a + (−1)·b: the local derivative for b is −1"),
        "*": _binary("*", lambda a, b: Mul([a, b]), lambda a, o: a[1], lambda a, o: a[0], lambda a, b: a * b),
        "/": _binary("/", lambda a, b: Div(a, b), lambda a, o: Div(Num(1), a[1]),
                     lambda a, o: Neg(Div(a[0], Pow(a[1], Num(2)))), lambda a, b: a / b),
        "**": _binary("**", lambda a, b: Pow(a, b), _dpow_base,
                      lambda a, o: Mul([o, Call("ln", a[0])]), lambda a, b: a ** b),
        "neg": _unary("neg", lambda a: Neg(a), lambda a, o: Num(-1), lambda a: -a),
        "exp": _unary("exp", lambda a: Call("exp", a), lambda a, o: o, lambda a: cg().exp(a), "(e^x)' = e^x"),
        "log": _unary("log", lambda a: Call("ln", a), lambda a, o: Div(Num(1), a), lambda a: cg().log(a),
                      "(ln x)' = 1/x"),
        "sqrt": _unary("sqrt", lambda a: Call("sqrt", a), lambda a, o: Div(Num(1), Mul([Num(2), o])),
                       lambda a: cg().sqrt(a), "(√x)' = 1/(2·√x)"),
        "abs": _unary("abs", lambda a: Call("abs", a), lambda a, o: Call("sign", a), lambda a: cg().abs(a),
                      "|x|' = sign(x) (0 at x = 0)"),
        "sigmoid": _unary("sigmoid", lambda a: Call("σ", a), lambda a, o: Mul([o, Sub(Num(1), o)]),
                          lambda a: cg().sigmoid(a), "σ'(x) = σ(x)·(1 − σ(x))"),
        "tanh": _unary("tanh", lambda a: Call("tanh", a), lambda a, o: Sub(Num(1), Pow(o, Num(2))),
                       lambda a: cg().tanh(a), "tanh'(x) = 1 − tanh²(x)"),
        "relu": _unary("relu", lambda a: Call("max0", a), lambda a, o: Call("step", a), lambda a: cg().relu(a),
                       "ReLU'(x) = 1 if x > 0 else 0"),
        "softplus": _unary("softplus", lambda a: Call("ln", Add([Num(1), Call("exp", a)])), lambda a, o: Call("σ", a),
                           lambda a: F().softplus(a), "softplus(x) = ln(1 + e^x); softplus'(x) = σ(x)"),
        "sin": _unary("sin", lambda a: Fn("sin", [a]), lambda a, o: Fn("cos", [a]), lambda a: cg().sin(a),
                      "sin' = cos"),
        "cos": _unary("cos", lambda a: Fn("cos", [a]), lambda a, o: Neg(Fn("sin", [a])), lambda a: cg().cos(a),
                      "cos' = −sin"),
        "max": _binary("max", lambda a, b: Fn("max", [a, b]), lambda a, o: _half(Add([Num(1), _sign(a)])),
                       lambda a, o: _half(Sub(Num(1), _sign(a))), lambda a, b: cg().maximum(a, b),
                       "∂max(a, b)/∂a = (1 + sign(a − b))/2: 1 if a > b, 0 if a < b, ½ on a tie"),
        "min": _binary("min", lambda a, b: Fn("min", [a, b]), lambda a, o: _half(Sub(Num(1), _sign(a))),
                       lambda a, o: _half(Add([Num(1), _sign(a)])), lambda a, b: cg().minimum(a, b),
                       "∂min(a, b)/∂a = (1 − sign(a − b))/2: 1 if a < b, 0 if a > b, ½ on a tie"),
        "floor": _numpy_rounding("floor", lambda a: Call("floor", a), np.floor),
        "ceil": _numpy_rounding("ceil", lambda a: Call("ceil", a), np.ceil),
        "round": _numpy_rounding("round", lambda a: Fn("round", [a]), np.round,
                                 "round half to even (round(2.5) = 2), as NumPy and PyTorch"),
        "step": _with_forward_note(
            _unary("step", lambda a: Call("step", a), lambda a, o: Num(0), lambda a: cg().relu(cg().sign(a)),
                   "step(x) = [x > 0]: 1 if x > 0, else 0 (computed as relu(sign(x)) with chalkgrad's ops); "
                   "piecewise constant, so its derivative is 0 (undefined at 0)"),
            "[x > 0] is 1 if x > 0, else 0 (0 at x = 0)"),
        "sign": _unary("sign", lambda a: Call("sign", a), lambda a, o: Num(0), lambda a: cg().sign(a),
                       "sign is piecewise constant: derivative 0 (undefined at 0)"),
        "heaviside": _Heaviside(),
        "sum": _Sum("sum"), "mean": _Mean("mean"), "dot": _Dot("dot"),
        "softmax": _Softmax("softmax"), "log_softmax": _LogSoftmax("log_softmax"),
        "mse": _MSE("mse"), "bce": _BCE("bce"), "cross_entropy": _CrossEntropy("cross_entropy"),
        "kl_div": _KL("kl_div"), "hinge": _Hinge("hinge"), "=": _Identity("="),
    }
    return ops


def _numpy_rounding(name, formula, fn, extra=""):
    """floor, ceil, round: chalkgrad has no such op, so the value is NumPy's, joined to the graph as
    ``x·0 + value`` (the library's multiply gives the derivative 0 that PyTorch also gives)."""

    def compute(a):
        cg = _cg()
        return a * 0.0 + cg.tensor(fn(np.asarray(a.data, dtype=np.float64)), dtype=cg.float64)

    what = {"floor": "⌊x⌋", "ceil": "⌈x⌉", "round": "round(x)"}[name]
    op = _unary(name, formula, lambda a, o: Num(0), compute,
                f"{what} is piecewise constant: its derivative is 0 (undefined at the jumps), as in PyTorch")
    op.forward_note = (f"chalkgrad has no {name} op: the value is NumPy's {name}" + (f"; {extra}" if extra else ""))
    return op


def _with_forward_note(op, note):
    op.forward_note = note
    return op


class _Heaviside(_Elementwise):
    """heaviside(x, v): 1 for x > 0, 0 for x < 0, v at x = 0 (torch.heaviside); v is a number or a given value."""

    no_grad = (1,)
    fixed_what = "the value at 0"

    def __init__(self):
        super().__init__("heaviside", lambda a, v: Fn("heaviside", [a, v]),
                         [lambda a, o: Num(0), lambda a, o: Num(0)], self._compute_heaviside,
                         "heaviside(x, v) = 1 if x > 0, 0 if x < 0, v at x = 0 (torch.heaviside; computed as "
                         "relu(sign(x)) + v·(1 − |sign(x)|) with chalkgrad's ops); its derivative is 0 "
                         "(undefined at 0)")
        self.note_args = (0,)
        self.forward_note = "heaviside(x, v) = 1 if x > 0, 0 if x < 0, v at x = 0 (torch.heaviside)"

    @staticmethod
    def _compute_heaviside(a, v):
        cg = _cg()
        s = cg.sign(a)
        return cg.relu(s) + v * (1.0 - cg.abs(s))


def _dpow_base(a, o):
    base, exponent = a
    if isinstance(exponent, Num):
        e = float(exponent.value)
        if e == 1:
            return Num(1)
        return Mul([Num(e), Pow(base, Num(e - 1))]) if e != 2 else Mul([Num(2), base])
    return Mul([exponent, Pow(base, Sub(exponent, Num(1)))])


def _sign(a):
    return Call("sign", Sub(a[0], a[1]))


_OPS = _build_ops()
_OPS["-"].note_args = (1,)

#: Functions accepted in expressions (and the number of arguments each takes).
FUNCTIONS = {
    "exp": 1, "log": 1, "ln": 1, "sqrt": 1, "abs": 1, "sigmoid": 1, "tanh": 1, "relu": 1, "softplus": 1, "sin": 1,
    "cos": 1, "max": 2, "min": 2, "sum": 1, "mean": 1, "dot": 2, "softmax": 1, "log_softmax": 1,
    "mse": 2, "bce": 2, "cross_entropy": 2, "kl_div": 2, "hinge": 2,
    "precision": 2, "recall": 2, "f1": 3,
    "floor": 1, "ceil": 1, "round": 1, "step": 1, "sign": 1, "heaviside": 2,
}
#: Functions written out as arithmetic before anything is computed (so each operation is a step).
_MACROS = {"precision": "A / (A + B)", "recall": "A / (A + B)", "f1": "2*A / (2*A + B + C)"}
_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}


# ----------------------------------------------------------------------------- graph
@dataclass(eq=False)
class _Node:
    name: str
    op: object  # an _Op, or "input" / "const"
    args: list = field(default_factory=list)
    shape: int | None = None  # None: one number; n: a vector of n numbers
    values: np.ndarray | None = None  # known before computing (inputs and constants)
    definition: str | None = None
    deps: frozenset = frozenset()  # inputs it depends on
    tensor: object = None

    @property
    def elements(self) -> list[str]:
        if self.shape is None:
            return [self.name]
        return [f"{self.name}_{i + 1}" for i in range(self.shape)]

    def exprs(self) -> list[Expr]:
        if self.op == "const":
            return [Num(float(v)) for v in np.atleast_1d(self.values)]
        return [Sym(e) for e in self.elements]


def _fmt(v: float) -> str:
    return repr(float(v)) if not float(v).is_integer() else str(int(v))


def _norm(name: str) -> str:
    return unicodedata.normalize("NFKC", name)


def parse_definitions(expressions) -> list[tuple[str, str]]:
    """The ordered ``(name, expression text)`` pairs of a mapping ``{name: text}``, a list of ``"name = text"``,
    or a text of such lines (``;`` or newlines between them); a single text without ``=`` defines ``f``."""
    if isinstance(expressions, dict):
        pairs = [(str(k), v) for k, v in expressions.items()]
    elif isinstance(expressions, str) or isinstance(expressions, (list, tuple)):
        lines = expressions if isinstance(expressions, (list, tuple)) else \
            [p for line in expressions.splitlines() for p in line.split(";")]
        lines = [s for s in lines if not isinstance(s, str) or s.strip()]
        pairs = []
        for line in lines:
            if not isinstance(line, str):
                raise ExpressionError(f"expected definitions such as 'f = x*y + z', got {line!r}", ("define", None))
            if "=" in line:
                name, text = line.split("=", 1)
                pairs.append((name.strip(), text))
            elif len(lines) == 1:
                pairs.append(("f", line))
            else:
                raise ExpressionError(f"the definition {line.strip()!r} has no name; write it as 'name = expression'",
                                      ("define", None))
    else:
        raise ExpressionError(f"expected definitions {{name: expression}}, got {type(expressions).__name__}",
                              ("define", None))
    if not pairs:
        raise ExpressionError("there are no definitions; give at least one, e.g. {f: x*y + z}", ("define", None))
    if len(pairs) > MAX_DEFINITIONS:
        raise ExpressionError(f"{len(pairs)} definitions are too many for a worked solution (at most "
                              f"{MAX_DEFINITIONS})", ("define", None))
    out = []
    for name, text in pairs:
        if isinstance(text, bool) or not isinstance(text, (str, int, float)):
            raise ExpressionError(f"expected an expression (text), got {text!r}", ("define", name))
        out.append((name, str(text)))
    return out


class _Builder:
    """Turns the definitions into a graph of nodes, checking names, functions and shapes."""

    def __init__(self, values: dict, definitions: list[tuple[str, str]]):
        self.nodes: list[_Node] = []
        self.by_name: dict[str, _Node] = {}
        self.definition = None
        self.shared = None  # while a metric is written out: its parts by structure, so each is computed once
        self.counter = 0
        self.reserved = set()
        for name, _ in definitions:
            self.reserved.add(_norm(name))
        for name, v in values.items():
            self._input(name, v)
        self.reserved |= set(self.by_name)
        for name, text in definitions:
            self.definition = name
            self._define(name, text)

    def fail(self, message):
        raise ExpressionError(message, ("define", self.definition))

    # --- inputs
    def _input(self, name, value):
        where = ("values", name)
        if not isinstance(name, str) or not name.isidentifier() or name in FUNCTIONS:
            raise ExpressionError(f"{name!r} cannot be a name: use letters, digits and _, and not a function name "
                                  f"({', '.join(FUNCTIONS)})", where)
        try:
            arr = np.array(value, dtype=np.float64)
        except (TypeError, ValueError, OverflowError):
            raise ExpressionError(f"expected a number or a list of numbers, got {value!r}", where) from None
        if isinstance(value, bool) or arr.ndim > 1 or arr.size == 0 or (
                isinstance(value, (list, tuple)) and any(isinstance(x, bool) for x in value)):
            raise ExpressionError(f"expected a number or a list of numbers, got {value!r}", where)
        if arr.ndim == 1 and arr.size > MAX_VECTOR:
            raise ExpressionError(f"{arr.size} numbers is too many for a worked solution "
                                  f"(at most {MAX_VECTOR} in a vector)", where)
        if not np.all(np.isfinite(arr)) or np.any(np.abs(arr) > _MAX_ABS):
            raise ExpressionError(f"the numbers must be finite and at most {_MAX_ABS:g} in size", where)
        key = _norm(name)
        if key in self.by_name:
            raise ExpressionError("the name is given twice", where)
        if key in self.reserved:
            raise ExpressionError("the name is both given a value and defined", where)
        node = _Node(key, "input", [], None if arr.ndim == 0 else arr.size, arr, None, frozenset([key]))
        self.nodes.append(node)
        self.by_name[key] = node

    # --- definitions
    def _define(self, name, text):
        if not name.isidentifier() or name in FUNCTIONS:
            self.fail(f"{name!r} cannot be a name: use letters, digits and _, and not a function name")
        key = _norm(name)
        if key in self.by_name:
            self.fail(f"'{name}' is defined twice (or is also a given value)")
        text = text.strip()
        if not text:
            self.fail("the expression is empty")
        if len(text) > MAX_LENGTH:
            self.fail(f"the expression is {len(text)} characters long; at most {MAX_LENGTH}")
        try:
            tree = ast.parse(text, mode="eval")
        except SyntaxError as e:
            self.fail(f"{text!r} is not a valid expression ({e.msg})")
        except (ValueError, RecursionError, MemoryError):
            self.fail(f"{text[:40]!r} is not a valid expression (nested too deeply or unreadable)")
        node = self._node(tree.body, 0, top=key)
        if node.op in ("const", "input") or node.name != key:  # a bare name or a number: a copy
            node = self._add(key, _OPS["="], [node])
        self.by_name[key] = node

    def _add(self, name, op, args):
        if sum(1 for n in self.nodes if isinstance(n.op, _Op)) >= MAX_OPERATIONS:
            self.fail(f"the expressions have more than {MAX_OPERATIONS} operations, too many for a worked solution")
        if len(args) not in op.nargs:
            self.fail(f"{op.name} takes {op.nargs[0]} argument(s), got {len(args)}")
        try:
            shape = op.shape([a.shape for a in args])
            op.check(args)
        except ConfigError as e:
            self.fail(str(e))
        deps = frozenset().union(*[a.deps for a in args])
        values = None
        node = _Node(name, op, list(args), shape, values, self.definition, deps)
        self.nodes.append(node)
        return node

    def _auto_name(self):
        while True:
            self.counter += 1
            name = f"u{self.counter}"
            if name not in self.reserved and name not in self.by_name:
                return name

    def _const(self, value):
        arr = np.array(value, dtype=np.float64)
        node = _Node("const", "const", [], None if arr.ndim == 0 else arr.size, arr)
        self.nodes.append(node)
        return node

    def _number(self, node):
        v = node.value
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            self.fail(f"{v!r} is not allowed; only numbers")
        try:
            f = float(v)
        except OverflowError:
            self.fail(f"the number {str(v)[:20]}... is too large")
        if not math.isfinite(f) or abs(f) > _MAX_ABS:
            self.fail(f"the number {_fmt(f) if math.isfinite(f) else v!r} is too large (at most {_MAX_ABS:g})")
        return f

    def _node(self, n, depth, top=None):
        if depth > MAX_DEPTH:
            self.fail(f"the expression is nested more than {MAX_DEPTH} levels deep")
        if self.shared is not None and top is None and isinstance(n, ast.BinOp | ast.Call | ast.UnaryOp):
            key = ast.dump(n)
            if key not in self.shared:
                self.shared[key] = self._node_uncached(n, depth, top)
            return self.shared[key]
        return self._node_uncached(n, depth, top)

    def _node_uncached(self, n, depth, top=None):
        if isinstance(n, ast.Constant):
            return self._const(self._number(n))
        if isinstance(n, ast.Name):
            key = _norm(n.id)
            if key in self.by_name:
                return self.by_name[key]
            if key in FUNCTIONS:
                self.fail(f"'{n.id}' is a function; call it, e.g. {n.id}(x)")
            later = " (it is defined later; definitions are evaluated in order)" if key in self.reserved else ""
            if key == _norm(self.definition):
                later = " (a definition cannot use itself)"
            known = ", ".join(self.by_name) or "none"
            self.fail(f"unknown name '{n.id}'{later}; known: {known}")
        if isinstance(n, ast.List | ast.Tuple):
            if not n.elts or len(n.elts) > MAX_VECTOR or not all(
                    isinstance(e, ast.Constant) or isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.USub)
                    and isinstance(e.operand, ast.Constant) for e in n.elts):
                self.fail(f"a list in an expression must hold 1 to {MAX_VECTOR} numbers")
            return self._const([self._number(e) if isinstance(e, ast.Constant) else -self._number(e.operand)
                                for e in n.elts])
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.UAdd | ast.USub):
            if isinstance(n.operand, ast.Constant):
                v = self._number(n.operand)
                return self._const(-v if isinstance(n.op, ast.USub) else v)
            arg = self._node(n.operand, depth + 1)
            if isinstance(n.op, ast.UAdd):
                return arg
            return self._op("neg", [arg], top)
        if isinstance(n, ast.BinOp) and type(n.op) in _BINOPS:
            left = self._node(n.left, depth + 1)
            right = self._node(n.right, depth + 1)
            return self._op(_BINOPS[type(n.op)], [left, right], top)
        if isinstance(n, ast.Call):
            if not isinstance(n.func, ast.Name) or n.func.id not in FUNCTIONS:
                what = n.func.id if isinstance(n.func, ast.Name) else ast.unparse(n.func)[:30]
                self.fail(f"calls '{what}', which is not allowed; the functions are {', '.join(FUNCTIONS)}")
            fn = n.func.id
            if n.keywords or len(n.args) != FUNCTIONS[fn] or any(isinstance(a, ast.Starred) for a in n.args):
                self.fail(f"{fn} takes {FUNCTIONS[fn]} argument(s) (no keywords), got "
                          f"{len(n.args) + len(n.keywords)}")
            if fn in _MACROS:  # written out as arithmetic; a repeated part (2·tp in f1) is computed once
                outer, self.shared = self.shared, {}
                try:
                    return self._node(_expand(fn, n.args), depth + 1, top)
                finally:
                    self.shared = outer
            args = [self._node(a, depth + 1) for a in n.args]
            return self._op("log" if fn == "ln" else fn, args, top)
        what = type(n).__name__
        if isinstance(n, ast.BinOp | ast.UnaryOp):
            what = f"the operator {type(n.op).__name__}"
        self.fail(f"uses {what}, which is not allowed; use numbers, names, + - * / **, parentheses and "
                  f"the functions {', '.join(FUNCTIONS)}")

    def _op(self, op_name, args, top):
        op = copy.copy(_OPS[op_name])  # its own copy: check() may keep facts about these arguments
        for j in op.no_grad:
            if args[j].op != "const" and args[j].op != "input":
                self.fail(f"{op_name}: argument {j + 1} ({op.fixed_what}) must be numbers or a given value")
        return self._add(top or self._auto_name(), op, args)


def _expand(fn, args):
    template = ast.parse(_MACROS[fn], mode="eval").body
    mapping = dict(zip("ABC", args))

    class _Sub(ast.NodeTransformer):
        def visit_Name(self, node):
            return copy.deepcopy(mapping[node.id])

    return _Sub().visit(template)


# ----------------------------------------------------------------------------- the worked solution
def explain_expression(expressions, values: dict, gradients=(), title: str | None = None, second=()) -> Solution:
    """Worked forward pass and reverse-mode gradients of scalar expressions, one operation at a time.

    Args:
        expressions: ordered definitions ``{"a": "x*y", "b": "a + z", "f": "sigmoid(b)"}``, a list of
            ``"name = expression"``, or a text of such lines (one expression without a name defines ``f``).
            The last definition is the output ``f`` whose gradients are shown.
        values: the inputs by name: numbers or lists of up to :data:`MAX_VECTOR` numbers.
        gradients: input names ``x`` for which ``∂f/∂x`` is derived (the output must then be one number).
        title: heading of the solution.
        second: second derivatives, as names of scalar inputs (``"x"``: ∂²f/∂x²) or pairs (``("x", "y")``:
            ∂²f/∂x∂y). Their values come from differentiating the library's backward pass again
            (``create_graph=True``); they are stated with that note, not derived formula by formula.

    Step names: inputs and definitions keep their names; operations inside a definition are ``u1, u2, …``;
    an element of a vector ``p`` is ``p_1, p_2, …``; the backward pass has ``∂f/∂f`` (the seed, 1), the local
    derivatives ``∂c/∂a`` and the adjoints ``∂f/∂a`` (answers for the requested inputs); second derivatives
    are ``∂²f/∂x²`` and ``∂²f/∂x∂y``.
    """
    definitions, graph, output, wanted = check_expression(expressions, values, gradients)
    pairs = _second_pairs(second, graph, output)

    cg = _cg()
    with np.errstate(all="ignore"):
        for node in graph.nodes:
            if node.op in ("input", "const"):
                node.tensor = cg.tensor(node.values, dtype=cg.float64, requires_grad=node.name in wanted)
            else:
                try:
                    node.tensor = node.op.compute(*[a.tensor for a in node.args])
                except (ConfigError, ValueError) as e:
                    who = "" if node.name == node.definition else f"{node.name}: "
                    raise ExpressionError(f"{who}{e}", ("define", node.definition)) from None
                if node.tensor.requires_grad:
                    node.tensor.retain_grad()
            if not np.all(np.isfinite(node.tensor.data)):
                raise ExpressionError(
                    f"{node.name} = {_formula_text(node)} is not finite ({np.asarray(node.tensor.data).tolist()}): "
                    "an overflow, a division by zero or a function outside its domain", ("define", node.definition))
        if wanted and output.tensor.requires_grad:
            output.tensor.backward()

    sol = Solution(title or f"Worked solution: {definitions[-1][0]} = {definitions[-1][1].strip()}")
    sol.conventions.append("Definitions: " + "; ".join(f"{n} = {t.strip()}" for n, t in definitions) + ".")
    given = sol.section("Given")
    for node in graph.nodes:
        if node.op == "input":
            for e, v in zip(node.elements, np.atleast_1d(node.tensor.data)):
                given.given(e, v)
    ops = [n for n in graph.nodes if isinstance(n.op, _Op)]
    vectors = [n.name for n in graph.nodes if n.shape is not None and n.op != "const"]
    intro = "each operation in turn, as chalkgrad computes it in float64"
    if vectors:
        v = vectors[0]
        intro += f"; a vector such as {v} is written as its elements {v}_1, {v}_2, …"
    fwd = sol.section("Forward pass", intro)
    defined = {_norm(n) for n, _ in definitions}
    for node in ops:
        A = [a.exprs() for a in node.args]
        data = np.atleast_1d(node.tensor.data)
        for k, e in enumerate(node.elements):
            fwd.derive(e, node.op.formula(k, A), data[k], answer=node.name in defined,
                       note=node.op.forward_note if k == 0 else "")
    if wanted:
        _backward(sol, graph, output, wanted)
    if pairs:
        _second_derivatives(sol, graph, output, pairs)
    _verify(sol)
    return sol


def check_expression(expressions, values: dict, gradients=()):
    """Parse and check the definitions, names, shapes and gradient names without computing anything.

    Returns ``(definitions, graph, output node, gradient input names)``; raises :class:`ExpressionError`.
    """
    if not isinstance(values, dict):
        raise ExpressionError(f"values must be a mapping of names to numbers, got {type(values).__name__}",
                              ("values", None))
    definitions = parse_definitions(expressions)
    graph = _Builder(values, definitions)
    output = graph.by_name[_norm(definitions[-1][0])]
    wanted = _gradient_names(gradients, graph, output)
    _check_names(graph, output, wanted)
    return definitions, graph, output, wanted


def _second_pairs(second, graph, output):
    if isinstance(second, str):
        second = [second]
    if not isinstance(second, (list, tuple)):
        raise ExpressionError(f"expected a list of input names or pairs of them, got {second!r}", ("second", "second"))
    pairs = []
    for entry in second:
        pair = (entry, entry) if isinstance(entry, str) else tuple(entry) if isinstance(entry, (list, tuple)) else ()
        if len(pair) != 2 or not all(isinstance(n, str) for n in pair):
            raise ExpressionError(f"{entry!r} is neither an input name nor a pair of input names", ("second", "second"))
        for n in pair:
            node = graph.by_name.get(_norm(n))
            if node is None or node.op != "input" or node.shape is not None:
                raise ExpressionError(f"{n!r} is not a given single number (second derivatives are taken with "
                                      "respect to scalar inputs)", ("second", "second"))
        pairs.append(tuple(_norm(n) for n in pair))
    if pairs and output.shape is not None:
        raise ExpressionError(f"second derivatives need a single-number output, but {output.name} has "
                              f"{output.shape} numbers", ("define", output.definition))
    return pairs


def _second_derivatives(sol, graph, output, pairs):
    """∂²f/∂x∂y by differentiating the library's backward pass (recorded with create_graph) once more."""
    from ..errors import ChalkgradError

    cg = _cg()
    names = {n for pair in pairs for n in pair}
    tensors = {}
    with np.errstate(all="ignore"):
        for node in graph.nodes:
            if node.op in ("input", "const"):
                tensors[id(node)] = cg.tensor(node.values, dtype=cg.float64, requires_grad=node.name in names)
            else:
                tensors[id(node)] = node.op.compute(*[tensors[id(a)] for a in node.args])
        f = output.name
        sec = sol.section("Second derivatives", "the backward pass, recorded as a graph (create_graph=True), "
                                                "differentiated once more by the library")
        for x, y in pairs:
            name = f"∂²{f}/∂{x}²" if x == y else f"∂²{f}/∂{x}∂{y}"
            xt, yt = tensors[id(graph.by_name[x])], tensors[id(graph.by_name[y])]
            value, note = 0.0, f"{f} does not depend on {x}"
            try:
                if tensors[id(output)].requires_grad:
                    (g,) = cg.autograd.grad(tensors[id(output)], [xt], create_graph=True, retain_graph=True,
                                            allow_unused=True)
                    note = f"∂{f}/∂{x} does not depend on {y}"
                    if g is not None and g.requires_grad:
                        (h,) = cg.autograd.grad(g, [yt], retain_graph=True, allow_unused=True)
                        if h is not None:
                            value, note = float(h.item()), f"the derivative of ∂{f}/∂{x} with respect to {y}"
            except ChalkgradError as e:
                raise ExpressionError(f"the library cannot differentiate this expression twice ({e})",
                                      ("second", "second")) from None
            if not math.isfinite(value):
                raise ExpressionError(f"{name} is not finite ({value})", ("second", "second"))
            step = sec.given(name, value, note=note)
            step.answer = True


def _formula_text(node) -> str:
    try:
        return node.op.formula(0, [a.exprs() for a in node.args]).text()
    except Exception:  # noqa: BLE001 - only used to word an error message
        return node.op.name


def _gradient_names(gradients, graph, output):
    if isinstance(gradients, str):
        gradients = [gradients]
    if not isinstance(gradients, (list, tuple)):
        raise ExpressionError(f"expected a list of input names, got {gradients!r}", ("gradients", "gradients"))
    wanted = []
    for g in gradients:
        key = _norm(g) if isinstance(g, str) else g
        node = graph.by_name.get(key) if isinstance(key, str) else None
        if node is None or node.op != "input":
            inputs = ", ".join(n.name for n in graph.nodes if n.op == "input")
            raise ExpressionError(f"{g!r} is not a given value (gradients are taken with respect to the "
                                  f"inputs: {inputs})", ("gradients", "gradients"))
        if key not in wanted:
            wanted.append(key)
    if wanted and output.shape is not None:
        raise ExpressionError(f"gradients need a single-number output, but {output.name} has {output.shape} numbers; "
                              f"reduce it, e.g. {output.name}_sum = sum({output.name})",
                              ("define", output.definition))
    return wanted


def _check_names(graph, output, wanted):
    seen = {}
    count = 0
    for node in graph.nodes:
        if node.op == "const":
            continue
        for e in node.elements:
            if e in seen:
                raise ExpressionError(f"the element name '{e}' of {node.name} clashes with the quantity '{seen[e]}'; "
                                      "rename one of them", ("define", node.definition) if node.definition
                                      else ("values", node.name))
            seen[e] = node.name
            count += 1
    if wanted:  # local derivatives (at most one per output element and argument element) and adjoints
        for node in graph.nodes:
            if isinstance(node.op, _Op):
                out = 1 if node.shape is None else node.shape
                count += out * sum(1 if a.shape is None else a.shape for a in node.args if a.op != "const") + out
    if count > MAX_STEPS:
        raise ExpressionError(f"the solution would have up to {count} steps; at most {MAX_STEPS} are readable "
                              "(use shorter vectors or fewer operations)", ("define", output.definition))


def _local_jacobian(node, positions):
    """∂out_k/∂arg for each output element k and each argument position in ``positions``, from the
    library's backward of this one operation (fresh leaves, so only the local dependence counts)."""
    cg = _cg()
    leaves = []
    for j, a in enumerate(node.args):
        data = np.array(a.tensor.data, dtype=np.float64)
        leaves.append(cg.tensor(data, dtype=cg.float64, requires_grad=j in positions))
    with np.errstate(all="ignore"):
        out = node.op.compute(*leaves)
        size = 1 if node.shape is None else node.shape
        rows = []
        for k in range(size):
            seed = np.zeros(size)
            seed[k] = 1.0
            seed = seed.reshape(out.shape)
            grads = cg.autograd.grad(out, [leaves[j] for j in positions],
                                     grad_outputs=cg.tensor(seed, dtype=cg.float64), retain_graph=True,
                                     allow_unused=True)
            rows.append({j: (np.zeros(np.shape(leaves[j].data)) if g is None else np.asarray(g.data))
                         for j, g in zip(positions, grads)})
    return rows


def _backward(sol, graph, output, wanted):
    f = output.name
    sec = sol.section("Backward pass",
                      f"from {f} back to the inputs: the adjoint ∂{f}/∂node of each node is the sum, over the nodes c "
                      f"computed from it, of ∂{f}/∂c · ∂c/∂node (∂c/∂node: the local derivative of that one "
                      f"operation); ∂{f}/∂{f} = 1")
    seed = 1.0 if output.tensor.grad is None else float(output.tensor.grad.data)
    sec.given(f"∂{f}/∂{f}", seed, note="the seed: the output's derivative with respect to itself")
    active = [n for n in graph.nodes if n.tensor is not None and n.tensor.requires_grad and n.tensor.grad is not None]
    active_set = set(map(id, active))
    consumers = {id(n): [] for n in active}
    for c in active:
        if isinstance(c.op, _Op):
            for j, a in enumerate(c.args):
                if id(a) in active_set and j not in consumers[id(a)]:
                    if j in c.op.no_grad:
                        raise ExpressionError(f"{c.op.name}: argument {j + 1} is {c.op.fixed_what} and depends on "
                                              f"{', '.join(sorted(a.deps & set(wanted)))}; gradients with respect to "
                                              "it are not shown", ("gradients", None))
                    consumers[id(a)].append((c, j))
    jacobians = {}
    for c in active:
        if isinstance(c.op, _Op):
            positions = [j for j, a in enumerate(c.args) if id(a) in active_set]
            if positions:
                jacobians[id(c)] = _local_jacobian(c, positions)
    noted = set()  # consumers whose rule has been stated once
    for node in reversed(active):
        if node is output:
            continue
        users = []
        seen_c = set()
        for c, _ in consumers[id(node)]:
            if id(c) not in seen_c:
                seen_c.add(id(c))
                users.append(c)
        grad = np.atleast_1d(np.asarray(node.tensor.grad.data))
        for i, e in enumerate(node.elements):
            terms, notes = [], []
            for c in users:
                A = [a.exprs() for a in c.args]
                O = c.exprs()
                positions = [j for j, a in enumerate(c.args) if a is node]
                for k, ce in enumerate(c.elements):
                    parts = [c.op.partials(k, j, A, O).get(i) for j in positions]
                    parts = [p for p in parts if p is not None]
                    if not parts:
                        continue
                    local = parts[0] if len(parts) == 1 else Add(parts)
                    value = sum(float(np.atleast_1d(jacobians[id(c)][k][j])[i]) for j in positions)
                    note = ""
                    if id(c) not in noted and (c.op.note_args is None or set(positions) & set(c.op.note_args)):
                        note = c.op.note
                        noted.add(id(c))
                    if c is output:  # ∂f/∂f = 1: the local derivative is the term itself (and keeps its name free)
                        terms.append(local)
                        notes.append(note)
                        continue
                    lname = f"∂{ce}/∂{e}"
                    sec.derive(lname, local, value, note=note)
                    terms.append(Mul([Sym(f"∂{f}/∂{ce}"), Sym(lname)]))
            answer = node.op == "input" and node.name in wanted
            if terms:
                notes += ["summed over its consumers"] if len(terms) > 1 else []
                sec.derive(f"∂{f}/∂{e}", add(*terms), grad[i], answer=answer, note="; ".join(n for n in notes if n))
    for name in wanted:
        node = graph.by_name[name]
        if node.tensor.grad is None:
            for e in node.elements:
                sec.given(f"∂{f}/∂{e}", 0.0, note=f"{f} does not depend on {name}").answer = True


def _verify(sol):
    try:
        sol.verify()
    except AssertionError as e:  # a formula that disagrees with the library: a bug, or a kink the formula misses
        raise ConfigError(f"explain_expression: the worked formulas disagree with the library ({e})") from None
    except (ValueError, OverflowError, ZeroDivisionError) as e:
        known, where = {}, "a formula"
        for s in sol.steps():
            if s.formula is not None:
                try:
                    s.formula.evaluate(known)
                except (ValueError, OverflowError, ZeroDivisionError):
                    where = f"{s.name} = {s.formula.text()}"
                    break
            known[s.name] = s.value
        raise ConfigError(f"{where} cannot be evaluated at these values ({e}); the function is not differentiable "
                          "or not defined there") from None
