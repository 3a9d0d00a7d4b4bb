"""String shortcuts: ``'relu'``, ``'adam'``, ``'sparse_categorical_crossentropy'``, ``'accuracy'``...

A :class:`Registry` maps names (and aliases) to factories; an unknown name raises a
ConfigError that lists the valid ones. Layers register themselves too, so
``load_model`` can rebuild a saved architecture by class name, and a new layer
(``Conv2D``, ``LSTM``, ``Embedding``...) becomes available to configs with
``LAYERS.register('Conv2D', Conv2D)``.

Optimizers are resolved lazily by their ``torch.optim`` class name on
``chalkgrad.optim`` at the time they are needed, with Keras's default hyperparameters:

=========  ================  =====================================================
name       chalkgrad.optim   Keras defaults applied
=========  ================  =====================================================
sgd        SGD               lr=0.01
adam       Adam              lr=0.001, eps=1e-7
adamw      AdamW             lr=0.001, eps=1e-7, weight_decay=0.004
rmsprop    RMSprop           lr=0.001, alpha (Keras rho)=0.9, eps=1e-7
adagrad    Adagrad           lr=0.001, initial_accumulator_value=0.1, eps=1e-7
adadelta   Adadelta          lr=0.001, rho=0.95, eps=1e-7
adamax     Adamax            lr=0.001, eps=1e-7
nadam      NAdam             lr=0.001, eps=1e-7
=========  ================  =====================================================

Keyword arguments given by the user (``{'name': 'adam', 'lr': 3e-4}``, Keras's
``learning_rate`` is accepted for ``lr``) override these; keywords the chalkgrad
optimizer does not take are dropped only for the Keras defaults, never for the user's.
"""

from __future__ import annotations

import inspect

from ..errors import ConfigError

__all__ = ["Registry", "ACTIVATIONS", "LOSSES", "METRICS", "OPTIMIZERS", "LAYERS", "get_activation", "get_loss",
           "get_metric", "get_optimizer"]


