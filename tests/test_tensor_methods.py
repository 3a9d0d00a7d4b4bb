"""Tensor.sort/argsort/topk/softmax, dtype conversions and devices, against PyTorch (issue 13)."""

import numpy as np
import pytest
import torch

import chalkgrad as cg
from chalkgrad import nn

TIES = [[3.0, 1.0, 3.0, 2.0, 1.0, 3.0], [0.5, float("nan"), -1.0, 0.5, 2.0, -1.0]]
RANDOM = np.random.default_rng(0).normal(size=(3, 4, 5))


def _pair(values, dtype="float64"):
    return cg.tensor(np.asarray(values), dtype=getattr(cg, dtype)), torch.tensor(np.asarray(values)).to(
        getattr(torch, dtype))


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("data,dim", [(TIES, -1), (TIES, 0), (RANDOM, 1), (RANDOM, -1), (RANDOM, 0)])
def test_stable_sort_matches_torch_including_ties_and_nan(data, dim, descending):
    c, t = _pair(data)
    ours = c.sort(dim=dim, descending=descending, stable=True)
    theirs = t.sort(dim=dim, descending=descending, stable=True)
    np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())
    np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
    np.testing.assert_array_equal(c.argsort(dim=dim, descending=descending, stable=True).numpy(),
                                  theirs.indices.numpy())
    values, indices = cg.sort(c, dim, descending)  # unpacks as a pair
    np.testing.assert_array_equal(values.numpy(), theirs.values.numpy())


@pytest.mark.parametrize("dtype", ["int64", "bool", "float32"])
def test_sort_of_other_dtypes_matches_torch(dtype):
    c, t = _pair([[3, 0, 1, 0, 2]], dtype)
    ours, theirs = c.sort(descending=True, stable=True), t.sort(descending=True, stable=True)
    assert ours.values.dtype == c.dtype
    np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())
    np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())


@pytest.mark.parametrize("largest", [True, False])
@pytest.mark.parametrize("data,k,dim", [(TIES, 3, -1), (TIES, 1, 0), (RANDOM, 2, 1), (RANDOM, 5, -1),
                                        (RANDOM, 0, 0)])
def test_topk_matches_torch(data, k, dim, largest):
    c, t = _pair(data)
    ours, theirs = c.topk(k, dim=dim, largest=largest), t.topk(k, dim=dim, largest=largest)
    np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())
    assert ours.indices.dtype == cg.int64
    # torch leaves the order of equal values open; both pick elements holding the same values
    np.testing.assert_array_equal(np.take_along_axis(c.numpy(), ours.indices.numpy(), dim), theirs.values.numpy())
    if data is RANDOM:  # no ties: the indices agree too
        np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())


def test_topk_ties_come_in_index_order():
    """chalkgrad documents its tie order (first occurrence first): the stable sort's."""
    c = cg.tensor([1.0, 3.0, 3.0, 2.0, 3.0])
    assert c.topk(2).indices.tolist() == torch.tensor([1.0, 3.0, 3.0, 2.0, 3.0]).sort(
        descending=True, stable=True).indices[:2].tolist()


@pytest.mark.parametrize("make", [
    lambda m, x: x.sort(dim=1, descending=True)[0],
    lambda m, x: x.sort(dim=0)[0],
    lambda m, x: x.topk(2, dim=-1)[0],
    lambda m, x: x.topk(3, dim=1, largest=False)[0],
    lambda m, x: x.softmax(1),
    lambda m, x: x.log_softmax(dim=-1),
], ids=["sort desc", "sort dim0", "topk", "topk smallest", "softmax", "log_softmax"])
def test_gradients_match_torch_and_finite_differences(make):
    x = np.random.default_rng(1).normal(size=(3, 4, 5))
    g = np.random.default_rng(2).normal(size=make(torch, torch.tensor(x)).shape)
    xt = torch.tensor(x, requires_grad=True)
    make(torch, xt).backward(torch.tensor(g))
    xc = cg.tensor(x, dtype=cg.float64, requires_grad=True)
    out = make(cg, xc)
    np.testing.assert_allclose(out.detach().numpy(), make(torch, torch.tensor(x)).numpy(), rtol=1e-12, atol=1e-12)
    out.backward(cg.tensor(g, dtype=cg.float64))
    np.testing.assert_allclose(xc.grad.numpy(), xt.grad.numpy(), rtol=1e-12, atol=1e-12)
    assert cg.autograd.gradcheck(lambda t: make(cg, t), [cg.tensor(x, dtype=cg.float64, requires_grad=True)])


