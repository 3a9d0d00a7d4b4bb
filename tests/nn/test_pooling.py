"""Pooling (max/avg, unpool, adaptive): values, indices and gradients against PyTorch (float32 and
float64), gradcheck and double backward, layer arithmetic and error messages."""

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import chalkgrad as cg
import chalkgrad.nn.functional as F
from chalkgrad import nn
from chalkgrad.autograd import gradcheck
from chalkgrad.errors import ConfigError, DTypeError, IndexOutOfRangeError, ShapeError
from helpers import DTYPES, assert_close, examples, to_torch

TF = torch.nn.functional

CASES = [
    # (function name, input shape, args, kwargs)
    ("max_pool2d", (2, 3, 8, 8), (2,), {}),
    ("max_pool2d", (2, 3, 9, 7), (3, 2, 1), dict(ceil_mode=True)),
    ("max_pool2d", (2, 3, 9, 7), ((3, 2), (2, 1), (1, 0)), dict(dilation=(2, 1))),
    ("max_pool2d", (1, 2, 10, 9), (2, 3), {}),  # stride > kernel
    ("max_pool2d", (1, 2, 6, 6), (3, 1, 1), {}),  # overlapping windows
    ("max_pool2d", (3, 9, 7), (3, 2, 1), dict(ceil_mode=True)),  # unbatched
    ("max_pool2d", (1, 1, 5, 5), (2, 2), dict(ceil_mode=True)),  # last window half outside
    ("max_pool1d", (2, 3, 9), (3, 2, 1), dict(ceil_mode=True)),
    ("max_pool1d", (3, 10), (2,), dict(dilation=3)),
    ("avg_pool2d", (2, 3, 8, 8), (2,), {}),
    ("avg_pool2d", (2, 3, 9, 7), (3, 2, 1), dict(ceil_mode=True)),
    ("avg_pool2d", (2, 3, 9, 7), (3, 2, 1), dict(ceil_mode=True, count_include_pad=False)),
    ("avg_pool2d", (2, 3, 9, 7), ((3, 2), (2, 3), (1, 1)), dict(ceil_mode=True, divisor_override=5)),
    ("avg_pool2d", (3, 6, 5), (3, 3, 1), dict(count_include_pad=False)),
    ("avg_pool1d", (2, 3, 10), (4, 3, 2), dict(ceil_mode=True, count_include_pad=False)),
    ("avg_pool1d", (2, 3, 10), (3,), {}),
    ("adaptive_avg_pool2d", (2, 3, 9, 7), ((4, 3),), {}),
    ("adaptive_avg_pool2d", (2, 3, 8, 6), ((4, 3),), {}),  # divisible: reshape path
    ("adaptive_avg_pool2d", (2, 3, 8, 6), (1,), {}),  # global average pooling
    ("adaptive_avg_pool2d", (2, 3, 5, 6), ((7, None),), {}),  # output larger than input, None keeps W
    ("adaptive_avg_pool1d", (2, 3, 7), (3,), {}),
    ("adaptive_max_pool2d", (2, 3, 9, 7), ((4, 3),), {}),
    ("adaptive_max_pool2d", (3, 5, 5), (1,), {}),
    ("adaptive_max_pool1d", (2, 3, 9), (4,), {}),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, shape, args, kwargs", CASES)
def test_pool_matches_torch(name, shape, args, kwargs, dtype):
    rng = np.random.default_rng(sum(shape))
    x_np = rng.standard_normal(shape).astype(dtype)
    x, xt = cg.tensor(x_np, requires_grad=True), to_torch(x_np, requires_grad=True)
    y, yt = getattr(F, name)(x, *args, **kwargs), getattr(TF, name)(xt, *args, **kwargs)
    assert y.dtype == np.dtype(dtype)
    assert_close(y, yt, dtype, what="forward")
    g = rng.standard_normal(y.shape).astype(dtype)
    y.backward(cg.tensor(g))
    yt.backward(torch.from_numpy(g))
    assert_close(x.grad, xt.grad, dtype, what="grad")
    if "max" in name:
        _, idx = getattr(F, name)(x, *args, return_indices=True, **kwargs)
        _, idxt = getattr(TF, name)(xt, *args, return_indices=True, **kwargs)
        assert idx.dtype == np.int64
        np.testing.assert_array_equal(idx.numpy(), idxt.numpy())


def test_max_pool_ties_go_to_the_first_position_and_indices_without_grad():
    x = cg.ones(1, 1, 4, 4)
    y, idx = F.max_pool2d(x, 2, return_indices=True)
    yt, idxt = TF.max_pool2d(torch.ones(1, 1, 4, 4), 2, return_indices=True)
    np.testing.assert_array_equal(idx.numpy(), idxt.numpy())
    xg = cg.ones(1, 1, 4, 4, requires_grad=True)
    F.max_pool2d(xg, 2).sum().backward()
    xt = torch.ones(1, 1, 4, 4, requires_grad=True)
    TF.max_pool2d(xt, 2).sum().backward()
    assert_close(xg.grad, xt.grad, "float32")


@pytest.mark.parametrize("name, args, kwargs", [
    ("max_pool2d", (3, 2, 1), dict(ceil_mode=True)),
    ("max_pool2d", (2, 1), dict(dilation=2)),
    ("avg_pool2d", (3, 2, 1), dict(ceil_mode=True, count_include_pad=False)),
    ("adaptive_avg_pool2d", ((3, 2),), {}),
    ("adaptive_max_pool2d", ((3, 2),), {}),
    ("max_pool1d", (2,), {}),
])
def test_gradcheck_and_double_backward(name, args, kwargs):
    rng = np.random.default_rng(9)
    x_np = rng.permutation(60).reshape(1, 2, 5, 6) / 7.0  # distinct values: max is differentiable
    if name.endswith("1d"):
        x_np = x_np.reshape(2, 3, 10)
    x = cg.tensor(x_np, requires_grad=True)
    fn = getattr(F, name)
    assert gradcheck(lambda t: fn(t, *args, **kwargs), (x,))
    # second order: d/dx Σ (∂(Σ y²·v)/∂x)², against torch
    xt = to_torch(x_np, requires_grad=True)
    y, yt = fn(x, *args, **kwargs), getattr(TF, name)(xt, *args, **kwargs)
    v = rng.standard_normal(y.shape)
    (gx,) = cg.autograd.grad((y * y * cg.tensor(v)).sum(), [x], create_graph=True)
    (gxt,) = torch.autograd.grad((yt * yt * torch.from_numpy(v)).sum(), [xt], create_graph=True)
    assert_close(gx, gxt, "float64")
    (gx * gx).sum().backward()
    (gxt * gxt).sum().backward()
    assert_close(x.grad, xt.grad, "float64", scale=10)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, k, s, p, size", [
    ((2, 3, 8, 7), 2, None, 0, (8, 7)),
    ((2, 3, 8, 8), 3, 2, 1, (8, 8)),
    ((2, 3, 7, 7), 3, 2, 1, None),
    ((3, 9, 9), 3, 3, 0, None),
])
def test_max_unpool2d_matches_torch(shape, k, s, p, size, dtype):
    x_np = np.random.default_rng(10).standard_normal(shape).astype(dtype)
    y, idx = F.max_pool2d(cg.tensor(x_np), k, s, p, return_indices=True)
    yt, idxt = TF.max_pool2d(to_torch(x_np), k, s, p, return_indices=True)
    yg, ytg = cg.tensor(y.numpy(), requires_grad=True), yt.clone().requires_grad_()
    u, ut = F.max_unpool2d(yg, idx, k, s, p, output_size=size), TF.max_unpool2d(ytg, idxt, k, s, p, output_size=size)
    assert_close(u, ut, dtype)
    g = np.random.default_rng(11).standard_normal(u.shape).astype(dtype)
    u.backward(cg.tensor(g))
    ut.backward(torch.from_numpy(g))
    assert_close(yg.grad, ytg.grad, dtype)
    layer = nn.MaxUnpool2d(k, s, p)
    assert repr(layer) == repr(torch.nn.MaxUnpool2d(k, s, p))
    assert layer.output_shape(tuple(y.shape), output_size=size) == tuple(ut.shape)
    assert_close(layer(cg.tensor(y.numpy()), idx, output_size=size), ut, dtype)


