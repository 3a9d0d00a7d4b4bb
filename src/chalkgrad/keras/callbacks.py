"""Callbacks with Keras's names, arguments and behaviour, called by ``Model.fit``.

Hooks (all optional): ``on_train_begin/end(logs)``, ``on_epoch_begin/end(epoch, logs)``,
``on_train_batch_begin/end(batch, logs)``, ``on_test_begin/end(logs)``. ``epoch`` and
``batch`` count from 0; ``logs`` at epoch end holds ``loss``, each metric, ``val_*`` when
there is validation data, and ``lr`` (the learning rate used in that epoch). A callback
reaches the model as ``self.model``; setting ``self.model.stop_training = True`` ends
training after the current batch or epoch.

Keras semantics worth knowing:

* ``EarlyStopping``: an epoch improves when ``current − min_delta`` beats the best
  (``mode='min'``; ``+`` for 'max'; 'auto' is 'max' for names containing acc, auc,
  precision, recall, f1, dice or iou). Training stops when ``patience`` epochs in a row did
  not improve (never in epoch 0). ``baseline``: improvements that do not beat it do not reset
  the wait. ``restore_best_weights`` puts back the weights of the best epoch when training
  ends (as Keras 3; also when it ends without stopping early).
* ``ModelCheckpoint``: ``filepath`` is formatted with ``epoch`` (1-based) and the logs, e.g.
  ``'ckpt-{epoch:02d}-{val_loss:.3f}.npz'``; ``save_best_only`` overwrites only on improvement.
  Files are written atomically (``model.save`` or ``model.save_weights``).
* ``ReduceLROnPlateau``: after ``patience`` epochs without an improvement larger than
  ``min_delta``, lr ← max(lr·factor, min_lr), then waits ``cooldown`` epochs.
"""

from __future__ import annotations

import csv
import math
import os
import sys
import warnings

import numpy as np

from ..errors import ConfigError

__all__ = [
    "Callback", "CallbackList", "History", "EarlyStopping", "ModelCheckpoint", "LearningRateScheduler",
    "ReduceLROnPlateau", "CSVLogger", "TerminateOnNaN", "LambdaCallback", "get_lr", "set_lr",
]


def get_lr(optimizer) -> float:
    return float(optimizer.param_groups[0]["lr"])


def set_lr(optimizer, lr: float) -> None:
    for g in optimizer.param_groups:
        g["lr"] = float(lr)


class Callback:
    """Base class: override the hooks you need."""

    def __init__(self) -> None:
        self.model = None
        self.params: dict = {}

    def set_model(self, model) -> None:
        self.model = model

    def set_params(self, params: dict) -> None:
        self.params = params

    def on_train_begin(self, logs=None): ...
    def on_train_end(self, logs=None): ...
    def on_epoch_begin(self, epoch, logs=None): ...
    def on_epoch_end(self, epoch, logs=None): ...
    def on_train_batch_begin(self, batch, logs=None): ...
    def on_train_batch_end(self, batch, logs=None): ...
    def on_test_begin(self, logs=None): ...
    def on_test_end(self, logs=None): ...
    def on_test_batch_begin(self, batch, logs=None): ...
    def on_test_batch_end(self, batch, logs=None): ...
    def on_predict_begin(self, logs=None): ...
    def on_predict_end(self, logs=None): ...


class CallbackList(Callback):
    """Calls each hook on every callback in order."""

    def __init__(self, callbacks=(), model=None, params=None) -> None:
        super().__init__()
        self.callbacks = list(callbacks)
        if model is not None:
            self.set_model(model)
        if params is not None:
            self.set_params(params)

    def set_model(self, model):
        super().set_model(model)
        for c in self.callbacks:
            c.set_model(model)

    def set_params(self, params):
        super().set_params(params)
        for c in self.callbacks:
            c.set_params(params)

    def _call(self, hook, *args):
        for c in self.callbacks:
            getattr(c, hook)(*args)

    def on_train_begin(self, logs=None): self._call("on_train_begin", logs)
    def on_train_end(self, logs=None): self._call("on_train_end", logs)
    def on_epoch_begin(self, epoch, logs=None): self._call("on_epoch_begin", epoch, logs)
    def on_epoch_end(self, epoch, logs=None): self._call("on_epoch_end", epoch, logs)
    def on_train_batch_begin(self, batch, logs=None): self._call("on_train_batch_begin", batch, logs)
    def on_train_batch_end(self, batch, logs=None): self._call("on_train_batch_end", batch, logs)
    def on_test_begin(self, logs=None): self._call("on_test_begin", logs)
    def on_test_end(self, logs=None): self._call("on_test_end", logs)


class History(Callback):
    """Records the epoch-end logs: ``history.history['loss']`` is a list with one value per epoch."""

    def __init__(self) -> None:
        super().__init__()
        self.epoch: list[int] = []
        self.history: dict[str, list] = {}

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)

    def __repr__(self) -> str:
        return f"History(epochs={len(self.epoch)}, keys={list(self.history)})"


