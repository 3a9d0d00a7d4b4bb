"""Convolution layers with torch's names, parameters and initialization:
``Conv1d``, ``Conv2d``, ``ConvTranspose1d``, ``ConvTranspose2d``.

Conv weight (out_channels, in_channels/groups, *kernel_size), transposed-conv weight
(in_channels, out_channels/groups, *kernel_size), bias (out_channels,). Both are drawn as
torch does: W by ``kaiming_uniform_(a=√5)``, i.e. U(±1/√fan_in), and b ~ U(±1/√fan_in), with
fan_in = weight.shape[1]·∏kernel_size.

Static arithmetic (no forward run): ``output_shape`` (torch's formulas, same checks and
messages as forward), ``macs`` and ``receptive_field``. MACs count the multiplications of the
weights, bias additions excluded:

* convolution: (output elements)·(in_channels/groups)·∏kernel_size;
* transposed convolution: (input elements)·(out_channels/groups)·∏kernel_size (each input value
  is spread over ∏kernel_size positions of out_channels/groups maps).
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ConfigError
from . import init
from .functional.conv import (
    PADDING_MODES,
    conv_geometry,
    conv_nd,
    conv_transpose_geometry,
    conv_transpose_nd,
    fold,
    ntuple,
    spatial_padding,
    unfold,
)
from .module import Module, check_input_dtype, layer_dtype, positive_int
from .parameter import Parameter

__all__ = ["Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d", "Unfold", "Fold"]


class _ConvNd(Module):
    """Shared constructor, initialization, repr and static arithmetic of the convolution layers."""

    _n = 2
    transposed = False

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                 padding_mode, output_padding, device, dtype, generator) -> None:
        super().__init__()
        name, n = f"{type(self).__name__}({in_channels}, {out_channels}, kernel_size={kernel_size})", self._n
        for what, v in (("in_channels", in_channels), ("out_channels", out_channels), ("groups", groups)):
            positive_int(name, what, v)
        if in_channels % groups:
            raise ConfigError(f"{name}: in_channels={in_channels} must be divisible by groups={groups}")
        if out_channels % groups:
            raise ConfigError(f"{name}: out_channels={out_channels} must be divisible by groups={groups}")
        if padding_mode not in PADDING_MODES:
            raise ConfigError(f"{name}: padding_mode must be one of {PADDING_MODES}, got {padding_mode!r}")
        dtype = layer_dtype(name, dtype, device)
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size = ntuple(kernel_size, n, "kernel_size", name)
        self.stride = ntuple(stride, n, "stride", name)
        self.dilation = ntuple(dilation, n, "dilation", name)
        self.groups = int(groups)
        self.padding_mode = padding_mode
        if isinstance(padding, str):
            spatial_padding(padding, n, self.kernel_size, self.stride, self.dilation, name)  # validates
            self.padding = padding
        else:
            self.padding = ntuple(padding, n, "padding", name, minimum=0)
        self.output_padding = ntuple(output_padding, n, "output_padding", name, minimum=0)
        if self.transposed:
            if padding_mode != "zeros":
                raise ConfigError(f"{name}: only padding_mode='zeros' is supported, got {padding_mode!r}")
            if isinstance(padding, str):
                raise ConfigError(f"{name}: padding must be an int or a tuple of {n} ints, got {padding!r}")
            for op, s, d in zip(self.output_padding, self.stride, self.dilation):
                if op >= s and op >= d:
                    raise ConfigError(f"{name}: output_padding={self.output_padding} must be smaller than either "
                                      f"the stride {self.stride} or the dilation {self.dilation}")
            shape = (self.in_channels, self.out_channels // self.groups) + self.kernel_size
        else:
            shape = (self.out_channels, self.in_channels // self.groups) + self.kernel_size
        self.weight = Parameter(np.empty(shape, dtype=dtype))
        if bias:
            self.bias = Parameter(np.empty(self.out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters(generator)

    def reset_parameters(self, generator=None) -> None:
        """Redraw W ~ U(±1/√fan_in) (kaiming_uniform_ with a = √5), then b ~ U(±1/√fan_in)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5), generator=generator)
        if self.bias is not None:
            fan_in = self.weight.shape[1] * int(np.prod(self.kernel_size))
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound, generator=generator)

    def _label(self) -> str:
        return f"{type(self).__name__}({self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size})"

    def extra_repr(self) -> str:
        n = self._n
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * n:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * n:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * n:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s

    def receptive_field(self):
        """{"kernel", "stride", "padding", "dilation"} per spatial dim ('same' padding: the before side).

        Transposed convolutions add ``"transposed": True``: the stride is then an upsampling factor.
        """
        if isinstance(self.padding, str):
            pads = tuple(lo for lo, _ in spatial_padding(self.padding, self._n, self.kernel_size, self.stride,
                                                         self.dilation, type(self).__name__))
        else:
            pads = self.padding
        rf = {"kernel": self.kernel_size, "stride": self.stride, "padding": pads, "dilation": self.dilation}
        if self.transposed:
            rf["transposed"] = True
        return rf