def test_sort_and_topk_errors():
    with pytest.raises(cg.IndexOutOfRangeError, match=r"topk: k must be an integer in \[0, 3\]"):
        cg.ones(2, 3).topk(4)
    with pytest.raises(RuntimeError):
        torch.ones(2, 3).topk(4)
    with pytest.raises(cg.IndexOutOfRangeError, match="sort: dim 2"):
        cg.ones(2, 3).sort(dim=2)


@pytest.mark.parametrize("method", ["int", "long", "float", "double", "bool"])
def test_dtype_conversions_match_torch(method):
    values = [-1.5, 0.0, 2.7]
    ours, theirs = getattr(cg.tensor(values), method)(), getattr(torch.tensor(values), method)()
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    expected = {"int": "int64"}.get(method, str(theirs.dtype).removeprefix("torch."))  # no int32 in chalkgrad
    assert str(ours.dtype) == expected


def test_float_conversion_is_differentiable_and_keeps_the_leaf_dtype():
    x = cg.tensor([1.0, 2.0], requires_grad=True)
    (x.double() * 3).sum().backward()
    assert x.grad.dtype == cg.float32 and x.grad.tolist() == [3.0, 3.0]


def test_device_object_and_to():
    x = cg.tensor([1.0, 2.0])
    assert x.device == "cpu" and x.device == cg.device("cpu") and str(x.device) == "cpu"
    assert repr(x.device) == repr(torch.device("cpu"))
    assert x.to("cpu") is x and x.cpu() is x and x.to(cg.device("cpu")) is x
    assert x.to("cpu", cg.float64).dtype == cg.float64
    assert x.to(device="cpu", dtype=cg.float64).dtype == cg.float64
    assert x.to(cg.tensor([1], dtype=cg.int64)).dtype == cg.int64
    assert x.to("cpu", copy=True) is not x
    assert x.to(torch.device("cpu")) is x
    assert cg.device("cpu:0") == "cpu" and cg.device("cpu") != "cuda"
    assert len({cg.device("cpu"), cg.device("cpu:0")}) == 1


@pytest.mark.parametrize("call", [
    lambda d: cg.tensor([1.0], device=d), lambda d: cg.zeros(2, device=d), lambda d: cg.ones(2, device=d),
    lambda d: cg.randn(2, device=d), lambda d: cg.rand(2, device=d), lambda d: cg.arange(3, device=d),
    lambda d: cg.full((2,), 1.0, device=d), lambda d: cg.eye(2, device=d), lambda d: cg.linspace(0, 1, 3, device=d),
    lambda d: cg.randint(0, 3, (2,), device=d), lambda d: cg.zeros_like(cg.ones(2), device=d),
    lambda d: cg.empty(2, device=d), lambda d: cg.randperm(3, device=d), lambda d: cg.as_tensor([1.0], device=d),
    lambda d: nn.Linear(2, 3, device=d), lambda d: nn.Conv2d(1, 2, 3, device=d), lambda d: nn.LSTM(2, 3, device=d),
    lambda d: nn.BatchNorm1d(2, device=d), lambda d: nn.Embedding(3, 2, device=d), lambda d: nn.PReLU(device=d),
    lambda d: cg.ones(2).to(d), lambda d: nn.Linear(2, 3).to(d),
], ids=lambda f: "")
def test_every_device_argument_takes_the_cpu_and_refuses_cuda(call):
    for cpu in ("cpu", "cpu:0", cg.device("cpu"), torch.device("cpu")):
        call(cpu)
    with pytest.raises(cg.ConfigError, match="chalkgrad runs on the CPU"):
        call("cuda")
    with pytest.raises(cg.ConfigError, match="chalkgrad runs on the CPU"):
        call("cuda:0")
    with pytest.raises(cg.ChalkgradError, match="unknown device|neither a dtype"):
        call("tpu")
