"""Batch norm benchmark: training-mode forward + backward, chalkgrad vs PyTorch, in alternating blocks.

Run by hand:  python benchmarks/bench_norm.py [--quick] [--processes] [--blas both]   (needs torch)
Workload: BatchNorm2d(64) on a float32 batch of shape (32, 64, 32, 32), gradients for the
input, γ and β. Prints medians of block medians and the ratio chalkgrad / PyTorch
(target: within 2x); also the eval-mode forward and LayerNorm for reference.

chalkgrad's normalization kernels work in cache-sized blocks split over
``chalkgrad.ops.workspace.get_num_threads()`` threads (2 by default, like PyTorch here);
``--threads 1`` times them (and torch, and NumPy's BLAS) on one thread.
"""

from __future__ import annotations

import sys

import common as harness
import numpy as np

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


SIZE = "x".join(map(str, SHAPE))
WORKLOADS = [
    harness.Workload("bn", f"BatchNorm2d train fwd+bwd, {SIZE}, f32", {"chalkgrad": bn_chalkgrad, "torch": bn_torch}),
    harness.Workload("bn-eval", f"BatchNorm2d eval fwd, {SIZE}, f32",
                     {"chalkgrad": lambda: bn_chalkgrad(False), "torch": lambda: bn_torch(False)}),
    harness.Workload("ln", f"LayerNorm({SHAPE[1:]}) fwd+bwd, {SIZE}, f32",
                     {"chalkgrad": ln_chalkgrad, "torch": ln_torch}),
]


def main(argv=None) -> int:
    return harness.main(WORKLOADS, __doc__, __file__, argv)


if __name__ == "__main__":
    sys.exit(main())
