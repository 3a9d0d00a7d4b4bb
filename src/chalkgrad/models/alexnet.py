"""AlexNet (Krizhevsky et al., 2012) in torchvision's single-tower layout.

    features   conv 11x11/4 pad 2, 64 -> ReLU -> max 3/2
               conv 5x5 pad 2, 192 -> ReLU -> max 3/2
               conv 3x3 pad 1, 384 -> ReLU -> conv 3x3, 256 -> ReLU -> conv 3x3, 256 -> ReLU -> max 3/2
    avgpool    adaptive average pool to 6x6 (any input of at least 63x63 works)
    flatten    256·6·6 = 9216
    classifier dropout -> linear 9216 -> 4096 -> ReLU -> dropout -> linear 4096 -> 4096 -> ReLU
               -> linear 4096 -> num_classes

Parameters at 3 channels and 1000 classes: 2,469,696 in ``features`` + 58,631,144 in
``classifier`` = 61,100,840. The state_dict keys are torchvision's (``features.0.weight``,
``classifier.1.weight``, ...). Initialization is the layers' default (as torchvision).
"""

from __future__ import annotations

from collections import OrderedDict

from .. import nn
from ._utils import (
    as_generator,
    check_positive_int,
    check_probability,
    conv_params,
    linear_params,
    torch_default_init_,
)

__all__ = ["AlexNet", "alexnet", "alexnet_num_parameters"]


class AlexNet(nn.Sequential):
    """AlexNet: ``features``, ``avgpool`` (6x6), ``flatten``, ``classifier``.

    Args (torchvision's order; ``in_channels`` is keyword-only):
        num_classes: outputs (1000).
        dropout: probability of the two dropout layers (0.5).
        in_channels: image channels (3).
        generator: Generator or int seed for reproducible initial weights (torch's default init).

    Input (N, in_channels, H, W) with H, W >= 63; output (N, num_classes).
    """

    def __init__(self, num_classes: int = 1000, dropout: float = 0.5, *, in_channels: int = 3,
                 generator=None) -> None:
        num_classes = check_positive_int("AlexNet", "num_classes", num_classes)
        in_channels = check_positive_int("AlexNet", "in_channels", in_channels)
        dropout = check_probability("AlexNet", "dropout", dropout)
        super().__init__(OrderedDict([
            ("features", nn.Sequential(
                nn.Conv2d(in_channels, 64, kernel_size=11, stride=4, padding=2), nn.ReLU(inplace=True),
                nn.MaxPool2d(kernel_size=3, stride=2),
                nn.Conv2d(64, 192, kernel_size=5, padding=2), nn.ReLU(inplace=True),
                nn.MaxPool2d(kernel_size=3, stride=2),
                nn.Conv2d(192, 384, kernel_size=3, padding=1), nn.ReLU(inplace=True),
                nn.Conv2d(384, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
                nn.Conv2d(256, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
                nn.MaxPool2d(kernel_size=3, stride=2),
            )),
            ("avgpool", nn.AdaptiveAvgPool2d((6, 6))),
            ("flatten", nn.Flatten(1)),
            ("classifier", nn.Sequential(
                nn.Dropout(p=dropout), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(inplace=True),
                nn.Dropout(p=dropout), nn.Linear(4096, 4096), nn.ReLU(inplace=True),
                nn.Linear(4096, num_classes),
            )),
        ]))
        self.num_classes, self.in_channels = num_classes, in_channels
        generator = as_generator(generator)
        if generator is not None:
            torch_default_init_(self, generator)


def alexnet_num_parameters(num_classes: int = 1000, in_channels: int = 3) -> int:
    """Parameters of AlexNet by arithmetic (61,100,840 at 3 channels, 1000 classes)."""
    features = (conv_params(in_channels, 64, 11) + conv_params(64, 192, 5) + conv_params(192, 384, 3)
                + conv_params(384, 256, 3) + conv_params(256, 256, 3))
    classifier = linear_params(9216, 4096) + linear_params(4096, 4096) + linear_params(4096, num_classes)
    return features + classifier


def alexnet(num_classes: int = 1000, in_channels: int = 3, **kwargs) -> AlexNet:
    """AlexNet in torchvision's layout (see :class:`AlexNet`)."""
    return AlexNet(num_classes, in_channels=in_channels, **kwargs)
