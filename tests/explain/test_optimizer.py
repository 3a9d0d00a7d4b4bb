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


# ----------------------------------------------------------------------------- Adam without bias correction
def _uncorrected_adam_torch(steps, lr, betas, eps, weight_decay=0.0, decoupled=False):
    """θ_t = θ_{t−1} − η·m_t/(√v_t + ε) on loss_fn, written with torch tensors (torch has no such option)."""
    w = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    b = torch.tensor(-0.5, dtype=torch.float64, requires_grad=True)
    m = [0.0, 0.0]
    v = [0.0, 0.0]
    out = []
    for _ in range(steps):
        gw, gb = torch.autograd.grad(loss_fn(w, b), [w, b])
        new = []
        for i, (p, g) in enumerate(((w, gw), (b, gb))):
            theta = p.detach()
            if decoupled:
                theta = theta * (1 - lr * weight_decay)
            elif weight_decay:
                g = g + weight_decay * p.detach()
            m[i] = betas[0] * m[i] + (1 - betas[0]) * g
            v[i] = betas[1] * v[i] + (1 - betas[1]) * g * g
            new.append(theta - lr * m[i] / (torch.sqrt(v[i]) + eps))
        w = new[0].clone().requires_grad_()
        b = new[1].clone().requires_grad_()
        out.append((w.item(), b.item(), float(m[0]), float(v[1])))
    return out


@pytest.mark.parametrize("name,hyper,decoupled", [
    ("adam", {"lr": 0.1, "betas": (0.5, 0.9), "eps": 1e-8}, False),
    ("adam", {"lr": 0.05, "weight_decay": 0.1}, False),
    ("adamw", {"lr": 0.1, "weight_decay": 0.1}, True),
])
def test_adam_without_bias_correction_matches_the_formula_in_torch(name, hyper, decoupled):
    s = explain_optimizer(name, {"w": 1.0, "b": -0.5}, loss=loss_fn, steps=3, bias_correction=False, **hyper)
    betas = hyper.get("betas", (0.9, 0.999))
    eps = hyper.get("eps", 1e-8)
    want = _uncorrected_adam_torch(3, hyper["lr"], betas, eps, hyper.get("weight_decay", 0.0), decoupled)
    for t, (w, b, m_w, v_b) in enumerate(want, start=1):
        assert s[f"w_{t}"] == pytest.approx(w, rel=1e-12, abs=1e-15)
        assert s[f"b_{t}"] == pytest.approx(b, rel=1e-12, abs=1e-15)
        assert s[f"m_{t},w"] == pytest.approx(m_w, rel=1e-12, abs=1e-15)
        assert s[f"v_{t},b"] == pytest.approx(v_b, rel=1e-12, abs=1e-15)
    s.verify()
    names = {step.name for step in s.steps()}
    assert "m̂_1,w" not in names and "v̂_1,w" not in names
    assert "without bias correction" in s.conventions[0]


def test_adam_without_bias_correction_course_rubric_numbers():
    s = explain_optimizer("adam", {"w1": 1.5, "w2": -2.0}, loss=lambda w1, w2: 3 * w1 ** 2 + 1.5 * w2 ** 3,
                          lr=0.01, betas=(0.5, 0.9), eps=1e-8, bias_correction=False)
    assert s["w1_1"] == pytest.approx(1.5 - 0.01 * 4.5 / (8.1 ** 0.5 + 1e-8), rel=1e-14)
    assert s["w2_1"] == pytest.approx(-2 - 0.01 * 9 / (32.4 ** 0.5 + 1e-8), rel=1e-14)
    assert s["w1_1"] == pytest.approx(1.48419, abs=1e-5)
    text = render(s, precision=6)
    assert "w1_1 = w1_0 − η·m_1,w1/(√(v_1,w1) + ε) = 1.5 − 0.01·4.5/(√(8.1) + 1e−08) = 1.484189" in text


# ----------------------------------------------------------------------------- learning-rate schedules
SCHEDULES = [
    ({"name": "StepLR", "step_size": 2, "gamma": 0.5}, torch.optim.lr_scheduler.StepLR, {"step_size": 2, "gamma": 0.5}),
    ({"name": "MultiStepLR", "milestones": [1, 3, 3], "gamma": 0.3}, torch.optim.lr_scheduler.MultiStepLR,
     {"milestones": [1, 3, 3], "gamma": 0.3}),
    ({"name": "ExponentialLR", "gamma": 0.8}, torch.optim.lr_scheduler.ExponentialLR, {"gamma": 0.8}),
    ({"name": "CosineAnnealingLR", "T_max": 3, "eta_min": 0.01}, torch.optim.lr_scheduler.CosineAnnealingLR,
     {"T_max": 3, "eta_min": 0.01}),
    ({"name": "LinearLR", "start_factor": 0.25, "end_factor": 1.0, "total_iters": 3},
     torch.optim.lr_scheduler.LinearLR, {"start_factor": 0.25, "end_factor": 1.0, "total_iters": 3}),
    ({"name": "ConstantLR", "factor": 0.5, "total_iters": 2}, torch.optim.lr_scheduler.ConstantLR,
     {"factor": 0.5, "total_iters": 2}),
    ({"name": "PolynomialLR", "total_iters": 4, "power": 2.0}, torch.optim.lr_scheduler.PolynomialLR,
     {"total_iters": 4, "power": 2.0}),
]


