"""Linear, Identity, Flatten, Unflatten: forward and gradients against PyTorch, init, shape arithmetic, errors."""

import math

import numpy as np
import pytest
import torch

import chalkgrad as cg
from chalkgrad import nn

TOL = {np.float64: dict(rtol=1e-12, atol=1e-12), np.float32: dict(rtol=1e-5, atol=1e-6)}


def _torch_linear(layer):
    t = torch.nn.Linear(layer.in_features, layer.out_features, bias=layer.bias is not None,
                        dtype=torch.float64 if layer.weight.dtype == np.float64 else torch.float32)
    t.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in layer.state_dict().items()})
    return t


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("in_shape", [(5, 3), (3,), (2, 4, 3)])
def test_linear_matches_torch(dtype, bias, in_shape):
    rng = np.random.default_rng(0)
    layer = nn.Linear(3, 4, bias=bias, dtype=dtype)
    ref = _torch_linear(layer)
    x_np = rng.standard_normal(in_shape).astype(dtype)
    x = cg.tensor(x_np, requires_grad=True)
    xt = torch.tensor(x_np, requires_grad=True)
    y, yt = layer(x), ref(xt)
    assert y.shape == tuple(yt.shape) == layer.output_shape(in_shape)
    assert y.dtype == dtype
    np.testing.assert_allclose(y.data, yt.detach().numpy(), **TOL[dtype])
    g = rng.standard_normal(y.shape).astype(dtype)
    y.backward(cg.tensor(g))
    yt.backward(torch.from_numpy(g))
    np.testing.assert_allclose(x.grad.data, xt.grad.numpy(), **TOL[dtype])
    np.testing.assert_allclose(layer.weight.grad.data, ref.weight.grad.numpy(), **TOL[dtype])
    if bias:
        np.testing.assert_allclose(layer.bias.grad.data, ref.bias.grad.numpy(), **TOL[dtype])


def test_linear_layout_and_parameters():
    layer = nn.Linear(3, 4)
    assert layer.weight.shape == (4, 3) and layer.bias.shape == (4,)
    assert layer.weight.dtype == np.float32 and layer.weight.requires_grad
    assert isinstance(layer.weight, nn.Parameter)
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]
    assert layer.count_parameters() == 4 * (3 + 1)
    no_bias = nn.Linear(3, 4, bias=False)
    assert no_bias.bias is None
    assert [n for n, _ in no_bias.named_parameters()] == ["weight"]
    assert list(no_bias.state_dict()) == ["weight"]
    assert no_bias.count_parameters() == 12
    assert nn.Linear(3, 4, dtype=cg.float64).weight.dtype == np.float64
    assert nn.Linear(3, 4, dtype="double").bias.dtype == np.float64
    assert nn.Linear(3, 4, dtype="float").weight.dtype == np.float32  # chalkgrad.float is float32, as torch


def test_linear_default_init_is_torch_uniform():
    # torch: weight kaiming_uniform_(a=√5) -> U(±1/√in); bias U(±1/√in)
    cg.manual_seed(0)
    layer = nn.Linear(400, 300, dtype=cg.float64)
    bound = 1 / math.sqrt(400)
    for p in (layer.weight, layer.bias):
        assert np.abs(p.data).max() <= bound
    assert np.abs(layer.weight.data).max() > 0.99 * bound
    np.testing.assert_allclose(layer.weight.data.var(), bound**2 / 3, rtol=0.02)
    np.testing.assert_allclose(layer.weight.data.mean(), 0, atol=5 * bound / math.sqrt(3 * 120000))  # 5 standard errors
    t = torch.nn.Linear(400, 300, dtype=torch.float64)
    np.testing.assert_allclose(t.weight.detach().var().item(), bound**2 / 3, rtol=0.02)


def test_linear_init_reproducible_with_generator_and_manual_seed():
    a = nn.Linear(5, 6, generator=cg.Generator(7))
    b = nn.Linear(5, 6, generator=cg.Generator(7))
    c = nn.Linear(5, 6, generator=cg.Generator(8))
    assert np.array_equal(a.weight.data, b.weight.data) and np.array_equal(a.bias.data, b.bias.data)
    assert not np.array_equal(a.weight.data, c.weight.data)
    cg.manual_seed(123)
    d = nn.Linear(5, 6)
    cg.manual_seed(123)
    e = nn.Linear(5, 6)
    assert np.array_equal(d.weight.data, e.weight.data) and np.array_equal(d.bias.data, e.bias.data)
    before = d.weight.data.copy()
    d.reset_parameters(cg.Generator(7))
    assert np.array_equal(d.weight.data, a.weight.data) and not np.array_equal(d.weight.data, before)


def test_linear_wrong_features_names_layer_and_shapes():
    layer = nn.Linear(3, 4)
    with pytest.raises(cg.ShapeError, match=r"Linear\(3, 4\): input of shape \(2, 5\) has 5 features .*expected 3"):
        layer(cg.randn(2, 5))
    with pytest.raises(ValueError, match=r"Linear\(3, 4\): input of shape \(\)"):
        layer(cg.tensor(1.0))
    with pytest.raises(cg.ShapeError, match=r"Linear\(3, 4\): input shape \(2, 5\) must end in 3 features"):
        layer.output_shape((2, 5))
    with pytest.raises(cg.ShapeError, match="must end in 3"):
        layer.macs((2, 5))


