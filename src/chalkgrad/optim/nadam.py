"""NAdam: Adam with Nesterov momentum and momentum decay."""

from __future__ import annotations

import numpy as np

from .optimizer import Optimizer, lerp_, stepped

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """NAdam as ``torch.optim.NAdam`` (Dozat, 2016). For each parameter θ with gradient g, at step t:

        g ← -g                                         if maximize
        θ ← θ·(1 - η·λ)  if decoupled_weight_decay  else  g ← g + λ·θ      (weight_decay λ)
        μₜ = β₁·(1 - ½·0.96^(t·ψ)),  μₜ₊₁ = β₁·(1 - ½·0.96^((t+1)·ψ))       (momentum_decay ψ)
        Π ← Π·μₜ                                       (``mu_product``, starts at 1)
        m ← β₁·m + (1 - β₁)·g,   v ← β₂·v + (1 - β₂)·g²
        s = √(v / (1 - β₂ᵗ)) + ε
        θ ← θ - η·(1 - μₜ)/(1 - Π) · g/s - η·μₜ₊₁/(1 - Π·μₜ₊₁) · m/s

    State: ``step`` (t), ``mu_product`` (Π, a float), ``exp_avg`` (m), ``exp_avg_sq`` (v).
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, maximize=False) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      momentum_decay=momentum_decay, decoupled_weight_decay=decoupled_weight_decay,
                                      maximize=maximize))

    def _validate(self, group):
        self._check_number(group, "lr")
        self._check_number(group, "eps")
        self._check_betas(group)
        self._check_number(group, "weight_decay")
        self._check_number(group, "momentum_decay")

    def _update_group(self, group):
        lr, eps, wd, psi = group["lr"], group["eps"], group["weight_decay"], group["momentum_decay"]
        beta1, beta2 = group["betas"]
        maximize, decoupled = group["maximize"], group["decoupled_weight_decay"]
        for p, d, st, step in stepped(self, group, ("exp_avg", "exp_avg_sq"), lambda d: {"mu_product": 1.0}):
            bias_correction2 = 1 - beta2**step
            if wd and decoupled:
                d *= 1 - lr * wd
                g = self._effective_grad(p, maximize, 0.0)
            else:
                g = self._effective_grad(p, maximize, wd)
            mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * psi)))
            mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * psi)))
            st["mu_product"] = mu_product = st["mu_product"] * mu
            m, v = st["exp_avg"], st["exp_avg_sq"]
            tmp, denom = self._scratch(d), self._scratch(d, 2)
            lerp_(m, g, 1 - beta1, tmp)
            v *= beta2
            np.multiply(g, 1 - beta2, out=tmp)
            tmp *= g
            v += tmp
            np.divide(v, bias_correction2, out=denom)
            np.sqrt(denom, out=denom)
            denom += eps
            np.divide(g, denom, out=tmp)
            tmp *= -lr * (1.0 - mu) / (1.0 - mu_product)
            d += tmp
            np.divide(m, denom, out=tmp)
            tmp *= (-lr * mu_next) / (1.0 - mu_product * mu_next)
            d += tmp
            p._version += 1
