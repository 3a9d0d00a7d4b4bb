"""Adam (with AMSGrad and optional decoupled weight decay)."""

from __future__ import annotations

import numpy as np

from .optimizer import Optimizer, lerp_, stepped

__all__ = ["Adam"]


class Adam(Optimizer):
    """Adam as ``torch.optim.Adam`` (Kingma & Ba, 2015). For each parameter θ with gradient g, at step t:

        g ← -g                                    if maximize
        θ ← θ·(1 - η·λ)   if decoupled_weight_decay   else   g ← g + λ·θ      (weight_decay λ)
        m ← β₁·m + (1 - β₁)·g                     (first moment, ``exp_avg``)
        v ← β₂·v + (1 - β₂)·g²                    (second moment, ``exp_avg_sq``)
        v̂ ← max(v̂, v)                             if amsgrad (``max_exp_avg_sq``); else v̂ = v
        θ ← θ - η/(1 - β₁ᵗ) · m / (√v̂ / √(1 - β₂ᵗ) + ε)

    i.e. θ ← θ - η·m̂/(√v̂ₜ + ε) with the bias-corrected m̂ = m/(1 - β₁ᵗ), v̂ₜ = v̂/(1 - β₂ᵗ).
    State: ``step`` (t, an int), ``exp_avg`` (m), ``exp_avg_sq`` (v) and, with amsgrad,
    ``max_exp_avg_sq``; all start at zero. ``AdamW`` is Adam with decoupled weight decay.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False, *,
                 maximize=False, decoupled_weight_decay=False) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize, decoupled_weight_decay=decoupled_weight_decay))

    def _validate(self, group):
        self._check_number(group, "lr")
        self._check_number(group, "eps")
        self._check_betas(group)
        self._check_number(group, "weight_decay")

    def _update_group(self, group):
        lr, eps, wd = group["lr"], group["eps"], group["weight_decay"]
        beta1, beta2 = group["betas"]
        amsgrad, maximize, decoupled = group["amsgrad"], group["maximize"], group["decoupled_weight_decay"]
        zeros = ("exp_avg", "exp_avg_sq") + (("max_exp_avg_sq",) if amsgrad else ())
        for p, d, st, step in stepped(self, group, zeros):
            if wd and decoupled:
                d *= 1 - lr * wd
                g = self._effective_grad(p, maximize, 0.0)
            else:
                g = self._effective_grad(p, maximize, wd)
            m, v = st["exp_avg"], st["exp_avg_sq"]
            tmp = self._scratch(d)
            lerp_(m, g, 1 - beta1, tmp)
            v *= beta2
            np.multiply(g, 1 - beta2, out=tmp)
            tmp *= g
            v += tmp
            step_size = lr / (1 - beta1**step)
            bias_correction2_sqrt = (1 - beta2**step) ** 0.5
            if amsgrad:
                vmax = st.get("max_exp_avg_sq")
                if vmax is None:
                    vmax = st["max_exp_avg_sq"] = np.zeros_like(d)
                np.maximum(vmax, v, out=vmax)
                np.sqrt(vmax, out=tmp)
            else:
                np.sqrt(v, out=tmp)
            tmp /= bias_correction2_sqrt
            tmp += eps
            np.divide(m, tmp, out=tmp)
            tmp *= step_size
            d -= tmp
            p._version += 1
