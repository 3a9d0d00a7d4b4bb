"""Optimizer steps written out: every parameter value equals torch.optim's, every formula checks."""

import pytest
import torch

from chalkgrad.errors import ConfigError
from chalkgrad.explain import render
from chalkgrad.explain.optimizer import OPTIMIZERS, explain_optimizer

CASES = [
    ("sgd", {"lr": 0.1}, torch.optim.SGD, {"lr": 0.1}),
    ("sgd", {"lr": 0.1, "weight_decay": 0.05}, torch.optim.SGD, {"lr": 0.1, "weight_decay": 0.05}),
    ("momentum", {"lr": 0.05, "momentum": 0.9}, torch.optim.SGD, {"lr": 0.05, "momentum": 0.9}),
    ("momentum", {"lr": 0.05, "momentum": 0.8, "dampening": 0.3}, torch.optim.SGD,
     {"lr": 0.05, "momentum": 0.8, "dampening": 0.3}),
    ("nesterov", {"lr": 0.05, "momentum": 0.9}, torch.optim.SGD, {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    ("adagrad", {"lr": 0.5}, torch.optim.Adagrad, {"lr": 0.5}),
    ("rmsprop", {"lr": 0.01, "alpha": 0.9}, torch.optim.RMSprop, {"lr": 0.01, "alpha": 0.9}),
    ("adadelta", {"lr": 1.0, "rho": 0.9}, torch.optim.Adadelta, {"lr": 1.0, "rho": 0.9}),
    ("adam", {"lr": 0.1, "betas": (0.5, 0.9)}, torch.optim.Adam, {"lr": 0.1, "betas": (0.5, 0.9)}),
    ("adam", {"lr": 0.1, "weight_decay": 0.1}, torch.optim.Adam, {"lr": 0.1, "weight_decay": 0.1}),
    ("adamw", {"lr": 0.1, "weight_decay": 0.1}, torch.optim.AdamW, {"lr": 0.1, "weight_decay": 0.1}),
    ("rprop", {"lr": 0.3}, torch.optim.Rprop, {"lr": 0.3}),
]


def loss_fn(w, b):
    return (w - 3) ** 2 * 0.5 + (w * b - 1) ** 2 + b ** 4 * 0.1


@pytest.mark.parametrize("name,hyper,torch_cls,torch_hyper", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_parameters_after_each_step_match_torch(name, hyper, torch_cls, torch_hyper):
    s = explain_optimizer(name, {"w": 1.0, "b": -0.5}, loss=loss_fn, steps=4, **hyper)
    w = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    b = torch.tensor(-0.5, dtype=torch.float64, requires_grad=True)
    opt = torch_cls([w, b], **torch_hyper)
    for t in range(1, 5):
        opt.zero_grad()
        loss_fn(w, b).backward()
        opt.step()
        assert s[f"w_{t}"] == pytest.approx(w.item(), rel=1e-12, abs=1e-15)
        assert s[f"b_{t}"] == pytest.approx(b.item(), rel=1e-12, abs=1e-15)
    s.verify()
    text = render(s, precision=5)
    assert "Step 4" in text


def test_adam_one_step_course_numbers():
    # L = 3·w1² + 1.5·w2³ at w = (1.5, −2): gradients (9, 18); lr 0.01, β1 0.5, β2 0.9
    s = explain_optimizer("adam", {"w1": 1.5, "w2": -2.0}, loss=lambda w1, w2: 3 * w1 ** 2 + 1.5 * w2 ** 3,
                          lr=0.01, betas=(0.5, 0.9), eps=1e-8)
    assert s["g_1,w1"] == 9 and s["g_1,w2"] == 18
    assert s["m_1,w1"] == pytest.approx(4.5) and s["v_1,w2"] == pytest.approx(32.4)
    assert s["w1_1"] == pytest.approx(1.490000000011111, abs=1e-9)
    assert s["w2_1"] == pytest.approx(-2.0099999999944442, abs=1e-9)
    text = render(s, precision=6)
    assert "m̂_1,w1 = m_1,w1/(1 − β1¹) = 4.5/(1 − 0.5¹) = 9" in text


def test_gradient_descent_on_a_quadratic_three_steps():
    s = explain_optimizer("sgd", {"p": 6.0}, loss=lambda p: (2 * p + 3) ** 2, steps=3, lr=0.1)
    assert [s[f"p_{t}"] for t in (1, 2, 3)] == pytest.approx([0.0, -1.2, -1.44])
    assert "p_1 = p_0 − η·g_1 = 6 − 0.1·60 = 0" in render(s)


def test_momentum_shows_both_forms():
    s = explain_optimizer("momentum", {"w": 0.0}, grads=[{"w": 1.0}, {"w": 1.0}], lr=0.1, momentum=0.5)
    assert s["buf_2"] == 1.5 and s["w_2"] == pytest.approx(-0.25)
    assert s["v_2"] == pytest.approx(-0.15)


@pytest.mark.parametrize("kwargs,match", [
    ({"name": "adamax2"}, "unknown optimizer"),
    ({"name": "sgd"}, "learning rate"),
    ({"name": "adam", "grads": None, "loss": None}, "either loss"),
    ({"name": "adam", "params": {"w": [1.0, 2.0]}, "lr": 0.1}, "must be a scalar"),
    ({"name": "adam", "grads": [{"w": 1.0}], "steps": 3}, "3 steps need 3 gradients"),
    ({"name": "adam", "lr": -1.0}, "lr"),
])
def test_bad_requests(kwargs, match):
    args = {"params": {"w": 1.0}, "grads": [{"w": 1.0}]}
    args.update(kwargs)
    name = args.pop("name")
    with pytest.raises(ConfigError, match=match):
        explain_optimizer(name, **args)


def test_every_optimizer_is_covered():
    assert {c[0] for c in CASES} == set(OPTIMIZERS)
