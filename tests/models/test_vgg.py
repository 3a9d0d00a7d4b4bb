"""VGG11/13/16/19 (and _bn): parameter counts, torchvision's names, static shapes, torch equivalence.

Building a VGG allocates ~130M float32 parameters (about 0.5 GB) and initializing them takes
seconds, so only VGG16 (a module fixture) is initialized; the other models are built inside
``nn.init.skip_init()`` (allocated, not drawn) for their counts or before loading torch's weights.
"""

from __future__ import annotations

import contextlib
import gc

import numpy as np
import pytest

import chalkgrad as cg
from chalkgrad import models

from . import torch_refs

#: Build without drawing random weights where only shapes or loaded weights matter (nn.init.skip_init).
skip_init = getattr(cg.nn.init, "skip_init", contextlib.nullcontext)

KNOWN = {
    ("vgg11", False): 132_863_336, ("vgg13", False): 133_047_848, ("vgg16", False): 138_357_544,
    ("vgg19", False): 143_667_240, ("vgg16", True): 138_365_992,
}


@pytest.fixture(scope="module")
def vgg16_1000():
    """VGG16 at 1000 classes with torchvision's initialization, and statistics of its initial weights."""
    model = models.vgg16(generator=0)
    conv0, fc = model.features[0], model.classifier[3]
    initial = {
        "conv0_std": float(conv0.weight.detach().numpy().std()),
        "conv0_bias_zero": bool(np.all(conv0.bias.detach().numpy() == 0)),
        "fc_std": float(fc.weight.detach().numpy()[:256].std()),
        "fc_bias_zero": bool(np.all(fc.bias.detach().numpy() == 0)),
    }
    yield model, initial
    del model
    gc.collect()


@pytest.mark.parametrize(("name", "bn"), list(KNOWN))
def test_parameter_counts_by_arithmetic(name, bn):
    depth = int(name[3:])
    assert models.vgg_num_parameters(depth, batch_norm=bn) == KNOWN[(name, bn)]
    # each batch norm adds 2 per channel of its conv
    assert models.vgg_num_parameters(depth, True) - models.vgg_num_parameters(depth, False) == 2 * sum(
        v for v in models.VGG_CONFIGS[depth] if v != "M")


def test_vgg16_parameter_count_and_initialization(vgg16_1000):
    model, initial = vgg16_1000
    assert model.count_parameters() == 138_357_544
    assert sum(p.numel() for p in model.classifier.parameters()) == 123_642_856
    std = np.sqrt(2 / (64 * 9))  # kaiming_normal_, mode fan_out, gain √2
    assert abs(initial["conv0_std"] - std) < 0.1 * std and initial["conv0_bias_zero"]
    assert abs(initial["fc_std"] - 0.01) < 0.001 and initial["fc_bias_zero"]


@pytest.mark.parametrize(("name", "bn"), [k for k in KNOWN if k != ("vgg16", False)])
def test_parameter_counts_of_built_models(name, bn):
    """Each variant built at 1000 classes without drawing its weights (shapes and counts only)."""
    with skip_init():
        model = getattr(models, name + ("_bn" if bn else ""))()
    assert model.count_parameters() == KNOWN[(name, bn)]
    features = sum(p.numel() for p in model.features.parameters())
    assert KNOWN[(name, bn)] - features == 123_642_856  # the classifier every VGG shares
    del model
    gc.collect()


def test_vgg16_static_shapes_and_macs(vgg16_1000):
    model, _ = vgg16_1000
    assert model.features.output_shape((1, 3, 224, 224)) == (1, 512, 7, 7)
    assert model.output_shape((1, 3, 224, 224)) == (1, 1000)
    assert model.output_shape((2, 3, 32, 32)) == (2, 1000)
    convs = [m for m in model.features if isinstance(m, cg.nn.Conv2d)]
    sizes = [224, 224, 112, 112, 56, 56, 56, 28, 28, 28, 14, 14, 14]
    conv_macs = sum(s * s * m.out_channels * m.in_channels * 9 for s, m in zip(sizes, convs))
    assert conv_macs == 15_346_630_656  # + the classifier's 123.6M: the 15.5 GMACs usually quoted for VGG16
    others, shape = 0, (1, 3, 224, 224)
    for m in [*model.features, model.avgpool]:
        if not isinstance(m, cg.nn.Conv2d):
            others += m.macs(shape)
        shape = m.output_shape(shape)
    assert model.macs((1, 3, 224, 224)) == conv_macs + 25088 * 4096 + 4096 * 4096 + 4096 * 1000 + others


def test_vgg16_torchvision_state_dict_loads_and_matches(vgg16_1000):
    model, _ = vgg16_1000
    ref = torch_refs.VGG(16, False, num_classes=1000)
    assert list(model.state_dict()) == list(ref.state_dict())
    x = np.random.default_rng(16).standard_normal((1, 3, 32, 32))
    out = torch_refs.compare(ref, model, x, dtype=np.float32, atol=1e-5, rtol=1e-3)
    assert model.output_shape(x.shape) == out.shape == (1, 1000)
    del ref
    gc.collect()


def test_vgg11_bn_matches_torch():
    ref = torch_refs.randomize_bn_(torch_refs.VGG(11, True, num_classes=10, in_channels=1), seed=11)
    with skip_init():  # the weights come from torch below
        model = models.vgg11_bn(num_classes=10, in_channels=1)
    assert model.count_parameters() == models.vgg_num_parameters(11, True, num_classes=10, in_channels=1)
    x = np.random.default_rng(11).standard_normal((2, 1, 32, 32))
    out = torch_refs.compare(ref, model, x, dtype=np.float32, atol=1e-5, rtol=1e-3)
    assert model.output_shape(x.shape) == out.shape == (2, 10)
    del model, ref
    gc.collect()


def test_features_builder_and_validation():
    feats = models.make_vgg_features([8, "M", 16, "M"], batch_norm=True, in_channels=1)
    assert [type(m).__name__ for m in feats] == ["Conv2d", "BatchNorm2d", "ReLU", "MaxPool2d", "Conv2d",
                                                 "BatchNorm2d", "ReLU", "MaxPool2d"]
    assert feats.output_shape((2, 1, 16, 16)) == (2, 16, 4, 4)
    with pytest.raises(cg.ConfigError, match="depth"):
        models.make_vgg_features(12)
    with pytest.raises(cg.ConfigError, match="num_classes"):
        models.vgg11(num_classes=0)
    with pytest.raises(cg.ConfigError, match="in_channels"):
        models.vgg16_bn(in_channels=0)
    with pytest.raises(cg.ConfigError, match="features"):
        models.VGG("not a module")
