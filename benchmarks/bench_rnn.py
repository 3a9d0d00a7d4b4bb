"""Recurrent benchmark: an LSTM classifier train step, chalkgrad vs PyTorch (and hand-written NumPy).

Workload: batch 32, 50 steps, input 64, hidden 128, a Linear from the last step's output to
10 classes, cross-entropy, SGD step, float32. Also the same step with ``fused=False``
(op-by-op LSTM) and a GRU step, to show what the fused layer op buys.

Run by hand:  python benchmarks/bench_rnn.py [--quick] [--threads 1] [--processes] [--blas both]   (needs torch)
Prints medians of block medians and ratios to PyTorch (lower is better). Small GEMMs on a busy machine
are often faster on one thread (``--threads 1``).
"""

from __future__ import annotations

import sys

import common as harness
import numpy as np
from common import backend, pair

B, T, I, H, C = 32, 50, 64, 128, 10


def data(seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((T, B, I)).astype(np.float32), rng.integers(0, C, B)


def rnn_step(name, kind="LSTM", **options):
    """One train step of ``kind`` (LSTM or GRU) and a Linear head in library ``name``; ``options`` go to the
    recurrent layer (chalkgrad's ``fused=False``)."""
    lib, functional = backend(name)
    lib.manual_seed(0)
    rnn = getattr(lib.nn, kind)(I, H, **options)
    head = lib.nn.Linear(H, C)
    opt = lib.optim.SGD(list(rnn.parameters()) + list(head.parameters()), lr=0.01)
    xd, yd = data()
    x, y = lib.from_numpy(xd), lib.from_numpy(yd.astype(np.int64))

    def step():
        opt.zero_grad()
        out, _ = rnn(x)
        loss = functional.cross_entropy(head(out[-1]), y)
        loss.backward()
        opt.step()

    return step


def numpy_step():
    """The same LSTM step written by hand in NumPy (input GEMM hoisted, weight gradients after the loop)."""
    rng = np.random.default_rng(0)
    k = 1 / np.sqrt(H)
    w_ih, w_hh = rng.uniform(-k, k, (4 * H, I)).astype(np.float32), rng.uniform(-k, k, (4 * H, H)).astype(np.float32)
    b = rng.uniform(-k, k, 4 * H).astype(np.float32)
    w_o, b_o = rng.uniform(-k, k, (C, H)).astype(np.float32), np.zeros(C, np.float32)
    x, y = data()
    sig = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731

    def step():
        xp = (x.reshape(-1, I) @ w_ih.T + b).reshape(T, B, 4 * H)
        hs = np.zeros((T + 1, B, H), np.float32)
        cs = np.zeros((T + 1, B, H), np.float32)
        gates = np.empty((T, B, 4 * H), np.float32)
        tcs = np.empty((T, B, H), np.float32)
        for t in range(T):
            a = xp[t] + hs[t] @ w_hh.T
            g = gates[t]
            g[:, :2 * H] = sig(a[:, :2 * H])
            g[:, 2 * H:3 * H] = np.tanh(a[:, 2 * H:3 * H])
            g[:, 3 * H:] = sig(a[:, 3 * H:])
            cs[t + 1] = g[:, H:2 * H] * cs[t] + g[:, :H] * g[:, 2 * H:3 * H]
            tcs[t] = np.tanh(cs[t + 1])
            hs[t + 1] = g[:, 3 * H:] * tcs[t]
        z = hs[T] @ w_o.T + b_o
        p = np.exp(z - z.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        p[np.arange(B), y] -= 1
        gz = p / B
        dh, dc = gz @ w_o, np.zeros((B, H), np.float32)
        gw_o, gb_o = gz.T @ hs[T], gz.sum(0)
        da = np.empty_like(gates)
        for t in range(T - 1, -1, -1):
            g = gates[t]
            i, f, gg, o = g[:, :H], g[:, H:2 * H], g[:, 2 * H:3 * H], g[:, 3 * H:]
            dc = dc + dh * o * (1 - tcs[t] ** 2)
            d = da[t]
            d[:, :H] = dc * gg * i * (1 - i)
            d[:, H:2 * H] = dc * cs[t] * f * (1 - f)
            d[:, 2 * H:3 * H] = dc * i * (1 - gg * gg)
            d[:, 3 * H:] = dh * tcs[t] * o * (1 - o)
            dc = dc * f
            dh = d @ w_hh
        flat = da.reshape(-1, 4 * H)
        for param, grad in ((w_ih, flat.T @ x.reshape(-1, I)), (w_hh, flat.T @ hs[:T].reshape(-1, H)),
                            (b, flat.sum(0)), (w_o, gw_o), (b_o, gb_o)):
            param -= 0.01 * grad

    return step


SIZES = f"B={B}, T={T}, in {I}, hidden {H}, {C} classes, f32, SGD"
WORKLOADS = [
    pair("lstm", f"LSTM train step, {SIZES}", rnn_step, **{
        "hand-written numpy": numpy_step, "chalkgrad fused=False": lambda: rnn_step("chalkgrad", fused=False)}),
    pair("gru", f"GRU train step, {SIZES}", lambda name: rnn_step(name, "GRU")),
]


def main(argv=None) -> int:
    return harness.main(WORKLOADS, __doc__, __file__, argv)


if __name__ == "__main__":
    sys.exit(main())
