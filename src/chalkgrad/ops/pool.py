"""Pooling kernels on batched NCHW arrays: max and average pooling, index gather/scatter.

Arguments arrive already checked (see ``chalkgrad.nn.functional.pooling``). Windows are
visited tap by tap: for kernel offset (u, v) the strided slice
``xp[:, :, u·dh : u·dh + sh·(Ho-1) + 1 : sh, v·dw : ... : sw]`` holds that tap of every
window, so a pool is a few whole-array operations instead of a loop over windows. Max and
sum are reduced separably (along W, then along H: kh + kw - 2 operations); the arg-max is
only worked out in backward (or for return_indices), as one mask per tap.

Each op comes with its adjoint (the two are linear, so each one's backward is the other
and higher derivatives work): max pooling's gradient puts g at the arg-max of each window
(``MaxPoolScatter``), whose adjoint reads each window's arg-max (``MaxPoolGather``);
average pooling and its scatter; gathering values by flat per-plane indices and scattering
them back (max unpooling, adaptive max pooling).

``p = (sh, sw, pt, pb, pl, pr, dh, dw)``; padding is asymmetric so that ceil_mode's extra
right/bottom windows are just more padding.
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Function
from .conv import out_len


def _taps(xp, kh, kw, ho, wo, p):
    """Yield (t, view) for each kernel offset t = u·kw + v: the (B, C, Ho, Wo) slice of tap t."""
    sh, sw, dh, dw = p[0], p[1], p[6], p[7]
    hspan, wspan = sh * (ho - 1) + 1, sw * (wo - 1) + 1
    for u in range(kh):
        for v in range(kw):
            yield u * kw + v, xp[:, :, u * dh:u * dh + hspan:sh, v * dw:v * dw + wspan:sw]


def _padded(x, p, value):
    pt, pb, pl, pr = p[2:6]
    if not (pt or pb or pl or pr):
        return x
    b, c, h, w = x.shape
    xp = np.full((b, c, h + pt + pb, w + pl + pr), value, dtype=x.dtype)
    xp[:, :, pt:pt + h, pl:pl + w] = x
    return xp


def _disjoint(kh, kw, p):
    """True when no two windows share an input position (stride ≥ dilated kernel extent)."""
    return p[0] >= p[6] * (kh - 1) + 1 and p[1] >= p[7] * (kw - 1) + 1


def _reduce_windows(xp, kh, kw, ho, wo, p, ufunc):
    """ufunc (np.maximum or np.add) over each window, separably: first along W, then along H.

    kw - 1 + kh - 1 whole-array operations instead of kh·kw - 1; returns a new array.
    """
    sh, sw, dh, dw = p[0], p[1], p[6], p[7]
    hspan, wspan = sh * (ho - 1) + 1, sw * (wo - 1) + 1
    a = xp[..., 0:wspan:sw]
    if kw > 1:
        a = ufunc(a, xp[..., dw:dw + wspan:sw])
        for v in range(2, kw):
            ufunc(a, xp[..., v * dw:v * dw + wspan:sw], out=a)
    out = a[:, :, 0:hspan:sh]
    if kh > 1:
        out = ufunc(out, a[:, :, dh:dh + hspan:sh])
        for u in range(2, kh):
            ufunc(out, a[:, :, u * dh:u * dh + hspan:sh], out=out)
    else:
        out = out.copy()
    return out


def _spread_windows(gs, padded_shape, kh, kw, p):
    """Adjoint of _reduce_windows with np.add: each window's value added to all its positions."""
    sh, sw, dh, dw = p[0], p[1], p[6], p[7]
    b, c, hp, wp = padded_shape
    ho, wo = gs.shape[2:]
    hspan, wspan = sh * (ho - 1) + 1, sw * (wo - 1) + 1
    ga = np.zeros((b, c, hp, wo), dtype=gs.dtype)
    for u in range(kh):
        ga[:, :, u * dh:u * dh + hspan:sh] += gs
    gp = np.zeros(padded_shape, dtype=gs.dtype)
    for v in range(kw):
        gp[..., v * dw:v * dw + wspan:sw] += ga
    return gp


