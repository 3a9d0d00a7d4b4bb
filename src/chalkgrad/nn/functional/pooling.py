"""Pooling, unpooling and interpolation as functions (torch.nn.functional names).

Output length of max/avg pooling per spatial dimension (torch's rule):

    L_out = ⌊(L + 2p - d·(k - 1) - 1) / s⌋ + 1          (⌈…⌉ with ceil_mode=True,
                                                        dropping a last window that would start
                                                        past the input and its left padding)

with stride s = kernel size k by default and padding p ≤ k/2. Max pooling pads with -∞; average
pooling divides by the window size counted with padding (count_include_pad=True) or without it.
Adaptive pooling uses the windows [⌊i·L/out⌋, ⌈(i + 1)·L/out⌉). 1-D pools are the 2-D ones with
a height of 1. Indices (return_indices) are flat per (batch, channel) plane: row·W + col, as torch.
"""

from __future__ import annotations

import math

import numpy as np

from ...errors import ConfigError, DTypeError, IndexOutOfRangeError, ShapeError
from ...ops.linalg import matmul
from ...ops.pool import AvgPool2dFn, MaxPool2dFn, PlaneGather, PlaneScatter, flat_indices, max_pool_masks
from ...ops.shape import clone
from ...tensor import Tensor
from .conv import check_rank, ntuple

__all__ = [
    "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "max_unpool1d", "max_unpool2d",
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d",
    "interpolate", "upsample",
]


def _pool_len(length, k, s, p, d, ceil_mode):
    n = length + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)
    out = n // s + 1
    if ceil_mode and (out - 1) * s >= length + p:
        out -= 1
    return out


def pool_geometry(label: str, shape, n: int, kernel_size, stride, padding, dilation, ceil_mode):
    """Check a max/avg pool; return (batched, kernel, stride, padding, dilation, output shape)."""
    shape = tuple(int(v) for v in shape)
    k = ntuple(kernel_size, n, "kernel_size", label)
    s = k if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0) else \
        ntuple(stride, n, "stride", label)
    p = ntuple(padding, n, "padding", label, minimum=0)
    d = ntuple(dilation, n, "dilation", label)
    if any(pi > ki // 2 for pi, ki in zip(p, k)):
        raise ConfigError(f"{label}: padding {p} should be at most half of the kernel size {k}")
    batched = check_rank(shape, n, label)
    spatial = shape[-n:]
    out = tuple(_pool_len(L, ki, si, pi, di, ceil_mode) for L, ki, si, pi, di in zip(spatial, k, s, p, d))
    if any(o < 1 for o in out) or any(L + 2 * pi < di * (ki - 1) + 1 for L, ki, pi, di in zip(spatial, k, p, d)):
        extent = "x".join(str(di * (ki - 1) + 1) for ki, di in zip(k, d))
        padded = "x".join(str(L + 2 * pi) for L, pi in zip(spatial, p))
        raise ShapeError(f"{label}: input of shape {shape} padded to {padded} is smaller than the kernel {extent}")
    return batched, k, s, p, d, shape[:-n] + out


def _ops_params(spatial, k, s, p, d, out):
    """The 2-D kernel parameters (sh, sw, pt, pb, pl, pr, dh, dw) for a 1-D or 2-D pool."""
    if len(k) == 1:
        spatial, k, s, p, d, out = (1,) + spatial, (1,) + k, (1,) + s, (0,) + p, (1,) + d, (1,) + out
    hi = [max(0, (o - 1) * si + di * (ki - 1) + 1 - L - pi) for L, ki, si, pi, di, o in zip(spatial, k, s, p, d, out)]
    return (k[0], k[1]), (s[0], s[1], p[0], hi[0], p[1], hi[1], d[0], d[1]), spatial


def _as4d(x, n, batched):
    if not batched:
        x = x.unsqueeze(0)
    if n == 1:
        x = x.unsqueeze(2)
    return x


def _from4d(y, n, batched):
    if n == 1:
        y = y.squeeze(2)
    return y if batched else y.squeeze(0)


def _float_input(x, label):
    if not isinstance(x, Tensor):
        raise DTypeError(f"{label}: expected a chalkgrad Tensor, got {type(x).__name__}")
    if x.dtype.kind != "f":
        raise DTypeError(f"{label}: expected a floating-point input, got dtype {x.dtype}")


def _max_pool(x, n, kernel_size, stride, padding, dilation, ceil_mode, return_indices, label):
    _float_input(x, label)
    batched, k, s, p, d, out = pool_geometry(label, x.shape, n, kernel_size, stride, padding, dilation, ceil_mode)
    (kh, kw), params, spatial = _ops_params(tuple(x.shape[-n:]), k, s, p, d, out[-n:])
    y4 = MaxPool2dFn.apply(_as4d(x, n, batched), kh=kh, kw=kw, p=params)
    y = _from4d(y4, n, batched)
    if not return_indices:
        return y
    node = y4._node
    if node is not None:
        masks = node.masks()
    else:  # no graph recorded: the padded input is recomputed
        from ...ops.pool import max_pool2d_forward

        masks = max_pool_masks(max_pool2d_forward(_as4d(x, n, batched).data, kh, kw, params)[1], y4.data, kh, kw,
                               params)
    idx = flat_indices(masks, spatial, kh, kw, params)
    return y, _from4d(Tensor._wrap(idx), n, batched)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,  # noqa: A002
               return_indices=False):
    """Max over sliding windows of (N, C, L) or (C, L); with return_indices also the arg-max positions."""
    return _max_pool(input, 1, kernel_size, stride, padding, dilation, ceil_mode, return_indices, "max_pool1d")


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,  # noqa: A002
               return_indices=False):
    """Max over sliding windows of (N, C, H, W) or (C, H, W); ties go to the first position in the window."""
    return _max_pool(input, 2, kernel_size, stride, padding, dilation, ceil_mode, return_indices, "max_pool2d")