_MAX_WORDS = ("acc", "auc", "precision", "recall", "f1", "dice", "iou")


def _mode(cls: str, monitor: str, mode: str) -> str:
    if mode not in ("auto", "min", "max"):
        raise ConfigError(f"{cls}: mode must be 'auto', 'min' or 'max', got {mode!r}")
    if mode == "auto":
        return "max" if any(w in monitor for w in _MAX_WORDS) else "min"
    return mode


def _monitor_value(cls, monitor, logs):
    value = (logs or {}).get(monitor)
    if value is None:
        warnings.warn(f"{cls}: the monitored quantity '{monitor}' is not in the logs (available: "
                      f"{', '.join(sorted(logs or {}))}); nothing to do for this epoch", RuntimeWarning, stacklevel=3)
    return value


class EarlyStopping(Callback):
    """Stop training when ``monitor`` has stopped improving (see the module docstring for the rules)."""

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0.0, patience: int = 0, verbose: int = 0,
                 mode: str = "auto", baseline: float | None = None, restore_best_weights: bool = False,
                 start_from_epoch: int = 0) -> None:
        super().__init__()
        self.monitor, self.patience, self.verbose = monitor, int(patience), verbose
        self.baseline, self.restore_best_weights = baseline, restore_best_weights
        self.start_from_epoch = start_from_epoch
        self.mode = _mode("EarlyStopping", monitor, mode)
        self.min_delta = abs(min_delta) if self.mode == "max" else -abs(min_delta)
        self._reset()

    def _reset(self):
        self.wait, self.stopped_epoch, self.best_epoch = 0, 0, 0
        self.best = -math.inf if self.mode == "max" else math.inf
        self.best_weights = None

    def _better(self, value, reference) -> bool:
        if reference is None:
            return True
        return (value - self.min_delta > reference) if self.mode == "max" else (value - self.min_delta < reference)

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        current = _monitor_value("EarlyStopping", self.monitor, logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()
        self.wait += 1
        if self._better(current, self.best):
            self.best, self.best_epoch = current, epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._better(current, self.baseline):
                self.wait = 0
                return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)


