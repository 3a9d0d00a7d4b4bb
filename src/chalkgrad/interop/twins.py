"""torch.nn twins of the zoo's blocks and models that have their own ``forward``.

A twin has no constructor arguments: :func:`chalkgrad.interop.to_torch` makes it with
``Twin()``, then sets the converted children under the chalkgrad names and copies the plain
attributes (``stride``, ``noise_std``, ``widths``...). Each ``forward`` below is the chalkgrad
model's ``forward`` written with torch; the two are checked equal in tests/interop.
This module imports torch, so it is imported only when a conversion needs it.
"""

from __future__ import annotations

import torch
from torch import nn


class Twin(nn.Module):
    """Base of the twins: a bare module whose children and attributes are set by the converter."""

    def __init__(self) -> None:
        super().__init__()


class BasicBlock(Twin):
    """relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)); the shortcut is ``downsample`` or x."""

    expansion = 1

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class ResNet(Twin):
    """conv1, bn1, relu, maxpool, layer1..layer4, avgpool, flatten, fc, in that order."""

    def forward(self, x):
        for name in ("conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4", "avgpool",
                     "flatten", "fc"):
            x = getattr(self, name)(x)
        return x


class ConvAutoencoder(Twin):
    """decoder(encoder(x))."""

    def forward(self, x):
        return self.decoder(self.encoder(x))


class DenoisingAutoencoder(Twin):
    """decoder(encoder(x̃)), x̃ = x + σ·ε (ε ~ N(0, 1), torch's generator; clamped to [0, 1] if ``clip``)
    while training, x̃ = x in eval mode."""

    def forward(self, x):
        if self.training and self.noise_std > 0:
            x = x + torch.randn_like(x) * self.noise_std
            if self.clip:
                x = x.clamp(0.0, 1.0)
        return self.decoder(self.encoder(x))


class FCN(Twin):
    """up4(up2(score(stage3(p2))) + score_pool2(p2)), p2 = stage2(stage1(x))."""

    def forward(self, x):
        p2 = self.stage2(self.stage1(x))
        s = self.up2(self.score(self.stage3(p2)))
        return self.up4(s + self.score_pool2(p2))


class SegNet(Twin):
    """encoder_i then pool_i (keeping the argmax indices) for i = 1..n; then for i = n..1 unpool_i with
    those indices and decoder_i; then classifier."""

    def forward(self, x):
        n = len(self.widths)
        indices, sizes = [], []
        for i in range(1, n + 1):
            x = getattr(self, f"encoder{i}")(x)
            sizes.append(x.shape[2:])
            x, idx = getattr(self, f"pool{i}")(x)
            indices.append(idx)
        for i in range(n, 0, -1):
            x = getattr(self, f"unpool{i}")(x, indices[i - 1], output_size=sizes[i - 1])
            x = getattr(self, f"decoder{i}")(x)
        return self.classifier(x)


class ReusedForward(Twin):
    """Base of the torch modules made for custom chalkgrad modules whose ``forward`` is portable (reuse.py)."""

    chalkgrad_class = None

    def __reduce_ex__(self, protocol):
        # the class is made at run time: pickle (torch.multiprocessing.spawn, DDP) rebuilds it from the chalkgrad class
        return (_reused_instance, (self.chalkgrad_class, self.__dict__))


_reused_classes: dict = {}


def reused_class(chalkgrad_class, methods: dict) -> type:
    """The torch module class (one per chalkgrad class) whose forward is the chalkgrad class's own."""
    cls = _reused_classes.get(chalkgrad_class)
    if cls is None:
        namespace = {**methods, "chalkgrad_class": chalkgrad_class, "__module__": __name__,
                     "__doc__": f"torch module running the forward of {chalkgrad_class.__qualname__}."}
        cls = _reused_classes[chalkgrad_class] = type(chalkgrad_class.__name__, (ReusedForward,), namespace)
    return cls


def _reused_instance(chalkgrad_class, state: dict):
    from .reuse import portable_methods

    obj = reused_class(chalkgrad_class, portable_methods(chalkgrad_class)[0]).__new__(
        _reused_classes[chalkgrad_class])
    obj.__dict__.update(state)
    return obj


def zoo_twins() -> dict:
    """{chalkgrad class: torch twin class} for the zoo."""
    from .. import models

    return {models.BasicBlock: BasicBlock, models.ResNet: ResNet, models.ConvAutoencoder: ConvAutoencoder,
            models.DenoisingAutoencoder: DenoisingAutoencoder, models.FCN: FCN, models.SegNet: SegNet}


class ChannelsFirst(nn.Module):
    """(batch, ..., channels) -> (batch, channels, ...): the boundary permute of a channels_last Keras layer."""

    def forward(self, x):
        return x.permute(0, x.ndim - 1, *range(1, x.ndim - 1))


class ChannelsLast(nn.Module):
    """(batch, channels, ...) -> (batch, ..., channels): back to the Keras layout."""

    def forward(self, x):
        return x.permute(0, *range(2, x.ndim), 1)
