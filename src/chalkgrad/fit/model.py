"""``Model`` and ``Sequential``: Keras's compile / fit / evaluate / predict on chalkgrad modules.

::

    from chalkgrad.fit import Sequential, Dense, Dropout, EarlyStopping
    model = Sequential([Dense(64, activation="relu"), Dropout(0.2), Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=20, batch_size=32, validation_split=0.2,
                        callbacks=[EarlyStopping(patience=3, restore_best_weights=True)])
    model.evaluate(x_test, y_test);  probs = model.predict(x_test)

Both are ``chalkgrad.nn.Module`` s: ``state_dict()``, ``parameters()``, ``train()/eval()`` work.
``Sequential`` holds Keras-style layers (or any ``nn`` modules) as children ``'0', '1', ...``;
``Model(module)`` wraps any module as child ``'module'`` (its state_dict keys are prefixed
``module.``). Layers are built (parameters created) when the input shape is first known:
from ``Input``/``input_shape=``, ``build(input_shape)``, or the first batch of ``fit``/``predict``;
the optimizer is created after that.

Training loop per batch: forward (training mode), loss (see :mod:`chalkgrad.fit.losses` for
how a final softmax/sigmoid is fused into the cross-entropies), a finiteness check, backward,
optimizer step, metric updates on the predicted probabilities. A NaN or infinite loss raises
``NumericalError`` naming the epoch and step *before* the update (the weights stay finite),
unless ``on_nan='continue'`` (Keras's behaviour: carry on) or ``on_nan='stop'`` / a
``TerminateOnNaN`` callback (stop training, no error).

Shuffling and dropout draw from ``generator`` (default: chalkgrad's default generator,
reset by ``chalkgrad.manual_seed``), so a seed reproduces a run and saving
``chalkgrad.default_generator.get_state()`` in a checkpoint makes resuming exact.
"""

from __future__ import annotations

import math
import os
from collections import OrderedDict

import numpy as np

from .. import nn
from ..autograd import no_grad
from ..errors import CheckpointError, ConfigError, NumericalError, ShapeError
from ..random import get_generator
from ..tensor import Tensor
from . import callbacks as cbks
from .layers import InputLayer, Layer
from .progress import ProgbarLogger, format_logs
from .registry import LAYERS, get_loss, get_metric, get_optimizer

__all__ = ["Model", "Sequential", "load_model"]

_MODEL_KIND = "keras-model"


def _np(x):
    if x is None:
        return None
    if isinstance(x, Tensor):
        return x.data
    if hasattr(x, "detach") and hasattr(x, "numpy"):
        return x.detach().cpu().numpy()
    return np.asarray(x)


class _ArrayData:
    """In-memory arrays split into batches (optionally shuffled each epoch)."""

    def __init__(self, x, y, w=None) -> None:
        self.x, self.y, self.w = x, y, w
        n = len(x)
        for name, a in (("y", y), ("sample_weight", w)):
            if a is not None and len(a) != n:
                raise ShapeError(f"fit: x has {n} samples but {name} has {len(a)}")
        self.n = n

    def steps(self, batch_size):
        return max(1, math.ceil(self.n / batch_size)) if self.n else 0

    def batches(self, batch_size, shuffle=False, rng=None):
        idx = rng.permutation(self.n) if shuffle else None
        for start in range(0, self.n, batch_size):
            sl = slice(start, start + batch_size)
            if idx is None:
                yield (self.x[sl], None if self.y is None else self.y[sl], None if self.w is None else self.w[sl])
            else:
                b = idx[sl]
                yield (self.x[b], None if self.y is None else self.y[b], None if self.w is None else self.w[b])


class _IterData:
    """A DataLoader or any re-iterable yielding (x, y) or (x, y, sample_weight) batches."""

    def __init__(self, loader) -> None:
        self.loader = loader

    def steps(self, batch_size):
        try:
            return len(self.loader)
        except TypeError:
            return None

    def batches(self, batch_size, shuffle=False, rng=None):
        for item in self.loader:
            if isinstance(item, (tuple, list)):
                if len(item) == 2:
                    yield _np(item[0]), _np(item[1]), None
                elif len(item) == 3:
                    yield _np(item[0]), _np(item[1]), _np(item[2])
                else:
                    raise ShapeError(f"fit: batches must be (x, y) or (x, y, sample_weight), got {len(item)} items")
            else:
                yield _np(item), None, None


