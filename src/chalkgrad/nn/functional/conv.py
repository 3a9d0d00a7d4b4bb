"""Convolutions as functions (torch.nn.functional names): conv1d/2d, conv_transpose1d/2d, unfold, fold,
pixel_shuffle, pixel_unshuffle.

Convolution here is cross-correlation, as in every deep-learning library:

    y[n, o, i, j] = b[o] + Σ_{c, u, v} w[o, c, u, v] · x_pad[n, g·C/G + c, i·s_h + u·d_h, j·s_w + v·d_w]

with output size H_out = ⌊(H + 2p - d·(k - 1) - 1) / s⌋ + 1 per spatial dimension.
The transposed convolution is its adjoint (the gradient of conv with respect to its input):
H_out = (H - 1)·s - 2p + d·(k - 1) + output_padding + 1.

The geometry checks (``conv_geometry``, ``conv_transpose_geometry``) work on shapes alone, so the
layers' ``output_shape`` raises the same errors as their forward pass.
"""

from __future__ import annotations

import numpy as np

from ...errors import ConfigError, DTypeError, ShapeError
from ...ops.conv import Conv2dFn, Conv2dInputGrad, Fold, Unfold, out_len
from ...ops.shape import pad as _pad
from ...tensor import Tensor

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "unfold", "fold", "pixel_shuffle",
           "pixel_unshuffle"]

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


