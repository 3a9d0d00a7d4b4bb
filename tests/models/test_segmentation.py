"""FCN-style (transposed convolutions) and SegNet-style (max-unpooling) segmentation nets."""

from __future__ import annotations

import numpy as np
import pytest

import chalkgrad as cg
from chalkgrad import models

from . import torch_refs


def test_bilinear_kernel():
    k = models.bilinear_kernel(2, 4)
    assert k.shape == (2, 2, 4, 4)
    np.testing.assert_allclose(k[0, 0, 0], [0.0625, 0.1875, 0.1875, 0.0625])
    assert np.all(k[0, 1] == 0)
    # a stride-2 transposed conv with this kernel reproduces a constant image (away from the border)
    up = cg.nn.ConvTranspose2d(1, 1, 4, stride=2, padding=1, bias=False).double()
    up.weight.data[...] = models.bilinear_kernel(1, 4)
    with cg.no_grad():
        out = up(cg.ones(1, 1, 4, 4, dtype=cg.float64)).numpy()
    np.testing.assert_allclose(out[0, 0, 1:-1, 1:-1], 1.0)


def test_fcn_shapes_counts_and_torch():
    model = models.FCN(in_channels=2, num_classes=3, widths=(4, 6, 8))
    assert model.count_parameters() == models.fcn_num_parameters(2, 3, (4, 6, 8))
    x = np.random.default_rng(0).standard_normal((2, 2, 16, 24))
    ref = torch_refs.FCN(2, 3, (4, 6, 8))
    out = torch_refs.compare(ref, model, x, dtype=np.float64, atol=1e-10, rtol=1e-10)
    assert model.output_shape(x.shape) == out.shape == (2, 3, 16, 24)
    assert [type(m).__name__ for m in model.main_path()[-3:]] == ["Conv2d", "ConvTranspose2d", "ConvTranspose2d"]
    # MACs: the main path plus the skip's 1x1 conv at H/4
    shape = x.shape
    path_macs = 0
    for m in model.main_path():
        path_macs += m.macs(shape)
        shape = m.output_shape(shape)
    assert model.macs(x.shape) == path_macs + 2 * 4 * 6 * 3 * 6
    with pytest.raises(cg.ShapeError, match="multiples of 8"):
        model.output_shape((1, 2, 20, 16))
    with pytest.raises(cg.ShapeError, match="multiples of 8"):
        model(cg.randn(1, 2, 20, 16))
    with pytest.raises(cg.ShapeError):
        model.output_shape((1, 3, 16, 16))


def test_fcn_starts_with_bilinear_upsampling_and_trains():
    model = models.fcn(in_channels=1, num_classes=2, widths=(4, 4, 4), generator=0)
    np.testing.assert_allclose(model.up4.weight.detach().numpy()[1, 1], models.bilinear_kernel(1, 8)[0, 0], rtol=1e-6)
    assert np.all(model.up2.bias.detach().numpy() == 0)
    rng = np.random.default_rng(0)
    x = rng.random((4, 1, 8, 8)).astype(np.float32)
    target = (x[:, 0] > 0.5).astype(np.int64)
    opt = cg.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(15):
        loss = cg.nn.functional.cross_entropy(model(cg.tensor(x)), cg.tensor(target))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]


def test_segnet_shapes_counts_and_torch():
    model = models.SegNet(in_channels=3, num_classes=4, widths=(4, 8))
    assert model.count_parameters() == models.segnet_num_parameters(3, 4, (4, 8))
    assert all(p.return_indices for p in model.pools)
    ref = torch_refs.randomize_bn_(torch_refs.SegNet(3, 4, (4, 8)), seed=1)
    for shape in [(2, 3, 8, 8), (1, 3, 11, 6)]:  # odd sizes: the unpools restore the remembered sizes
        x = np.random.default_rng(1).standard_normal(shape)
        out = torch_refs.compare(ref, model, x, dtype=np.float64, atol=1e-10, rtol=1e-10)
        assert model.output_shape(shape) == out.shape == (shape[0], 4) + shape[2:]
    convs = [m for m in model.modules() if isinstance(m, cg.nn.Conv2d)]
    bns = [m for m in model.modules() if isinstance(m, cg.nn.BatchNorm2d)]
    assert len(convs) == 9 and len(bns) == 8
    # MACs: encoder convs at 8x8 and 4x4, decoder convs at 4x4 and 8x8, classifier at 8x8 (batch 2)
    conv_macs = 2 * (64 * 9 * (4 * 3 + 4 * 4) + 16 * 9 * (8 * 4 + 8 * 8) + 16 * 9 * (8 * 8 + 4 * 8)
                     + 64 * 9 * (4 * 4 + 4 * 4) + 64 * 9 * 4 * 4)
    bn_macs = sum(bn.macs((2, bn.num_features, s, s)) for bn, s in zip(
        [*model.encoder1[1::3], *model.encoder2[1::3], *model.decoder2[1::3], *model.decoder1[1::3]],
        [8, 8, 4, 4, 4, 4, 8, 8]))
    assert model.macs((2, 3, 8, 8)) == conv_macs + bn_macs
    assert len(model.main_path()) == 2 * 6 + 2 + 2 + 2 * 6 + 1
    assert list(model._modules) == ["encoder1", "pool1", "encoder2", "pool2", "unpool2", "decoder2", "unpool1",
                                    "decoder1", "classifier"]
    assert model.decoders[1] is model.decoder2 and model.decoder2[3].out_channels == 4
    with pytest.raises(cg.ShapeError, match="at least 4"):
        model.output_shape((1, 3, 3, 8))


def test_segnet_backward():
    model = models.segnet(in_channels=1, num_classes=2, widths=(3,), generator=0)
    x = cg.randn(2, 1, 6, 6, requires_grad=True)
    loss = cg.nn.functional.cross_entropy(model(x), cg.zeros(2, 6, 6, dtype=cg.int64))
    loss.backward()
    assert x.grad.shape == (2, 1, 6, 6)
    assert all(p.grad is not None for p in model.parameters())


@pytest.mark.parametrize("cls", [models.FCN, models.SegNet])
def test_segmentation_validation(cls):
    with pytest.raises(cg.ConfigError, match="num_classes"):
        cls(num_classes=0)
    with pytest.raises(cg.ConfigError, match="in_channels"):
        cls(in_channels=0)
    with pytest.raises(cg.ConfigError, match="widths"):
        cls(widths=())