def _dataset_arrays(x):
    tensors = getattr(x, "tensors", None)
    if tensors is not None and not isinstance(x, np.ndarray):
        arrays = [_np(t) for t in tensors]
        return arrays[0], (arrays[1] if len(arrays) > 1 else None)
    return None


class Model(nn.Module):
    """A trainable model with Keras's compile/fit/evaluate/predict around a module.

    ``Model(module)`` wraps any ``nn.Module``; subclasses may instead define ``forward``.
    """

    def __init__(self, module: nn.Module | None = None, name: str | None = None) -> None:
        super().__init__()
        if module is not None:
            if not isinstance(module, nn.Module):
                raise ConfigError(f"Model(module): expected an nn.Module, got {type(module).__name__}")
            self.module = module
        self.name = name or type(self).__name__.lower()
        self.optimizer = None
        self._optimizer_spec = None
        self.loss = None
        self.compiled_metrics: list = []
        self.stop_training = False
        self.history = None
        self.input_shape = None  # without the batch dimension, once known
        self._compile_config = None

    def forward(self, x):
        module = self._modules.get("module")
        if module is None:
            raise NotImplementedError(f"{type(self).__name__}: pass a module to Model(...) or define forward()")
        return module(x)

    # ------------------------------------------------------------------ layers and building
    def _layer_list(self):
        """The modules applied one after another (for Sequential, or Model(nn.Sequential))."""
        module = self._modules.get("module")
        if isinstance(module, nn.Sequential):
            return list(module)
        return None

    @property
    def built(self) -> bool:
        for m in self.modules():
            if isinstance(m, Layer) and not m.built:
                return False
        return True

    def _param_dtype(self):
        for p in self.parameters():
            return p.dtype
        return np.dtype(np.float32)

    def build(self, input_shape) -> None:
        """Create every lazy layer's parameters for inputs of ``input_shape`` (batch dim included or not).

        A shape without the batch dimension is accepted when it is one shorter than the data's;
        here the rule is: a leading ``None`` is the batch dimension, otherwise the batch is added.
        """
        shape = tuple(input_shape)
        if shape and shape[0] is None:
            shape = shape[1:]
        self.input_shape = tuple(int(s) for s in shape)
        if self.built:
            return
        self._dummy_forward((1,) + self.input_shape)

    def _dummy_input(self, shape) -> Tensor:
        """Zeros of ``shape``: int64 when the first layer takes integer ids (Embedding), else the weights' dtype."""
        layers = [m for m in (self._layer_list() or []) if not isinstance(m, InputLayer)]
        integer = bool(layers) and (getattr(layers[0], "expects_integer_input", False)
                                    or isinstance(layers[0], getattr(nn, "Embedding", ())))
        return Tensor(np.zeros(shape, dtype=np.int64 if integer else self._param_dtype()))

    def _dummy_forward(self, shape):
        """Run one tiny batch in eval mode without gradients (no dropout draws, no running-stat updates)."""
        was = self.training
        self.eval()
        try:
            with no_grad():
                self(self._dummy_input(shape))
        finally:
            self.train(was)

    def _ensure_built(self, x_shape=None, what="this"):
        if self.built:
            if self.input_shape is None and x_shape is not None:
                self.input_shape = tuple(x_shape[1:])
            return
        if x_shape is not None:
            self.build(tuple(x_shape[1:]))
            return
        if self.input_shape is not None:
            self.build(self.input_shape)
            return
        raise ConfigError(f"{self.name}: the model is not built, so {what} is not possible yet; call "
                          "model.build(input_shape), start with Input(shape=...) or give the first layer "
                          "input_shape=..., or run fit/predict once")

    # ------------------------------------------------------------------ compile
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None, weighted_metrics=None,
                run_eagerly=None, **kwargs) -> None:
        """Set the optimizer (name, dict, factory or Optimizer), the loss and the metrics for fit/evaluate.

        Keras's default optimizer is 'rmsprop'. The optimizer is created as soon as the model is
        built (now if it already is).
        """
        if loss_weights is not None or weighted_metrics:
            raise ConfigError("compile(): loss_weights and weighted_metrics are for multi-output models, which "
                              "chalkgrad.fit does not support")
        if kwargs:
            raise ConfigError(f"compile(): unexpected arguments {sorted(kwargs)}")
        self.loss = get_loss(loss)
        if metrics is None:
            metrics = []
        if isinstance(metrics, (str,)) or not isinstance(metrics, (list, tuple)):
            metrics = [metrics]
        self.compiled_metrics = [get_metric(m, self.loss) for m in metrics]
        names = [m.name for m in self.compiled_metrics]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ConfigError(f"compile(): two metrics are named {dup}; give them distinct names")
        self._optimizer_spec = optimizer
        self.optimizer = None
        self._compile_config = {
            "optimizer": optimizer if isinstance(optimizer, (str, dict)) else None,
            "loss": loss if isinstance(loss, str) else None,
            "metrics": [m for m in metrics if isinstance(m, str)],
        }
        if any(True for _ in self.parameters()) and self.built:
            self._ensure_optimizer()

    def _ensure_optimizer(self):
        if self.optimizer is None:
            if self._optimizer_spec is None:
                raise ConfigError(f"{self.name}: call compile(optimizer=..., loss=...) before fit/evaluate")
            self.optimizer = get_optimizer(self._optimizer_spec, self.parameters())
        return self.optimizer

    def _check_compiled(self, what):
        if self.loss is None:
            raise ConfigError(f"{self.name}.{what}(): the model is not compiled; call "
                              "model.compile(optimizer='adam', loss='...', metrics=[...]) first")

    # ------------------------------------------------------------------ forward for the loss
    def _final_layer(self):
        layers = self._layer_list()
        return layers[-1] if layers else None

    def _fused(self) -> bool:
        """True when the last layer's activation is absorbed into the loss (computed from logits)."""
        if self.loss is None or getattr(self.loss, "from_logits", False):
            return False
        want = getattr(self.loss, "fusable_activation", None)
        last = self._final_layer()
        if want is None or last is None:
            return False
        if isinstance(last, Layer):
            return last.final_activation == want
        if want == "softmax" and isinstance(last, nn.Softmax):
            return last.dim in (-1, 1)
        return want == "sigmoid" and isinstance(last, nn.Sigmoid)

    def _forward_for_loss(self, x):
        """(output the loss takes, whether it is logits of the fused final activation)."""
        if not self._fused():
            return self(x), False
        layers = self._layer_list()
        for m in layers[:-1]:
            x = m(x)
        last = layers[-1]
        return (last.call_without_activation(x) if isinstance(last, Layer) else x), True

    def _probabilities(self, out: Tensor, fused: bool) -> np.ndarray:
        """The model's predictions (after the final activation) as an array, for metrics."""
        z = out.data
        if not fused:
            return z
        if self.loss.fusable_activation == "softmax":
            e = np.exp(z - z.max(axis=-1, keepdims=True))
            return e / e.sum(axis=-1, keepdims=True)
        return 1.0 / (1.0 + np.exp(-z))

    def _loss_value(self, y, out, fused, w):
        if fused:
            per = self.loss.per_sample_logits(y, out)
            return self.loss.reduce(per, w)
        if self.loss.from_logits and hasattr(self.loss, "per_sample_logits"):
            return self.loss.reduce(self.loss.per_sample_logits(y, out), w)
        return self.loss(y, out, w)

    # ------------------------------------------------------------------ data
    def _input(self, xb):
        dtype = self._param_dtype()
        if xb.dtype.kind == "f" and xb.dtype != dtype:
            xb = xb.astype(dtype)
        return Tensor(xb)

    def _make_data(self, x, y, sample_weight, what):
        if x is None:
            raise ConfigError(f"{what}(): x is required")
        ds = _dataset_arrays(x)
        if ds is not None:
            if y is not None:
                raise ConfigError(f"{what}(): x is a dataset (it holds the targets), so y must be None")
            x, y = ds
        elif not isinstance(x, (np.ndarray, Tensor, list)) and hasattr(x, "__iter__"):
            if y is not None:
                raise ConfigError(f"{what}(): x is an iterable of batches, so y must be None")
            return _IterData(x)
        x = _np(x)
        y = _np(y)
        return _ArrayData(x, y, _np(sample_weight))

    # ------------------------------------------------------------------ fit
    def fit(self, x=None, y=None, batch_size=None, epochs: int = 1, verbose="auto", callbacks=None,
            validation_split: float = 0.0, validation_data=None, shuffle: bool = True, class_weight=None,
            sample_weight=None, initial_epoch: int = 0, steps_per_epoch=None, validation_batch_size=None,
            validation_freq: int = 1, on_nan: str = "raise", generator=None):
        """Train for ``epochs - initial_epoch`` epochs; returns a :class:`~chalkgrad.fit.callbacks.History`.

        x, y: arrays/Tensors (N, ...), a dataset with ``.tensors`` (TensorDataset), or x an iterable of
        ``(x, y)`` batches (a DataLoader; then batch_size and shuffle are the loader's).
        validation_split: the *last* fraction of x, y (before shuffling) is held out, as Keras.
        class_weight: {class: weight}, multiplies each sample's loss (L = Σ w·ℓ / N).
        verbose: 0 silent, 1 progress bar (one line per epoch when stdout is not a terminal),
        2 one line per epoch, 'auto' = 1. on_nan: 'raise' (default), 'stop' or 'continue'.
        """
        self._check_compiled("fit")
        if on_nan not in ("raise", "stop", "continue"):
            raise ConfigError(f"fit(): on_nan must be 'raise', 'stop' or 'continue', got {on_nan!r}")
        if not 0.0 <= validation_split < 1.0:
            raise ConfigError(f"fit(): validation_split must be in [0, 1), got {validation_split}")
        if not isinstance(epochs, (int, np.integer)) or epochs < 0:
            raise ConfigError(f"fit(): epochs must be a non-negative integer, got {epochs!r}")
        batch_size = 32 if batch_size is None else int(batch_size)
        if batch_size < 1:
            raise ConfigError(f"fit(): batch_size must be positive, got {batch_size}")
        verbose = 1 if verbose == "auto" else int(verbose)
        data = self._make_data(x, y, sample_weight, "fit")
        if validation_split and validation_data is None:  # validation_data wins when both are given, as Keras
            if not isinstance(data, _ArrayData):
                raise ConfigError("fit(): validation_split needs array inputs; pass validation_data with a loader")
            split = int(data.n * (1.0 - validation_split))
            if split == 0 or split == data.n:
                raise ConfigError(f"fit(): validation_split={validation_split} of {data.n} samples leaves an empty "
                                  "training or validation set")
            w = data.w
            val = _ArrayData(data.x[split:], data.y[split:], None if w is None else w[split:])
            data = _ArrayData(data.x[:split], data.y[:split], None if w is None else w[:split])
        elif validation_data is not None:
            if isinstance(validation_data, (tuple, list)):
                vx, vy = validation_data[0], validation_data[1]
                vw = validation_data[2] if len(validation_data) > 2 else None
                val = self._make_data(vx, vy, vw, "fit")
            else:
                val = self._make_data(validation_data, None, None, "fit")
        else:
            val = None
        if isinstance(data, _ArrayData) and data.y is None:
            raise ConfigError("fit(): y is required with array inputs")
        rng = get_generator(generator)

        steps = data.steps(batch_size)
        if steps_per_epoch is not None:
            steps = int(steps_per_epoch)
        history = cbks.History()
        cb_list = list(callbacks or [])
        for c in cb_list:
            if not isinstance(c, cbks.Callback):
                raise ConfigError(f"fit(): callbacks must be Callback instances, got {type(c).__name__}")
        all_cbs = ([ProgbarLogger(verbose)] if verbose else []) + cb_list + [history]
        cb = cbks.CallbackList(all_cbs, model=self, params={"epochs": epochs, "steps": steps, "verbose": verbose})
        has_terminate = any(isinstance(c, cbks.TerminateOnNaN) for c in cb_list)
        self.history = history
        self.stop_training = False
        metrics = self.compiled_metrics

        cb.on_train_begin()
        logs = {}
        try:
            for epoch in range(int(initial_epoch), epochs):
                if self.stop_training:
                    break
                cb.on_epoch_begin(epoch)
                self.train()
                for m in metrics:
                    m.reset_state()
                total, count = 0.0, 0
                logs = {}
                for step, (xb, yb, wb) in enumerate(data.batches(batch_size, shuffle, rng)):
                    if steps_per_epoch is not None and step >= steps:
                        break
                    cb.on_train_batch_begin(step)
                    xt = self._input(xb)
                    if not self.built or self.optimizer is None:
                        self._ensure_built(xb.shape)
                        self._ensure_optimizer()
                    w = self._weights(yb, wb, class_weight)
                    out, fused = self._forward_for_loss(xt)
                    loss = self._loss_value(yb, out, fused, w)
                    value = float(loss.data)
                    finite = math.isfinite(value)
                    if not finite and on_nan == "raise" and not has_terminate:
                        raise NumericalError(
                            f"fit(): the loss is {value} at epoch {epoch + 1}, step {step + 1} (batch of "
                            f"{len(xb)} samples); the weights were not updated with it. Common causes: a learning "
                            f"rate that is too high, inputs with NaNs, or log/division of zero in a custom loss. "
                            f"Pass on_nan='stop' or 'continue', or use the TerminateOnNaN callback, to change this")
                    if finite or on_nan == "continue":
                        opt = self.optimizer
                        opt.zero_grad()
                        loss.backward()
                        opt.step()
                    n = len(xb)
                    total += value * n
                    count += n
                    probs = self._probabilities(out, fused)
                    logs = {"loss": total / count}
                    for m in metrics:
                        m.update_state(yb, probs, w)
                        logs[m.name] = float(m.result())
                    cb.on_train_batch_end(step, logs)
                    if not finite and on_nan == "stop":
                        self.stop_training = True
                    if self.stop_training:
                        break
                epoch_logs = dict(logs)
                if val is not None and (epoch + 1) % validation_freq == 0:
                    vlogs = self._evaluate_data(val, validation_batch_size or batch_size)
                    epoch_logs.update({f"val_{k}": v for k, v in vlogs.items()})
                    self.train()
                if self.optimizer is not None:
                    epoch_logs["lr"] = cbks.get_lr(self.optimizer)
                cb.on_epoch_end(epoch, epoch_logs)
                logs = epoch_logs
        except BaseException:  # Ctrl-C or an error: close bars and files, leave the rest as it is
            for c in all_cbs:
                if isinstance(c, (ProgbarLogger, cbks.CSVLogger)):
                    c.on_train_end()
            raise
        cb.on_train_end(logs)
        return history

    def _weights(self, yb, wb, class_weight):
        w = None if wb is None else np.asarray(wb, dtype=np.float64).reshape(-1)
        if class_weight:
            y = np.asarray(yb)
            labels = y.argmax(-1) if (y.ndim == 2 and y.shape[1] > 1) else y.reshape(len(y), -1)[:, 0]
            labels = np.rint(labels).astype(np.int64) if labels.dtype.kind == "f" else labels
            try:
                cw = np.array([class_weight[int(c)] for c in labels], dtype=np.float64)
            except KeyError as e:
                raise ConfigError(f"fit(): class_weight has no entry for class {e.args[0]} (it has "
                                  f"{sorted(class_weight)})") from None
            w = cw if w is None else w * cw
        return w

    # ------------------------------------------------------------------ evaluate / predict
    def _evaluate_data(self, data, batch_size, sample_weight_ok=True) -> dict:
        self.eval()
        for m in self.compiled_metrics:
            m.reset_state()
        total, count = 0.0, 0
        with no_grad():
            for xb, yb, wb in data.batches(batch_size):
                xt = self._input(xb)
                self._ensure_built(xb.shape)
                out, fused = self._forward_for_loss(xt)
                w = None if wb is None else np.asarray(wb, dtype=np.float64).reshape(-1)
                loss = self._loss_value(yb, out, fused, w)
                total += float(loss.data) * len(xb)
                count += len(xb)
                probs = self._probabilities(out, fused)
                for m in self.compiled_metrics:
                    m.update_state(yb, probs, w)
        logs = {"loss": total / count if count else float("nan")}
        for m in self.compiled_metrics:
            logs[m.name] = float(m.result())
        return logs

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, return_dict=False,
                 callbacks=None):
        """Loss and metrics on (x, y) in eval mode: a float (no metrics), a list [loss, *metrics], or a dict."""
        self._check_compiled("evaluate")
        data = self._make_data(x, y, sample_weight, "evaluate")
        logs = self._evaluate_data(data, 32 if batch_size is None else int(batch_size))
        if verbose not in (0, "auto") and int(verbose) > 0:
            print(format_logs(logs))
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    def predict(self, x, batch_size=None, verbose=0) -> np.ndarray:
        """Outputs (after the final activation: probabilities for softmax/sigmoid models) as a NumPy array."""
        batch_size = 32 if batch_size is None else int(batch_size)
        ds = _dataset_arrays(x)
        if ds is not None:
            x = ds[0]
        if not isinstance(x, (np.ndarray, Tensor, list)) and hasattr(x, "__iter__"):
            data = _IterData(x)
        else:
            data = _ArrayData(_np(x), None)
        self.eval()
        outs = []
        with no_grad():
            for xb, _, _ in data.batches(batch_size):
                self._ensure_built(xb.shape)
                outs.append(self(self._input(xb)).data)
        if not outs:
            return np.zeros((0,))
        return np.concatenate(outs)

    def predict_on_batch(self, x) -> np.ndarray:
        return self.predict(x, batch_size=len(_np(x)))

    def train_on_batch(self, x, y, sample_weight=None, class_weight=None) -> float:
        """One optimizer step on one batch; returns the loss."""
        self._check_compiled("train_on_batch")
        xb, yb = _np(x), _np(y)
        self._ensure_built(xb.shape)
        self._ensure_optimizer()
        self.train()
        out, fused = self._forward_for_loss(self._input(xb))
        loss = self._loss_value(yb, out, fused, self._weights(yb, sample_weight, class_weight))
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return float(loss.data)

    # ------------------------------------------------------------------ weights
    def get_weights(self) -> list:
        """Copies of every parameter and persistent buffer, in state_dict order (NumPy arrays)."""
        return [v.numpy().copy() for v in self.state_dict().values()]

    def set_weights(self, weights) -> None:
        keys = list(self.state_dict().keys())
        if len(weights) != len(keys):
            raise ConfigError(f"set_weights: the model has {len(keys)} weight arrays, got {len(weights)}")
        self.load_state_dict(OrderedDict(zip(keys, weights)))

    def save_weights(self, path) -> None:
        """Write the state_dict to ``path`` (atomic ``.npz``; see ``chalkgrad.save``)."""
        from ..serialization import save

        save({k: v.numpy() for k, v in self.state_dict().items()}, path)

    def load_weights(self, path) -> None:
        """Load weights written by ``save_weights`` or ``save`` (the model must be built or know its input shape)."""
        from ..serialization import load, read_header_and_arrays

        header, _ = read_header_and_arrays(path)
        obj = load(path)
        if header.get("kind") == _MODEL_KIND:
            obj = obj["weights"]
        if not isinstance(obj, dict):
            raise CheckpointError(f"{os.fspath(path)} does not hold a dict of weights")
        self._ensure_built(what="loading weights")
        self.load_state_dict(obj)

    # ------------------------------------------------------------------ whole-model save
    def get_config(self) -> dict:
        zoo = getattr(self._modules.get("module"), "zoo_config", None)
        if zoo is not None:  # a chalkgrad.models model: its builder and arguments rebuild it
            return {"class_name": "Model", "zoo": zoo}
        raise ConfigError(f"{type(self).__name__} has no architecture config; Model(module) wraps arbitrary code, "
                          "so save its weights (model.save_weights or chalkgrad.save(model.state_dict(), path)) "
                          "and rebuild the module in code (models of chalkgrad.models can be saved whole)")

    def save(self, path, include_optimizer: bool = True, epoch: int | None = None) -> None:
        """Save architecture (JSON config), weights, compile settings and optimizer state to ``path`` (atomic).

        ``chalkgrad.fit.load_model(path)`` rebuilds the model (compiled, with the optimizer state,
        when compiled with string/dict settings). Only models with a config (``Sequential``) can be saved.
        """
        from ..serialization import save

        config = self.get_config()
        obj = {"weights": {k: v.numpy() for k, v in self.state_dict().items()}}
        if include_optimizer and self.optimizer is not None:
            obj["optimizer"] = self.optimizer.state_dict()
        if epoch is not None:
            obj["epoch"] = int(epoch)
        extra = {"kind": _MODEL_KIND, "model_config": config, "compile_config": self._compile_config}
        save(obj, path, _header_extra=extra)

    def summary(self, input_shape=None, print_fn=None, detailed: bool = False) -> str:
        """Print (and return) Keras's table: layer (type), output shape, parameter count, totals.

        As Keras, a layer's count includes its non-trainable state (batch norm's moving mean and
        variance). ``detailed=True`` prints ``chalkgrad.nn.summary`` instead (input shapes, MACs, memory).
        """
        if input_shape is not None:
            self.build(input_shape)
        self._ensure_built(what="summary()")
        if detailed:
            text = str(nn.summary(self, (1,) + tuple(self.input_shape), depth=2))
        else:
            text = _summary_text(self)
        (print_fn or print)(text)
        return text


