"""Small segmentation networks: FCN-style (transposed convolutions) and SegNet-style (max-unpooling).

Both map (N, in_channels, H, W) to per-pixel class scores (N, num_classes, H, W); train them
with ``cross_entropy`` on (N, H, W) integer targets.

**FCN** (Long, Shelhamer & Darrell, 2015), a 16s-style net: three conv stages, each halving the
size with a 2x2 max pool (H/2, H/4, H/8); a 1x1 conv scores the H/8 map, a transposed conv
(kernel 4, stride 2, padding 1: out = (h - 1)·2 - 2 + 4 = 2h) upsamples it to H/4, where the
1x1-conv scores of the second stage are added (the skip connection); a transposed conv with
kernel 8, stride 4, padding 2 (out = (h - 1)·4 - 4 + 8 = 4h) brings the sum back to H.
H and W must be multiples of 8. The transposed convs start as bilinear interpolation.

**SegNet** (Badrinarayanan, Kendall & Cipolla, 2015): encoder stages conv-BN-ReLU (x2) then a
2x2 max pool that also returns the indices of the maxima; the decoder mirrors them, each stage
starting with a max-unpool that puts every value back where its maximum came from (zeros
elsewhere), then conv-BN-ReLU; a final 3x3 conv gives the class scores. The pooled sizes are
remembered, so any H, W >= 2^depth work.
"""

from __future__ import annotations

import numpy as np

from .. import nn
from ..errors import ConfigError, ShapeError
from ._utils import (
    as_generator,
    bn_params,
    chain_macs,
    chain_output_shape,
    check_image_shape,
    check_positive_int,
    conv_params,
    conv_transpose_params,
    torch_default_init_,
)

__all__ = ["FCN", "fcn", "SegNet", "segnet", "bilinear_kernel", "fcn_num_parameters", "segnet_num_parameters"]


def bilinear_kernel(channels: int, kernel_size: int) -> np.ndarray:
    """The (channels, channels, k, k) ConvTranspose2d weight that upsamples each channel bilinearly.

    With f = ⌈k/2⌉ and c = (2f - 1 - f mod 2)/(2f), the 2-D filter is
    (1 - |i/f - c|)·(1 - |j/f - c|) for i, j in 0..k-1, placed on the diagonal (channel to itself).
    """
    f = (kernel_size + 1) // 2
    c = (2 * f - 1 - f % 2) / (2.0 * f)
    og = np.arange(kernel_size)
    filt1 = 1 - np.abs(og / f - c)
    filt = np.outer(filt1, filt1)
    w = np.zeros((channels, channels, kernel_size, kernel_size))
    w[np.arange(channels), np.arange(channels)] = filt
    return w


def _conv_relu(c_in: int, c_out: int, batch_norm: bool) -> list:
    layers = [nn.Conv2d(c_in, c_out, kernel_size=3, padding=1, bias=not batch_norm)]
    if batch_norm:
        layers.append(nn.BatchNorm2d(c_out))
    layers.append(nn.ReLU(inplace=True))
    return layers


def _check_widths(model: str, widths, n: int | None = None) -> tuple:
    widths = tuple(widths)
    if not widths or (n is not None and len(widths) != n):
        raise ConfigError(f"{model}: widths must list {n or 'one or more'} stage channel counts, got {widths!r}")
    return tuple(check_positive_int(model, "each entry of widths", w) for w in widths)


