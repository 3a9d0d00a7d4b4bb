"""Fused recurrent layers: a whole sequence of RNN / LSTM / GRU steps as one graph node.

A recurrent layer unrolled op by op records ~15 nodes per time step; for small
batches the per-op overhead then dominates the time. These Functions run the
time loop in NumPy instead. The input projection ``x_t W_ihᵀ + b_ih`` of every step
is computed *before* the loop in one GEMM (a differentiable ``linear``), so the fused
op receives ``xp`` of shape (T, B, G·H) (G gates: 1 for RNN, 4 for LSTM, 3 for GRU)
and only does what is inherently sequential::

    LSTM   a_t = xp_t + h_{t-1} W_hhᵀ + b_hh = [a_i, a_f, a_g, a_o]
           i, f, o = σ_gate(a_i, a_f, a_o)   g = φ_cand(a_g)
           c_t = f ⊙ c_{t-1} + i ⊙ g         h_t = o ⊙ φ_cell(c_t)
    GRU    r, z = σ_gate(xp_r + h W_hrᵀ + b_hr, xp_z + h W_hzᵀ + b_hz)
           n = φ_cand(xp_n + r ⊙ (h W_hnᵀ + b_hn))      h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}
    RNN    h_t = φ(xp_t + h_{t-1} W_hhᵀ + b_hh)

Backward runs backpropagation through time in NumPy, keeping the per-step gradients of
the pre-activations, then forms dW_hh = Σ_t da_tᵀ h_{t-1} with ONE GEMM after the loop.

Each op has a single output that packs everything: ``Y[:T]`` are the per-step outputs,
``Y[T]`` the final hidden state and (LSTM) ``Y[T+1]`` the final cell state. With a
``mask`` (T, B, 1) of valid steps (variable lengths), a padded step leaves the state
unchanged and outputs zeros, so the final state is the state at each sequence's last
valid step.

Activations are given by name: 'tanh', 'sigmoid', 'relu', 'identity' (their
derivatives are written from the outputs). The gradients are computed in NumPy, so
they cannot be differentiated again: double backward (``create_graph=True`` then a
second backward) raises a :class:`GradError`; the layers' ``fused=False`` path is the
op-by-op, twice-differentiable alternative.
"""

from __future__ import annotations

import numpy as np

from ..autograd import grad_mode
from ..autograd.function import Function
from ..errors import ConfigError, GradError
from ..tensor import Tensor

__all__ = ["ACTIVATIONS", "FusedRNN", "FusedLSTM", "FusedGRU", "activation_name"]


def _sigmoid(x):
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-x))


def _relu(x):
    return np.maximum(x, x.dtype.type(0))


def _identity(x):
    return x


def _d_tanh(y):
    return 1.0 - y * y


def _d_sigmoid(y):
    return y * (1.0 - y)


def _d_relu(y):
    return (y > 0).astype(y.dtype)


def _d_identity(y):
    return np.ones_like(y)


#: name -> (f on arrays, f' written from f's output)
ACTIVATIONS = {
    "tanh": (np.tanh, _d_tanh),
    "sigmoid": (_sigmoid, _d_sigmoid),
    "relu": (_relu, _d_relu),
    "identity": (_identity, _d_identity),
}


def _sigmoid_(x, out):
    np.negative(x, out=out)
    np.exp(out, out=out)
    out += 1
    np.reciprocal(out, out=out)


def _tanh_(x, out):
    np.tanh(x, out=out)


def _relu_(x, out):
    np.maximum(x, x.dtype.type(0), out=out)


def _identity_(x, out):
    np.copyto(out, x)


#: name -> f(x, out=...): the fused LSTM's cell activation on contiguous buffers
_INPLACE = {
    "tanh": (_tanh_,),
    "sigmoid": (_sigmoid_,),
    "relu": (_relu_,),
    "identity": (_identity_,),
}
_ALIASES = {"linear": "identity", "none": "identity"}