def _summary_text(model: Model) -> str:
    from tabulate import tabulate

    shape = (None,) + tuple(model.input_shape)
    children = model._layer_list()
    if children is None:
        children = [m for m in model.children()]
    rows = []
    x = model._dummy_input((1,) + tuple(model.input_shape))
    was = model.training
    model.eval()
    try:
        with no_grad():
            if model._layer_list() is not None:
                for i, layer in enumerate(children):
                    x = layer(x)
                    name = getattr(layer, "name", str(i)) if isinstance(layer, Layer) else str(i)
                    rows.append([f"{name} ({type(layer).__name__})", str((None,) + tuple(x.shape[1:])),
                                 f"{layer.num_parameters() + _state_count(layer):,}"])
            else:
                y = model(x)
                rows.append([f"{model.name} ({type(model).__name__})", str((None,) + tuple(y.shape[1:])),
                             f"{model.num_parameters():,}"])
    finally:
        model.train(was)
    total = model.num_parameters()
    trainable = model.num_parameters(trainable_only=True)
    buffers = _state_count(model)
    table = tabulate(rows, headers=["Layer (type)", "Output Shape", "Param #"], tablefmt="simple")
    lines = [f'Model: "{model.name}"', f"Input shape: {shape}", table,
             f"Total params: {total + buffers:,}", f"Trainable params: {trainable:,}",
             f"Non-trainable params: {total - trainable + buffers:,}"]
    return "\n".join(lines)