def max_pool2d_forward(x, kh, kw, p):
    """(max over each window, the padded input) for an NCHW array (padding is -inf)."""
    h, w = x.shape[2:]
    ho, wo = out_len(h, p[2], p[3], kh, p[0], p[6]), out_len(w, p[4], p[5], kw, p[1], p[7])
    xp = _padded(x, p, -np.inf)
    return _reduce_windows(xp, kh, kw, ho, wo, p, np.maximum), xp


def max_pool_masks(xp, out, kh, kw, p):
    """Per tap t, the boolean mask of windows whose first maximum (row-major scan, as torch) is tap t."""
    ho, wo = out.shape[2:]
    masks, taken, last = [], None, kh * kw - 1
    nan = bool(np.isnan(out).any())  # a NaN is the maximum of its window (as in torch)
    inside = None  # a window whose maximum is -inf must not pick a padded position
    if any(p[2:6]) and bool(np.isneginf(out).any()):
        b, c, hp, wp = xp.shape
        inside = np.zeros((1, 1, hp, wp), dtype=bool)
        inside[:, :, p[2]:hp - p[3], p[4]:wp - p[5]] = True
        inside_taps = [v for _, v in _taps(inside, kh, kw, ho, wo, p)]
    for t, view in _taps(xp, kh, kw, ho, wo, p):
        eq = view == out
        if nan:
            eq |= np.isnan(view)
        if inside is not None:
            eq &= inside_taps[t]
        if taken is None:
            m = eq
            taken = eq.copy() if last else None
        else:
            m = np.greater(eq, taken)  # eq and not already taken by an earlier tap
            if t < last:
                taken |= m
        masks.append(m)
    return masks


