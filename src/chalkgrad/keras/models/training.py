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

from ... import nn
from ...autograd import no_grad
from ...errors import CheckpointError, ConfigError, DataError, NumericalError, ShapeError
from ...random import get_generator
from ...tensor import Tensor
from .. import callbacks as cbks
from ..backend import auto_name
from ..layers.base import Layer
from ..progress import ProgbarLogger, format_logs
from ..registry import get_loss, get_metric, get_optimizer

__all__ = ["Model", "load_model"]

_MODEL_KIND = "keras-model"


def _np(x):
    if x is None:
        return None
    if isinstance(x, (list, tuple)) and x and not np.isscalar(x[0]) and hasattr(x[0], "__len__"):
        return [_np(a) for a in x]
    if isinstance(x, dict):
        return [_np(a) for a in x.values()]
    if isinstance(x, Tensor):
        return x.data
    if hasattr(x, "detach") and hasattr(x, "numpy"):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def _count(a) -> int:
    return _count(a[0]) if isinstance(a, list) else len(a)


def _take(a, index):
    """Rows ``index`` of an array or of each array of a list (multi-input / multi-output data)."""
    if a is None:
        return None
    return [x[index] for x in a] if isinstance(a, list) else a[index]


class _ArrayData:
    """In-memory arrays (or lists of arrays, one per model input/output) split into batches."""

    def __init__(self, x, y, w=None) -> None:
        self.x, self.y, self.w = x, y, w
        n = _count(x)
        for name, a in (("x", x), ("y", y), ("sample_weight", w)):
            for part in (a if isinstance(a, list) else [a]):
                if part is not None and len(part) != n:
                    raise ShapeError(f"fit: x has {n} samples but {name} has an array of {len(part)}")
        self.n = n

    def steps(self, batch_size):
        return max(1, math.ceil(self.n / batch_size)) if self.n else 0

    def batches(self, batch_size, shuffle=False, rng=None):
        idx = rng.permutation(self.n) if shuffle else None
        for start in range(0, self.n, batch_size):
            sl = slice(start, start + batch_size)
            b = sl if idx is None else idx[sl]
            yield _take(self.x, b), _take(self.y, b), _take(self.w, b)


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