def test_max_unpool1d_and_segnet_style_roundtrip():
    x = cg.tensor(np.random.default_rng(12).standard_normal((2, 3, 9)))
    pool, unpool = nn.MaxPool1d(2, return_indices=True), nn.MaxUnpool1d(2)
    y, idx = pool(x)
    u = unpool(y, idx, output_size=x.shape)
    ut = TF.max_unpool1d(*TF.max_pool1d(to_torch(x), 2, return_indices=True), 2, output_size=(9,))
    assert_close(u, ut, "float64")
    assert u.shape == (2, 3, 9) and unpool.output_shape((2, 3, 4)) == (2, 3, 8)
    assert unpool.receptive_field() == {"kernel": (2,), "stride": (2,), "padding": (0,), "dilation": (1,),
                                        "transposed": True}


def test_unpool_errors():
    y, idx = F.max_pool2d(cg.randn(1, 1, 4, 4), 2, return_indices=True)
    with pytest.raises(ShapeError, match=r"max_unpool2d: indices of shape \(1, 1, 1, 2\) must have the input's shape"):
        F.max_unpool2d(y, idx[:, :, :1], 2)
    with pytest.raises(IndexOutOfRangeError, match=r"MaxUnpool2d\(kernel_size=\(2, 2\), stride=\(2, 2\), "
                                                   r"padding=\(0, 0\)\): indices must lie in \[0, 16\)"):
        nn.MaxUnpool2d(2)(y, cg.tensor(np.full((1, 1, 2, 2), 17)))
    with pytest.raises(ShapeError, match=r"output_size \(9, 9\) for input of shape \(1, 1, 2, 2\) must lie strictly"):
        F.max_unpool2d(y, idx, 2, output_size=(9, 9))
    with pytest.raises(DTypeError, match="indices must be integers"):
        F.max_unpool2d(y, cg.zeros(1, 1, 2, 2), 2)


