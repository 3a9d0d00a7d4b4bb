"""Adamax: Adam with the infinity norm."""

from __future__ import annotations

import numpy as np

from .optimizer import Optimizer, lerp_, stepped

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """Adamax as ``torch.optim.Adamax`` (Kingma & Ba, 2015, section 7). For each parameter θ with
    gradient g, at step t:

        g ← -g                                   if maximize
        g ← g + λ·θ                              (weight_decay λ)
        m ← β₁·m + (1 - β₁)·g                    (``exp_avg``)
        u ← max(β₂·u, |g| + ε)                   (``exp_inf``, elementwise)
        θ ← θ - η/(1 - β₁ᵗ) · m/u

    State: ``step`` (t), ``exp_avg`` (m) and ``exp_inf`` (u), starting at zero.
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, *, maximize=False) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize))

    def _validate(self, group):
        self._check_number(group, "lr")
        self._check_number(group, "eps")
        self._check_betas(group)
        self._check_number(group, "weight_decay")

    def _update_group(self, group):
        lr, eps, wd, maximize = group["lr"], group["eps"], group["weight_decay"], group["maximize"]
        beta1, beta2 = group["betas"]
        for p, d, st, step in stepped(self, group, zeros=("exp_avg", "exp_inf")):
            g = self._effective_grad(p, maximize, wd)
            m, u = st["exp_avg"], st["exp_inf"]
            tmp = self._scratch(d)
            lerp_(m, g, 1 - beta1, tmp)
            u *= beta2
            np.abs(g, out=tmp)
            tmp += eps
            np.maximum(u, tmp, out=u)
            clr = lr / (1 - beta1**step)
            np.divide(m, u, out=tmp)
            tmp *= clr
            d -= tmp
            p._version += 1