def _avg_scale(spatial, k, s, p, out, count_include_pad, divisor_override, dtype):
    if divisor_override is not None:
        if isinstance(divisor_override, bool) or not isinstance(divisor_override, (int, np.integer)) \
                or divisor_override == 0:
            raise ConfigError(f"avg_pool: divisor_override must be a non-zero integer, got {divisor_override!r}")
        return dtype.type(1.0 / divisor_override)
    sizes = []
    for L, ki, si, pi, o in zip(spatial, k, s, p, out):
        start = np.arange(o) * si - pi
        end = np.minimum(start + ki, L + pi)
        if count_include_pad:
            sizes.append(end - start)
        else:
            sizes.append(np.minimum(end, L) - np.maximum(start, 0))
    div = sizes[0][:, None] * sizes[1][None, :] if len(sizes) == 2 else sizes[0][None, :]
    if np.all(div == div.flat[0]):
        return dtype.type(1.0 / div.flat[0])
    return (1.0 / div).astype(dtype)


def _avg_pool(x, n, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, label):
    _float_input(x, label)
    batched, k, s, p, d, out = pool_geometry(label, x.shape, n, kernel_size, stride, padding, 1, ceil_mode)
    spatial = tuple(x.shape[-n:])
    scale = _avg_scale(spatial, k, s, p, out[-n:], count_include_pad, divisor_override, x.dtype)
    (kh, kw), params, _ = _ops_params(spatial, k, s, p, d, out[-n:])
    y4 = AvgPool2dFn.apply(_as4d(x, n, batched), kh=kh, kw=kw, p=params, scale=scale)
    return _from4d(y4, n, batched)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):  # noqa: A002
    """Mean over sliding windows of (N, C, L) or (C, L)."""
    return _avg_pool(input, 1, kernel_size, stride, padding, ceil_mode, count_include_pad, None, "avg_pool1d")


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,  # noqa: A002
               divisor_override=None):
    """Mean over sliding windows: y = Σ_window x / divisor, divisor = window size (with or without the
    padded positions, or ``divisor_override``)."""
    return _avg_pool(input, 2, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override,
                     "avg_pool2d")


