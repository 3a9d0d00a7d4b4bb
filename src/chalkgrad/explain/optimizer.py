"""Optimizer steps written out: SGD, momentum, Nesterov, Adagrad, RMSprop, Adadelta, Adam, AdamW, Rprop.

:func:`explain_optimizer` runs one of :mod:`chalkgrad.optim`'s optimizers for a few steps
on scalar parameters and writes each step as a hand calculation: the gradient, the
optimizer's state (momentum buffer, running averages, Adam's moments and their bias
corrections, Rprop's step sizes) and the update. The parameter values and the state are
read from the optimizer itself after every step (``optimizer.state``), so the page shows
what the library did; the formulas are checked against those values.

Gradients come from a loss function of the parameters (differentiated by the library's
autograd at every step) or are given as a list, one dict per step.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError
from .expr import Call, Div, Mul, Neg, Num, Pow, Sub, Sym, add
from .steps import Solution

__all__ = ["explain_optimizer", "OPTIMIZERS"]

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
    name: str, params: dict, *, loss=None, grads=None, steps: int | None = None, title: str | None = None, **hyper
) -> Solution:
    """Worked steps of optimizer ``name`` on scalar parameters.

    Args:
        name: one of ``OPTIMIZERS``; ``'momentum'`` and ``'nesterov'`` are SGD with those options.
        params: ``{name: initial value}`` (scalars).
        loss: a function taking the parameters as keyword tensors and returning a scalar tensor,
            e.g. ``lambda w: (w - 3) ** 2``; the gradient of every step comes from it.
        grads: instead of ``loss``, the gradients: a list with one ``{name: g}`` per step.
        steps: how many steps (default: the length of ``grads``, else 1).
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
    reserved = {"g", "g'", "buf", "dir", "v", "m", "m̂", "v̂", "G", "u", "Δ", "g_eff", "θ'", "L"}
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

    single = len(tensors) == 1

    def q(symbol: str, pname: str, t) -> str:
        """Name of a per-parameter, per-step quantity: m_1 (one parameter) or m_1,w (several)."""
        if single or symbol == pname:
            return f"{symbol}_{t}"
        return f"{symbol}_{t},{pname}"

    sol = Solution(title or f"{_CLASS[name]}: {steps} step{'s' if steps != 1 else ''} worked out")
    sol.conventions.append(_rule(name, group))
    given = sol.section("Given")
    for key, value in _shown_hyper(name, group).items():
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
        before = {pname: p.item() for pname, p in tensors.items()}
        opt.step()
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
            )
    sol.verify(rtol=1e-9, atol=1e-12)
    return sol


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


def _rule(name, group) -> str:
    wd = " Weight decay adds λ·θ to the gradient." if group.get("weight_decay") and name != "adamw" else ""
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


def _explain_step(name, group, sol, sec, cur, prev, pname, theta_before, st, theta_after, t):
    g = Sym(cur("g"))
    if name not in ("adamw", "rprop"):
        g = _grad_with_decay_simple(group, sec, cur, prev, pname, theta_before)
    lr = Sym("η")
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