def activation_name(value, where: str, what: str):
    """Canonical activation name ('tanh', 'sigmoid', 'relu', 'identity'), or the callable itself."""
    if callable(value):
        return value
    if isinstance(value, str):
        name = _ALIASES.get(value.lower(), value.lower())
        if name in ACTIVATIONS:
            return name
    raise ConfigError(f"{where}: unknown {what} {value!r}; expected one of 'tanh', 'sigmoid', 'relu', "
                      "'identity' (alias 'linear') or a function of a Tensor")


class _NoDoubleBackward(Function):
    """A gradient computed in NumPy by a fused op: its value is fixed, it has no backward."""

    def forward(self, g, *inputs):
        return self.value

    def backward(self, gg):
        raise GradError(f"{self.op}: double backward (a gradient of a gradient) through the fused "
                        "recurrent layer is not supported; construct the layer with fused=False to "
                        "run it op by op, which is twice differentiable")


def _grads(fn, g, arrays, op):
    """Wrap NumPy gradients as Tensors; under create_graph they depend on the op's output gradient and
    inputs, and refuse a second backward."""
    if grad_mode.state.enabled:
        inputs = [x for x in fn.inputs if isinstance(x, Tensor)]
        return tuple(None if a is None else _NoDoubleBackward.apply(g, *inputs, value=a, op=op) for a in arrays)
    return tuple(None if a is None else Tensor._wrap(a) for a in arrays)


def _t(w):
    return np.ascontiguousarray(w.T)


class FusedRNN(Function):
    """h_t = φ(xp_t + h_{t-1} W_hhᵀ + b_hh) over all t; output packs (outputs, h_T) as (T+1, B, H)."""

    def forward(self, xp, h0, w_hh, b_hh=None):
        f, _ = ACTIVATIONS[self.act]
        T, B, H = xp.shape
        m = self.mask
        mb = None if m is None else m.astype(bool)
        wt = _t(w_hh)
        Y = np.empty((T + 1, B, H), dtype=xp.dtype)
        hs = np.empty((T + 1, B, H), dtype=xp.dtype)  # state carried into step t
        hn = np.empty((T, B, H), dtype=xp.dtype)  # new state computed at step t
        h = hs[0] = h0
        for t in range(T):
            a = xp[t] + h @ wt
            if b_hh is not None:
                a += b_hh
            y = hn[t] = f(a)
            if m is None:
                h = Y[t] = y
            else:
                Y[t] = y * m[t]
                h = np.where(mb[t], y, h)
            hs[t + 1] = h
        Y[T] = h
        self.saved = (hs, hn)
        return Y

    def backward(self, g):
        G = g.data
        _, df = ACTIVATIONS[self.act]
        hs, hn = self.saved
        w_hh = self.inputs[2].data
        T = hn.shape[0]
        m = self.mask
        dh = G[T].copy()
        dA = np.empty(hn.shape, dtype=hn.dtype)
        for t in range(T - 1, -1, -1):
            if m is None:
                dy = dh + G[t]
                da = dA[t] = dy * df(hn[t])
                dh = da @ w_hh
            else:
                mt = m[t]
                dy = (dh + G[t]) * mt
                da = dA[t] = dy * df(hn[t])
                dh = da @ w_hh + dh * (1 - mt)
        H = hn.shape[-1]
        flat = dA.reshape(-1, dA.shape[-1])
        dw = flat.T @ hs[:T].reshape(-1, H)
        db = flat.sum(0) if self.inputs[3] is not None else None
        return _grads(self, g, (dA, dh, dw, db), "RNN")


