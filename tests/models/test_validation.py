"""Every model checks num_classes / in_channels / out_channels before building anything."""

from __future__ import annotations

import inspect

import pytest

import chalkgrad as cg
from chalkgrad import models

CLASSIFIERS = [models.lenet5, models.lenet5_relu, models.lenet_digits, models.LeNet5, models.alexnet,
               models.AlexNet, models.vgg11, models.vgg13, models.vgg16, models.vgg19, models.vgg11_bn,
               models.vgg13_bn, models.vgg16_bn, models.vgg19_bn, models.resnet18, models.resnet34, models.nin,
               models.NiN, models.mobilenet_like, models.MobileNetLike, models.fcn, models.FCN, models.segnet,
               models.SegNet]
AUTOENCODERS = [models.ConvAutoencoder, models.DenoisingAutoencoder]


@pytest.mark.parametrize("builder", CLASSIFIERS, ids=lambda b: b.__name__)
@pytest.mark.parametrize("argument", ["num_classes", "in_channels"])
@pytest.mark.parametrize("value", [0, -2, 2.0, "3", True, None])
def test_bad_sizes_raise_config_error_naming_the_argument(builder, argument, value):
    with pytest.raises(cg.ConfigError, match=f"{argument} must be a positive integer") as info:
        builder(**{argument: value})
    assert repr(value) in str(info.value)


@pytest.mark.parametrize("builder", AUTOENCODERS, ids=lambda b: b.__name__)
@pytest.mark.parametrize("argument", ["in_channels", "out_channels"])
def test_autoencoder_sizes(builder, argument):
    with pytest.raises(cg.ConfigError, match=f"{builder.__name__}: {argument}"):
        builder(**{argument: 0})


def test_config_error_is_a_value_error():
    with pytest.raises(ValueError):
        models.resnet18(num_classes=0)


def test_torchvision_positional_order():
    assert list(inspect.signature(models.AlexNet).parameters)[:2] == ["num_classes", "dropout"]
    assert list(inspect.signature(models.VGG).parameters)[:4] == ["features", "num_classes", "init_weights",
                                                                  "dropout"]
    assert list(inspect.signature(models.ResNet).parameters)[:4] == ["block", "layers", "num_classes",
                                                                     "zero_init_residual"]


def test_public_names():
    for name in ["lenet5", "LeNet5", "alexnet", "AlexNet", "vgg11", "vgg13", "vgg16", "vgg19", "vgg11_bn",
                 "vgg13_bn", "vgg16_bn", "vgg19_bn", "VGG", "resnet18", "resnet34", "ResNet", "BasicBlock", "NiN",
                 "DepthwiseSeparableConv", "MobileNetLike", "FCN", "SegNet", "ConvAutoencoder",
                 "DenoisingAutoencoder"]:
        assert name in models.__all__ and name in models.__doc__
        assert getattr(models, name).__doc__