# ----------------------------------------------------------------------------- layers
LAYERS = [
    (nn.MaxPool2d(2), torch.nn.MaxPool2d(2), (2, 3, 9, 8)),
    (nn.MaxPool2d(3, 2, 1, ceil_mode=True), torch.nn.MaxPool2d(3, 2, 1, ceil_mode=True), (2, 3, 10, 9)),
    (nn.MaxPool2d((2, 3), (1, 2), dilation=2), torch.nn.MaxPool2d((2, 3), (1, 2), dilation=2), (3, 9, 8)),
    (nn.MaxPool1d(3, 2), torch.nn.MaxPool1d(3, 2), (2, 3, 10)),
    (nn.AvgPool2d(2), torch.nn.AvgPool2d(2), (2, 3, 9, 8)),
    (nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False),
     torch.nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False), (2, 3, 10, 9)),
    (nn.AvgPool2d(2, divisor_override=3), torch.nn.AvgPool2d(2, divisor_override=3), (1, 2, 4, 4)),
    (nn.AvgPool1d(3, 2, 1), torch.nn.AvgPool1d(3, 2, 1), (2, 3, 10)),
    (nn.AdaptiveAvgPool2d((3, None)), torch.nn.AdaptiveAvgPool2d((3, None)), (2, 3, 10, 9)),
    (nn.AdaptiveAvgPool2d(1), torch.nn.AdaptiveAvgPool2d(1), (2, 3, 10, 9)),
    (nn.AdaptiveAvgPool1d(4), torch.nn.AdaptiveAvgPool1d(4), (2, 3, 10)),
    (nn.AdaptiveMaxPool2d((2, 3)), torch.nn.AdaptiveMaxPool2d((2, 3)), (3, 10, 9)),
    (nn.AdaptiveMaxPool1d(3), torch.nn.AdaptiveMaxPool1d(3), (2, 3, 10)),
]


@pytest.mark.parametrize("layer, ref, shape", LAYERS)
def test_layers_match_torch(layer, ref, shape):
    assert repr(layer) == repr(ref)
    x_np = np.random.default_rng(13).standard_normal(shape).astype(np.float32)
    y, yt = layer(cg.tensor(x_np)), ref(to_torch(x_np))
    assert_close(y, yt, "float32")
    assert layer.output_shape(shape) == tuple(yt.shape)
    assert layer.macs(shape) == 0
    assert layer.count_parameters() == 0


