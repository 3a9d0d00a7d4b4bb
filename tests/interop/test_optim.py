"""Optimizer state converts: training continued in either library gives the same parameters."""

import numpy as np
import pytest
import torch

import chalkgrad as cg
from chalkgrad import nn as cnn
from chalkgrad.errors import ConversionError
from chalkgrad.interop import from_torch, from_torch_optimizer, to_torch, to_torch_optimizer

OPTIMIZERS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.9), weight_decay=0.1, amsgrad=True)),
    ("AdamW", dict(lr=0.01, weight_decay=0.05)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True, weight_decay=0.01)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1)),
    ("Adamax", dict(lr=0.01)),
    ("NAdam", dict(lr=0.01)),
    ("Adadelta", dict(lr=0.5)),
    ("Rprop", dict(lr=0.01)),
]

RNG = np.random.default_rng(0)
X, Y = RNG.normal(size=(16, 4)), RNG.normal(size=(16, 2))


def _model():
    cg.manual_seed(0)
    return cnn.Sequential(cnn.Linear(4, 8), cnn.Tanh(), cnn.Linear(8, 2)).double()


def _cg_steps(model, opt, n):
    for _ in range(n):
        opt.zero_grad()
        loss = ((model(cg.from_numpy(X)) - cg.from_numpy(Y)) ** 2).mean()
        loss.backward()
        opt.step()


def _torch_steps(model, opt, n):
    for _ in range(n):
        opt.zero_grad()
        loss = ((model(torch.from_numpy(X)) - torch.from_numpy(Y)) ** 2).mean()
        loss.backward()
        opt.step()


def _assert_same_params(cg_model, torch_model, rtol=1e-11):
    for (n, p), (m, q) in zip(cg_model.named_parameters(), torch_model.named_parameters()):
        assert n == m
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=rtol, atol=rtol / 10, err_msg=n)


@pytest.mark.parametrize("name,kwargs", OPTIMIZERS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(OPTIMIZERS)])
def test_training_continues_equally_after_conversion_both_ways(name, kwargs):
    # chalkgrad trains 3 steps, then both libraries continue 4 more from the converted state
    rtol = 1e-9 if name == "NAdam" else 1e-11  # torch keeps NAdam's mu_product in float32, even for float64
    model = _model()
    opt = getattr(cg.optim, name)(model.parameters(), **kwargs)
    _cg_steps(model, opt, 3)
    tmodel = to_torch(model)
    topt = to_torch_optimizer(opt, tmodel, model=model)
    assert type(topt) is getattr(torch.optim, name)
    _cg_steps(model, opt, 4)
    _torch_steps(tmodel, topt, 4)
    _assert_same_params(model, tmodel, rtol)

    # torch continues 2 more steps, then converts back and both continue 3 more
    _torch_steps(tmodel, topt, 2)
    back = from_torch(tmodel)
    bopt = from_torch_optimizer(topt, back, model=tmodel)
    assert type(bopt) is getattr(cg.optim, name)
    _torch_steps(tmodel, topt, 3)
    _cg_steps(back, bopt, 3)
    _assert_same_params(back, tmodel, rtol)


def test_scheduler_bookkeeping_is_kept():
    model = _model()
    opt = cg.optim.SGD(model.parameters(), lr=0.1)
    cg.optim.lr_scheduler.StepLR(opt, step_size=2)
    topt = to_torch_optimizer(opt, to_torch(model), model=model)
    assert topt.param_groups[0]["initial_lr"] == 0.1


def test_parameters_by_position_and_param_groups():
    model = _model()
    opt = cg.optim.SGD([{"params": model[0].parameters(), "lr": 0.2},
                        {"params": model[2].parameters()}], lr=0.05, momentum=0.9)
    _cg_steps(model, opt, 2)
    tmodel = to_torch(model)
    topt = to_torch_optimizer(opt, list(tmodel.parameters()))
    assert [g["lr"] for g in topt.param_groups] == [0.2, 0.05]
    _cg_steps(model, opt, 3)
    _torch_steps(tmodel, topt, 3)
    _assert_same_params(model, tmodel)


def test_options_without_equivalent_and_mismatched_parameters_are_refused():
    tmodel = to_torch(_model())
    topt = torch.optim.Adam(tmodel.parameters(), foreach=False)  # implementation choices are dropped
    assert "foreach" not in from_torch_optimizer(topt, from_torch(tmodel)).param_groups[0]
    topt.param_groups[0]["my_option"] = 3
    with pytest.raises(ConversionError, match="my_option=3"):
        from_torch_optimizer(topt, from_torch(tmodel))
    opt = cg.optim.SGD(_model().parameters(), lr=0.1)
    with pytest.raises(ConversionError, match="parameters"):
        to_torch_optimizer(opt, list(tmodel.parameters())[:2])
    with pytest.raises(ConversionError, match="no optimizer named"):
        from_torch_optimizer(torch.optim.LBFGS(tmodel.parameters()), from_torch(tmodel))
