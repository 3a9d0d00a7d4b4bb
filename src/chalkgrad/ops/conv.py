"""2-D convolution (cross-correlation), its two adjoints, and unfold/fold (im2col/col2im).

Everything here works on batched NCHW arrays with already-checked arguments; the
user-facing wrappers with torch's argument handling and error messages live in
``chalkgrad.nn.functional``. 1-D operations are these with a height of 1.

Geometry ``p = (sh, sw, pt, pb, pl, pr, dh, dw, groups)``: strides, zero padding on
the four sides (top, bottom, left, right), dilations and the number of groups.
With Hp = H + pt + pb, the output height is Ho = ⌊(Hp - dh·(kh - 1) - 1) / sh⌋ + 1.

Three functions are linear in each argument and adjoint to one another, so each one's
backward is written with the other two and every order of derivative works:

* ``Conv2dFn(x, w[, b])``   y[n,o,i,j] = b[o] + Σ_{c,u,v} w[o,c,u,v]·xp[n, g·Cg + c, i·sh + u·dh, j·sw + v·dw]
* ``Conv2dInputGrad(g, w)``  ∂⟨y, g⟩/∂x, the transposed convolution (also ``conv_transpose2d``)
* ``Conv2dWeightGrad(x, g)`` ∂⟨y, g⟩/∂w, a correlation of the input with the output gradient

Algorithms (NumPy, NHWC inside):

* forward: im2col with the channel axis innermost: the padded input is made NHWC, a strided view
  (B, Ho, Wo, kh, kw, C) is copied to a (B·Ho·Wo, kh·kw·C) matrix and one GEMM with the
  (kh·kw·C, O) weight matrix gives the output (kept for the weight gradient, and its buffer
  recycled once the backward pass is done); with C ≤ 8 the matrix is built as its transpose,
  one tap and channel per row, which copies whole rows of the image instead of C values at a time;
* weight gradient: one GEMM, Gᵀ (O, B·Ho·Wo) @ columns;
* input gradient: with stride 1 and many channels, the full correlation of G with the flipped
  kernel (one im2col, one GEMM); otherwise tap by tap, kh·kw GEMMs G @ W[:, :, u, v] added into
  shifted, strided slices of a padded buffer (no (B·Ho·Wo, kh·kw·C) temporary, no np.add.at);
* depthwise (in_channels/groups = 1): kh·kw multiply-adds per block of samples in NHWC, each tap one
  vectorized pass over Wo·C contiguous values while the block is in cache, blocks split over two threads;
  dx (stride 1) is the same kernel on G with the flipped weights, dW one einsum per tap and block;
  a channel multiplier m > 1 runs on the input with each channel repeated m times;
  other grouped convolutions: batched GEMMs over the groups.

Outputs with many channels stay NHWC in memory (an NCHW view), which the next convolution reads
without a transpose; outputs with few channels are made NCHW-contiguous for the pooling and
elementwise ops after them.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..autograd import grad_mode
from ..autograd.function import Function
from . import workspace as _workspace
from .workspace import clear_workspace  # noqa: F401  (kept as chalkgrad.ops.conv.clear_workspace)
from .workspace import take as _take


def out_len(n: int, lo: int, hi: int, k: int, s: int, d: int) -> int:
    """Output length ⌊(n + lo + hi - d·(k - 1) - 1) / s⌋ + 1 (may be ≤ 0 when the kernel does not fit)."""
    return (n + lo + hi - d * (k - 1) - 1) // s + 1


def _nhwc_padded(x, pt, pb, pl, pr):
    """x (B, C, H, W) -> zero-padded (B, H + pt + pb, W + pl + pr, C) (a view when there is no padding).

    A padded copy comes from the spare buffers; hand it back with ``_give`` once no longer needed.
    """
    if pb < 0 or pr < 0:  # negative padding crops (transposed convolutions with output_padding)
        x = x[:, :, :x.shape[2] + min(pb, 0), :x.shape[3] + min(pr, 0)]
        pb, pr = max(pb, 0), max(pr, 0)
    xt = x.transpose(0, 2, 3, 1)
    if not (pt or pb or pl or pr):
        return xt
    b, h, w, c = xt.shape
    xp = _take((b, h + pt + pb, w + pl + pr, c), x.dtype)  # a recycled buffer: zero the border
    xp[:, :pt] = 0
    xp[:, pt + h:] = 0
    xp[:, pt:pt + h, :pl] = 0
    xp[:, pt:pt + h, pl + w:] = 0
    xp[:, pt:pt + h, pl:pl + w, :] = xt
    return xp


def _windows(xp, kh, kw, ho, wo, p):
    """Strided view (B, Ho, Wo, kh, kw, C) of the padded NHWC input."""
    sh, sw, dh, dw = p[0], p[1], p[6], p[7]
    b, _, _, c = xp.shape
    s0, s1, s2, s3 = xp.strides
    return as_strided(xp, (b, ho, wo, kh, kw, c), (s0, s1 * sh, s2 * sw, s1 * dh, s2 * dw, s3), writeable=False)


# Spare buffers (ops/workspace.py, shared with the normalization kernels): padded inputs, temporaries
# and the column matrices of finished backward passes are kept for the next call with the same shape.
_SPARE = _workspace.SPARE
_SPARE_MIN = 1 << 20
#: Column matrices larger than this are not kept for the weight gradient (recomputed in backward),
#: so a deep network does not hold one per layer.
_KEEP_COLS_MAX = 1 << 28


def _give(arr) -> None:
    _workspace.give(arr, _SPARE_MIN)


def _columns_transposed(x, kh, kw, ho, wo, p):
    """im2col for few channels, built as its transpose (kh·kw·C, B·Ho·Wo): one row per tap and channel,
    filled from the NCHW input by runs of Wo values (channel-innermost columns would copy C at a time)."""
    sh, sw, pt, pb, pl, pr, dh, dw = p[:8]
    b, c = x.shape[:2]
    if pb < 0 or pr < 0:
        x = x[:, :, :x.shape[2] + min(pb, 0), :x.shape[3] + min(pr, 0)]
        pb, pr = max(pb, 0), max(pr, 0)
    if pt or pb or pl or pr:
        h, w = x.shape[2:]
        xp = np.zeros((b, c, h + pt + pb, w + pl + pr), dtype=x.dtype)
        xp[:, :, pt:pt + h, pl:pl + w] = x
    else:
        xp = x
    cols = _take((kh * kw * c, b * ho * wo), x.dtype)
    rows = cols.reshape(kh * kw, c, b, ho, wo)
    hspan, wspan = sh * (ho - 1) + 1, sw * (wo - 1) + 1
    for i in range(kh):
        for j in range(kw):
            rows[i * kw + j] = xp[:, :, i * dh:i * dh + hspan:sh, j * dw:j * dw + wspan:sw].transpose(1, 0, 2, 3)
    return cols.T


def _columns(x, kh, kw, ho, wo, p):
    """im2col: (B·Ho·Wo, kh·kw·C) for groups = 1 (a transposed view when C ≤ 8), (G, B·Ho·Wo, kh·kw·Cg) otherwise."""
    if p[8] == 1 and x.shape[1] <= 8:
        return _columns_transposed(x, kh, kw, ho, wo, p)
    xp = _nhwc_padded(x, p[2], p[3], p[4], p[5])
    win = _windows(xp, kh, kw, ho, wo, p)
    b, c, groups = x.shape[0], x.shape[1], p[8]
    n = b * ho * wo
    if groups == 1:
        cols = _take((n, kh * kw * c), x.dtype)
        np.copyto(cols.reshape(win.shape), win)
    else:
        cg = c // groups
        win = win.reshape(b, ho, wo, kh, kw, groups, cg).transpose(5, 0, 1, 2, 3, 4, 6)
        cols = np.empty((groups, n, kh * kw * cg), dtype=x.dtype)  # always a copy: xp is recycled below
        np.copyto(cols.reshape(win.shape), win)
    del win
    _give(xp)
    return cols


def _weight_matrix(w, groups):
    """w (O, Cg, kh, kw) -> (kh·kw·Cg, O) for one group, (G, kh·kw·Cg, Og) otherwise."""
    o, cg, kh, kw = w.shape
    if groups == 1:
        return w.transpose(2, 3, 1, 0).reshape(kh * kw * cg, o)
    og = o // groups
    return w.reshape(groups, og, cg, kh, kw).transpose(0, 3, 4, 2, 1).reshape(groups, kh * kw * cg, og)


def _rows(g):
    """g (B, O, Ho, Wo) -> (B·Ho·Wo, O), no copy when g is already NHWC in memory."""
    b, o, ho, wo = g.shape
    # contiguous, so BLAS takes it (a broadcast gradient, e.g. from y.sum(), reshapes to 0 strides)
    return np.ascontiguousarray(g.transpose(0, 2, 3, 1).reshape(b * ho * wo, o))


def _depthwise_taps(xp, kh, kw, ho, wo, p):
    """Yield (u, v, tap) with tap the (B, Ho, Wo, C) strided slice of the padded NHWC input for offset (u, v)."""
    sh, sw, dh, dw = p[0], p[1], p[6], p[7]
    hspan, wspan = sh * (ho - 1) + 1, sw * (wo - 1) + 1
    for i in range(kh):
        for j in range(kw):
            yield i, j, xp[:, i * dh:i * dh + hspan:sh, j * dw:j * dw + wspan:sw, :]


# -- depthwise with one output channel per input channel: batch blocks that stay in the L2 cache ---------
# The batch is cut into blocks of a few samples (about _DW_BLOCK_BYTES of padded input each); each block
# is copied once into a padded NHWC scratch array, then all kh·kw taps run on it while it is in cache. The
# blocks are split over the workspace's threads (``workspace.split_blocks``); every thread has its own
# scratch and writes disjoint samples of the output, so results do not depend on timing.
_DW_BLOCK_BYTES = 1 << 19


def _dw_blocks(bsz, per_sample_bytes):
    """Consecutive (n0, n1) batch ranges of about _DW_BLOCK_BYTES each (at least one sample)."""
    k = max(1, _DW_BLOCK_BYTES // max(per_sample_bytes, 1))
    return [(n0, min(n0 + k, bsz)) for n0 in range(0, bsz, k)]


def _dw_tiles(w, wo):
    """w (C, 1, kh, kw) -> (kh·kw, Wo, C): each tap's weights repeated along a row, so that a multiply
    with a (.., Wo, C) tap runs over Wo·C contiguous values instead of C at a time."""
    c, _, kh, kw = w.shape
    return np.ascontiguousarray(np.broadcast_to(w.reshape(c, kh * kw).T[:, None, :], (kh * kw, wo, c)))


def _dw_crop(x, p):
    """x and its padding (pt, pb, pl, pr), with negative bottom/right padding (from transposed convolutions
    with output_padding) applied as a crop of x."""
    pt, pb, pl, pr = p[2:6]
    if pb < 0 or pr < 0:
        x = x[:, :, :x.shape[2] + min(pb, 0), :x.shape[3] + min(pr, 0)]
    return x, pt, max(pb, 0), pl, max(pr, 0)


def _dw_padded_scratch(nb, h, w, c, pt, pb, pl, pr, dtype):
    """A zeroed (nb, h + pt + pb, w + pl + pr, C) array; its interior is overwritten block after block."""
    return np.zeros((nb, h + pt + pb, w + pl + pr, c), dtype=dtype)


def _dw_nhwc_block(a, n0, n1, scratch):
    """a[n0:n1] (NCHW) as a C-contiguous NHWC array: a view when a is NHWC in memory, else copied to scratch."""
    t = a[n0:n1].transpose(0, 2, 3, 1)
    if t.flags.c_contiguous:
        return t
    out = scratch[:n1 - n0]
    np.copyto(out, t)
    return out


def _dw_correlate(x, w, b, p, ho, wo, dtype, nchw=False):
    """Depthwise correlation with one output per channel: (B, Ho, Wo, C) NHWC, or (B, C, Ho, Wo) with ``nchw``,
    y[n,i,j,c] = b[c] + Σ_{u,v} w[c,0,u,v]·xp[n, i·sh + u·dh, j·sw + v·dw, c] (pads ≥ 0)."""
    x, pt, pb, pl, pr = _dw_crop(x, p)
    bsz, c, h, wd = x.shape
    _, _, kh, kw = w.shape
    hp, wp = h + pt + pb, wd + pl + pr
    tiles = _dw_tiles(w.astype(dtype, copy=False), wo)
    bias = None if b is None else b.astype(dtype, copy=False)
    y = np.empty((bsz, c, ho, wo) if nchw else (bsz, ho, wo, c), dtype=dtype)
    blocks = _dw_blocks(bsz, hp * wp * c * np.dtype(dtype).itemsize)

    def part(lo, hi):
        nb = max((n1 - n0 for n0, n1 in blocks[lo:hi]), default=0)
        xb = _dw_padded_scratch(nb, h, wd, c, pt, pb, pl, pr, dtype)
        tmp = np.empty((nb, ho, wo, c), dtype=dtype)
        ys = np.empty((nb, ho, wo, c), dtype=dtype) if nchw else None
        for n0, n1 in blocks[lo:hi]:
            k = n1 - n0
            np.copyto(xb[:k, pt:pt + h, pl:pl + wd], x[n0:n1].transpose(0, 2, 3, 1))
            yb, tb = (ys[:k] if nchw else y[n0:n1]), tmp[:k]
            for t, (_, _, tap) in enumerate(_depthwise_taps(xb[:k], kh, kw, ho, wo, p)):
                if t == 0:
                    np.multiply(tap, tiles[0], out=yb)
                else:
                    np.multiply(tap, tiles[t], out=tb)
                    yb += tb
            if bias is not None:
                yb += bias
            if nchw:  # transposed while the block is in cache
                np.copyto(y[n0:n1], yb.transpose(0, 3, 1, 2))

    _workspace.split_blocks(part, len(blocks))
    return y


def _depthwise_forward(x, w, b, p, ho, wo):
    """Depthwise (in/groups = 1, multiplier m = O/C): y[..., c·m + k] = b + Σ_{u,v} w[c·m + k, 0, u, v]·tap_uv[..., c].

    Blocked, threaded multiply-adds (``_dw_correlate``); with m > 1, on the input with each channel
    repeated m times (then one output per channel). Returns (B·Ho·Wo, O), bias included.
    """
    bsz, c = x.shape[:2]
    o = w.shape[0]
    if o > c:
        x = np.repeat(x, o // c, axis=1)
    return _dw_correlate(x, w, b, p, ho, wo, np.result_type(x.dtype, w.dtype)).reshape(bsz * ho * wo, o)


def _dw_scatter(g, w, x_shape, p, dtype, nchw=False):
    """Input gradient of a depthwise convolution with m = 1 by blocks: each tap's G·w[c, u, v] is added into
    the shifted, strided slice of a padded block (any stride, dilation, or negative padding);
    (B, H, W, C), or (B, C, H, W) with ``nchw``."""
    bsz, c, h, wd = x_shape
    _, _, kh, kw = w.shape
    _, _, ho, wo = g.shape
    pt, pb, pl, pr = p[2:6]
    hp, wp = h + pt + max(pb, 0), wd + pl + max(pr, 0)
    tiles = _dw_tiles(w.astype(dtype, copy=False), wo)
    dx = np.empty((bsz, c, h, wd) if nchw else (bsz, h, wd, c), dtype=dtype)
    blocks = _dw_blocks(bsz, hp * wp * c * np.dtype(dtype).itemsize)

    def part(lo, hi):
        nb = max((n1 - n0 for n0, n1 in blocks[lo:hi]), default=0)
        dxb = np.empty((nb, hp, wp, c), dtype=dtype)
        tmp = np.empty((nb, ho, wo, c), dtype=dtype)
        gs = np.empty((nb, ho, wo, c), dtype=g.dtype)
        for n0, n1 in blocks[lo:hi]:
            k = n1 - n0
            gb, tb, db = _dw_nhwc_block(g, n0, n1, gs), tmp[:k], dxb[:k]
            db[...] = 0
            for t, (_, _, tap) in enumerate(_depthwise_taps(db, kh, kw, ho, wo, p)):
                np.multiply(gb, tiles[t], out=tb)
                tap += tb
            interior = db[:, pt:pt + h, pl:pl + wd]
            dx[n0:n1] = interior.transpose(0, 3, 1, 2) if nchw else interior

    _workspace.split_blocks(part, len(blocks))
    return dx


def _depthwise_input_grad(g, w, x_shape, p, nchw=False):
    """dx (B, C, H, W) of a depthwise convolution: NCHW memory with ``nchw`` or m > 1, else an NHWC view.

    Per output channel (the input repeated m times): with stride 1 the correlation of G, zero-padded by
    d·(k - 1) - pad, with the flipped kernel (``_dw_correlate``), otherwise ``_dw_scatter``; with
    m > 1 the m gradients of each input channel are then added.
    """
    bsz, c, h, wd = x_shape
    o, _, kh, kw = w.shape
    m = o // c
    sh, sw, pt, pb, pl, pr, dh, dw = p[:8]
    dtype = np.result_type(g.dtype, w.dtype)
    nchw = nchw or m > 1
    q = (dh * (kh - 1) - pt, dh * (kh - 1) - pb, dw * (kw - 1) - pl, dw * (kw - 1) - pr)
    if sh == 1 and sw == 1 and min(q) >= 0:
        wf = w[:, :, ::-1, ::-1]
        dx = _dw_correlate(g, wf, None, (1, 1, *q, dh, dw, o), h, wd, dtype, nchw)
    else:
        dx = _dw_scatter(g, w, (bsz, o, h, wd), p, dtype, nchw)
    if m > 1:
        return dx.reshape(bsz, c, m, h, wd).sum(axis=2)
    return dx if nchw else dx.transpose(0, 3, 1, 2)


def _dw_weight_grad_m1(x, g, kh, kw, p, dtype):
    """dW (C, kh·kw) for m = 1 by blocks: per tap, Σ_{n,i} G·tap over the block (one einsum, no temporary)
    added into a (Wo, C) accumulator; the accumulators of the blocks and threads are added in order at the end."""
    x, pt, pb, pl, pr = _dw_crop(x, p)
    bsz, c, h, wd = x.shape
    _, _, ho, wo = g.shape
    hp, wp = h + pt + pb, wd + pl + pr
    blocks = _dw_blocks(bsz, hp * wp * c * np.dtype(dtype).itemsize)

    def part(lo, hi):
        nb = max((n1 - n0 for n0, n1 in blocks[lo:hi]), default=0)
        xb = _dw_padded_scratch(nb, h, wd, c, pt, pb, pl, pr, x.dtype)
        gs = np.empty((nb, ho, wo, c), dtype=g.dtype)
        acc = np.zeros((kh * kw, wo, c), dtype=dtype)
        for n0, n1 in blocks[lo:hi]:
            k = n1 - n0
            np.copyto(xb[:k, pt:pt + h, pl:pl + wd], x[n0:n1].transpose(0, 2, 3, 1))
            gb = _dw_nhwc_block(g, n0, n1, gs)
            for t, (_, _, tap) in enumerate(_depthwise_taps(xb[:k], kh, kw, ho, wo, p)):
                acc[t] += np.einsum("nhwc,nhwc->wc", gb, tap)
        return acc

    parts = _workspace.split_blocks(part, len(blocks))
    acc = parts[0]
    for a in parts[1:]:
        acc += a
    return acc.sum(axis=1).T


def _depthwise_weight_grad(x, g, w_shape, p):
    """dW[c·m + k, 0, u, v] = Σ_{n,i,j} G[n, i, j, c·m + k]·tap_uv[n, i, j, c] (input repeated m times when m > 1)."""
    c = x.shape[1]
    o, _, kh, kw = w_shape
    if o > c:
        x = np.repeat(x, o // c, axis=1)
    gw = np.empty((o, 1, kh, kw), dtype=np.result_type(x.dtype, g.dtype))
    gw.reshape(o, kh * kw)[...] = _dw_weight_grad_m1(x, g, kh, kw, p, gw.dtype)
    return gw


#: Outputs with fewer channels are returned in NCHW memory (see conv2d_forward).
_NHWC_MIN_CHANNELS = 32


def conv2d_forward(x, w, b, p, cols=None):
    """The convolution on arrays; returns (y (B, O, Ho, Wo), the im2col matrix or None)."""
    bsz, _, h, wd = x.shape
    o, _, kh, kw = w.shape
    ho, wo = out_len(h, p[2], p[3], kh, p[0], p[6]), out_len(wd, p[4], p[5], kw, p[1], p[7])
    groups = p[8]
    if groups > 1 and w.shape[1] == 1:
        y = _depthwise_forward(x, w, b, p, ho, wo)
        b = None  # added by _depthwise_forward
    elif groups == 1:
        if cols is None:
            cols = _columns(x, kh, kw, ho, wo, p)
        y = cols @ _weight_matrix(w, groups)
    else:
        if cols is None:
            cols = _columns(x, kh, kw, ho, wo, p)
        wm = _weight_matrix(w, groups)
        y = np.matmul(cols, wm).transpose(1, 0, 2).reshape(bsz * ho * wo, o)
    if b is not None:
        y += b
    y = y.reshape(bsz, ho, wo, o).transpose(0, 3, 1, 2)
    # Few channels: NCHW memory, so that pooling and elementwise ops downstream run along rows of W
    # values instead of C-element inner loops; many channels: keep NHWC memory (no copy; the next
    # convolution then reads its input without a transpose).
    return (np.ascontiguousarray(y) if o < _NHWC_MIN_CHANNELS else y), cols


def conv2d_input_grad(g, w, x_shape, p, rows=None, nchw=False):
    """dx: each output gradient pushed back through the weight (the transposed convolution).

    ``nchw``: x was NCHW-contiguous; the depthwise kernels then return dx in the same memory layout
    (a new array the caller owns, so ``.grad`` of a leaf needs no copy); otherwise NHWC memory.

    One group, stride 1 and ≥ 32 channels in and out: a full correlation (im2col of G and one GEMM).
    Otherwise, one group: tap by tap, tmp = G (B·Ho·Wo, O) @ W[:, :, u, v] (O, C) is added into the
    (u, v)-shifted, strided slice of a padded NHWC buffer (kh·kw small GEMMs, no large temporary).
    Several groups: one batched GEMM to columns, then the same tap-by-tap accumulation.
    Depthwise (one input channel per group): ``_depthwise_input_grad``.
    """
    bsz, c, h, wd = x_shape
    o, cg, kh, kw = w.shape
    sh, sw, pt, pb, pl, pr, dh, dw, groups = p
    _, _, ho, wo = g.shape
    dtype = np.result_type(g.dtype, w.dtype)
    qt, qb, ql, qr = dh * (kh - 1) - pt, dh * (kh - 1) - pb, dw * (kw - 1) - pl, dw * (kw - 1) - pr
    if groups == 1 and sh == 1 and sw == 1 and c >= 32 and o >= 32 and min(qt, qb, ql, qr) >= 0:
        # Many channels, stride 1: the full correlation of g with the flipped, transposed kernel,
        # i.e. one im2col and one large GEMM (faster than kh·kw thin ones, above all with BLAS threads).
        wf = np.ascontiguousarray(w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3))
        y, cols = conv2d_forward(g, wf, None, (1, 1, qt, qb, ql, qr, dh, dw, 1))
        _give(cols)
        return y
    if groups > 1 and cg == 1:  # depthwise
        return _depthwise_input_grad(g, w, x_shape, p, nchw)
    g2 = _rows(g) if rows is None else rows
    dxp = np.zeros((bsz, h + pt + max(pb, 0), wd + pl + max(pr, 0), c), dtype=dtype)
    hspan, wspan = sh * (ho - 1) + 1, sw * (wo - 1) + 1
    if groups == 1:
        tmp = _take((g2.shape[0], c), dtype)
        tap = tmp.reshape(bsz, ho, wo, c)
        wt = np.ascontiguousarray(w.transpose(2, 3, 0, 1))  # (kh, kw, O, C): contiguous GEMM operands
        for i in range(kh):
            for j in range(kw):
                np.matmul(g2, wt[i, j], out=tmp)
                dxp[:, i * dh:i * dh + hspan:sh, j * dw:j * dw + wspan:sw, :] += tap
        del tap
        _give(tmp)
    else:
        og = o // groups
        gg = g2.reshape(-1, groups, og).transpose(1, 0, 2)
        dcols = np.matmul(gg, _weight_matrix(w, groups).transpose(0, 2, 1))  # (G, N, kh·kw·Cg)
        dcols = dcols.reshape(groups, bsz, ho, wo, kh, kw, cg)
        for i in range(kh):
            for j in range(kw):
                tap = dcols[:, :, :, :, i, j, :].transpose(1, 2, 3, 0, 4).reshape(bsz, ho, wo, c)
                dxp[:, i * dh:i * dh + hspan:sh, j * dw:j * dw + wspan:sw, :] += tap
    return dxp[:, pt:pt + h, pl:pl + wd, :].transpose(0, 3, 1, 2)


def conv2d_weight_grad(x, g, w_shape, p, cols=None, rows=None):
    """dW[o, c, u, v] = Σ_{n,i,j} g[n,o,i,j]·xp[n, c, i·sh + u·dh, j·sw + v·dw]: one GEMM with the columns."""
    o, cg, kh, kw = w_shape
    _, _, ho, wo = g.shape
    groups = p[8]
    if groups > 1 and cg == 1:
        return _depthwise_weight_grad(x, g, w_shape, p)
    own = cols is None
    if own:
        cols = _columns(x, kh, kw, ho, wo, p)
    g2 = _rows(g) if rows is None else rows
    if groups == 1:
        gw = (g2.T @ cols).reshape(o, kh, kw, cg).transpose(0, 3, 1, 2)
    else:
        og = o // groups
        gg = g2.reshape(-1, groups, og).transpose(1, 2, 0)  # (G, Og, N)
        gw = np.matmul(gg, cols).reshape(o, kh, kw, cg).transpose(0, 3, 1, 2)
    if own:
        _give(cols)
    return np.ascontiguousarray(gw)


class BiasGrad(Function):
    """db[o] = Σ_{n,i,j} g[n,o,i,j] (as ones @ G when G is NHWC in memory);   backward broadcasts"""

    def forward(self, g):
        b, o, h, w = g.shape
        t = g.transpose(0, 2, 3, 1)
        if t.flags.c_contiguous:
            return np.ones(b * h * w, dtype=g.dtype) @ t.reshape(b * h * w, o)
        return g.sum(axis=(0, 2, 3))

    def backward(self, gg):
        return gg.reshape(1, -1, 1, 1).expand(*self.inputs[0].shape)


class Conv2dFn(Function):
    """y = conv2d(x, w) + b;   dx = conv2d_input_grad(g, w),  dw = conv2d_weight_grad(x, g),  db = Σ g"""

    def forward(self, x, w, b=None):
        y, cols = conv2d_forward(x, w, b, self.p)
        if cols is None or cols.nbytes > _KEEP_COLS_MAX or x.dtype != w.dtype:
            self.keep_cols = False
        if self.keep_cols:
            self.cols = cols
        else:
            self.cols = None
            if cols is not None:
                _give(cols)
        return y

    def backward(self, g):
        x, w = self.inputs[0], self.inputs[1]
        need = self.needs_input_grad
        create_graph = grad_mode.state.enabled
        if create_graph:  # the new nodes may outlive this one: share no arrays with them
            self.keep_cols = False
        # the (B·Ho·Wo, O) gradient matrix, computed once for both products
        shared = need[0] and need[1] and not create_graph and (self.p[8] == 1 or w.shape[1] > 1)
        rows = _rows(g.data) if shared else None
        gx = None
        if need[0]:
            gx = Conv2dInputGrad.apply(g, w, x_shape=x.shape, p=self.p, rows=rows, nchw=x.data.flags.c_contiguous)
        gw = None
        if need[1]:
            gw = Conv2dWeightGrad.apply(x, g, w_shape=w.shape, p=self.p, cols=self.cols if self.keep_cols else None,
                                        rows=rows)
        gb = BiasGrad.apply(g) if len(need) > 2 and need[2] else None
        return gx, gw, gb

    def release(self) -> None:
        cols = self.__dict__.get("cols")
        if cols is not None and self.keep_cols:
            _give(cols)
        super().release()


class Conv2dInputGrad(Function):
    """y = conv2d_input_grad(g, w) (transposed convolution);   dg = conv2d(h, w),  dw = conv2d_weight_grad(h, g)"""

    def forward(self, g, w):
        d = self.__dict__
        return conv2d_input_grad(g, w, self.x_shape, self.p, d.get("rows"), d.get("nchw", False))

    def backward(self, h):
        g, w = self.inputs
        need = self.needs_input_grad
        dg = Conv2dFn.apply(h, w, p=self.p, keep_cols=False) if need[0] else None
        dw = Conv2dWeightGrad.apply(h, g, w_shape=w.shape, p=self.p, cols=None) if need[1] else None
        return dg, dw


class Conv2dWeightGrad(Function):
    """y = conv2d_weight_grad(x, g);   dx = conv2d_input_grad(g, h),  dg = conv2d(x, h)"""

    def forward(self, x, g):
        return conv2d_weight_grad(x, g, self.w_shape, self.p, self.cols, self.__dict__.get("rows"))

    def backward(self, h):
        x, g = self.inputs
        need = self.needs_input_grad
        dx = Conv2dInputGrad.apply(g, h, x_shape=x.shape, p=self.p) if need[0] else None
        dg = Conv2dFn.apply(x, h, p=self.p, keep_cols=False) if need[1] else None
        return dx, dg


# ----------------------------------------------------------------------------- unfold / fold
def _unfold(x, kh, kw, p):
    """(B, C, H, W) -> (B, C·kh·kw, L), rows ordered (c, u, v) as torch.nn.functional.unfold."""
    sh, sw, pt, pb, pl, pr, dh, dw = p[:8]
    b, c, h, w = x.shape
    ho, wo = out_len(h, pt, pb, kh, sh, dh), out_len(w, pl, pr, kw, sw, dw)
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr))) if (pt or pb or pl or pr) else x
    s0, s1, s2, s3 = xp.strides
    win = as_strided(xp, (b, c, kh, kw, ho, wo), (s0, s1, s2 * dh, s3 * dw, s2 * sh, s3 * sw), writeable=False)
    return win.reshape(b, c * kh * kw, ho * wo)


def _fold(cols, out_hw, kh, kw, p):
    """Adjoint of unfold: (B, C·kh·kw, L) -> (B, C, H, W), overlapping entries summed."""
    sh, sw, pt, pb, pl, pr, dh, dw = p[:8]
    h, w = out_hw
    b = cols.shape[0]
    c = cols.shape[1] // (kh * kw)
    ho, wo = out_len(h, pt, pb, kh, sh, dh), out_len(w, pl, pr, kw, sw, dw)
    cols = cols.reshape(b, c, kh, kw, ho, wo)
    out = np.zeros((b, c, h + pt + pb, w + pl + pr), dtype=cols.dtype)
    hspan, wspan = sh * (ho - 1) + 1, sw * (wo - 1) + 1
    for i in range(kh):
        for j in range(kw):
            out[:, :, i * dh:i * dh + hspan:sh, j * dw:j * dw + wspan:sw] += cols[:, :, i, j]
    return out[:, :, pt:pt + h, pl:pl + w]


class Unfold(Function):
    """cols = im2col(x) (B, C·kh·kw, L);   backward folds the gradient (sums overlaps)"""

    def forward(self, x):
        return _unfold(x, self.kh, self.kw, self.p)

    def backward(self, g):
        shape = self.inputs[0].shape
        return Fold.apply(g, out_hw=shape[2:], kh=self.kh, kw=self.kw, p=self.p)


class Fold(Function):
    """y = col2im(cols), overlapping blocks summed;   backward unfolds the gradient"""

    def forward(self, cols):
        return _fold(cols, self.out_hw, self.kh, self.kw, self.p)

    def backward(self, g):
        return Unfold.apply(g, kh=self.kh, kw=self.kw, p=self.p)
