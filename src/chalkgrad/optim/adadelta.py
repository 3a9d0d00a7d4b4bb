"""Adadelta: step sizes from running averages of squared gradients and squared updates."""

from __future__ import annotations

import numpy as np

from .optimizer import Optimizer, stepped

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
        for p, d, st, _ in stepped(self, group, zeros=("square_avg", "acc_delta")):
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
