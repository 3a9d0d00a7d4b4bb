"""Optimizer steps written out: SGD, momentum, Nesterov, Adagrad, RMSprop, Adadelta, Adam, AdamW, Rprop.

:func:`explain_optimizer` runs one of :mod:`chalkgrad.optim`'s optimizers for a few steps
on scalar parameters and writes each step as a hand calculation: the gradient, the
optimizer's state (momentum buffer, running averages, Adam's moments and their bias
corrections, Rprop's step sizes) and the update. The parameter values and the state are
read from the optimizer itself after every step (``optimizer.state``), so the page shows
what the library did; the formulas are checked against those values.

Gradients come from a loss function of the parameters (differentiated by the library's
autograd at every step) or are given as a list, one dict per step.

Two variants course problems use:

* ``bias_correction=False`` (Adam, AdamW): θ_t = θ_{t−1} − η·m_t/(√v_t + ε), without m̂ and v̂.
  chalkgrad's Adam, like PyTorch's, always corrects the bias; the library's Adam is run with
  the step size η·(1 − β1^t)/√(1 − β2^t) and ε/√(1 − β2^t) in step t, which makes its update equal
  to the uncorrected one exactly, and the moments are read from its state as usual.
* ``scheduler=`` a learning rate that changes per step, from :mod:`chalkgrad.optim.lr_scheduler`
  (StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, LinearLR, ConstantLR, PolynomialLR),
  stepped after every optimizer step as in PyTorch: step t uses the rate η_{t−1} of scheduler
  epoch t − 1, shown with its closed form in η (the optimizer's learning rate); the value is the
  scheduler's.
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError
from .expr import Call, Div, Mul, Neg, Num, Pow, Sub, Sym, add
from .steps import Solution

__all__ = ["explain_optimizer", "OPTIMIZERS", "SCHEDULERS", "ScheduleError", "check_schedule"]

#: Learning-rate schedulers with a worked formula (chalkgrad.optim.lr_scheduler class names).
SCHEDULERS = ("StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LinearLR", "ConstantLR",
              "PolynomialLR")
#: Symbols each scheduler's constants are given as (argument -> name in the solution).
_SCHEDULE_SYMBOLS = {
    "StepLR": {"gamma": "γ", "step_size": "s"},
    "MultiStepLR": {"gamma": "γ"},
    "ExponentialLR": {"gamma": "γ"},
    "CosineAnnealingLR": {"T_max": "T", "eta_min": "η_min"},
    "LinearLR": {"start_factor": "f_start", "end_factor": "f_end", "total_iters": "T"},
    "ConstantLR": {"factor": "f", "total_iters": "T"},
    "PolynomialLR": {"total_iters": "T", "power": "power"},
}


class ScheduleError(ConfigError):
    """A ConfigError about the learning-rate schedule (so a problem file can point at ``lr_schedule``)."""

OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam", "adamw", "rprop")

_CLASS = {
    "sgd": "SGD",
    "momentum": "SGD",
    "nesterov": "SGD",
    "adagrad": "Adagrad",
    "rmsprop": "RMSprop",
    "adadelta": "Adadelta",
    "adam": "Adam",
    "adamw": "AdamW",
    "rprop": "Rprop",
}


def explain_optimizer(
    name: str, params: dict, *, loss=None, grads=None, steps: int | None = None, title: str | None = None,
    bias_correction: bool = True, scheduler=None, **hyper
) -> Solution:
    """Worked steps of optimizer ``name`` on scalar parameters.

    Args:
        name: one of ``OPTIMIZERS``; ``'momentum'`` and ``'nesterov'`` are SGD with those options.
        params: ``{name: initial value}`` (scalars).
        loss: a function taking the parameters as keyword tensors and returning a scalar tensor,
            e.g. ``lambda w: (w - 3) ** 2``; the gradient of every step comes from it.
        grads: instead of ``loss``, the gradients: a list with one ``{name: g}`` per step.
        steps: how many steps (default: the length of ``grads``, else 1).
        bias_correction: Adam/AdamW only; ``False`` writes θ_t = θ_{t−1} − η·m_t/(√v_t + ε) (no m̂, v̂).
        scheduler: a learning rate per step: ``{"name": "StepLR", "step_size": 2, "gamma": 0.5}`` (the
            arguments of that class of :mod:`chalkgrad.optim.lr_scheduler`, one of :data:`SCHEDULERS`), or a
            function ``optimizer -> scheduler`` returning one of those classes. It is stepped after every
            optimizer step; step t uses η_{t−1}.
        **hyper: the optimizer's hyperparameters with torch's names (lr, momentum, betas, eps, ...).
    """
    import chalkgrad as cg
    from chalkgrad import optim

    if name not in OPTIMIZERS:
        raise ConfigError(f"explain_optimizer: unknown optimizer {name!r}; expected one of {', '.join(OPTIMIZERS)}")
    if (loss is None) == (grads is None):
        raise ConfigError(
            "explain_optimizer: give either loss (a function of the parameters) or grads (one dict per step)"
        )
    if not params:
        raise ConfigError("explain_optimizer: params is empty; expected {name: initial value}")
    steps = steps if steps is not None else (len(grads) if grads is not None else 1)
    if grads is not None and len(grads) < steps:
        raise ConfigError(f"explain_optimizer: {steps} steps need {steps} gradients, got {len(grads)}")
    if name == "momentum":
        hyper.setdefault("momentum", 0.9)
    if name == "nesterov":
        hyper.setdefault("momentum", 0.9)
        hyper["nesterov"] = True
    if name in ("sgd", "momentum", "nesterov") and "lr" not in hyper:
        raise ConfigError(f"explain_optimizer: {name} needs a learning rate (lr=...)")
    if not isinstance(bias_correction, bool):
        raise ConfigError(f"explain_optimizer: bias_correction must be true or false, got {bias_correction!r}")
    if not bias_correction and name not in ("adam", "adamw"):
        raise ConfigError(f"explain_optimizer: bias_correction=False is an Adam/AdamW option; {name} has no bias "
                          "correction")
    if scheduler is not None and name == "rprop":
        raise ScheduleError("explain_optimizer: a learning-rate schedule does not apply to rprop (Rprop uses the "
                            "learning rate only as its first step size Δ_0)")
    reserved = {"g", "g'", "buf", "dir", "v", "m", "m̂", "v̂", "G", "u", "Δ", "g_eff", "θ'", "L", "η", "ε", "λ"}
    if scheduler is not None:
        reserved |= {"γ", "s", "T", "η_min", "f", "f_start", "f_end", "power"}
    tensors = {}
    for pname, v in params.items():
        if pname in reserved or not isinstance(pname, str) or not pname:
            raise ConfigError(f"explain_optimizer: the parameter name {pname!r} is taken by a quantity of the "
                              f"solution; use another name (reserved: {', '.join(sorted(reserved))})")
        arr = np.asarray(v, dtype=np.float64)
        if arr.ndim != 0:
            raise ConfigError(f"explain_optimizer: parameter '{pname}' must be a scalar, got shape {arr.shape}")
        tensors[pname] = cg.nn.Parameter(cg.tensor(float(arr), dtype=cg.float64))
    opt = getattr(optim, _CLASS[name])(list(tensors.values()), **hyper)
    group = opt.param_groups[0]
    if not bias_correction and group.get("amsgrad"):
        raise ConfigError("explain_optimizer: adam is written out without amsgrad")
    sched = _make_scheduler(scheduler, opt) if scheduler is not None else None
    if sched is not None and name == "adagrad" and group.get("lr_decay"):
        raise ScheduleError("explain_optimizer: give Adagrad either lr_decay or a learning-rate schedule, not both")

    single = len(tensors) == 1

    def q(symbol: str, pname: str, t) -> str:
        """Name of a per-parameter, per-step quantity: m_1 (one parameter) or m_1,w (several)."""
        if single or symbol == pname:
            return f"{symbol}_{t}"
        return f"{symbol}_{t},{pname}"

    variant = " without bias correction" if not bias_correction else ""
    sol = Solution(title or f"{_CLASS[name]}{variant}: {steps} step{'s' if steps != 1 else ''} worked out")
    sol.conventions.append(_rule(name, group, bias_correction))
    if sched is not None:
        sol.conventions.append(sched.rule)
    given = sol.section("Given")
    for key, value in _shown_hyper(name, group).items():
        given.given(key, group["initial_lr"] if key == "η" and sched is not None else value)
    if sched is not None:
        for key, value in sched.constants.items():
            given.given(key, value)
    for pname, p in tensors.items():
        given.given(q(pname, pname, 0), p.item())
    state_names = _initial_state(name, group)
    for pname in tensors:
        for sym, value in state_names.items():
            given.given(q(sym, pname, 0), value)

    for t in range(1, steps + 1):
        sec = sol.section(f"Step {t}")
        for p in tensors.values():
            p.grad = None
        if loss is not None:
            value = loss(**tensors)
            value.backward()
            sec.given(f"L_{t - 1}", value.item(), note="the loss at the current parameters")
        else:
            for pname, p in tensors.items():
                g = grads[t - 1].get(pname)
                if g is None:
                    raise ConfigError(f"explain_optimizer: grads[{t - 1}] has no gradient for '{pname}'")
                p.grad = cg.tensor(float(g), dtype=cg.float64)
        lr_name = "η"
        if sched is not None:
            lr_name = f"η_{t - 1}"
            sched.explain(sec, t - 1, group["lr"])
        before = {pname: p.item() for pname, p in tensors.items()}
        if bias_correction:
            opt.step()
        else:
            _step_without_bias_correction(opt, group, t)
        for pname, p in tensors.items():
            g = p.grad.item()
            sec.given(q("g", pname, t), g, note="∂L/∂" + pname + (", from autograd" if loss is not None else ", given"))
            st = opt.state.get(p, {})
            _explain_step(
                name,
                group,
                sol,
                sec,
                lambda s, _p=pname, _t=t: q(s, _p, _t),
                lambda s, _p=pname, _t=t: q(s, _p, _t - 1),
                pname,
                before[pname],
                st,
                p.item(),
                t,
                lr_name=lr_name,
                bias_correction=bias_correction,
                constant_lr=sched is None,
            )
        if sched is not None:
            sched.scheduler.step()
    sol.verify(rtol=1e-9, atol=1e-12)
    return sol


def _step_without_bias_correction(opt, group, t):
    """One step of the library's Adam whose update is η·m_t/(√v_t + ε), without bias correction.

    Adam's update is η/(1 − β1^t) · m_t/(√v_t/√(1 − β2^t) + ε); with η' = η·(1 − β1^t)/√(1 − β2^t) and
    ε' = ε/√(1 − β2^t) it equals η·m_t/(√v_t + ε). Decoupled weight decay (AdamW) multiplies θ by 1 − η·λ,
    so λ' = λ·η/η' keeps it. The group's values are restored afterwards.
    """
    saved = {k: group[k] for k in ("lr", "eps", "weight_decay")}
    beta1, beta2 = group["betas"]
    root = math.sqrt(1 - beta2 ** t)
    lr = saved["lr"] * (1 - beta1 ** t) / root
    try:
        group["lr"], group["eps"] = lr, saved["eps"] / root
        if group.get("decoupled_weight_decay") and saved["weight_decay"]:
            group["weight_decay"] = saved["weight_decay"] * saved["lr"] / lr
        opt.step()
    finally:
        group.update(saved)


# ----------------------------------------------------------------------------- learning-rate schedules
class _Pi(Num):
    """π in a formula."""

    def __init__(self):
        super().__init__(math.pi, "π")

    def tex(self, values=None, precision=6):
        return r"\pi"


@dataclass
class _Schedule:
    scheduler: object
    kind: str
    constants: dict  # symbol -> value, given once
    rule: str

    def explain(self, sec, e: int, value: float) -> None:
        """Derive η_e (the rate of scheduler epoch e, used by step e + 1) with its closed form."""
        from .expression import Fn

        sch, eta0 = self.scheduler, Sym("η")
        note = f"scheduler epoch {e}, used by step {e + 1}"
        if self.kind == "StepLR":
            formula = Mul([eta0, Pow(Sym("γ"), Call("floor", Div(Num(e), Sym("s"))))])
        elif self.kind == "MultiStepLR":
            milestones = sorted(sch.milestones.elements())
            k = sum(1 for m in milestones if m <= e)
            formula = Mul([eta0, Pow(Sym("γ"), Num(k))])
            note += f"; {k} of the milestones {', '.join(map(str, milestones))} are ≤ {e}"
        elif self.kind == "ExponentialLR":
            formula = Mul([eta0, Pow(Sym("γ"), Num(e))])
        elif self.kind == "CosineAnnealingLR":
            cos = Fn("cos", [Div(Mul([_Pi(), Num(e)]), Sym("T"))])
            formula = add(Sym("η_min"), Div(Mul([Sub(eta0, Sym("η_min")), add(Num(1), cos)]), Num(2)))
        elif self.kind == "LinearLR":
            frac = Div(_MinMax("min", Num(e), Sym("T")), Sym("T"))
            formula = Mul([eta0, add(Sym("f_start"), Mul([Sub(Sym("f_end"), Sym("f_start")), frac]))])
        elif self.kind == "ConstantLR":
            if e < sch.total_iters:
                formula, note = Mul([eta0, Sym("f")]), note + f"; {e} < T"
            else:
                formula, note = eta0, note + f"; {e} ≥ T: back to η"
        else:  # PolynomialLR
            formula = Mul([eta0, Pow(Sub(Num(1), Div(_MinMax("min", Num(e), Sym("T")), Sym("T"))), Sym("power"))])
        sec.derive(f"η_{e}", formula, value, note=note)


_SCHEDULE_RULES = {
    "StepLR": "η_e = η·γ^⌊e/s⌋ (multiplied by γ every s epochs)",
    "MultiStepLR": "η_e = η·γ^k, k = the number of milestones ≤ e",
    "ExponentialLR": "η_e = η·γ^e",
    "CosineAnnealingLR": "η_e = η_min + (η − η_min)·(1 + cos(π·e/T))/2",
    "LinearLR": "η_e = η·(f_start + (f_end − f_start)·min(e, T)/T)",
    "ConstantLR": "η_e = η·f for e < T, then η",
    "PolynomialLR": "η_e = η·(1 − min(e, T)/T)^power",
}


def _scheduler_class(name):
    from chalkgrad.optim import lr_scheduler

    if not isinstance(name, str):
        raise ScheduleError(f"explain_optimizer: the schedule needs a name, one of {', '.join(SCHEDULERS)}; "
                            f"got {name!r}")
    match = {n.lower(): n for n in SCHEDULERS}.get(name.lower())
    if match is None:
        other = " (it has no closed form to show)" if hasattr(lr_scheduler, name) else ""
        raise ScheduleError(f"explain_optimizer: unknown or unsupported schedule {name!r}{other}; expected one of "
                            f"{', '.join(SCHEDULERS)}")
    return match, getattr(lr_scheduler, match)


def _make_scheduler(spec, opt) -> _Schedule:
    """The library scheduler for ``spec`` (a dict with a name, or a function of the optimizer) on ``opt``."""
    from chalkgrad.optim import lr_scheduler

    if callable(spec) and not isinstance(spec, dict):
        sched = spec(opt)
        kind = type(sched).__name__
        if kind not in SCHEDULERS or not isinstance(sched, lr_scheduler.LRScheduler):
            raise ScheduleError(f"explain_optimizer: the scheduler function returned {kind}; expected one of "
                                f"{', '.join(SCHEDULERS)} (a chalkgrad.optim.lr_scheduler object on this optimizer)")
        if sched.optimizer is not opt or sched.last_epoch != 0:
            raise ScheduleError("explain_optimizer: the scheduler must be new and built on the optimizer it is given")
    elif isinstance(spec, dict):
        args = dict(spec)
        kind, cls = _scheduler_class(args.pop("name", None))
        allowed = [p for p in inspect.signature(cls.__init__).parameters if p not in ("self", "optimizer",
                                                                                        "last_epoch")]
        unknown = [k for k in args if k not in allowed]
        if unknown:
            raise ScheduleError(f"explain_optimizer: {kind} has no argument {unknown[0]!r}; its arguments are "
                                f"{', '.join(allowed)}")
        try:
            sched = cls(opt, **args)
        except TypeError as e:
            raise ScheduleError(f"explain_optimizer: {kind}: {e}") from None
        except ConfigError as e:
            raise ScheduleError(f"explain_optimizer: {e}") from None
    else:
        raise ScheduleError(f"explain_optimizer: scheduler must be a mapping {{name: StepLR, ...}} or a function of "
                            f"the optimizer, got {type(spec).__name__}")
    constants = {}
    for arg, symbol in _SCHEDULE_SYMBOLS[kind].items():
        constants[symbol] = float(getattr(sched, arg))
    rule = f"Learning rate: {kind}, {_SCHEDULE_RULES[kind]}"
    if kind == "MultiStepLR":
        rule += f" (milestones {', '.join(map(str, sorted(sched.milestones.elements())))})"
    rule += (", with η the optimizer's learning rate; the library's scheduler, stepped after each optimizer step as in "
             "PyTorch: step t uses the rate η_{t−1} of epoch t − 1.")
    return _Schedule(sched, kind, constants, rule)


def check_schedule(spec) -> None:
    """Raise ScheduleError if ``spec`` (a mapping with a name and arguments) does not build a supported scheduler."""
    import chalkgrad as cg
    from chalkgrad import optim

    opt = optim.SGD([cg.nn.Parameter(cg.tensor(0.0, dtype=cg.float64))], lr=0.1)
    _make_scheduler(spec, opt)


def _shown_hyper(name, group) -> dict:
    keys = {
        "sgd": ["lr", "weight_decay"],
        "momentum": ["lr", "momentum", "dampening", "weight_decay"],
        "nesterov": ["lr", "momentum", "weight_decay"],
        "adagrad": ["lr", "eps", "weight_decay"],
        "rmsprop": ["lr", "alpha", "eps", "weight_decay"],
        "adadelta": ["lr", "rho", "eps", "weight_decay"],
        "adam": ["lr", "betas", "eps", "weight_decay"],
        "adamw": ["lr", "betas", "eps", "weight_decay"],
        "rprop": ["lr", "etas", "step_sizes"],
    }[name]
    sym = {"lr": "η", "momentum": "μ", "dampening": "τ", "weight_decay": "λ", "eps": "ε", "alpha": "α", "rho": "ρ"}
    out = {}
    for k in keys:
        v = group[k]
        if k == "weight_decay" and not v:
            continue
        if k == "dampening" and not v:
            continue
        if k == "betas":
            out["β1"], out["β2"] = v
        elif k == "etas":
            out["η−"], out["η+"] = v
        elif k == "step_sizes":
            out["Δmin"], out["Δmax"] = v
        else:
            out[sym[k]] = v
    return out


def _initial_state(name, group) -> dict:
    if name in ("momentum", "nesterov"):
        return {}
    if name == "adagrad":
        return {"G": group.get("initial_accumulator_value", 0.0)}
    if name == "rmsprop":
        return {"v": 0.0}
    if name == "adadelta":
        return {"v": 0.0, "u": 0.0}
    if name in ("adam", "adamw"):
        return {"m": 0.0, "v": 0.0}
    if name == "rprop":
        return {"Δ": group["lr"], "g_eff": 0.0}
    return {}


def _rule(name, group, bias_correction=True) -> str:
    wd = " Weight decay adds λ·θ to the gradient." if group.get("weight_decay") and name != "adamw" else ""
    if not bias_correction:
        first = "first θ ← θ·(1 − η·λ) (decoupled weight decay), then " if name == "adamw" else ""
        return (f"{_CLASS[name]} without bias correction (the form many course marking schemes use): {first}"
                "m_t = β1·m_{t−1} + (1 − β1)·g_t, v_t = β2·v_{t−1} + (1 − β2)·g_t², θ_t = θ_{t−1} − η·m_t/(√v_t + ε). "
                "chalkgrad's Adam (like PyTorch's) always corrects the bias; it is run with the step size "
                "η·(1 − β1^t)/√(1 − β2^t) and ε/√(1 − β2^t), which makes its update exactly this one; m_t and v_t "
                "are its state. (Some schemes write √(v_t + ε); the two differ by less than ε/(2√v_t) in the "
                "denominator.)" + (wd if name == "adam" else ""))
    return {
        "sgd": "SGD: θ_t = θ_{t−1} − η·g_t." + wd,
        "momentum": "SGD with momentum (PyTorch's form): buf_1 = g_1, buf_t = μ·buf_{t−1} + (1 − τ)·g_t, "
        "θ_t = θ_{t−1} − η·buf_t. The other common form, v_t = μ·v_{t−1} − η·g_t and θ_t = θ_{t−1} + v_t, "
        "gives the same θ with v = −η·buf while η is constant." + wd,
        "nesterov": "Nesterov momentum (PyTorch's form): buf_t = μ·buf_{t−1} + g_t (buf_1 = g_1), "
        "θ_t = θ_{t−1} − η·(g_t + μ·buf_t)." + wd,
        "adagrad": "Adagrad: G_t = G_{t−1} + g_t², θ_t = θ_{t−1} − η·g_t/(√G_t + ε)." + wd,
        "rmsprop": "RMSprop: v_t = α·v_{t−1} + (1 − α)·g_t², θ_t = θ_{t−1} − η·g_t/(√v_t + ε) (ε outside the root, "
        "as PyTorch)." + wd,
        "adadelta": "Adadelta: v_t = ρ·v_{t−1} + (1 − ρ)·g_t², Δ_t = √(u_{t−1} + ε)/√(v_t + ε)·g_t, "
        "u_t = ρ·u_{t−1} + (1 − ρ)·Δ_t², θ_t = θ_{t−1} − η·Δ_t." + wd,
        "adam": "Adam: m_t = β1·m_{t−1} + (1 − β1)·g_t, v_t = β2·v_{t−1} + (1 − β2)·g_t², m̂_t = m_t/(1 − β1^t), "
        "v̂_t = v_t/(1 − β2^t), θ_t = θ_{t−1} − η·m̂_t/(√v̂_t + ε)." + wd,
        "adamw": "AdamW: first θ ← θ·(1 − η·λ) (decoupled weight decay), then Adam's update: m_t = β1·m_{t−1} + "
        "(1 − β1)·g_t, v_t = β2·v_{t−1} + (1 − β2)·g_t², m̂_t = m_t/(1 − β1^t), v̂_t = v_t/(1 − β2^t), "
        "θ_t = θ − η·m̂_t/(√v̂_t + ε).",
        "rprop": "Rprop: only the sign of the gradient is used. If g_t·g_{t−1} > 0 the step grows, "
        "Δ_t = min(Δ_{t−1}·η+, Δmax); if < 0 it shrinks, Δ_t = max(Δ_{t−1}·η−, Δmin), and g_t is taken as 0; "
        "θ_t = θ_{t−1} − sign(g_t)·Δ_t. Δ_0 = η (the learning rate).",
    }[name]


def _explain_step(name, group, sol, sec, cur, prev, pname, theta_before, st, theta_after, t, lr_name="η",
                  bias_correction=True, constant_lr=True):
    g = Sym(cur("g"))
    if name not in ("adamw", "rprop"):
        g = _grad_with_decay_simple(group, sec, cur, prev, pname, theta_before)
    lr = Sym(lr_name)
    theta_prev = Sym(prev(pname))
    if name == "sgd" and not group.get("momentum"):
        sec.derive(cur(pname), Sub(theta_prev, Mul([lr, g])), theta_after, answer=True)
    elif name in ("sgd", "momentum", "nesterov"):
        buf = float(st["momentum_buffer"])
        if t == 1:
            sec.derive(cur("buf"), g, buf, note="the first step starts the buffer at the gradient")
        else:
            damp = Sub(Num(1), Sym("τ")) if group.get("dampening") else None
            term = Mul([damp, g]) if damp is not None else g
            sec.derive(cur("buf"), add(Mul([Sym("μ"), Sym(prev("buf"))]), term), buf)
        if group.get("nesterov"):
            sec.derive(
                cur("dir"),
                add(g, Mul([Sym("μ"), Sym(cur("buf"))])),
                _value(sol, g) + group["momentum"] * buf,
                note="Nesterov: look ahead along the buffer",
            )
            sec.derive(cur(pname), Sub(theta_prev, Mul([lr, Sym(cur("dir"))])), theta_after, answer=True)
        else:
            sec.derive(cur(pname), Sub(theta_prev, Mul([lr, Sym(cur("buf"))])), theta_after, answer=True)
            if not constant_lr:  # v = −η·buf is the other form only while η is constant
                return
            sec.derive(
                cur("v"),
                Neg(Mul([lr, Sym(cur("buf"))])),
                -group["lr"] * buf,
                note="the same step in the form v_t = μ·v_{t−1} − η·g_t, θ_t = θ_{t−1} + v_t",
            )
    elif name == "adagrad":
        G = float(st["sum"])
        sec.derive(cur("G"), add(Sym(prev("G")), Pow(g, Num(2))), G)
        rate = lr if not group.get("lr_decay") else Div(lr, add(Num(1), Mul([Num(t - 1), Num(group["lr_decay"])])))
        sec.derive(
            cur(pname),
            Sub(theta_prev, Mul([rate, Div(g, add(Call("sqrt", Sym(cur("G"))), Sym("ε")))])),
            theta_after,
            answer=True,
        )
    elif name == "rmsprop":
        if group.get("centered") or group.get("momentum"):
            raise ConfigError("explain_optimizer: rmsprop is written out without centered/momentum options")
        v = float(st["square_avg"])
        sec.derive(cur("v"), add(Mul([Sym("α"), Sym(prev("v"))]), Mul([Sub(Num(1), Sym("α")), Pow(g, Num(2))])), v)
        sec.derive(
            cur(pname),
            Sub(theta_prev, Mul([lr, Div(g, add(Call("sqrt", Sym(cur("v"))), Sym("ε")))])),
            theta_after,
            answer=True,
        )
    elif name == "adadelta":
        v, u = float(st["square_avg"]), float(st["acc_delta"])
        rho = Sym("ρ")
        sec.derive(cur("v"), add(Mul([rho, Sym(prev("v"))]), Mul([Sub(Num(1), rho), Pow(g, Num(2))])), v)
        delta = Mul([Div(Call("sqrt", add(Sym(prev("u")), Sym("ε"))), Call("sqrt", add(Sym(cur("v")), Sym("ε")))), g])
        sec.derive(cur("Δ"), delta, _value(sol, delta))
        sec.derive(cur("u"), add(Mul([rho, Sym(prev("u"))]), Mul([Sub(Num(1), rho), Pow(Sym(cur("Δ")), Num(2))])), u)
        sec.derive(cur(pname), Sub(theta_prev, Mul([lr, Sym(cur("Δ"))])), theta_after, answer=True)
    elif name in ("adam", "adamw"):
        if group.get("amsgrad"):
            raise ConfigError("explain_optimizer: adam is written out without amsgrad")
        if name == "adamw" and group.get("weight_decay"):
            sec.derive(
                cur("θ'"),
                Mul([theta_prev, Sub(Num(1), Mul([lr, Sym("λ")]))]),
                theta_before * (1 - group["lr"] * group["weight_decay"]),
                note="decoupled weight decay",
            )
            theta_prev = Sym(cur("θ'"))
        m, v = float(st["exp_avg"]), float(st["exp_avg_sq"])
        b1, b2 = Sym("β1"), Sym("β2")
        sec.derive(cur("m"), add(Mul([b1, Sym(prev("m"))]), Mul([Sub(Num(1), b1), g])), m)
        sec.derive(cur("v"), add(Mul([b2, Sym(prev("v"))]), Mul([Sub(Num(1), b2), Pow(g, Num(2))])), v)
        if not bias_correction:
            sec.derive(
                cur(pname),
                Sub(theta_prev, Div(Mul([lr, Sym(cur("m"))]), add(Call("sqrt", Sym(cur("v"))), Sym("ε")))),
                theta_after,
                answer=True,
                note="no bias correction: m_t and v_t are used as they are",
            )
            return
        sec.derive(cur("m̂"), Div(Sym(cur("m")), Sub(Num(1), Pow(b1, Num(t)))), m / (1 - group["betas"][0] ** t))
        sec.derive(cur("v̂"), Div(Sym(cur("v")), Sub(Num(1), Pow(b2, Num(t)))), v / (1 - group["betas"][1] ** t))
        sec.derive(
            cur(pname),
            Sub(theta_prev, Div(Mul([lr, Sym(cur("m̂"))]), add(Call("sqrt", Sym(cur("v̂"))), Sym("ε")))),
            theta_after,
            answer=True,
        )
    elif name == "rprop":
        g_prev = sol.values()[prev("g_eff")]
        product = _value(sol, g) * g_prev
        if product > 0:
            formula, note = _MinMax("min", Mul([Sym(prev("Δ")), Sym("η+")]), Sym("Δmax")), "same sign as before: grow"
        elif product < 0:
            formula, note = _MinMax("max", Mul([Sym(prev("Δ")), Sym("η−")]), Sym("Δmin")), "the sign flipped: shrink"
        else:
            formula, note = Sym(prev("Δ")), "no previous sign to compare: keep"
        sec.derive(cur("Δ"), formula, float(st["step_size"]), note=note)
        sec.derive(
            cur("g_eff"),
            Num(0) if product < 0 else g,
            float(st["prev"]),
            note="after a sign flip the gradient counts as 0 (no step, no flip next time)" if product < 0 else "",
        )
        sec.derive(
            cur(pname), Sub(theta_prev, Mul([Call("sign", Sym(cur("g_eff"))), Sym(cur("Δ"))])), theta_after, answer=True
        )


def _grad_with_decay_simple(group, sec, cur, prev, pname, theta_before):
    wd = group.get("weight_decay", 0.0)
    if not wd or group.get("decoupled_weight_decay"):
        return Sym(cur("g"))
    g = sec.steps[-1].value
    sec.derive(
        cur("g'"),
        add(Sym(cur("g")), Mul([Sym("λ"), Sym(prev(pname))])),
        g + wd * theta_before,
        note="weight decay: g + λ·θ",
    )
    return Sym(cur("g'"))


def _value(sol, expr) -> float:
    return expr.evaluate(sol.values())


class _MinMax(Call):
    """min(a, b) or max(a, b)."""

    def __init__(self, fn, a, b):
        self.fn, self.a, self.b = fn, a, b

    @property
    def children(self):
        return [self.a, self.b]

    def text(self, values=None, precision=6):
        return f"{self.fn}({self.a.text(values, precision)}, {self.b.text(values, precision)})"

    def tex(self, values=None, precision=6):
        return rf"\{self.fn}\left({self.a.tex(values, precision)}, {self.b.tex(values, precision)}\right)"

    def evaluate(self, values):
        f = min if self.fn == "min" else max
        return f(self.a.evaluate(values), self.b.evaluate(values))
