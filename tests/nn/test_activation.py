"""Activation functions and layers against PyTorch: values, gradients, second derivatives, reprs, errors.

One table (CASES) drives most tests: each row is a chalkgrad function and its PyTorch twin,
plus the matching layers. Inputs mix random values with the kinks of every activation
(0, ±1, ±3, 6, thresholds...), so PyTorch's conventions at corners are checked too.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
import torch
import torch.nn as tnn
import torch.nn.functional as TF

import chalkgrad as cg
import chalkgrad.nn as nn
import chalkgrad.nn.functional as F
from chalkgrad.autograd import grad, gradcheck
from chalkgrad.ops import special

DTYPES = ("float32", "float64")
TOL = {"float32": {"rtol": 1e-5, "atol": 1e-6}, "float64": {"rtol": 1e-6, "atol": 1e-12}}

#: Corners and thresholds of the activations below; every input contains them all.
KINKS = (-20.0, -6.0, -3.0, -2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 3.0, 6.0, 20.0, 25.0)


@dataclass
class Case:
    id: str
    cg_fn: Callable
    torch_fn: Callable
    cg_module: Callable | None = None  # factories, so every test gets fresh layers
    torch_module: Callable | None = None
    second: bool = True  # does PyTorch have a second derivative to compare with?


def _sm(fn, dim):
    return lambda x: fn(x, dim=dim)


CASES = [
    Case("relu", F.relu, TF.relu, nn.ReLU, tnn.ReLU),
    Case("relu6", F.relu6, TF.relu6, nn.ReLU6, tnn.ReLU6),
    Case("hardtanh", F.hardtanh, TF.hardtanh, nn.Hardtanh, tnn.Hardtanh),
    Case("hardtanh(-2,3)", lambda x: F.hardtanh(x, -2.0, 3.0), lambda x: TF.hardtanh(x, -2.0, 3.0),
         lambda: nn.Hardtanh(-2.0, 3.0), lambda: tnn.Hardtanh(-2.0, 3.0)),
    Case("leaky_relu", F.leaky_relu, TF.leaky_relu, nn.LeakyReLU, tnn.LeakyReLU),
    Case("leaky_relu(-0.5)", lambda x: F.leaky_relu(x, -0.5), lambda x: TF.leaky_relu(x, -0.5),
         lambda: nn.LeakyReLU(-0.5), lambda: tnn.LeakyReLU(-0.5)),
    Case("elu", F.elu, TF.elu, nn.ELU, tnn.ELU),
    Case("elu(0.5)", lambda x: F.elu(x, 0.5), lambda x: TF.elu(x, 0.5), lambda: nn.ELU(0.5), lambda: tnn.ELU(0.5)),
    Case("selu", F.selu, TF.selu, nn.SELU, tnn.SELU),
    Case("celu", F.celu, TF.celu, nn.CELU, tnn.CELU),
    Case("celu(2)", lambda x: F.celu(x, 2.0), lambda x: TF.celu(x, 2.0), lambda: nn.CELU(2.0),
         lambda: tnn.CELU(2.0)),
    Case("gelu", F.gelu, TF.gelu, nn.GELU, tnn.GELU),
    Case("gelu(tanh)", lambda x: F.gelu(x, approximate="tanh"), lambda x: TF.gelu(x, approximate="tanh"),
         lambda: nn.GELU("tanh"), lambda: tnn.GELU("tanh")),
    Case("silu", F.silu, TF.silu, nn.SiLU, tnn.SiLU),
    Case("mish", F.mish, TF.mish, nn.Mish, tnn.Mish),
    Case("softplus", F.softplus, TF.softplus, nn.Softplus, tnn.Softplus),
    Case("softplus(2,4)", lambda x: F.softplus(x, 2.0, 4.0), lambda x: TF.softplus(x, 2.0, 4.0),
         lambda: nn.Softplus(2.0, 4.0), lambda: tnn.Softplus(2.0, 4.0)),
    Case("softplus(0.5,1)", lambda x: F.softplus(x, 0.5, 1.0), lambda x: TF.softplus(x, 0.5, 1.0),
         lambda: nn.Softplus(0.5, 1.0), lambda: tnn.Softplus(0.5, 1.0)),
    Case("softsign", F.softsign, TF.softsign, nn.Softsign, tnn.Softsign),
    # PyTorch has no second derivative for hardsigmoid (ours is 0, tested below)
    Case("hardsigmoid", F.hardsigmoid, TF.hardsigmoid, nn.Hardsigmoid, tnn.Hardsigmoid, second=False),
    Case("hardswish", F.hardswish, TF.hardswish, nn.Hardswish, tnn.Hardswish),
    Case("sigmoid", F.sigmoid, torch.sigmoid, nn.Sigmoid, tnn.Sigmoid),
    Case("tanh", F.tanh, torch.tanh, nn.Tanh, tnn.Tanh),
    Case("sign", F.sign, torch.sign, nn.Sign, None, second=False),
    Case("linear_activation(2.5)", lambda x: F.linear_activation(x, 2.5), lambda x: 2.5 * x,
         lambda: nn.LinearActivation(2.5), None),
    Case("softmax(dim=0)", _sm(F.softmax, 0), _sm(TF.softmax, 0), lambda: nn.Softmax(0), lambda: tnn.Softmax(0)),
    Case("softmax(dim=-1)", _sm(F.softmax, -1), _sm(TF.softmax, -1), lambda: nn.Softmax(-1),
         lambda: tnn.Softmax(-1)),
    Case("log_softmax(dim=0)", _sm(F.log_softmax, 0), _sm(TF.log_softmax, 0), lambda: nn.LogSoftmax(0),
         lambda: tnn.LogSoftmax(0)),
    Case("log_softmax(dim=1)", _sm(F.log_softmax, 1), _sm(TF.log_softmax, 1), lambda: nn.LogSoftmax(dim=1),
         lambda: tnn.LogSoftmax(dim=1)),
]
CASE_IDS = [c.id for c in CASES]
MODULE_CASES = [c for c in CASES if c.torch_module is not None]


def _input(dtype: str, seed: int = 0) -> np.ndarray:
    """A (4, 10) array: 26 random values in about [-9, 9] and every kink, shuffled."""
    rng = np.random.default_rng(seed)
    values = np.concatenate([rng.standard_normal(40 - len(KINKS)) * 3.0, KINKS])
    return rng.permutation(values).reshape(4, 10).astype(dtype)


def _away_from_kinks(n: int, seed: int) -> np.ndarray:
    """n float64 values in [-5, 5], each at least 0.05 from every kink (for finite differences)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-5.0, 5.0, 10 * n)
    x = x[np.min(np.abs(x[:, None] - np.array(KINKS)), axis=1) > 0.05]
    return x[:n].reshape(2, n // 2)


def _close(actual, expected, dtype: str, what: str, scale: float = 1.0) -> None:
    a = actual.detach().numpy() if isinstance(actual, cg.Tensor) else np.asarray(actual)
    e = expected.detach().numpy() if isinstance(expected, torch.Tensor) else np.asarray(expected)
    assert a.shape == e.shape, f"{what}: shape {a.shape}, expected {e.shape}"
    assert a.dtype == e.dtype, f"{what}: dtype {a.dtype}, expected {e.dtype}"
    np.testing.assert_allclose(a, e, rtol=TOL[dtype]["rtol"] * scale, atol=TOL[dtype]["atol"] * scale,
                               err_msg=what)


def _forward_backward(cg_fn, torch_fn, data: np.ndarray, dtype: str, label: str) -> None:
    """Same values and same vector-Jacobian product (for a random upstream gradient) as PyTorch."""
    v = np.random.default_rng(1).standard_normal(data.shape).astype(dtype)
    x = cg.tensor(data, requires_grad=True)
    tx = torch.tensor(data, requires_grad=True)
    y, ty = cg_fn(x), torch_fn(tx)
    _close(y, ty, dtype, f"{label}: forward")
    y.backward(cg.tensor(v))
    ty.backward(torch.tensor(v))
    _close(x.grad, tx.grad, dtype, f"{label}: gradient")


# ----------------------------------------------------------------------------- values and gradients
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_function_matches_torch(case, dtype):
    _forward_backward(case.cg_fn, case.torch_fn, _input(dtype), dtype, case.id)


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")  # core log_softmax on an empty tensor
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_zero_dimensional_and_empty_inputs(case):
    for data in (np.array(25.0), np.array(-0.5), np.zeros((0, 3))):
        try:
            case.torch_fn(torch.tensor(data))
        except IndexError:  # softmax over dim 1 of a 0-d tensor: both refuse
            with pytest.raises(IndexError, match="out of range"):
                case.cg_fn(cg.tensor(data))
            continue
        _forward_backward(case.cg_fn, case.torch_fn, data, "float64", f"{case.id} on shape {data.shape}")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", MODULE_CASES, ids=[c.id for c in MODULE_CASES])
def test_module_matches_torch(case, dtype):
    layer, torch_layer = case.cg_module(), case.torch_module()
    assert repr(layer) == repr(torch_layer)
    assert layer.output_shape((2, 4, 10)) == (2, 4, 10)
    _forward_backward(layer, torch_layer, _input(dtype, seed=2), dtype, f"{case.id} module")


@pytest.mark.parametrize("case", [c for c in CASES if c.second], ids=[c.id for c in CASES if c.second])
def test_second_derivative_matches_torch(case):
    """d/dx of (w · vᵀJ) with create_graph=True, in float64, kinks included."""
    rng = np.random.default_rng(3)
    data = _input("float64", seed=4)
    v, w = rng.standard_normal(data.shape), rng.standard_normal(data.shape)

    x = cg.tensor(data, requires_grad=True)
    (g,) = grad(case.cg_fn(x), x, grad_outputs=cg.tensor(v), create_graph=True)
    if g.requires_grad:
        (h,) = grad((g * cg.tensor(w)).sum(), x, allow_unused=True)
        h = np.zeros_like(data) if h is None else h.numpy()
    else:  # the gradient does not depend on x at all (piecewise linear): second derivative 0
        h = np.zeros_like(data)

    tx = torch.tensor(data, requires_grad=True)
    (tg,) = torch.autograd.grad(case.torch_fn(tx), tx, grad_outputs=torch.tensor(v), create_graph=True)
    if tg.requires_grad:
        (th,) = torch.autograd.grad((tg * torch.tensor(w)).sum(), tx, allow_unused=True)
        th = torch.zeros_like(tx) if th is None else th
    else:
        th = torch.zeros_like(tx)
    _close(g, tg, "float64", f"{case.id}: first derivative")
    _close(h, th, "float64", f"{case.id}: second derivative")


@pytest.mark.parametrize("fn", [F.hardsigmoid, F.relu6, F.hardtanh, F.leaky_relu, F.step])
def test_piecewise_linear_second_derivative_is_zero(fn):
    x = cg.tensor(_input("float64"), requires_grad=True)
    w = cg.tensor(np.random.default_rng(5).standard_normal(x.shape))
    (g,) = grad((fn(x) * w).sum(), x, create_graph=True)
    assert not g.requires_grad  # the slope is a constant of x: no second derivative to take


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_gradcheck(case):
    x = cg.tensor(_away_from_kinks(12, seed=6), dtype="float64", requires_grad=True)
    assert gradcheck(case.cg_fn, (x,))


SMOOTH = [c for c in CASES if c.id.split("(")[0] in {"elu", "selu", "celu", "gelu", "silu", "mish", "softplus",
                                                       "softsign", "hardswish", "sigmoid", "tanh", "softmax",
                                                       "log_softmax"}]


@pytest.mark.parametrize("case", SMOOTH, ids=[c.id for c in SMOOTH])
def test_gradcheck_of_the_gradient(case):
    """Finite differences of the backward pass itself (built with create_graph=True)."""
    x = cg.tensor(_away_from_kinks(12, seed=7), dtype="float64", requires_grad=True)
    v = cg.tensor(np.random.default_rng(8).standard_normal(x.shape))

    def gradient(t):
        with cg.enable_grad():  # gradcheck evaluates under no_grad; this function needs a graph
            return grad(case.cg_fn(t), t, grad_outputs=v, create_graph=True)[0]

    assert gradcheck(gradient, (x,))


# ----------------------------------------------------------------------------- stability
STABLE = ["sigmoid", "softmax(dim=-1)", "log_softmax(dim=1)", "softplus", "softplus(2,4)", "tanh", "elu",
          "selu", "celu(2)", "gelu", "gelu(tanh)", "silu", "mish", "softsign", "hardswish", "hardsigmoid",
          "leaky_relu", "relu6"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", [c for c in CASES if c.id in STABLE], ids=STABLE)
def test_finite_for_huge_inputs(case, dtype):
    """Magnitudes up to 1e4: finite values and gradients, no overflow warnings, same as PyTorch."""
    data = np.array([[-1e4, -1e3, -100.0, -30.0, 0.0, 30.0, 100.0, 1e3, 1e4],
                     [1e4, 1e4 - 1, -1e4, 1.0, -1.0, 5e3, -5e3, 2.0, 0.5]], dtype=dtype)
    x = cg.tensor(data, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a RuntimeWarning (overflow, invalid value) fails the test
        y = case.cg_fn(x)
        y.backward(cg.ones_like(y))
    assert np.isfinite(y.detach().numpy()).all() and np.isfinite(x.grad.numpy()).all()
    _forward_backward(case.cg_fn, case.torch_fn, data, dtype, f"{case.id} at 1e4")


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_of_huge_logits(dtype):
    x = cg.tensor(np.array([1e4, -1e4, 0.0, 1e4 - 2.0], dtype=dtype), requires_grad=True)
    p = F.softmax(x, dim=0)
    top = 1 / (1 + math.exp(-2))
    np.testing.assert_allclose(p.detach().numpy(), [top, 0.0, 0.0, 1 - top], rtol=1e-6)
    logp = F.log_softmax(x, dim=0)
    lp = logp.detach().numpy()
    assert np.isfinite(lp).all() and lp[1] == pytest.approx(-2e4 - math.log1p(math.exp(-2)))
    (p[0] + logp.sum()).backward()
    assert np.isfinite(x.grad.numpy()).all()


# ----------------------------------------------------------------------------- softmax over dims
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dim", [0, 1, 2, -1, -2])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_over_each_dim(name, dim, dtype):
    data = np.random.default_rng(9).standard_normal((2, 3, 4)).astype(dtype) * 4
    _forward_backward(_sm(getattr(F, name), dim), _sm(getattr(TF, name), dim), data, dtype, f"{name}({dim})")


@pytest.mark.parametrize("shape", [(5,), (2, 5), (2, 3, 4), (2, 3, 4, 5)])
@pytest.mark.parametrize("cls", ["Softmax", "LogSoftmax"])
def test_softmax_without_dim_uses_torch_legacy_choice(cls, shape):
    data = np.random.default_rng(10).standard_normal(shape)
    with pytest.warns(UserWarning, match="Implicit dimension choice for"):
        y = getattr(nn, cls)()(cg.tensor(data))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ty = getattr(tnn, cls)()(torch.tensor(data))
    _close(y, ty, "float64", f"{cls}() on {shape}")


def test_softmax_dtype_argument_casts_first():
    x = cg.tensor([[1.0, 2.0, 3.0]])
    y = F.softmax(x, dim=1, dtype=cg.float64)
    assert y.dtype == np.float64
    _close(y, TF.softmax(torch.tensor([[1.0, 2.0, 3.0]]), dim=1, dtype=torch.float64), "float64", "dtype=")


# ----------------------------------------------------------------------------- PReLU
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("num_parameters,shape", [(1, (3, 4, 5)), (4, (3, 4, 5)), (4, (2, 4)), (1, (7,)),
                                                  (1, ())])
def test_prelu_matches_torch_including_weight_gradient(num_parameters, shape, dtype):
    rng = np.random.default_rng(11)
    data = (rng.standard_normal(shape) * 2).astype(dtype)
    if data.size >= 3:
        data.reshape(-1)[:3] = [0.0, -1.0, 1.0]  # the kink too
    weights = rng.uniform(-0.5, 1.5, num_parameters)

    layer = nn.PReLU(num_parameters, dtype=dtype)
    torch_layer = tnn.PReLU(num_parameters).to(getattr(torch, dtype))
    with cg.no_grad():
        layer.weight.copy_(weights)
    with torch.no_grad():
        torch_layer.weight.copy_(torch.tensor(weights))
    _forward_backward(layer, torch_layer, data, dtype, f"PReLU({num_parameters}) on {shape}")
    _close(layer.weight.grad, torch_layer.weight.grad, dtype, "PReLU weight gradient")


def test_prelu_second_derivatives_match_torch():
    rng = np.random.default_rng(12)
    data = rng.standard_normal((3, 4, 5))
    data[0, :, 0] = [0.0, -1.0, 1.0, 0.0]
    weights, v = rng.uniform(0, 1, 4), rng.standard_normal(data.shape)

    x, w = cg.tensor(data, requires_grad=True), cg.tensor(weights, requires_grad=True)
    gx, gw = grad(F.prelu(x, w), [x, w], grad_outputs=cg.tensor(v), create_graph=True)
    hx, hw = grad((gx * cg.tensor(v)).sum() + (gw * gw).sum(), [x, w])

    tx, tw = torch.tensor(data, requires_grad=True), torch.tensor(weights, requires_grad=True)
    tgx, tgw = torch.autograd.grad(TF.prelu(tx, tw), [tx, tw], grad_outputs=torch.tensor(v), create_graph=True)
    thx, thw = torch.autograd.grad((tgx * torch.tensor(v)).sum() + (tgw * tgw).sum(), [tx, tw])
    for a, b, what in [(gx, tgx, "dx"), (gw, tgw, "dw"), (hx, thx, "d/dx"), (hw, thw, "d/dw")]:
        _close(a, b, "float64", f"prelu {what}")
    x = cg.tensor(_away_from_kinks(12, seed=13).reshape(3, 4), requires_grad=True)
    assert gradcheck(F.prelu, (x, cg.tensor(weights, requires_grad=True)))


def test_prelu_layer_defaults_and_parameters():
    layer = nn.PReLU(3, init=0.1)
    assert layer.weight.shape == (3,) and layer.weight.dtype == np.float32 and layer.init == 0.1
    np.testing.assert_array_equal(layer.weight.detach().numpy(), np.full(3, 0.1, np.float32))
    assert [n for n, _ in layer.named_parameters()] == ["weight"]
    assert layer.num_parameters == 3 and sum(p.numel() for p in layer.parameters()) == 3
    assert set(layer.state_dict()) == set(tnn.PReLU(3).state_dict())
    assert nn.PReLU().weight.detach().numpy().tolist() == [0.25]
    assert layer.output_shape((8, 3, 5, 5)) == (8, 3, 5, 5)


# ----------------------------------------------------------------------------- the extra transfer functions
@pytest.mark.parametrize("dtype", DTYPES)
def test_step_and_heaviside(dtype):
    data = np.array([-2.0, -0.5, 0.0, 0.5, 1.0, 3.0], dtype=dtype)
    x = cg.tensor(data, requires_grad=True)
    np.testing.assert_array_equal(F.step(x).detach().numpy(), [0, 0, 1, 1, 1, 1])
    np.testing.assert_array_equal(F.step(x, threshold=0.5, value=0.25).detach().numpy(), [0, 0, 0, 0.25, 1, 1])
    np.testing.assert_array_equal(nn.Step(1.0, 0.0)(x).detach().numpy(), [0, 0, 0, 0, 0, 1])
    for values in (0.5, cg.tensor(np.linspace(0, 1, 6).astype(dtype))):
        tvalues = torch.tensor(values.numpy() if isinstance(values, cg.Tensor) else values,
                               dtype=getattr(torch, dtype))
        _close(F.heaviside(x, values), torch.heaviside(torch.tensor(data), tvalues), dtype, "heaviside")
    y = F.step(x, value=0.5)
    assert y.dtype == np.dtype(dtype)
    y.backward(cg.ones_like(y))  # derivative 0 everywhere (PyTorch's heaviside has none)
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros(6))
    assert gradcheck(lambda t: F.step(t, 1.0), (cg.tensor(_away_from_kinks(8, 14), requires_grad=True),))


def test_step_on_integers_keeps_the_dtype():
    y = F.step(cg.tensor([-3, 0, 4]), value=0)
    assert y.dtype == np.int64 and y.numpy().tolist() == [0, 0, 1]
    assert F.heaviside(cg.tensor([-3, 0, 4]), 7).numpy().tolist() == [0, 7, 1]


def test_identity_and_linear_activation():
    x = cg.tensor([[-2.0, 0.0, 3.0]], requires_grad=True)
    assert F.identity(x) is x and F.linear_activation(x) is x and nn.LinearActivation()(x) is x
    y = nn.LinearActivation(gain=-1.5)(x)
    np.testing.assert_array_equal(y.detach().numpy(), [[3.0, 0.0, -4.5]])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[-1.5, -1.5, -1.5]])
    assert F.linear_activation(cg.tensor([1.0], dtype="float64"), 0.5).dtype == np.float64


