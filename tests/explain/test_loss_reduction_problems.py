"""A problem file's `loss: {name: bce, reduction: sum}` is honoured (it used to compute the mean),
checked against PyTorch; a reduction a loss does not have is refused in one line."""

import pytest
import torch

from .problem_helpers import assert_bad_problem, solve_text

PROBLEM = """kind: dense
network:
  - linear: {{weight: [[0.15, 0.20], [0.25, 0.30]], bias: [0.35, 0.35]}}
    activation: sigmoid
  - linear: {{weight: [[0.40, 0.45], [0.50, 0.55]], bias: [0.60, 0.60]}}
    activation: sigmoid
input: [0.05, 0.10]
target: [0.01, 0.99]
loss: {loss}
optimizer: {{name: sgd, lr: 0.5}}
"""


def _torch(reduction):
    w1 = torch.tensor([[0.15, 0.20], [0.25, 0.30]], dtype=torch.float64, requires_grad=True)
    w2 = torch.tensor([[0.40, 0.45], [0.50, 0.55]], dtype=torch.float64, requires_grad=True)
    b = torch.tensor([0.35, 0.35], dtype=torch.float64), torch.tensor([0.60, 0.60], dtype=torch.float64)
    h = torch.sigmoid(w1 @ torch.tensor([0.05, 0.10], dtype=torch.float64) + b[0])
    o = torch.sigmoid(w2 @ h + b[1])
    E = torch.nn.functional.binary_cross_entropy(o, torch.tensor([0.01, 0.99], dtype=torch.float64),
                                                 reduction=reduction)
    E.backward()
    return E.item(), w1.grad.flatten().tolist() + w2.grad.flatten().tolist()


@pytest.mark.parametrize("loss, reduction", [("{name: bce, reduction: sum}", "sum"),
                                             ("{name: bce, reduction: mean}", "mean"), ("bce", "mean")])
def test_bce_reduction_matches_torch(tmp_path, loss, reduction):
    s = solve_text(tmp_path, PROBLEM.format(loss=loss))
    E, grads = _torch(reduction)
    assert s["E"] == pytest.approx(E, rel=1e-12)
    for i, g in enumerate(grads, start=1):
        assert s[f"∂E/∂w{i}"] == pytest.approx(g, rel=1e-10)


def test_half_sum_is_refused_for_bce(tmp_path, capsys):
    assert_bad_problem(tmp_path, capsys, PROBLEM.format(loss="{name: bce, reduction: half_sum}"),
                       "loss.reduction: bce takes reduction mean or sum, got 'half_sum'")