class Registry:
    """Names → factories, with aliases; ``get(name)`` raises ConfigError listing the valid names."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, object] = {}
        self._aliases: dict[str, str] = {}

    def register(self, name: str, obj, aliases=()):
        self._items[name] = obj
        for a in aliases:
            self._aliases[a] = name
        return obj

    def canonical(self, name: str) -> str:
        if not isinstance(name, str):
            raise ConfigError(f"{self.kind} names are strings, got {type(name).__name__} {name!r}")
        key = name.lower() if name.lower() in self._items or name.lower() in self._aliases else name
        key = self._aliases.get(key, key)
        if key not in self._items:
            valid = ", ".join(sorted(self._items))
            al = ", ".join(sorted(self._aliases))
            raise ConfigError(f"unknown {self.kind} {name!r}; valid names: {valid}"
                              + (f" (aliases: {al})" if al else ""))
        return key

    def get(self, name: str):
        return self._items[self.canonical(name)]

    def __contains__(self, name) -> bool:
        try:
            self.canonical(name)
            return True
        except (ConfigError, AttributeError):
            return False

    def names(self) -> list[str]:
        return sorted(self._items)


# ---------------------------------------------------------------------------- activations
ACTIVATIONS = Registry("activation")


def _nn(name, **kw):
    def make():
        from .. import nn

        return getattr(nn, name)(**kw)

    make.__name__ = name
    return make


for _name, _factory, _aliases in [
    ("linear", None, ("identity", "none")),
    ("relu", _nn("ReLU"), ()),
    ("relu6", _nn("ReLU6"), ()),
    ("leaky_relu", _nn("LeakyReLU", negative_slope=0.2), ()),   # Keras's default slope 0.2
    ("sigmoid", _nn("Sigmoid"), ()),
    ("hard_sigmoid", _nn("Hardsigmoid"), ()),
    ("tanh", _nn("Tanh"), ()),
    ("softmax", _nn("Softmax", dim=-1), ()),
    ("log_softmax", _nn("LogSoftmax", dim=-1), ()),
    ("elu", _nn("ELU"), ()),
    ("selu", _nn("SELU"), ()),
    ("gelu", _nn("GELU"), ()),
    ("swish", _nn("SiLU"), ("silu",)),
    ("mish", _nn("Mish"), ()),
    ("softplus", _nn("Softplus"), ()),
    ("softsign", _nn("Softsign"), ()),
    ("hard_swish", _nn("Hardswish"), ("hardswish",)),
]:
    ACTIVATIONS.register(_name, _factory, _aliases)


def get_activation(name):
    """An activation module for ``name`` (None or 'linear' → None: no layer)."""
    if name is None:
        return None
    if callable(name) and not isinstance(name, str):
        return name
    if not isinstance(name, str):
        raise ConfigError(f"activation must be a name such as 'relu' or a callable, got {type(name).__name__}")
    factory = ACTIVATIONS.get(name)
    return None if factory is None else factory()


# ---------------------------------------------------------------------------- losses
LOSSES = Registry("loss")


def _register_losses():
    from . import losses as L

    for name, cls, aliases in [
        ("mean_squared_error", L.MeanSquaredError, ("mse", "meansquarederror")),
        ("mean_absolute_error", L.MeanAbsoluteError, ("mae", "meanabsoluteerror")),
        ("huber", L.Huber, ("huber_loss",)),
        ("binary_crossentropy", L.BinaryCrossentropy, ("bce", "binarycrossentropy")),
        ("categorical_crossentropy", L.CategoricalCrossentropy, ("cce", "categoricalcrossentropy")),
        ("sparse_categorical_crossentropy", L.SparseCategoricalCrossentropy, ("scce",
                                                                               "sparsecategoricalcrossentropy")),
        ("hinge", L.Hinge, ()),
        ("squared_hinge", L.SquaredHinge, ()),
        ("kl_divergence", L.KLDivergence, ("kld", "kullback_leibler_divergence", "kldivergence")),
        ("mean_absolute_percentage_error", L.MeanAbsolutePercentageError, ("mape",)),
        ("mean_squared_logarithmic_error", L.MeanSquaredLogarithmicError, ("msle",)),
        ("log_cosh", L.LogCosh, ("logcosh",)),
        ("poisson", L.Poisson, ()),
        ("cosine_similarity", L.CosineSimilarity, ()),
        ("categorical_hinge", L.CategoricalHinge, ()),
    ]:
        LOSSES.register(name, cls, aliases)


_register_losses()


def get_loss(spec):
    """A Loss object from a name, a Loss instance, or a callable ``f(y_true, y_pred) -> Tensor``."""
    from .losses import Loss

    if isinstance(spec, Loss):
        return spec
    if isinstance(spec, str):
        return LOSSES.get(spec)()
    if spec is None:
        raise ConfigError("compile(): a loss is required, e.g. loss='sparse_categorical_crossentropy'; valid names: "
                          + ", ".join(LOSSES.names()))
    if callable(spec):
        return _FunctionLoss(spec)
    raise ConfigError(f"loss must be a name, a Loss or a callable, got {type(spec).__name__}")


class _FunctionLoss:
    """A user function ``f(y_true, y_pred)`` returning a scalar or one value per sample."""

    fusable_activation = None
    from_logits = False

    def __init__(self, fn) -> None:
        self.fn = fn
        self.name = getattr(fn, "__name__", "loss")

    def __call__(self, y_true, y_pred, sample_weight=None):
        from .losses import Loss

        out = self.fn(y_true, y_pred)
        if out.ndim == 0:
            return out
        return Loss.reduce(out, sample_weight)

    def get_config(self):
        return {"name": self.name}


# ---------------------------------------------------------------------------- metrics
METRICS = Registry("metric")


def _register_metrics():
    from . import metrics as M

    for name, factory, aliases in [
        ("accuracy", None, ("acc",)),  # resolved from the loss and output shape, as Keras
        ("binary_accuracy", M.BinaryAccuracy, ()),
        ("categorical_accuracy", M.CategoricalAccuracy, ()),
        ("sparse_categorical_accuracy", M.SparseCategoricalAccuracy, ()),
        ("top_k_accuracy", M.TopKCategoricalAccuracy, ("top_k_categorical_accuracy",
                                                       "sparse_top_k_categorical_accuracy")),
        ("precision", M.Precision, ()),
        ("recall", M.Recall, ()),
        ("f1", M.F1Score, ("f1_score",)),
        ("auc", M.AUC, ()),
        ("mae", M.MeanAbsoluteError, ("mean_absolute_error",)),
        ("mse", M.MeanSquaredError, ("mean_squared_error",)),
        ("dice", M.Dice, ("dice_coefficient",)),
        ("iou", M.IoU, ("jaccard",)),
    ]:
        METRICS.register(name, factory, aliases)


_register_metrics()


def get_metric(spec, loss=None):
    """A streaming Metric from a name (Keras's 'accuracy' picks the variant that fits the loss) or an instance."""
    from . import metrics as M
    from .losses import BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy

    if isinstance(spec, M.Metric):
        return spec
    if callable(spec) and not isinstance(spec, str):
        return _FunctionMetric(spec)
    if not isinstance(spec, str):
        raise ConfigError(f"a metric must be a name, a Metric or a callable, got {type(spec).__name__}")
    key = METRICS.canonical(spec)
    if key == "accuracy":
        if isinstance(loss, SparseCategoricalCrossentropy):
            m = M.SparseCategoricalAccuracy()
        elif isinstance(loss, CategoricalCrossentropy):
            m = M.CategoricalAccuracy()
        elif isinstance(loss, BinaryCrossentropy):
            m = M.BinaryAccuracy()
        else:
            m = M.Accuracy()
        m.name = spec if spec in ("acc", "accuracy") else "accuracy"
        return m
    m = METRICS.get(key)()
    if key in ("mae", "mse", "precision", "recall", "auc", "dice", "iou", "f1"):
        m.name = key
    return m


class _FunctionMetric:
    """A user function ``f(y_true, y_pred) -> float`` averaged over batches (weighted by batch size)."""

    def __init__(self, fn) -> None:
        self.fn = fn
        self.name = getattr(fn, "__name__", "metric")
        self.reset_state()

    def reset_state(self):
        self.total, self.count = 0.0, 0

    def update_state(self, y_true, y_pred, sample_weight=None):
        n = len(y_pred)
        self.total += float(self.fn(y_true, y_pred)) * n
        self.count += n

    def result(self):
        return self.total / self.count if self.count else 0.0


# ---------------------------------------------------------------------------- optimizers
OPTIMIZERS = Registry("optimizer")
_KERAS_EPS = 1e-7
for _name, _cls, _defaults in [
    ("sgd", "SGD", {"lr": 0.01}),
    ("adam", "Adam", {"lr": 0.001, "eps": _KERAS_EPS}),
    ("adamw", "AdamW", {"lr": 0.001, "eps": _KERAS_EPS, "weight_decay": 0.004}),
    ("rmsprop", "RMSprop", {"lr": 0.001, "alpha": 0.9, "eps": _KERAS_EPS}),
    ("adagrad", "Adagrad", {"lr": 0.001, "initial_accumulator_value": 0.1, "eps": _KERAS_EPS}),
    ("adadelta", "Adadelta", {"lr": 0.001, "rho": 0.95, "eps": _KERAS_EPS}),
    ("adamax", "Adamax", {"lr": 0.001, "eps": _KERAS_EPS}),
    ("nadam", "NAdam", {"lr": 0.001, "eps": _KERAS_EPS}),
]:
    OPTIMIZERS.register(_name, (_cls, _defaults))


def optimizer_class(name: str):
    """The chalkgrad.optim class behind a registered name (ConfigError if that optimizer is not available)."""
    from .. import optim

    cls_name, _ = OPTIMIZERS.get(name)
    cls = getattr(optim, cls_name, None)
    if cls is None:
        have = sorted(n for n, (c, _) in OPTIMIZERS._items.items() if hasattr(optim, c))
        raise ConfigError(f"optimizer {name!r} needs chalkgrad.optim.{cls_name}, which this version of chalkgrad "
                          f"does not have; available: {', '.join(have)}")
    return cls


def get_optimizer(spec, params):
    """Build an optimizer for ``params`` from a name, a dict ``{'name': 'adam', 'lr': 1e-3, ...}``,
    a factory ``f(params) -> Optimizer`` or an existing Optimizer (returned as is)."""
    from ..optim import Optimizer
    from .optimizers import _NAMES as KERAS_NAMES
    from .optimizers import Optimizer as KerasOptimizer

    if isinstance(spec, Optimizer):
        return spec
    if isinstance(spec, KerasOptimizer):
        return spec.build_for(params)
    if isinstance(spec, str) and spec.lower() in KERAS_NAMES:  # 'adam': keras.optimizers.Adam() with its defaults
        return KERAS_NAMES[spec.lower()]().build_for(params)
    kwargs = {}
    if isinstance(spec, dict):
        kwargs = dict(spec)
        if "name" not in kwargs:
            raise ConfigError(f"an optimizer dict needs a 'name' key, got keys {sorted(kwargs)}")
        spec = kwargs.pop("name")
    if isinstance(spec, str):
        cls = optimizer_class(spec)
        _, defaults = OPTIMIZERS.get(spec)
        if "learning_rate" in kwargs:
            kwargs["lr"] = kwargs.pop("learning_rate")
        try:
            accepted = set(inspect.signature(cls).parameters)
        except (TypeError, ValueError):  # pragma: no cover
            accepted = set(defaults)
        merged = {k: v for k, v in defaults.items() if k in accepted}
        merged.update(kwargs)
        return cls(params, **merged)
    if callable(spec):
        return spec(params)
    raise ConfigError(f"optimizer must be a name ({', '.join(OPTIMIZERS.names())}), a dict, a factory or an "
                      f"Optimizer, got {type(spec).__name__}")


# ---------------------------------------------------------------------------- layers
LAYERS = Registry("layer")