def test_sign_derivative_is_zero():
    x = cg.tensor([-2.0, 0.0, 3.0], requires_grad=True)
    y = nn.Sign()(x)
    assert y.detach().numpy().tolist() == [-1.0, 0.0, 1.0]
    y.sum().backward()
    assert x.grad.numpy().tolist() == [0.0, 0.0, 0.0]


def test_aliases_and_reexports():
    assert nn.Swish is nn.SiLU and F.swish is F.silu and nn.Heaviside is nn.Step
    assert F.sigmoid is cg.sigmoid and F.tanh is cg.tanh and F.sign is cg.sign
    x = cg.tensor([-1.0, 2.0])
    for fn in (F.relu, F.relu6, F.elu, F.selu, F.celu, F.silu, F.mish, F.hardsigmoid, F.hardswish, F.leaky_relu):
        fn(x, inplace=True)  # accepted and ignored
    assert x.numpy().tolist() == [-1.0, 2.0]


# ----------------------------------------------------------------------------- erf
@pytest.mark.parametrize("use_scipy", [True, False])
@pytest.mark.parametrize("dtype", DTYPES)
def test_erf_matches_torch_with_and_without_scipy(use_scipy, dtype, monkeypatch):
    if not use_scipy:
        monkeypatch.setattr(special, "_scipy_erf", None)  # as if SciPy were not installed
    elif special._lookup_scipy_erf() is None:
        pytest.skip("SciPy is not installed")
    data = np.array([[-30.0, -3.0, -1.0, -0.1, 0.0], [1e-8, 0.5, 1.0, 2.5, 1e4]], dtype=dtype)
    _forward_backward(special.erf, torch.erf, data, dtype, "erf")
    x = cg.tensor(_away_from_kinks(10, 15), requires_grad=True)
    assert gradcheck(special.erf, (x,))

    def derivative(t):
        with cg.enable_grad():  # gradcheck evaluates under no_grad; this function needs a graph
            return grad(special.erf(t).sum(), t, create_graph=True)[0]

    assert gradcheck(derivative, (x,))
    assert special.erf_array(np.array(0.5, dtype=dtype)).shape == ()


