"""LeNet-5 (LeCun et al., 1998) and a small LeNet for 8x8 digits.

Classic LeNet-5 on a 1x32x32 image (tanh, average pooling)::

    C1 conv 5x5, 6 maps     1x32x32 -> 6x28x28     6·(1·25) + 6      =    156
    S2 avg pool 2x2         6x28x28 -> 6x14x14
    C3 conv 5x5, 16 maps    6x14x14 -> 16x10x10    16·(6·25) + 16    =  2,416
    S4 avg pool 2x2         16x10x10 -> 16x5x5
    C5 conv 5x5, 120 maps   16x5x5 -> 120x1x1      120·(16·25) + 120 = 48,120
    F6 linear 120 -> 84                            84·120 + 84       = 10,164
    output linear 84 -> 10                         10·84 + 10        =    850
                                                   total               61,706

C5 is written as a convolution (as in the paper); on a 5x5 map it is the same as a
Linear(400, 120) after flattening, with the same 48,120 parameters.
The MNIST course variant takes 1x28x28 images with ``padding=2`` on C1 (28 + 2·2 = 32).
``activation="relu", pooling="max"`` gives the modern variant.
"""

from __future__ import annotations

from collections import OrderedDict

from .. import nn
from ..errors import ConfigError
from ._utils import as_generator, check_positive_int, conv_params, linear_params, torch_default_init_

__all__ = ["LeNet5", "lenet5", "lenet5_relu", "LeNetDigits", "lenet_digits", "lenet5_num_parameters"]

_ACTIVATIONS = {"tanh": "Tanh", "relu": "ReLU", "sigmoid": "Sigmoid"}
_POOLS = {"avg": "AvgPool2d", "max": "MaxPool2d"}


def _activation(model: str, name: str):
    if name not in _ACTIVATIONS:
        raise ConfigError(f"{model}: activation must be one of {sorted(_ACTIVATIONS)}, got {name!r}")
    return getattr(nn, _ACTIVATIONS[name])()


def _pool(model: str, name: str):
    if name not in _POOLS:
        raise ConfigError(f"{model}: pooling must be one of {sorted(_POOLS)}, got {name!r}")
    return getattr(nn, _POOLS[name])(kernel_size=2, stride=2)


class LeNet5(nn.Sequential):
    """LeNet-5: ``features`` (C1, S2, C3, S4, C5), ``flatten``, ``classifier`` (F6, output).

    Args:
        num_classes: outputs of the last layer (10).
        in_channels: image channels (1).
        activation: "tanh" (classic), "relu" or "sigmoid".
        pooling: "avg" (classic, the subsampling layers) or "max".
        padding: zero padding of C1: 0 for 32x32 inputs, 2 for 28x28 (MNIST).
        generator: a chalkgrad Generator or int seed for reproducible initial weights
            (torch's default init); without one the layers draw from the default generator.

    Input (N, in_channels, 32, 32) (or 28x28 with padding=2); output (N, num_classes).
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 1, *, activation: str = "tanh",
                 pooling: str = "avg", padding: int = 0, generator=None) -> None:
        num_classes = check_positive_int("LeNet5", "num_classes", num_classes)
        in_channels = check_positive_int("LeNet5", "in_channels", in_channels)
        if isinstance(padding, bool) or not isinstance(padding, int) or padding < 0:
            raise ConfigError(f"LeNet5: padding must be a non-negative integer, got {padding!r}")
        act = activation
        super().__init__(OrderedDict([
            ("features", nn.Sequential(
                nn.Conv2d(in_channels, 6, kernel_size=5, padding=padding), _activation("LeNet5", act),
                _pool("LeNet5", pooling),
                nn.Conv2d(6, 16, kernel_size=5), _activation("LeNet5", act), _pool("LeNet5", pooling),
                nn.Conv2d(16, 120, kernel_size=5), _activation("LeNet5", act),
            )),
            ("flatten", nn.Flatten(1)),
            ("classifier", nn.Sequential(
                nn.Linear(120, 84), _activation("LeNet5", act), nn.Linear(84, num_classes),
            )),
        ]))
        self.num_classes, self.in_channels = num_classes, in_channels
        self.activation, self.pooling, self.padding = activation, pooling, padding
        generator = as_generator(generator)
        if generator is not None:
            torch_default_init_(self, generator)


def lenet5_num_parameters(num_classes: int = 10, in_channels: int = 1) -> int:
    """Parameters of LeNet-5 by arithmetic: C1 + C3 + C5 + F6 + output (61,706 for 1 channel, 10 classes)."""
    return (conv_params(in_channels, 6, 5) + conv_params(6, 16, 5) + conv_params(16, 120, 5)
            + linear_params(120, 84) + linear_params(84, num_classes))


def lenet5(num_classes: int = 10, in_channels: int = 1, **kwargs) -> LeNet5:
    """Classic LeNet-5 (tanh, average pooling) for 1x32x32 inputs; ``padding=2`` for 28x28."""
    return LeNet5(num_classes, in_channels, **kwargs)


def lenet5_relu(num_classes: int = 10, in_channels: int = 1, **kwargs) -> LeNet5:
    """LeNet-5 with ReLU and max pooling (the usual modern variant)."""
    return LeNet5(num_classes, in_channels, activation="relu", pooling="max", **kwargs)


class LeNetDigits(nn.Sequential):
    """LeNet's 6-16-120-84 pattern for tiny 8x8 images (scikit-learn's digits).

    An 8x8 image is too small for two 5x5 convs and two poolings, so the convs are 3x3 with
    padding 1 (size kept) and only the second is followed by a 2x2 max pool:
    conv 6 maps -> ReLU -> conv 16 maps -> ReLU -> max pool (8x8 -> 4x4) -> flatten (16·4·4 = 256)
    -> linear 120 -> ReLU -> linear 84 -> ReLU -> linear num_classes.
    Parameters (1 channel, 10 classes): 60 + 880 + 30,840 + 10,164 + 850 = 42,794.
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 1, *, generator=None) -> None:
        num_classes = check_positive_int("LeNetDigits", "num_classes", num_classes)
        in_channels = check_positive_int("LeNetDigits", "in_channels", in_channels)
        super().__init__(OrderedDict([
            ("features", nn.Sequential(
                nn.Conv2d(in_channels, 6, kernel_size=3, padding=1), nn.ReLU(),
                nn.Conv2d(6, 16, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2),
            )),
            ("flatten", nn.Flatten(1)),
            ("classifier", nn.Sequential(nn.Linear(256, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                                         nn.Linear(84, num_classes))),
        ]))
        self.num_classes, self.in_channels = num_classes, in_channels
        generator = as_generator(generator)
        if generator is not None:
            torch_default_init_(self, generator)


def lenet_digits(num_classes: int = 10, in_channels: int = 1, **kwargs) -> LeNetDigits:
    """The small LeNet for 8x8 inputs (see :class:`LeNetDigits`)."""
    return LeNetDigits(num_classes, in_channels, **kwargs)
