"""Dtype promotion follows PyTorch, not NumPy, where the two differ (see docs/semantics.md)."""

import numpy as np
import pytest
import torch

import chalkgrad as cg

INT = [1, 2, 3]
CASES = [
    ("int * python float", lambda m, a: a * 1.5),
    ("python float / int", lambda m, a: 2.0 / a),
    ("int / int", lambda m, a: a / a),
    ("int / python int", lambda m, a: a / 2),
    ("int ** 0.5", lambda m, a: a ** 0.5),
    ("int * python int", lambda m, a: a * 2),
    ("int + float32 tensor", lambda m, a: a + m.tensor([0.5])),
    ("int + float64 tensor", lambda m, a: a + m.tensor([0.5], dtype=m.float64)),
    ("exp(int)", lambda m, a: m.exp(a)),
    ("sigmoid(int)", lambda m, a: m.sigmoid(a)),
    ("sqrt(int)", lambda m, a: m.sqrt(a)),
    ("tanh(int)", lambda m, a: m.tanh(a)),
]


@pytest.mark.parametrize("name,fn", CASES, ids=[c[0] for c in CASES])
def test_result_dtype_matches_torch(name, fn):
    ours = fn(cg, cg.tensor(INT))
    theirs = fn(torch, torch.tensor(INT))
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1], name
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


def test_relu_keeps_nan_like_torch():
    x = cg.tensor([-1.0, float("nan"), 2.0])
    assert np.isnan(x.relu().numpy()[1])
    assert x.relu().numpy()[0] == 0.0


def test_hessian_of_linear_and_piecewise_linear_functions_is_zero():
    x = cg.tensor([1.0, -2.0, 3.0], dtype=cg.float64)
    for f in (lambda t: (t * 2).sum(), lambda t: t.relu().sum()):
        h = cg.autograd.hessian(f, x)
        assert h.shape == (3, 3)
        np.testing.assert_array_equal(h.numpy(), np.zeros((3, 3)))


def test_jacobian_of_a_constant_function_is_zero():
    x = cg.tensor([1.0, 2.0], dtype=cg.float64)
    j = cg.autograd.jacobian(lambda t: cg.ones(3, dtype=cg.float64), x)
    assert j.shape == (3, 2) and not j.numpy().any()


def test_dim_out_of_range_is_an_index_error_naming_the_op():
    with pytest.raises(cg.IndexOutOfRangeError, match=r"sum: dim 5 is out of range.*2 dimensions"):
        cg.ones(2, 3).sum(dim=5)
    with pytest.raises(IndexError):
        cg.ones(2, 3).gather(1, cg.tensor([[7], [0]]))
