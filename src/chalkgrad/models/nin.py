"""Network in Network (Lin, Chen & Yan, 2013).

An NiN block is a k x k convolution followed by two 1x1 convolutions, each with a ReLU: the
1x1 convs act as a small MLP applied at every position ("mlpconv"). The network replaces the
fully connected classifier by a last block with ``num_classes`` channels and global average
pooling, so it has no Linear layer at all::

    block(96, 11x11/4) -> max 3/2 -> block(256, 5x5 pad 2) -> max 3/2 -> block(384, 3x3 pad 1)
    -> max 3/2 -> dropout -> block(num_classes, 3x3 pad 1) -> global average pool -> flatten

Parameters of a block (c_in -> c, k x k): c·c_in·k² + c + 2·(c² + c).
Inputs must be at least 67x67 (224x224 in the original ImageNet setting).
"""

from __future__ import annotations

from collections import OrderedDict

from .. import nn
from ..errors import ConfigError
from ._utils import as_generator, check_positive_int, check_probability, conv_params, torch_default_init_

__all__ = ["NiNBlock", "NiN", "nin", "nin_num_parameters"]


class NiNBlock(nn.Sequential):
    """conv k x k -> ReLU -> conv 1x1 -> ReLU -> conv 1x1 -> ReLU (keys 0..5, as a plain Sequential)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
                 padding: int = 0) -> None:
        in_channels = check_positive_int("NiNBlock", "in_channels", in_channels)
        out_channels = check_positive_int("NiNBlock", "out_channels", out_channels)
        super().__init__(
            nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride, padding=padding), nn.ReLU(),
            nn.Conv2d(out_channels, out_channels, kernel_size=1), nn.ReLU(),
            nn.Conv2d(out_channels, out_channels, kernel_size=1), nn.ReLU(),
        )


def _check_widths(widths) -> tuple:
    widths = tuple(widths)
    if len(widths) != 3:
        raise ConfigError(f"NiN: widths must give the channels of the first three blocks, got {widths!r}")
    return tuple(check_positive_int("NiN", "each entry of widths", w) for w in widths)


class NiN(nn.Sequential):
    """Network in Network: ``features`` (four NiN blocks with max pools and dropout), ``avgpool``, ``flatten``.

    Args:
        num_classes: channels of the last block = outputs (1000). in_channels: image channels (3).
        dropout: probability of the dropout before the last block (0.5).
        widths: channels of the first three blocks ((96, 256, 384)); smaller for quick experiments.
        generator: Generator or int seed for reproducible initial weights.

    Input (N, in_channels, H, W) with H, W >= 67; output (N, num_classes).
    """

    def __init__(self, num_classes: int = 1000, in_channels: int = 3, dropout: float = 0.5, *,
                 widths=(96, 256, 384), generator=None) -> None:
        num_classes = check_positive_int("NiN", "num_classes", num_classes)
        in_channels = check_positive_int("NiN", "in_channels", in_channels)
        dropout = check_probability("NiN", "dropout", dropout)
        w1, w2, w3 = _check_widths(widths)
        super().__init__(OrderedDict([
            ("features", nn.Sequential(
                NiNBlock(in_channels, w1, 11, stride=4), nn.MaxPool2d(3, stride=2),
                NiNBlock(w1, w2, 5, padding=2), nn.MaxPool2d(3, stride=2),
                NiNBlock(w2, w3, 3, padding=1), nn.MaxPool2d(3, stride=2),
                nn.Dropout(dropout),
                NiNBlock(w3, num_classes, 3, padding=1),
            )),
            ("avgpool", nn.AdaptiveAvgPool2d((1, 1))),
            ("flatten", nn.Flatten(1)),
        ]))
        self.num_classes, self.in_channels, self.widths = num_classes, in_channels, (w1, w2, w3)
        generator = as_generator(generator)
        if generator is not None:
            torch_default_init_(self, generator)


def nin_num_parameters(num_classes: int = 1000, in_channels: int = 3, widths=(96, 256, 384)) -> int:
    """Parameters of NiN by arithmetic: Σ over blocks of c·c_in·k² + c + 2·(c² + c)."""
    total, c_in = 0, in_channels
    for c, k in zip(tuple(widths) + (num_classes,), (11, 5, 3, 3)):
        total += conv_params(c_in, c, k) + 2 * conv_params(c, c, 1)
        c_in = c
    return total


def nin(num_classes: int = 1000, in_channels: int = 3, **kwargs) -> NiN:
    """Network in Network (see :class:`NiN`)."""
    return NiN(num_classes, in_channels, **kwargs)