# ----------------------------------------------------------------------------- argument helpers
def ntuple(value, n: int, what: str, label: str, minimum: int = 1) -> tuple:
    """An int or a sequence of ``n`` ints as a tuple of ``n`` ints, each ≥ ``minimum`` (ConfigError otherwise)."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        values = (int(value),) * n
    elif isinstance(value, (tuple, list)) and len(value) == n and all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value):
        values = tuple(int(v) for v in value)
    else:
        raise ConfigError(f"{label}: {what} must be an int or a tuple of {n} ints, got {value!r}")
    if any(v < minimum for v in values):
        rule = "positive" if minimum == 1 else "non-negative" if minimum == 0 else f"at least {minimum}"
        raise ConfigError(f"{label}: {what} must be {rule}, got {value!r}")
    return values


def spatial_padding(padding, n: int, kernel: tuple, stride: tuple, dilation: tuple, label: str):
    """Per-dimension (before, after) zero padding from an int, a tuple, 'valid' or 'same'.

    'same' pads d·(k - 1) in total, the odd one on the after side (torch's rule), and needs stride 1.
    """
    if isinstance(padding, str):
        if padding == "valid":
            return tuple((0, 0) for _ in range(n))
        if padding == "same":
            if any(s != 1 for s in stride):
                raise ConfigError(f"{label}: padding='same' is not supported for strided convolutions "
                                  f"(stride={stride}); use an explicit padding")
            pairs = []
            for k, d in zip(kernel, dilation):
                total = d * (k - 1)
                pairs.append((total // 2, total - total // 2))
            return tuple(pairs)
        raise ConfigError(f"{label}: padding must be an int, a tuple of {n} ints, 'valid' or 'same', got {padding!r}")
    return tuple((p, p) for p in ntuple(padding, n, "padding", label, minimum=0))


def _fmt(values) -> str:
    return "x".join(str(v) for v in values)


def check_rank(shape: tuple, n: int, label: str) -> bool:
    """True when ``shape`` is batched ((B, C) + n spatial dims), False when unbatched; ShapeError otherwise."""
    if len(shape) == n + 2:
        return True
    if len(shape) == n + 1:
        return False
    names = ("L",) if n == 1 else ("H", "W")
    raise ShapeError(f"{label}: expected a {n + 1}-D (unbatched (C, {', '.join(names)})) or {n + 2}-D (batched "
                     f"(N, C, {', '.join(names)})) input, got shape {tuple(shape)}")


def conv_geometry(label: str, shape, weight_shape, stride, padding, dilation, groups):
    """Check a convolution and return (batched, pads, output shape); same rules as torch.

    ``weight_shape`` is (out, in/groups, *kernel); ``pads`` a tuple of (before, after) per spatial dim.
    """
    shape, weight_shape = tuple(int(v) for v in shape), tuple(weight_shape)
    n = len(weight_shape) - 2
    kernel = weight_shape[2:]
    stride = ntuple(stride, n, "stride", label)
    dilation = ntuple(dilation, n, "dilation", label)
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ConfigError(f"{label}: groups must be a positive integer, got {groups!r}")
    pads = spatial_padding(padding, n, kernel, stride, dilation, label)
    batched = check_rank(shape, n, label)
    out_ch, in_per_group = weight_shape[0], weight_shape[1]
    if out_ch % groups:
        raise ConfigError(f"{label}: out_channels={out_ch} is not divisible by groups={groups}")
    channels = shape[1] if batched else shape[0]
    if channels != in_per_group * groups:
        raise ShapeError(f"{label}: input of shape {shape} has {channels} channels, expected "
                         f"{in_per_group * groups} (weight of shape {weight_shape}, groups={groups})")
    spatial = shape[-n:]
    padded = tuple(s + lo + hi for s, (lo, hi) in zip(spatial, pads))
    extent = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    if any(p < e for p, e in zip(padded, extent)):
        dil = f" (dilated from {_fmt(kernel)})" if any(d != 1 for d in dilation) else ""
        raise ShapeError(f"{label}: input of shape {shape} padded to {_fmt(padded)} is smaller than the "
                         f"kernel {_fmt(extent)}{dil}")
    out = tuple(out_len(s, lo, hi, k, st, d) for s, (lo, hi), k, st, d in zip(spatial, pads, kernel, stride, dilation))
    return batched, pads, ((shape[0], out_ch) if batched else (out_ch,)) + out


def transpose_output_size(spatial, kernel, stride, padding, dilation, output_padding):
    """(L - 1)·s - 2p + d·(k - 1) + output_padding + 1 per dimension."""
    return tuple((s - 1) * st - 2 * p + d * (k - 1) + op + 1
                 for s, k, st, p, d, op in zip(spatial, kernel, stride, padding, dilation, output_padding))


def conv_transpose_geometry(label: str, shape, weight_shape, stride, padding, output_padding, dilation, groups,
                            output_size=None):
    """Check a transposed convolution; return (batched, padding, output_padding, output shape).

    ``weight_shape`` is (in, out/groups, *kernel). ``output_size`` (optional, as in torch's module
    forward) picks output_padding within [0, stride) so the output has that size.
    """
    shape, weight_shape = tuple(int(v) for v in shape), tuple(weight_shape)
    n = len(weight_shape) - 2
    kernel = weight_shape[2:]
    stride = ntuple(stride, n, "stride", label)
    dilation = ntuple(dilation, n, "dilation", label)
    if isinstance(padding, str):
        raise ConfigError(f"{label}: padding must be an int or a tuple of {n} ints for a transposed "
                          f"convolution, got {padding!r}")
    padding = ntuple(padding, n, "padding", label, minimum=0)
    output_padding = ntuple(output_padding, n, "output_padding", label, minimum=0)
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ConfigError(f"{label}: groups must be a positive integer, got {groups!r}")
    for op, s, d in zip(output_padding, stride, dilation):
        if op >= s and op >= d:
            raise ConfigError(f"{label}: output_padding={output_padding} must be smaller than either the stride "
                              f"{stride} or the dilation {dilation}")
    batched = check_rank(shape, n, label)
    in_ch = weight_shape[0]
    if in_ch % groups:
        raise ConfigError(f"{label}: in_channels={in_ch} is not divisible by groups={groups}")
    channels = shape[1] if batched else shape[0]
    if channels != in_ch:
        raise ShapeError(f"{label}: input of shape {shape} has {channels} channels, expected {in_ch} "
                         f"(weight of shape {weight_shape})")
    spatial = shape[-n:]
    if output_size is not None:
        size = tuple(int(v) for v in output_size)
        if len(size) == n + 2 or len(size) == n + 1:
            size = size[-n:]
        if len(size) != n:
            raise ShapeError(f"{label}: output_size {tuple(output_size)} must hold {n} spatial sizes")
        smallest = transpose_output_size(spatial, kernel, stride, padding, dilation, (0,) * n)
        for want, lo, s in zip(size, smallest, stride):
            if not lo <= want < lo + s:
                raise ShapeError(f"{label}: requested output_size {size} for input of shape {shape}; each size must "
                                 f"lie between {smallest} and {tuple(a + s - 1 for a, s in zip(smallest, stride))}")
        output_padding = tuple(want - lo for want, lo in zip(size, smallest))
    out = transpose_output_size(spatial, kernel, stride, padding, dilation, output_padding)
    if any(o < 1 for o in out):
        raise ShapeError(f"{label}: input of shape {shape} gives an output of size {out}, which is not positive "
                         f"(padding {padding} too large for kernel {kernel}, stride {stride})")
    out_ch = weight_shape[1] * groups
    return batched, padding, output_padding, ((shape[0], out_ch) if batched else (out_ch,)) + out


def _check_tensors(label: str, x, weight, bias, out_ch: int):
    if not isinstance(x, Tensor) or not isinstance(weight, Tensor):
        raise DTypeError(f"{label}: input and weight must be chalkgrad Tensors, got {type(x).__name__} and "
                         f"{type(weight).__name__}")
    if x.dtype.kind != "f" or x.dtype != weight.dtype:
        raise DTypeError(f"{label}: input dtype {x.dtype} must be a float dtype matching the weight's {weight.dtype}")
    if bias is not None and tuple(bias.shape) != (out_ch,):
        raise ShapeError(f"{label}: bias must have shape ({out_ch},), got {tuple(bias.shape)}")


# ----------------------------------------------------------------------------- convolution
def conv_nd(x, weight, bias, stride, padding, dilation, groups, label: str, padding_mode: str = "zeros"):
    """The shared 1-D/2-D convolution behind conv1d, conv2d and the Conv layers."""
    n = weight.ndim - 2
    batched, pads, _ = conv_geometry(label, x.shape, weight.shape, stride, padding, dilation, groups)
    _check_tensors(label, x, weight, bias, weight.shape[0])
    if padding_mode not in PADDING_MODES:
        raise ConfigError(f"{label}: padding_mode must be one of {PADDING_MODES}, got {padding_mode!r}")
    if not batched:
        x = x.unsqueeze(0)
    if padding_mode != "zeros" and any(lo or hi for lo, hi in pads):
        flat = tuple(v for pair in reversed(pads) for v in pair)
        x = _pad(x, flat, mode=padding_mode)
        pads = tuple((0, 0) for _ in pads)
    stride = ntuple(stride, n, "stride", label)
    dilation = ntuple(dilation, n, "dilation", label)
    if n == 1:
        b, c, length = x.shape
        x4 = x.reshape(b, c, 1, length)
        w4 = weight.reshape(weight.shape[0], weight.shape[1], 1, weight.shape[2])
        p = (1, stride[0], 0, 0, pads[0][0], pads[0][1], 1, dilation[0], groups)
    else:
        x4, w4 = x, weight
        p = (stride[0], stride[1], pads[0][0], pads[0][1], pads[1][0], pads[1][1], dilation[0], dilation[1], groups)
    keep = weight.requires_grad  # the columns are reused for the weight gradient
    y = Conv2dFn.apply(x4, w4, bias, p=p, keep_cols=keep) if bias is not None else \
        Conv2dFn.apply(x4, w4, p=p, keep_cols=keep)
    if n == 1:
        y = y.reshape(y.shape[0], y.shape[1], y.shape[3])
    return y if batched else y.reshape(y.shape[1:])


def conv_transpose_nd(x, weight, bias, stride, padding, output_padding, groups, dilation, label: str,
                      output_size=None):
    """The shared 1-D/2-D transposed convolution (the adjoint of conv_nd with respect to its input)."""
    n = weight.ndim - 2
    batched, padding, output_padding, out_shape = conv_transpose_geometry(
        label, x.shape, weight.shape, stride, padding, output_padding, dilation, groups, output_size)
    _check_tensors(label, x, weight, bias, weight.shape[1] * groups)
    stride = ntuple(stride, n, "stride", label)
    dilation = ntuple(dilation, n, "dilation", label)
    if not batched:
        x = x.unsqueeze(0)
        out_shape = (1,) + out_shape
    if n == 1:
        b, c, length = x.shape
        x4 = x.reshape(b, c, 1, length)
        w4 = weight.reshape(weight.shape[0], weight.shape[1], 1, weight.shape[2])
        p = (1, stride[0], 0, 0, padding[0], padding[0] - output_padding[0], 1, dilation[0], groups)
        x_shape = (out_shape[0], out_shape[1], 1, out_shape[2])
    else:
        x4, w4 = x, weight
        p = (stride[0], stride[1], padding[0], padding[0] - output_padding[0], padding[1],
             padding[1] - output_padding[1], dilation[0], dilation[1], groups)
        x_shape = out_shape
    y = Conv2dInputGrad.apply(x4, w4, x_shape=x_shape, p=p)
    if n == 1:
        y = y.reshape(out_shape)
    if bias is not None:
        y = y + bias.reshape((-1,) + (1,) * n)
    return y if batched else y.reshape(y.shape[1:])


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):  # noqa: A002 - torch's name
    """1-D cross-correlation: input (N, C_in, L) or (C_in, L), weight (C_out, C_in/groups, k).

    L_out = ⌊(L + 2p - d·(k - 1) - 1) / s⌋ + 1; ``padding`` may be an int, 'valid' or 'same' (stride 1).
    """
    if getattr(weight, "ndim", 0) != 3:
        raise ShapeError(f"conv1d: weight must be 3-D (out_channels, in_channels/groups, kernel), got shape "
                         f"{tuple(getattr(weight, 'shape', ()))}")
    return conv_nd(input, weight, bias, stride, padding, dilation, groups, "conv1d")


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):  # noqa: A002
    """2-D cross-correlation: input (N, C_in, H, W) or (C_in, H, W), weight (C_out, C_in/groups, kh, kw).

    H_out = ⌊(H + 2p_h - d_h·(kh - 1) - 1) / s_h⌋ + 1 (W alike); ``padding`` may be an int, a pair,
    'valid' or 'same' (stride 1 only; an odd total puts the extra row/column after).
    groups = C_in = C_out is a depthwise convolution.
    """
    if getattr(weight, "ndim", 0) != 4:
        raise ShapeError(f"conv2d: weight must be 4-D (out_channels, in_channels/groups, kh, kw), got shape "
                         f"{tuple(getattr(weight, 'shape', ()))}")
    return conv_nd(input, weight, bias, stride, padding, dilation, groups, "conv2d")


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,  # noqa: A002
                     dilation=1):
    """1-D transposed convolution: weight (C_in, C_out/groups, k);
    L_out = (L - 1)·s - 2p + d·(k - 1) + output_padding + 1."""
    if getattr(weight, "ndim", 0) != 3:
        raise ShapeError(f"conv_transpose1d: weight must be 3-D (in_channels, out_channels/groups, kernel), got "
                         f"shape {tuple(getattr(weight, 'shape', ()))}")
    return conv_transpose_nd(input, weight, bias, stride, padding, output_padding, groups, dilation,
                             "conv_transpose1d")


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,  # noqa: A002
                     dilation=1):
    """2-D transposed convolution (the gradient of conv2d with respect to its input): weight
    (C_in, C_out/groups, kh, kw); H_out = (H - 1)·s - 2p + d·(kh - 1) + output_padding + 1."""
    if getattr(weight, "ndim", 0) != 4:
        raise ShapeError(f"conv_transpose2d: weight must be 4-D (in_channels, out_channels/groups, kh, kw), got "
                         f"shape {tuple(getattr(weight, 'shape', ()))}")
    return conv_transpose_nd(input, weight, bias, stride, padding, output_padding, groups, dilation,
                             "conv_transpose2d")


# ----------------------------------------------------------------------------- unfold / fold
def _fold_params(kernel_size, dilation, padding, stride, label):
    k = ntuple(kernel_size, 2, "kernel_size", label)
    d = ntuple(dilation, 2, "dilation", label)
    pd = ntuple(padding, 2, "padding", label, minimum=0)
    s = ntuple(stride, 2, "stride", label)
    return k, (s[0], s[1], pd[0], pd[0], pd[1], pd[1], d[0], d[1])


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):  # noqa: A002
    """im2col: (N, C, H, W) -> (N, C·kh·kw, L), L = H_out·W_out sliding blocks, rows ordered (c, u, v)."""
    label = "unfold"
    k, p = _fold_params(kernel_size, dilation, padding, stride, label)
    batched = check_rank(input.shape, 2, label)
    x = input if batched else input.unsqueeze(0)
    h, w = x.shape[2:]
    ph, pw = h + 2 * p[2], w + 2 * p[4]
    eh, ew = p[6] * (k[0] - 1) + 1, p[7] * (k[1] - 1) + 1
    if ph < eh or pw < ew:
        raise ShapeError(f"{label}: input of shape {tuple(input.shape)} padded to {ph}x{pw} is smaller than the "
                         f"kernel {eh}x{ew}")
    y = Unfold.apply(x, kh=k[0], kw=k[1], p=p)
    return y if batched else y.reshape(y.shape[1:])


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):  # noqa: A002
    """col2im, the adjoint of unfold: (N, C·kh·kw, L) -> (N, C, H, W), overlapping values summed."""
    label = "fold"
    k, p = _fold_params(kernel_size, dilation, padding, stride, label)
    size = ntuple(output_size, 2, "output_size", label)
    if input.ndim not in (2, 3):
        raise ShapeError(f"{label}: expected a 2-D (unbatched) or 3-D (batched) input (N, C·kh·kw, L), "
                         f"got shape {tuple(input.shape)}")
    batched = input.ndim == 3
    x = input if batched else input.unsqueeze(0)
    rows, blocks = x.shape[1], x.shape[2]
    if rows % (k[0] * k[1]):
        raise ShapeError(f"{label}: input of shape {tuple(input.shape)}: dimension 1 ({rows}) must be divisible by "
                         f"the kernel size {k[0]}·{k[1]}")
    ho, wo = out_len(size[0], p[2], p[3], k[0], p[0], p[6]), out_len(size[1], p[4], p[5], k[1], p[1], p[7])
    if ho < 1 or wo < 1 or ho * wo != blocks:
        raise ShapeError(f"{label}: input of shape {tuple(input.shape)} has {blocks} blocks, but output_size "
                         f"{size} with kernel {k}, padding {(p[2], p[4])}, stride {(p[0], p[1])} and dilation "
                         f"{(p[6], p[7])} gives {max(ho, 0)}x{max(wo, 0)} = {max(ho, 0) * max(wo, 0)}")
    y = Fold.apply(x, out_hw=size, kh=k[0], kw=k[1], p=p)
    return y if batched else y.reshape(y.shape[1:])


def pixel_shuffle(input, upscale_factor):  # noqa: A002
    """(*, C·r², H, W) -> (*, C, H·r, W·r): y[c, h·r + i, w·r + j] = x[c·r² + i·r + j, h, w]."""
    r = ntuple(upscale_factor, 1, "upscale_factor", "pixel_shuffle")[0]
    if input.ndim < 3 or input.shape[-3] % (r * r):
        raise ShapeError(f"pixel_shuffle: input of shape {tuple(input.shape)} needs at least 3 dimensions and a "
                         f"channel count divisible by upscale_factor² = {r * r}")
    *lead, c, h, w = input.shape
    y = input.reshape(-1, c // (r * r), r, r, h, w).permute(0, 1, 4, 2, 5, 3)
    return y.reshape(*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(input, downscale_factor):  # noqa: A002
    """(*, C, H·r, W·r) -> (*, C·r², H, W), the inverse of pixel_shuffle."""
    r = ntuple(downscale_factor, 1, "downscale_factor", "pixel_unshuffle")[0]
    if input.ndim < 3 or input.shape[-1] % r or input.shape[-2] % r:
        raise ShapeError(f"pixel_unshuffle: input of shape {tuple(input.shape)} needs at least 3 dimensions and "
                         f"height and width divisible by downscale_factor = {r}")
    *lead, c, h, w = input.shape
    y = input.reshape(-1, c, h // r, r, w // r, r).permute(0, 1, 3, 5, 2, 4)
    return y.reshape(*lead, c * r * r, h // r, w // r)
