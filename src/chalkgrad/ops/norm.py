"""Fused normalization ops: batch norm (training: batch statistics; eval: a per-channel scale and
shift) and normalization over trailing axes with an optional elementwise affine (layer norm; also
group and instance norm without it).

With x̂ = (x − μ)·σ⁻¹, σ⁻¹ = 1/√(var + ε) (biased variance) over the M values that share
a statistic, and g the incoming gradient:

    y  = γ·x̂ + β
    dx = σ⁻¹·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)),   ĝ = γ·g
    dγ = Σ g·x̂,      dβ = Σ g        (sums over what shares γ)

Kernels: NumPy works one operation at a time, and a full pass over a large tensor costs far more
than the same operation on a block already in the CPU cache (and a fresh multi-megabyte temporary
costs page faults on top). So the arrays are walked in contiguous blocks of about ``_BLOCK_BYTES``;
each block is read from memory once per pass and every operation on it runs in cache, into small
scratch arrays or straight into the output. Per-channel factors are expanded to full rows (a (C, L)
array) so the multiply-adds take NumPy's contiguous fast paths; block statistics are accumulated
in float64. The blocks of a pass are split over the workspace's threads (``workspace.split_blocks``;
NumPy releases the GIL inside its loops), partial sums combined in a fixed order.

* Batch norm, training: forward = a pass for the mean, one writing x − μ (kept for backward in a
  workspace buffer, handed back when the graph is released) and summing its squares (two-pass
  variance, no cancellation), one writing y = (x − μ)·a + β with a = γ·σ⁻¹; backward = a pass for
  Σg and Σg·(x − μ), one writing dx = g·a − (x − μ)·a·σ⁻¹·Σg·x̂/M − a·Σg/M.
* Batch norm, evaluation (``ChannelAffine``): one pass y = x·a + b.
* Layer norm (``Normalize`` over trailing axes): each row is normalized on its own, so with rows
  that fit in a block the forward and the backward are each one pass over memory; with γ or β, x̂
  is kept for backward (workspace buffer); without them the output is x̂.
* Batch-norm inputs that fit in one block take whole-array expressions (less Python overhead).

When the backward pass is itself recorded (``create_graph=True``), the same closed forms are
evaluated with Tensor operations on statistics recomputed from the input, so second derivatives
are exact.
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd import grad_mode
from ..autograd.function import Function
from ..tensor import Tensor
from .workspace import give, split_blocks, take

__all__ = ["BatchNormTrain", "ChannelAffine", "Normalize"]

#: Bytes per block of the cache-blocked kernels (each array operation then works in the CPU's L2 cache).
_BLOCK_BYTES = 1 << 18


def _block(dtype) -> int:
    """Elements per block for ``dtype``."""
    return max(1, _BLOCK_BYTES // np.dtype(dtype).itemsize)


def _stats_tensors(x: Tensor, axes: tuple, eps: float):
    """x̂ and σ⁻¹ (kept dims) as differentiable Tensor expressions of ``x``."""
    mean = x.mean(axes, keepdim=True)
    xc = x - mean
    invstd = ((xc * xc).mean(axes, keepdim=True) + eps).rsqrt()
    return xc * invstd, invstd


# -- per-channel kernels on (N, C, L) arrays ----------------------------------------------------------

def _channel_blocks(n: int, c: int, length: int, dtype):
    """Contiguous blocks of an (N, C, L) array of about one block each, as (index, channel slice), and
    the width of the expanded per-channel arrays: L, or 1 when L alone is larger than a block
    (then each block is part of one channel's row and the factor a broadcast scalar) or when the
    whole array is one block."""
    size = _block(dtype)
    per = c * length
    if n * per <= size:  # one block: broadcasting (C, 1) factors costs less than expanding them
        return [((slice(0, n), slice(0, c), slice(0, length)), slice(0, c))], 1
    if per <= size:
        nb = max(1, size // max(per, 1))
        return [((slice(i, i + nb), slice(0, c), slice(0, length)), slice(0, c)) for i in range(0, n, nb)], length
    if length <= size:
        cb = max(1, size // max(length, 1))
        return [((slice(i, i + 1), slice(j, j + cb), slice(0, length)), slice(j, j + cb))
                for i in range(n) for j in range(0, c, cb)], length
    return [((slice(i, i + 1), slice(j, j + 1), slice(k, k + size)), slice(j, j + 1))
            for i in range(n) for j in range(c) for k in range(0, length, size)], 1


def _expand(v, width: int, dtype) -> np.ndarray:
    """A (C,) vector as a contiguous (C, width) array (each value repeated along its row)."""
    if width == 1:
        return np.asarray(v, dtype=dtype)[:, None]
    return np.repeat(np.asarray(v, dtype=dtype)[:, None], width, axis=1)


def _scratch(x3, blocks) -> np.ndarray:
    """A flat scratch array large enough for any block of ``x3``."""
    return np.empty(max((x3[ix].size for ix, _ in blocks), default=1), dtype=x3.dtype)


def _view(buf: np.ndarray, shape) -> np.ndarray:
    return buf[:math.prod(shape)].reshape(shape)


def _over(blocks: list, fn) -> list:
    """``fn(part)`` for consecutive parts of ``blocks``, run on the workspace's threads; results in order."""
    if len(blocks) == 1:
        return [fn(blocks)]
    return split_blocks(lambda lo, hi: fn(blocks[lo:hi]), len(blocks))


def _channel_sums(x3, blocks) -> np.ndarray:
    """Σ over N and L of each channel, in float64 (float-dtype block sums)."""
    def part(bl):
        acc = np.zeros(x3.shape[1])
        for ix, cs in bl:
            acc[cs] += np.einsum("ncl->c", x3[ix])
        return acc

    return sum(_over(blocks, part))


def _channel_affine_into(out3, x3, a, b, blocks, width) -> None:
    """out = x·a + b with per-channel a, b ((C,) vectors; b may be None), block by block."""
    dt = out3.dtype
    ea = _expand(a, width, dt)
    eb = _expand(b, width, dt) if b is not None else None

    def part(bl):
        for ix, cs in bl:
            o = out3[ix]
            np.multiply(x3[ix], ea[cs], out=o)
            if eb is not None:
                np.add(o, eb[cs], out=o)

    _over(blocks, part)


class BatchNormTrain(Function):
    """y = x̂·γ + β with x̂ normalized by the batch statistics of each channel (dim 1).

    Inputs: x of shape (N, C, *), then γ if ``has_weight``, then β if ``has_bias``.
    Params: ``eps``; ``stats`` (a dict) receives the batch ``mean`` and biased ``var``
    (arrays of shape (C,)) for the running-statistics update.

    With grad mode on, the centred input x − μ (computed for the variance anyway) is kept for the
    backward pass in a workspace buffer, handed back when the graph is released.
    """

    xc = None

    def forward(self, x, *affine):
        n, c = x.shape[0], x.shape[1]
        x3 = x.reshape(n, c, -1)
        length = x3.shape[2]
        m = n * length
        dt = x.dtype
        blocks, width = _channel_blocks(n, c, length, dt)
        single = len(blocks) == 1  # a small input: whole-array expressions, less Python overhead
        keep = grad_mode.state.enabled
        if single:
            mean = (np.einsum("ncl->c", x3) / m).astype(dt)
            xc = np.subtract(x3, mean[:, None])
            var = np.einsum("ncl,ncl->c", xc, xc).astype(np.float64) / m
        else:
            mean = (_channel_sums(x3, blocks) / m).astype(dt)
            em = _expand(mean, width, dt)
            xc = take(x3.shape, dt) if keep else None

            def centre(bl):
                buf = None if keep else _scratch(x3, bl)
                ssq = np.zeros(c)
                for ix, cs in bl:
                    xb = x3[ix]
                    s = xc[ix] if keep else _view(buf, xb.shape)
                    np.subtract(xb, em[cs], out=s)
                    ssq[cs] += np.einsum("ncl,ncl->c", s, s)
                return ssq

            var = sum(_over(blocks, centre)) / m
        invstd = 1.0 / np.sqrt(var + self.eps)
        self.mean, self.invstd, self.m, self.xc = mean, invstd, m, xc
        if self.stats is not None:
            self.stats["mean"], self.stats["var"] = mean, var.astype(dt)
            self.stats = None
        # y = (x − μ)·a + β with a = γ·σ⁻¹
        ea = _expand(invstd * affine[0] if self.has_weight else invstd, width, dt)
        eb = _expand(affine[-1], width, dt) if self.has_bias else None
        if single:
            y = np.multiply(xc, ea)
            if eb is not None:
                y += eb
            return y.reshape(x.shape)
        y = np.empty(x.shape, dtype=dt)
        y3 = y.reshape(n, c, length)

        def scale_shift(bl):
            for ix, cs in bl:
                o = y3[ix]
                if keep:
                    np.multiply(xc[ix], ea[cs], out=o)
                else:
                    np.subtract(x3[ix], em[cs], out=o)
                    np.multiply(o, ea[cs], out=o)
                if eb is not None:
                    np.add(o, eb[cs], out=o)

        _over(blocks, scale_shift)
        return y

    def release(self) -> None:
        xc = self.xc
        super().release()
        if xc is not None:
            give(xc)

    def backward(self, g):
        if grad_mode.state.enabled:
            return self._backward_tensors(g)
        x = self.inputs[0]
        shape, dt = x.shape, x.dtype
        n, c = shape[0], shape[1]
        x3 = x.data.reshape(n, c, -1)
        length = x3.shape[2]
        g3 = g.data.astype(dt, copy=False).reshape(n, c, length)
        blocks, width = _channel_blocks(n, c, length, dt)
        xc = self.xc
        if xc is None:  # forward ran without grad mode: recompute x − μ
            xc = np.subtract(x3, self.mean[:, None])
        single = len(blocks) == 1

        def sums(bl):
            sg, sgc = np.zeros(c), np.zeros(c)  # Σg and Σg·(x − μ)
            for ix, cs in bl:
                gb = g3[ix]
                sgc[cs] += np.einsum("ncl,ncl->c", xc[ix], gb)
                sg[cs] += np.einsum("ncl->c", gb)
            return sg, sgc

        if single:
            sg = np.einsum("ncl->c", g3).astype(np.float64)
            sgc = np.einsum("ncl,ncl->c", xc, g3).astype(np.float64)
        else:
            parts = _over(blocks, sums)
            sg, sgc = sum(p[0] for p in parts), sum(p[1] for p in parts)
        invstd, m = self.invstd, self.m
        sgx = sgc * invstd  # Σ g·x̂
        need = self.needs_input_grad
        grads = []
        if need[0]:
            scale = invstd * self.inputs[1].data if self.has_weight else invstd
            # dx = (g − Σg/M − (x − μ)·σ⁻¹·Σg·x̂/M)·γσ⁻¹
            ea = _expand(scale, width, dt)
            ek = _expand(scale * invstd * sgx / m, width, dt)
            es = _expand(scale * sg / m, width, dt)
            dx = np.empty(shape, dtype=dt)
            dx3 = dx.reshape(n, c, length)
            if single:
                np.multiply(g3, ea, out=dx3)
                dx3 -= xc * ek
                dx3 -= es

            def input_grad(bl):
                buf = _scratch(x3, bl)
                for ix, cs in bl:
                    xb, d = xc[ix], dx3[ix]
                    s = _view(buf, xb.shape)
                    np.multiply(xb, ek[cs], out=s)
                    np.multiply(g3[ix], ea[cs], out=d)
                    np.subtract(d, s, out=d)
                    np.subtract(d, es[cs], out=d)

            if not single:
                _over(blocks, input_grad)
            grads.append(Tensor._wrap(dx))
        else:
            grads.append(None)
        k = 1
        if self.has_weight:
            grads.append(Tensor._wrap(sgx.astype(self.inputs[k].dtype)) if need[k] else None)
            k += 1
        if self.has_bias:
            grads.append(Tensor._wrap(sg.astype(self.inputs[k].dtype)) if need[k] else None)
        return tuple(grads)

    def _backward_tensors(self, g):
        """The same formulas as Tensor operations (used when create_graph=True)."""
        x = self.inputs[0]
        c = x.shape[1]
        axes = (0,) + tuple(range(2, x.ndim))
        bshape = (1, c) + (1,) * (x.ndim - 2)
        xhat, invstd = _stats_tensors(x, axes, self.eps)
        sg = g.sum(axes, keepdim=True)
        sgx = (g * xhat).sum(axes, keepdim=True)
        need = self.needs_input_grad
        grads = []
        if need[0]:
            scale = invstd * self.inputs[1].reshape(bshape) if self.has_weight else invstd
            grads.append(scale * (g - sg / float(self.m) - xhat * (sgx / float(self.m))))
        else:
            grads.append(None)
        k = 1
        if self.has_weight:
            grads.append(sgx.reshape(c) if need[k] else None)
            k += 1
        if self.has_bias:
            grads.append(sg.reshape(c) if need[k] else None)
        return tuple(grads)


class ChannelAffine(Function):
    """y = x·a + b with a per-channel scale a and shift b (shape (C,), channels on dim 1 of x).

    Batch norm in evaluation mode, with a = γ/√(running_var + ε) and b = β − running_mean·a
    (as Tensor expressions of γ, β, so their gradients flow). dx = g·a, da = Σ g·x, db = Σ g.
    """

    def forward(self, x, a, b):
        n, c = x.shape[0], x.shape[1]
        x3 = x.reshape(n, c, -1)
        blocks, width = _channel_blocks(n, c, x3.shape[2], x.dtype)
        y = np.empty(x.shape, dtype=x.dtype)
        _channel_affine_into(y.reshape(x3.shape), x3, a, b, blocks, width)
        return y

    def backward(self, g):
        x, a, _ = self.inputs
        need = self.needs_input_grad
        c = x.shape[1]
        if grad_mode.state.enabled:
            axes = (0,) + tuple(range(2, x.ndim))
            bshape = (1, c) + (1,) * (x.ndim - 2)
            return (g * a.reshape(bshape) if need[0] else None,
                    (g * x).sum(axes) if need[1] else None,
                    g.sum(axes) if need[2] else None)
        n, dt = x.shape[0], x.dtype
        x3 = x.data.reshape(n, c, -1)
        g3 = g.data.astype(dt, copy=False).reshape(x3.shape)
        grads = [None, None, None]
        if need[0]:
            blocks, width = _channel_blocks(n, c, x3.shape[2], dt)
            dx = np.empty(x.shape, dtype=dt)
            _channel_affine_into(dx.reshape(x3.shape), g3, a.data, None, blocks, width)
            grads[0] = Tensor._wrap(dx)
        if need[1]:
            grads[1] = Tensor._wrap(np.einsum("ncl,ncl->c", g3, x3).astype(a.dtype, copy=False))
        if need[2]:
            grads[2] = Tensor._wrap(np.einsum("ncl->c", g3).astype(self.inputs[2].dtype, copy=False))
        return tuple(grads)


# -- normalization over trailing axes, rows of an (R, D) array ----------------------------------------

def _row_blocks(r: int, d: int, dtype):
    """Row blocks of an (R, D) array of about one block each, each with its D slices (one unless
    a row is longer than a block), and the size of the largest."""
    size = _block(dtype)
    if d <= size:
        rb = max(1, size // max(d, 1))
        return [(slice(i, min(i + rb, r)), [slice(0, d)]) for i in range(0, r, rb)], min(r, rb) * d
    cols = [slice(j, min(j + size, d)) for j in range(0, d, size)]
    return [(slice(i, i + 1), cols) for i in range(r)], size


class Normalize(Function):
    """x̂ = (x − mean)/√(var + ε), statistics (biased variance) over ``axes``, kept per other index;
    then y = x̂·γ + β when ``has_weight``/``has_bias`` (γ, β of the shape of the normalized axes).

    Inputs: x, then γ if ``has_weight``, then β if ``has_bias`` (only with trailing ``axes``).
    Used by layer norm (with its affine), group and instance norm (their affine is per channel,
    applied outside). ``stats`` (a dict or None) receives ``mean`` and ``var`` with kept dims.
    Without the affine the output is x̂; with it, x̂ is kept for the backward pass (with grad mode
    on) in a workspace buffer, handed back when the graph is released.
    """

    has_weight = False
    has_bias = False
    xhat = None

    def _trailing(self, ndim: int) -> bool:
        axes = tuple(a % ndim for a in self.axes) if ndim else ()
        k = len(axes)
        return k > 0 and axes == tuple(range(ndim - k, ndim))

    def _rows(self, shape):
        k = len(self.axes)
        return math.prod(shape[:len(shape) - k]), math.prod(shape[len(shape) - k:])

    def forward(self, x, *affine):
        if not self._trailing(x.ndim):
            return self._forward_general(x)
        r, d = self._rows(x.shape)
        dt = x.dtype
        x2 = x.reshape(r, d)
        w = affine[0].reshape(d).astype(dt, copy=False) if self.has_weight else None
        b = affine[-1].reshape(d).astype(dt, copy=False) if self.has_bias else None
        blocks, size = _row_blocks(r, d, dt)
        mean, var = np.empty(r), np.empty(r)
        y = np.empty(x.shape, dtype=dt)
        y2 = y.reshape(r, d)
        plain = w is None and b is None
        # x̂ goes to y (no affine), to a kept buffer (for backward) or to scratch
        if plain:
            xh2 = y2
        elif grad_mode.state.enabled:
            xh2 = self.xhat = take((r, d), dt)
        else:
            xh2 = None

        def part(bl):
            buf = None if xh2 is not None else np.empty(max(size, 1), dtype=dt)
            for rb, cols in bl:
                acc = 0.0
                for cs in cols:
                    acc = acc + np.einsum("rd->r", x2[rb, cs]).astype(np.float64)
                mu = acc / d
                mu_d = np.asarray(mu, dtype=dt)[:, None]
                ssq = 0.0
                for cs in cols:
                    xb = x2[rb, cs]
                    s = xh2[rb, cs] if xh2 is not None else _view(buf, xb.shape)
                    np.subtract(xb, mu_d, out=s)
                    ssq = ssq + np.vecdot(s, s).astype(np.float64)
                vr = ssq / d
                mean[rb], var[rb] = mu, vr
                rstd = np.asarray(1.0 / np.sqrt(vr + self.eps), dtype=dt)[:, None]
                for cs in cols:
                    o = y2[rb, cs]
                    if xh2 is not None:
                        s = xh2[rb, cs]  # x − μ, from the variance loop
                    else:
                        s = _view(buf, o.shape)
                        np.subtract(x2[rb, cs], mu_d, out=s)
                    np.multiply(s, rstd, out=s)
                    if not plain:
                        if w is not None:
                            np.multiply(s, w[cs], out=o)
                            if b is not None:
                                np.add(o, b[cs], out=o)
                        else:
                            np.add(s, b[cs], out=o)

        _over(blocks, part)
        self.rowstats = (mean.astype(dt), 1.0 / np.sqrt(var + self.eps))
        if self.stats is not None:
            k = len(self.axes)
            kept = x.shape[:x.ndim - k] + (1,) * k
            self.stats["mean"], self.stats["var"] = mean.astype(dt).reshape(kept), var.astype(dt).reshape(kept)
            self.stats = None
        return y

    def release(self) -> None:
        xhat = self.xhat
        super().release()
        if xhat is not None:
            give(xhat)

    def _forward_general(self, x):
        axes = self.axes
        mean = x.mean(axis=axes, keepdims=True)
        xc = x - mean
        var = np.mean(xc * xc, axis=axes, keepdims=True)
        invstd = 1.0 / np.sqrt(var + self.eps)
        xc *= invstd
        self.invstd = invstd
        if self.stats is not None:
            self.stats["mean"], self.stats["var"] = mean, var
            self.stats = None
        return xc

    def backward(self, g):
        axes = self.axes
        x = self.inputs[0]
        if grad_mode.state.enabled:
            return self._backward_tensors(g)
        if not self._trailing(x.ndim):
            xhat = self.output.data
            gd = g.data
            dx = gd - gd.mean(axis=axes, keepdims=True)
            dx -= xhat * np.mean(gd * xhat, axis=axes, keepdims=True)
            dx *= self.invstd
            return Tensor._wrap(dx.astype(x.dtype, copy=False))
        return self._backward_rows(g)

    def _backward_rows(self, g):
        """dx = σ⁻¹·(ĝ − Σĝ/D − x̂·Σĝx̂/D) with ĝ = γ·g, row block by row block; dγ = Σ g·x̂, dβ = Σ g."""
        x = self.inputs[0]
        r, d = self._rows(x.shape)
        dt = x.dtype
        x2 = x.data.reshape(r, d)
        g2 = g.data.astype(dt, copy=False).reshape(r, d)
        need = self.needs_input_grad
        w = self.inputs[1].data.reshape(d).astype(dt, copy=False) if self.has_weight else None
        need_w = self.has_weight and need[1]
        need_b = self.has_bias and need[-1]
        mean, rstd = self.rowstats
        if not (self.has_weight or self.has_bias):
            xh2 = self.output.data.reshape(r, d)
        elif self.xhat is not None:
            xh2 = self.xhat
        else:  # forward ran without grad mode
            xh2 = (x2 - mean[:, None]) * rstd.astype(dt)[:, None]
        blocks, size = _row_blocks(r, d, dt)
        dx = np.empty(x.shape, dtype=dt) if need[0] else None
        dx2 = dx.reshape(r, d) if need[0] else None
        def part(bl):
            gh_buf = np.empty(max(size, 1), dtype=dt) if w is not None else None
            p_buf = np.empty(max(size, 1), dtype=dt)
            dw = np.zeros(d, dtype=dt) if need_w else None
            db = np.zeros(d, dtype=dt) if need_b else None
            for rb, cols in bl:
                rs_d = rstd[rb].astype(dt)[:, None]
                sg, sgx = 0.0, 0.0
                for cs in cols:
                    xh, gb = xh2[rb, cs], g2[rb, cs]
                    gh = gb
                    if w is not None:
                        gh = _view(gh_buf, gb.shape)
                        np.multiply(gb, w[cs], out=gh)
                    sg = sg + np.einsum("rd->r", gh).astype(np.float64)
                    if need_w:
                        pr = _view(p_buf, gb.shape)
                        np.multiply(gb, xh, out=pr)  # g·x̂
                        if pr.shape[0] == 1:
                            np.add(dw[cs], pr[0], out=dw[cs])
                        else:
                            dw[cs] += np.einsum("rd->d", pr)
                        sgx = sgx + (pr @ w[cs]).astype(np.float64)  # Σ γ·g·x̂
                    else:
                        sgx = sgx + np.vecdot(gh, xh).astype(np.float64)
                    if need_b:
                        if gb.shape[0] == 1:
                            np.add(db[cs], gb[0], out=db[cs])
                        else:
                            db[cs] += np.einsum("rd->d", gb)
                if not need[0]:
                    continue
                a_d = np.asarray(sg / d, dtype=dt)[:, None]
                b_d = np.asarray(sgx / d, dtype=dt)[:, None]
                for cs in cols:
                    xh, gb = xh2[rb, cs], g2[rb, cs]
                    if w is not None:
                        gh = _view(gh_buf, gb.shape)
                        if len(cols) > 1:
                            np.multiply(gb, w[cs], out=gh)
                    else:
                        gh = gb
                    o = dx2[rb, cs]
                    pr = _view(p_buf, gb.shape)
                    np.multiply(xh, b_d, out=pr)
                    np.subtract(gh, pr, out=o)
                    np.subtract(o, a_d, out=o)
                    np.multiply(o, rs_d, out=o)
            return dw, db

        parts = _over(blocks, part)
        dw = sum(p[0] for p in parts) if need_w else None
        db = sum(p[1] for p in parts) if need_b else None
        grads = [Tensor._wrap(dx) if need[0] else None]
        shape = x.shape[x.ndim - len(self.axes):]
        if self.has_weight:
            grads.append(Tensor._wrap(dw.reshape(shape).astype(self.inputs[1].dtype, copy=False)) if need_w else None)
        if self.has_bias:
            grads.append(Tensor._wrap(db.reshape(shape).astype(self.inputs[-1].dtype, copy=False)) if need_b else None)
        return tuple(grads)

    def _backward_tensors(self, g):
        """The same formulas as Tensor operations (used when create_graph=True)."""
        axes = self.axes
        x = self.inputs[0]
        xhat, invstd = _stats_tensors(x, axes, self.eps)
        need = self.needs_input_grad
        kept = (1,) * (x.ndim - len(axes)) + tuple(x.shape[x.ndim - len(axes):])
        gh = g * self.inputs[1].reshape(kept) if self.has_weight else g
        grads = [invstd * (gh - gh.mean(axes, keepdim=True) - xhat * (gh * xhat).mean(axes, keepdim=True))
                 if need[0] else None]
        lead = tuple(range(x.ndim - len(axes)))

        def total(t):
            return t.sum(lead) if lead else t

        if self.has_weight:
            grads.append(total(g * xhat) if need[1] else None)
        if self.has_bias:
            grads.append(total(g) if need[-1] else None)
        return tuple(grads)
