"""Optimizers against torch.optim: trajectories, state, param groups, state_dict, errors."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

import chalkgrad as cg
from chalkgrad import optim
from chalkgrad.errors import ConfigError, StateDictError

SHAPES = [(3, 4), (4,), (2, 2, 3)]

#: (optimizer, kwargs) rows: each is run 25 steps against torch.optim.
CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.1)),
    ("SGD", dict(lr=0.02, momentum=0.5, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.05, initial_accumulator_value=0.2)),
    ("Adagrad", dict(lr=0.05, eps=1e-5, maximize=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-4, weight_decay=0.1)),
    ("Adadelta", dict(maximize=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, momentum=0.5)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.3, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.005, centered=True, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), amsgrad=True)),
    ("Adam", dict(lr=0.02, betas=(0.3, 0.9), weight_decay=0.1, eps=1e-6)),
    ("Adam", dict(lr=0.01, maximize=True, amsgrad=True, weight_decay=0.05)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("AdamW", dict(lr=0.01, maximize=True)),
    ("NAdam", dict(lr=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, momentum_decay=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("NAdam", dict(lr=0.01, betas=(0.5, 0.9), maximize=True)),
    ("Adamax", dict(lr=0.01)),
    ("Adamax", dict(lr=0.01, betas=(0.5, 0.9), weight_decay=0.1)),
    ("Adamax", dict(lr=0.01, maximize=True)),
    ("Rprop", dict()),
    ("Rprop", dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.2))),
    ("Rprop", dict(lr=0.01, maximize=True)),
]

IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'defaults'}" for name, kw in CASES]


@pytest.fixture
def torch_dtype():
    """Run torch with a given default dtype (torch keeps scalar state such as NAdam's mu_product in it)."""
    old = torch.get_default_dtype()
    yield torch.set_default_dtype
    torch.set_default_dtype(old)


def make_problem(dtype, seed=0):
    rng = np.random.default_rng(seed)
    init = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    targets = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    return init, targets


def gradient(w: np.ndarray, c: np.ndarray, sign: float = 1.0) -> np.ndarray:
    """Gradient of ±Σ(w⁴/4 + w·c): nonlinear, so any difference in the trajectory shows
    (sign -1 for the maximizing optimizers, so that they converge too)."""
    return sign * (w**3 + c)


def run_both(name, kwargs, dtype, steps=25, groups=None):
    """Step chalkgrad and torch side by side, each from its own parameter values; return both."""
    init, targets = make_problem(dtype)
    sign = -1.0 if kwargs.get("maximize") else 1.0
    cps = [cg.nn.Parameter(cg.tensor(a.copy())) for a in init]
    tps = [torch.nn.Parameter(torch.from_numpy(a.copy())) for a in init]
    if groups is None:
        copt = getattr(optim, name)(cps, **kwargs)
        topt = getattr(torch.optim, name)(tps, **kwargs)
    else:
        copt = getattr(optim, name)([{**g, "params": [cps[i] for i in g["params"]]} for g in groups], **kwargs)
        topt = getattr(torch.optim, name)([{**g, "params": [tps[i] for i in g["params"]]} for g in groups], **kwargs)
    for step in range(steps):
        for i, (cp, tp, c) in enumerate(zip(cps, tps, targets)):
            if i == 2 and step in (3, 7):  # a parameter without gradient is skipped
                cp.grad, tp.grad = None, None
                continue
            cp.grad = cg.tensor(gradient(cp.data, c, sign))
            tp.grad = torch.from_numpy(gradient(tp.detach().numpy(), c, sign))
        copt.step()
        topt.step()
    return cps, tps, copt, topt


def assert_state_matches(cps, tps, copt, topt, rtol, atol):
    for cp, tp in zip(cps, tps):
        cst, tst = copt.state.get(cp, {}), topt.state.get(tp, {})
        assert set(cst) == set(tst), f"state keys {sorted(cst)} vs torch {sorted(tst)}"
        for k, tv in tst.items():
            tv = tv.detach().numpy()
            if k == "step":
                assert cst[k] == int(tv.item())
            else:
                np.testing.assert_allclose(cst[k], tv, rtol=rtol, atol=atol, err_msg=k)


@pytest.mark.parametrize("name,kwargs", CASES, ids=IDS)
def test_matches_torch_float64(name, kwargs, torch_dtype):
    torch_dtype(torch.float64)
    cps, tps, copt, topt = run_both(name, kwargs, np.float64)
    for cp, tp in zip(cps, tps):
        assert cp.dtype == np.float64
        np.testing.assert_allclose(cp.data, tp.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert_state_matches(cps, tps, copt, topt, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name,kwargs", CASES, ids=IDS)
def test_matches_torch_float32(name, kwargs):
    cps, tps, copt, topt = run_both(name, kwargs, np.float32)
    for cp, tp in zip(cps, tps):
        assert cp.dtype == np.float32
        for v in copt.state.get(cp, {}).values():
            assert not isinstance(v, np.ndarray) or v.dtype == np.float32
        np.testing.assert_allclose(cp.data, tp.detach().numpy(), rtol=1e-4, atol=1e-5)
    assert_state_matches(cps, tps, copt, topt, rtol=1e-3, atol=1e-5)


@pytest.mark.parametrize("name,kwargs", [
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("Rprop", dict(lr=0.02)),
])
def test_param_groups_with_their_own_hyperparameters(name, kwargs, torch_dtype):
    torch_dtype(torch.float64)
    groups = [{"params": [0, 2]}, {"params": [1], "lr": 0.003}]
    if name == "SGD":
        groups[1]["momentum"] = 0.5
    cps, tps, copt, topt = run_both(name, kwargs, np.float64, groups=groups)
    assert copt.param_groups[1]["lr"] == 0.003 and copt.param_groups[0]["lr"] == kwargs["lr"]
    for cp, tp in zip(cps, tps):
        np.testing.assert_allclose(cp.data, tp.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_add_param_group_matches_torch(torch_dtype):
    torch_dtype(torch.float64)
    init, targets = make_problem(np.float64)
    cps = [cg.nn.Parameter(cg.tensor(a.copy())) for a in init]
    tps = [torch.nn.Parameter(torch.from_numpy(a.copy())) for a in init]
    copt, topt = optim.Adam(cps[:2], lr=0.01), torch.optim.Adam(tps[:2], lr=0.01)
    for step in range(12):
        if step == 5:
            copt.add_param_group({"params": cps[2], "lr": 0.05, "betas": (0.5, 0.9)})
            topt.add_param_group({"params": tps[2], "lr": 0.05, "betas": (0.5, 0.9)})
        for cp, tp, c in zip(cps, tps, targets):
            cp.grad = cg.tensor(gradient(cp.data, c))
            tp.grad = torch.from_numpy(gradient(tp.detach().numpy(), c))
        copt.step()
        topt.step()
    assert copt.param_groups[1]["eps"] == 1e-8  # defaults fill the new group
    for cp, tp in zip(cps, tps):
        np.testing.assert_allclose(cp.data, tp.detach().numpy(), rtol=1e-10, atol=1e-12)


def steps(opt, params, targets, n):
    for _ in range(n):
        for p, c in zip(params, targets):
            p.grad = cg.tensor(gradient(p.data, c))
        opt.step()


@pytest.mark.parametrize("name,kwargs", [CASES[i] for i in (2, 6, 9, 13, 18, 25, 28, 31)],
                         ids=[IDS[i] for i in (2, 6, 9, 13, 18, 25, 28, 31)])
def test_state_dict_round_trip_mid_run_continues_identically(name, kwargs):
    init, targets = make_problem(np.float64)
    a = [cg.nn.Parameter(cg.tensor(x.copy())) for x in init]
    opt_a = getattr(optim, name)(a, **kwargs)
    steps(opt_a, a, targets, 10)
    saved = opt_a.state_dict()
    snapshot = copy.deepcopy(saved)
    b = [cg.nn.Parameter(cg.tensor(p.data.copy())) for p in a]
    opt_b = getattr(optim, name)(b, lr=123.0)  # hyperparameters come from the state dict
    opt_b.load_state_dict(saved)
    assert opt_b.param_groups[0]["lr"] == opt_a.param_groups[0]["lr"]
    steps(opt_a, a, targets, 15)
    steps(opt_b, b, targets, 15)
    for pa, pb in zip(a, b):
        np.testing.assert_array_equal(pa.data, pb.data)
    # the saved dict is a snapshot: stepping did not change it, and loading did not alias it
    for i, st in snapshot["state"].items():
        for k, v in st.items():
            np.testing.assert_array_equal(saved["state"][i][k], v)


def test_loads_a_torch_state_dict_and_continues_like_torch(torch_dtype):
    torch_dtype(torch.float64)
    init, targets = make_problem(np.float64)
    tps = [torch.nn.Parameter(torch.from_numpy(a.copy())) for a in init]
    topt = torch.optim.Adam(tps, lr=0.01, amsgrad=True)
    for _ in range(5):
        for tp, c in zip(tps, targets):
            tp.grad = torch.from_numpy(gradient(tp.detach().numpy(), c))
        topt.step()
    cps = [cg.nn.Parameter(cg.tensor(tp.detach().numpy().copy())) for tp in tps]
    copt = optim.Adam(cps)
    copt.load_state_dict(topt.state_dict())
    assert copt.state[cps[0]]["step"] == 5
    for _ in range(5):
        for cp, tp, c in zip(cps, tps, targets):
            cp.grad = cg.tensor(gradient(cp.data, c))
            tp.grad = torch.from_numpy(gradient(tp.detach().numpy(), c))
        copt.step()
        topt.step()
    for cp, tp in zip(cps, tps):
        np.testing.assert_allclose(cp.data, tp.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_load_state_dict_errors():
    p = cg.nn.Parameter(cg.zeros(3, dtype="float64"))
    q = cg.nn.Parameter(cg.zeros(2, dtype="float64"))
    opt = optim.Adam([p])
    p.grad = cg.ones(3, dtype="float64")
    opt.step()
    with pytest.raises(StateDictError, match="shape"):
        optim.Adam([q]).load_state_dict(opt.state_dict())
    with pytest.raises(StateDictError, match="1 parameter groups in the state, the optimizer has 2"):
        optim.Adam([{"params": [p]}, {"params": [q]}]).load_state_dict(opt.state_dict())
    with pytest.raises(StateDictError, match="param_groups"):
        opt.load_state_dict({"nothing": 1})


def test_named_state_shows_adam_moments_by_parameter_name():
    cg.manual_seed(0)
    model = cg.nn.Sequential(cg.nn.Linear(3, 2), cg.nn.Tanh(), cg.nn.Linear(2, 1))
    opt = optim.Adam(model.parameters(), lr=0.1, betas=(0.9, 0.99))
    x = cg.randn(4, 3)
    model(x).sum().backward()
    g = model[0].weight.grad.numpy().copy()
    opt.step()
    st = opt.named_state(model)
    assert list(st) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert set(st["0.weight"]) == {"step", "exp_avg", "exp_avg_sq"}
    assert st["0.weight"]["step"] == 1
    np.testing.assert_allclose(st["0.weight"]["exp_avg"], 0.1 * g, rtol=1e-6)
    np.testing.assert_allclose(st["0.weight"]["exp_avg_sq"], 0.01 * g * g, rtol=1e-5)
    st["0.weight"]["exp_avg"][...] = 0  # a copy: the optimizer's state is unchanged
    assert np.any(opt.state[model[0].weight]["exp_avg"] != 0)


def test_named_parameters_give_names_and_fallback_names():
    model = cg.nn.Linear(2, 2)
    opt = optim.SGD(model.named_parameters(), lr=0.1, momentum=0.9)
    assert opt.param_groups[0]["param_names"] == ["weight", "bias"]
    model(cg.ones(1, 2)).sum().backward()
    opt.step()
    assert set(opt.named_state()) == {"weight", "bias"}
    assert "param_names" in opt.state_dict()["param_groups"][0]
    plain = optim.SGD(list(model.parameters()), lr=0.1, momentum=0.9)
    plain.step()
    assert set(plain.named_state()) == {"param_groups[0][0]", "param_groups[0][1]"}
    assert set(plain.named_state({"w": model.weight}.items())) == {"w", "param_groups[0][1]"}


def test_updates_are_in_place_and_skip_parameters_without_grad():
    p = cg.nn.Parameter(cg.ones(3))
    q = cg.nn.Parameter(cg.ones(2))
    data, version = p.data, p._version
    opt = optim.SGD([p, q], lr=0.5)
    p.grad = cg.ones(3)
    opt.step()
    assert p.data is data and p._version == version + 1
    np.testing.assert_array_equal(p.data, [0.5, 0.5, 0.5])
    np.testing.assert_array_equal(q.data, [1.0, 1.0])
    np.testing.assert_array_equal(p.grad.data, [1.0, 1.0, 1.0])  # the gradient is not modified
    assert q not in opt.state


def test_zero_grad_and_closure():
    p = cg.nn.Parameter(cg.tensor([1.0, -2.0]))
    opt = optim.SGD([p], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with cg.no_grad():
        loss = opt.step(closure)  # the closure runs with gradients enabled
    assert float(loss) == pytest.approx(5.0)
    np.testing.assert_allclose(p.data, [0.8, -1.6], rtol=1e-6)
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(p.grad.data, [0.0, 0.0])
    opt.zero_grad()
    assert p.grad is None


def test_adagrad_creates_state_at_construction_like_torch():
    p = cg.nn.Parameter(cg.zeros(2))
    opt = optim.Adagrad([p], initial_accumulator_value=0.5)
    assert opt.state[p]["step"] == 0
    np.testing.assert_array_equal(opt.state[p]["sum"], [0.5, 0.5])


@pytest.mark.parametrize("make,message", [
    (lambda p: optim.SGD(p, lr=-0.1), r"SGD: invalid lr=-0.1; expected a number with 0 <= lr"),
    (lambda p: optim.SGD(p, lr=float("nan")), r"invalid lr=nan"),
    (lambda p: optim.SGD(p, momentum=-0.5), r"invalid momentum=-0.5; expected a number with 0 <= momentum"),
    (lambda p: optim.SGD(p, weight_decay=-1), r"invalid weight_decay=-1"),
    (lambda p: optim.SGD(p, nesterov=True), r"nesterov=True needs momentum > 0 and dampening = 0"),
    (lambda p: optim.SGD(p, momentum=0.9, dampening=0.1, nesterov=True), r"dampening=0.1"),
    (lambda p: optim.Adam(p, betas=(1.0, 0.999)), r"Adam: invalid betas\[0\]=1.0; expected 0 <= betas\[0\] < 1"),
    (lambda p: optim.Adam(p, betas=(0.9, -0.1)), r"invalid betas\[1\]=-0.1"),
    (lambda p: optim.Adam(p, betas=0.9), r"invalid betas=0.9; expected a pair of numbers"),
    (lambda p: optim.Adam(p, eps=-1e-8), r"invalid eps=-1e-08; expected a number with 0 <= eps"),
    (lambda p: optim.AdamW(p, weight_decay=-0.01), r"AdamW: invalid weight_decay=-0.01"),
    (lambda p: optim.NAdam(p, momentum_decay=-1), r"NAdam: invalid momentum_decay=-1"),
    (lambda p: optim.Adamax(p, betas=(0.9, 1.5)), r"Adamax: invalid betas\[1\]=1.5"),
    (lambda p: optim.Adadelta(p, rho=1.1), r"Adadelta: invalid rho=1.1; expected a number with 0 <= rho <= 1"),
    (lambda p: optim.Adagrad(p, lr_decay=-1), r"Adagrad: invalid lr_decay=-1"),
    (lambda p: optim.Adagrad(p, initial_accumulator_value=-1), r"invalid initial_accumulator_value=-1"),
    (lambda p: optim.RMSprop(p, alpha=-0.1), r"RMSprop: invalid alpha=-0.1"),
    (lambda p: optim.RMSprop(p, momentum=-0.1), r"RMSprop: invalid momentum=-0.1"),
    (lambda p: optim.Rprop(p, etas=(1.5, 2.0)), r"Rprop: invalid etas\[0\]=1.5; expected 0 < etas\[0\] < 1"),
    (lambda p: optim.Rprop(p, etas=(0.5, 0.9)), r"Rprop: invalid etas\[1\]=0.9; expected etas\[1\] > 1"),
    (lambda p: optim.Rprop(p, step_sizes=(1.0, 0.1)), r"invalid step_sizes=\(1.0, 0.1\)"),
    (lambda p: optim.SGD([{"params": p, "lr": -1}], lr=0.1), r"SGD: param_groups\[0\] invalid lr=-1"),
])
def test_invalid_hyperparameters_raise_config_error(make, message):
    with pytest.raises(ConfigError, match=message):
        make([cg.nn.Parameter(cg.zeros(2))])


def test_invalid_params_raise_config_error():
    p = cg.nn.Parameter(cg.zeros(2))
    with pytest.raises(ConfigError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ConfigError, match="empty parameter list"):
        optim.Adam(cg.nn.Sequential().parameters())
    with pytest.raises(ConfigError, match="parameter 1 is a ndarray; expected a Parameter or a leaf Tensor"):
        optim.SGD([p, np.zeros(2)], lr=0.1)
    with pytest.raises(ConfigError, match="not a leaf tensor"):
        optim.SGD([p * 2], lr=0.1)
    with pytest.raises(ConfigError, match=r"param_groups\[1\] parameter 0 \(shape \(2,\)\) already appears in "
                                          r"param_groups\[0\]"):
        optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
    with pytest.raises(ConfigError, match="already appears in the same group"):
        optim.SGD([p, p], lr=0.1)
    opt = optim.SGD([p], lr=0.1)
    with pytest.raises(ConfigError, match="already appears"):
        opt.add_param_group({"params": [p]})
    with pytest.raises(ConfigError, match="single tensor"):
        optim.SGD(p, lr=0.1)
    with pytest.raises(ConfigError, match="set"):
        optim.SGD({p}, lr=0.1)
    with pytest.raises(ConfigError, match="int64"):
        optim.SGD([cg.tensor([1, 2])], lr=0.1)
    with pytest.raises(ValueError):
        optim.SGD([], lr=0.1)  # ConfigError is also a ValueError


def test_frozen_parameters_are_accepted_and_never_updated():
    p = cg.nn.Parameter(cg.ones(2), requires_grad=False)
    opt = optim.Adam([p], lr=0.1)
    opt.step()
    np.testing.assert_array_equal(p.data, [1.0, 1.0])


def test_float32_parameters_stay_float32_with_float64_gradients():
    p = cg.nn.Parameter(cg.ones(2))
    opt = optim.Adam([p], lr=0.1)
    p.grad = cg.tensor(np.ones(2))
    opt.step()
    assert p.dtype == np.float32 and opt.state[p]["exp_avg"].dtype == np.float32


def test_repr_lists_groups():
    opt = optim.SGD([cg.nn.Parameter(cg.zeros(1))], lr=0.1, momentum=0.9)
    text = repr(opt)
    assert text.startswith("SGD (") and "Parameter Group 0" in text and "momentum: 0.9" in text
