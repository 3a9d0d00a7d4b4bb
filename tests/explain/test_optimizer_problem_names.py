"""Optimizer problems take the textbook names of Adam's betas (beta1/beta2, Keras's beta_1/beta_2), and
any other unknown hyperparameter is refused in one line that lists the accepted keys."""

import pytest
import torch

from .problem_helpers import assert_bad_problem, solve_text

PROBLEM = """kind: optimizer
optimizer: {{name: adam, lr: 0.1, {betas}}}
params: {{w: 1.5}}
loss: (w - 3) ** 2
steps: 3
"""


def _torch_adam(betas):
    w = torch.tensor(1.5, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([w], lr=0.1, betas=betas)
    for _ in range(3):
        opt.zero_grad()
        ((w - 3) ** 2).backward()
        opt.step()
    return w.item()


@pytest.mark.parametrize("spelling, betas", [
    ("beta1: 0.5, beta2: 0.9", (0.5, 0.9)),
    ("beta_1: 0.5, beta_2: 0.9", (0.5, 0.9)),
    ("beta1: 0.5", (0.5, 0.999)),           # the other beta keeps Adam's default
    ("betas: [0.5, 0.9], beta2: 0.8", (0.5, 0.8)),
])
def test_textbook_beta_names_give_torchs_adam(tmp_path, spelling, betas):
    solution = solve_text(tmp_path, PROBLEM.format(betas=spelling))
    reference = solve_text(tmp_path, PROBLEM.format(betas=f"betas: [{betas[0]}, {betas[1]}]"), name="ref.yaml")
    assert str(solution) == str(reference)
    final = [v for k, v in solution.values().items() if k.startswith("w")][-1]
    assert final == pytest.approx(_torch_adam(betas), rel=1e-12)


def test_an_unknown_hyperparameter_lists_the_accepted_keys(tmp_path, capsys):
    err = assert_bad_problem(tmp_path, capsys, PROBLEM.format(betas="gamma: 0.9"),
                             r"optimizer.gamma: adam takes no hyperparameter 'gamma'; the accepted keys are lr, betas")
    assert "beta1" in str(err) and "bias_correction" in str(err)