# ----------------------------------------------------------------------------- unpooling
def unpool_geometry(label: str, shape, n: int, kernel_size, stride, padding, output_size=None):
    """Check a max_unpool; return (batched, output shape). Default size (L - 1)·s - 2p + k per dimension."""
    shape = tuple(int(v) for v in shape)
    k = ntuple(kernel_size, n, "kernel_size", label)
    s = k if stride is None else ntuple(stride, n, "stride", label)
    p = ntuple(padding, n, "padding", label, minimum=0)
    batched = check_rank(shape, n, label)
    default = tuple((L - 1) * si - 2 * pi + ki for L, ki, si, pi in zip(shape[-n:], k, s, p))
    if output_size is None:
        size = default
    else:
        size = tuple(int(v) for v in output_size)
        if len(size) in (n + 1, n + 2):
            size = size[-n:]
        if len(size) != n:
            raise ShapeError(f"{label}: output_size {tuple(output_size)} must hold {n} spatial sizes")
        for want, base, si in zip(size, default, s):
            if not base - si < want < base + si:
                raise ShapeError(f"{label}: output_size {size} for input of shape {shape} must lie strictly between "
                                 f"{tuple(b - st for b, st in zip(default, s))} and "
                                 f"{tuple(b + st for b, st in zip(default, s))}")
    if any(v < 1 for v in size):
        raise ShapeError(f"{label}: input of shape {shape} gives an empty output {size}")
    return batched, shape[:-n] + size


def _max_unpool(x, indices, n, kernel_size, stride, padding, output_size, label):
    _float_input(x, label)
    batched, out = unpool_geometry(label, x.shape, n, kernel_size, stride, padding, output_size)
    idx = indices.data if isinstance(indices, Tensor) else np.asarray(indices)
    if idx.shape != tuple(x.shape):
        raise ShapeError(f"{label}: indices of shape {idx.shape} must have the input's shape {tuple(x.shape)}")
    if idx.dtype.kind not in "iu":
        raise DTypeError(f"{label}: indices must be integers, got dtype {idx.dtype}")
    plane = int(np.prod(out[-n:]))
    if idx.size and (idx.min() < 0 or idx.max() >= plane):
        raise IndexOutOfRangeError(f"{label}: indices must lie in [0, {plane}) for an output of shape {out}, "
                                   f"got values in [{idx.min()}, {idx.max()}]")
    x4 = x if batched else x.unsqueeze(0)
    idx4 = idx if batched else idx[None]
    out4 = out if batched else (1,) + out
    y = PlaneScatter.apply(x4, index=idx4.astype(np.int64, copy=False), out_shape=out4, accumulate=False)
    return y if batched else y.squeeze(0)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):  # noqa: A002
    """Inverse of max_pool1d: zeros with each value put back at its index (per plane)."""
    return _max_unpool(input, indices, 1, kernel_size, stride, padding, output_size, "max_unpool1d")


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):  # noqa: A002
    """Inverse of max_pool2d: zeros of size (H - 1)·s - 2p + k with y.flat[idx] = x per (n, c) plane."""
    return _max_unpool(input, indices, 2, kernel_size, stride, padding, output_size, "max_unpool2d")


# ----------------------------------------------------------------------------- adaptive pooling
def adaptive_geometry(label: str, shape, n: int, output_size):
    """Check an adaptive pool; return (batched, output shape). None in output_size keeps that input size."""
    shape = tuple(int(v) for v in shape)
    batched = check_rank(shape, n, label)
    if isinstance(output_size, (int, np.integer)) and not isinstance(output_size, bool) or output_size is None:
        sizes = (output_size,) * n
    elif isinstance(output_size, (tuple, list)) and len(output_size) == n:
        sizes = tuple(output_size)
    else:
        raise ConfigError(f"{label}: output_size must be an int or a tuple of {n} ints (or None), got {output_size!r}")
    sizes = tuple(L if o is None else o for o, L in zip(sizes, shape[-n:]))
    for o in sizes:
        if isinstance(o, bool) or not isinstance(o, (int, np.integer)) or o < 1:
            raise ConfigError(f"{label}: output_size must hold positive integers, got {output_size!r}")
    if any(L < 1 for L in shape[-n:]):
        raise ShapeError(f"{label}: input of shape {shape} has an empty spatial dimension")
    return batched, shape[:-n] + tuple(int(o) for o in sizes)


