"""The model zoo through ``chalkgrad.nn.summary`` and ``receptive_field``: static arithmetic end to end."""

from __future__ import annotations

import pytest

import chalkgrad as cg
from chalkgrad import models

SMALL = [
    ("lenet5", lambda: models.lenet5(), (2, 1, 32, 32), (2, 10)),
    ("lenet5_28", lambda: models.lenet5(padding=2), (1, 1, 28, 28), (1, 10)),
    ("lenet_digits", lambda: models.lenet_digits(), (4, 1, 8, 8), (4, 10)),
    ("resnet18", lambda: models.resnet18(num_classes=10), (1, 3, 64, 64), (1, 10)),
    ("nin", lambda: models.nin(num_classes=10, widths=(8, 8, 8)), (1, 3, 96, 96), (1, 10)),
    ("mobilenet", lambda: models.mobilenet_like(num_classes=10, width_mult=0.25), (1, 3, 64, 64), (1, 10)),
    ("fcn", lambda: models.fcn(3, 5, widths=(4, 8, 8)), (1, 3, 16, 24), (1, 5, 16, 24)),
    ("segnet", lambda: models.segnet(3, 5, widths=(4, 8)), (1, 3, 16, 16), (1, 5, 16, 16)),
    ("autoencoder", lambda: models.ConvAutoencoder(1, widths=(4, 8)), (2, 1, 16, 16), (2, 1, 16, 16)),
    ("denoising", lambda: models.DenoisingAutoencoder(3, widths=(4,)), (2, 3, 8, 8), (2, 3, 8, 8)),
]


@pytest.mark.parametrize(("name", "build", "shape", "out"), SMALL, ids=[s[0] for s in SMALL])
def test_summary_totals_match_the_model(name, build, shape, out):
    model = build()
    s = cg.nn.summary(model, shape)
    assert tuple(s.output_size) == out == model.output_shape(shape)
    assert s.total_params == model.count_parameters()
    assert s.total_macs == model.macs(shape)
    model.eval()
    with cg.no_grad():
        assert tuple(model(cg.randn(*shape)).shape) == out
    assert name in str(s) or type(model).__name__ in str(s)


def test_receptive_fields():
    rf = cg.nn.receptive_field(models.lenet5(), (1, 1, 32, 32))
    assert rf.size == (32, 32) and not rf.branched  # C5 sees the whole 32x32 image
    # SegNet's children are registered in data-flow order, so the summary follows every layer:
    # 6 convs 3x3 at jumps 1, 1, 2, 2, 2, 2, 1, 1, 1 (classifier) and the pools: 30x30 for two stages
    rf = cg.nn.receptive_field(models.segnet(3, 4, widths=(4, 8)), (1, 3, 16, 16))
    assert rf.size == (30, 30) and rf.jump == (1, 1)
    rf = cg.nn.receptive_field(models.resnet18(num_classes=10), (1, 3, 64, 64))
    assert rf.branched
    block = models.BasicBlock(4, 4)
    rf = cg.nn.receptive_field(cg.nn.Sequential(block, block), (1, 4, 8, 8))
    assert rf.size == (9, 9)  # each block's main path is two 3x3 convs: 1 + 4·2