def test_receptive_fields():
    assert nn.MaxPool2d(3, 2, 1, dilation=2).receptive_field() == \
        {"kernel": (3, 3), "stride": (2, 2), "padding": (1, 1), "dilation": (2, 2)}
    assert nn.MaxPool2d(2).receptive_field() == {"kernel": (2, 2), "stride": (2, 2), "padding": (0, 0),
                                                 "dilation": (1, 1)}
    assert nn.AvgPool1d(4, 2, 1).receptive_field() == {"kernel": (4,), "stride": (2,), "padding": (1,),
                                                       "dilation": (1,)}
    assert nn.AdaptiveAvgPool2d(1).receptive_field() == "global"
    assert nn.AdaptiveMaxPool2d((2, 2)).receptive_field() == "global"


def test_return_indices_layer():
    y, idx = nn.MaxPool2d(2, return_indices=True)(cg.randn(1, 2, 4, 4))
    assert y.shape == idx.shape == (1, 2, 2, 2)
    y, idx = nn.AdaptiveMaxPool2d(2, return_indices=True)(cg.randn(1, 2, 5, 5))
    assert idx.shape == (1, 2, 2, 2) and idx.dtype == np.int64


def test_pool_errors():
    with pytest.raises(ShapeError, match=r"MaxPool2d\(kernel_size=5, stride=5, padding=0, dilation=1, "
                                         r"ceil_mode=False\): input of shape \(1, 2, 3, 3\) padded to 3x3 is smaller "
                                         r"than the kernel 5x5"):
        nn.MaxPool2d(5).output_shape((1, 2, 3, 3))
    with pytest.raises(ShapeError, match=r"\[Sequential layer '0'\] MaxPool2d\(kernel_size=5.*smaller than the "
                                         r"kernel 5x5"):
        nn.Sequential(nn.MaxPool2d(5))(cg.zeros(1, 2, 3, 3))
    with pytest.raises(ShapeError, match=r"max_pool2d: input of shape \(1, 1, 4, 4\) padded to 4x4 is smaller"):
        F.max_pool2d(cg.zeros(1, 1, 4, 4), 3, dilation=2)
    with pytest.raises(ConfigError, match=r"MaxPool2d\(kernel_size=3, stride=3, padding=2, dilation=1, "
                                          r"ceil_mode=False\): padding \(2, 2\) should be at most half of the "
                                          r"kernel size \(3, 3\)"):
        nn.MaxPool2d(3, padding=2)
    with pytest.raises(ConfigError, match=r"avg_pool2d: padding \(2, 1\) should be at most half"):
        F.avg_pool2d(cg.zeros(1, 1, 8, 8), 2, padding=(2, 1))
    with pytest.raises(ConfigError, match=r"AvgPool2d\(kernel_size=2, stride=0, padding=0\): stride must be positive, "
                                          r"got 0"):
        nn.AvgPool2d(2, stride=0)
    with pytest.raises(ConfigError, match=r"max_pool1d: stride must be positive, got -1"):
        F.max_pool1d(cg.zeros(1, 1, 8), 2, stride=-1)
    with pytest.raises(ShapeError, match=r"AvgPool2d\(kernel_size=2, stride=2, padding=0\): expected a 3-D \(unbatched "
                                         r"\(C, H, W\)\) or 4-D .* got shape \(2, 3\)"):
        nn.AvgPool2d(2)(cg.zeros(2, 3))
    with pytest.raises(ShapeError, match=r"AdaptiveAvgPool2d\(output_size=2\): expected .* got shape \(5,\)"):
        nn.AdaptiveAvgPool2d(2).output_shape((5,))
    with pytest.raises(ConfigError, match=r"AdaptiveMaxPool2d\(output_size=0\): output_size must hold positive"):
        nn.AdaptiveMaxPool2d(0)
    with pytest.raises(DTypeError, match=r"max_pool2d: expected a floating-point input, got dtype int64"):
        F.max_pool2d(cg.tensor(np.zeros((1, 1, 4, 4), dtype=np.int64)), 2)


