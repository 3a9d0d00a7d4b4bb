"""Higher-order gradients against PyTorch: every differentiable op of the table, a Hessian, a gradient penalty."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import chalkgrad as cg
from helpers import assert_close, examples, to_torch
from test_ops_torch import DIFFERENTIABLE, case_of, cg_grads, floating, gradient_seeds, run_both, torch_grads


@pytest.mark.parametrize("op", DIFFERENTIABLE, ids=repr)
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@examples(5)
@given(data=st.data())
def test_second_derivative_matches_torch(op, data):
    """d/dx <d<out, v>/dx, w>: a Hessian-vector product of every op, in float64."""
    case = data.draw(case_of(op, kinks=False), label="case")
    seed = data.draw(st.integers(0, 2**32 - 2), label="seed")
    xs, ts, outs, touts = run_both(op, case, "float64", requires_grad=True)
    outs, touts = floating(outs), floating(touts)
    seeds = gradient_seeds(outs, seed)
    first = cg_grads(outs, xs, seeds, create_graph=True)
    tfirst = torch_grads(touts, ts, seeds, create_graph=True)
    for i, (g, tg) in enumerate(zip(first, tfirst)):
        assert_close(g, tg, what=f"{op.name}: first derivative {i}")
    ws = gradient_seeds(first, seed + 1)
    for i, (h, th) in enumerate(zip(cg_grads(first, xs, ws), torch_grads(tfirst, ts, ws))):
        assert_close(h, th, scale=10.0, what=f"{op.name}: second derivative {i}")


def _f(x, lib):
    """A small scalar function with every kind of curvature: products, powers, exp, log, sin, softmax."""
    soft = lib.softmax(x, 0) if lib is torch else cg.softmax(x, 0)
    return (x[0] * x[1] * x[2] + (x ** 3).sum() + x.exp().sum() * x[3] + (x * x + 1.0).log().sum()
            + x.sin().prod() + (soft * x).sum() + x.norm() + x.sigmoid().mean())


def test_hessian_matches_torch():
    x = np.array([0.3, -1.2, 0.7, 1.5], dtype=np.float64)
    h = cg.autograd.hessian(lambda t: _f(t, cg), cg.tensor(x))
    th = torch.autograd.functional.hessian(lambda t: _f(t, torch), torch.tensor(x))
    assert h.shape == (4, 4)
    assert_close(h, th, what="hessian")
    assert_close(h, h.T, what="hessian symmetry")


def test_jacobian_matches_torch():
    x = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])

    def f(t):  # the same spelling in both libraries
        return (t.tanh() @ t.T).exp() * t.sum()

    j = cg.autograd.jacobian(f, cg.tensor(x))
    tj = torch.autograd.functional.jacobian(f, torch.tensor(x))
    assert j.shape == (2, 2, 2, 3)
    assert_close(j, tj, what="jacobian")


def test_third_derivative_of_a_scalar():
    """Differentiating three times: d³/dx³ (x⁴ sin x)."""
    x = cg.tensor(0.8, dtype=cg.float64, requires_grad=True)
    tx = torch.tensor(0.8, dtype=torch.float64, requires_grad=True)
    y, ty = x ** 4 * x.sin(), tx ** 4 * tx.sin()
    for _ in range(3):
        (y,) = cg.autograd.grad(y, x, create_graph=True)
        (ty,) = torch.autograd.grad(ty, tx, create_graph=True)
        assert_close(y, ty, what="repeated derivative")


def test_backward_with_create_graph_then_backward_again():
    """The .backward(create_graph=True) route: x.grad is itself differentiable."""
    data = np.array([[0.5, -1.5], [2.0, 0.1]])
    x = cg.tensor(data, requires_grad=True)
    tx = torch.tensor(data, requires_grad=True)
    (x.tanh() * x.exp()).sum().backward(create_graph=True)
    (tx.tanh() * tx.exp()).sum().backward(create_graph=True)
    assert x.grad.requires_grad and x.grad.grad_fn is not None
    assert_close(x.grad, tx.grad, what="first derivative")
    g, tg = x.grad, tx.grad
    x.grad, tx.grad = None, None
    (g * g).sum().backward()
    (tg * tg).sum().backward()
    assert_close(x.grad, tx.grad, what="derivative of |grad|²")


def test_gradient_penalty_matches_torch():
    """WGAN-GP: penalise the critic's input-gradient norm, then train the critic's weights through it."""
    rng = np.random.default_rng(3)
    real, fake = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    alpha = rng.random((5, 1))
    w1, b1, w2 = rng.standard_normal((3, 4)), rng.standard_normal(4), rng.standard_normal((4, 1))

    def penalty(lib_tensor, grad_fn, w1, b1, w2):
        x = lib_tensor(alpha * real + (1 - alpha) * fake, requires_grad=True)
        critic = ((x @ w1 + b1).tanh() @ w2).sum()
        (gx,) = grad_fn(critic, x, create_graph=True)
        return ((gx.norm(dim=1) - 1.0) ** 2).mean()

    params = [cg.tensor(a, requires_grad=True) for a in (w1, b1, w2)]
    tparams = [to_torch(a, requires_grad=True) for a in (w1, b1, w2)]
    gp = penalty(cg.tensor, cg.autograd.grad, *params)
    tgp = penalty(torch.tensor, torch.autograd.grad, *tparams)
    assert_close(gp, tgp, what="penalty")
    gp.backward()
    tgp.backward()
    for name, p, tp in zip(("w1", "b1", "w2"), params, tparams):
        assert_close(p.grad, tp.grad, what=f"d penalty / d {name}")


def test_double_backward_of_prod_with_zeros_says_so():
    x = cg.tensor([2.0, 0.0, 3.0], requires_grad=True)
    (g,) = cg.autograd.grad(x.prod(), x)  # first order is fine
    assert g.tolist() == [0.0, 6.0, 0.0]
    with pytest.raises(cg.GradError, match="prod: double backward is not supported when the input contains zeros"):
        cg.autograd.grad(x.prod(), x, create_graph=True)
