"""ResNet (He et al., 2015) with basic blocks: ResNet18 and ResNet34, in torchvision's layout.

A :class:`BasicBlock` computes y = ReLU(F(x) + S(x)) where the main path is
F = conv3x3(stride) -> BN -> ReLU -> conv3x3 -> BN and the shortcut S is the identity, or a
1x1 conv (stride) -> BN (``downsample``) when the block changes the size or the channels.

ResNet: ``conv1`` 7x7/2 (64) -> ``bn1`` -> ``relu`` -> ``maxpool`` 3x3/2 -> ``layer1`` (64) ->
``layer2`` (128, /2) -> ``layer3`` (256, /2) -> ``layer4`` (512, /2) -> ``avgpool`` (1x1) ->
``flatten`` -> ``fc``. ResNet18 has [2, 2, 2, 2] blocks per stage (11,689,512 parameters at
3 channels and 1000 classes), ResNet34 [3, 4, 6, 3] (21,797,672). The parameter and buffer names
are torchvision's (``layer2.0.downsample.0.weight``, ``layer1.1.bn2.running_var``...), so its
state_dict loads unchanged; ``flatten`` (an nn.Flatten, no parameters) is the only extra child.
Initialization (torchvision's): conv weights N(0, 2/fan_out), batch norm γ = 1, β = 0
(γ = 0 on each block's ``bn2`` with ``zero_init_residual``), ``fc`` the Linear default.

The models have a custom ``forward`` (the residual additions), so they answer the static
questions themselves: ``output_shape`` and ``macs`` (the additions are not multiply-accumulates)
and ``main_path()``, the list of layers on the longest path from input to output.
"""

from __future__ import annotations

from .. import nn
from ..errors import ConfigError, ShapeError
from ._utils import (
    as_generator,
    bn_params,
    chain_macs,
    chain_output_shape,
    check_image_shape,
    check_positive_int,
    compose_receptive_fields,
    conv_params,
    linear_params,
    torch_default_init_,
)

__all__ = ["BasicBlock", "ResNet", "resnet18", "resnet34", "resnet_num_parameters"]


class BasicBlock(nn.Module):
    """The two-conv residual block: y = ReLU(BN(conv(ReLU(BN(conv(x))))) + shortcut(x)).

    It has a residual branch: ``downsample`` (1x1 conv + BN, or None for the identity) carries x
    around the main path conv1 -> bn1 -> relu -> conv2 -> bn2, and the two are added before the
    last ReLU. ``main_path()`` lists the main path's layers; ``receptive_field()`` is the main
    path's (the longer one) with ``"residual": True`` added.

    Args:
        inplanes: input channels. planes: output channels (``expansion`` = 1).
        stride: stride of conv1 (and of the shortcut). downsample: the shortcut module or None.
    Parameters: 9·inplanes·planes + 9·planes² + 4·planes (+ inplanes·planes + 2·planes with a shortcut).
    """

    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample=None) -> None:
        super().__init__()
        inplanes = check_positive_int("BasicBlock", "inplanes", inplanes)
        planes = check_positive_int("BasicBlock", "planes", planes)
        stride = check_positive_int("BasicBlock", "stride", stride)
        if downsample is None and (stride != 1 or inplanes != planes):
            raise ConfigError(f"BasicBlock({inplanes}, {planes}, stride={stride}): the shortcut must match the "
                              "main path, so a block that changes the size or the channels needs a downsample "
                              "module (e.g. 1x1 conv with that stride + BatchNorm2d)")
        self.conv1 = nn.Conv2d(inplanes, planes, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample
        self.stride = stride
        self.inplanes, self.planes = inplanes, planes

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)

    def main_path(self) -> list:
        """The layers of the main (longest) path, in order: conv1, bn1, relu, conv2, bn2, relu."""
        return [self.conv1, self.bn1, self.relu, self.conv2, self.bn2, self.relu]

    def output_shape(self, input_shape) -> tuple:
        """(N, inplanes, H, W) -> (N, planes, H', W') with H' = ⌊(H + 2 - 3)/stride⌋ + 1 (same for W)."""
        shape = check_image_shape(f"BasicBlock({self.inplanes}, {self.planes})", input_shape, self.inplanes)
        main = chain_output_shape(self.main_path()[:-1], shape)
        short = shape if self.downsample is None else self.downsample.output_shape(shape)
        if main != short:
            raise ShapeError(f"BasicBlock({self.inplanes}, {self.planes}, stride={self.stride}): the main path "
                             f"gives {main} but the shortcut gives {short} for an input of shape {shape}")
        return main

    def macs(self, input_shape) -> int:
        """MACs of conv1 + conv2 (+ the 1x1 shortcut conv); the addition is not counted."""
        self.output_shape(input_shape)
        total = chain_macs(self.main_path(), input_shape)
        if self.downsample is not None:
            total += self.downsample.macs(tuple(input_shape))
        return total

    def receptive_field(self):
        """The main path's field (two 3x3 convs: kernel 3 + 2·stride, padding 1 + stride), marked residual."""
        rf = compose_receptive_fields(self.main_path())
        return {**rf, "residual": True}


