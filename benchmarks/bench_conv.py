"""Convolution and pooling benchmarks, chalkgrad vs PyTorch, in one interleaved run.

Run by hand:  python benchmarks/bench_conv.py   (needs the dev extra for torch)
Prints medians of interleaved rounds and ratios chalkgrad / PyTorch (lower is better):

* conv2d forward+backward: batch 32, 64 -> 64 channels, 3x3, padding 1, 32x32, float32;
* LeNet-5 training step (conv-relu-maxpool x2, three Linear layers, SGD), batch 64, 1x28x28;
* max_pool2d 2x2 forward+backward on 32x64x32x32;
* depthwise conv2d forward+backward: batch 32, 64 channels, 32x32, 3x3, padding 1, groups 64, float32.
"""

from __future__ import annotations

import sys

import numpy as np
from common import interleaved, print_ratios, setup

import chalkgrad as cg
import chalkgrad.nn.functional as F


def conv_data(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((32, 64, 32, 32)).astype(np.float32)
    w = (rng.standard_normal((64, 64, 3, 3)) * 0.05).astype(np.float32)
    b = rng.standard_normal(64).astype(np.float32)
    return x, w, b


def conv_chalkgrad():
    xd, wd, bd = conv_data()
    x, w, b = (cg.from_numpy(a).requires_grad_() for a in (xd, wd, bd))

    def run():
        y = F.conv2d(x, w, b, padding=1)
        y.sum().backward()
        x.grad = w.grad = b.grad = None

    return run


def conv_torch():
    import torch

    xd, wd, bd = conv_data()
    x, w, b = (torch.from_numpy(a).requires_grad_() for a in (xd, wd, bd))

    def run():
        y = torch.nn.functional.conv2d(x, w, b, padding=1)
        y.sum().backward()
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


def lenet_chalkgrad():
    cg.manual_seed(0)
    model = lenet(cg.nn)
    opt = cg.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    xd, yd = lenet_data()
    x, y = cg.from_numpy(xd), cg.from_numpy(yd.astype(np.int64))

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()

    return step


def lenet_torch():
    import torch

    torch.manual_seed(0)
    model = lenet(torch.nn)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    xd, yd = lenet_data()
    x, y = torch.from_numpy(xd), torch.from_numpy(yd.astype(np.int64))

    def step():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()

    return step


def pool_chalkgrad():
    x = cg.from_numpy(conv_data()[0]).requires_grad_()

    def run():
        F.max_pool2d(x, 2).sum().backward()
        x.grad = None

    return run


def pool_torch():
    import torch

    x = torch.from_numpy(conv_data()[0]).requires_grad_()

    def run():
        torch.nn.functional.max_pool2d(x, 2).sum().backward()
        x.grad = None

    return run


def depthwise_data(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((32, 64, 32, 32)).astype(np.float32)
    w = (rng.standard_normal((64, 1, 3, 3)) * 0.3).astype(np.float32)
    b = rng.standard_normal(64).astype(np.float32)
    return x, w, b


def depthwise_chalkgrad():
    x, w, b = (cg.from_numpy(a).requires_grad_() for a in depthwise_data())

    def run():
        y = F.conv2d(x, w, b, padding=1, groups=64)
        y.sum().backward()
        x.grad = w.grad = b.grad = None

    return run


def depthwise_torch():
    import torch

    x, w, b = (torch.from_numpy(a).requires_grad_() for a in depthwise_data())

    def run():
        y = torch.nn.functional.conv2d(x, w, b, padding=1, groups=64)
        y.sum().backward()
        x.grad = w.grad = b.grad = None

    return run


def main(argv=None) -> int:
    args = setup(argv, __doc__)
    results = interleaved({
        "conv chalkgrad": conv_chalkgrad(), "conv torch": conv_torch(),
        "lenet chalkgrad": lenet_chalkgrad(), "lenet torch": lenet_torch(),
        "pool chalkgrad": pool_chalkgrad(), "pool torch": pool_torch(),
        "depthwise chalkgrad": depthwise_chalkgrad(), "depthwise torch": depthwise_torch(),
    }, rounds=args.rounds)
    print_ratios(results, [
        ("conv2d fwd+bwd, 32x64x32x32, 64->64, 3x3, pad 1, f32", "conv"),
        ("LeNet-5 train step, batch 64, 1x28x28, SGD momentum", "lenet"),
        ("max_pool2d 2x2 fwd+bwd, 32x64x32x32, f32", "pool"),
        ("depthwise conv2d fwd+bwd, 32x64x32x32, 3x3, pad 1, g 64, f32", "depthwise"),
    ])
    return 0


if __name__ == "__main__":
    sys.exit(main())
