"""A worked backpropagation of a 2-2-2 sigmoid network, printed step by step.

Every number printed comes from chalkgrad's own forward pass, backward pass and
SGD step (intermediate tensors keep their gradients with ``retain_grad``), so the
text cannot disagree with the computation. The network, weights and targets are
the classic textbook example: inputs (0.05, 0.10), targets (0.01, 0.99),
E = ½·Σ(t − o)², learning rate 0.5.
"""

from __future__ import annotations

import numpy as np

from . import nn, optim, tensor
from .nn.functional import mse_loss

WEIGHTS = {
    "hidden.weight": [[0.15, 0.20], [0.25, 0.30]],  # w1 w2 / w3 w4
    "hidden.bias": [0.35, 0.35],  # b1
    "output.weight": [[0.40, 0.45], [0.50, 0.55]],  # w5 w6 / w7 w8
    "output.bias": [0.60, 0.60],  # b2
}
INPUTS = [0.05, 0.10]
TARGETS = [0.01, 0.99]
LEARNING_RATE = 0.5


class TwoTwoTwo(nn.Module):
    """Two inputs, two sigmoid hidden units, two sigmoid outputs."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden = nn.Linear(2, 2, dtype=np.float64)
        self.output = nn.Linear(2, 2, dtype=np.float64)

    def forward(self, x):
        self.net_h = self.hidden(x)
        self.out_h = self.net_h.sigmoid()
        self.net_o = self.output(self.out_h)
        self.out_o = self.net_o.sigmoid()
        for t in (self.net_h, self.out_h, self.net_o, self.out_o):
            t.retain_grad()
        return self.out_o


def _f(v: float, digits: int) -> str:
    return f"{v:.{digits}f}"


def worked_backprop(digits: int = 9) -> str:
    """The full worked solution as plain text."""
    model = TwoTwoTwo()
    model.load_state_dict({k: np.array(v) for k, v in WEIGHTS.items()})
    x = tensor(INPUTS, dtype="float64")
    t = tensor(TARGETS, dtype="float64")
    out = model(x)
    loss = mse_loss(out, t, reduction="half_sum")
    loss.backward()
    w_h, b_h = model.hidden.weight.data, model.hidden.bias.data
    w_o, b_o = model.output.weight.data, model.output.bias.data
    names_h = [["w1", "w2"], ["w3", "w4"]]
    names_o = [["w5", "w6"], ["w7", "w8"]]
    f = lambda v: _f(v, digits)  # noqa: E731
    lines = ["Worked backpropagation: 2-2-2 network, sigmoid units, E = ½·Σ(t − o)², η = 0.5", ""]
    lines.append(f"Inputs i1 = {INPUTS[0]}, i2 = {INPUTS[1]};  targets t1 = {TARGETS[0]}, t2 = {TARGETS[1]}")
    lines += ["", "Forward pass"]
    for j in range(2):
        terms = " + ".join(f"{names_h[j][k]}·i{k + 1}" for k in range(2))
        nums = " + ".join(f"{w_h[j, k]:g}·{INPUTS[k]:g}" for k in range(2))
        lines.append(f"  net_h{j + 1} = {terms} + b1 = {nums} + {b_h[j]:g} = {f(model.net_h.data[j])}")
        net, out_h = f(model.net_h.data[j]), f(model.out_h.data[j])
        lines.append(f"  out_h{j + 1} = σ(net_h{j + 1}) = 1/(1 + e^-{net}) = {out_h}")
    for j in range(2):
        terms = " + ".join(f"{names_o[j][k]}·out_h{k + 1}" for k in range(2))
        nums = " + ".join(f"{w_o[j, k]:g}·{f(model.out_h.data[k])}" for k in range(2))
        lines.append(f"  net_o{j + 1} = {terms} + b2 = {nums} + {b_o[j]:g} = {f(model.net_o.data[j])}")
        lines.append(f"  out_o{j + 1} = σ(net_o{j + 1}) = {f(model.out_o.data[j])}")
    errs = [0.5 * (TARGETS[j] - out.data[j]) ** 2 for j in range(2)]
    lines += ["", "Error"]
    for j in range(2):
        subst = f"½·({TARGETS[j]} − {f(out.data[j])})²"
        lines.append(f"  E_o{j + 1} = ½·(t{j + 1} − out_o{j + 1})² = {subst} = {f(errs[j])}")
    lines.append(f"  E_total = E_o1 + E_o2 = {f(loss.item())}")

    lines += ["", "Backward pass, output layer (δ_o = ∂E/∂net_o = (out_o − t)·out_o·(1 − out_o))"]
    d_out, d_net_o = model.out_o.grad.data, model.net_o.grad.data
    for j in range(2):
        o = out.data[j]
        lines.append(f"  ∂E/∂out_o{j + 1} = out_o{j + 1} − t{j + 1} = {f(o)} − {TARGETS[j]} = {f(d_out[j])}")
        lines.append(f"  ∂out_o{j + 1}/∂net_o{j + 1} = out_o{j + 1}·(1 − out_o{j + 1}) = {f(o * (1 - o))}")
        lines.append(f"  δ_o{j + 1} = {f(d_out[j])} · {f(o * (1 - o))} = {f(d_net_o[j])}")
    gw_o = model.output.weight.grad.data
    for j in range(2):
        for k in range(2):
            lines.append(f"  ∂E/∂{names_o[j][k]} = δ_o{j + 1}·out_h{k + 1} = {f(d_net_o[j])} · "
                         f"{f(model.out_h.data[k])} = {f(gw_o[j, k])}")

    lines += ["", "Backward pass, hidden layer (∂E/∂out_h = Σ_o δ_o·w, δ_h = ∂E/∂out_h·out_h·(1 − out_h))"]
    d_out_h, d_net_h = model.out_h.grad.data, model.net_h.grad.data
    for k in range(2):
        terms = " + ".join(f"δ_o{j + 1}·{names_o[j][k]}" for j in range(2))
        nums = " + ".join(f"{f(d_net_o[j])}·{w_o[j, k]:g}" for j in range(2))
        lines.append(f"  ∂E/∂out_h{k + 1} = {terms} = {nums} = {f(d_out_h[k])}")
        h = model.out_h.data[k]
        lines.append(f"  δ_h{k + 1} = {f(d_out_h[k])} · {f(h * (1 - h))} = {f(d_net_h[k])}")
    gw_h = model.hidden.weight.grad.data
    for j in range(2):
        for k in range(2):
            lines.append(f"  ∂E/∂{names_h[j][k]} = δ_h{j + 1}·i{k + 1} = {f(d_net_h[j])} · {INPUTS[k]:g} = "
                         f"{f(gw_h[j, k])}")

    before_o, before_h = w_o.copy(), w_h.copy()
    optim.SGD(model.parameters(), lr=LEARNING_RATE).step()
    lines += ["", f"Update (SGD, w ← w − η·∂E/∂w, η = {LEARNING_RATE})"]
    for names, before, grad, after in ((names_o, before_o, gw_o, model.output.weight.data),
                                       (names_h, before_h, gw_h, model.hidden.weight.data)):
        for j in range(2):
            for k in range(2):
                lines.append(f"  {names[j][k]}⁺ = {before[j, k]:g} − {LEARNING_RATE}·{f(grad[j, k])} = "
                             f"{f(after[j, k])}")
    with_new = mse_loss(model(x), t, reduction="half_sum").item()
    lines += ["", f"Error after one step: {f(with_new)} (was {f(loss.item())})"]
    return "\n".join(lines)


def main() -> int:
    print(worked_backprop())
    return 0