class FusedLSTM(Function):
    """LSTM over all t (gates i, f, g, o); output packs (outputs, h_T, c_T) as (T+2, B, H).

    Speed: the loops write into preallocated buffers (``out=``). With the default
    activations, σ(x) = (1 + tanh(x/2))/2 lets one tanh over the whole contiguous (B, 4H)
    block give all four gates (the 1/2 is folded into xp and W_hh once). Backward first
    computes every activation derivative for all steps at once, from the saved outputs.
    """

    def forward(self, xp, h0, c0, w_hh, b_hh=None):
        T, B, H4 = xp.shape
        H = H4 // 4
        m = self.mask
        mb = None if m is None else m.astype(bool)
        dt = xp.dtype
        wt = _t(w_hh)
        if b_hh is not None:
            xp = xp + b_hh
        fast = self.gate == "sigmoid" and self.cand == "tanh"
        if fast:
            scale = np.full(H4, 0.5, dtype=dt)
            scale[2 * H:3 * H] = 1
            shift = np.full(H4, 0.5, dtype=dt)
            shift[2 * H:3 * H] = 0
            xp = xp * scale
            wt = wt * scale
        fg, fc = ACTIVATIONS[self.gate][0], ACTIVATIONS[self.cand][0]
        fo = _INPLACE[self.cell][0]
        Y = np.empty((T + 2, B, H), dtype=dt)
        acts = np.empty((T, B, H4), dtype=dt)  # i, f, g, o after their activations
        cs = np.empty((T + 1, B, H), dtype=dt)  # cell state carried into step t
        hs = np.empty((T + 1, B, H), dtype=dt)  # hidden state carried into step t
        tcs = np.empty((T, B, H), dtype=dt)  # φ_cell(c_t)
        a = np.empty((B, H4), dtype=dt)
        tmp = np.empty((B, H), dtype=dt)
        hs[0], cs[0] = h0, c0
        with np.errstate(over="ignore"):
            for t in range(T):
                np.matmul(hs[t], wt, out=a)
                a += xp[t]
                z = acts[t]
                if fast:
                    np.tanh(a, out=a)
                    np.multiply(a, scale, out=z)
                    z += shift
                else:
                    z[:, :2 * H] = fg(a[:, :2 * H])
                    z[:, 3 * H:] = fg(a[:, 3 * H:])
                    z[:, 2 * H:3 * H] = fc(a[:, 2 * H:3 * H])
                i, f, gg, o = z[:, :H], z[:, H:2 * H], z[:, 2 * H:3 * H], z[:, 3 * H:]
                if m is None:
                    c_new, h_new = cs[t + 1], hs[t + 1]
                else:
                    c_new, h_new = np.empty((B, H), dtype=dt), np.empty((B, H), dtype=dt)
                np.multiply(f, cs[t], out=c_new)
                np.multiply(i, gg, out=tmp)
                c_new += tmp
                fo(c_new, tcs[t])
                np.multiply(o, tcs[t], out=h_new)
                if m is not None:
                    np.multiply(h_new, m[t], out=Y[t])
                    np.copyto(cs[t + 1], np.where(mb[t], c_new, cs[t]))
                    np.copyto(hs[t + 1], np.where(mb[t], h_new, hs[t]))
        if m is None:
            Y[:T] = hs[1:]
        Y[T] = hs[T]
        Y[T + 1] = cs[T]
        self.saved = (acts, cs, hs, tcs)
        return Y

    def backward(self, g):
        G = g.data
        acts, cs, hs, tcs = self.saved
        w_hh = self.inputs[3].data
        T, B, H4 = acts.shape
        H = H4 // 4
        m = self.mask
        dg, dcand, dcell = ACTIVATIONS[self.gate][1], ACTIVATIONS[self.cand][1], ACTIVATIONS[self.cell][1]
        D = np.empty_like(acts)  # every gate's activation derivative, all steps at once
        D[..., :2 * H] = dg(acts[..., :2 * H])
        D[..., 3 * H:] = dg(acts[..., 3 * H:])
        D[..., 2 * H:3 * H] = dcand(acts[..., 2 * H:3 * H])
        DT = dcell(tcs)
        dh = G[T].copy()
        dc = G[T + 1].copy()
        dA = np.empty_like(acts)
        tmp = np.empty((B, H), dtype=acts.dtype)
        for t in range(T - 1, -1, -1):
            z = acts[t]
            i, f, gg, o = z[:, :H], z[:, H:2 * H], z[:, 2 * H:3 * H], z[:, 3 * H:]
            if m is None:
                dh += G[t]
                dy = dh  # gradient reaching h_t (the buffer is overwritten by the matmul below)
            else:
                mt = m[t]
                keep = 1 - mt
                dh_keep, dc_keep = dh * keep, dc * keep
                dy = (dh + G[t]) * mt
                dc = dc * mt
            np.multiply(dy, o, out=tmp)
            tmp *= DT[t]
            dc += tmp  # now dL/dc_t
            da = dA[t]
            np.multiply(dc, gg, out=da[:, :H])
            np.multiply(dc, cs[t], out=da[:, H:2 * H])
            np.multiply(dc, i, out=da[:, 2 * H:3 * H])
            np.multiply(dy, tcs[t], out=da[:, 3 * H:])
            da *= D[t]
            dc *= f
            if m is None:
                np.matmul(da, w_hh, out=dh)
            else:
                dh = da @ w_hh
                dh += dh_keep
                dc += dc_keep
        flat = dA.reshape(-1, H4)
        dw = flat.T @ hs[:T].reshape(-1, H)
        db = flat.sum(0) if self.inputs[4] is not None else None
        return _grads(self, g, (dA, dh, dc, dw, db), "LSTM")