@given(length=st.integers(1, 12), k=st.integers(1, 4), s=st.integers(1, 4), p=st.integers(0, 2),
       d=st.integers(1, 2), ceil=st.booleans())
@examples(40)
def test_max_pool_output_size_rule_agrees_with_torch(length, k, s, p, d, ceil):
    kwargs = dict(kernel_size=k, stride=s, padding=p, dilation=d, ceil_mode=ceil)
    try:
        expected = tuple(torch.nn.MaxPool2d(**kwargs)(torch.zeros(1, 1, length, length + 1)).shape)
    except RuntimeError:
        with pytest.raises((ShapeError, ConfigError)):
            nn.MaxPool2d(**kwargs).output_shape((1, 1, length, length + 1))
        return
    layer = nn.MaxPool2d(**kwargs)
    assert layer.output_shape((1, 1, length, length + 1)) == expected
    x_np = np.random.default_rng(length).standard_normal((1, 1, length, length + 1))
    assert_close(layer(cg.tensor(x_np)), TF.max_pool2d(torch.from_numpy(x_np), **kwargs), "float64")
    if d == 1:
        avg = dict(kernel_size=k, stride=s, padding=p, ceil_mode=ceil)
        assert_close(F.avg_pool2d(cg.tensor(x_np), **avg), TF.avg_pool2d(torch.from_numpy(x_np), **avg), "float64")


def test_nan_is_the_maximum_of_its_window():
    x_np = np.arange(16.0).reshape(1, 1, 4, 4)
    x_np[0, 0, 1, 1] = np.nan
    x, xt = cg.tensor(x_np, requires_grad=True), to_torch(x_np, requires_grad=True)
    y, idx = F.max_pool2d(x, 2, return_indices=True)
    yt, idxt = TF.max_pool2d(xt, 2, return_indices=True)
    assert_close(y, yt, "float64")
    np.testing.assert_array_equal(idx.numpy(), idxt.numpy())
    y.sum().backward()
    TF.max_pool2d(xt, 2).sum().backward()
    assert_close(x.grad, xt.grad, "float64")


@pytest.mark.parametrize("kwargs", [dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
                                    dict(kernel_size=2, padding=1)])
def test_all_minus_inf_windows_never_pick_padding(kwargs):
    x_np = np.full((1, 1, 4, 5), -np.inf)
    x_np[0, 0, 2, 3] = 1.0
    x, xt = cg.tensor(x_np, requires_grad=True), to_torch(x_np, requires_grad=True)
    y, idx = F.max_pool2d(x, return_indices=True, **kwargs)
    yt, idxt = TF.max_pool2d(xt, return_indices=True, **kwargs)
    np.testing.assert_array_equal(idx.numpy(), idxt.numpy())
    y.sum().backward()
    yt.sum().backward()
    assert_close(x.grad, xt.grad, "float64")


def test_empty_batch():
    assert F.max_pool2d(cg.zeros(0, 3, 4, 4), 2).shape == (0, 3, 2, 2)
    assert F.avg_pool2d(cg.zeros(0, 3, 4, 4), 2).shape == (0, 3, 2, 2)
    assert nn.MaxPool2d(2).output_shape((0, 3, 4, 4)) == (0, 3, 2, 2)


@given(h=st.integers(1, 9), w=st.integers(1, 9), oh=st.integers(1, 6), ow=st.integers(1, 6))
@examples(20)
def test_adaptive_pools_agree_with_torch(h, w, oh, ow):
    x_np = np.random.default_rng(h * 10 + w).standard_normal((1, 2, h, w))
    x, xt = cg.tensor(x_np, requires_grad=True), to_torch(x_np, requires_grad=True)
    assert_close(F.adaptive_avg_pool2d(x, (oh, ow)), TF.adaptive_avg_pool2d(xt, (oh, ow)), "float64")
    y, idx = F.adaptive_max_pool2d(x, (oh, ow), return_indices=True)
    yt, idxt = TF.adaptive_max_pool2d(xt, (oh, ow), return_indices=True)
    assert_close(y, yt, "float64")
    np.testing.assert_array_equal(idx.numpy(), idxt.numpy())
    assert nn.AdaptiveMaxPool2d((oh, ow)).output_shape((1, 2, h, w)) == tuple(yt.shape)
