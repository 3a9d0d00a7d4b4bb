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
from common import backend, pair

SHAPE = (32, 64, 32, 32)


def data(seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(SHAPE).astype(np.float32) * 2 + 1,
            rng.standard_normal(SHAPE).astype(np.float32))


def norm_step(name, layer_name="BatchNorm2d", train=True):
    """Forward and backward (with ``train``) or a forward under no_grad (eval) of a norm layer in library ``name``."""
    lib, _ = backend(name)
    shape = SHAPE[1] if layer_name == "BatchNorm2d" else SHAPE[1:]
    layer = getattr(lib.nn, layer_name)(shape).train(train)
    xd, gd = data()
    x, g = lib.from_numpy(xd).requires_grad_(), lib.from_numpy(gd)

    def run():
        if not train:
            with lib.no_grad():
                layer(x)
            return
        layer(x).backward(g)
        x.grad = None
        layer.zero_grad()

    return run


SIZE = "x".join(map(str, SHAPE))
WORKLOADS = [
    pair("bn", f"BatchNorm2d train fwd+bwd, {SIZE}, f32", norm_step),
    pair("bn-eval", f"BatchNorm2d eval fwd (no_grad), {SIZE}, f32", lambda name: norm_step(name, train=False)),
    pair("ln", f"LayerNorm({SHAPE[1:]}) fwd+bwd, {SIZE}, f32", lambda name: norm_step(name, "LayerNorm")),
]


def main(argv=None) -> int:
    return harness.main(WORKLOADS, __doc__, __file__, argv)


if __name__ == "__main__":
    sys.exit(main())
