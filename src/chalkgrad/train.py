"""The ``chalkgrad train`` job: train a small classifier, report test accuracy, save a checkpoint and a plot.

Defaults (no arguments): the bundled 8x8 digits (scikit-learn's copy) as 1x8x8 images,
stratified 80/20 split with seed 0 (1438 train / 359 test), a small CNN (conv 16 + conv 32,
3x3 'same', ReLU, 2x2 max pool, dropout 0.25, Dense 64, Dense 10 softmax; 38k parameters)
trained by Adam (lr 2e-3 with a cosine decay over the epochs), batch 32, 30 epochs, seed 0:
about 98% test accuracy (97.2-98.1% over seeds 0-3) in about 7 seconds. ``--model mlp`` trains the MLP 64-128-64-10
(ReLU, dropout 0.2) instead. The ``val_*`` values shown per epoch are measured on a
validation split held out of the training data (10%, stratified, drawn with the run's seed:
1295 train / 143 validation for the digits); the test split is used once, at the end, for the
test accuracy and the confusion matrix. The output folder (default
``./chalkgrad-runs/<YYYYmmdd-HHMMSS>``) gets:

* ``checkpoint.safetensors``: ``{'model': state_dict, 'optimizer': state_dict, 'epoch': n, 'rng': ...,
  'config': {...}}`` written atomically at the end of *every* epoch (``chalkgrad.load`` reads it).
  The weights are the tensors ``model.<key>``, the optimizer state ``optimizer.state.<index>.<name>``
  (``safetensors.torch.load_file`` opens it); epoch, random state and configuration are JSON in the
  file's metadata (see :mod:`chalkgrad.serialization`);
* ``model.safetensors``: the Keras-style model (``chalkgrad.keras.load_model``);
* ``history.png`` (if matplotlib is installed) and ``history.csv``.

``--resume RUN_DIR`` (or the checkpoint file) continues an interrupted run exactly where its
last checkpoint left it (weights, optimizer state, random generator, epoch; the run's own
settings are used, ``--epochs`` may raise the total): the result equals an uninterrupted run.
Runs of older chalkgrad versions (``checkpoint.npz``) resume too, except runs of chalkgrad 0.2's
channels-first Keras-style layers other than the MLP on one-channel data (refused). A missing, corrupt or edited
checkpoint raises :class:`TrainError` (one line, exit code 2) naming the file and what is wrong.

Ctrl-C stops after the current batch: the last completed epoch's checkpoint is kept and the
test accuracy of the current weights is reported. Problems with the data or the options
(missing scikit-learn, a bad ``--data-root``...) raise :class:`TrainError`, which the CLI
prints as one line with exit code 2.
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from dataclasses import asdict, dataclass, field

import numpy as np

from .errors import ChalkgradError

__all__ = ["TrainConfig", "TrainError", "run", "build_model", "load_dataset", "validation_split", "DATASETS",
           "MODELS", "VALIDATION_FRACTION"]

DATASETS = ("digits", "mnist", "fashion-mnist", "cifar10")
MODELS = ("mlp", "cnn")
VALIDATION_FRACTION = 0.1  #: share of the training data held out for the per-epoch val_loss / val_accuracy


class TrainError(ChalkgradError):
    """A problem the user can fix (missing data or package, bad option, a checkpoint that does not fit);
    printed without a traceback."""


def _default_model() -> str:
    from . import nn

    return "cnn" if hasattr(nn, "Conv2d") and hasattr(nn, "MaxPool2d") else "mlp"


@dataclass
class TrainConfig:
    dataset: str = "digits"
    model: str = field(default_factory=_default_model)
    epochs: int = 30  # 97.2-98.1% on the digits test split across seeds 0-3
    batch_size: int = 32
    optimizer: str = "adam"
    lr: float | None = 2e-3
    seed: int = 0
    out: str | None = None
    data_root: str | None = None
    verbose: int | str = "auto"
    schedule: str = "cosine"
    resume: str | None = None


CHECKPOINT_NAME = "checkpoint.safetensors"
_OLD_CHECKPOINT_NAME = "checkpoint.npz"  # runs of chalkgrad before safetensors
# the settings a resumed run takes from its checkpoint, with the types they must have
_RESUMED_FIELDS = {"dataset": str, "model": str, "optimizer": str, "lr": (int, float, type(None)), "seed": int,
                   "batch_size": int, "data_root": (str, type(None)), "schedule": str}
_CHECKPOINT_ENTRIES = {"model": dict, "optimizer": dict, "epoch": int, "rng": dict, "config": dict}


def _one_line(error) -> str:
    return " ".join(str(error).split())


def _checkpoint_in(folder: str) -> str:
    """The checkpoint file of a run folder (``checkpoint.safetensors``, or an older run's ``checkpoint.npz``)."""
    path = os.path.join(folder, CHECKPOINT_NAME)
    old = os.path.join(folder, _OLD_CHECKPOINT_NAME)
    return old if not os.path.exists(path) and os.path.exists(old) else path


def _check_resumable(ck, path: str) -> None:
    """TrainError naming ``path`` and the entry unless ``ck`` has the entries ``chalkgrad train`` writes."""
    if not isinstance(ck, dict):
        raise TrainError(f"--resume {path}: not a checkpoint written by chalkgrad train")
    for key, kind in _CHECKPOINT_ENTRIES.items():
        if key not in ck:
            raise TrainError(f"--resume {path}: not a checkpoint written by chalkgrad train (no entry {key!r})")
        if isinstance(ck[key], bool) or not isinstance(ck[key], kind):
            raise TrainError(f"--resume {path}: the entry {key!r} must be a {kind.__name__}, got "
                             f"{type(ck[key]).__name__} (edited or corrupt checkpoint)")
    for key, kinds in {**_RESUMED_FIELDS, "epochs": int}.items():
        value = ck["config"].get(key)
        if key in ck["config"] and (isinstance(value, bool) or not isinstance(value, kinds)):
            raise TrainError(f"--resume {path}: the entry 'config.{key}' has the wrong type "
                             f"{type(value).__name__} (edited or corrupt checkpoint)")
    for key, value in (("epoch", ck["epoch"]), ("config.seed", ck["config"].get("seed", 0))):
        if not 0 <= value < 2**63:
            raise TrainError(f"--resume {path}: the entry {key!r} is out of range ({value})")


def _resume_state(config: TrainConfig):
    """(config with the checkpoint's settings, checkpoint dict) for ``config.resume`` (a file or a run folder)."""
    from .errors import CheckpointError
    from .serialization import load

    path = config.resume
    if os.path.isdir(path):
        path = _checkpoint_in(path)
    try:
        ck = load(path)
    except FileNotFoundError:
        raise TrainError(f"--resume {config.resume}: no checkpoint at {path}") from None
    except CheckpointError as e:
        raise TrainError(f"--resume: {_one_line(e)}") from None
    except OSError as e:
        raise TrainError(f"--resume {path}: cannot read the checkpoint ({e.strerror or e})") from None
    _check_resumable(ck, path)
    saved = ck["config"]
    merged = {k: saved[k] for k in _RESUMED_FIELDS if k in saved}
    merged["epochs"] = config.epochs if config.epochs is not None else saved.get("epochs", ck["epoch"])
    merged["out"] = config.out if config.out is not None else os.path.dirname(os.path.abspath(path))
    merged["verbose"], merged["resume"] = config.verbose, config.resume
    return TrainConfig(**merged), ck


#: datasets of one channel: their flattened images have the same order channels-first or channels-last
SINGLE_CHANNEL = ("digits", "mnist", "fashion-mnist")


def _shift_layer_index(key: str, by: int) -> str:
    head, sep, rest = key.partition(".")
    return f"{int(head) + by}{sep}{rest}" if head.isdigit() else key


def _from_old_fit_layers(state_dict, model, config):
    """``state_dict`` under the model's keys, when it is a run of chalkgrad 0.2's channels-first Keras-style layers.

    Those counted the InputLayer in ``model.layers``, so their keys are one layer further ('2.linear.weight'
    for today's '1.linear.weight'). An MLP on a one-channel dataset computes exactly the same with the
    renumbered tensors; a CNN (channels-first convolutions, Flatten order) or an MLP on flattened
    channels-first colour images would not, so those are refused. Any other state_dict is returned as is.
    """
    if not isinstance(state_dict, dict):
        return state_dict
    keys = list(model.state_dict())
    old_keys = {_shift_layer_index(k, 1) for k in keys}
    if set(state_dict) == set(keys) or set(state_dict) != old_keys:
        return state_dict
    if config.model != "mlp" or config.dataset not in SINGLE_CHANNEL:
        raise TrainError(f"--resume {config.resume}: the checkpoint was written by chalkgrad 0.2's channels-first "
                         f"Keras-style layers ({config.model} on {config.dataset}), which the channels_last "
                         "chalkgrad.keras layers cannot read; retrain, or load the weights with chalkgrad.load "
                         "and map them by hand")
    return {_shift_layer_index(k, -1): v for k, v in state_dict.items()}


def load_dataset(name: str, data_root=None, flatten: bool = True):
    """(x_train, y_train, x_test, y_test, class_names) as NumPy arrays; x float32 in [0, 1], images channels-last
    (N, H, W, C), as chalkgrad.keras's layers take them."""
    from . import data

    if name == "digits":
        try:
            ds = data.digits(flatten=flatten)
        except ChalkgradError as e:
            raise TrainError(f"{e} (pip install 'chalkgrad[datasets]')") from None
        train, test = data.train_test_split(ds, test_fraction=0.2, seed=0, stratify=True)

        def last(x):  # digits are (N, 1, 8, 8): channels-first -> channels-last
            return np.ascontiguousarray(x.transpose(0, 2, 3, 1)) if x.ndim == 4 else x

        return (last(train.tensors[0].numpy()), train.tensors[1].numpy(), last(test.tensors[0].numpy()),
                test.tensors[1].numpy(), [str(i) for i in range(10)])
    if name not in DATASETS:
        raise TrainError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    if data_root is None:
        raise TrainError(f"--dataset {name} needs --data-root DIR (the folder with the downloaded files; "
                         "chalkgrad does not download datasets)")
    if not os.path.isdir(data_root):
        raise TrainError(f"--data-root {data_root}: no such directory")
    cls = {"mnist": data.MNIST, "fashion-mnist": data.FashionMNIST, "cifar10": data.CIFAR10}[name]
    try:
        tr, te = cls(data_root, train=True), cls(data_root, train=False)
    except (ChalkgradError, OSError) as e:
        raise TrainError(str(e)) from None

    def arrays(ds):
        x = np.asarray(ds.data, dtype=np.float32) / 255.0
        x = x if x.ndim == 4 else x[..., None]  # (N, H, W, C)
        if flatten:
            x = x.reshape(len(x), -1)
        return np.ascontiguousarray(x), np.asarray(ds.targets, dtype=np.int64)

    xtr, ytr = arrays(tr)
    xte, yte = arrays(te)
    return xtr, ytr, xte, yte, [str(c) for c in cls.classes]


def validation_split(x: np.ndarray, y: np.ndarray, fraction: float = VALIDATION_FRACTION, seed: int = 0):
    """(x_train, y_train, x_val, y_val): ``round(fraction·n_c)`` samples of each class c held out, drawn by a
    NumPy generator seeded with ``seed`` (so a resumed run holds out the same samples); the order within each
    part is the original order."""
    rng = np.random.default_rng(seed)
    held = np.zeros(len(y), dtype=bool)
    for c in np.unique(y):
        members = np.flatnonzero(y == c)
        held[rng.choice(members, size=int(round(fraction * len(members))), replace=False)] = True
    return x[~held], y[~held], x[held], y[held]


def build_model(kind: str, input_shape: tuple, num_classes: int):
    """The networks: 'mlp' (Dense 128-64, ReLU, dropout 0.2) or 'cnn' (conv 16 + conv 32, 3x3 'same', ReLU, 2x2
    max pool, dropout 0.25, Dense 64), both ending in Dense(num_classes, softmax)."""
    from .keras.layers import Conv2D, Dense, Dropout, Flatten, Input, MaxPooling2D
    from .keras.models import Sequential

    if kind == "mlp":
        return Sequential([Input(input_shape), Flatten(), Dense(128, activation="relu"), Dropout(0.2),
                           Dense(64, activation="relu"), Dense(num_classes, activation="softmax")], name="mlp")
    if kind == "cnn":
        from . import nn

        if not hasattr(nn, "Conv2d") or not hasattr(nn, "MaxPool2d"):
            raise TrainError("--model cnn needs chalkgrad.nn.Conv2d and MaxPool2d, which this chalkgrad lacks")
        if len(input_shape) != 3:
            raise TrainError(f"--model cnn needs image inputs (H, W, C), got {input_shape}")
        return Sequential([Input(input_shape), Conv2D(16, 3, padding="same", activation="relu"),
                           Conv2D(32, 3, padding="same", activation="relu"), MaxPooling2D(2), Flatten(), Dropout(0.25),
                           Dense(64, activation="relu"), Dense(num_classes, activation="softmax")], name="cnn")
    raise TrainError(f"unknown model {kind!r}; choose one of {', '.join(MODELS)}")


def _blas_threads(n: int = 1):
    """Limit BLAS to ``n`` threads while training (small matrices: threads only add overhead and, on a busy
    machine, oversubscription that can slow training tenfold). Needs threadpoolctl; a no-op without it."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=n, user_api="blas")


def _out_dir(out):
    if out is None:
        out = os.path.join("chalkgrad-runs", time.strftime("%Y%m%d-%H%M%S"))
        base, i = out, 1
        while os.path.exists(out):
            out = f"{base}-{i}"
            i += 1
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as e:
        raise TrainError(f"--out {out}: cannot create the output folder ({e.strerror})") from None
    if not os.access(out, os.W_OK):
        raise TrainError(f"--out {out}: the folder is not writable")
    return out


def _confusion_text(cm: np.ndarray, names) -> str:
    from tabulate import tabulate

    rows = [[f"true {n}"] + [int(v) for v in row] for n, row in zip(names, cm)]
    return tabulate(rows, headers=["", *[f"pred {n}" for n in names]], tablefmt="simple")


def run(config: TrainConfig, print_fn=print) -> dict:
    """Train as ``config`` says; returns a dict with test_accuracy, confusion_matrix, paths, epochs_completed."""
    from . import default_generator, manual_seed
    from .errors import ConfigError
    from .keras import CSVLogger, LambdaCallback, LearningRateScheduler, metrics, plot_history
    from .keras.registry import OPTIMIZERS
    from .serialization import save

    ck = None
    if config.resume:
        config, ck = _resume_state(config)
    if config.epochs is None:
        config.epochs = TrainConfig.epochs
    if config.model not in MODELS:
        raise TrainError(f"unknown model {config.model!r}; choose one of {', '.join(MODELS)}")
    if config.optimizer not in OPTIMIZERS:
        raise TrainError(f"unknown optimizer {config.optimizer!r}; choose one of {', '.join(OPTIMIZERS.names())}")
    if config.epochs < 1 or config.batch_size < 1:
        raise TrainError(f"--epochs and --batch-size must be positive, got {config.epochs} and {config.batch_size}")
    if config.lr is not None and not (config.lr > 0 and math.isfinite(config.lr)):
        raise TrainError(f"--lr must be a positive number, got {config.lr}")
    xtr, ytr, xte, yte, names = load_dataset(config.dataset, config.data_root, flatten=config.model == "mlp")
    xtr, ytr, xval, yval = validation_split(xtr, ytr, seed=config.seed)
    out = _out_dir(config.out)
    manual_seed(config.seed)
    model = build_model(config.model, tuple(xtr.shape[1:]), len(names))
    opt_spec = {"name": config.optimizer} if config.lr is None else {"name": config.optimizer, "lr": config.lr}
    try:
        model.compile(optimizer=opt_spec, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    except ConfigError as e:
        raise TrainError(str(e)) from None
    ckpt_path = os.path.join(out, CHECKPOINT_NAME)
    state = {"epochs_completed": 0}
    base_lr = model.optimizer.param_groups[0]["lr"]
    if ck is not None:
        try:
            model.load_state_dict(_from_old_fit_layers(ck["model"], model, config))
            model.optimizer.load_state_dict(ck["optimizer"])
        except TrainError:
            raise
        except (ChalkgradError, KeyError, TypeError, ValueError, IndexError) as e:
            raise TrainError(f"--resume {config.resume}: the checkpoint does not fit the model "
                             f"({_one_line(e)})") from None
        try:
            default_generator.set_state(ck["rng"])
        except (KeyError, TypeError, ValueError, OverflowError) as e:
            raise TrainError(f"--resume {config.resume}: the entry 'rng' is not a random generator state "
                             f"({type(e).__name__}: {e})") from None
        state["epochs_completed"] = int(ck["epoch"])
        if state["epochs_completed"] >= config.epochs:
            raise TrainError(f"--resume: the checkpoint already has {state['epochs_completed']} epochs; pass "
                             f"--epochs N with N > {state['epochs_completed']} to train further")

    def save_checkpoint(epoch, logs):
        save({"model": model.state_dict(), "optimizer": model.optimizer.state_dict(), "epoch": epoch + 1,
              "rng": default_generator.get_state(), "config": asdict(config), "logs": dict(logs or {})}, ckpt_path)
        state["epochs_completed"] = epoch + 1

    callbacks = [LambdaCallback(on_epoch_end=save_checkpoint),
                 CSVLogger(os.path.join(out, "history.csv"), append=ck is not None)]
    if config.schedule == "cosine":
        callbacks.insert(0, LearningRateScheduler(
            lambda e: base_lr * 0.5 * (1 + math.cos(math.pi * e / config.epochs))))
    print_fn(f"chalkgrad train: {config.dataset} ({len(xtr)} train / {len(xval)} validation / {len(xte)} test), "
             f"model {config.model} ({model.count_parameters():,} parameters), {config.optimizer} lr {base_lr:g}, "
             f"{config.epochs} epochs of batch {config.batch_size}, seed {config.seed}"
             + (f"; resuming after epoch {state['epochs_completed']}" if ck is not None else ""))
    interrupted = False
    start = time.perf_counter()
    try:
        with _blas_threads(1):
            history = model.fit(xtr, ytr, validation_data=(xval, yval) if len(yval) else None,
                                epochs=config.epochs, initial_epoch=state["epochs_completed"],
                                batch_size=config.batch_size, callbacks=callbacks,
                                verbose=config.verbose)
    except KeyboardInterrupt:
        interrupted = True
        history = model.history
        print_fn(f"\ninterrupted: stopping; the checkpoint of epoch {state['epochs_completed']} is kept")
    seconds = time.perf_counter() - start
    with _blas_threads(1):
        probs = model.predict(xte, batch_size=256)
    pred = probs.argmax(1)
    acc = metrics.accuracy(yte, pred)
    cm = metrics.confusion_matrix(yte, pred, num_classes=len(names))
    print_fn(f"test accuracy: {acc:.4f} ({int((pred == yte).sum())}/{len(yte)}) after "
             f"{state['epochs_completed']} epochs in {seconds:.1f} s")
    print_fn("confusion matrix (rows: true class, columns: predicted):")
    print_fn(_confusion_text(cm, names))
    paths = {"checkpoint": ckpt_path if state["epochs_completed"] else None}
    try:
        model.save(os.path.join(out, "model.safetensors"), epoch=state["epochs_completed"])
        paths["model"] = os.path.join(out, "model.safetensors")
    except OSError as e:  # pragma: no cover - disk errors
        print_fn(f"warning: could not save the model: {e}")
    if history is not None and history.history:
        try:
            paths["plot"] = plot_history(history, os.path.join(out, "history.png"),
                                         title=f"{config.model} on {config.dataset}")
        except ImportError as e:
            print_fn(f"note: no plot written ({e})")
    print_fn(f"outputs written to {out}")
    return {"test_accuracy": acc, "confusion_matrix": cm, "out": out, "paths": paths, "seconds": seconds,
            "epochs_completed": state["epochs_completed"], "interrupted": interrupted,
            "history": None if history is None else history.history}
