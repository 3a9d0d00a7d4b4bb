"""Batch norm benchmark: training-mode forward + backward, chalkgrad vs PyTorch, interleaved.

Run by hand:  python benchmarks/bench_norm.py   (needs the dev extra for torch)
Workload: BatchNorm2d(64) on a float32 batch of shape (32, 64, 32, 32), gradients for the
input, γ and β. Prints medians of interleaved rounds and the ratio chalkgrad / PyTorch
(target: within 2x); also the eval-mode forward and LayerNorm for reference.

chalkgrad's normalization kernels work in cache-sized blocks split over
``chalkgrad.ops.workspace.get_num_threads()`` threads (2 by default, like PyTorch here);
``--threads 1`` times them on one thread.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
from common import environment, fmt_ms, interleaved

import chalkgrad as cg

SHAPE = (32, 64, 32, 32)


def data(seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(SHAPE).astype(np.float32) * 2 + 1,
            rng.standard_normal(SHAPE).astype(np.float32))


def bn_chalkgrad(train=True):
    layer = cg.nn.BatchNorm2d(SHAPE[1]).train(train)
    xd, gd = data()
    x, g = cg.tensor(xd, requires_grad=True), cg.tensor(gd)

    def run():
        y = layer(x)
        if train:
            y.backward(g)
            x.grad = None
            layer.zero_grad()

    return run


def bn_torch(train=True):
    import torch

    layer = torch.nn.BatchNorm2d(SHAPE[1]).train(train)
    xd, gd = data()
    x, g = torch.from_numpy(xd).requires_grad_(True), torch.from_numpy(gd)

    def run():
        if train:
            y = layer(x)
            y.backward(g)
            x.grad = None
            layer.zero_grad()
        else:
            with torch.no_grad():
                layer(x)

    return run


def ln_chalkgrad():
    layer = cg.nn.LayerNorm(SHAPE[1:])
    xd, gd = data()
    x, g = cg.tensor(xd, requires_grad=True), cg.tensor(gd)

    def run():
        layer(x).backward(g)
        x.grad = None
        layer.zero_grad()

    return run


def ln_torch():
    import torch

    layer = torch.nn.LayerNorm(SHAPE[1:])
    xd, gd = data()
    x, g = torch.from_numpy(xd).requires_grad_(True), torch.from_numpy(gd)

    def run():
        layer(x).backward(g)
        x.grad = None
        layer.zero_grad()

    return run


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--threads", type=int, default=None, help="threads for chalkgrad's blocked kernels")
    args = ap.parse_args(argv)
    from chalkgrad.ops import workspace

    if args.threads is not None:
        workspace.set_num_threads(args.threads)
    print(environment())
    import torch

    print(f"  torch {torch.__version__}, {torch.get_num_threads()} threads; "
          f"chalkgrad norm kernels {workspace.get_num_threads()} threads")
    print()
    results = interleaved({
        "bn chalkgrad": bn_chalkgrad(), "bn torch": bn_torch(),
        "bn-eval chalkgrad": bn_chalkgrad(False), "bn-eval torch": bn_torch(False),
        "ln chalkgrad": ln_chalkgrad(), "ln torch": ln_torch(),
    }, rounds=args.rounds)
    shape = "x".join(map(str, SHAPE))
    rows = [
        (f"BatchNorm2d train fwd+bwd, {shape}, f32", "bn"),
        (f"BatchNorm2d eval fwd, {shape}, f32", "bn-eval"),
        (f"LayerNorm({SHAPE[1:]}) fwd+bwd, {shape}, f32", "ln"),
    ]
    print(f"{'workload':52} {'chalkgrad':>11} {'torch':>11} {'ratio':>7}")
    for label, key in rows:
        c, t = results[f"{key} chalkgrad"], results[f"{key} torch"]
        print(f"{label:52} {fmt_ms(c)} {fmt_ms(t)} {c / t:6.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
