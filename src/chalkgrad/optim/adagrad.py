"""Adagrad: per-coordinate learning rates from the sum of squared gradients."""

from __future__ import annotations

import numpy as np

from .optimizer import Optimizer

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad as ``torch.optim.Adagrad`` (Duchi et al., 2011). For each parameter θ with gradient g,
    at step t:

        g ← -g                              if maximize
        g ← g + λ·θ                         (weight_decay λ)
        η̃ ← η / (1 + (t - 1)·δ)             (lr_decay δ)
        s ← s + g²                          (``sum``, starts at initial_accumulator_value)
        θ ← θ - η̃ · g / (√s + ε)

    State: ``step`` (t) and ``sum`` (s), created for every parameter at construction, as in torch.
    """

    def __init__(self, params, lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0,
                 eps=1e-10, *, maximize=False) -> None:
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value, maximize=maximize))

    def _validate(self, group):
        for name in ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"):
            self._check_number(group, name)

    def _init_group_state(self, group):
        for p in group["params"]:
            self.state[p] = {"step": 0,
                             "sum": np.full_like(p.data, group["initial_accumulator_value"])}

    def _update_group(self, group):
        lr, lr_decay, eps = group["lr"], group["lr_decay"], group["eps"]
        wd, maximize = group["weight_decay"], group["maximize"]
        for p in group["params"]:
            if p.grad is None:
                continue
            d = p.data
            st = self.state.get(p)
            if not st:
                st = self.state[p] = {"step": 0, "sum": np.full_like(d, group["initial_accumulator_value"])}
            st["step"] = step = st["step"] + 1
            g = self._effective_grad(p, maximize, wd)
            clr = lr / (1 + (step - 1) * lr_decay)
            s = st["sum"]
            tmp = self._scratch(d)
            np.multiply(g, g, out=tmp)
            s += tmp
            np.sqrt(s, out=tmp)
            tmp += eps
            np.divide(g, tmp, out=tmp)
            tmp *= clr
            d -= tmp
            p._version += 1
