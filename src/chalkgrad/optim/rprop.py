"""Rprop: sign-based steps whose sizes grow or shrink with the gradient's sign changes."""

from __future__ import annotations

import numpy as np

from .optimizer import Optimizer, stepped

__all__ = ["Rprop"]


class Rprop(Optimizer):
    """Rprop as ``torch.optim.Rprop`` (Riedmiller & Braun, 1993; the variant without backtracking).
    For each parameter θ with gradient g, elementwise:

        g ← -g                                         if maximize
        f = η₊ if g·g_prev > 0,  η₋ if g·g_prev < 0,  1 otherwise       (etas = (η₋, η₊))
        Δ ← clamp(Δ·f, Δ_min, Δ_max)                   (``step_size``, starts at lr; step_sizes = (Δ_min, Δ_max))
        g ← 0 where g·g_prev < 0                       (skip the step after a sign change)
        θ ← θ - sign(g)·Δ
        g_prev ← g                                     (``prev``, starts at zero)

    State: ``step``, ``prev`` and ``step_size``.
    """

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, maximize=False) -> None:
        super().__init__(params, dict(lr=lr, etas=etas, step_sizes=step_sizes, maximize=maximize))

    def _validate(self, group):
        self._check_number(group, "lr")
        etaminus, etaplus = self._check_pair(group, "etas")
        self._check(0.0 < etaminus < 1.0, "etas[0]", etaminus, "0 < etas[0] < 1 (the factor that shrinks steps)")
        self._check(etaplus > 1.0, "etas[1]", etaplus, "etas[1] > 1 (the factor that grows steps)")
        lo, hi = self._check_pair(group, "step_sizes")
        self._check(0.0 <= lo <= hi, "step_sizes", group["step_sizes"], "(min, max) with 0 <= min <= max")

    def _update_group(self, group):
        etaminus, etaplus = group["etas"]
        lo, hi = group["step_sizes"]
        maximize = group["maximize"]
        for p, d, st, _ in stepped(self, group, ("prev",), lambda d: {"step_size": np.full_like(d, group["lr"])}):
            g = self._effective_grad(p, maximize, 0.0)
            prev, step_size = st["prev"], st["step_size"]
            factor = self._scratch(d)
            np.multiply(g, prev, out=factor)
            grow, shrink = factor > 0, factor < 0
            factor.fill(1)
            factor[grow] = etaplus
            factor[shrink] = etaminus
            step_size *= factor
            np.clip(step_size, lo, hi, out=step_size)
            prev[...] = g
            prev[shrink] = 0
            np.sign(prev, out=factor)
            factor *= step_size
            d -= factor
            p._version += 1