class ModelCheckpoint(Callback):
    """Save the model (or its weights) at each epoch end, or only when ``monitor`` improves."""

    def __init__(self, filepath, monitor: str = "val_loss", verbose: int = 0, save_best_only: bool = False,
                 save_weights_only: bool = False, mode: str = "auto", save_freq="epoch",
                 initial_value_threshold: float | None = None) -> None:
        super().__init__()
        if save_freq != "epoch":
            raise ConfigError(f"ModelCheckpoint: only save_freq='epoch' is supported, got {save_freq!r}")
        self.filepath, self.monitor, self.verbose = os.fspath(filepath), monitor, verbose
        self.save_best_only, self.save_weights_only = save_best_only, save_weights_only
        self.mode = _mode("ModelCheckpoint", monitor, mode)
        self.best = initial_value_threshold if initial_value_threshold is not None else (
            -math.inf if self.mode == "max" else math.inf)
        self.last_saved: str | None = None

    def _path(self, epoch, logs) -> str:
        try:
            return self.filepath.format(epoch=epoch + 1, **(logs or {}))
        except KeyError as e:
            raise ConfigError(f"ModelCheckpoint: filepath {self.filepath!r} uses {{{e.args[0]}}}, which is not in "
                              f"the logs (available: epoch, {', '.join(sorted(logs or {}))})") from None

    def on_epoch_end(self, epoch, logs=None):
        path = self._path(epoch, logs)
        if self.save_best_only:
            current = _monitor_value("ModelCheckpoint", self.monitor, logs)
            if current is None:
                return
            better = current > self.best if self.mode == "max" else current < self.best
            if not better:
                if self.verbose > 0:
                    print(f"Epoch {epoch + 1}: {self.monitor} did not improve from {self.best:.5f}")
                return
            if self.verbose > 0:
                print(f"Epoch {epoch + 1}: {self.monitor} improved from {self.best:.5f} to {current:.5f}, "
                      f"saving model to {path}")
            self.best = current
        elif self.verbose > 0:
            print(f"Epoch {epoch + 1}: saving model to {path}")
        directory = os.path.dirname(os.path.abspath(path))
        os.makedirs(directory, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(path)
        else:
            self.model.save(path, epoch=epoch + 1)
        self.last_saved = path


class LearningRateScheduler(Callback):
    """At each epoch start, lr ← schedule(epoch, lr) (or schedule(epoch) for a one-argument function)."""

    def __init__(self, schedule, verbose: int = 0) -> None:
        super().__init__()
        self.schedule, self.verbose = schedule, verbose

    def on_epoch_begin(self, epoch, logs=None):
        opt = self.model.optimizer
        lr = get_lr(opt)
        try:
            new = self.schedule(epoch, lr)
        except TypeError:
            new = self.schedule(epoch)
        if not isinstance(new, (int, float, np.floating, np.integer)) or not math.isfinite(float(new)):
            raise ConfigError(f"LearningRateScheduler: the schedule must return a finite number, got {new!r}")
        set_lr(opt, float(new))
        if self.verbose > 0:
            print(f"Epoch {epoch + 1}: LearningRateScheduler setting learning rate to {float(new)}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["lr"] = get_lr(self.model.optimizer)


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by ``factor`` when ``monitor`` has not improved for ``patience`` epochs."""

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10, verbose: int = 0,
                 mode: str = "auto", min_delta: float = 1e-4, cooldown: int = 0, min_lr: float = 0.0) -> None:
        super().__init__()
        if not 0 <= factor < 1.0:
            raise ConfigError(f"ReduceLROnPlateau: factor must be in [0, 1) (it multiplies the learning rate), "
                              f"got {factor}")
        self.monitor, self.factor, self.patience, self.verbose = monitor, float(factor), int(patience), verbose
        self.mode = _mode("ReduceLROnPlateau", monitor, mode)
        self.min_delta, self.cooldown, self.min_lr = float(min_delta), int(cooldown), float(min_lr)
        self._reset()

    def _reset(self):
        self.best = -math.inf if self.mode == "max" else math.inf
        self.wait, self.cooldown_counter = 0, 0

    def _better(self, a, b):
        return a > b + self.min_delta if self.mode == "max" else a < b - self.min_delta

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        opt = self.model.optimizer
        logs["lr"] = get_lr(opt)
        current = _monitor_value("ReduceLROnPlateau", self.monitor, logs)
        if current is None:
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self._better(current, self.best):
            self.best, self.wait = current, 0
        elif self.cooldown_counter <= 0:
            self.wait += 1
            if self.wait >= self.patience:
                old = get_lr(opt)
                if old > self.min_lr:
                    new = max(old * self.factor, self.min_lr)
                    set_lr(opt, new)
                    if self.verbose > 0:
                        print(f"Epoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new}.")
                    self.cooldown_counter, self.wait = self.cooldown, 0


class CSVLogger(Callback):
    """Append one row per epoch (``epoch`` then the logs' keys, sorted) to a CSV file."""

    def __init__(self, filename, separator: str = ",", append: bool = False) -> None:
        super().__init__()
        self.filename, self.sep, self.append = os.fspath(filename), separator, append
        self._file = None
        self._writer = None
        self.keys = None

    def on_train_begin(self, logs=None):
        exists = self.append and os.path.exists(self.filename) and os.path.getsize(self.filename) > 0
        self._file = open(self.filename, "a" if self.append else "w", newline="")  # noqa: SIM115
        self._has_header = exists
        self.keys = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            self._writer = csv.writer(self._file, delimiter=self.sep, lineterminator="\n")
            if not self._has_header:
                self._writer.writerow(["epoch"] + self.keys)
        self._writer.writerow([epoch] + [logs.get(k, "NA") for k in self.keys])
        self._file.flush()

    def on_train_end(self, logs=None):
        if self._file is not None:
            self._file.close()
            self._file = None


class TerminateOnNaN(Callback):
    """Stop training as soon as a batch loss is NaN or infinite (instead of raising NumericalError)."""

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("batch_loss", (logs or {}).get("loss"))
        if loss is not None and not math.isfinite(loss):
            print(f"Batch {batch}: Invalid loss, terminating training", file=sys.stdout)
            self.model.stop_training = True


class LambdaCallback(Callback):
    """A callback from plain functions: ``LambdaCallback(on_epoch_end=lambda epoch, logs: ...)``."""

    _HOOKS = ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end", "on_train_batch_begin",
              "on_train_batch_end", "on_batch_begin", "on_batch_end")

    def __init__(self, **hooks) -> None:
        super().__init__()
        unknown = sorted(set(hooks) - set(self._HOOKS))
        if unknown:
            raise ConfigError(f"LambdaCallback: unknown hooks {unknown}; valid: {', '.join(self._HOOKS)}")
        self._hooks = hooks

    def _run(self, name, *args):
        fn = self._hooks.get(name)
        if fn is not None:
            fn(*args)

    def on_train_begin(self, logs=None): self._run("on_train_begin", logs)
    def on_train_end(self, logs=None): self._run("on_train_end", logs)
    def on_epoch_begin(self, epoch, logs=None): self._run("on_epoch_begin", epoch, logs)
    def on_epoch_end(self, epoch, logs=None): self._run("on_epoch_end", epoch, logs)

    def on_train_batch_begin(self, batch, logs=None):
        self._run("on_train_batch_begin", batch, logs)
        self._run("on_batch_begin", batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self._run("on_train_batch_end", batch, logs)
        self._run("on_batch_end", batch, logs)
