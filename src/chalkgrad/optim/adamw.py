"""AdamW: Adam with decoupled weight decay."""

from __future__ import annotations

from .adam import Adam

__all__ = ["AdamW"]


class AdamW(Adam):
    """AdamW as ``torch.optim.AdamW`` (Loshchilov & Hutter, 2019): Adam whose weight decay shrinks
    the parameters directly instead of entering the moments. At step t:

        g ← -g                                    if maximize
        θ ← θ·(1 - η·λ)                           (weight_decay λ, default 0.01)
        m ← β₁·m + (1 - β₁)·g,   v ← β₂·v + (1 - β₂)·g²
        v̂ ← max(v̂, v)  if amsgrad  else  v̂ = v
        θ ← θ - η/(1 - β₁ᵗ) · m / (√v̂ / √(1 - β₂ᵗ) + ε)

    State: ``step``, ``exp_avg``, ``exp_avg_sq`` (and ``max_exp_avg_sq`` with amsgrad).
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)