def test_shape_error_carries_the_layer_path():
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 2)

        def forward(self, x):
            return self.fc(x)

    model = nn.Sequential(nn.Linear(3, 5), Block())
    with pytest.raises(cg.ShapeError, match=r"^\[Sequential layer '1.fc'\] Linear\(4, 2\): input of shape \(2, 5\)"):
        model(cg.randn(2, 3))
    with pytest.raises(cg.ShapeError, match=r"^\[Sequential layer '0'\] Linear\(3, 5\)"):
        model(cg.randn(2, 4))
    with pytest.raises(cg.ShapeError, match=r"^\[Block layer 'fc'\] Linear\(4, 2\)"):
        model[1](cg.randn(2, 3))
    with pytest.raises(cg.ShapeError, match=r"^Linear\(4, 2\)"):  # called alone: no path to add
        model[1].fc(cg.randn(2, 3))


@pytest.mark.parametrize("bad", [-1, 0, 2.5, "3", True])
def test_linear_rejects_bad_sizes(bad):
    with pytest.raises(cg.ConfigError, match=r"Linear\(.*\): in_features must be a positive integer, got "):
        nn.Linear(bad, 3)


def test_linear_rejects_bad_dtype_and_device():
    with pytest.raises(cg.DTypeError, match="float32 or float64"):
        nn.Linear(2, 3, dtype=cg.int64)
    with pytest.raises(ValueError, match="CPU"):
        nn.Linear(2, 3, device="cuda")
    assert nn.Linear(2, 3, device="cpu").weight.shape == (3, 2)


@pytest.mark.parametrize("shape, out, macs", [
    ((3,), (4,), 12),
    ((5, 3), (5, 4), 5 * 3 * 4),
    ((2, 7, 3), (2, 7, 4), 2 * 7 * 3 * 4),
    ((0, 3), (0, 4), 0),
])
def test_linear_static_arithmetic(shape, out, macs):
    layer = nn.Linear(3, 4)
    assert layer.output_shape(shape) == out
    assert layer.macs(shape) == macs
    assert layer(cg.zeros(*shape)).shape == out  # the arithmetic agrees with running it


def test_sequential_chains_static_arithmetic():
    model = nn.Sequential(nn.Flatten(), nn.Linear(12, 8), nn.Identity(), nn.Linear(8, 5), nn.Unflatten(1, (5, 1)))
    assert model.output_shape((6, 3, 4)) == (6, 5, 1)
    assert model.macs((6, 3, 4)) == 6 * 12 * 8 + 6 * 8 * 5
    assert model(cg.zeros(6, 3, 4)).shape == (6, 5, 1)
    with pytest.raises(cg.ShapeError, match="must end in 12 features"):
        model.output_shape((6, 3, 5))


def test_identity():
    x = cg.randn(2, 3)
    ident = nn.Identity(54, unused="args")
    assert ident(x) is x
    assert ident.output_shape((2, 3)) == (2, 3) and ident.macs((2, 3)) == 0
    assert repr(ident) == repr(torch.nn.Identity()) == "Identity()"


@pytest.mark.parametrize("start, end, shape", [
    (1, -1, (2, 3, 4, 5)), (0, -1, (2, 3, 4)), (1, 2, (2, 3, 4, 5)), (-2, -1, (2, 3, 4)), (2, 2, (2, 3, 4)),
])
def test_flatten_matches_torch(start, end, shape):
    x_np = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
    ours = nn.Flatten(start, end)
    ref = torch.nn.Flatten(start, end)
    y = ours(cg.tensor(x_np))
    assert y.shape == tuple(ref(torch.from_numpy(x_np)).shape) == ours.output_shape(shape)
    np.testing.assert_array_equal(y.data, ref(torch.from_numpy(x_np)).numpy())
    assert repr(ours) == repr(ref)


def test_flatten_errors():
    with pytest.raises(cg.ShapeError, match=r"start_dim \(2\) comes after end_dim \(1\)"):
        nn.Flatten(2, 1).output_shape((2, 3, 4))
    with pytest.raises(IndexError, match="out of range"):
        nn.Flatten(3).output_shape((2, 3))


@pytest.mark.parametrize("dim, sizes, shape, expected", [
    (1, (2, 5), (3, 10), (3, 2, 5)),
    (-1, (1, 28, 28), (4, 784), (4, 1, 28, 28)),
    (0, (2, -1), (6, 4), (2, 3, 4)),
    (1, [2, 2], (3, 4, 5), (3, 2, 2, 5)),
])
def test_unflatten_matches_torch(dim, sizes, shape, expected):
    x_np = np.random.default_rng(1).standard_normal(shape)
    ours, ref = nn.Unflatten(dim, sizes), torch.nn.Unflatten(dim, sizes)
    assert ours.output_shape(shape) == expected
    y = ours(cg.tensor(x_np))
    np.testing.assert_array_equal(y.data, ref(torch.from_numpy(x_np)).numpy())
    assert y.shape == expected
    if isinstance(sizes, tuple):
        assert repr(ours) == repr(ref)


def test_unflatten_errors():
    with pytest.raises(cg.ShapeError, match=r"dim 1 of input shape \(3, 10\) has size 10, which cannot be split into "
                                             r"\(3, 3\)"):
        nn.Unflatten(1, (3, 3)).output_shape((3, 10))
    with pytest.raises(cg.ShapeError, match="cannot be split"):
        nn.Unflatten(1, (3, -1)).output_shape((3, 10))
    with pytest.raises(ValueError, match="at most one -1"):
        nn.Unflatten(1, (-1, -1))


def test_linear_repr_matches_torch():
    assert repr(nn.Linear(3, 4)) == repr(torch.nn.Linear(3, 4)) == "Linear(in_features=3, out_features=4, bias=True)"
    assert repr(nn.Linear(3, 4, bias=False)) == repr(torch.nn.Linear(3, 4, bias=False))
