"""Outgrowing a CPU: build in chalkgrad, train with PyTorch DistributedDataParallel, come back.

1. build a small residual network in chalkgrad (a conv stem, a ``BasicBlock``, a linear head);
2. ``chalkgrad.interop.to_torch`` turns it into an equal ``torch.nn`` module;
3. ``torch.multiprocessing.spawn`` starts 2 CPU processes that train it with
   ``torch.nn.parallel.DistributedDataParallel`` (gloo backend): each process sees half of every
   epoch (``DistributedSampler``) and DDP averages the gradients, so both keep the same weights;
4. process 0 saves the trained state_dict; ``chalkgrad.interop.from_torch`` brings the model
   back, and chalkgrad evaluates it on the held-out digits.

The same script runs on many machines by pointing MASTER_ADDR/MASTER_PORT at the first one and
giving each process its global rank (see torch.distributed); on GPUs use the nccl backend.
The data are scikit-learn's 8x8 digits (bundled, offline), or random blobs without scikit-learn.

    python examples/distributed_ddp.py                 # about 15-40 s on 2 cores, mostly starting processes
    python examples/distributed_ddp.py --small         # 3 epochs (used by the tests)
"""

from __future__ import annotations

import argparse
import copy
import os
import socket
import sys
import tempfile
from collections import OrderedDict
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

import chalkgrad as cg
from chalkgrad import nn
from chalkgrad.errors import DataError
from chalkgrad.interop import from_torch, to_torch
from chalkgrad.models import BasicBlock

WORLD_SIZE = 2


def build_model(width: int = 8, num_classes: int = 10, seed: int = 0) -> nn.Sequential:
    """conv3x3(1 -> w) -> BN -> ReLU -> BasicBlock(w, 2w, stride 2) -> global average pool -> Linear(2w, classes)."""
    cg.manual_seed(seed)
    down = nn.Sequential(nn.Conv2d(width, 2 * width, 1, stride=2, bias=False), nn.BatchNorm2d(2 * width))
    return nn.Sequential(OrderedDict([
        ("stem", nn.Conv2d(1, width, 3, padding=1, bias=False)),
        ("bn", nn.BatchNorm2d(width)),
        ("relu", nn.ReLU()),
        ("block", BasicBlock(width, 2 * width, stride=2, downsample=down)),
        ("pool", nn.AdaptiveAvgPool2d(1)),
        ("flatten", nn.Flatten()),
        ("fc", nn.Linear(2 * width, num_classes)),
    ]))


def load_data(seed: int = 0):
    """(x_train, y_train, x_test, y_test): digits as (N, 1, 8, 8) float32 in [0, 1], 1,500 to train."""
    try:
        data = cg.data.digits(flatten=False)
        x, y = data.tensors[0].numpy(), data.tensors[1].numpy()
    except DataError:  # no scikit-learn: ten blobs of 8x8 "images"
        rng = np.random.default_rng(seed)
        centres = rng.uniform(0, 1, (10, 1, 8, 8)).astype(np.float32)
        y = rng.integers(0, 10, 1797)
        x = (centres[y] + 0.2 * rng.standard_normal((1797, 1, 8, 8))).astype(np.float32)
    order = np.random.default_rng(seed).permutation(len(y))
    x, y = x[order], y[order].astype(np.int64)
    return x[:1500], y[:1500], x[1500:], y[1500:]


def free_port() -> int:
    """A TCP port nobody listens on (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def train_worker(rank: int, port: int, torch_model, x, y, epochs: int, out_path: str) -> None:
    """One DDP process: train its shard of every epoch; process 0 saves the result."""
    os.environ["MASTER_ADDR"], os.environ["MASTER_PORT"] = "127.0.0.1", str(port)
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=WORLD_SIZE)
    model = copy.deepcopy(torch_model)  # spawn shares the argument's memory between processes: own a copy
    ddp = DistributedDataParallel(model)
    data = TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
    sampler = DistributedSampler(data, num_replicas=WORLD_SIZE, rank=rank, shuffle=True, seed=0)
    loader = DataLoader(data, batch_size=32, sampler=sampler)
    optimizer = torch.optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    ddp.train()
    for epoch in range(epochs):
        sampler.set_epoch(epoch)
        total = 0.0
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(ddp(xb), yb)
            loss.backward()  # DDP all-reduces (averages) the gradients across the processes here
            optimizer.step()
            total += loss.item() * len(yb)
        if rank == 0:
            print(f"  epoch {epoch + 1:2d}/{epochs}  loss (process 0's shard) {total / len(sampler):.4f}", flush=True)
    if rank == 0:
        torch.save(model.state_dict(), out_path)
    dist.barrier()
    dist.destroy_process_group()


def accuracy(model, x, y) -> float:
    with cg.no_grad():
        return float((model(cg.tensor(x)).argmax(1).numpy() == y).mean())


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--small", action="store_true", help="3 epochs (used by the tests)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the initial weights and of the data split")
    args = parser.parse_args(argv)
    epochs = 3 if args.small else args.epochs

    x_train, y_train, x_test, y_test = load_data(args.seed)
    model = build_model(seed=args.seed)
    before = accuracy(model.eval(), x_test, y_test)
    print(f"chalkgrad model: {model.count_parameters()} parameters, test accuracy before training {before:.3f}")

    torch_model = to_torch(model.train())
    print(f"training with DistributedDataParallel on {WORLD_SIZE} CPU processes (gloo)")
    with tempfile.TemporaryDirectory() as tmp:
        out_path = str(Path(tmp) / "trained.pt")
        mp.spawn(train_worker, args=(free_port(), torch_model, x_train, y_train, epochs, out_path),
                 nprocs=WORLD_SIZE, join=True)
        torch_model.load_state_dict(torch.load(out_path))

    trained = from_torch(torch_model.eval())
    after = accuracy(trained, x_test, y_test)
    print(f"back in chalkgrad as {type(trained).__name__}: test accuracy {after:.3f} on {len(y_test)} digits")
    return {"accuracy_before": before, "test_accuracy": after, "model": trained}


if __name__ == "__main__":
    main(sys.argv[1:])
