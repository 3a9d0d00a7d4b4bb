"""Time-series forecasting: predict the next value of a noisy sine wave with an LSTM or a GRU.

The series is x_t = sin(2π t / period) + noise. Each training example is a window of
``window`` past values; the model reads it step by step and a Linear head maps the last
hidden state to the next value. Loss: mean squared error; optimizer: Adam.

    python examples/forecast_sine.py --cell gru
    python examples/forecast_sine.py --small        # a few seconds (used by the tests)
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

import chalkgrad as cg
import chalkgrad.nn.functional as F
from chalkgrad import nn


def make_series(n: int, period: float = 25.0, noise: float = 0.05, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return (np.sin(2 * np.pi * t / period) + noise * rng.standard_normal(n)).astype(np.float32)


def windows(series: np.ndarray, window: int):
    """Inputs (N, window, 1) of consecutive values and targets (N, 1): the value after each window."""
    idx = np.arange(window)[None, :] + np.arange(len(series) - window)[:, None]
    return series[idx][..., None], series[window:][:, None]


class Forecaster(nn.Module):
    """A recurrent layer (batch_first) followed by a Linear on the last step's output."""

    def __init__(self, cell: str = "lstm", hidden: int = 32):
        super().__init__()
        layer = {"lstm": nn.LSTM, "gru": nn.GRU}[cell]
        self.rnn = layer(1, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[:, -1])


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cell", choices=["lstm", "gru"], default="lstm")
    ap.add_argument("--small", action="store_true", help="tiny sizes, for tests")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    cg.manual_seed(args.seed)
    hidden, window, n, epochs = (16, 12, 220, 12) if args.small else (32, 25, 1000, 30)
    x, y = windows(make_series(n, seed=args.seed), window)
    split = int(0.8 * len(x))
    xtr, ytr, xte, yte = (cg.from_numpy(a) for a in (x[:split], y[:split], x[split:], y[split:]))
    model = Forecaster(args.cell, hidden)
    opt = cg.optim.Adam(model.parameters(), lr=0.01)
    rng = np.random.default_rng(args.seed)
    batch = 32

    def test_loss():
        with cg.no_grad():
            return float(F.mse_loss(model(xte), yte).item())

    first = test_loss()
    print(f"{args.cell.upper()} forecaster, window {window}, hidden {hidden}: test MSE before training {first:.4f}")
    for epoch in range(epochs):
        order = rng.permutation(split)
        for i in range(0, split, batch):
            b = order[i:i + batch]
            opt.zero_grad()
            loss = F.mse_loss(model(xtr[b]), ytr[b])
            loss.backward()
            opt.step()
        if (epoch + 1) % max(1, epochs // 5) == 0:
            print(f"epoch {epoch + 1:3d}: test MSE {test_loss():.4f}")
    last = test_loss()
    naive = float(np.mean((x[split:, -1, 0] - y[split:, 0]) ** 2))
    print(f"test MSE after training {last:.4f} (repeating the last value: {naive:.4f}; noise variance 0.0025)")
    return {"first_loss": first, "final_loss": last, "naive_loss": naive}


if __name__ == "__main__":
    main()
    sys.exit(0)
