"""A gradient check written out: for each input, the worst element, its analytic and numeric
derivative, the central-difference formula with ε, and the error against the tolerance.

The numbers come from :func:`chalkgrad.autograd.functional.gradcheck_report`, the same code
:func:`chalkgrad.autograd.gradcheck` runs: the function is reduced to a scalar
L = Σ fn(x)·v with a fixed random v, backward gives the analytic gradient, and each element
is perturbed by ±ε for the numeric one.
"""

from __future__ import annotations

from .expr import Call, Div, Mul, Num, Sub, Sym, add
from .steps import Solution

__all__ = ["explain_gradcheck"]


def _index(idx: tuple) -> str:
    return ",".join(str(i) for i in idx) if idx else "0"


def explain_gradcheck(fn, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
                      names=None, title: str | None = None, seed_grad=None) -> Solution:
    """The gradient check of ``fn`` at ``inputs`` (float64 tensors), one section per input.

    ``names`` labels the inputs (default x0, x1, ...). Each section shows, for the element
    where the analytic and numeric derivatives differ most relative to the tolerance:
    ``∂L/∂x[i] (analytic)``, ``L(x + ε·e)``, ``L(x − ε·e)``, the central difference
    ``(L⁺ − L⁻)/(2ε)``, the absolute error, the allowed error ``atol + rtol·|numeric|``,
    and whether every element of that input passes.
    """
    from ..autograd.functional import gradcheck_report

    report = gradcheck_report(fn, inputs, eps, atol, rtol, seed_grad)
    inputs = tuple(inputs) if isinstance(inputs, (list, tuple)) else (inputs,)
    names = list(names) if names is not None else [f"x{i}" for i in range(len(inputs))]
    sol = Solution(title or "Gradient check (central differences)")
    sol.conventions.append(
        "L = Σ fn(x)·v with a fixed random v (one backward pass gives every analytic derivative); each "
        "element is compared with the central difference (L(x + ε·e) − L(x − ε·e))/(2ε) and passes when "
        "|analytic − numeric| ≤ atol + rtol·|numeric|.")
    given = sol.section("Settings")
    given.given("ε", eps)
    given.given("atol", atol)
    given.given("rtol", rtol)
    for entry in report:
        name = names[entry.input_index]
        w = entry.worst
        label = f"{name}[{_index(w)}]"
        n_elem = entry.numeric.size
        verdict = "every element passes" if entry.passed else "FAILS: this element is outside the tolerance"
        sec = sol.section(f"Input {name}, shape {tuple(entry.numeric.shape)}: worst of {n_elem} element(s)",
                          verdict)
        sec.given(f"∂L/∂{label} (analytic)", float(entry.analytic[w]), note="from backward")
        sec.given(f"L⁺_{label}", float(entry.plus[w]), note=f"L with {label} + ε")
        sec.given(f"L⁻_{label}", float(entry.minus[w]), note=f"L with {label} − ε")
        sec.derive(f"∂L/∂{label} (numeric)", Div(Sub(Sym(f"L⁺_{label}"), Sym(f"L⁻_{label}")),
                                                  Mul([Num(2), Sym("ε")])), float(entry.numeric[w]),
                   note="central difference")
        sec.derive(f"error_{name}", _abs(Sub(Sym(f"∂L/∂{label} (analytic)"), Sym(f"∂L/∂{label} (numeric)"))),
                   float(abs(entry.analytic[w] - entry.numeric[w])), answer=True)
        sec.derive(f"allowed_{name}", add(Sym("atol"), Mul([Sym("rtol"), _abs(Sym(f"∂L/∂{label} (numeric)"))])),
                   float(atol + rtol * abs(entry.numeric[w])), answer=True,
                   note="passes" if entry.passed else "exceeded")
    sol.passed = all(e.passed for e in report)
    return sol


def _abs(x):
    return Call("abs", x)