def _adaptive_matrix(length, out, dtype):
    """(out, length) averaging matrix: row i is 1/len over [⌊i·L/out⌋, ⌈(i + 1)·L/out⌉)."""
    a = np.zeros((out, length), dtype=dtype)
    for i in range(out):
        lo, hi = (i * length) // out, -((-(i + 1) * length) // out)
        a[i, lo:hi] = 1.0 / (hi - lo)
    return a


def _adaptive_avg(x, n, output_size, label):
    _float_input(x, label)
    batched, out = adaptive_geometry(label, x.shape, n, output_size)
    spatial, sizes = tuple(x.shape[-n:]), out[-n:]
    dims = tuple(range(x.ndim - n, x.ndim))
    if all(o == 1 for o in sizes):
        return x.mean(dims, keepdim=True)
    if all(L % o == 0 for L, o in zip(spatial, sizes)):
        lead = tuple(x.shape[:-n])
        split = tuple(v for o, L in zip(sizes, spatial) for v in (o, L // o))
        y = x.reshape(*(lead + split))
        return y.mean(tuple(len(lead) + 2 * i + 1 for i in range(n)))
    y = x
    if n == 2:
        y = matmul(Tensor._wrap(_adaptive_matrix(spatial[0], sizes[0], x.dtype)), y)
    return matmul(y, Tensor._wrap(_adaptive_matrix(spatial[-1], sizes[-1], x.dtype).T.copy()))


def adaptive_avg_pool1d(input, output_size):  # noqa: A002
    """Mean over torch's adaptive windows [⌊i·L/out⌋, ⌈(i + 1)·L/out⌉); output_size=1 is global average pooling."""
    return _adaptive_avg(input, 1, output_size, "adaptive_avg_pool1d")


def adaptive_avg_pool2d(input, output_size):  # noqa: A002
    """Mean over adaptive windows in H and W; output_size=1 is global average pooling."""
    return _adaptive_avg(input, 2, output_size, "adaptive_avg_pool2d")


def _adaptive_max(x, n, output_size, return_indices, label):
    _float_input(x, label)
    batched, out = adaptive_geometry(label, x.shape, n, output_size)
    x4 = _as4d(x, n, batched)
    b, c, h, w = x4.shape
    oh, ow = (1, out[-1]) if n == 1 else out[-2:]
    data = x4.data
    idx = np.empty((b, c, oh, ow), dtype=np.int64)
    for i in range(oh):
        h0, h1 = (i * h) // oh, -((-(i + 1) * h) // oh)
        for j in range(ow):
            w0, w1 = (j * w) // ow, -((-(j + 1) * w) // ow)
            win = data[:, :, h0:h1, w0:w1].reshape(b, c, -1)
            k = win.argmax(axis=2)
            idx[:, :, i, j] = (h0 + k // (w1 - w0)) * w + w0 + k % (w1 - w0)
    y = _from4d(PlaneGather.apply(x4, index=idx), n, batched)
    if return_indices:
        return y, _from4d(Tensor._wrap(idx), n, batched)
    return y


def adaptive_max_pool1d(input, output_size, return_indices=False):  # noqa: A002
    """Max over adaptive windows of (N, C, L) or (C, L)."""
    return _adaptive_max(input, 1, output_size, return_indices, "adaptive_max_pool1d")


def adaptive_max_pool2d(input, output_size, return_indices=False):  # noqa: A002
    """Max over adaptive windows [⌊i·H/out⌋, ⌈(i + 1)·H/out⌉) × (the same in W)."""
    return _adaptive_max(input, 2, output_size, return_indices, "adaptive_max_pool2d")


# ----------------------------------------------------------------------------- interpolation
_MODES = {"nearest": (1, 2), "linear": (1,), "bilinear": (2,), "area": (1, 2)}


def interpolate_geometry(label: str, shape, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Check an interpolation; return (output shape, per-dim scale factors or None)."""
    shape = tuple(int(v) for v in shape)
    if mode not in _MODES:
        raise ConfigError(f"{label}: mode must be one of {sorted(_MODES)}, got {mode!r}")
    n = len(shape) - 2
    if n not in _MODES[mode]:
        raise ShapeError(f"{label}: mode {mode!r} expects a {'/'.join(str(k + 2) for k in _MODES[mode])}-D input "
                         f"(N, C, spatial...), got shape {shape}")
    if align_corners is not None and mode in ("nearest", "area"):
        raise ConfigError(f"{label}: align_corners only applies to the linear modes, not {mode!r}")
    if (size is None) == (scale_factor is None):
        raise ConfigError(f"{label}: give exactly one of size and scale_factor (got size={size!r}, "
                          f"scale_factor={scale_factor!r})")
    if size is not None:
        sizes = ntuple(size, n, "size", label)
        return shape[:2] + sizes, None
    if isinstance(scale_factor, (int, float, np.integer, np.floating)) and not isinstance(scale_factor, bool):
        scales = (float(scale_factor),) * n
    elif isinstance(scale_factor, (tuple, list)) and len(scale_factor) == n:
        scales = tuple(float(v) for v in scale_factor)
    else:
        raise ConfigError(f"{label}: scale_factor must be a number or a tuple of {n} numbers, got {scale_factor!r}")
    if any(not s > 0 or not math.isfinite(s) for s in scales):
        raise ConfigError(f"{label}: scale_factor must be positive, got {scale_factor!r}")
    sizes = tuple(int(math.floor(L * s)) for L, s in zip(shape[2:], scales))
    if any(v < 1 for v in sizes):
        raise ShapeError(f"{label}: scale_factor {scale_factor} gives an empty output {sizes} for input {shape}")
    return shape[:2] + sizes, scales


def _interp_matrix(length, out, scale, mode, align_corners, dtype):
    """(out, length) matrix M with y = M x along one dimension (torch's source-index rules)."""
    m = np.zeros((out, length), dtype=np.float64)
    dst = np.arange(out)
    if mode == "nearest":
        if out == length:
            src = dst
        elif out == 2 * length:
            src = dst >> 1
        else:
            ratio = np.float32(1.0 / scale if scale else length / out)
            src = np.minimum(np.floor(dst.astype(np.float32) * ratio).astype(np.int64), length - 1)
        m[dst, src] = 1.0
        return m.astype(dtype)
    if align_corners:
        ratio = (length - 1) / (out - 1) if out > 1 else 0.0
        src = ratio * dst
    else:
        ratio = 1.0 / scale if scale else length / out
        src = np.maximum(ratio * (dst + 0.5) - 0.5, 0.0)
    i0 = np.minimum(np.floor(src).astype(np.int64), length - 1)
    i1 = np.minimum(i0 + 1, length - 1)
    lam = src - i0
    np.add.at(m, (dst, i0), 1.0 - lam)
    np.add.at(m, (dst, i1), lam)
    return m.astype(dtype)


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,  # noqa: A002
                recompute_scale_factor=None):
    """Resize (N, C, L) or (N, C, H, W): mode 'nearest' (src = ⌊dst·in/out⌋), 'linear' or 'bilinear'
    (src = (dst + ½)·in/out - ½, or dst·(in - 1)/(out - 1) with align_corners=True), or 'area'
    (adaptive average pooling to the output size).

    With scale_factor the source index uses 1/scale_factor (as torch) unless recompute_scale_factor.
    Each spatial dimension is one matrix product with a fixed interpolation matrix.
    """
    label = "interpolate"
    _float_input(input, label)
    out, scales = interpolate_geometry(label, input.shape, size, scale_factor, mode, align_corners)
    if recompute_scale_factor:
        scales = None
    n = input.ndim - 2
    if mode == "area":
        return _adaptive_avg(input, n, out[2:], label)
    y = input
    if n == 2:
        mh = _interp_matrix(input.shape[2], out[2], scales and scales[0], mode, align_corners, input.dtype)
        if out[2] != input.shape[2] or mode != "nearest":
            y = matmul(Tensor._wrap(mh), y)
    mw = _interp_matrix(input.shape[-1], out[-1], scales and scales[-1], mode, align_corners, input.dtype)
    if out[-1] != input.shape[-1] or mode != "nearest":
        y = matmul(y, Tensor._wrap(np.ascontiguousarray(mw.T)))
    return clone(y) if y is input else y


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):  # noqa: A002
    """Alias of :func:`interpolate` (torch's deprecated name)."""
    return interpolate(input, size, scale_factor, mode, align_corners)