@pytest.mark.parametrize("spec,torch_cls,torch_args", SCHEDULES, ids=[s[0]["name"] for s in SCHEDULES])
@pytest.mark.parametrize("name,hyper,opt_cls", [
    ("sgd", {"lr": 0.1}, torch.optim.SGD),
    ("adam", {"lr": 0.1, "betas": (0.5, 0.9)}, torch.optim.Adam),
])
def test_schedules_match_torch(spec, torch_cls, torch_args, name, hyper, opt_cls):
    steps = 6
    s = explain_optimizer(name, {"w": 1.0, "b": -0.5}, loss=loss_fn, steps=steps, scheduler=spec, **hyper)
    w = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    b = torch.tensor(-0.5, dtype=torch.float64, requires_grad=True)
    opt = opt_cls([w, b], **hyper)
    sched = torch_cls(opt, **torch_args)
    for t in range(1, steps + 1):
        lr = opt.param_groups[0]["lr"]
        assert s[f"η_{t - 1}"] == pytest.approx(lr, rel=1e-12, abs=1e-15)
        opt.zero_grad()
        loss_fn(w, b).backward()
        opt.step()
        sched.step()
        assert s[f"w_{t}"] == pytest.approx(w.item(), rel=1e-12, abs=1e-15)
        assert s[f"b_{t}"] == pytest.approx(b.item(), rel=1e-12, abs=1e-15)
    s.verify()


def test_schedule_formulas_are_shown_per_step():
    s = explain_optimizer("sgd", {"w": 1.0}, loss=lambda w: (w - 3) ** 2, steps=4, lr=0.1,
                          scheduler={"name": "StepLR", "step_size": 2, "gamma": 0.5})
    text = render(s, precision=6)
    assert "η_0 = η·γ^⌊0/s⌋ = 0.1·0.5^⌊0/2⌋ = 0.1   (scheduler epoch 0, used by step 1)" in text
    assert "η_2 = η·γ^⌊2/s⌋ = 0.1·0.5^⌊2/2⌋ = 0.05   (scheduler epoch 2, used by step 3)" in text
    assert "w_3 = w_2 − η_2·g_3 = 1.72 − 0.05·(−2.56) = 1.848" in text
    assert "StepLR, η_e = η·γ^⌊e/s⌋" in s.conventions[1]
    c = explain_optimizer("momentum", {"w": 1.0}, loss=lambda w: (w - 3) ** 2, steps=3, lr=0.1,
                          scheduler={"name": "cosineannealinglr", "T_max": 4, "eta_min": 0.01})
    assert "η_1 = η_min + (η − η_min)·(1 + cos(π·1/T))/2 = 0.01 + (0.1 − 0.01)·(1 + cos(π·1/4))/2" in render(c)
    assert r"\cos\left(\frac{\pi \cdot 1}{T}\right)" in render(c, format="tex")
    assert "v_2" not in c.values()  # the v = −η·buf form holds only for a constant η


def test_scheduler_given_as_a_function_of_the_optimizer():
    from chalkgrad.optim import lr_scheduler

    a = explain_optimizer("sgd", {"w": 1.0}, loss=lambda w: (w - 3) ** 2, steps=3, lr=0.1,
                          scheduler=lambda opt: lr_scheduler.ExponentialLR(opt, gamma=0.5))
    b = explain_optimizer("sgd", {"w": 1.0}, loss=lambda w: (w - 3) ** 2, steps=3, lr=0.1,
                          scheduler={"name": "ExponentialLR", "gamma": 0.5})
    assert a.values() == b.values() and a["η_2"] == 0.025