class FCN(nn.Module):
    """A small FCN-16s-style segmentation net (see the module docstring).

    Children: ``stage1``, ``stage2``, ``stage3`` (two conv 3x3 + ReLU each, then max pool 2),
    ``score`` (1x1 conv on stage3), ``score_pool2`` (1x1 conv on stage2, the skip),
    ``up2`` (ConvTranspose2d k4 s2 p1) and ``up4`` (ConvTranspose2d k8 s4 p2).

    Args:
        in_channels: image channels (3). num_classes: output channels (21).
        widths: channels of the three stages ((16, 32, 64)).
        generator: Generator or int seed for reproducible initial weights.
    """

    def __init__(self, in_channels: int = 3, num_classes: int = 21, widths=(16, 32, 64), *, generator=None) -> None:
        super().__init__()
        in_channels = check_positive_int("FCN", "in_channels", in_channels)
        num_classes = check_positive_int("FCN", "num_classes", num_classes)
        w1, w2, w3 = _check_widths("FCN", widths, 3)
        self.in_channels, self.num_classes, self.widths = in_channels, num_classes, (w1, w2, w3)
        self.stage1 = nn.Sequential(*_conv_relu(in_channels, w1, False), *_conv_relu(w1, w1, False),
                                    nn.MaxPool2d(2, 2))
        self.stage2 = nn.Sequential(*_conv_relu(w1, w2, False), *_conv_relu(w2, w2, False), nn.MaxPool2d(2, 2))
        self.stage3 = nn.Sequential(*_conv_relu(w2, w3, False), *_conv_relu(w3, w3, False), nn.MaxPool2d(2, 2))
        self.score = nn.Conv2d(w3, num_classes, kernel_size=1)
        self.score_pool2 = nn.Conv2d(w2, num_classes, kernel_size=1)
        self.up2 = nn.ConvTranspose2d(num_classes, num_classes, kernel_size=4, stride=2, padding=1)
        self.up4 = nn.ConvTranspose2d(num_classes, num_classes, kernel_size=8, stride=4, padding=2)
        generator = as_generator(generator)
        if generator is not None:
            torch_default_init_(self, generator)
        for up in (self.up2, self.up4):
            up.weight.data[...] = bilinear_kernel(num_classes, up.weight.shape[-1])
            up.bias.data[...] = 0

    def forward(self, x):
        if x.ndim == 4 and (x.shape[2] % 8 or x.shape[3] % 8):
            self._check(x.shape)  # a clear message instead of a failed addition at the skip
        p2 = self.stage2(self.stage1(x))
        s = self.up2(self.score(self.stage3(p2)))
        return self.up4(s + self.score_pool2(p2))

    def main_path(self) -> list:
        """The layers on the longest path: stage1..3, score, up2, up4 (the skip adds score_pool2 at H/4)."""
        return [*self.stage1, *self.stage2, *self.stage3, self.score, self.up2, self.up4]

    def _check(self, input_shape) -> tuple:
        shape = check_image_shape("FCN", input_shape, self.in_channels)
        if shape[2] % 8 or shape[3] % 8:
            raise ShapeError(f"FCN: height and width must be multiples of 8 (three 2x2 pools, then x2 and x4 "
                             f"upsampling), got an input of shape {shape}")
        return shape

    def output_shape(self, input_shape) -> tuple:
        """(N, in_channels, H, W) -> (N, num_classes, H, W), H and W multiples of 8."""
        return chain_output_shape(self.main_path(), self._check(input_shape))

    def macs(self, input_shape) -> int:
        """MACs of every conv and transposed conv, the skip's 1x1 conv included."""
        shape = self._check(input_shape)
        p2 = chain_output_shape([self.stage1, self.stage2], shape)
        return chain_macs(self.main_path(), shape) + self.score_pool2.macs(p2)


def fcn_num_parameters(in_channels: int = 3, num_classes: int = 21, widths=(16, 32, 64)) -> int:
    """Parameters of :class:`FCN` by arithmetic."""
    w1, w2, w3 = widths
    total = 0
    for a, b in ((in_channels, w1), (w1, w1), (w1, w2), (w2, w2), (w2, w3), (w3, w3)):
        total += conv_params(a, b, 3)
    total += conv_params(w3, num_classes, 1) + conv_params(w2, num_classes, 1)
    return total + conv_transpose_params(num_classes, num_classes, 4) + conv_transpose_params(num_classes,
                                                                                              num_classes, 8)


def fcn(in_channels: int = 3, num_classes: int = 21, **kwargs) -> FCN:
    """The small FCN (see :class:`FCN`)."""
    return FCN(in_channels, num_classes, **kwargs)


