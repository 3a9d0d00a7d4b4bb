"""Foundation benchmarks: per-op overhead and an MLP training step, chalkgrad vs PyTorch.

Run by hand:  python benchmarks/bench_core.py   (needs the dev extra for torch)
Prints medians of interleaved rounds and ratios chalkgrad / PyTorch (lower is better).
"""

from __future__ import annotations

import sys

import numpy as np
from common import fmt_ms, interleaved, print_ratios, setup, sgd_train_step

import chalkgrad as cg

CHAIN = 1000


def chain_chalkgrad():
    x = cg.tensor(np.linspace(-1, 1, 16, dtype=np.float32), requires_grad=True)

    def run():
        y = x
        for _ in range(CHAIN // 4):
            y = ((y * 0.9 + 0.1).tanh() - 0.01) * 1.01
        y.sum().backward()
        x.grad = None

    return run


def chain_torch():
    import torch

    x = torch.linspace(-1, 1, 16, dtype=torch.float32, requires_grad=True)

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


def main(argv=None) -> int:
    args = setup(argv, __doc__)
    results = interleaved({
        "chain chalkgrad": chain_chalkgrad(), "chain torch": chain_torch(),
        "mlp chalkgrad": sgd_train_step("chalkgrad", mlp, *mlp_data()),
        "mlp torch": sgd_train_step("torch", mlp, *mlp_data()), "mlp numpy": mlp_numpy(),
    }, rounds=args.rounds)
    print_ratios(results, [
        (f"per-op overhead: chain of {CHAIN} ops fwd+bwd (16 floats)", "chain"),
        ("MLP 784-256-128-10 train step, batch 128, f32, SGD momentum", "mlp"),
    ])
    n = results["mlp numpy"]
    print(f"{'  hand-written NumPy MLP step (floor)':62} {fmt_ms(n)} {'':11} {n / results['mlp torch']:6.2f}x")
    print(f"\nper op (chain): chalkgrad {results['chain chalkgrad'] / CHAIN * 1e6:.2f} us, "
          f"torch {results['chain torch'] / CHAIN * 1e6:.2f} us")
    print(f"chalkgrad MLP overhead above hand-written NumPy: {(results['mlp chalkgrad'] - n) * 1e3:.3f} ms/step")
    return 0


if __name__ == "__main__":
    sys.exit(main())
