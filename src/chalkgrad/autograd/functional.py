"""Functional autograd: ``grad``, ``jacobian``, ``hessian`` and ``gradcheck``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ChalkgradError, GradError, ShapeError
from . import grad_mode
from .engine import run_backward


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False):
    """Gradients of ``outputs`` with respect to ``inputs``, returned instead of accumulated.

    Mirrors ``torch.autograd.grad``: returns a tuple with one tensor per input;
    ``.grad`` attributes are left untouched.
    """
    from ..tensor import Tensor

    outs, ins = _as_list(outputs), _as_list(inputs)
    gouts = _as_list(grad_outputs) if grad_outputs is not None else [None] * len(outs)
    if len(gouts) != len(outs):
        raise ShapeError(f"grad: {len(gouts)} grad_outputs for {len(outs)} outputs")
    for i, t in enumerate(ins):
        if not t.requires_grad:
            raise GradError(f"grad: input {i} (shape {t.shape}) does not require grad")
    seeds = []
    for o, g in zip(outs, gouts):
        if not o.requires_grad:
            raise GradError("grad: an output does not require grad (it does not depend on any input)")
        if g is None:
            if o.data.size != 1:
                raise GradError(f"grad: output of shape {o.shape} is not a scalar; pass grad_outputs")
            g = Tensor._wrap(np.ones(o.shape, dtype=o.dtype))
        elif not isinstance(g, Tensor):
            g = Tensor(g, dtype=o.dtype)
        if g.shape != o.shape:
            raise ShapeError(f"grad: grad_output of shape {g.shape} for an output of shape {o.shape}")
        seeds.append(g)
    if retain_graph is None:
        retain_graph = create_graph
    result = run_backward(outs, seeds, retain_graph, create_graph, inputs=ins)
    for i, r in enumerate(result):
        if r is None and not allow_unused:
            raise GradError(
                f"grad: input {i} (shape {ins[i].shape}) was not used to compute the outputs; "
                "pass allow_unused=True to get None for it"
            )
    return tuple(result)


def jacobian(func, inputs, create_graph=False):
    """Jacobian of ``func`` at ``inputs`` (one tensor): shape ``out.shape + in.shape``."""
    from ..tensor import Tensor

    x = inputs
    if not x.requires_grad:
        x = x.detach().requires_grad_(True)
    with grad_mode.enable_grad():
        y = func(x)
        rows = []
        flat = y.reshape(-1)
        if not flat.requires_grad:  # y does not depend on x (e.g. the gradient of a linear function)
            return Tensor._wrap(np.zeros(y.shape + x.shape, dtype=x.dtype))
        for i in range(flat.shape[0]):
            (g,) = grad(flat[i], x, retain_graph=True, create_graph=create_graph, allow_unused=True)
            rows.append(g if g is not None else Tensor._wrap(np.zeros(x.shape, x.dtype)))
    from ..ops.shape import stack

    return stack(rows).reshape(y.shape + x.shape)


def hessian(func, inputs):
    """Hessian of a scalar ``func`` at ``inputs``: shape ``in.shape + in.shape``."""
    def gradient(x):
        (g,) = grad(func(x), x, create_graph=True)
        return g

    return jacobian(gradient, inputs)


class GradcheckError(ChalkgradError, AssertionError):
    """Analytic and numerical gradients disagree (raised by :func:`gradcheck`)."""


@dataclass
class GradcheckEntry:
    """The comparison for one input: both gradients, and the worst element with the two loss values
    of its central difference (``L(x + ε·e)`` and ``L(x − ε·e)``), so it can be shown step by step."""

    input_index: int
    analytic: np.ndarray
    numeric: np.ndarray
    plus: np.ndarray
    minus: np.ndarray
    worst: tuple
    passed: bool


def gradcheck_report(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed_grad=None) -> list[GradcheckEntry]:
    """The data behind :func:`gradcheck`: one :class:`GradcheckEntry` per input that requires grad."""
    from ..tensor import Tensor

    inputs = tuple(inputs) if isinstance(inputs, (list, tuple)) else (inputs,)
    checked = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise GradError("gradcheck: no input requires grad, nothing to check")
    for i in checked:
        if inputs[i].dtype != np.float64:
            raise GradError(f"gradcheck: input {i} is {inputs[i].dtype}; finite differences need float64 inputs")

    with grad_mode.enable_grad():
        out = fn(*inputs)
    outs = _as_list(out)
    rng = np.random.default_rng(0 if seed_grad is None else seed_grad)
    projections = [rng.standard_normal(o.shape) for o in outs]

    def objective():
        with grad_mode.no_grad():
            res = _as_list(fn(*inputs))
        return sum(float((r.data.astype(np.float64) * v).sum()) for r, v in zip(res, projections))

    with grad_mode.enable_grad():
        total = None
        for o, v in zip(outs, projections):
            if not o.requires_grad:
                continue
            term = (o * Tensor._wrap(v.astype(o.dtype))).sum()
            total = term if total is None else total + term
        if total is None:
            analytic = [np.zeros(inputs[i].shape) for i in checked]
        else:
            grads = grad(total, [inputs[i] for i in checked], allow_unused=True)
            analytic = [np.zeros(inputs[i].shape) if g is None else g.data for i, g in zip(checked, grads)]

    report = []
    for k, i in enumerate(checked):
        x = inputs[i].data
        numeric, plus, minus = np.zeros(x.shape), np.zeros(x.shape), np.zeros(x.shape)
        for j in np.ndindex(x.shape):  # perturb in place (any memory layout), restore after
            orig = x[j]
            x[j] = orig + eps
            plus[j] = objective()
            x[j] = orig - eps
            minus[j] = objective()
            x[j] = orig
            numeric[j] = (plus[j] - minus[j]) / (2 * eps)
        err = np.abs(analytic[k] - numeric)
        bound = atol + rtol * np.abs(numeric)
        passed = bool(np.all(err <= bound))  # NaN on either side fails too
        margin = np.where(np.isfinite(err), err - bound, np.inf)
        worst = np.unravel_index(int(np.argmax(margin)), x.shape) if x.size else ()
        report.append(GradcheckEntry(i, analytic[k], numeric, plus, minus, tuple(int(w) for w in worst), passed))
    return report


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, seed_grad=None):
    """Compare backward's gradients with central differences, in float64.

    For every input that requires grad and every element i::

        numeric_i = (L(x + ε·e_i) - L(x - ε·e_i)) / (2ε),   L = Σ(fn(x) · v)

    with ``v`` a fixed random projection of the output (so a single backward gives
    the analytic gradient to compare). An element passes when
    ``|analytic - numeric| <= atol + rtol·|numeric|``. On failure the error names
    the input, the worst element, both values, the relative error and the tolerance.
    Returns True when all pass (or False with ``raise_exception=False``).
    ``chalkgrad.explain.explain_gradcheck`` writes the same comparison out step by step.
    """
    for entry in gradcheck_report(fn, inputs, eps, atol, rtol, seed_grad):
        if entry.passed:
            continue
        worst = entry.worst
        a, n = entry.analytic[worst], entry.numeric[worst]
        rel = abs(a - n) / max(abs(n), 1e-300)
        msg = (
            f"gradcheck failed for input {entry.input_index} (shape {entry.numeric.shape}) at element {worst}: "
            f"analytic {a:.10g}, numeric (central difference, eps={eps:g}) {n:.10g}, "
            f"relative error {rel:.3g}; allowed |a - n| <= atol + rtol·|n| = {atol:g} + {rtol:g}·{abs(n):.3g}"
        )
        if raise_exception:
            raise GradcheckError(msg)
        return False
    return True