def _state_count(module) -> int:
    """Elements of floating buffers (running statistics), which Keras counts as non-trainable parameters."""
    return sum(int(b.numel()) for b in module.buffers() if b.dtype.kind == "f")


class Sequential(Model):
    """A linear stack of layers: ``Sequential([Dense(64, activation='relu'), Dense(10)])`` or ``.add(layer)``.

    Layers are Keras-style layers or any ``chalkgrad.nn`` modules; they become children ``'0'``,
    ``'1'``, ... An ``Input(shape)`` first (or ``input_shape=`` on the first layer) builds the
    model at once; otherwise it is built by the first batch.
    """

    def __init__(self, layers=None, name: str | None = None) -> None:
        super().__init__(name=name or "sequential")
        self._count = 0
        for layer in layers or []:
            self.add(layer)

    def add(self, layer) -> None:
        if not isinstance(layer, nn.Module):
            raise ConfigError(f"Sequential.add: expected a layer (an nn.Module), got {type(layer).__name__}")
        if isinstance(layer, InputLayer):
            if self._count:
                raise ConfigError("Sequential: Input(...) must be the first layer")
            self.input_shape = layer.shape
        elif self._count == 0 and isinstance(layer, Layer) and layer.declared_input_shape is not None:
            self.input_shape = layer.declared_input_shape
        setattr(self, str(self._count), layer)
        self._count += 1
        if self.input_shape is not None and not self.built:
            self.build(self.input_shape)

    def pop(self) -> nn.Module:
        if not self._count:
            raise ConfigError("Sequential.pop: the model has no layers")
        self._count -= 1
        layer = self._modules.pop(str(self._count))
        object.__delattr__(self, str(self._count))
        return layer

    @property
    def layers(self) -> list:
        return [m for m in self._modules.values()]

    def _layer_list(self):
        return self.layers

    def forward(self, x):
        for layer in self._modules.values():
            x = layer(x)
        return x

    def output_shape(self, input_shape):
        shape = tuple(input_shape)
        for layer in self._modules.values():
            shape = layer.output_shape(shape)
        return shape

    def macs(self, input_shape):
        shape, total = tuple(input_shape), 0
        for layer in self._modules.values():
            total += layer.macs(shape)
            shape = layer.output_shape(shape)
        return total

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, i):
        return self.layers[i]

    def get_config(self) -> dict:
        layers = []
        for layer in self.layers:
            if not isinstance(layer, Layer) or type(layer).__name__ not in LAYERS:
                raise ConfigError(f"Sequential.save: layer {type(layer).__name__} is not a registered Keras-style "
                                  "layer, so the architecture cannot be written as JSON; use save_weights, or "
                                  "register it with chalkgrad.fit.registry.LAYERS.register(name, cls)")
            layers.append({"class_name": type(layer).__name__, "config": layer.get_config()})
        return {"class_name": "Sequential", "name": self.name, "layers": layers,
                "input_shape": None if self.input_shape is None else list(self.input_shape)}

    @classmethod
    def from_config(cls, config: dict) -> Sequential:
        if config.get("class_name") != "Sequential":
            raise ConfigError(f"Sequential.from_config: expected a Sequential config, got {config.get('class_name')!r}")
        layers = [LAYERS.get(item["class_name"]).from_config(dict(item["config"])) for item in config["layers"]]
        model = cls(layers, name=config.get("name"))
        if config.get("input_shape") is not None and not model.built:
            model.build(tuple(config["input_shape"]))
        return model


