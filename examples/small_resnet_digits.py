"""A small residual network for the 1x8x8 handwritten digits (bundled, offline), trained with a manual loop.

ResNet18's stem (7x7/2 conv, 3x3/2 max pool) would shrink an 8x8 image to 2x2 at once, so this
network keeps the resolution with a 3x3 stem and uses few channels, built from
``chalkgrad.models.BasicBlock`` (y = ReLU(BN(conv(ReLU(BN(conv(x))))) + shortcut(x))):

    stem   conv3x3(1 -> 16) -> BN -> ReLU                 16x8x8
    stage1 BasicBlock(16, 16)                             16x8x8  (identity shortcut)
    stage2 BasicBlock(16, 32, stride 2, 1x1 conv + BN)    32x4x4  (projection shortcut)
    head   global average pool -> Linear(32, 10)

Training: DataLoader (batch 32, shuffled), SGD with Nesterov momentum 0.9 and weight decay 5e-4,
a OneCycleLR schedule stepped after every batch, cross-entropy loss. ``chalkgrad.summary``
prints the layers, shapes, parameters and MACs first.

    python examples/small_resnet_digits.py
    python examples/small_resnet_digits.py --small       # a few seconds (used by the tests)
"""

from __future__ import annotations

import argparse
import sys
from collections import OrderedDict

import chalkgrad as cg
import chalkgrad.nn.functional as F
from chalkgrad import nn
from chalkgrad.data import DataLoader, digits, train_test_split
from chalkgrad.models import BasicBlock
from chalkgrad.optim.lr_scheduler import OneCycleLR


def small_resnet(width: int = 16, num_classes: int = 10) -> nn.Sequential:
    """stem -> BasicBlock(w, w) -> BasicBlock(w, 2w, stride 2) -> global average pool -> Linear(2w, classes).

    A Sequential (each BasicBlock does its residual addition inside), so ``summary`` and
    ``output_shape`` / ``macs`` work without a custom forward.
    """
    down = nn.Sequential(nn.Conv2d(width, 2 * width, 1, stride=2, bias=False), nn.BatchNorm2d(2 * width))
    return nn.Sequential(OrderedDict([
        ("conv1", nn.Conv2d(1, width, 3, padding=1, bias=False)),
        ("bn1", nn.BatchNorm2d(width)),
        ("relu", nn.ReLU()),
        ("layer1", BasicBlock(width, width)),
        ("layer2", BasicBlock(width, 2 * width, stride=2, downsample=down)),
        ("avgpool", nn.AdaptiveAvgPool2d(1)),
        ("flatten", nn.Flatten(1)),
        ("fc", nn.Linear(2 * width, num_classes)),
    ]))


def accuracy(model, x, y) -> float:
    model.eval()
    with cg.no_grad():
        pred = model(x).numpy().argmax(axis=1)
    model.train()
    return float((pred == y.numpy()).mean())


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--small", action="store_true", help="tiny sizes, for tests")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    cg.manual_seed(args.seed)

    train, test = train_test_split(digits(flatten=False), test_fraction=0.2, seed=args.seed)
    x_test, y_test = test.tensors
    width, epochs = (8, 2) if args.small else (16, 12)
    model = small_resnet(width)
    print(cg.summary(model, (1, 1, 8, 8)))

    loader = DataLoader(train, batch_size=32, shuffle=True, generator=cg.random.Generator().manual_seed(args.seed))
    opt = cg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=5e-4)
    sched = OneCycleLR(opt, max_lr=0.1, epochs=epochs, steps_per_epoch=len(loader))
    print(f"training on {len(train)} digits for {epochs} epochs, {len(loader)} steps each")
    for epoch in range(epochs):
        total, correct = 0.0, 0
        for xb, yb in loader:
            opt.zero_grad()
            logits = model(xb)
            loss = F.cross_entropy(logits, yb)
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.item()) * len(yb)
            correct += int((logits.detach().numpy().argmax(axis=1) == yb.numpy()).sum())
        print(f"epoch {epoch + 1:3d}: lr {sched.get_last_lr()[0]:.4f}  train loss {total / len(train):.4f}  "
              f"train accuracy {correct / len(train):.4f}  test accuracy {accuracy(model, x_test, y_test):.4f}")
    acc = accuracy(model, x_test, y_test)
    print(f"test accuracy {acc:.4f} ({len(x_test)} digits; chance 0.1)")
    return {"test_accuracy": acc, "train_loss": total / len(train)}


if __name__ == "__main__":
    main()
    sys.exit(0)
