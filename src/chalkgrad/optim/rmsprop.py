"""RMSprop, optionally centered and with momentum."""

from __future__ import annotations

import numpy as np

from .optimizer import Optimizer, lerp_, stepped

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop as ``torch.optim.RMSprop`` (Hinton, 2012). For each parameter θ with gradient g:

        g ← -g                                   if maximize
        g ← g + λ·θ                              (weight_decay λ)
        v ← α·v + (1 - α)·g²                     (``square_avg``; smoothing constant α)
        if centered:  ḡ ← α·ḡ + (1 - α)·g  (``grad_avg``),   s ← √(v - ḡ²) + ε
        else:         s ← √v + ε
        if momentum μ > 0:  b ← μ·b + g/s  (``momentum_buffer``),   θ ← θ - η·b
        else:               θ ← θ - η·g/s

    State: ``step``, ``square_avg``, and ``momentum_buffer`` / ``grad_avg`` when used; all start at zero.
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False,
                 maximize=False) -> None:
        super().__init__(params, dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                                      weight_decay=weight_decay, maximize=maximize))

    def _validate(self, group):
        for name in ("lr", "eps", "momentum", "weight_decay", "alpha"):
            self._check_number(group, name)

    def _update_group(self, group):
        lr, alpha, eps, mu = group["lr"], group["alpha"], group["eps"], group["momentum"]
        wd, centered, maximize = group["weight_decay"], group["centered"], group["maximize"]
        zeros = ("square_avg",) + (("momentum_buffer",) if mu > 0 else ()) + (("grad_avg",) if centered else ())
        for p, d, st, _ in stepped(self, group, zeros):
            g = self._effective_grad(p, maximize, wd)
            v = st["square_avg"]
            tmp, avg = self._scratch(d), self._scratch(d, 2)
            v *= alpha
            np.multiply(g, 1 - alpha, out=tmp)
            tmp *= g
            v += tmp
            if centered:
                ga = st.setdefault("grad_avg", np.zeros_like(d))
                lerp_(ga, g, 1 - alpha, tmp)
                np.multiply(ga, -1.0, out=avg)
                avg *= ga
                avg += v
                np.sqrt(avg, out=avg)
            else:
                np.sqrt(v, out=avg)
            avg += eps
            if mu > 0:
                buf = st.setdefault("momentum_buffer", np.zeros_like(d))
                buf *= mu
                np.divide(g, avg, out=tmp)
                buf += tmp
                np.multiply(buf, lr, out=tmp)
            else:
                np.divide(g, avg, out=tmp)
                tmp *= lr
            d -= tmp
            p._version += 1
