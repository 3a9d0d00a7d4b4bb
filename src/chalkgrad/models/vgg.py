"""VGG (Simonyan & Zisserman, 2014) in torchvision's layout: VGG11/13/16/19, with or without batch norm.

``features`` stacks 3x3 convolutions (padding 1, so the size is kept) and 2x2 max pools
(halving it) following a configuration, e.g. VGG16 ("D")::

    64 64 M 128 128 M 256 256 256 M 512 512 512 M 512 512 512 M

each number a conv with that many output channels followed by ReLU (conv -> BatchNorm2d -> ReLU
with batch norm), M a max pool. ``avgpool`` adapts the map to 7x7, then ``classifier`` is
linear 25088 -> 4096 -> ReLU -> dropout -> 4096 -> 4096 -> ReLU -> dropout -> 4096 -> num_classes.

Parameters at 3 channels and 1000 classes: VGG11 132,863,336; VGG13 133,047,848;
VGG16 138,357,544; VGG19 143,667,240; each ``_bn`` variant adds 2 per conv channel
(VGG16_bn 138,365,992). The classifier alone holds 123,642,856 of them.
Initialization (torchvision's): conv weights N(0, 2/fan_out) (kaiming_normal_, mode fan_out),
conv biases 0; batch norm γ = 1, β = 0; linear weights N(0, 0.01²), biases 0.
"""

from __future__ import annotations

from collections import OrderedDict

from .. import nn
from ..errors import ConfigError
from ._utils import as_generator, bn_params, check_positive_int, check_probability, conv_params, linear_params

__all__ = [
    "VGG", "VGG_CONFIGS", "make_vgg_features", "vgg_num_parameters",
    "vgg11", "vgg13", "vgg16", "vgg19", "vgg11_bn", "vgg13_bn", "vgg16_bn", "vgg19_bn",
]