class Model(Layer):
    """A trainable model with Keras's compile/fit/evaluate/predict.

    ``keras.Model(inputs, outputs)`` makes a functional model (:class:`Functional`);
    ``Model(module)`` wraps any ``nn.Module``; subclasses may define ``call`` (Keras) or ``forward``.
    """

    _is_model = True

    def __new__(cls, *args, **kwargs):
        functional = ("inputs" in kwargs and "outputs" in kwargs) or (
            len(args) >= 2 and not isinstance(args[0], nn.Module)) or (
            len(args) == 1 and "outputs" in kwargs)
        if cls is Model and functional:
            from .functional import Functional

            return super().__new__(Functional)
        return super().__new__(cls)

    def __init__(self, module: nn.Module | None = None, name: str | None = None, trainable: bool = True,
                 **kwargs) -> None:
        Layer.__init__(self, name=name or auto_name(type(self).__name__), trainable=trainable, **kwargs)
        if module is not None:
            if not isinstance(module, nn.Module):
                raise ConfigError(f"Model(module): expected an nn.Module, got {type(module).__name__}")
            self.module = module
        self.optimizer = None
        self._optimizer_spec = None
        self.loss = None
        self.compiled_metrics: list = []
        self.stop_training = False
        self.history = None
        self._sample_shape = None  # one sample's input shape (no batch dimension), once known
        self._compile_config = None

    def call(self, inputs, *args, **kwargs):
        module = self._modules.get("module")
        if module is None:
            raise NotImplementedError(f"{type(self).__name__}: pass a module to Model(...) or define call()")
        return module(inputs)

    def __call__(self, *args, **kwargs):
        if args and not isinstance(args[0], (list, tuple)) and not hasattr(args[0], "shape"):
            args = (np.asarray(args[0]),) + args[1:]
        if args and not self._keras_built_check():
            from ..layers.base import is_symbolic

            if not is_symbolic(args[0]):
                self._ensure_built(_shape(args[0]))
        return Layer.__call__(self, *args, **kwargs)

    def _keras_built_check(self) -> bool:
        return self.built

    @property
    def input_shape(self):
        """Keras's input shape with the batch dimension: (None, 784) (a list for several inputs); None if unknown."""
        shape = self.__dict__.get("_sample_shape")
        if shape is None:
            return None
        if isinstance(shape, list):
            return [(None, *s) for s in shape]
        return (None, *shape)

    @property
    def output_shape(self):
        """Keras's ``model.output_shape``: (None, 10) (a list for several outputs). Also callable, as every
        ``nn.Module``'s static arithmetic: ``model.output_shape((32, 28, 28, 1))``."""
        outs = getattr(self, "outputs", None)
        if not outs:
            return self.compute_output_shape
        if len(outs) == 1:
            return _CallableShape(outs[0].shape, self.compute_output_shape)
        return _CallableShapes([t.shape for t in outs], self.compute_output_shape)

    # ------------------------------------------------------------------ layers and building
    def _sublayers(self) -> list:
        return [m for m in self.children() if isinstance(m, Layer)]

    def get_layer(self, name=None, index=None):
        """The layer called ``name`` (or at position ``index`` of ``model.layers``)."""
        layers = self.layers
        if index is not None:
            return layers[index]
        for layer in layers:
            if getattr(layer, "name", None) == name:
                return layer
        raise ConfigError(f"{self.name}.get_layer: no layer named {name!r}; layers: "
                          f"{', '.join(str(getattr(layer, 'name', '?')) for layer in layers)}")

    @property
    def layers(self) -> list:
        return self._sublayers()

    def _layer_list(self):
        """The modules applied one after another (for Sequential, or Model(nn.Sequential))."""
        module = self._modules.get("module")
        if isinstance(module, nn.Sequential):
            return list(module)
        return None

    @property
    def built(self) -> bool:
        if self.__dict__.get("_built_flag"):
            return True
        layers = [m for m in self.modules() if isinstance(m, Layer) and m is not self and not isinstance(m, Model)]
        return all(m.built for m in layers) and bool(self.__dict__.get("_ran_once") or layers
                                                     or self._modules.get("module") is not None)

    @built.setter
    def built(self, value) -> None:
        self.__dict__["_built_flag"] = bool(value)

    def _param_dtype(self):
        for p in self.parameters():
            return p.dtype
        return np.dtype(np.float32)

    def build(self, input_shape) -> None:
        """Create every layer's weights for inputs of ``input_shape`` (a leading None is the batch dimension).

        Without a leading None the shape is taken as one sample's (Keras's ``build((None, 784))``
        and chalkgrad's older ``build((784,))`` both work).
        """
        shape = tuple(input_shape)
        if shape and shape[0] is None:
            shape = shape[1:]
        self._sample_shape = tuple(shape)
        if self.built:
            return
        batch = self.__dict__.pop("_probe_batch", 1)  # the first batch's size, as Keras builds from it
        self._dummy_forward((batch,) + tuple(1 if s is None else s for s in self._sample_shape))
        self.__dict__["_ran_once"] = True

    def _dummy_input(self, shape) -> Tensor:
        """Zeros of ``shape``: int64 when the first layer takes integer ids (Embedding), else the weights' dtype."""
        from ..layers.core import Embedding

        layers = self._layer_list() or []
        integer = bool(layers) and isinstance(layers[0], (Embedding, getattr(nn, "Embedding", ())))
        return Tensor(np.zeros(shape, dtype=np.int64 if integer else self._param_dtype()))

    def _dummy_forward(self, shape):
        """Run one tiny batch in eval mode without gradients (no dropout draws, no running-stat updates)."""
        was = self.training
        self.eval()
        try:
            with no_grad():
                nn.Module.__call__(self, self._dummy_input(shape))  # forward only: no build recursion
        finally:
            self.train(was)

    def _ensure_built(self, x_shape=None, what="this"):
        if self.built:
            if self._sample_shape is None and x_shape is not None and not isinstance(x_shape, list):
                self._sample_shape = tuple(x_shape[1:])
            return
        if x_shape is not None:
            if not isinstance(x_shape, list):
                self.__dict__["_probe_batch"] = x_shape[0]
            self.build((None,) + tuple(x_shape[1:]))
            return
        if self._sample_shape is not None:
            self.build((None,) + tuple(self._sample_shape))
            return
        raise ConfigError(f"{self.name}: the model is not built, so {what} is not possible yet; call "
                          "model.build(input_shape), start with Input(shape=...) or give the first layer "
                          "input_shape=..., or run fit/predict once")

    def _regularization_loss(self):
        """Σ of the layers' kernel/bias regularizer penalties (None when there are none)."""
        total = None
        for m in self.modules():
            fn = getattr(m, "regularization_losses", None)
            if fn is None:
                continue
            for term in fn():
                total = term if total is None else total + term
        return total

    # ------------------------------------------------------------------ compile
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None, weighted_metrics=None,
                run_eagerly=None, **kwargs) -> None:
        """Set the optimizer (name, dict, factory or Optimizer), the loss and the metrics for fit/evaluate.

        Keras's default optimizer is 'rmsprop'. The optimizer is created as soon as the model is
        built (now if it already is).
        """
        if loss_weights is not None or weighted_metrics:
            raise ConfigError("compile(): loss_weights and weighted_metrics are not supported by chalkgrad.keras")
        if kwargs:
            raise ConfigError(f"compile(): unexpected arguments {sorted(kwargs)}")
        if isinstance(loss, dict):
            names = [t._keras_history[0].name for t in getattr(self, "outputs", [])]
            missing = [n for n in names if n not in loss]
            if missing:
                raise ConfigError(f"compile(): loss dict has no entry for the outputs {missing}; keys: {sorted(loss)}")
            loss = [loss[n] for n in names]
        self.loss = [get_loss(item) for item in loss] if isinstance(loss, (list, tuple)) else get_loss(loss)
        if metrics is None:
            metrics = []
        if isinstance(metrics, (str,)) or not isinstance(metrics, (list, tuple)):
            metrics = [metrics]
        self.compiled_metrics = [get_metric(m, self.loss[0] if isinstance(self.loss, list) else self.loss)
                                 for m in metrics]
        names = [m.name for m in self.compiled_metrics]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ConfigError(f"compile(): two metrics are named {dup}; give them distinct names")
        self._optimizer_spec = optimizer
        self.optimizer = None
        self.__dict__["_optimizer_stepped"] = False
        self._compile_config = {
            "optimizer": optimizer if isinstance(optimizer, (str, dict)) else None,
            "loss": loss if isinstance(loss, (str, list)) else None,
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
        if len(getattr(self, "outputs", None) or [None]) > 1 or isinstance(self.loss, list):
            return False
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
        return self._forward_logits(x), True

    def _forward_logits(self, x):
        """Forward pass with the last layer's final activation left out."""
        layers = self._layer_list()
        for m in layers[:-1]:
            x = m(x)
        last = layers[-1]
        return last.call_without_activation(x) if isinstance(last, Layer) else x

    def _probabilities(self, out: Tensor, fused: bool) -> np.ndarray:
        """The model's predictions (after the final activation) as an array, for metrics."""
        if isinstance(out, (list, tuple)):
            return [o.data for o in out]
        z = out.data
        if not fused:
            return z
        if self.loss.fusable_activation == "softmax":
            e = np.exp(z - z.max(axis=-1, keepdims=True))
            return e / e.sum(axis=-1, keepdims=True)
        return 1.0 / (1.0 + np.exp(-z))

    def _loss_value(self, y, out, fused, w):
        value = self._data_loss(y, out, fused, w)
        reg = self._regularization_loss()
        return value if reg is None else value + reg

    def _data_loss(self, y, out, fused, w):
        if isinstance(out, (list, tuple)):  # several outputs: the sum of one loss per output
            ys = y if isinstance(y, list) else [y]
            if len(ys) != len(out):
                raise ShapeError(f"{self.name}: the model has {len(out)} outputs but y has {len(ys)} arrays")
            losses = self.loss if isinstance(self.loss, list) else [self.loss] * len(out)
            total = None
            for fn, yi, oi in zip(losses, ys, out):
                term = fn(yi, oi, w)
                total = term if total is None else total + term
            return total
        if fused:
            per = self.loss.per_sample_logits(y, out)
            return self.loss.reduce(per, w)
        if self.loss.from_logits and hasattr(self.loss, "per_sample_logits"):
            return self.loss.reduce(self.loss.per_sample_logits(y, out), w)
        return self.loss(y, out, w)

    # ------------------------------------------------------------------ data
    def _input(self, xb):
        if isinstance(xb, list):
            return [self._input(a) for a in xb]
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
        if isinstance(data, _ArrayData) and data.n == 0:
            raise DataError(f"{self.name}.fit(): x holds no samples (0 rows); nothing to train on")
        if validation_split and validation_data is None:  # validation_data wins when both are given, as Keras
            if not isinstance(data, _ArrayData):
                raise ConfigError("fit(): validation_split needs array inputs; pass validation_data with a loader")
            split = int(data.n * (1.0 - validation_split))
            if split == 0 or split == data.n:
                raise ConfigError(f"fit(): validation_split={validation_split} of {data.n} samples leaves an empty "
                                  "training or validation set")
            w = data.w
            tail, head = slice(split, None), slice(None, split)
            val = _ArrayData(_take(data.x, tail), _take(data.y, tail), _take(w, tail))
            data = _ArrayData(_take(data.x, head), _take(data.y, head), _take(w, head))
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
                        self._ensure_built(_shape(xb))
                        self._ensure_optimizer()
                    w = self._weights(yb, wb, class_weight)
                    out, fused = self._forward_for_loss(xt)
                    loss = self._loss_value(yb, out, fused, w)
                    value = float(loss.data)
                    finite = math.isfinite(value)
                    if not finite and on_nan == "raise" and not has_terminate:
                        raise NumericalError(
                            f"fit(): the loss is {value} at epoch {epoch + 1}, step {step + 1} (batch of "
                            f"{_count(xb)} samples); the weights were not updated with it. Common causes: a learning "
                            f"rate that is too high, inputs with NaNs, or log/division of zero in a custom loss. "
                            f"Pass on_nan='stop' or 'continue', or use the TerminateOnNaN callback, to change this")
                    if finite or on_nan == "continue":
                        opt = self.optimizer
                        opt.zero_grad()
                        loss.backward()
                        opt.step()
                        self.__dict__["_optimizer_stepped"] = True
                    n = _count(xb)
                    total += value * n
                    count += n
                    probs = self._probabilities(out, fused)
                    logs = {"loss": total / count}
                    for m in metrics:
                        m.update_state(*_first(yb, probs), w)
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
                self._ensure_built(_shape(xb))
                out, fused = self._forward_for_loss(xt)
                w = None if wb is None else np.asarray(wb, dtype=np.float64).reshape(-1)
                loss = self._loss_value(yb, out, fused, w)
                total += float(loss.data) * _count(xb)
                count += _count(xb)
                probs = self._probabilities(out, fused)
                for m in self.compiled_metrics:
                    m.update_state(*_first(yb, probs), w)
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
                self._ensure_built(_shape(xb))
                out = Layer.__call__(self, self._input(xb))
                outs.append([o.data for o in out] if isinstance(out, (list, tuple)) else out.data)
        if not outs:
            return np.zeros((0,))
        if isinstance(outs[0], list):
            return [np.concatenate(parts) for parts in zip(*outs)]
        return np.concatenate(outs)

    def predict_on_batch(self, x) -> np.ndarray:
        return self.predict(x, batch_size=len(_np(x)))

    def train_on_batch(self, x, y, sample_weight=None, class_weight=None) -> float:
        """One optimizer step on one batch; returns the loss."""
        self._check_compiled("train_on_batch")
        xb, yb = _np(x), _np(y)
        self._ensure_built(_shape(xb))
        self._ensure_optimizer()
        self.train()
        out, fused = self._forward_for_loss(self._input(xb))
        loss = self._loss_value(yb, out, fused, self._weights(yb, sample_weight, class_weight))
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        self.__dict__["_optimizer_stepped"] = True
        return float(loss.data)

    # ------------------------------------------------------------------ weights
    def _keras_weighted(self) -> bool:
        return any(isinstance(m, Layer) and m._keras_weights for m in self.modules())

    def get_weights(self) -> list:
        """The weights as NumPy arrays: Keras layouts and order for Keras layers (trainable first),
        else every parameter and persistent buffer in state_dict order."""
        if self._keras_weighted():
            return Layer.get_weights(self)
        return [v.numpy().copy() for v in self.state_dict().values()]

    def set_weights(self, weights) -> None:
        if self._keras_weighted():
            return Layer.set_weights(self, weights)
        keys = list(self.state_dict().keys())
        if len(weights) != len(keys):
            raise ConfigError(f"set_weights: the model has {len(keys)} weight arrays, got {len(weights)}")
        self.load_state_dict(OrderedDict(zip(keys, weights)))

    def count_params(self) -> int:
        self._ensure_built(what="count_params()")
        if self._keras_weighted():
            return Layer.count_params(self)
        return self.count_parameters() + _state_count(self)

    def save_weights(self, path, overwrite: bool = True) -> None:
        """Write the weights to ``path``: ``*.weights.h5`` in Keras 3's layout, or ``*.npz`` (the state_dict,
        see ``chalkgrad.save``); other names raise ConfigError. Atomic."""
        from ...serialization import save
        from ..saving import api as keras_files

        if keras_files.file_kind(path, "save_weights") != "native":
            return keras_files.save_weights(self, path, overwrite=overwrite)

        save({k: v.numpy() for k, v in self.state_dict().items()}, path)

    def load_weights(self, path, skip_mismatch: bool = False) -> None:
        """Load weights from a Keras 3 ``*.weights.h5`` or ``*.keras`` file, or a chalkgrad ``*.npz`` written
        by ``save_weights`` / ``save`` (the model must be built or know its input shape)."""
        from ...serialization import load, read_header_and_arrays
        from ..saving import api as keras_files

        if keras_files.file_kind(path, "load_weights") != "native":
            return keras_files.load_weights(self, path, skip_mismatch=skip_mismatch)

        header, _ = read_header_and_arrays(path)
        obj = load(path)
        if header.get("kind") == _MODEL_KIND:
            obj = obj["weights"]
            config = header.get("model_config")
            if isinstance(obj, dict) and isinstance(config, dict) and _written_by_old_fit(config):
                obj = _old_fit_weights(config, obj, os.fspath(path))
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
        from ...serialization import save
        from ..saving import api as keras_files

        kind = keras_files.file_kind(path, "model.save")
        if kind == "keras":
            return keras_files.save_model(self, path)
        if kind == "weights":
            raise ConfigError(f"model.save: {os.fspath(path)!r} is a weights file name; use model.save_weights for "
                              "'.weights.h5', or save the whole model as '.keras'")
        config = self.get_config()
        obj = {"weights": {k: v.numpy() for k, v in self.state_dict().items()}}
        if include_optimizer and self.optimizer is not None:
            obj["optimizer"] = self.optimizer.state_dict()
        if epoch is not None:
            obj["epoch"] = int(epoch)
        extra = {"kind": _MODEL_KIND, "model_config": config, "compile_config": self._compile_config}
        save(obj, path, _header_extra=extra)

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False, show_trainable=False,
                layer_range=None, input_shape=None, detailed: bool = False) -> None:
        """Print Keras 3's table (Layer (type), Output Shape, Param #, totals with sizes); returns None.

        ``print_fn`` receives the whole text; ``detailed=True`` prints ``chalkgrad.nn.summary``
        instead (input shapes, MACs, memory).
        """
        from .summary import summary_text

        if input_shape is not None:
            self.build(input_shape)
        self._ensure_built(what="summary()")
        if detailed:
            text = str(nn.summary(self, (1,) + tuple(self._sample_shape), depth=2))
        else:
            text = summary_text(self, line_length=line_length, positions=positions, show_trainable=show_trainable)
        (print_fn or print)(text)


