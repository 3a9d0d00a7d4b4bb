"""The worked backpropagation demo: the classic 2-2-2 sigmoid network, one SGD step.

The network, weights and targets are the textbook example (inputs 0.05 and 0.10,
targets 0.01 and 0.99, E = ½·Σ(t − o)², learning rate 0.5). The solution is written by
:func:`chalkgrad.explain.explain_dense`, so every number comes from chalkgrad's own
forward pass, backward pass and SGD step, and every formula is checked against it.
"""

from __future__ import annotations

WEIGHTS = {
    "0.weight": [[0.15, 0.20], [0.25, 0.30]],  # w1 w2 / w3 w4
    "0.bias": [0.35, 0.35],
    "2.weight": [[0.40, 0.45], [0.50, 0.55]],  # w5 w6 / w7 w8
    "2.bias": [0.60, 0.60],
}
INPUTS = [0.05, 0.10]
TARGETS = [0.01, 0.99]
LEARNING_RATE = 0.5


def textbook_network():
    """The 2-2-2 sigmoid network with the textbook weights, in float64."""
    import numpy as np

    from . import nn

    model = nn.Sequential(nn.Linear(2, 2, dtype=np.float64), nn.Sigmoid(), nn.Linear(2, 2, dtype=np.float64),
                          nn.Sigmoid())
    model.load_state_dict({k: np.array(v) for k, v in WEIGHTS.items()})
    return model


def worked_backprop(digits: int = 9, format: str = "text") -> str:  # noqa: A002
    """The full worked solution, with values shown to ``digits`` decimals."""
    from .explain import explain_dense, render

    solution = explain_dense(textbook_network(), INPUTS, TARGETS, lr=LEARNING_RATE, chain=["w5", "w1"],
                             title="Worked backpropagation: 2-2-2 sigmoid network, one SGD step")
    return render(solution, format=format, precision=digits)


def main() -> int:
    print(worked_backprop(), end="")
    return 0