class FusedGRU(Function):
    """GRU over all t (gates r, z, n as torch); output packs (outputs, h_T) as (T+1, B, H)."""

    def forward(self, xp, h0, w_hh, b_hh=None):
        fg, _ = ACTIVATIONS[self.gate]
        fc, _ = ACTIVATIONS[self.cand]
        T, B, H3 = xp.shape
        H = H3 // 3
        m = self.mask
        mb = None if m is None else m.astype(bool)
        wt = _t(w_hh)
        dt = xp.dtype
        Y = np.empty((T + 1, B, H), dtype=dt)
        rz = np.empty((T, B, 2 * H), dtype=dt)
        ns = np.empty((T, B, H), dtype=dt)
        hns = np.empty((T, B, H), dtype=dt)  # h W_hnᵀ + b_hn
        hs = np.empty((T + 1, B, H), dtype=dt)
        h = hs[0] = h0
        for t in range(T):
            ah = h @ wt
            if b_hh is not None:
                ah += b_hh
            x = xp[t]
            s = rz[t] = fg(x[:, :2 * H] + ah[:, :2 * H])
            r, z = s[:, :H], s[:, H:]
            hn = hns[t] = ah[:, 2 * H:]
            n = ns[t] = fc(x[:, 2 * H:] + r * hn)
            h_new = n + z * (h - n)
            if m is None:
                h = Y[t] = h_new
            else:
                mt = m[t]
                Y[t] = h_new * mt
                h = np.where(mb[t], h_new, h)
            hs[t + 1] = h
        Y[T] = h
        self.saved = (rz, ns, hns, hs)
        return Y

    def backward(self, g):
        G = g.data
        _, dg = ACTIVATIONS[self.gate]
        _, dc_ = ACTIVATIONS[self.cand]
        rz, ns, hns, hs = self.saved
        w_hh = self.inputs[2].data
        T, B, H2 = rz.shape
        H = H2 // 2
        m = self.mask
        dh = G[T].copy()
        dX = np.empty((T, B, 3 * H), dtype=rz.dtype)
        dAh = np.empty((T, B, 3 * H), dtype=rz.dtype)
        for t in range(T - 1, -1, -1):
            r, z = rz[t, :, :H], rz[t, :, H:]
            n, hprev = ns[t], hs[t]
            if m is None:
                dy = dh + G[t]
            else:
                mt = m[t]
                dy = (dh + G[t]) * mt
            dx, dah = dX[t], dAh[t]
            dan = dx[:, 2 * H:] = dy * (1 - z) * dc_(n)
            dah[:, 2 * H:] = dan * r
            dx[:, :H] = dan * hns[t]
            dx[:, H:2 * H] = dy * (hprev - n)
            dx[:, :2 * H] *= dg(rz[t])
            dah[:, :2 * H] = dx[:, :2 * H]
            dh_prev = dah @ w_hh + dy * z
            if m is not None:
                dh_prev += dh * (1 - mt)
            dh = dh_prev
        flat = dAh.reshape(-1, 3 * H)
        dw = flat.T @ hs[:T].reshape(-1, H)
        db = flat.sum(0) if self.inputs[3] is not None else None
        return _grads(self, g, (dX, dh, dw, db), "GRU")
