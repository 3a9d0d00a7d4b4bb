"""Backward semantics, grad modes, in-place rules, randomness, dtypes and gradcheck, as in PyTorch."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

import chalkgrad as cg
from chalkgrad.autograd import GradcheckError, gradcheck
from helpers import assert_close


def leaf(values, dtype=None):
    return cg.tensor(values, dtype=dtype, requires_grad=True)


# ----------------------------------------------------------------------------- backward and .grad
def test_grad_accumulates_across_backward_calls():
    x = leaf([1.0, 2.0])
    (x * x).sum().backward()
    (x * 3.0).sum().backward()
    assert x.grad.tolist() == [2.0 + 3.0, 4.0 + 3.0]
    x.grad = None
    (x * x).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]


def test_retain_graph_allows_a_second_backward():
    x = leaf([1.0, 2.0])
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * first)


def test_second_backward_through_freed_graph_is_a_clear_error():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    with pytest.raises(cg.GradError, match=r"backward through a graph that has already been freed.*retain_graph=True"):
        y.backward()


def test_backward_on_non_scalar_needs_a_gradient():
    x = leaf([1.0, 2.0])
    with pytest.raises(cg.GradError, match=r"single-element output; this tensor has shape \(2,\).*gradient="):
        (x * 2.0).backward()


def test_backward_on_a_tensor_without_grad_says_why():
    with pytest.raises(cg.GradError, match="does not require grad.*requires_grad=True"):
        cg.tensor([1.0]).sum().backward()


def test_gradient_argument_is_the_vector_of_the_vjp():
    x = leaf([1.0, 2.0, 3.0])
    (x * x).backward(gradient=cg.tensor([1.0, 0.5, -1.0]))
    assert x.grad.tolist() == [2.0, 2.0, -6.0]
    with pytest.raises(cg.ShapeError, match=r"gradient has shape \(2,\), expected the output's shape \(3,\)"):
        (x * x).backward(gradient=cg.ones(2))


def test_shared_subexpressions_receive_all_their_gradient():
    """A node used by several consumers is processed only after all of them, whatever the input order."""
    for order in ("b+a", "a+b"):
        x = leaf([1.0, 2.0])
        b = x * 1.0
        a = b * 2.0
        out = (b + a) if order == "b+a" else (a + b)
        out.sum().backward()
        assert x.grad.tolist() == [3.0, 3.0], order
    # a deeper diamond, against torch
    data = np.array([0.3, -0.7, 1.1])
    xs = [leaf(data.copy()), torch.tensor(data, requires_grad=True)]
    for x in xs:
        h = x * x
        k = h.exp() * h
        (h + k * h + (k + h).sin()).sum().backward()
    assert_close(xs[0].grad, xs[1].grad)


def test_a_long_chain_does_not_recurse():
    x = leaf([1.0])
    y = x
    for _ in range(5000):
        y = y * 1.0001
    y.sum().backward()
    assert x.grad.item() == pytest.approx(1.0001**5000, rel=1e-4)


def test_non_leaf_grad_is_kept_only_with_retain_grad():
    x = leaf([1.0, 2.0])
    h = x * 2.0
    k = x * 3.0
    k.retain_grad()
    assert k.retains_grad and not h.retains_grad
    (h * h + k).sum().backward()
    assert h.grad is None
    assert k.grad.tolist() == [1.0, 1.0]
    assert x.grad.tolist() == [8.0 * 1.0 + 3.0, 8.0 * 2.0 + 3.0]


def test_retain_grad_needs_requires_grad():
    with pytest.raises(cg.GradError, match="retain_grad"):
        cg.tensor([1.0]).retain_grad()


def test_leaf_and_grad_fn():
    x = leaf([1.0])
    y = x * 2.0
    assert x.is_leaf and x.grad_fn is None
    assert not y.is_leaf and y.grad_fn is not None
    assert cg.tensor([1.0]).is_leaf


# ----------------------------------------------------------------------------- autograd.grad
def test_autograd_grad_returns_gradients_without_touching_dot_grad():
    x, w = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    h = x * w
    h.retain_grad()
    gx, gw = cg.autograd.grad((h * h).sum(), [x, w])
    assert gx.tolist() == [2 * 3.0 * 3.0, 2 * 8.0 * 4.0]
    assert gw.tolist() == [2 * 3.0 * 1.0, 2 * 8.0 * 2.0]
    assert x.grad is None and w.grad is None and h.grad is None


def test_autograd_grad_allow_unused():
    x, unused = leaf([1.0]), leaf([2.0])
    with pytest.raises(cg.GradError, match=r"input 1 \(shape \(1,\)\) was not used.*allow_unused=True"):
        cg.autograd.grad((x * 2.0).sum(), [x, unused])
    gx, gu = cg.autograd.grad((x * 2.0).sum(), [x, unused], allow_unused=True)
    assert gx.tolist() == [2.0] and gu is None


def test_autograd_grad_outputs_and_non_leaf_inputs():
    x = leaf([1.0, 2.0])
    h = x * x
    y = h * 3.0
    gh, gx = cg.autograd.grad(y, [h, x], grad_outputs=cg.tensor([1.0, -1.0]))
    assert gh.tolist() == [3.0, -3.0]
    assert gx.tolist() == [6.0, -12.0]
    with pytest.raises(cg.GradError, match=r"output of shape \(2,\) is not a scalar; pass grad_outputs"):
        cg.autograd.grad(x * 2.0, x)
    with pytest.raises(cg.GradError, match="input 0 .* does not require grad"):
        cg.autograd.grad((x * 2.0).sum(), cg.tensor([1.0]))


def test_autograd_grad_frees_the_graph_unless_retained():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    cg.autograd.grad(y, x, retain_graph=True)
    cg.autograd.grad(y, x)
    with pytest.raises(cg.GradError, match="already been freed"):
        cg.autograd.grad(y, x)


# ----------------------------------------------------------------------------- grad modes
def test_no_grad_context_and_decorator():
    x = leaf([1.0])
    with cg.no_grad():
        assert not cg.is_grad_enabled()
        assert not (x * 2.0).requires_grad
    assert cg.is_grad_enabled() and (x * 2.0).requires_grad

    @cg.no_grad()
    def double(t):
        return t * 2.0

    assert not double(x).requires_grad
    assert cg.is_grad_enabled()


def test_enable_grad_inside_no_grad():
    x = leaf([1.0])

    @cg.enable_grad()
    def double(t):
        return t * 2.0

    with cg.no_grad():
        with cg.enable_grad():
            assert (x * 2.0).requires_grad
        assert not (x * 2.0).requires_grad
        assert double(x).requires_grad
        assert not cg.is_grad_enabled()


def test_set_grad_enabled_as_call_context_and_decorator():
    x = leaf([1.0])
    with cg.set_grad_enabled(False):
        assert not (x * 2.0).requires_grad
    assert cg.is_grad_enabled()

    @cg.set_grad_enabled(False)
    def double(t):
        return t * 2.0

    assert cg.is_grad_enabled(), "decorating must not switch the mode"
    assert not double(x).requires_grad
    try:
        cg.set_grad_enabled(False)  # a plain call switches recording off, as torch.set_grad_enabled
        assert not cg.is_grad_enabled() and not (x * 2.0).requires_grad
    finally:
        cg.set_grad_enabled(True)
    assert (x * 2.0).requires_grad


def test_grad_mode_is_restored_after_an_exception():
    with pytest.raises(KeyError):
        with cg.no_grad():
            raise KeyError("boom")
    assert cg.is_grad_enabled()


def test_detach_shares_data_and_leaves_the_graph():
    x = leaf([1.0, 2.0])
    d = (x * 2.0).detach()
    assert not d.requires_grad and d.grad_fn is None
    e = x.detach()
    assert np.shares_memory(e.numpy(), x.data)
    e[0] = 5.0
    assert x.tolist() == [5.0, 2.0]


def test_requires_grad_():
    x = cg.tensor([1.0])
    assert x.requires_grad_() is x and x.requires_grad
    x.requires_grad_(False)
    assert not x.requires_grad
    with pytest.raises(cg.DTypeError, match="only floating-point tensors can require gradients, got dtype int64"):
        cg.tensor([1, 2]).requires_grad_()
    with pytest.raises(cg.DTypeError, match="got dtype bool"):
        cg.tensor([True], requires_grad=True)
    with pytest.raises(cg.GradError, match="non-leaf"):
        (leaf([1.0]) * 2.0).requires_grad_()


# ----------------------------------------------------------------------------- in-place
def test_in_place_update_of_a_leaf_under_no_grad():
    w = leaf([1.0, 2.0])
    (w * w).sum().backward()
    with cg.no_grad():
        w -= 0.5 * w.grad
        w.add_(1.0)
        w.mul_(2.0)
    assert w.tolist() == [2 * (0.0 + 1.0), 2 * (0.0 + 1.0)]
    assert w.is_leaf and w.requires_grad
    w.grad = None
    (w * w).sum().backward()  # a fresh graph after the update works
    assert w.grad.tolist() == [4.0, 4.0]


@pytest.mark.parametrize("update", [
    lambda w: w.__iadd__(1.0), lambda w: w.add_(1.0), lambda w: w.mul_(2.0), lambda w: w.zero_(),
    lambda w: w.fill_(3.0), lambda w: w.copy_(cg.ones(2)), lambda w: w.clamp_(0.0, 1.0),
], ids=["+=", "add_", "mul_", "zero_", "fill_", "copy_", "clamp_"])
def test_in_place_on_a_leaf_that_requires_grad_is_an_error_outside_no_grad(update):
    w = leaf([1.0, 2.0])
    with pytest.raises(cg.GradError, match="in-place change of a tensor that requires grad.*no_grad"):
        update(w)
    assert w.tolist() == [1.0, 2.0]


def test_in_place_on_a_plain_tensor_is_fine():
    t = cg.tensor([1.0, 2.0])
    t += 1.0
    t.mul_(cg.tensor([2.0, 3.0]))
    assert t.tolist() == [4.0, 9.0]


def test_modifying_a_saved_tensor_is_detected_at_backward():
    w = leaf([1.0, 2.0])
    y = (w.exp() * w).sum()
    with cg.no_grad():
        w.mul_(2.0)
    with pytest.raises(cg.GradError, match=r"modified in place after it was used \(version 0 when saved, 1 now\)"):
        y.backward()


def test_setitem():
    t = cg.zeros(4)
    t[1] = 2.0
    t[cg.tensor([0, 3])] = cg.tensor([5.0, 6.0])
    t[cg.tensor([False, False, True, False])] = -1.0
    assert t.tolist() == [5.0, 2.0, -1.0, 6.0]
    w = leaf([1.0, 2.0, 3.0])
    with pytest.raises(cg.GradError, match="__setitem__: in-place change of a tensor that requires grad"):
        w[0] = 0.0
    with cg.no_grad():
        w[0] = 0.0
        w[1:] = cg.tensor([7.0, 8.0])
    assert w.tolist() == [0.0, 7.0, 8.0] and w.is_leaf and w.requires_grad
    y = (w * w).sum()
    with cg.no_grad():
        w[2] = 1.0
    with pytest.raises(cg.GradError, match="modified in place"):
        y.backward()
    with pytest.raises(cg.DTypeError, match="float"):
        t[1.0] = 3.0


# ----------------------------------------------------------------------------- randomness
@pytest.mark.parametrize("make", [
    lambda g: cg.randn(3, 2, generator=g), lambda g: cg.rand(4, generator=g),
    lambda g: cg.randint(0, 10, (5,), generator=g), lambda g: cg.randperm(6, generator=g),
], ids=["randn", "rand", "randint", "randperm"])
def test_same_seed_same_numbers(make):
    cg.manual_seed(1234)
    a = make(None)
    cg.manual_seed(1234)
    b = make(None)
    assert a.tolist() == b.tolist()
    assert make(cg.Generator(7)).tolist() == make(cg.Generator(7)).tolist()
    assert make(cg.Generator(7)).tolist() != make(cg.Generator(8)).tolist()


def test_generators_are_independent_of_each_other_and_of_the_default():
    cg.manual_seed(0)
    expected = cg.randn(5).tolist()
    cg.manual_seed(0)
    g = cg.Generator(1)
    cg.randn(100, generator=g)  # drawing from g leaves the default stream alone
    assert cg.randn(5).tolist() == expected
    g1, g2 = cg.Generator(3), cg.Generator(3)
    first = cg.rand(3, generator=g1).tolist()
    cg.rand(50, generator=g2)
    cg.rand(3, generator=g1)
    assert cg.rand(3, generator=cg.Generator(3)).tolist() == first
    state = g1.get_state()
    after = cg.rand(3, generator=g1).tolist()
    g1.set_state(state)
    assert cg.rand(3, generator=g1).tolist() == after
    assert g1.initial_seed() == 3


def test_manual_seed_rejects_bad_seeds():
    with pytest.raises(ValueError, match="non-negative integer"):
        cg.manual_seed(-1)
    with pytest.raises(ValueError, match="non-negative integer"):
        cg.Generator(1.5)


# ----------------------------------------------------------------------------- dtypes
def test_dtype_rules_for_new_tensors():
    assert cg.tensor(1.5).dtype == cg.float32  # Python floats: the default float32
    assert cg.tensor([1.0, 2.0]).dtype == cg.float32
    assert cg.tensor([1, 2]).dtype == cg.int64  # Python ints: int64
    assert cg.tensor([True]).dtype == cg.bool
    assert cg.tensor(np.array([1.0])).dtype == cg.float64  # NumPy's float64 is kept
    assert cg.tensor(np.array([1.0], dtype=np.float32)).dtype == cg.float32
    assert cg.tensor(np.array([1], dtype=np.int32)).dtype == cg.int64
    assert cg.tensor(np.array([1], dtype=np.uint8)).dtype == cg.int64
    assert cg.tensor(np.array([1.0], dtype=np.float16)).dtype == cg.float32
    assert cg.tensor([1.0], dtype=cg.float64).dtype == cg.float64
    assert cg.tensor([1.0], dtype="double").dtype == cg.float64
    assert cg.tensor([1.0], dtype=np.float64).dtype == cg.float64
    assert cg.tensor([1.7], dtype=cg.long).tolist() == [1]
    assert cg.zeros(2).dtype == cg.float32 and cg.ones(2, dtype=cg.float64).dtype == cg.float64
    assert cg.arange(3).dtype == cg.int64 and cg.arange(0.0, 1.0, 0.5).dtype == cg.float32
    assert cg.full((2,), 1).dtype == cg.int64 and cg.full((2,), 1.0).dtype == cg.float32
    assert cg.randn(2).dtype == cg.float32 and cg.randn(2, dtype=cg.float64).dtype == cg.float64


def test_dtype_rules_for_results():
    f32, f64 = cg.ones(2), cg.ones(2, dtype=cg.float64)
    assert (f32 * 2).dtype == cg.float32 and (f32 + 0.5).dtype == cg.float32 and (2.0 ** f32).dtype == cg.float32
    assert (f64 * 2.0).dtype == cg.float64
    assert (f32 + f64).dtype == cg.float64
    assert (f32 + np.ones(2)).dtype == cg.float32  # a float64 array is a constant of the tensor's dtype
    assert (f32 > 0).dtype == cg.bool
    assert leaf([1.5]).long().dtype == cg.int64 and not leaf([1.5]).long().requires_grad
    assert leaf([1.5]).double().requires_grad


@pytest.mark.parametrize("bad", ["int32", "float16", np.complex64, np.uint8, "string"])
def test_unsupported_dtypes_raise(bad):
    with pytest.raises(cg.DTypeError, match="unsupported dtype .*float32, float64, int64 or bool"):
        cg.tensor([1.0], dtype=bad)


@pytest.mark.parametrize("data", [np.array([1 + 2j]), ["a", "b"]], ids=["complex", "strings"])
def test_unsupported_data_raises(data):
    with pytest.raises(cg.DTypeError, match="cannot make a tensor from data of dtype"):
        cg.tensor(data)


# ----------------------------------------------------------------------------- conversions
def test_numpy_item_tolist():
    t = cg.tensor([[1.0, 2.0], [3.0, 4.0]])
    a = t.numpy()
    assert isinstance(a, np.ndarray) and a.dtype == np.float32
    a[0, 0] = 10.0  # shared memory, as torch
    assert t[0, 0].item() == 10.0
    assert t.tolist() == [[10.0, 2.0], [3.0, 4.0]]
    assert cg.tensor([3]).item() == 3 and isinstance(cg.tensor([3]).item(), int)
    assert isinstance(cg.tensor(2.5).item(), float)
    with pytest.raises(cg.ShapeError, match=r"item\(\): the tensor has 4 elements, expected exactly 1"):
        t.item()
    with pytest.raises(cg.GradError, match=r"detach\(\).numpy\(\)"):
        leaf([1.0]).numpy()
    assert float(cg.tensor([2.5])) == 2.5 and int(cg.tensor([3])) == 3


def test_from_numpy_shares_memory():
    a = np.arange(3.0)
    t = cg.from_numpy(a)
    a[0] = 7.0
    assert t.tolist() == [7.0, 1.0, 2.0] and t.dtype == cg.float64


# ----------------------------------------------------------------------------- custom Functions, gradcheck
class Cube(cg.Function):
    """y = x³;   dy/dx = 3x²"""

    def forward(self, x):
        return x ** 3

    def backward(self, g):
        x = self.inputs[0]
        return g * 3.0 * x * x


class WrongCube(Cube):
    """A deliberate mistake: dy/dx = 2x² instead of 3x²."""

    def backward(self, g):
        x = self.inputs[0]
        return g * 2.0 * x * x


def test_custom_function_and_gradcheck_pass():
    x = leaf([0.5, -1.0, 2.0], dtype=cg.float64)
    y = Cube.apply(x)
    assert y.grad_fn is not None
    y.sum().backward()
    assert x.grad.tolist() == [0.75, 3.0, 12.0]
    assert gradcheck(Cube.apply, (x,))
    assert gradcheck(lambda a, b: a * b.sin(), (x, leaf([0.1, 0.2, 0.3], dtype=cg.float64)))


def test_gradcheck_failure_names_input_element_values_error_and_tolerance():
    x = leaf([0.5, -1.0, 2.0], dtype=cg.float64)
    c = cg.tensor([1.0, 1.0, 1.0], dtype=cg.float64)
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda const, t: WrongCube.apply(t) * const, (c, x), atol=1e-5, rtol=1e-3)
    msg = str(info.value)
    m = re.search(
        r"gradcheck failed for input 1 \(shape \(3,\)\) at element \((\d),\): "
        r"analytic (\S+), numeric \(central difference, eps=1e-06\) (\S+), "
        r"relative error (\S+); allowed \|a - n\| <= atol \+ rtol·\|n\| = 1e-05 \+ 0.001·", msg)
    assert m, msg
    element, analytic, numeric, rel = int(m[1]), float(m[2]), float(m[3]), float(m[4])
    assert analytic / numeric == pytest.approx(2.0 / 3.0, rel=1e-4)  # 2x² against the true 3x²
    assert rel == pytest.approx(1.0 / 3.0, rel=1e-2)
    assert element in (0, 1, 2)
    assert gradcheck(WrongCube.apply, (x,), raise_exception=False) is False
    assert isinstance(info.value, AssertionError) and isinstance(info.value, cg.ChalkgradError)


def test_gradcheck_wants_float64_and_something_to_check():
    with pytest.raises(cg.GradError, match="finite differences need float64"):
        gradcheck(Cube.apply, (leaf([1.0]),))
    with pytest.raises(cg.GradError, match="no input requires grad"):
        gradcheck(Cube.apply, (cg.tensor([1.0]),))


def test_gradcheck_on_a_non_contiguous_input():
    x = cg.Tensor(np.arange(1.0, 7.0).reshape(2, 3).T, requires_grad=True)
    assert not x.data.flags.c_contiguous
    assert gradcheck(lambda t: (t * t).sum(0), (x,))


def test_in_place_change_through_a_detached_tensor_is_detected():
    x = cg.tensor([1.0, 2.0], requires_grad=True)
    w = cg.tensor([3.0, 4.0], requires_grad=True)
    y = x.detach()
    z = (y * w).sum()  # MulBackward saves y
    with cg.no_grad():
        x.add_(1)  # the same memory as y
    with pytest.raises(cg.GradError, match="modified in place"):
        z.backward()
    assert y._version == x._version == 1


def test_in_place_change_of_a_saved_output_is_detected():
    a = cg.tensor([1.0, 2.0], requires_grad=True)
    b = a.exp()  # ExpBackward reads its output
    b.detach().zero_()
    with pytest.raises(cg.GradError, match="output of <ExpBackward> was modified in place"):
        b.sum().backward()
    c = a + 1  # AddBackward does not need its output: changing it is fine, as in PyTorch
    with cg.no_grad():
        c.mul_(2)
    c.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [1.0, 1.0])
