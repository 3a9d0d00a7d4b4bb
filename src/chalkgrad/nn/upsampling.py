"""Resampling layers with torch's names: ``Upsample``, ``UpsamplingNearest2d``, ``UpsamplingBilinear2d``,
``PixelShuffle``, ``PixelUnshuffle``.

Upsample: output size = ``size``, or ⌊L·scale_factor⌋ per spatial dim. 'nearest' copies
x[⌊dst·in/out⌋] (1/scale_factor in place of in/out when a scale is given, as torch), 'linear' and
'bilinear' interpolate between the two nearest samples, with source position (dst + ½)·in/out - ½
(align_corners=False) or dst·(in - 1)/(out - 1) (align_corners=True).

MACs: 0 (resampling has no weights; see nn/pooling.py for the convention). Receptive field:
``{"kernel": 1 (nearest) or 2 (linear), "stride": scale_factor, "padding": 0, "dilation": 1,
"transposed": True}`` (the stride is an upsampling factor); ``None`` when only ``size`` is given
(the factor depends on the input). PixelShuffle/PixelUnshuffle only move values: 0 MACs.
"""

from __future__ import annotations

from ..errors import ShapeError
from .functional.conv import pixel_shuffle, pixel_unshuffle
from .functional.pooling import interpolate, interpolate_geometry
from .module import Module

__all__ = ["Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d", "PixelShuffle", "PixelUnshuffle"]


class Upsample(Module):
    """Resize (N, C, L) or (N, C, H, W) to ``size`` or by ``scale_factor`` with ``mode`` 'nearest',
    'linear' (3-D) or 'bilinear' (4-D)."""

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None,
                 recompute_scale_factor=None) -> None:
        super().__init__()
        self.name = type(self).__name__
        self.size = tuple(size) if isinstance(size, list) else size
        if isinstance(scale_factor, (tuple, list)):
            self.scale_factor = tuple(float(v) for v in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor is not None else None
        self.mode, self.align_corners = mode, align_corners
        self.recompute_scale_factor = recompute_scale_factor
        n = 1 if mode == "linear" else 2
        interpolate_geometry(self.name, (1, 1) + (4,) * n, self.size, self.scale_factor, mode, align_corners)

    def _label(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"

    def forward(self, input):  # noqa: A002
        try:
            return interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                               self.recompute_scale_factor)
        except ShapeError as err:
            err.args = (str(err.args[0]).replace("interpolate:", self._label() + ":", 1),)
            raise

    def output_shape(self, input_shape):
        """size, or ⌊L·scale_factor⌋ per spatial dimension."""
        return interpolate_geometry(self._label(), input_shape, self.size, self.scale_factor, self.mode,
                                    self.align_corners)[0]

    def macs(self, input_shape):
        """0 (no weights); the shape is still checked."""
        self.output_shape(input_shape)
        return 0

    def receptive_field(self):
        if self.scale_factor is None:
            return None
        n = 1 if self.mode == "linear" else 2
        scale = self.scale_factor if isinstance(self.scale_factor, tuple) else (self.scale_factor,) * n
        k = 1 if self.mode == "nearest" else 2
        return {"kernel": (k,) * n, "stride": scale, "padding": (0,) * n, "dilation": (1,) * n, "transposed": True}

    def extra_repr(self) -> str:
        info = f"scale_factor={self.scale_factor!r}" if self.scale_factor is not None else f"size={self.size!r}"
        return info + f", mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """Upsample with mode='nearest' on (N, C, H, W)."""

    def __init__(self, size=None, scale_factor=None) -> None:
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """Upsample with mode='bilinear' and align_corners=True on (N, C, H, W)."""

    def __init__(self, size=None, scale_factor=None) -> None:
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)


class PixelShuffle(Module):
    """(*, C·r², H, W) -> (*, C, H·r, W·r) (sub-pixel convolution's rearrangement)."""

    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input):  # noqa: A002
        return pixel_shuffle(input, self.upscale_factor)

    def output_shape(self, input_shape):
        s, r = tuple(input_shape), self.upscale_factor
        if len(s) < 3 or s[-3] % (r * r):
            raise ShapeError(f"PixelShuffle(upscale_factor={r}): input shape {s} needs at least 3 dimensions and a "
                             f"channel count divisible by {r * r}")
        return s[:-3] + (s[-3] // (r * r), s[-2] * r, s[-1] * r)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """(*, C, H·r, W·r) -> (*, C·r², H, W), the inverse of PixelShuffle."""

    def __init__(self, downscale_factor: int) -> None:
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input):  # noqa: A002
        return pixel_unshuffle(input, self.downscale_factor)

    def output_shape(self, input_shape):
        s, r = tuple(input_shape), self.downscale_factor
        if len(s) < 3 or s[-1] % r or s[-2] % r:
            raise ShapeError(f"PixelUnshuffle(downscale_factor={r}): input shape {s} needs at least 3 dimensions and "
                             f"height and width divisible by {r}")
        return s[:-3] + (s[-3] * r * r, s[-2] // r, s[-1] // r)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"
