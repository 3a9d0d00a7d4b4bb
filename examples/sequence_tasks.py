"""Sequence tasks with variable lengths: the adding problem (regression) and parity (classification).

* adding: each step carries (value in [0, 1], marker in {0, 1}); exactly two steps are
  marked; the target is the sum of the two marked values. Predicting the mean (1.0) gives
  MSE ≈ 1/6, so a loss well below 0.167 means the network learned to pick and add.
* parity: a sequence of bits; the class is 1 when the number of ones is odd.

Sequences in a batch have different lengths: they are padded with zeros to the longest
and the true lengths are passed as ``rnn(x, lengths=lengths)``, so the final state is
the state after each sequence's last real step (the padding is never read). The
classifier reads h_n.

    python examples/sequence_tasks.py --task adding
    python examples/sequence_tasks.py --task parity --cell gru
    python examples/sequence_tasks.py --small       # a few seconds (used by the tests)
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

import chalkgrad as cg
import chalkgrad.nn.functional as F
from chalkgrad import nn


def adding_batch(rng, batch: int, max_len: int):
    """x (T, B, 2) zero-padded, lengths (B,), targets (B, 1)."""
    lengths = rng.integers(max_len // 2, max_len + 1, batch)
    x = np.zeros((max_len, batch, 2), np.float32)
    x[..., 0] = rng.random((max_len, batch)) * (np.arange(max_len)[:, None] < lengths[None, :])
    i = (rng.random(batch) * lengths).astype(np.int64)  # two distinct marked steps below each length
    j = (rng.random(batch) * (lengths - 1)).astype(np.int64)
    j += j >= i
    cols = np.arange(batch)
    x[i, cols, 1] = x[j, cols, 1] = 1
    y = (x[i, cols, 0] + x[j, cols, 0])[:, None]
    return x, lengths, y


def parity_batch(rng, batch: int, max_len: int):
    """x (T, B, 1) of bits zero-padded, lengths (B,), classes (B,)."""
    lengths = rng.integers(1, max_len + 1, batch)
    bits = rng.integers(0, 2, (max_len, batch))
    bits[np.arange(max_len)[:, None] >= lengths[None, :]] = 0
    return bits[..., None].astype(np.float32), lengths, bits.sum(0) % 2


class Reader(nn.Module):
    """A recurrent layer over the padded batch; a Linear on the final hidden state."""

    def __init__(self, cell: str, n_in: int, hidden: int, n_out: int):
        super().__init__()
        self.cell = cell
        self.rnn = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[cell](n_in, hidden)
        self.head = nn.Linear(hidden, n_out)

    def forward(self, x, lengths):
        _, h = self.rnn(x, lengths=lengths)
        h_n = h[0] if self.cell == "lstm" else h
        return self.head(h_n[-1])


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--task", choices=["adding", "parity"], default="adding")
    ap.add_argument("--cell", choices=["lstm", "gru", "rnn"], default="lstm")
    ap.add_argument("--small", action="store_true", help="tiny sizes, for tests")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    cg.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    adding = args.task == "adding"
    if adding:
        max_len, hidden, steps = (10, 24, 250) if args.small else (30, 64, 1500)
    else:
        max_len, hidden, steps = (6, 24, 300) if args.small else (12, 64, 2000)
    make = adding_batch if adding else parity_batch
    model = Reader(args.cell, 2 if adding else 1, hidden, 1 if adding else 2)
    opt = cg.optim.Adam(model.parameters(), lr=0.01)

    def loss_of(x, lengths, y):
        out = model(cg.from_numpy(x), lengths)
        if adding:
            return F.mse_loss(out, cg.from_numpy(y)), None
        target = cg.from_numpy(y.astype(np.int64))
        return F.cross_entropy(out, target), float((out.data.argmax(1) == y).mean())

    test = make(np.random.default_rng(args.seed + 1), 256, max_len)
    with cg.no_grad():
        first, _ = loss_of(*test)
    first = float(first.item())
    print(f"{args.task} task, {args.cell.upper()} hidden {hidden}, lengths up to {max_len}: test loss {first:.4f}")
    for step in range(steps):
        opt.zero_grad()
        loss, _ = loss_of(*make(rng, 64, max_len))
        loss.backward()
        opt.step()
        if (step + 1) % max(1, steps // 5) == 0:
            with cg.no_grad():
                tl, acc = loss_of(*test)
            print(f"step {step + 1:5d}: train loss {float(loss.item()):.4f}, test loss {float(tl.item()):.4f}"
                  + (f", test accuracy {acc:.3f}" if acc is not None else ""))
    with cg.no_grad():
        last, acc = loss_of(*test)
    last = float(last.item())
    print(f"test loss {first:.4f} -> {last:.4f}" + (" (predicting the mean gives about 0.167)" if adding else ""))
    return {"first_loss": first, "final_loss": last, "accuracy": acc}


if __name__ == "__main__":
    main()
    sys.exit(0)