class ResNet(nn.Module):
    """ResNet with basic blocks (torchvision's layout; see the module docstring).

    Args (torchvision's order; ``in_channels`` and ``generator`` are keyword-only):
        block: the block class (:class:`BasicBlock`).
        layers: blocks per stage, e.g. [2, 2, 2, 2] for ResNet18.
        num_classes: outputs of ``fc`` (1000).
        zero_init_residual: start each block's ``bn2`` at γ = 0, so every block begins as the identity.
        in_channels: image channels (3).
        generator: Generator or int seed for reproducible initial weights.

    Input (N, in_channels, H, W) with H, W >= 1 (32 or more is sensible); output (N, num_classes).
    """

    def __init__(self, block=BasicBlock, layers=(2, 2, 2, 2), num_classes: int = 1000,
                 zero_init_residual: bool = False, *, in_channels: int = 3, generator=None) -> None:
        super().__init__()
        num_classes = check_positive_int("ResNet", "num_classes", num_classes)
        in_channels = check_positive_int("ResNet", "in_channels", in_channels)
        layers = list(layers)
        if len(layers) != 4:
            raise ConfigError(f"ResNet: layers must give the number of blocks of the 4 stages, got {layers!r}")
        for n in layers:
            check_positive_int("ResNet", "each entry of layers", n)
        generator = as_generator(generator)
        self.num_classes, self.in_channels, self.inplanes = num_classes, in_channels, 64
        self.conv1 = nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2)
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2)
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.flatten = nn.Flatten(1)
        self.fc = nn.Linear(512 * block.expansion, num_classes)

        init = nn.init
        if generator is not None:
            torch_default_init_(self.fc, generator)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu", generator=generator)
            elif isinstance(m, nn.BatchNorm2d):
                init.ones_(m.weight)
                init.zeros_(m.bias)
        if zero_init_residual:
            for m in self.modules():
                if isinstance(m, BasicBlock):
                    init.zeros_(m.bn2.weight)

    def _make_layer(self, block, planes: int, blocks: int, stride: int = 1) -> nn.Sequential:
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                nn.Conv2d(self.inplanes, planes * block.expansion, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(planes * block.expansion),
            )
        layers = [block(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes))
        return nn.Sequential(*layers)

    def _stages(self) -> list:
        return [self.conv1, self.bn1, self.relu, self.maxpool, self.layer1, self.layer2, self.layer3,
                self.layer4, self.avgpool, self.flatten, self.fc]

    def forward(self, x):
        for m in self._stages():
            x = m(x)
        return x

    def main_path(self) -> list:
        """The layers on the longest path: the stem, each block's main path, avgpool, flatten, fc."""
        path = [self.conv1, self.bn1, self.relu, self.maxpool]
        for stage in (self.layer1, self.layer2, self.layer3, self.layer4):
            for blk in stage:
                path.extend(blk.main_path())
        return path + [self.avgpool, self.flatten, self.fc]

    def output_shape(self, input_shape) -> tuple:
        """(N, in_channels, H, W) -> (N, num_classes)."""
        shape = check_image_shape("ResNet", input_shape, self.in_channels)
        return chain_output_shape(self._stages(), shape)

    def macs(self, input_shape) -> int:
        """Sum of the convs' and fc's MACs (shortcut 1x1 convs included, additions not)."""
        shape = check_image_shape("ResNet", input_shape, self.in_channels)
        return chain_macs(self._stages(), shape)


_DEPTHS = {18: (2, 2, 2, 2), 34: (3, 4, 6, 3)}


def resnet_num_parameters(layers=(2, 2, 2, 2), num_classes: int = 1000, in_channels: int = 3) -> int:
    """Parameters of a basic-block ResNet by arithmetic (11,689,512 for ResNet18, 21,797,672 for ResNet34).

    ``layers`` is the number of blocks per stage, or the depth 18 or 34.
    """
    if isinstance(layers, int) and not isinstance(layers, bool):
        if layers not in _DEPTHS:
            from ..errors import ConfigError

            raise ConfigError(f"resnet_num_parameters: depth {layers} is not a basic-block ResNet; "
                              f"expected 18 or 34, or blocks per stage such as (2, 2, 2, 2)")
        layers = _DEPTHS[layers]
    total = conv_params(in_channels, 64, 7, bias=False) + bn_params(64)
    inplanes = 64
    for planes, n, stride in zip((64, 128, 256, 512), layers, (1, 2, 2, 2)):
        for i in range(n):
            c_in = inplanes if i == 0 else planes
            total += conv_params(c_in, planes, 3, bias=False) + bn_params(planes)
            total += conv_params(planes, planes, 3, bias=False) + bn_params(planes)
            if i == 0 and (stride != 1 or inplanes != planes):
                total += conv_params(inplanes, planes, 1, bias=False) + bn_params(planes)
        inplanes = planes
    return total + linear_params(512, num_classes)


def resnet18(num_classes: int = 1000, in_channels: int = 3, **kwargs) -> ResNet:
    """ResNet18: basic blocks [2, 2, 2, 2] (11,689,512 parameters at 3 channels, 1000 classes)."""
    return ResNet(BasicBlock, [2, 2, 2, 2], num_classes, in_channels=in_channels, **kwargs)


def resnet34(num_classes: int = 1000, in_channels: int = 3, **kwargs) -> ResNet:
    """ResNet34: basic blocks [3, 4, 6, 3] (21,797,672 parameters at 3 channels, 1000 classes)."""
    return ResNet(BasicBlock, [3, 4, 6, 3], num_classes, in_channels=in_channels, **kwargs)