class _CallableShape(tuple):
    """A shape tuple that can also be called with an input shape (Keras property and nn method at once)."""

    def __new__(cls, shape, fn):
        obj = super().__new__(cls, shape)
        obj._fn = fn
        return obj

    def __call__(self, input_shape):
        return self._fn(tuple(input_shape))


class _CallableShapes(list):
    def __init__(self, shapes, fn) -> None:
        super().__init__(tuple(s) for s in shapes)
        self._fn = fn

    def __call__(self, input_shape):
        return self._fn(input_shape)


def _first(y, probs):
    """(targets, predictions) of the first output, for metrics of multi-output models."""
    if isinstance(probs, list):
        return (y[0] if isinstance(y, list) else y), probs[0]
    return y, probs


def _shape(x):
    if isinstance(x, (list, tuple)):
        return [tuple(a.shape) for a in x]
    return tuple(x.shape)


def _state_count(module) -> int:
    """Elements of floating buffers (running statistics), which Keras counts as non-trainable parameters."""
    return sum(int(b.numel()) for b in module.buffers() if b.dtype.kind == "f")


def load_model(path, compile: bool = True) -> Model:  # noqa: A002 - Keras's name
    """Rebuild a model written by ``model.save(path)``: architecture, weights, and (with ``compile``)
    its compile settings and optimizer state. Returns it in training mode.

    A ``*.keras`` file (Keras 3's format, written by Keras 3 or chalkgrad) goes to
    ``chalkgrad.keras.saving.load_model``; ``*.safetensors`` and ``*.npz`` are chalkgrad checkpoints."""
    from ...errors import ChalkgradError
    from ...models.saving import build_from_config, restore_weights
    from ...serialization import _decode, check_config_sizes, header_mapping, object_entry, read_header_and_arrays
    from ..saving import api as keras_files

    kind = keras_files.file_kind(path, "load_model")
    if kind == "keras":
        return keras_files.load_model(path, compile=compile)
    if kind == "weights":
        raise ConfigError(f"load_model: {os.fspath(path)!r} holds weights only; build the model and call "
                          "model.load_weights(path)")

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
    if _written_by_old_fit(config):
        weights = _old_fit_weights(config, weights, path)
    try:
        if config.get("class_name") == "Model" and "zoo" in config:
            model = Model(build_from_config(config["zoo"], path, key="model_config.zoo"))
        else:
            from .sequential import Sequential

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


