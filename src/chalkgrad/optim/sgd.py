"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay."""

from __future__ import annotations

import numbers

import numpy as np

from ..errors import ConfigError
from .optimizer import Optimizer

__all__ = ["SGD"]


class SGD(Optimizer):
    """SGD as ``torch.optim.SGD``. For each parameter θ with gradient g, at step t:

        g ← -g                                  if maximize
        g ← g + λ·θ                             (weight_decay λ)
        b ← g  (t = 1),   b ← μ·b + (1 - τ)·g   (t > 1; momentum μ, dampening τ; only if μ ≠ 0)
        g ← g + μ·b  if nesterov  else  g ← b   (only if μ ≠ 0)
        θ ← θ - η·g                             (learning rate η)

    State: ``momentum_buffer`` (b), only when momentum ≠ 0.
    Weight decay λ gives the gradient of the penalty (λ/2)·‖θ‖² (see ``nn.regularization``).
    """

    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0,
                 nesterov=False, *, maximize=False) -> None:
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov, maximize=maximize))

    def _validate(self, group):
        for name in ("lr", "momentum", "weight_decay"):
            self._check_number(group, name)
        self._check(isinstance(group["dampening"], numbers.Real), "dampening", group["dampening"], "a number")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ConfigError("SGD: nesterov=True needs momentum > 0 and dampening = 0, "
                              f"got momentum={group['momentum']!r}, dampening={group['dampening']!r}")

    def _update_group(self, group):
        lr, mu, tau = group["lr"], group["momentum"], group["dampening"]
        wd, nesterov, maximize = group["weight_decay"], group["nesterov"], group["maximize"]
        state = self.state
        for p in group["params"]:
            if p.grad is None:
                continue
            g = self._effective_grad(p, maximize, wd)
            d = p.data
            if mu:
                st = state.get(p)
                if st is None:
                    st = state[p] = {}
                buf = st.get("momentum_buffer")
                if buf is None:
                    buf = st["momentum_buffer"] = np.array(g, dtype=d.dtype, copy=True)
                else:
                    buf *= mu
                    if tau:
                        tmp = self._scratch(d)
                        np.multiply(g, 1 - tau, out=tmp)
                        buf += tmp
                    else:
                        buf += g
                if nesterov:
                    tmp = self._scratch(d)
                    np.multiply(buf, mu, out=tmp)
                    tmp += g
                    g = tmp
                else:
                    g = buf
            tmp = self._scratch(d)
            np.multiply(g, lr, out=tmp)
            d -= tmp
            p._version += 1
