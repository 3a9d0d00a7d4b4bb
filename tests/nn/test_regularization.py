"""L1/L2 penalties: values, gradients, equivalence with SGD weight decay."""

import numpy as np
import pytest
import torch

import chalkgrad as cg
from chalkgrad import nn, optim
from chalkgrad.autograd import gradcheck
from chalkgrad.errors import ConfigError, DTypeError
from chalkgrad.nn.regularization import l1_penalty, l2_penalty


def tensors(dtype="float64", seed=0):
    rng = np.random.default_rng(seed)
    return [cg.tensor(rng.standard_normal(s), dtype=dtype, requires_grad=True) for s in ((3, 2), (4,))]


def test_values_match_the_formulas():
    ws = tensors()
    arrays = [w.detach().numpy() for w in ws]
    assert float(l1_penalty(ws, 0.3)) == pytest.approx(0.3 * sum(np.abs(a).sum() for a in arrays), rel=1e-12)
    assert float(l2_penalty(ws, 0.3)) == pytest.approx(0.3 * sum((a * a).sum() for a in arrays), rel=1e-12)
    assert float(l2_penalty(ws, 0.3, half=True)) == pytest.approx(0.15 * sum((a * a).sum() for a in arrays),
                                                                   rel=1e-12)
    assert l2_penalty(ws, 0.3).shape == ()


def test_gradients_match_torch():
    ws = tensors()
    ts = [torch.tensor(w.detach().numpy(), requires_grad=True) for w in ws]
    (l1_penalty(ws, 0.2) + l2_penalty(ws, 0.7, half=True)).backward()
    (0.2 * sum(t.abs().sum() for t in ts) + 0.35 * sum((t * t).sum() for t in ts)).backward()
    for w, t in zip(ws, ts):
        np.testing.assert_allclose(w.grad.numpy(), t.grad.numpy(), rtol=1e-12)


def test_gradcheck_float64():
    ws = tensors()
    assert gradcheck(lambda a, b: l2_penalty([a, b], 0.5), ws)
    assert gradcheck(lambda a, b: l1_penalty([a, b], 0.5), ws)


def test_module_input_covers_all_parameters_and_keeps_dtype():
    cg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    expected = sum(float((p.data.astype(np.float64) ** 2).sum()) for p in model.parameters())
    value = l2_penalty(model, 1.0)
    assert value.dtype == np.float32
    assert float(value) == pytest.approx(expected, rel=1e-5)
    assert value.requires_grad
    assert float(l1_penalty(model[0].weight, 2.0)) == pytest.approx(2 * np.abs(model[0].weight.detach().numpy()).sum(),
                                                                      rel=1e-5)
    assert float(l1_penalty([], 1.0)) == 0.0


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_sgd_weight_decay_equals_half_l2_penalty(momentum):
    """weight_decay=wd gives the same steps as adding (wd/2)·‖w‖² to the loss."""
    wd = 0.1
    cg.manual_seed(0)
    a = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1)).double()
    b = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1)).double()
    b.load_state_dict(a.state_dict())
    opt_a = optim.SGD(a.parameters(), lr=0.1, momentum=momentum, weight_decay=wd)
    opt_b = optim.SGD(b.parameters(), lr=0.1, momentum=momentum)
    x = cg.randn(8, 3, dtype="float64")
    y = cg.randn(8, 1, dtype="float64")
    for _ in range(5):
        opt_a.zero_grad()
        ((a(x) - y) ** 2).mean().backward()
        opt_a.step()
        opt_b.zero_grad()
        (((b(x) - y) ** 2).mean() + l2_penalty(b, wd / 2)).backward()
        opt_b.step()
    for pa, pb in zip(a.parameters(), b.parameters()):
        np.testing.assert_allclose(pa.data, pb.data, rtol=1e-12, atol=1e-14)
    assert float(l2_penalty(b, wd / 2)) == pytest.approx(float(l2_penalty(b, wd, half=True)), rel=1e-15)


def test_errors():
    with pytest.raises(ConfigError, match="l2_penalty: invalid lam=-1; expected a number >= 0"):
        l2_penalty(tensors(), -1)
    with pytest.raises(ConfigError, match="l1_penalty: item 1 is a ndarray, expected a Tensor"):
        l1_penalty([tensors()[0], np.ones(2)], 0.1)
    with pytest.raises(ConfigError, match="expected a Module, a tensor or an iterable"):
        l1_penalty(3, 0.1)
    with pytest.raises(DTypeError, match="int64"):
        l2_penalty([cg.tensor([1, 2])], 0.1)