#: Layer configurations by depth: output channels of each 3x3 conv, "M" for a 2x2 max pool.
VGG_CONFIGS = {
    11: (64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"),
    13: (64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"),
    16: (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"),
    19: (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
         512, 512, 512, 512, "M"),
}


def _config(depth) -> tuple:
    if depth not in VGG_CONFIGS:
        raise ConfigError(f"VGG: depth must be one of {sorted(VGG_CONFIGS)}, got {depth!r}")
    return VGG_CONFIGS[depth]


def make_vgg_features(config, batch_norm: bool = False, in_channels: int = 3) -> nn.Sequential:
    """The ``features`` Sequential for a configuration (a depth 11/13/16/19 or a list like VGG_CONFIGS')."""
    config = _config(config) if isinstance(config, int) else tuple(config)
    in_channels = check_positive_int("VGG", "in_channels", in_channels)
    layers, c = [], in_channels
    for v in config:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            continue
        v = check_positive_int("VGG", "a configuration entry", v)
        layers.append(nn.Conv2d(c, v, kernel_size=3, padding=1))
        if batch_norm:
            layers.append(nn.BatchNorm2d(v))
        layers.append(nn.ReLU(inplace=True))
        c = v
    return nn.Sequential(*layers)


class VGG(nn.Sequential):
    """VGG: ``features`` (given), ``avgpool`` (7x7), ``flatten``, ``classifier``.

    Args:
        features: the convolutional part (from :func:`make_vgg_features`); it must end with 512 channels.
        num_classes: outputs (1000).
        init_weights: apply torchvision's initialization (see the module docstring); False keeps
            the layers' own defaults (faster to build, e.g. before loading a state_dict).
        dropout: probability of the two dropout layers (0.5).
        generator: Generator or int seed for the initialization (with ``init_weights``).

    Input (N, C, H, W) with H, W >= 32; output (N, num_classes).
    """

    def __init__(self, features, num_classes: int = 1000, init_weights: bool = True, dropout: float = 0.5, *,
                 generator=None) -> None:
        num_classes = check_positive_int("VGG", "num_classes", num_classes)
        dropout = check_probability("VGG", "dropout", dropout)
        if not isinstance(features, nn.Module):
            raise ConfigError(f"VGG: features must be a Module (see make_vgg_features), got {type(features).__name__}")
        super().__init__(OrderedDict([
            ("features", features),
            ("avgpool", nn.AdaptiveAvgPool2d((7, 7))),
            ("flatten", nn.Flatten(1)),
            ("classifier", nn.Sequential(
                nn.Linear(512 * 7 * 7, 4096), nn.ReLU(inplace=True), nn.Dropout(p=dropout),
                nn.Linear(4096, 4096), nn.ReLU(inplace=True), nn.Dropout(p=dropout),
                nn.Linear(4096, num_classes),
            )),
        ]))
        self.num_classes = num_classes
        if init_weights:
            self._init_weights(as_generator(generator))

    def _init_weights(self, generator) -> None:
        init = nn.init
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu", generator=generator)
                if m.bias is not None:
                    init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                init.ones_(m.weight)
                init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                init.normal_(m.weight, 0.0, 0.01, generator=generator)
                init.zeros_(m.bias)


def vgg_num_parameters(depth: int = 16, batch_norm: bool = False, num_classes: int = 1000,
                       in_channels: int = 3) -> int:
    """Parameters of a VGG by arithmetic: Σ convs (+ 2·c per batch norm) + the three linear layers."""
    total, c = 0, in_channels
    for v in _config(depth):
        if v == "M":
            continue
        total += conv_params(c, v, 3) + (bn_params(v) if batch_norm else 0)
        c = v
    return total + linear_params(512 * 7 * 7, 4096) + linear_params(4096, 4096) + linear_params(4096, num_classes)


def _vgg(depth: int, batch_norm: bool, num_classes: int, in_channels: int, **kwargs) -> VGG:
    num_classes = check_positive_int("VGG", "num_classes", num_classes)
    in_channels = check_positive_int("VGG", "in_channels", in_channels)
    model = VGG(make_vgg_features(depth, batch_norm, in_channels), num_classes, **kwargs)
    model.in_channels = in_channels
    return model


def vgg11(num_classes: int = 1000, in_channels: int = 3, **kwargs) -> VGG:
    """VGG11 (configuration "A"): 8 convs + 3 linear layers."""
    return _vgg(11, False, num_classes, in_channels, **kwargs)


def vgg13(num_classes: int = 1000, in_channels: int = 3, **kwargs) -> VGG:
    """VGG13 (configuration "B"): 10 convs + 3 linear layers."""
    return _vgg(13, False, num_classes, in_channels, **kwargs)


def vgg16(num_classes: int = 1000, in_channels: int = 3, **kwargs) -> VGG:
    """VGG16 (configuration "D"): 13 convs + 3 linear layers (138,357,544 parameters)."""
    return _vgg(16, False, num_classes, in_channels, **kwargs)


def vgg19(num_classes: int = 1000, in_channels: int = 3, **kwargs) -> VGG:
    """VGG19 (configuration "E"): 16 convs + 3 linear layers."""
    return _vgg(19, False, num_classes, in_channels, **kwargs)


def vgg11_bn(num_classes: int = 1000, in_channels: int = 3, **kwargs) -> VGG:
    """VGG11 with a BatchNorm2d after every conv."""
    return _vgg(11, True, num_classes, in_channels, **kwargs)


def vgg13_bn(num_classes: int = 1000, in_channels: int = 3, **kwargs) -> VGG:
    """VGG13 with a BatchNorm2d after every conv."""
    return _vgg(13, True, num_classes, in_channels, **kwargs)


def vgg16_bn(num_classes: int = 1000, in_channels: int = 3, **kwargs) -> VGG:
    """VGG16 with a BatchNorm2d after every conv (138,365,992 parameters)."""
    return _vgg(16, True, num_classes, in_channels, **kwargs)


def vgg19_bn(num_classes: int = 1000, in_channels: int = 3, **kwargs) -> VGG:
    """VGG19 with a BatchNorm2d after every conv."""
    return _vgg(19, True, num_classes, in_channels, **kwargs)