#: chalkgrad 0.2's Keras-style layers whose weights and computation the Keras 3 layers keep exactly.
OLD_FIT_EXACT_LAYERS = ("InputLayer", "Dense", "Dropout", "Activation")


def _written_by_old_fit(config: dict) -> bool:
    """True for a Sequential config written by chalkgrad 0.2's ``chalkgrad.fit`` (layers without 'module')."""
    layers = config.get("layers")
    return (config.get("class_name") == "Sequential" and isinstance(layers, list) and bool(layers)
            and all(isinstance(layer, dict) and "module" not in layer for layer in layers))


def _old_fit_weights(config: dict, weights: dict, path: str) -> dict:
    """The weights of a chalkgrad 0.2 Keras-style Sequential under today's state_dict keys.

    chalkgrad 0.2 counted the InputLayer in ``model.layers`` (keys '1.linear.weight'...); Keras 3
    leaves it out ('0.linear.weight'...). Dense/Dropout/Activation stacks hold the same nn.Linear
    tensors, so their keys are renumbered exactly; anything else (Conv2D, Flatten, pooling: their
    layout was channels-first, and Flatten's order differs) is refused rather than loaded wrong.
    """
    layers = config["layers"]
    names = [layer.get("class_name") for layer in layers]
    for i, name in enumerate(names):
        if name not in OLD_FIT_EXACT_LAYERS:
            raise CheckpointError(
                f"{path}: written by chalkgrad 0.2's channels-first Keras-style layers (layer {i} is {name!r}), which "
                "the channels_last chalkgrad.keras layers cannot read; retrain, or load the weights with "
                "chalkgrad.load(path) and map them by hand")
    renumber, position = {}, 0
    for i, name in enumerate(names):
        if name != "InputLayer":
            renumber[str(i)] = str(position)
            position += 1
    out = {}
    for key, value in weights.items():
        head, sep, rest = str(key).partition(".")
        if head not in renumber or not sep:
            raise CheckpointError(f"{path}: the weight {key!r} names no layer of the saved chalkgrad 0.2 "
                                  f"architecture (layers {', '.join(renumber) or 'none'} hold weights)")
        out[f"{renumber[head]}.{rest}"] = value
    return out