class SegNet(nn.Module):
    """A small SegNet: encoder stages with index-returning max pools, a decoder with max-unpooling.

    Children, registered in the order data flows through them (so the summary can chain them):
    ``encoder1``, ``pool1``, ..., ``encoder{d}``, ``pool{d}``, then ``unpool{d}``, ``decoder{d}``, ...,
    ``unpool1``, ``decoder1``, ``classifier``, with d = len(widths). ``encoder{i}`` is conv-BN-ReLU x2
    to widths[i-1] channels; ``pool{i}`` MaxPool2d(2, 2, return_indices=True); ``unpool{i}``
    MaxUnpool2d(2, 2) with the indices of ``pool{i}``; ``decoder{i}`` conv-BN-ReLU x2 from widths[i-1]
    to widths[i-2] (widths[0] for i = 1); ``classifier`` a 3x3 conv to num_classes. The lists
    ``encoders``, ``pools``, ``unpools`` and ``decoders`` give them in stage order 1..d.

    Args:
        in_channels: image channels (3). num_classes: output channels (21).
        widths: channels of the encoder stages ((16, 32, 64)); depth = len(widths).
        generator: Generator or int seed for reproducible initial weights.
    """

    def __init__(self, in_channels: int = 3, num_classes: int = 21, widths=(16, 32, 64), *, generator=None) -> None:
        super().__init__()
        in_channels = check_positive_int("SegNet", "in_channels", in_channels)
        num_classes = check_positive_int("SegNet", "num_classes", num_classes)
        widths = _check_widths("SegNet", widths)
        self.in_channels, self.num_classes, self.widths = in_channels, num_classes, widths
        c = in_channels
        for i, w in enumerate(widths, start=1):
            self.add_module(f"encoder{i}", nn.Sequential(*_conv_relu(c, w, True), *_conv_relu(w, w, True)))
            self.add_module(f"pool{i}", nn.MaxPool2d(2, 2, return_indices=True))
            c = w
        for i in range(len(widths), 0, -1):
            w, out = widths[i - 1], widths[max(i - 2, 0)]
            self.add_module(f"unpool{i}", nn.MaxUnpool2d(2, 2))
            self.add_module(f"decoder{i}", nn.Sequential(*_conv_relu(w, w, True), *_conv_relu(w, out, True)))
        self.classifier = nn.Conv2d(widths[0], num_classes, kernel_size=3, padding=1)
        generator = as_generator(generator)
        if generator is not None:
            torch_default_init_(self, generator)

    def _stage(self, kind: str) -> list:
        return [self._modules[f"{kind}{i}"] for i in range(1, len(self.widths) + 1)]

    @property
    def encoders(self) -> list:
        return self._stage("encoder")

    @property
    def pools(self) -> list:
        return self._stage("pool")

    @property
    def unpools(self) -> list:
        return self._stage("unpool")

    @property
    def decoders(self) -> list:
        return self._stage("decoder")

    def forward(self, x):
        indices, sizes = [], []
        for enc, pool in zip(self.encoders, self.pools):
            x = enc(x)
            sizes.append(tuple(x.shape))
            x, idx = pool(x)
            indices.append(idx)
        for i in reversed(range(len(self.widths))):
            x = self.decoders[i](self.unpools[i](x, indices[i], output_size=sizes[i][2:]))
        return self.classifier(x)

    def main_path(self) -> list:
        """Every layer in the order data flows: encoder stages with their pools, unpools with decoders, classifier."""
        path = []
        for enc, pool in zip(self.encoders, self.pools):
            path.extend([*enc, pool])
        for i in reversed(range(len(self.widths))):
            path.extend([self.unpools[i], *self.decoders[i]])
        return path + [self.classifier]

    def _shapes(self, input_shape):
        """(encoder output shapes before each pool, shape after the last pool) by static arithmetic."""
        shape = check_image_shape("SegNet", input_shape, self.in_channels)
        if min(shape[2:]) < 2 ** len(self.widths):
            raise ShapeError(f"SegNet: {len(self.widths)} 2x2 pools need height and width of at least "
                             f"{2 ** len(self.widths)}, got an input of shape {shape}")
        sizes = []
        for enc in self.encoders:
            shape = enc.output_shape(shape)
            sizes.append(shape)
            shape = shape[:2] + tuple(s // 2 for s in shape[2:])  # 2x2 pool, stride 2, floor
        return sizes, shape

    def output_shape(self, input_shape) -> tuple:
        """(N, in_channels, H, W) -> (N, num_classes, H, W): each unpool restores the size before its pool."""
        sizes, shape = self._shapes(input_shape)
        for i in reversed(range(len(self.widths))):
            shape = self.decoders[i].output_shape(shape[:2] + sizes[i][2:])
        return self.classifier.output_shape(shape)

    def macs(self, input_shape) -> int:
        """MACs of the encoder, decoder and classifier convs (pooling and unpooling count none)."""
        sizes, shape = self._shapes(input_shape)
        total, s_in = 0, tuple(input_shape)
        for enc, size in zip(self.encoders, sizes):
            total += enc.macs(s_in)
            s_in = size[:2] + tuple(v // 2 for v in size[2:])
        for i in reversed(range(len(self.widths))):
            unpooled = shape[:2] + sizes[i][2:]
            total += self.decoders[i].macs(unpooled)
            shape = self.decoders[i].output_shape(unpooled)
        return total + self.classifier.macs(shape)


def segnet_num_parameters(in_channels: int = 3, num_classes: int = 21, widths=(16, 32, 64)) -> int:
    """Parameters of :class:`SegNet` by arithmetic (convs without bias, each followed by a batch norm)."""
    total, c = 0, in_channels
    for w in widths:
        total += conv_params(c, w, 3, bias=False) + conv_params(w, w, 3, bias=False) + 2 * bn_params(w)
        c = w
    for i in range(len(widths)):
        w, out = widths[i], widths[max(i - 1, 0)]
        total += conv_params(w, w, 3, bias=False) + conv_params(w, out, 3, bias=False) + bn_params(w) + bn_params(out)
    return total + conv_params(widths[0], num_classes, 3)


def segnet(in_channels: int = 3, num_classes: int = 21, **kwargs) -> SegNet:
    """The small SegNet (see :class:`SegNet`)."""
    return SegNet(in_channels, num_classes, **kwargs)
