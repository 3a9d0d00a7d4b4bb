"""Training benchmarks: the default `chalkgrad train` run, and one MLP epoch on digits vs PyTorch.

Run by hand:  python benchmarks/bench_train.py [--quick] [--runs N]   (needs the dev extra: torch, scikit-learn)
Prints medians: the wall time and test accuracy of `chalkgrad train` with its defaults (a fresh
process each run, imports included), and the time of one training epoch of the MLP 64-128-64-10
(ReLU, Adam lr 1e-3, batch 32, 1437 samples) with chalkgrad's Model.fit and with a plain PyTorch
loop, and their ratio (lower is better), on one thread each unless --threads says otherwise.
"""

from __future__ import annotations

import functools
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import common as harness
import numpy as np

import chalkgrad as cg

BATCH = 32


def default_train_runs(runs: int):
    """(wall seconds, test accuracy) of `python -m chalkgrad train` with default options, per run."""
    results = []
    if runs:
        print("default `chalkgrad train` (fresh process, imports included):")
    for i in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            out = subprocess.run([sys.executable, "-m", "chalkgrad", "train", "--out", os.path.join(tmp, "run"),
                                  "--verbose", "0"], capture_output=True, text=True)
            wall = time.perf_counter() - start
        if out.returncode != 0:
            raise SystemExit(f"chalkgrad train failed:\n{out.stderr}")
        acc = float(re.search(r"test accuracy: ([0-9.]+)", out.stdout).group(1))
        results.append((wall, acc))
        print(f"  run {i + 1}: {wall:.2f} s, test accuracy {acc:.4f}", flush=True)
    return results


@functools.cache
def digits_train():
    from chalkgrad.train import load_dataset

    xtr, ytr, _, _, _ = load_dataset("digits", flatten=True)
    return xtr, ytr


def epoch_chalkgrad(x, y):
    from chalkgrad.fit import Dense, Input, Sequential

    cg.manual_seed(0)
    model = Sequential([Input((64,)), Dense(128, activation="relu"), Dense(64, activation="relu"),
                        Dense(10, activation="softmax")])
    model.compile({"name": "adam", "lr": 1e-3}, "sparse_categorical_crossentropy", metrics=["accuracy"])

    def run():
        model.fit(x, y, epochs=1, batch_size=BATCH, verbose=0)

    return run


def epoch_torch(x, y):
    import torch

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(), torch.nn.Linear(128, 64),
                                torch.nn.ReLU(), torch.nn.Linear(64, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    gen = torch.Generator().manual_seed(0)

    def run():
        model.train()
        perm = torch.randperm(len(xt), generator=gen)
        correct = 0
        for i in range(0, len(xt), BATCH):
            b = perm[i:i + BATCH]
            opt.zero_grad()
            logits = model(xt[b])
            loss = torch.nn.functional.cross_entropy(logits, yt[b])
            loss.backward()
            opt.step()
            correct += int((logits.argmax(1) == yt[b]).sum())  # the same bookkeeping as fit's accuracy

    return run


def default_train(args) -> None:
    runs = default_train_runs(1 if args.quick else args.runs)
    if not runs:
        return
    walls, accs = [w for w, _ in runs], [a for _, a in runs]
    print(f"  median wall time {statistics.median(walls):.2f} s, median test accuracy {statistics.median(accs):.4f}"
          f" (min {min(accs):.4f})\n")


def per_step(args, results) -> None:
    for r in results:
        steps = int(np.ceil(len(digits_train()[0]) / BATCH))
        print(f"per step: chalkgrad {r.median('chalkgrad') / steps * 1e3:.3f} ms, "
              f"torch {r.median('torch') / steps * 1e3:.3f} ms")


def options(ap) -> None:
    ap.add_argument("--runs", type=int, default=3, help="runs of the default `chalkgrad train` (default 3; 1 with "
                                                        "--quick; 0 to skip)")


WORKLOADS = [
    harness.Workload("epoch", f"MLP 64-128-64-10 epoch on digits (1437 samples), batch {BATCH}, Adam",
                     {"chalkgrad": lambda: epoch_chalkgrad(*digits_train()),
                      "torch": lambda: epoch_torch(*digits_train())}),
]


def main(argv=None) -> int:
    return harness.main(WORKLOADS, __doc__, __file__, argv, before=default_train, after=per_step,
                        defaults={"threads": 1}, options=options)


if __name__ == "__main__":
    sys.exit(main())