def load_model(path, compile: bool = True) -> Model:  # noqa: A002 - Keras's name
    """Rebuild a model written by ``model.save(path)``: architecture, weights, and (with ``compile``)
    its compile settings and optimizer state. Returns it in training mode."""
    from ..errors import ChalkgradError
    from ..models.saving import build_from_config, restore_weights
    from ..serialization import _decode, check_config_sizes, header_mapping, object_entry, read_header_and_arrays

    path = os.fspath(path)
    header, arrays = read_header_and_arrays(path)
    if header.get("kind") != _MODEL_KIND:
        raise CheckpointError(f"{path} holds weights or a state dict, not a saved model (written by chalkgrad.save "
                              "or save_weights); rebuild the model in code and use load_weights / load_state_dict")
    config = header_mapping(header, "model_config", path)  # checked before anything is built
    check_config_sizes(config, arrays, path, "model_config")
    cc = header_mapping(header, "compile_config", path, required=False)
    obj = _decode(header["object"], arrays, path)
    weights = object_entry(obj, "weights", path, dict, "a mapping of weights")
    try:
        if config.get("class_name") == "Model" and "zoo" in config:
            model = Model(build_from_config(config["zoo"], path, key="model_config.zoo"))
        else:
            model = Sequential.from_config(config)
    except (KeyError, TypeError, ValueError, AttributeError, ChalkgradError, MemoryError) as e:
        raise CheckpointError(f"{path}: the architecture in header key 'model_config' is malformed "
                              f"({type(e).__name__}: {e})") from None
    restore_weights(model, weights, path)
    if compile and cc and cc.get("loss") and cc.get("optimizer") is not None:
        try:
            model.compile(optimizer=cc["optimizer"], loss=cc["loss"], metrics=cc.get("metrics") or [])
            if "optimizer" in obj:
                model._ensure_optimizer().load_state_dict(obj["optimizer"])
        except (KeyError, TypeError, ValueError, IndexError, AttributeError, ChalkgradError) as e:
            raise CheckpointError(f"{path}: the header key 'compile_config' or the entry 'optimizer' does not fit "
                                  f"the model ({type(e).__name__}: {e})") from None
    model.saved_epoch = object_entry(obj, "epoch", path, int, "an integer", required=False)
    return model
