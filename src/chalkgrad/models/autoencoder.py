"""Convolutional autoencoders: plain and denoising.

``encoder``: per width w, conv 3x3 stride 2 padding 1 (H -> ⌈H/2⌉) + ReLU;
``decoder``: the mirror image with transposed convs kernel 3, stride 2, padding 1,
output_padding 1 (h -> (h - 1)·2 - 2 + 3 + 1 = 2h), ReLU between them and
``output_activation`` (sigmoid by default, for targets in [0, 1]) at the end.
With widths (16, 32): (N, C, H, W) -> code (N, 32, H/4, W/4) -> (N, C_out, H, W);
H and W should be multiples of 2^depth for the output to have the input's size.

The denoising autoencoder corrupts its input with Gaussian noise x̃ = x + σ·ε, ε ~ N(0, 1),
in training mode only (drawn from its own seeded generator), and learns to reconstruct the
clean x: train it with ``loss(model(x), x)``. In eval mode it is the plain autoencoder.
"""

from __future__ import annotations

from .. import nn
from ..creation import randn
from ..errors import ConfigError
from ._utils import (
    as_generator,
    chain_macs,
    chain_output_shape,
    check_image_shape,
    check_positive_int,
    conv_params,
    conv_transpose_params,
    torch_default_init_,
)

__all__ = ["ConvAutoencoder", "DenoisingAutoencoder", "conv_autoencoder_num_parameters"]

_OUTPUT_ACTIVATIONS = {"sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "ReLU", None: "Identity", "none": "Identity"}


class ConvAutoencoder(nn.Module):
    """A convolutional autoencoder with ``encoder`` and ``decoder`` Sequentials (see the module docstring).

    Args:
        in_channels: image channels (1). out_channels: reconstruction channels (None: in_channels).
        widths: channels of the encoder convs ((16, 32)); the code has widths[-1] channels.
        output_activation: "sigmoid" (default), "tanh", "relu" or None.
        generator: Generator or int seed for reproducible initial weights.

    ``encode(x)`` gives the code, ``decode(z)`` the reconstruction, ``forward(x)`` both in turn.
    """

    def __init__(self, in_channels: int = 1, out_channels: int | None = None, widths=(16, 32), *,
                 output_activation: str | None = "sigmoid", generator=None) -> None:
        super().__init__()
        name = type(self).__name__
        in_channels = check_positive_int(name, "in_channels", in_channels)
        out_channels = in_channels if out_channels is None else check_positive_int(name, "out_channels",
                                                                                   out_channels)
        widths = tuple(widths)
        if not widths:
            raise ConfigError(f"{name}: widths must list one or more channel counts, got {widths!r}")
        widths = tuple(check_positive_int(name, "each entry of widths", w) for w in widths)
        if output_activation not in _OUTPUT_ACTIVATIONS:
            raise ConfigError(f"{name}: output_activation must be one of 'sigmoid', 'tanh', 'relu' or None, "
                              f"got {output_activation!r}")
        self.in_channels, self.out_channels, self.widths = in_channels, out_channels, widths
        self.output_activation = output_activation
        enc, c = [], in_channels
        for w in widths:
            enc += [nn.Conv2d(c, w, kernel_size=3, stride=2, padding=1), nn.ReLU(inplace=True)]
            c = w
        dec = []
        targets = list(reversed(widths[:-1])) + [out_channels]
        for i, w in enumerate(targets):
            dec.append(nn.ConvTranspose2d(c, w, kernel_size=3, stride=2, padding=1, output_padding=1))
            if i < len(targets) - 1:
                dec.append(nn.ReLU(inplace=True))
            c = w
        dec.append(getattr(nn, _OUTPUT_ACTIVATIONS[output_activation])())
        self.encoder = nn.Sequential(*enc)
        self.decoder = nn.Sequential(*dec)
        generator = as_generator(generator)
        if generator is not None:
            torch_default_init_(self, generator)

    def encode(self, x):
        """The code z = encoder(x), of shape (N, widths[-1], H/2^depth, W/2^depth)."""
        return self.encoder(x)

    def decode(self, z):
        """The reconstruction decoder(z)."""
        return self.decoder(z)

    def forward(self, x):
        return self.decoder(self.encoder(x))

    def main_path(self) -> list:
        """The encoder's layers then the decoder's."""
        return [*self.encoder, *self.decoder]

    def code_shape(self, input_shape) -> tuple:
        """Shape of the code for an input of ``input_shape``."""
        shape = check_image_shape(type(self).__name__, input_shape, self.in_channels)
        return self.encoder.output_shape(shape)

    def output_shape(self, input_shape) -> tuple:
        """(N, in_channels, H, W) -> (N, out_channels, 2^d·⌈…⌈H/2⌉…/2⌉, same for W), d = len(widths)."""
        shape = check_image_shape(type(self).__name__, input_shape, self.in_channels)
        return chain_output_shape(self.main_path(), shape)

    def macs(self, input_shape) -> int:
        """MACs of the convs and transposed convs (the noise of the denoising variant is not counted)."""
        shape = check_image_shape(type(self).__name__, input_shape, self.in_channels)
        return chain_macs(self.main_path(), shape)


class DenoisingAutoencoder(ConvAutoencoder):
    """A :class:`ConvAutoencoder` that adds Gaussian noise x + σ·ε to its input in training mode only.

    Args (beyond ConvAutoencoder's):
        noise_std: σ (0.1), >= 0.
        clip: clamp the noisy input to [0, 1] (False).
        noise_generator: Generator or int seed for the noise (default: seed 0, so runs repeat);
            pass ``chalkgrad.random.default_generator`` to share the global stream.
    """

    def __init__(self, in_channels: int = 1, out_channels: int | None = None, widths=(16, 32), *,
                 noise_std: float = 0.1, clip: bool = False, output_activation: str | None = "sigmoid",
                 noise_generator=0, generator=None) -> None:
        super().__init__(in_channels, out_channels, widths, output_activation=output_activation,
                         generator=generator)
        if isinstance(noise_std, bool) or not isinstance(noise_std, (int, float)) or not noise_std >= 0:
            raise ConfigError(f"DenoisingAutoencoder: noise_std must be a non-negative number, got {noise_std!r}")
        self.noise_std, self.clip = float(noise_std), bool(clip)
        self.noise_generator = as_generator(noise_generator)

    def add_noise(self, x):
        """x̃ = x + σ·ε with ε ~ N(0, 1) from ``noise_generator`` (clamped to [0, 1] if ``clip``)."""
        noisy = x + randn(*x.shape, generator=self.noise_generator, dtype=x.dtype) * self.noise_std
        return noisy.clamp(0.0, 1.0) if self.clip else noisy

    def forward(self, x):
        if self.training and self.noise_std > 0:
            x = self.add_noise(x)
        return self.decoder(self.encoder(x))

    def extra_repr(self) -> str:
        return f"noise_std={self.noise_std}" + (", clip=True" if self.clip else "")


def conv_autoencoder_num_parameters(in_channels: int = 1, out_channels: int | None = None, widths=(16, 32)) -> int:
    """Parameters of the autoencoders by arithmetic (the noise adds none)."""
    out_channels = in_channels if out_channels is None else out_channels
    total, c = 0, in_channels
    for w in widths:
        total += conv_params(c, w, 3)
        c = w
    for w in list(reversed(widths[:-1])) + [out_channels]:
        total += conv_transpose_params(c, w, 3)
        c = w
    return total
