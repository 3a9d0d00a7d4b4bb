"""AlexNet: the 61,100,840 parameters, torchvision's names, static shapes, torch equivalence."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest

import chalkgrad as cg
from chalkgrad import models

from . import torch_refs

#: Build without drawing random weights where only shapes or loaded weights matter (nn.init.skip_init).
skip_init = getattr(cg.nn.init, "skip_init", contextlib.nullcontext)


@pytest.fixture(scope="module")
def reference():
    """A torch AlexNet in torchvision's layout (1000 classes) and a chalkgrad AlexNet holding its weights."""
    ref = torch_refs.AlexNet(1000).eval()
    with skip_init():
        model = models.alexnet()
    model.load_state_dict(torch_refs.state_dict_numpy(ref), strict=True)
    return ref, model


@pytest.fixture(scope="module")
def alexnet_1000(reference):
    return reference[1]


def test_parameter_count(alexnet_1000):
    assert alexnet_1000.count_parameters() == 61_100_840
    assert models.alexnet_num_parameters() == 61_100_840
    assert sum(p.numel() for p in alexnet_1000.features.parameters()) == 2_469_696


def test_torchvision_names_and_static_arithmetic(reference):
    ref, alexnet_1000 = reference
    assert {k: tuple(v.shape) for k, v in alexnet_1000.state_dict().items()} == \
        {k: tuple(v.shape) for k, v in ref.state_dict().items()}
    assert list(alexnet_1000.state_dict()) == list(ref.state_dict())
    assert alexnet_1000.output_shape((1, 3, 224, 224)) == (1, 1000)
    assert alexnet_1000.features.output_shape((1, 3, 224, 224)) == (1, 256, 6, 6)
    conv = (55 * 55 * 64 * 3 * 121 + 27 * 27 * 192 * 64 * 25 + 13 * 13 * 384 * 192 * 9
            + 13 * 13 * 256 * 384 * 9 + 13 * 13 * 256 * 256 * 9)
    linear = 9216 * 4096 + 4096 * 4096 + 4096 * 1000
    others = 0
    shape = (1, 3, 224, 224)
    for m in [*alexnet_1000.features, alexnet_1000.avgpool]:
        if not isinstance(m, cg.nn.Conv2d):
            others += m.macs(shape)
        shape = m.output_shape(shape)
    assert alexnet_1000.macs((1, 3, 224, 224)) == conv + linear + others


def test_matches_torch_and_runs_small_inputs(reference):
    ref, model = reference
    x = np.random.default_rng(0).standard_normal((2, 3, 64, 64))
    out = torch_refs.compare(ref, model, x, dtype=np.float32, atol=1e-5, rtol=1e-3)
    assert model.output_shape(x.shape) == out.shape == (2, 1000)


def test_small_variant_count():
    with skip_init():
        model = models.alexnet(num_classes=10, in_channels=1)
    assert model.count_parameters() == models.alexnet_num_parameters(10, 1) == 61_100_840 - 990 * 4097 - 2 * 64 * 121
    assert model.features[0].weight.shape == (64, 1, 11, 11) and model.classifier[6].weight.shape == (10, 4096)


def test_dropout_only_in_training(alexnet_1000):
    x = cg.randn(1, 3, 63, 63)
    alexnet_1000.eval()
    with cg.no_grad():
        a, b = alexnet_1000(x).numpy(), alexnet_1000(x).numpy()
    np.testing.assert_array_equal(a, b)
    assert [m.p for m in alexnet_1000.classifier if isinstance(m, cg.nn.Dropout)] == [0.5, 0.5]


@pytest.mark.parametrize(("kwargs", "name"), [
    ({"num_classes": 0}, "num_classes"), ({"in_channels": -3}, "in_channels"), ({"dropout": 1.5}, "dropout")])
def test_argument_validation(kwargs, name):
    with pytest.raises(cg.ConfigError, match=name):
        models.alexnet(**kwargs)


def test_too_small_input_is_a_shape_error(alexnet_1000):
    with pytest.raises(cg.ShapeError):
        alexnet_1000.output_shape((1, 3, 32, 32))
