"""interpolate / Upsample (nearest, linear, bilinear with both align_corners): values and gradients
against PyTorch, gradcheck, layer arithmetic and errors."""

import numpy as np
import pytest
import torch

import chalkgrad as cg
import chalkgrad.nn.functional as F
from chalkgrad import nn
from chalkgrad.autograd import gradcheck
from chalkgrad.errors import ConfigError, ShapeError
from helpers import DTYPES, assert_close, to_torch

TF = torch.nn.functional

CASES = [
    ((2, 3, 5, 7), dict(scale_factor=2)),
    ((2, 3, 5, 7), dict(size=(8, 3))),
    ((2, 3, 5, 7), dict(scale_factor=1.7)),
    ((2, 3, 5, 7), dict(scale_factor=(0.5, 3))),
    ((2, 3, 6, 4), dict(size=(6, 4))),
    ((2, 3, 5, 7), dict(size=(8, 11), mode="bilinear", align_corners=False)),
    ((2, 3, 5, 7), dict(size=(8, 3), mode="bilinear", align_corners=True)),
    ((2, 3, 5, 7), dict(scale_factor=1.7, mode="bilinear", align_corners=False)),
    ((2, 3, 5, 7), dict(scale_factor=2, mode="bilinear", align_corners=True)),
    ((1, 2, 4, 4), dict(size=(1, 1), mode="bilinear", align_corners=True)),
    ((2, 3, 5), dict(scale_factor=2.5, mode="linear", align_corners=False)),
    ((2, 3, 5), dict(size=9, mode="linear", align_corners=True)),
    ((2, 3, 5), dict(scale_factor=3)),
    ((2, 3, 5, 7), dict(scale_factor=1.7, recompute_scale_factor=True)),
    ((2, 3, 9, 7), dict(size=(4, 3), mode="area")),
    ((2, 3, 5), dict(scale_factor=0.6, mode="area")),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, kwargs", CASES)
def test_interpolate_matches_torch(shape, kwargs, dtype):
    rng = np.random.default_rng(sum(shape))
    x_np = rng.standard_normal(shape).astype(dtype)
    x, xt = cg.tensor(x_np, requires_grad=True), to_torch(x_np, requires_grad=True)
    y, yt = F.interpolate(x, **kwargs), TF.interpolate(xt, **kwargs)
    assert y.dtype == np.dtype(dtype)
    assert_close(y, yt, dtype, what="forward")
    g = rng.standard_normal(y.shape).astype(dtype)
    y.backward(cg.tensor(g))
    yt.backward(torch.from_numpy(g))
    assert_close(x.grad, xt.grad, dtype, what="grad")


@pytest.mark.parametrize("kwargs", [dict(scale_factor=2, mode="bilinear", align_corners=False),
                                    dict(size=(3, 5), mode="nearest")])
def test_gradcheck(kwargs):
    x = cg.tensor(np.random.default_rng(14).standard_normal((1, 2, 2, 3)), requires_grad=True)
    assert gradcheck(lambda t: F.interpolate(t, **kwargs), (x,))


@pytest.mark.parametrize("layer, ref, shape", [
    (nn.Upsample(scale_factor=2), torch.nn.Upsample(scale_factor=2), (2, 3, 4, 5)),
    (nn.Upsample(size=(7, 3), mode="bilinear"), torch.nn.Upsample(size=(7, 3), mode="bilinear"), (2, 3, 4, 5)),
    (nn.Upsample(scale_factor=1.5, mode="linear", align_corners=True),
     torch.nn.Upsample(scale_factor=1.5, mode="linear", align_corners=True), (2, 3, 4)),
    (nn.UpsamplingNearest2d(scale_factor=3), torch.nn.UpsamplingNearest2d(scale_factor=3), (1, 2, 3, 3)),
    (nn.UpsamplingBilinear2d(size=(5, 6)), torch.nn.UpsamplingBilinear2d(size=(5, 6)), (1, 2, 3, 3)),
])
def test_upsample_layers(layer, ref, shape):
    assert repr(layer) == repr(ref)
    x_np = np.random.default_rng(15).standard_normal(shape).astype(np.float32)
    y, yt = layer(cg.tensor(x_np)), ref(to_torch(x_np))
    assert_close(y, yt, "float32")
    assert layer.output_shape(shape) == tuple(yt.shape)
    assert layer.macs(shape) == 0


def test_upsample_receptive_field():
    assert nn.Upsample(scale_factor=2).receptive_field() == \
        {"kernel": (1, 1), "stride": (2.0, 2.0), "padding": (0, 0), "dilation": (1, 1), "transposed": True}
    assert nn.Upsample(scale_factor=2, mode="bilinear").receptive_field()["kernel"] == (2, 2)
    assert nn.Upsample(size=(4, 4)).receptive_field() is None


def test_errors():
    x = cg.zeros(1, 2, 3, 3)
    with pytest.raises(ConfigError, match=r"interpolate: give exactly one of size and scale_factor"):
        F.interpolate(x)
    with pytest.raises(ConfigError, match=r"interpolate: give exactly one of size and scale_factor"):
        F.interpolate(x, size=4, scale_factor=2)
    with pytest.raises(ConfigError, match=r"interpolate: mode must be one of .* got 'bicubic'"):
        F.interpolate(x, size=4, mode="bicubic")
    with pytest.raises(ShapeError, match=r"interpolate: mode 'bilinear' expects a 4-D input .* got shape \(1, 2, 3\)"):
        F.interpolate(cg.zeros(1, 2, 3), size=4, mode="bilinear")
    with pytest.raises(ConfigError, match=r"align_corners only applies to the linear modes"):
        F.interpolate(x, size=4, align_corners=True)
    with pytest.raises(ConfigError, match=r"Upsample: scale_factor must be positive"):
        nn.Upsample(scale_factor=-1)
    with pytest.raises(ShapeError, match=r"Upsample\(scale_factor=2.0, mode='bilinear'\): mode 'bilinear' expects "
                                         r"a 4-D input"):
        nn.Upsample(scale_factor=2, mode="bilinear").output_shape((1, 2, 3))
    with pytest.raises(ShapeError, match=r"\[Sequential layer '0'\] Upsample\(scale_factor=2.0, mode='bilinear'\)"):
        nn.Sequential(nn.Upsample(scale_factor=2, mode="bilinear"))(cg.zeros(1, 2, 3))
