"""Adadelta: step sizes from running averages of squared gradients and squared updates."""

from __future__ import annotations

import numpy as np

from .optimizer import Optimizer, state_for

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """Adadelta as ``torch.optim.Adadelta`` (Zeiler, 2012). For each parameter θ with gradient g:

        g ← -g                                   if maximize
        g ← g + λ·θ                              (weight_decay λ)
        v ← ρ·v + (1 - ρ)·g²                     (``square_avg``)
        Δ ← √(u + ε) / √(v + ε) · g              (the update)
        u ← ρ·u + (1 - ρ)·Δ²                     (``acc_delta``)
        θ ← θ - η·Δ                              (lr η, default 1)

    State: ``step``, ``square_avg`` (v) and ``acc_delta`` (u), both starting at zero.
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, *, maximize=False) -> None:
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize))

    def _validate(self, group):
        self._check_number(group, "lr")
        self._check_number(group, "rho", 0.0, 1.0)
        self._check_number(group, "eps")
        self._check_number(group, "weight_decay")

    def _update_group(self, group):
        lr, rho, eps = group["lr"], group["rho"], group["eps"]
        wd, maximize = group["weight_decay"], group["maximize"]
        for p in group["params"]:
            if p.grad is None:
                continue
            d = p.data
            st = state_for(self, p)
            if not st:
                st["step"] = 0
                st["square_avg"] = np.zeros_like(d)
                st["acc_delta"] = np.zeros_like(d)
            st["step"] += 1
            g = self._effective_grad(p, maximize, wd)
            v, u = st["square_avg"], st["acc_delta"]
            tmp, delta = self._scratch(d), self._scratch(d, 2)
            v *= rho
            np.multiply(g, 1 - rho, out=tmp)
            tmp *= g
            v += tmp
            np.add(v, eps, out=tmp)
            np.sqrt(tmp, out=tmp)                 # std
            np.add(u, eps, out=delta)
            np.sqrt(delta, out=delta)
            delta /= tmp
            delta *= g
            u *= rho
            np.multiply(delta, 1 - rho, out=tmp)
            tmp *= delta
            u += tmp
            delta *= lr
            d -= delta
            p._version += 1