def test_schedule_and_no_bias_correction_together():
    s = explain_optimizer("adam", {"w": 1.0, "b": -0.5}, loss=loss_fn, steps=3, lr=0.1, bias_correction=False,
                          scheduler={"name": "ExponentialLR", "gamma": 0.5})
    s.verify()
    m, v = 0.0, 0.0
    w = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    b = torch.tensor(-0.5, dtype=torch.float64, requires_grad=True)
    for t in range(1, 4):
        (gw,) = torch.autograd.grad(loss_fn(w, b), [w])
        m = 0.9 * m + 0.1 * gw.item()
        v = 0.999 * v + 0.001 * gw.item() ** 2
        assert s[f"m_{t},w"] == pytest.approx(m, rel=1e-12)
        new_w = w.item() - 0.1 * 0.5 ** (t - 1) * m / (v ** 0.5 + 1e-8)
        assert s[f"w_{t}"] == pytest.approx(new_w, rel=1e-12)
        w = torch.tensor(new_w, dtype=torch.float64, requires_grad=True)
        b = torch.tensor(s[f"b_{t}"], dtype=torch.float64, requires_grad=True)


@pytest.mark.parametrize("kwargs,match", [
    ({"name": "sgd", "lr": 0.1, "bias_correction": False}, "Adam/AdamW option; sgd has no bias correction"),
    ({"name": "adam", "bias_correction": "no"}, "bias_correction must be true or false"),
    ({"name": "adam", "bias_correction": False, "amsgrad": True}, "without amsgrad"),
    ({"name": "rprop", "scheduler": {"name": "StepLR", "step_size": 1}}, "does not apply to rprop"),
    ({"name": "sgd", "lr": 0.1, "scheduler": {"name": "LambdaLR"}}, "unsupported schedule 'LambdaLR'.*no closed form"),
    ({"name": "sgd", "lr": 0.1, "scheduler": {"name": "Warmup"}}, "unknown or unsupported schedule 'Warmup'"),
    ({"name": "sgd", "lr": 0.1, "scheduler": {"gamma": 0.5}}, "the schedule needs a name"),
    ({"name": "sgd", "lr": 0.1, "scheduler": {"name": "StepLR", "step_size": 0}}, r"StepLR: invalid step_size=0"),
    ({"name": "sgd", "lr": 0.1, "scheduler": {"name": "StepLR", "gama": 0.5}}, "StepLR has no argument 'gama'"),
    ({"name": "sgd", "lr": 0.1, "scheduler": {"name": "ExponentialLR"}}, "ExponentialLR: .*gamma"),
    ({"name": "sgd", "lr": 0.1, "scheduler": 3}, "a mapping .* or a function of the optimizer"),
    ({"name": "sgd", "lr": 0.1, "scheduler": lambda opt: 3}, "the scheduler function returned int"),
    ({"name": "adagrad", "lr_decay": 0.1, "scheduler": {"name": "ExponentialLR", "gamma": 0.5}}, "not both"),
    ({"name": "sgd", "lr": 0.1, "params": {"γ": 1.0}, "scheduler": {"name": "ExponentialLR", "gamma": 0.5}},
     "the parameter name 'γ' is taken"),
])
def test_bad_variant_requests(kwargs, match):
    args = {"params": {"w": 1.0}, "grads": [{"w": 1.0}, {"w": 2.0}]}
    args.update(kwargs)
    name = args.pop("name")
    with pytest.raises(ConfigError, match=match):
        explain_optimizer(name, **args)


def test_schedule_rendering_matches_golden_file():
    import os
    from pathlib import Path

    from chalkgrad.explain.problem import load_problem, solve_problem

    root = Path(__file__).resolve().parents[2]
    text = render(solve_problem(load_problem(root / "examples" / "problems" / "optimizer_lr_schedule.yaml")),
                  precision=6)
    path = Path(__file__).parent / "golden" / "optimizer_lr_schedule.txt"
    if os.environ.get("CHALKGRAD_UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("name,hyper,torch_cls,torch_hyper", [c for c in CASES if c[0] != "rprop"],
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES) if c[0] != "rprop"])
def test_every_optimizer_follows_a_schedule_as_torch(name, hyper, torch_cls, torch_hyper):
    s = explain_optimizer(name, {"w": 1.0, "b": -0.5}, loss=loss_fn, steps=4,
                          scheduler={"name": "StepLR", "step_size": 2, "gamma": 0.3}, **hyper)
    w = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    b = torch.tensor(-0.5, dtype=torch.float64, requires_grad=True)
    opt = torch_cls([w, b], **torch_hyper)
    sched = torch.optim.lr_scheduler.StepLR(opt, 2, 0.3)
    for t in range(1, 5):
        opt.zero_grad()
        loss_fn(w, b).backward()
        opt.step()
        sched.step()
        assert s[f"w_{t}"] == pytest.approx(w.item(), rel=1e-12, abs=1e-15)
        assert s[f"b_{t}"] == pytest.approx(b.item(), rel=1e-12, abs=1e-15)
