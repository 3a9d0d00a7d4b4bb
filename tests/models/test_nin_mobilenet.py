"""Network in Network, the depthwise-separable block and MobileNetLike."""

from __future__ import annotations

import numpy as np
import pytest

import chalkgrad as cg
from chalkgrad import models

from . import torch_refs


def test_nin_counts_shapes_and_torch():
    widths = (8, 12, 16)
    model = models.NiN(num_classes=5, in_channels=2, widths=widths)
    assert model.count_parameters() == models.nin_num_parameters(5, 2, widths)
    # block: c·c_in·k² + c + 2·(c² + c)
    assert models.nin_num_parameters(5, 2, widths) == sum(
        c * ci * k * k + c + 2 * (c * c + c) for ci, c, k in ((2, 8, 11), (8, 12, 5), (12, 16, 3), (16, 5, 3)))
    assert not any(isinstance(m, cg.nn.Linear) for m in model.modules())
    x = np.random.default_rng(0).standard_normal((2, 2, 67, 67))
    out = torch_refs.compare(torch_refs.nin(5, 2, widths), model, x, dtype=np.float64, atol=1e-10, rtol=1e-10)
    assert model.output_shape(x.shape) == out.shape == (2, 5)
    with pytest.raises(cg.ShapeError):
        model.output_shape((1, 2, 60, 60))  # the third max pool would see a 1x1 map


def test_nin_default_count_and_validation():
    assert models.nin_num_parameters() == models.NiN().count_parameters()
    assert models.NiN().output_shape((1, 3, 224, 224)) == (1, 1000)
    with pytest.raises(cg.ConfigError, match="widths"):
        models.NiN(widths=(8, 8))
    with pytest.raises(cg.ConfigError, match="num_classes"):
        models.nin(num_classes=0)


def test_depthwise_separable_block():
    blk = models.DepthwiseSeparableConv(8, 16, stride=2)
    assert list(blk._modules) == ["depthwise", "bn1", "relu1", "pointwise", "bn2", "relu2"]
    assert blk.depthwise.groups == 8 and blk.depthwise.weight.shape == (8, 1, 3, 3)
    assert blk.count_parameters() == 8 * 9 + 2 * 8 + 8 * 16 + 2 * 16
    shape = (2, 8, 10, 10)
    assert blk.output_shape(shape) == (2, 16, 5, 5)
    bn = blk.bn1.macs((2, 8, 5, 5)) + blk.bn2.macs((2, 16, 5, 5))
    # depthwise H'W'·C·k² + pointwise H'W'·C·C'
    assert blk.macs(shape) == 2 * 25 * (8 * 9 + 8 * 16) + bn
    ref = torch_refs.randomize_bn_(torch_refs.ds_conv(8, 16, 2), seed=4)
    x = np.random.default_rng(4).standard_normal(shape)
    torch_refs.compare(ref, blk, x, dtype=np.float64, atol=1e-10, rtol=1e-10)
    with pytest.raises(cg.ConfigError, match="out_channels"):
        models.DepthwiseSeparableConv(8, 0)


def test_mobilenet_like():
    config = ((16, 1), (32, 2), (32, 1))
    model = models.MobileNetLike(num_classes=7, in_channels=1, width_mult=0.5, config=config, generator=0)
    assert model.count_parameters() == models.mobilenet_like_num_parameters(7, 1, 0.5, config)
    ref = torch_refs.randomize_bn_(torch_refs.mobilenet_like(7, 1, 16, ((8, 1), (16, 2), (16, 1))), seed=5)
    x = np.random.default_rng(5).standard_normal((2, 1, 16, 16))
    out = torch_refs.compare(ref, model, x, dtype=np.float32, atol=1e-4, rtol=1e-4)
    assert model.output_shape(x.shape) == out.shape == (2, 7)
    # the separable blocks cost far fewer MACs than standard 3x3 convs would
    blk = model.features[4]
    standard = 8 * 8 * 16 * 8 * 9 * 2  # conv 3x3 8->16 at 8x8, batch 2
    assert blk.depthwise.macs((2, 8, 8, 8)) + blk.pointwise.macs((2, 8, 8, 8)) < standard / 5
    full = models.mobilenet_like()
    assert full.count_parameters() == models.mobilenet_like_num_parameters()
    assert full.output_shape((1, 3, 224, 224)) == (1, 1000)
    with pytest.raises(cg.ConfigError, match="width_mult"):
        models.MobileNetLike(width_mult=0)
    with pytest.raises(cg.ConfigError, match="in_channels"):
        models.mobilenet_like(in_channels=0)