# ----------------------------------------------------------------------------- shapes and reprs
ALL_LAYERS = [
    nn.ReLU(), nn.ReLU6(), nn.Hardtanh(), nn.LeakyReLU(), nn.PReLU(), nn.ELU(), nn.SELU(), nn.CELU(), nn.GELU(),
    nn.SiLU(), nn.Mish(), nn.Softplus(), nn.Softsign(), nn.Hardsigmoid(), nn.Hardswish(), nn.Sigmoid(), nn.Tanh(),
    nn.Softmax(1), nn.LogSoftmax(1), nn.Step(), nn.Sign(), nn.LinearActivation(),
]


@pytest.mark.parametrize("layer", ALL_LAYERS, ids=[type(m).__name__ for m in ALL_LAYERS])
def test_output_shape_is_the_input_shape(layer):
    for shape in [(2, 3), (8, 3, 4, 4)]:
        assert layer.output_shape(shape) == shape
        assert layer(cg.randn(*shape)).shape == shape


@pytest.mark.parametrize("layer,text", [
    (nn.ReLU(inplace=True), "ReLU(inplace=True)"),
    (nn.ReLU6(), "ReLU6()"),
    (nn.Hardtanh(-2, 3, True), "Hardtanh(min_val=-2, max_val=3, inplace=True)"),
    (nn.LeakyReLU(0.2, inplace=True), "LeakyReLU(negative_slope=0.2, inplace=True)"),
    (nn.PReLU(3, 0.1), "PReLU(num_parameters=3)"),
    (nn.ELU(alpha=0.5), "ELU(alpha=0.5)"),
    (nn.CELU(2.0, True), "CELU(alpha=2.0, inplace=True)"),
    (nn.SELU(True), "SELU(inplace=True)"),
    (nn.GELU("tanh"), "GELU(approximate='tanh')"),
    (nn.Softplus(2, 10), "Softplus(beta=2, threshold=10)"),
    (nn.Hardswish(True), "Hardswish()"),
    (nn.Softmax(), "Softmax(dim=None)"),
    (nn.LogSoftmax(dim=-1), "LogSoftmax(dim=-1)"),
    (nn.Step(), "Step(threshold=0.0, value=1.0)"),
    (nn.Heaviside(0.0, 0.5), "Step(threshold=0.0, value=0.5)"),
    (nn.Sign(), "Sign()"),
    (nn.LinearActivation(gain=2.0), "LinearActivation(gain=2.0)"),
    (nn.Sequential(nn.Linear(2, 3), nn.Tanh()), "Sequential(\n  (0): Linear(in_features=2, out_features=3, "
                                                 "bias=True)\n  (1): Tanh()\n)"),
])
def test_repr(layer, text):
    assert repr(layer) == text


