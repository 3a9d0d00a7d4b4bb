"""Foundation benchmarks: per-op overhead and an MLP training step, chalkgrad vs PyTorch.

Run by hand:  python benchmarks/bench_core.py [--quick] [--processes] [--blas both]   (needs torch)
Prints medians of block medians and ratios chalkgrad / PyTorch (lower is better); the MLP step is also
written by hand in NumPy, the floor for any NumPy library.
"""

from __future__ import annotations

import sys

import common as harness
import numpy as np
from common import backend, pair, sgd_train_step

CHAIN = 1000


def chain(name):
    """``CHAIN`` elementwise ops on 16 floats, forward and backward, in library ``name``."""
    lib, _ = backend(name)
    x = lib.from_numpy(np.linspace(-1, 1, 16, dtype=np.float32)).requires_grad_()

    def run():
        y = x
        for _ in range(CHAIN // 4):
            y = ((y * 0.9 + 0.1).tanh() - 0.01) * 1.01
        y.sum().backward()
        x.grad = None

    return run


def mlp_data(batch=128, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((batch, 784)).astype(np.float32), rng.integers(0, 10, batch)


def mlp(nn):
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))


def mlp_numpy():
    """The same step written by hand in NumPy: the floor for any NumPy library."""
    rng = np.random.default_rng(0)
    ws = [rng.uniform(-1, 1, (o, i)).astype(np.float32) / np.sqrt(i) for i, o in ((784, 256), (256, 128), (128, 10))]
    bs = [np.zeros(o, np.float32) for o in (256, 128, 10)]
    vel = [np.zeros_like(p) for p in ws + bs]
    x, y = mlp_data()
    ones = np.ones(len(x), np.float32)

    def step():
        h1 = x @ ws[0].T + bs[0]
        a1 = np.maximum(h1, 0)
        h2 = a1 @ ws[1].T + bs[1]
        a2 = np.maximum(h2, 0)
        z = a2 @ ws[2].T + bs[2]
        z = z - z.max(1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(1, keepdims=True)
        p[np.arange(len(y)), y] -= 1
        g3 = p / len(y)
        g2 = (g3 @ ws[2]) * (h2 > 0)
        g1 = (g2 @ ws[1]) * (h1 > 0)
        grads = [g1.T @ x, g2.T @ a1, g3.T @ a2, ones @ g1, ones @ g2, ones @ g3]
        for param, v, g in zip(ws + bs, vel, grads):
            v *= 0.9
            v += g
            param -= 0.01 * v

    return step


WORKLOADS = [
    pair("chain", f"per-op overhead: chain of {CHAIN} ops fwd+bwd (16 floats)", chain),
    pair("mlp", "MLP 784-256-128-10 train step, batch 128, f32, SGD momentum",
         lambda name: sgd_train_step(name, mlp, *mlp_data()), **{"hand-written numpy": mlp_numpy}),
]


def details(args, results) -> None:
    by_key = {r.key: r for r in results}
    if "chain" in by_key:
        chain = by_key["chain"]
        print(f"\nper op (chain): chalkgrad {chain.median('chalkgrad') / CHAIN * 1e6:.2f} us, "
              f"torch {chain.median('torch') / CHAIN * 1e6:.2f} us")
    if "mlp" in by_key:
        mlp_result = by_key["mlp"]
        overhead = mlp_result.median("chalkgrad") - mlp_result.median("hand-written numpy")
        print(f"chalkgrad MLP overhead above hand-written NumPy: {overhead * 1e3:.3f} ms/step")


def main(argv=None) -> int:
    return harness.main(WORKLOADS, __doc__, __file__, argv, after=details)


if __name__ == "__main__":
    sys.exit(main())
