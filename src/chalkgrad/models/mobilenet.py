"""Depthwise-separable convolutions (MobileNet, Howard et al., 2017) and a small MobileNet-like net.

A standard k x k conv from C to C' channels on an H' x W' output costs H'·W'·C·C'·k² MACs and
holds C'·C·k² weights. The depthwise-separable version splits it in two:

* depthwise: one k x k filter per input channel (``groups=C``): H'·W'·C·k² MACs, C·k² weights;
* pointwise: a 1x1 conv mixing channels: H'·W'·C·C' MACs, C·C' weights;

so the cost ratio is (C·k² + C·C')/(C·C'·k²) = 1/C' + 1/k² (about 1/8 to 1/9 for k = 3).
Each conv is followed by BatchNorm2d and ReLU, and has no bias (the batch norm's β plays its part).
"""

from __future__ import annotations

from collections import OrderedDict

from .. import nn
from ..errors import ConfigError
from ._utils import (
    as_generator,
    bn_params,
    check_positive_int,
    check_probability,
    conv_params,
    linear_params,
    torch_default_init_,
)

__all__ = ["DepthwiseSeparableConv", "MobileNetLike", "mobilenet_like", "MOBILENET_LIKE_CONFIG",
           "mobilenet_like_num_parameters"]


class DepthwiseSeparableConv(nn.Sequential):
    """depthwise 3x3 (stride, groups=in) -> BN -> ReLU -> pointwise 1x1 -> BN -> ReLU.

    Children: ``depthwise``, ``bn1``, ``relu1``, ``pointwise``, ``bn2``, ``relu2``.
    Parameters: C·k² + 2·C + C·C' + 2·C'. Output (N, C', ⌊(H + 2p - k)/s⌋ + 1, same for W), p = k // 2.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1, kernel_size: int = 3) -> None:
        in_channels = check_positive_int("DepthwiseSeparableConv", "in_channels", in_channels)
        out_channels = check_positive_int("DepthwiseSeparableConv", "out_channels", out_channels)
        stride = check_positive_int("DepthwiseSeparableConv", "stride", stride)
        kernel_size = check_positive_int("DepthwiseSeparableConv", "kernel_size", kernel_size)
        super().__init__(OrderedDict([
            ("depthwise", nn.Conv2d(in_channels, in_channels, kernel_size, stride=stride, padding=kernel_size // 2,
                                    groups=in_channels, bias=False)),
            ("bn1", nn.BatchNorm2d(in_channels)),
            ("relu1", nn.ReLU(inplace=True)),
            ("pointwise", nn.Conv2d(in_channels, out_channels, kernel_size=1, bias=False)),
            ("bn2", nn.BatchNorm2d(out_channels)),
            ("relu2", nn.ReLU(inplace=True)),
        ]))
        self.in_channels, self.out_channels, self.stride, self.kernel_size = (
            in_channels, out_channels, stride, kernel_size)


#: (output channels, stride) of each depthwise-separable block of :class:`MobileNetLike` (before width_mult).
MOBILENET_LIKE_CONFIG = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2))


def _scaled(c: int, width_mult: float) -> int:
    return max(1, int(round(c * width_mult)))


class MobileNetLike(nn.Sequential):
    """A small MobileNet: stem conv 3x3/2 (32) -> BN -> ReLU, depthwise-separable blocks, pooling, linear.

    ``features``: the stem then one :class:`DepthwiseSeparableConv` per entry of ``config``
    ((channels, stride) pairs, :data:`MOBILENET_LIKE_CONFIG` by default: six blocks, 64 to 512
    channels, overall stride 16); ``avgpool`` (global), ``flatten``, ``dropout``, ``classifier``.

    Args:
        num_classes: outputs (1000). in_channels: image channels (3).
        width_mult: multiplies every channel count (MobileNet's α), e.g. 0.25 for a tiny net.
        dropout: probability before the classifier (0.2). config: the block list.
        generator: Generator or int seed for reproducible initial weights.
    """

    def __init__(self, num_classes: int = 1000, in_channels: int = 3, width_mult: float = 1.0,
                 dropout: float = 0.2, *, config=MOBILENET_LIKE_CONFIG, generator=None) -> None:
        num_classes = check_positive_int("MobileNetLike", "num_classes", num_classes)
        in_channels = check_positive_int("MobileNetLike", "in_channels", in_channels)
        dropout = check_probability("MobileNetLike", "dropout", dropout)
        if isinstance(width_mult, bool) or not isinstance(width_mult, (int, float)) or not width_mult > 0:
            raise ConfigError(f"MobileNetLike: width_mult must be a positive number, got {width_mult!r}")
        config = tuple((int(c), int(s)) for c, s in config)
        if not config:
            raise ConfigError("MobileNetLike: config must list at least one (channels, stride) block")
        c = _scaled(32, width_mult)
        layers = [nn.Conv2d(in_channels, c, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(c),
                  nn.ReLU(inplace=True)]
        for out, stride in config:
            out = _scaled(out, width_mult)
            layers.append(DepthwiseSeparableConv(c, out, stride))
            c = out
        super().__init__(OrderedDict([
            ("features", nn.Sequential(*layers)),
            ("avgpool", nn.AdaptiveAvgPool2d((1, 1))),
            ("flatten", nn.Flatten(1)),
            ("dropout", nn.Dropout(dropout)),
            ("classifier", nn.Linear(c, num_classes)),
        ]))
        self.num_classes, self.in_channels, self.width_mult, self.config = num_classes, in_channels, width_mult, config
        generator = as_generator(generator)
        if generator is not None:
            torch_default_init_(self, generator)


def mobilenet_like_num_parameters(num_classes: int = 1000, in_channels: int = 3, width_mult: float = 1.0,
                                  config=MOBILENET_LIKE_CONFIG) -> int:
    """Parameters of :class:`MobileNetLike` by arithmetic (stem + blocks + classifier)."""
    c = _scaled(32, width_mult)
    total = conv_params(in_channels, c, 3, bias=False) + bn_params(c)
    for out, _ in config:
        out = _scaled(out, width_mult)
        total += conv_params(c, c, 3, bias=False, groups=c) + bn_params(c)
        total += conv_params(c, out, 1, bias=False) + bn_params(out)
        c = out
    return total + linear_params(c, num_classes)


def mobilenet_like(num_classes: int = 1000, in_channels: int = 3, **kwargs) -> MobileNetLike:
    """The small MobileNet-like network (see :class:`MobileNetLike`)."""
    return MobileNetLike(num_classes, in_channels, **kwargs)