# ----------------------------------------------------------------------------- errors
FLOAT_ONLY = ["leaky_relu", "elu", "selu", "celu", "gelu", "silu", "mish", "softplus", "softsign", "hardsigmoid",
              "hardswish", "softmax", "log_softmax"]


@pytest.mark.parametrize("name", FLOAT_ONLY)
def test_integer_input_is_refused(name):
    fn = getattr(F, name)
    args = (0,) if "softmax" in name else ()
    with pytest.raises(cg.DTypeError, match=rf"{name}: expected a floating-point tensor.*got dtype int64"):
        fn(cg.tensor([1, -2]), *args)


def test_integer_input_to_prelu_and_erf_is_refused():
    with pytest.raises(cg.DTypeError, match="prelu: expected a floating-point tensor"):
        F.prelu(cg.tensor([1, 2]), cg.tensor([0.25]))
    with pytest.raises(cg.DTypeError, match="erf: expected a floating-point tensor, got dtype int64"):
        special.erf(cg.tensor([1, 2]))


@pytest.mark.parametrize("call,error,message", [
    (lambda: F.softmax(cg.randn(2, 3), dim=2), IndexError, r"softmax: dim 2 is out of range .* 2 dimensions"),
    (lambda: F.log_softmax(cg.randn(2, 3), dim=-3), IndexError, r"log_softmax: dim -3 is out of range"),
    (lambda: nn.Softmax(dim=3).output_shape((2, 3)), IndexError, r"Softmax: dim 3 is out of range"),
    (lambda: F.prelu(cg.randn(2, 4, 5), cg.ones(3)), cg.ShapeError,
     r"prelu: weight has 3 parameters but the input of shape \(2, 4, 5\) has 4 channels"),
    (lambda: F.prelu(cg.randn(2, 4), cg.ones(1, 4)), cg.ShapeError,
     r"prelu: weight must be a scalar or 1-D tensor, got shape \(1, 4\)"),
    (lambda: nn.PReLU(3)(cg.randn(5)), cg.ShapeError, r"weight has 3 parameters .* has 1 channels"),
    (lambda: nn.PReLU(2)(cg.randn(3, 2, dtype="float64")), cg.DTypeError,
     r"prelu: weight has dtype float32 but the input has dtype float64"),
    (lambda: nn.PReLU(0), ValueError, r"PReLU: num_parameters must be a positive integer, got 0"),
    (lambda: F.gelu(cg.randn(3), approximate="fast"), ValueError, r"gelu: approximate must be 'none' or 'tanh'"),
    (lambda: nn.GELU("erf"), ValueError, r"GELU: approximate must be 'none' or 'tanh', got 'erf'"),
    (lambda: F.hardtanh(cg.randn(3), 2.0, 1.0), ValueError, r"hardtanh: min_val \(2.0\) cannot be greater"),
    (lambda: nn.Hardtanh(1.0, 1.0), ValueError, r"Hardtanh: max_val \(1.0\) must be greater than min_val"),
    (lambda: F.celu(cg.randn(3), alpha=0.0), ValueError, r"celu: alpha cannot be 0"),
    (lambda: F.softplus(cg.randn(3), beta=0), ValueError, r"softplus: beta cannot be 0"),
    (lambda: F.step(cg.tensor([1, 2]), value=0.5), cg.DTypeError, r"step: value 0.5 cannot be represented.*int64"),
    (lambda: F.heaviside(cg.randn(3), cg.ones(4)), cg.ShapeError, r"heaviside: values of shape \(4,\) do not"),
    (lambda: F.step(cg.tensor([True])), cg.DTypeError, r"step: expected a numeric tensor, got dtype bool"),
])
def test_bad_input_raises_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()
