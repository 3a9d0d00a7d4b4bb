"""Training progress output (Keras's ``verbose``): a tqdm bar per epoch, or one line per epoch.

* ``verbose=0``: silent.
* ``verbose=1`` (and ``'auto'``): ``Epoch 3/10`` then a bar with steps, ETA, running loss and
  metrics, ending with the epoch's summary (validation values included). When standard
  output is not a terminal (a log file, CI) bars are replaced by one line per epoch.
* ``verbose=2``: one line per epoch:
  ``Epoch 3/10 - 0.41s - loss: 0.1234 - accuracy: 0.9650 - val_loss: 0.1410 - val_accuracy: 0.9611``
"""

from __future__ import annotations

import sys
import time

from .callbacks import Callback

__all__ = ["ProgbarLogger", "format_logs"]


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.4g}" if (abs(v) < 1e-3 and v != 0) else f"{v:.4f}"
    return str(v)


def format_logs(logs: dict, skip=("lr",)) -> str:
    return " - ".join(f"{k}: {_fmt(v)}" for k, v in logs.items() if k not in skip)


class ProgbarLogger(Callback):
    """Prints progress as Keras does for ``verbose`` 1 or 2 (added by ``fit`` automatically)."""

    def __init__(self, verbose: int = 1, file=None) -> None:
        super().__init__()
        self.verbose = verbose
        self.file = file
        self.bar = None

    def _out(self):
        return self.file if self.file is not None else sys.stdout

    def _use_bar(self) -> bool:
        out = self._out()
        return self.verbose == 1 and hasattr(out, "isatty") and out.isatty()

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch, self.start = epoch, time.perf_counter()
        epochs = self.params.get("epochs", "?")
        if self._use_bar():
            from tqdm.auto import tqdm

            print(f"Epoch {epoch + 1}/{epochs}", file=self._out())
            self.bar = tqdm(total=self.params.get("steps"), file=self._out(), unit="step", leave=True,
                            dynamic_ncols=True, bar_format="{n_fmt}/{total_fmt} {bar} {elapsed}<{remaining}"
                                                           "{postfix}")

    def on_train_batch_end(self, batch, logs=None):
        if self.bar is not None:
            self.bar.set_postfix_str(format_logs(logs or {}), refresh=False)
            self.bar.update(1)

    def on_epoch_end(self, epoch, logs=None):
        elapsed = time.perf_counter() - self.start
        if self.bar is not None:
            self.bar.set_postfix_str(format_logs(logs or {}), refresh=False)
            self.bar.close()
            self.bar = None
        elif self.verbose in (1, 2):
            epochs = self.params.get("epochs", "?")
            print(f"Epoch {epoch + 1}/{epochs} - {elapsed:.2f}s - {format_logs(logs or {})}", file=self._out(),
                  flush=True)

    def on_train_end(self, logs=None):
        if self.bar is not None:
            self.bar.close()
            self.bar = None