def flat_indices(masks, in_hw, kh, kw, p):
    """Flat per-plane indices (row·W + col) of the arg-max taps, as torch's return_indices."""
    sh, sw, pt, _, pl, _, dh, dw = p
    arg = np.zeros(masks[0].shape, dtype=np.int64)
    for t, m in enumerate(masks[1:], 1):
        arg += t * m
    ho, wo = arg.shape[2:]
    rows = (np.arange(ho) * sh - pt)[:, None] + (arg // kw) * dh
    cols = (np.arange(wo) * sw - pl)[None, :] + (arg % kw) * dw
    return rows * in_hw[1] + cols


def max_pool_scatter(g, masks, in_shape, kh, kw, p):
    """Gradient of max pooling: g placed at each window's arg-max (summed where windows overlap)."""
    b, c, h, w = in_shape
    pt, pb, pl, pr = p[2:6]
    ho, wo = g.shape[2:]
    gp = np.zeros((b, c, h + pt + pb, w + pl + pr), dtype=g.dtype)
    disjoint = _disjoint(kh, kw, p)
    for t, view in _taps(gp, kh, kw, ho, wo, p):
        if disjoint:
            np.multiply(g, masks[t], out=view)
        else:
            view += g * masks[t]
    return gp[:, :, pt:pt + h, pl:pl + w]


def max_pool_gather(h, masks, kh, kw, p):
    """Adjoint of max_pool_scatter: h read at each window's arg-max."""
    hp = _padded(h, p, 0)
    ho, wo = masks[0].shape[2:]
    out = None
    for t, view in _taps(hp, kh, kw, ho, wo, p):
        if out is None:
            out = view * masks[t]
        else:
            out += view * masks[t]
    return out


class MaxPool2dFn(Function):
    """y = max over each window;   dx = g routed to the window's first arg-max"""

    def forward(self, x):
        out, self.xp = max_pool2d_forward(x, self.kh, self.kw, self.p)
        return out

    def masks(self):
        return max_pool_masks(self.xp, self.output.data, self.kh, self.kw, self.p)

    def backward(self, g):
        return MaxPoolScatter.apply(g, masks=self.masks(), in_shape=self.inputs[0].shape, kh=self.kh, kw=self.kw,
                                    p=self.p)


class MaxPoolScatter(Function):
    """y = g placed at the arg-max positions (the gradient of max pooling);   backward gathers there"""

    def forward(self, g):
        return max_pool_scatter(g, self.masks, self.in_shape, self.kh, self.kw, self.p)

    def backward(self, h):
        return MaxPoolGather.apply(h, masks=self.masks, in_shape=self.in_shape, kh=self.kh, kw=self.kw, p=self.p)


class MaxPoolGather(Function):
    """y = h at each window's arg-max;   backward scatters back"""

    def forward(self, h):
        return max_pool_gather(h, self.masks, self.kh, self.kw, self.p)

    def backward(self, g):
        return MaxPoolScatter.apply(g, masks=self.masks, in_shape=self.in_shape, kh=self.kh, kw=self.kw, p=self.p)


def avg_pool_sum(x, kh, kw, p, scale):
    """Σ over each window of the zero-padded input, times ``scale`` (1/divisor, scalar or (Ho, Wo))."""
    h, w = x.shape[2:]
    ho, wo = out_len(h, p[2], p[3], kh, p[0], p[6]), out_len(w, p[4], p[5], kw, p[1], p[7])
    out = _reduce_windows(_padded(x, p, 0), kh, kw, ho, wo, p, np.add)
    out *= scale
    return out


def avg_pool_scatter(g, in_shape, kh, kw, p, scale):
    """Adjoint of avg_pool_sum: each window's g·scale added to every position of the window."""
    b, c, h, w = in_shape
    pt, pb, pl, pr = p[2:6]
    gp = _spread_windows(g * scale, (b, c, h + pt + pb, w + pl + pr), kh, kw, p)
    return gp[:, :, pt:pt + h, pl:pl + w]


class AvgPool2dFn(Function):
    """y = scale·Σ_window x (scale = 1/divisor per window);   dx = the scattered g·scale"""

    def forward(self, x):
        return avg_pool_sum(x, self.kh, self.kw, self.p, self.scale)

    def backward(self, g):
        return AvgPoolScatter.apply(g, in_shape=self.inputs[0].shape, kh=self.kh, kw=self.kw, p=self.p,
                                    scale=self.scale)


class AvgPoolScatter(Function):
    """y = g·scale spread over each window (the gradient of average pooling);   backward pools"""

    def forward(self, g):
        return avg_pool_scatter(g, self.in_shape, self.kh, self.kw, self.p, self.scale)

    def backward(self, h):
        return AvgPool2dFn.apply(h, kh=self.kh, kw=self.kw, p=self.p, scale=self.scale)


class PlaneGather(Function):
    """y[n, c, m] = x[n, c, idx[n, c, m]] over flattened planes;   backward scatter-adds g to idx"""

    def forward(self, x):
        b, c = x.shape[:2]
        flat = x.reshape(b, c, -1)
        out = np.take_along_axis(flat, self.index.reshape(b, c, -1), axis=2)
        return out.reshape(self.index.shape)

    def backward(self, g):
        return PlaneScatter.apply(g, index=self.index, out_shape=self.inputs[0].shape, accumulate=True)


class PlaneScatter(Function):
    """y = zeros(out_shape); y[n, c, idx[n, c, m]] (+)= g[n, c, m];   backward gathers at idx

    ``accumulate=False`` assigns (max_unpool: with repeated indices one value wins, as in torch).
    """

    def forward(self, g):
        b, c = self.out_shape[:2]
        plane = int(np.prod(self.out_shape[2:], dtype=np.int64))
        flat = (self.index.reshape(b * c, -1) + (np.arange(b * c, dtype=np.int64) * plane)[:, None]).ravel()
        if self.accumulate:
            out = np.bincount(flat, weights=g.ravel(), minlength=b * c * plane).astype(g.dtype, copy=False)
        else:
            out = np.zeros(b * c * plane, dtype=g.dtype)
            out[flat] = g.ravel()
        return out.reshape(self.out_shape)

    def backward(self, h):
        return PlaneGather.apply(h, index=self.index)
