"""Convolutions (conv1d/2d, transposed, unfold/fold, pixel shuffle): values and every gradient against
PyTorch, gradcheck and double backward in float64, layer arithmetic (output_shape, macs, receptive
field), init, state_dict interchange with torch, and error messages."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import chalkgrad as cg
import chalkgrad.nn.functional as F
from chalkgrad import nn
from chalkgrad.autograd import gradcheck
from chalkgrad.errors import ConfigError, DTypeError, ShapeError
from helpers import DTYPES, assert_close, examples, to_torch

TF = torch.nn.functional
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")

# (input shape, weight shape, kwargs): odd sizes, stride > kernel, dilation, groups, padding, 'same'.
CONV2D_CASES = [
    ((2, 3, 7, 6), (4, 3, 3, 2), {}),
    ((1, 2, 5, 5), (3, 2, 1, 1), {}),
    ((2, 4, 9, 8), (6, 2, 3, 3), dict(stride=2, padding=1, groups=2, dilation=(2, 1))),
    ((2, 4, 11, 9), (4, 1, 3, 3), dict(stride=(3, 2), padding=(2, 0), groups=4)),  # depthwise
    ((2, 4, 11, 9), (8, 1, 3, 3), dict(padding=1, groups=4)),  # depthwise multiplier 2
    ((1, 3, 10, 10), (2, 3, 2, 2), dict(stride=4)),  # stride > kernel
    ((2, 3, 8, 7), (5, 3, 3, 3), dict(padding="same")),
    ((2, 3, 8, 7), (5, 3, 2, 4), dict(padding="same", dilation=2)),  # even kernel: extra pad after
    ((2, 3, 8, 7), (5, 3, 3, 3), dict(padding="valid", stride=2)),
    ((3, 6, 5), (2, 3, 3, 3), dict(padding=1)),  # unbatched
    ((2, 32, 6, 5), (33, 32, 3, 2), dict(padding=(2, 1), dilation=(2, 1))),  # many channels: full-correlation dx
    ((1, 40, 5, 5), (32, 40, 3, 3), dict(padding=(3, 1), dilation=(1, 2))),  # pad > d(k-1): tap-by-tap dx
]
CONV1D_CASES = [
    ((2, 4, 9), (5, 4, 3), dict(stride=2, padding=1)),
    ((2, 4, 10), (4, 2, 2), dict(groups=2, dilation=3, padding=2)),
    ((3, 11), (2, 3, 4), dict(padding="same")),
]
CONVT2D_CASES = [
    ((2, 4, 5, 6), (4, 3, 3, 3), dict(stride=2, padding=1, output_padding=1)),
    ((2, 4, 5, 6), (4, 3, 3, 2), dict(stride=(2, 3), padding=(0, 1), output_padding=(1, 2), groups=2,
                                      dilation=(1, 2))),
    ((2, 4, 5, 6), (4, 3, 3, 2), dict(output_padding=1, dilation=2)),  # output_padding < dilation
    ((1, 2, 3, 4), (2, 2, 2, 2), dict(stride=3)),  # stride > kernel leaves gaps
    ((4, 3, 3), (4, 2, 3, 3), dict(stride=2)),  # unbatched
    ((1, 32, 4, 5), (32, 33, 3, 3), dict(padding=1)),  # many channels, stride 1
    ((1, 32, 4, 5), (32, 33, 3, 3), dict(dilation=2, output_padding=1)),
]
CONVT1D_CASES = [
    ((2, 4, 5), (4, 3, 3), dict(stride=3, padding=1, output_padding=2)),
    ((2, 4, 5), (4, 1, 2), dict(groups=2, dilation=2)),
]


def _compare(fn, tfn, x_shape, w_shape, kwargs, dtype, transposed=False, bias=True):
    rng = np.random.default_rng(len(x_shape) * 7 + sum(w_shape))
    groups = kwargs.get("groups", 1)
    out_ch = w_shape[1] * groups if transposed else w_shape[0]
    arrays = [rng.standard_normal(s).astype(dtype) for s in (x_shape, w_shape, (out_ch,))]
    if not bias:
        arrays = arrays[:2]
    ours = [cg.tensor(a, requires_grad=True) for a in arrays]
    theirs = [to_torch(a, requires_grad=True) for a in arrays]
    y = fn(*ours, **kwargs)
    yt = tfn(*theirs, **kwargs)
    assert y.dtype == np.dtype(dtype)
    assert_close(y, yt, dtype, scale=10, what="forward")
    g = rng.standard_normal(y.shape).astype(dtype)
    y.backward(cg.tensor(g))
    yt.backward(torch.from_numpy(g))
    for name, a, b in zip(("input", "weight", "bias"), ours, theirs):
        assert_close(a.grad, b.grad, dtype, scale=10, what=f"grad {name}")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("x_shape, w_shape, kwargs", CONV2D_CASES)
def test_conv2d_matches_torch(x_shape, w_shape, kwargs, dtype):
    _compare(F.conv2d, TF.conv2d, x_shape, w_shape, kwargs, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("x_shape, w_shape, kwargs", CONV1D_CASES)
def test_conv1d_matches_torch(x_shape, w_shape, kwargs, dtype):
    _compare(F.conv1d, TF.conv1d, x_shape, w_shape, kwargs, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("x_shape, w_shape, kwargs", CONVT2D_CASES)
def test_conv_transpose2d_matches_torch(x_shape, w_shape, kwargs, dtype):
    _compare(F.conv_transpose2d, TF.conv_transpose2d, x_shape, w_shape, kwargs, dtype, transposed=True)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("x_shape, w_shape, kwargs", CONVT1D_CASES)
def test_conv_transpose1d_matches_torch(x_shape, w_shape, kwargs, dtype):
    _compare(F.conv_transpose1d, TF.conv_transpose1d, x_shape, w_shape, kwargs, dtype, transposed=True)


def test_conv_without_bias_and_input_without_grad():
    _compare(F.conv2d, TF.conv2d, (2, 3, 6, 5), (4, 3, 3, 3), dict(padding=1), "float64", bias=False)
    x = cg.randn(1, 2, 5, 5)
    w = cg.randn(3, 2, 3, 3, requires_grad=True)
    F.conv2d(x, w).sum().backward()
    assert x.grad is None and w.grad.shape == (3, 2, 3, 3)


@pytest.mark.parametrize("fn, x_shape, w_shape, kwargs", [
    (F.conv2d, (2, 4, 5, 6), (4, 2, 3, 2), dict(stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2)),
    (F.conv1d, (1, 2, 7), (3, 2, 3), dict(stride=2, padding=1)),
    (F.conv_transpose2d, (1, 2, 3, 3), (2, 3, 3, 2), dict(stride=2, padding=1, output_padding=1)),
])
def test_gradcheck_float64(fn, x_shape, w_shape, kwargs):
    rng = np.random.default_rng(1)
    out_ch = w_shape[1] * kwargs.get("groups", 1) if fn is F.conv_transpose2d else w_shape[0]
    x, w, b = (cg.tensor(rng.standard_normal(s), requires_grad=True) for s in (x_shape, w_shape, (out_ch,)))
    assert gradcheck(lambda x, w, b: fn(x, w, b, **kwargs), (x, w, b))


@pytest.mark.parametrize("fn, tfn, w_shape, kwargs", [
    (F.conv2d, TF.conv2d, (3, 2, 3, 2), dict(stride=2, padding=1, dilation=(1, 2))),
    (F.conv2d, TF.conv2d, (4, 1, 3, 3), dict(padding=1, groups=2)),
    (F.conv_transpose2d, TF.conv_transpose2d, (2, 3, 3, 3), dict(stride=2, padding=1, output_padding=1)),
])
def test_double_backward_matches_torch(fn, tfn, w_shape, kwargs):
    """d/d(x, w, b) of Σ(∂L/∂x)² + Σ(∂L/∂w)², with L = Σ y·v: second derivatives of the convolution."""
    rng = np.random.default_rng(2)
    transposed = fn is F.conv_transpose2d
    out_ch = w_shape[1] if transposed else w_shape[0]
    arrays = [rng.standard_normal(s) for s in ((2, 2, 5, 6), w_shape, (out_ch,))]
    ours = [cg.tensor(a, requires_grad=True) for a in arrays]
    theirs = [to_torch(a, requires_grad=True) for a in arrays]
    y, yt = fn(*ours, **kwargs), tfn(*theirs, **kwargs)
    v = rng.standard_normal(y.shape)
    gx, gw = cg.autograd.grad((y * cg.tensor(v) * y).sum(), ours[:2], create_graph=True)
    gxt, gwt = torch.autograd.grad((yt * torch.from_numpy(v) * yt).sum(), theirs[:2], create_graph=True)
    assert_close(gx, gxt, "float64", scale=100)
    ((gx * gx).sum() + (gw * gw).sum()).backward()
    ((gxt * gxt).sum() + (gwt * gwt).sum()).backward()
    for a, b in zip(ours, theirs):
        assert_close(a.grad, b.grad, "float64", scale=1000, what="second-order grad")


def test_double_backward_gradcheck_of_gradient():
    rng = np.random.default_rng(3)
    w = cg.tensor(rng.standard_normal((2, 2, 2, 2)), requires_grad=True)
    v = cg.tensor(rng.standard_normal((1, 2, 4, 2)))

    def grad_of(x, w):
        with cg.enable_grad():  # gradcheck evaluates fn under no_grad for the finite differences
            x = x if x.requires_grad else x.detach().requires_grad_()
            y = F.conv2d(x, w, stride=(1, 2), padding=1)
            (gx,) = cg.autograd.grad((y * v).sum() + (y * y).sum(), [x], create_graph=True)
        return gx

    x = cg.tensor(rng.standard_normal((1, 2, 3, 3)), requires_grad=True)
    assert gradcheck(grad_of, (x, w))


# ----------------------------------------------------------------------------- layers
def _torch_twin(layer, tcls, **kwargs):
    t = tcls(**kwargs, dtype=torch.float64 if layer.weight.dtype == np.float64 else torch.float32)
    t.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in layer.state_dict().items()})
    return t


LAYERS = [
    (nn.Conv2d, torch.nn.Conv2d, dict(in_channels=3, out_channels=4, kernel_size=3), (2, 3, 7, 8)),
    (nn.Conv2d, torch.nn.Conv2d, dict(in_channels=4, out_channels=4, kernel_size=(3, 2), stride=2, padding=(1, 0),
                                      groups=4, bias=False), (2, 4, 7, 8)),
    (nn.Conv2d, torch.nn.Conv2d, dict(in_channels=2, out_channels=3, kernel_size=3, padding="same",
                                      padding_mode="reflect"), (2, 2, 5, 6)),
    (nn.Conv2d, torch.nn.Conv2d, dict(in_channels=2, out_channels=3, kernel_size=3, padding=2, dilation=2,
                                      padding_mode="circular"), (2, 2, 5, 6)),
    (nn.Conv2d, torch.nn.Conv2d, dict(in_channels=2, out_channels=3, kernel_size=3, padding=1,
                                      padding_mode="replicate"), (2, 5, 6)),
    (nn.Conv1d, torch.nn.Conv1d, dict(in_channels=2, out_channels=3, kernel_size=4, stride=2, padding=1), (2, 2, 9)),
    (nn.Conv1d, torch.nn.Conv1d, dict(in_channels=2, out_channels=3, kernel_size=3, padding=1,
                                      padding_mode="reflect"), (2, 9)),
    (nn.ConvTranspose2d, torch.nn.ConvTranspose2d, dict(in_channels=3, out_channels=2, kernel_size=3, stride=2,
                                                        padding=1, output_padding=1), (2, 3, 4, 5)),
    (nn.ConvTranspose2d, torch.nn.ConvTranspose2d, dict(in_channels=4, out_channels=2, kernel_size=(2, 3),
                                                        groups=2, dilation=2, bias=False), (4, 4, 5)),
    (nn.ConvTranspose1d, torch.nn.ConvTranspose1d, dict(in_channels=3, out_channels=2, kernel_size=3, stride=2),
     (2, 3, 5)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cls, tcls, kwargs, in_shape", LAYERS)
def test_layer_matches_torch(cls, tcls, kwargs, in_shape, dtype):
    layer = cls(**kwargs, dtype=dtype)
    ref = _torch_twin(layer, tcls, **kwargs)
    assert repr(layer) == repr(ref)
    assert [(n, tuple(p.shape)) for n, p in layer.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in ref.named_parameters()]
    x_np = np.random.default_rng(4).standard_normal(in_shape).astype(dtype)
    x, xt = cg.tensor(x_np, requires_grad=True), to_torch(x_np, requires_grad=True)
    y, yt = layer(x), ref(xt)
    assert y.shape == tuple(yt.shape) == layer.output_shape(in_shape)
    name = np.dtype(dtype).name
    assert_close(y, yt, name, scale=10)
    y.sum().backward()
    yt.sum().backward()
    assert_close(x.grad, xt.grad, name, scale=10)
    assert_close(layer.weight.grad, ref.weight.grad, name, scale=10)


def test_conv_transpose_output_size_argument():
    layer = nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1, dtype=np.float64)
    ref = _torch_twin(layer, torch.nn.ConvTranspose2d, in_channels=2, out_channels=3, kernel_size=3, stride=2,
                      padding=1)
    x = np.random.default_rng(5).standard_normal((1, 2, 4, 4))
    for size in [(7, 7), (8, 7), (1, 3, 8, 8)]:
        y = layer(cg.tensor(x), output_size=size)
        yt = ref(torch.from_numpy(x), output_size=list(size))
        assert_close(y, yt, "float64")
        assert layer.output_shape((1, 2, 4, 4), output_size=size) == tuple(yt.shape)
    with pytest.raises(ShapeError, match=r"ConvTranspose2d\(2, 3, kernel_size=\(3, 3\)\): requested output_size"):
        layer(cg.tensor(x), output_size=(9, 9))


def test_init_matches_torch_bounds():
    cg.manual_seed(0)
    layer = nn.Conv2d(8, 16, (3, 5), groups=2)
    bound = 1 / math.sqrt(4 * 15)  # fan_in = in/groups · kh · kw
    assert layer.weight.shape == (16, 4, 3, 5) and layer.bias.shape == (16,)
    assert np.abs(layer.bias.data).max() <= bound
    assert 0.9 * bound < np.abs(layer.weight.data).max() <= bound
    std = layer.weight.data.std()
    assert abs(std - bound / math.sqrt(3)) < 0.1 * bound
    t = nn.ConvTranspose2d(6, 4, 3, groups=2)  # weight (in, out/groups, k, k): fan_in = 2·9
    assert t.weight.shape == (6, 2, 3, 3)
    assert np.abs(t.bias.data).max() <= 1 / math.sqrt(18)
    g1, g2 = cg.Generator().manual_seed(3), cg.Generator().manual_seed(3)
    assert np.array_equal(nn.Conv1d(2, 3, 3, generator=g1).weight.data, nn.Conv1d(2, 3, 3, generator=g2).weight.data)
    assert nn.Conv2d(2, 3, 3, dtype=cg.float64).weight.dtype == np.float64


@pytest.mark.parametrize("layer, in_shape, out_shape, macs", [
    (nn.Conv2d(3, 16, 5), (1, 3, 32, 32), (1, 16, 28, 28), 16 * 28 * 28 * 3 * 25),
    (nn.Conv2d(3, 16, 5), (3, 32, 32), (16, 28, 28), 16 * 28 * 28 * 3 * 25),
    (nn.Conv2d(8, 8, 3, padding=1, groups=8), (2, 8, 10, 10), (2, 8, 10, 10), 2 * 8 * 100 * 1 * 9),
    (nn.Conv2d(4, 6, 3, stride=2, padding=1, dilation=2), (1, 4, 9, 9), (1, 6, 4, 4), 6 * 16 * 4 * 9),
    (nn.Conv1d(4, 6, 3, padding="same"), (2, 4, 10), (2, 6, 10), 2 * 6 * 10 * 4 * 3),
    (nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1), (2, 4, 5, 5), (2, 6, 10, 10),
     2 * 4 * 25 * 6 * 9),
    (nn.ConvTranspose1d(4, 6, 2, stride=2, groups=2), (1, 4, 5), (1, 6, 10), 4 * 5 * 3 * 2),
])
def test_output_shape_and_macs(layer, in_shape, out_shape, macs):
    assert layer.output_shape(in_shape) == out_shape
    assert layer.macs(in_shape) == macs
    assert layer(cg.zeros(*in_shape)).shape == out_shape


def test_receptive_field():
    assert nn.Conv2d(3, 4, 5, stride=2, padding=1, dilation=(1, 2)).receptive_field() == \
        {"kernel": (5, 5), "stride": (2, 2), "padding": (1, 1), "dilation": (1, 2)}
    assert nn.Conv1d(3, 4, 4, padding="same").receptive_field() == \
        {"kernel": (4,), "stride": (1,), "padding": (1,), "dilation": (1,)}
    rf = nn.ConvTranspose2d(3, 4, 4, stride=2, padding=1).receptive_field()
    assert rf["transposed"] is True and rf["stride"] == (2, 2) and rf["kernel"] == (4, 4)


# ----------------------------------------------------------------------------- errors
def _raises(exc, pattern, fn):
    with pytest.raises(exc, match=pattern):
        fn()


def test_errors_name_the_layer_shape_and_rule():
    conv = nn.Conv2d(3, 16, 5)
    label = r"Conv2d\(3, 16, kernel_size=\(5, 5\)\)"
    small = cg.zeros(1, 3, 4, 4)
    for fn in (lambda: conv(small), lambda: conv.output_shape((1, 3, 4, 4)), lambda: conv.macs((1, 3, 4, 4))):
        _raises(ShapeError, label + r": input of shape \(1, 3, 4, 4\) padded to 4x4 is smaller than the kernel 5x5",
                fn)
    _raises(ShapeError, label + r": input of shape \(1, 4, 8, 8\) has 4 channels, expected 3",
            lambda: conv(cg.zeros(1, 4, 8, 8)))
    _raises(ShapeError, label + r": expected a 3-D .* or 4-D .* input, got shape \(3, 8\)",
            lambda: conv.output_shape((3, 8)))
    _raises(ShapeError, label + r": expected .* got shape \(1, 1, 3, 8, 8\)", lambda: conv(cg.zeros(1, 1, 3, 8, 8)))
    _raises(ShapeError, r"\[Sequential layer '1'\] Conv2d\(3, 16, kernel_size=\(5, 5\)\): .* has 4 channels",
            lambda: nn.Sequential(nn.Identity(), conv)(cg.zeros(1, 4, 8, 8)))
    dil = nn.Conv2d(1, 1, 3, dilation=3)
    _raises(ShapeError, r"padded to 6x6 is smaller than the kernel 7x7 \(dilated from 3x3\)",
            lambda: dil.output_shape((1, 1, 6, 6)))


@pytest.mark.parametrize("make, pattern", [
    (lambda: nn.Conv2d(3, 16, 5, stride=0), r"Conv2d\(3, 16, kernel_size=5\): stride must be positive, got 0"),
    (lambda: nn.Conv2d(3, 16, 5, stride=-1), r"stride must be positive, got -1"),
    (lambda: nn.Conv2d(3, 16, 5, groups=2), r"in_channels=3 must be divisible by groups=2"),
    (lambda: nn.Conv2d(4, 6, 5, groups=4), r"out_channels=6 must be divisible by groups=4"),
    (lambda: nn.Conv2d(3, 16, 3, stride=2, padding="same"), r"padding='same' is not supported for strided"),
    (lambda: nn.Conv2d(3, 16, 3, padding="full"), r"padding must be an int, a tuple of 2 ints, 'valid' or 'same'"),
    (lambda: nn.Conv2d(3, 16, 3, padding=-1), r"padding must be non-negative"),
    (lambda: nn.Conv2d(3, 16, 3, padding_mode="mirror"), r"padding_mode must be one of"),
    (lambda: nn.Conv2d(3, 16, (3, 3, 3)), r"kernel_size must be an int or a tuple of 2 ints"),
    (lambda: nn.ConvTranspose2d(3, 16, 3, stride=2, output_padding=2),
     r"output_padding=\(2, 2\) must be smaller than either the stride \(2, 2\) or the dilation \(1, 1\)"),
    (lambda: nn.ConvTranspose1d(3, 16, 3, output_padding=1), r"output_padding=\(1,\) must be smaller"),
])
def test_config_errors(make, pattern):
    _raises(ConfigError, pattern, make)


def test_functional_errors():
    x, w = cg.zeros(1, 4, 6, 6), cg.zeros(6, 2, 3, 3)
    _raises(ConfigError, r"conv2d: out_channels=6 is not divisible by groups=4", lambda: F.conv2d(x, w, groups=4))
    _raises(ShapeError, r"conv2d: input of shape \(1, 4, 6, 6\) has 4 channels, expected 6",
            lambda: F.conv2d(x, w, groups=3))
    _raises(ShapeError, r"conv2d: weight must be 4-D", lambda: F.conv2d(x, cg.zeros(6, 4, 3)))
    _raises(ShapeError, r"conv2d: bias must have shape \(6,\), got \(5,\)", lambda: F.conv2d(x, w, cg.zeros(5),
                                                                                            groups=2))
    _raises(DTypeError, r"conv2d: input dtype float64 must be a float dtype matching the weight's float32",
            lambda: F.conv2d(x.double(), w, groups=2))
    _raises(ConfigError, r"conv2d: dilation must be positive", lambda: F.conv2d(x, w, groups=2, dilation=0))
    _raises(ShapeError, r"conv_transpose2d: input of shape \(1, 3, 4, 4\) has 3 channels, expected 4",
            lambda: F.conv_transpose2d(cg.zeros(1, 3, 4, 4), cg.zeros(4, 2, 3, 3)))
    _raises(ShapeError, r"conv_transpose2d: .* gives an output of size \(-1, -1\), which is not positive",
            lambda: F.conv_transpose2d(cg.zeros(1, 4, 1, 1), cg.zeros(4, 2, 1, 1), padding=1))
    _raises(ShapeError, r"conv1d: expected a 2-D \(unbatched \(C, L\)\) or 3-D", lambda: F.conv1d(x, cg.zeros(2, 4, 3)))


@given(h=st.integers(1, 9), w=st.integers(1, 9), k=st.integers(1, 4), s=st.integers(1, 3), p=st.integers(0, 2),
       d=st.integers(1, 2))
@examples(25)
def test_output_shape_agrees_with_torch(h, w, k, s, p, d):
    layer = nn.Conv2d(2, 3, k, stride=s, padding=p, dilation=d)
    ref = torch.nn.Conv2d(2, 3, k, stride=s, padding=p, dilation=d)
    try:
        expected = tuple(ref(torch.zeros(1, 2, h, w)).shape)
    except RuntimeError:
        with pytest.raises(ShapeError):
            layer.output_shape((1, 2, h, w))
        return
    assert layer.output_shape((1, 2, h, w)) == expected
    assert layer(cg.zeros(1, 2, h, w)).shape == expected


# ----------------------------------------------------------------------------- unfold / fold / pixel shuffle
@pytest.mark.parametrize("dtype", DTYPES)
def test_unfold_fold_match_torch(dtype):
    rng = np.random.default_rng(6)
    kw = dict(kernel_size=(3, 2), dilation=(1, 2), padding=1, stride=(2, 1))
    x_np = rng.standard_normal((2, 3, 7, 6)).astype(dtype)
    x, xt = cg.tensor(x_np, requires_grad=True), to_torch(x_np, requires_grad=True)
    y, yt = F.unfold(x, **kw), TF.unfold(xt, **kw)
    assert_close(y, yt, dtype)
    g = rng.standard_normal(y.shape).astype(dtype)
    y.backward(cg.tensor(g))
    yt.backward(torch.from_numpy(g))
    assert_close(x.grad, xt.grad, dtype)
    c_np = rng.standard_normal((2, 3 * 6, y.shape[2])).astype(dtype)
    c, ct = cg.tensor(c_np, requires_grad=True), to_torch(c_np, requires_grad=True)
    z, zt = F.fold(c, (7, 6), **kw), TF.fold(ct, (7, 6), **kw)
    assert_close(z, zt, dtype)
    z.sum().backward()
    zt.sum().backward()
    assert_close(c.grad, ct.grad, dtype)
    assert F.unfold(cg.tensor(x_np[0]), **kw).shape == tuple(yt.shape[1:])


def test_unfold_matmul_equals_conv2d_and_fold_errors():
    rng = np.random.default_rng(7)
    x, w = cg.tensor(rng.standard_normal((2, 3, 6, 5))), cg.tensor(rng.standard_normal((4, 3, 3, 3)))
    cols = F.unfold(x, 3, padding=1)  # (2, 27, 30)
    y = (w.reshape(4, -1) @ cols).reshape(2, 4, 6, 5)
    assert_close(y, F.conv2d(x, w, padding=1), "float64")
    _raises(ShapeError, r"fold: input of shape \(1, 10, 4\): dimension 1 \(10\) must be divisible",
            lambda: F.fold(cg.zeros(1, 10, 4), (3, 3), 2))
    _raises(ShapeError, r"fold: input of shape \(1, 8, 5\) has 5 blocks, but output_size", lambda: F.fold(
        cg.zeros(1, 8, 5), (3, 3), 2))
    _raises(ShapeError, r"unfold: input of shape \(1, 1, 2, 2\) padded to 2x2 is smaller than the kernel 3x3",
            lambda: F.unfold(cg.zeros(1, 1, 2, 2), 3))
    assert gradcheck(lambda c: F.fold(c, (4, 3), 2, padding=1), (cg.tensor(rng.standard_normal((1, 8, 20)),
                                                                           requires_grad=True),))


def test_pixel_shuffle_roundtrip_and_torch():
    rng = np.random.default_rng(8)
    x_np = rng.standard_normal((2, 8, 3, 4))
    x, xt = cg.tensor(x_np, requires_grad=True), to_torch(x_np, requires_grad=True)
    y, yt = F.pixel_shuffle(x, 2), TF.pixel_shuffle(xt, 2)
    assert_close(y, yt, "float64")
    assert_close(F.pixel_unshuffle(y, 2), x_np, "float64")
    assert_close(nn.PixelUnshuffle(2)(y), TF.pixel_unshuffle(yt, 2), "float64")
    assert nn.PixelShuffle(2).output_shape((2, 8, 3, 4)) == (2, 2, 6, 8)
    assert nn.PixelUnshuffle(2).output_shape((2, 2, 6, 8)) == (2, 8, 3, 4)
    _raises(ShapeError, r"pixel_shuffle: input of shape \(2, 6, 3, 4\)", lambda: F.pixel_shuffle(cg.zeros(2, 6, 3, 4),
                                                                                                2))


# ----------------------------------------------------------------------------- memory layouts and buffer reuse
def test_many_channel_chain_matches_torch():
    """≥ 32 output channels keep NHWC memory: conv -> relu -> max_pool -> conv -> avg_pool against torch."""
    rng = np.random.default_rng(20)
    arrays = [rng.standard_normal(s).astype(np.float32) * 0.3 for s in
              ((2, 3, 9, 8), (32, 3, 3, 3), (32,), (40, 32, 3, 3), (40,))]
    ours = [cg.tensor(a, requires_grad=True) for a in arrays]
    theirs = [to_torch(a, requires_grad=True) for a in arrays]

    def net(f, x, w1, b1, w2, b2):
        h = f.max_pool2d(f.relu(f.conv2d(x, w1, b1, padding=1)), 2, ceil_mode=True)
        return f.avg_pool2d(f.conv2d(h, w2, b2, padding=1, stride=(1, 2)), 2, ceil_mode=True)

    y, yt = net(F, *ours), net(TF, *theirs)
    assert_close(y, yt, "float32", scale=10)
    (y * y).sum().backward()
    (yt * yt).sum().backward()
    for a, b in zip(ours, theirs):
        assert_close(a.grad, b.grad, "float32", scale=10)


def test_reused_column_buffers_give_the_same_results(monkeypatch):
    """Column buffers of finished backward passes are recycled; later steps and create_graph stay exact."""
    from chalkgrad.ops import conv as conv_ops

    monkeypatch.setattr(conv_ops, "_SPARE_MIN", 0)
    conv_ops.clear_workspace()
    rng = np.random.default_rng(21)
    w_np, d_np, g_np = (rng.standard_normal(s) for s in ((4, 3, 3, 3), (6, 1, 3, 3), (6, 2, 2, 3)))
    w, wt = cg.tensor(w_np, requires_grad=True), to_torch(w_np, requires_grad=True)
    d, dt = cg.tensor(d_np, requires_grad=True), to_torch(d_np, requires_grad=True)
    gr, grt = cg.tensor(g_np, requires_grad=True), to_torch(g_np, requires_grad=True)
    for step in range(3):
        x_np = rng.standard_normal((2, 3, 6, 5))
        x, xt = cg.tensor(x_np, requires_grad=True), to_torch(x_np, requires_grad=True)
        y = F.conv2d(x, w, padding=1) + F.conv2d(x, d, padding=1, groups=3)[:, :4]
        x6, xt6 = cg.cat([x, x * 2], 1), torch.cat([xt, xt * 2], 1)  # grouped with 2 channels per group
        y = y + F.conv2d(F.pad(x6, (0, 0, 1, 0)), gr, padding=(0, 1), groups=3)[:, 1:5]
        yt = TF.conv2d(xt, wt, padding=1) + TF.conv2d(xt, dt, padding=1, groups=3)[:, :4]
        yt = yt + TF.conv2d(TF.pad(xt6, (0, 0, 1, 0)), grt, padding=(0, 1), groups=3)[:, 1:5]
        (y * y).sum().backward()
        (yt * yt).sum().backward()
        for a, b in ((x, xt), (w, wt), (d, dt), (gr, grt)):
            assert_close(a.grad, b.grad, "float64", what=f"step {step}")
    assert conv_ops._SPARE  # a buffer was kept for reuse
    x_np = rng.standard_normal((2, 3, 6, 5))
    x = cg.tensor(x_np, requires_grad=True)
    (gw,) = cg.autograd.grad((F.conv2d(x, w, padding=1) ** 2).sum(), [w], create_graph=True)
    F.conv2d(cg.tensor(rng.standard_normal((2, 3, 6, 5))), w, padding=1).sum().backward()  # may reuse a buffer
    gw.sum().backward()
    xt = to_torch(x_np, requires_grad=True)
    (gwt,) = torch.autograd.grad((TF.conv2d(xt, wt, padding=1) ** 2).sum(), [wt], create_graph=True)
    gwt.sum().backward()
    assert_close(x.grad, xt.grad, "float64")
    conv_ops.clear_workspace()
    assert not conv_ops._SPARE


def test_fold_unfold_layers():
    x_np = np.random.default_rng(22).standard_normal((2, 3, 7, 6))
    layer, ref = nn.Unfold((3, 2), padding=1, stride=2), torch.nn.Unfold((3, 2), padding=1, stride=2)
    assert repr(layer) == repr(ref)
    y = layer(cg.tensor(x_np))
    assert_close(y, ref(torch.from_numpy(x_np)), "float64")
    assert layer.output_shape((2, 3, 7, 6)) == y.shape
    back, tback = nn.Fold((7, 6), (3, 2), padding=1, stride=2), torch.nn.Fold((7, 6), (3, 2), padding=1, stride=2)
    assert repr(back) == repr(tback)
    assert_close(back(y), tback(to_torch(y)), "float64")
    assert back.output_shape(y.shape) == (2, 3, 7, 6)
    with pytest.raises(ShapeError, match=r"Unfold\(kernel_size=\(3, 2\).*smaller than the kernel 3x2"):
        layer.output_shape((1, 1, 0, 0))


@given(h=st.integers(1, 6), k=st.integers(1, 4), s=st.integers(1, 3), p=st.integers(0, 2), op=st.integers(0, 2),
       d=st.integers(1, 2))
@examples(25)
def test_transposed_output_shape_agrees_with_torch(h, k, s, p, op, d):
    kwargs = dict(stride=s, padding=p, output_padding=op, dilation=d)
    try:
        ref = torch.nn.ConvTranspose2d(2, 3, k, **kwargs, dtype=torch.float64)
        expected = tuple(ref(torch.zeros(1, 2, h, h + 1, dtype=torch.float64)).shape)
    except (RuntimeError, ValueError):
        with pytest.raises((ShapeError, ConfigError)):
            nn.ConvTranspose2d(2, 3, k, **kwargs).output_shape((1, 2, h, h + 1))
        return
    layer = nn.ConvTranspose2d(2, 3, k, **kwargs, dtype=np.float64)
    layer.load_state_dict(ref.state_dict())
    assert layer.output_shape((1, 2, h, h + 1)) == expected
    x_np = np.random.default_rng(h).standard_normal((1, 2, h, h + 1))
    assert_close(layer(cg.tensor(x_np)), ref(torch.from_numpy(x_np)), "float64")


# ----------------------------------------------------------------------------- depthwise kernels
# groups == in_channels with one input channel per group runs blocked NHWC multiply-adds (ops/conv.py):
# stride 1 dx as a correlation with the flipped kernel, other strides by scatter, blocks split over threads.
DEPTHWISE_CASES = [
    ((2, 3, 7, 6), (3, 1, 3, 3), dict(stride=2, padding=1, groups=3)),
    ((2, 3, 9, 8), (3, 1, 3, 2), dict(dilation=(2, 3), padding=(2, 1), groups=3)),
    ((3, 4, 5, 7), (8, 1, 3, 3), dict(stride=2, padding=1, groups=4)),  # channel multiplier 2
    ((1, 5, 6, 5), (5, 1, 2, 4), dict(padding="same", groups=5)),  # even kernel: unequal padding
    ((2, 2, 4, 4), (2, 1, 3, 3), dict(padding=2, groups=2)),  # padding > d·(k - 1): scattered dx
    ((2, 2, 5, 9), (2, 1, 2, 3), dict(stride=(1, 3), groups=2)),  # stride in W only
    ((2, 6, 3, 4), (6, 1, 1, 1), dict(groups=6)),  # 1x1
]


@pytest.fixture(params=["one block", "one sample per block"])
def depthwise_blocks(request, monkeypatch):
    """Run each depthwise case as one block, and as one block per sample split over two threads."""
    from chalkgrad.ops import conv as conv_ops
    from chalkgrad.ops import workspace

    if request.param == "one sample per block":
        monkeypatch.setattr(conv_ops, "_DW_BLOCK_BYTES", 1)
        before = workspace.get_num_threads()
        workspace.set_num_threads(2)
        yield
        workspace.set_num_threads(before)
    else:
        yield


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("x_shape, w_shape, kwargs", DEPTHWISE_CASES)
def test_depthwise_matches_torch(x_shape, w_shape, kwargs, dtype, depthwise_blocks):
    _compare(F.conv2d, TF.conv2d, x_shape, w_shape, kwargs, dtype)
    _compare(F.conv2d, TF.conv2d, (5,) + x_shape[1:], w_shape, kwargs, dtype, bias=False)  # 5 blocks, 2 threads


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("w_shape, kwargs", [
    ((4, 1, 3, 3), dict(padding=1, groups=4)),  # stride 1: dx by correlation
    ((4, 1, 3, 2), dict(stride=2, padding=(1, 0), output_padding=1, groups=4)),  # crops the padded buffer
    ((4, 2, 3, 3), dict(stride=2, dilation=2, groups=4)),
])
def test_depthwise_transposed_matches_torch(w_shape, kwargs, dtype, depthwise_blocks):
    _compare(F.conv_transpose2d, TF.conv_transpose2d, (5, 4, 5, 4), w_shape, kwargs, dtype, transposed=True)


@pytest.mark.parametrize("layout", ["NCHW", "NHWC"])
def test_depthwise_memory_layouts(layout, depthwise_blocks):
    """Inputs and output gradients in either memory layout, and a broadcast gradient (from y.sum())."""
    rng = np.random.default_rng(30)
    x_np = rng.standard_normal((4, 6, 7, 5)).astype(np.float32)
    w_np = rng.standard_normal((6, 1, 3, 3)).astype(np.float32)
    g_np = rng.standard_normal((4, 6, 7, 5)).astype(np.float32)
    if layout == "NHWC":
        x_np = np.ascontiguousarray(x_np.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
        g_np = np.ascontiguousarray(g_np.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    for g in (g_np, None):
        x, w = cg.from_numpy(x_np).requires_grad_(), cg.from_numpy(w_np).requires_grad_()
        xt, wt = to_torch(x_np, requires_grad=True), to_torch(w_np, requires_grad=True)
        y, yt = F.conv2d(x, w, padding=1, groups=6), TF.conv2d(xt, wt, padding=1, groups=6)
        assert_close(y, yt, "float32", scale=10)
        if g is None:
            y.sum().backward()
            yt.sum().backward()
        else:
            y.backward(cg.from_numpy(g))
            yt.backward(torch.from_numpy(np.ascontiguousarray(g)))
        assert_close(x.grad, xt.grad, "float32", scale=10, what=f"{layout} grad input")
        assert_close(w.grad, wt.grad, "float32", scale=100, what=f"{layout} grad weight")


@pytest.mark.parametrize("x_shape, w_shape, kwargs", [
    ((2, 3, 5, 6), (3, 1, 3, 2), dict(stride=2, padding=1, dilation=(1, 2), groups=3)),
    ((2, 2, 4, 5), (4, 1, 2, 3), dict(padding=(1, 2), groups=2)),  # multiplier 2
])
def test_depthwise_gradcheck_and_double_backward(x_shape, w_shape, kwargs):
    rng = np.random.default_rng(31)
    arrays = [rng.standard_normal(s) for s in (x_shape, w_shape, (w_shape[0],))]
    ours = [cg.tensor(a, requires_grad=True) for a in arrays]
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, **kwargs), ours)
    theirs = [to_torch(a, requires_grad=True) for a in arrays]
    y, yt = F.conv2d(*ours, **kwargs), TF.conv2d(*theirs, **kwargs)
    v = rng.standard_normal(y.shape)
    gx, gw = cg.autograd.grad((y * cg.tensor(v) * y).sum(), ours[:2], create_graph=True)
    gxt, gwt = torch.autograd.grad((yt * torch.from_numpy(v) * yt).sum(), theirs[:2], create_graph=True)
    assert_close(gx, gxt, "float64", scale=100)
    assert_close(gw, gwt, "float64", scale=100)
    ((gx * gx).sum() + (gw * gw).sum()).backward()
    ((gxt * gxt).sum() + (gwt * gwt).sum()).backward()
    for a, b in zip(ours, theirs):
        assert_close(a.grad, b.grad, "float64", scale=1000, what="second-order grad")
