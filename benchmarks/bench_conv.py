"""Convolution and pooling benchmarks, chalkgrad vs PyTorch, timed in alternating blocks.

Run by hand:  python benchmarks/bench_conv.py [--quick] [--processes] [--blas both]   (needs torch)
Prints medians of block medians and ratios chalkgrad / PyTorch (lower is better):

* conv2d forward+backward: batch 32, 64 -> 64 channels, 3x3, padding 1, 32x32, float32;
* LeNet-5 training step (conv-relu-maxpool x2, three Linear layers, SGD), batch 64, 1x28x28;
* max_pool2d 2x2 forward+backward on 32x64x32x32;
* depthwise conv2d forward+backward: batch 32, 64 channels, 32x32, 3x3, padding 1, groups 64, float32.
"""

from __future__ import annotations

import sys

import common as harness
import numpy as np
from common import backend, pair, sgd_train_step


def conv_data(groups=1, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((32, 64, 32, 32)).astype(np.float32)
    w = (rng.standard_normal((64, 64 // groups, 3, 3)) * (0.05 if groups == 1 else 0.3)).astype(np.float32)
    b = rng.standard_normal(64).astype(np.float32)
    return x, w, b


def conv(name, groups=1):
    """conv2d 3x3, padding 1, forward + backward (groups=64: depthwise)."""
    lib, functional = backend(name)
    x, w, b = (lib.from_numpy(a).requires_grad_() for a in conv_data(groups))

    def run():
        functional.conv2d(x, w, b, padding=1, groups=groups).sum().backward()
        x.grad = w.grad = b.grad = None

    return run


def lenet(nn):
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def lenet_data(seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((64, 1, 28, 28)).astype(np.float32), rng.integers(0, 10, 64)


def pool(name):
    lib, functional = backend(name)
    x = lib.from_numpy(conv_data()[0]).requires_grad_()

    def run():
        functional.max_pool2d(x, 2).sum().backward()
        x.grad = None

    return run


WORKLOADS = [
    pair("conv", "conv2d fwd+bwd, 32x64x32x32, 64->64, 3x3, pad 1, f32", conv),
    pair("lenet", "LeNet-5 train step, batch 64, 1x28x28, SGD momentum",
         lambda name: sgd_train_step(name, lenet, *lenet_data())),
    pair("pool", "max_pool2d 2x2 fwd+bwd, 32x64x32x32, f32", pool),
    pair("depthwise", "depthwise conv2d fwd+bwd, 32x64x32x32, 3x3, pad 1, g 64, f32",
         lambda name: conv(name, groups=64)),
]


def main(argv=None) -> int:
    return harness.main(WORKLOADS, __doc__, __file__, argv)


if __name__ == "__main__":
    sys.exit(main())
