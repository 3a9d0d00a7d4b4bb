"""Character-level language model on the Zen of Python, trained with truncated BPTT.

The text ships with Python: the ``this`` module keeps the Zen rot13-encoded in ``this.s``.
Model: Embedding -> LSTM -> Linear over the characters; loss: cross-entropy of the next
character. Then it samples new text.

Truncated backpropagation through time: the text is cut into ``batch`` parallel streams;
each update reads the next ``bptt`` characters of every stream, carries the LSTM state
over from the previous chunk, and ``detach()``es it so gradients stop at the chunk
boundary (the memory and time of one update stay bounded)::

    state = None
    for x, y in chunks:                        # x, y: (bptt, batch) character ids
        out, state = lstm(embed(x), state)
        loss = cross_entropy(head(out).reshape(-1, vocab), y.reshape(-1))
        opt.zero_grad(); loss.backward(); opt.step()
        state = tuple(s.detach() for s in state)   # keep the values, drop the graph

    python examples/char_lm.py
    python examples/char_lm.py --small          # a few seconds (used by the tests)
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import io
import sys

import numpy as np

import chalkgrad as cg
import chalkgrad.nn.functional as F
from chalkgrad import nn


def zen_of_python() -> str:
    with contextlib.redirect_stdout(io.StringIO()):  # importing `this` prints the Zen
        import this
    return codecs.decode(this.s, "rot13")


class CharLM(nn.Module):
    def __init__(self, vocab: int, embed: int, hidden: int):
        super().__init__()
        self.embed = nn.Embedding(vocab, embed)
        self.lstm = nn.LSTM(embed, hidden)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, x, state=None):
        out, state = self.lstm(self.embed(x), state)
        return self.head(out), state


def streams(ids: np.ndarray, batch: int) -> np.ndarray:
    """The id sequence cut into ``batch`` equal streams, as columns: (length, batch)."""
    n = len(ids) // batch
    return ids[:n * batch].reshape(batch, n).T.copy()


def sample(model, stoi, itos, start: str, n: int, temperature: float, rng) -> str:
    with cg.no_grad():
        x = cg.tensor(np.array([[stoi[c]] for c in start]))
        logits, state = model(x)
        out = list(start)
        for _ in range(n):
            z = logits.data[-1, 0] / temperature
            p = np.exp(z - z.max())
            c = int(rng.choice(len(p), p=p / p.sum()))
            out.append(itos[c])
            logits, state = model(cg.tensor(np.array([[c]])), state)
    return "".join(out)


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--small", action="store_true", help="tiny sizes, for tests")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    cg.manual_seed(args.seed)
    text = zen_of_python()
    chars = sorted(set(text))
    stoi = {c: i for i, c in enumerate(chars)}
    ids = np.array([stoi[c] for c in text], dtype=np.int64)
    embed, hidden, bptt, batch, epochs = (16, 64, 16, 8, 15) if args.small else (32, 128, 32, 8, 80)
    data = streams(ids, batch)
    model = CharLM(len(chars), embed, hidden)
    opt = cg.optim.Adam(model.parameters(), lr=0.01)
    print(f"{len(text)} characters, vocabulary {len(chars)}; {batch} streams of {len(data)}, truncated BPTT "
          f"over {bptt} steps; uniform guessing gives loss ln {len(chars)} = {np.log(len(chars)):.3f}")
    losses = []
    for epoch in range(epochs):
        state, total, count = None, 0.0, 0
        for i in range(0, len(data) - 1, bptt):
            x = cg.tensor(data[i:i + bptt])
            y = cg.tensor(data[i + 1:i + 1 + bptt])
            x = x[:y.shape[0]]
            logits, state = model(x, state)
            loss = F.cross_entropy(logits.reshape(-1, len(chars)), y.reshape(-1))
            opt.zero_grad()
            loss.backward()
            opt.step()
            state = tuple(s.detach() for s in state)  # truncated BPTT: cut the graph, keep the values
            total, count = total + float(loss.item()) * y.numel(), count + y.numel()
        losses.append(total / count)
        if epoch == 0 or (epoch + 1) % max(1, epochs // 5) == 0:
            print(f"epoch {epoch + 1:3d}: loss {losses[-1]:.3f} nats/char")
    rng = np.random.default_rng(args.seed)
    text_out = sample(model, stoi, chars, "Beautiful", 60 if args.small else 300, 0.6, rng)
    print("sample:", text_out)
    return {"first_loss": losses[0], "final_loss": losses[-1], "uniform_loss": float(np.log(len(chars))),
            "sample": text_out}


if __name__ == "__main__":
    main()
    sys.exit(0)