class _Conv(_ConvNd):
    def forward(self, input):  # noqa: A002 - torch's name
        check_input_dtype(self._label(), input, self.weight)
        return conv_nd(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups,
                       self._label(), self.padding_mode)

    def output_shape(self, input_shape):
        """Per spatial dim ⌊(L + 2p - d·(k - 1) - 1) / s⌋ + 1; channels become out_channels."""
        return conv_geometry(self._label(), input_shape, self.weight.shape, self.stride, self.padding,
                             self.dilation, self.groups)[2]

    def macs(self, input_shape):
        """(output elements)·(in_channels/groups)·∏kernel_size."""
        out = self.output_shape(input_shape)
        return int(np.prod(out, dtype=np.int64)) * (self.in_channels // self.groups) * int(np.prod(self.kernel_size))


class _ConvTranspose(_ConvNd):
    transposed = True

    def forward(self, input, output_size=None):  # noqa: A002
        check_input_dtype(self._label(), input, self.weight)
        return conv_transpose_nd(input, self.weight, self.bias, self.stride, self.padding, self.output_padding,
                                 self.groups, self.dilation, self._label(), output_size)

    def output_shape(self, input_shape, output_size=None):
        """Per spatial dim (L - 1)·s - 2p + d·(k - 1) + output_padding + 1; channels become out_channels."""
        return conv_transpose_geometry(self._label(), input_shape, self.weight.shape, self.stride, self.padding,
                                       self.output_padding, self.dilation, self.groups, output_size)[3]

    def macs(self, input_shape):
        """(input elements)·(out_channels/groups)·∏kernel_size."""
        self.output_shape(input_shape)
        return int(np.prod(tuple(input_shape), dtype=np.int64)) * (self.out_channels // self.groups) * \
            int(np.prod(self.kernel_size))


class Conv1d(_Conv):
    """1-D convolution over (N, C_in, L) or (C_in, L): y = b + Σ w ⋆ x, L_out = ⌊(L + 2p - d(k-1) - 1)/s⌋ + 1.

    ``padding`` is an int, 'valid' or 'same' (stride 1); ``padding_mode`` 'zeros', 'reflect',
    'replicate' or 'circular'; ``groups`` splits the channels (groups = in_channels: depthwise).
    """

    _n = 1

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None, *, generator=None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, 0, device, dtype, generator)


class Conv2d(_Conv):
    """2-D convolution over (N, C_in, H, W) or (C_in, H, W):

        y[n, o] = b[o] + Σ_c w[o, c] ⋆ x[n, c],   H_out = ⌊(H + 2p - d(k-1) - 1)/s⌋ + 1 (W alike).

    ``padding`` is an int, a pair, 'valid' or 'same' (stride 1); ``padding_mode`` 'zeros', 'reflect',
    'replicate' or 'circular'; ``groups`` splits the channels (groups = in_channels: depthwise).
    Parameters: out·(in/groups)·kh·kw (+ out with a bias).
    """

    _n = 2

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None, *, generator=None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, 0, device, dtype, generator)


class ConvTranspose1d(_ConvTranspose):
    """1-D transposed convolution (the gradient of Conv1d w.r.t. its input), weight (in, out/groups, k):
    L_out = (L - 1)·s - 2p + d·(k - 1) + output_padding + 1. ``forward(x, output_size=None)``."""

    _n = 1

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None, *, generator=None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, output_padding, device, dtype, generator)


class ConvTranspose2d(_ConvTranspose):
    """2-D transposed convolution ("deconvolution"), weight (in, out/groups, kh, kw):
    H_out = (H - 1)·s - 2p + d·(kh - 1) + output_padding + 1 (W alike).

    ``forward(x, output_size=None)``: an output_size picks the output_padding (as torch).
    """

    _n = 2

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None, *, generator=None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, output_padding, device, dtype, generator)


class Unfold(Module):
    """im2col as a layer: (N, C, H, W) -> (N, C·kh·kw, L), L = number of sliding blocks (see F.unfold)."""

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1) -> None:
        super().__init__()
        self.kernel_size, self.dilation, self.padding, self.stride = kernel_size, dilation, padding, stride
        for what, v, low in (("kernel_size", kernel_size, 1), ("dilation", dilation, 1), ("padding", padding, 0),
                             ("stride", stride, 1)):
            ntuple(v, 2, what, "Unfold", low)

    def forward(self, input):  # noqa: A002
        return unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def output_shape(self, input_shape):
        """(N, C·kh·kw, H_out·W_out) with H_out = ⌊(H + 2p - d·(kh - 1) - 1)/s⌋ + 1."""
        shape = tuple(input_shape)
        k = ntuple(self.kernel_size, 2, "kernel_size", "Unfold")
        w = (1, shape[-3] if len(shape) >= 3 else 1) + k
        out = conv_geometry(f"Unfold({self.extra_repr()})", shape, w, self.stride, self.padding, self.dilation, 1)[2]
        return out[:-3] + (shape[-3] * k[0] * k[1], out[-2] * out[-1])

    def receptive_field(self):
        return {"kernel": ntuple(self.kernel_size, 2, "kernel_size", "Unfold"),
                "stride": ntuple(self.stride, 2, "stride", "Unfold"),
                "padding": ntuple(self.padding, 2, "padding", "Unfold", 0),
                "dilation": ntuple(self.dilation, 2, "dilation", "Unfold")}

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, padding={self.padding}, "
                f"stride={self.stride}")


class Fold(Module):
    """col2im as a layer, the adjoint of Unfold: (N, C·kh·kw, L) -> (N, C, *output_size), overlaps summed."""

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1) -> None:
        super().__init__()
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride
        for what, v, low in (("output_size", output_size, 1), ("kernel_size", kernel_size, 1),
                             ("dilation", dilation, 1), ("padding", padding, 0), ("stride", stride, 1)):
            ntuple(v, 2, what, "Fold", low)

    def forward(self, input):  # noqa: A002
        return fold(input, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride)

    def output_shape(self, input_shape):
        """(N, C, *output_size), C = dim 1 / (kh·kw)."""
        shape = tuple(input_shape)
        k = ntuple(self.kernel_size, 2, "kernel_size", "Fold")
        if len(shape) not in (2, 3) or shape[-2] % (k[0] * k[1]):
            from ..errors import ShapeError

            raise ShapeError(f"Fold({self.extra_repr()}): input shape {shape} must be (N, C·{k[0]}·{k[1]}, L) or "
                             f"(C·{k[0]}·{k[1]}, L)")
        return shape[:-2] + (shape[-2] // (k[0] * k[1]),) + ntuple(self.output_size, 2, "output_size", "Fold")

    def extra_repr(self) -> str:
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")
