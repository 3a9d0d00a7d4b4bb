"""Keras-style losses: called as ``loss(y_true, y_pred, sample_weight=None)`` (Keras's argument order).

Each loss computes one value per sample ℓ_n (averaging over the last axis where the loss is
elementwise) and reduces as Keras's ``sum_over_batch_size``: L = Σ_n w_n·ℓ_n / N
(w_n = 1 without sample or class weights).

=================================  ==========================================================
``mse`` / mean_squared_error        ℓ = mean_j (y_j − ŷ_j)²
``mae`` / mean_absolute_error       ℓ = mean_j |y_j − ŷ_j|
``huber``                           ℓ = mean_j ½d² if |d| ≤ δ else δ(|d| − ½δ),  d = y − ŷ, δ = 1
``binary_crossentropy``             ℓ = −mean_j [y log ŷ + (1 − y) log(1 − ŷ)],  ŷ a probability
``categorical_crossentropy``        ℓ = −Σ_c y_c log ŷ_c,  y one-hot (or probabilities), ŷ probabilities
``sparse_categorical_crossentropy`` ℓ = −log ŷ_{y},  y an integer class label
``hinge`` / ``squared_hinge``       ℓ = mean_j max(0, 1 − y·ŷ) (squared), labels 0/1 mapped to −1/+1
``kld`` / kl_divergence             ℓ = Σ_j y_j log(y_j / ŷ_j)
=================================  ==========================================================

**How model outputs connect to losses.** As in Keras, the cross-entropies take
*probabilities* by default (``from_logits=False``): the model should end in ``softmax``
(categorical) or ``sigmoid`` (binary). Probabilities are clipped to [1e-7, 1 − 1e-7] before
the log, exactly like Keras, which bounds the loss but kills the gradient of confident
mistakes. When the last layer of a Keras-style model *is* that activation (``Dense(10,
activation='softmax')`` or ``Activation('softmax')``), ``Model`` skips it during training
and evaluation and calls the loss on the logits z with the stable formulas
−Σ y·log_softmax(z) and max(z, 0) − z·y + log(1 + e^−|z|) (no clipping, exact gradients
softmax(z) − y). ``predict`` still returns probabilities. With ``from_logits=True`` the
model's raw outputs are taken as logits.
"""

from __future__ import annotations

import numpy as np

from ..nn import functional as F
from ..ops.elementwise import clamp, maximum, where
from ..ops.softmax import log_softmax
from ..tensor import Tensor

__all__ = [
    "Loss", "MeanSquaredError", "MeanAbsoluteError", "Huber", "BinaryCrossentropy", "CategoricalCrossentropy",
    "SparseCategoricalCrossentropy", "Hinge", "SquaredHinge", "KLDivergence", "EPSILON",
    "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError", "LogCosh", "Poisson", "CosineSimilarity",
    "CategoricalHinge", "mean_squared_error", "mse", "mean_absolute_error", "mae", "mean_absolute_percentage_error",
    "mape", "mean_squared_logarithmic_error", "msle", "binary_crossentropy", "categorical_crossentropy",
    "sparse_categorical_crossentropy", "hinge", "squared_hinge", "categorical_hinge", "kl_divergence", "kld",
    "log_cosh", "poisson",
]

EPSILON = 1e-7  # Keras's backend epsilon for clipping probabilities


def _tensor(y, like: Tensor | None = None, integer: bool = False) -> Tensor:
    if isinstance(y, Tensor):
        t = y
    else:
        t = Tensor(np.asarray(y))
    if integer:
        return t
    if like is not None and t.dtype != like.dtype:
        t = Tensor._wrap(t.data.astype(like.dtype))
    return t


def _match(y_true: Tensor, y_pred: Tensor) -> Tensor:
    """Give y_true the prediction's shape when they differ only by a trailing 1 (Keras squeezes/expands)."""
    if y_true.shape != y_pred.shape and y_true.data.size == y_pred.data.size:
        return y_true.reshape(y_pred.shape)
    return y_true


def _last_mean(t: Tensor) -> Tensor:
    return t.mean(-1) if t.ndim > 1 else t


class Loss:
    """Base class: ``per_sample(y_true, y_pred)`` gives ℓ_n; calling reduces with sample weights."""

    name = "loss"
    #: The final activation this loss can absorb (compute from logits) when ``from_logits`` is False.
    fusable_activation: str | None = None

    def __init__(self, from_logits: bool = False, name: str | None = None) -> None:
        self.from_logits = from_logits
        if name is not None:
            self.name = name

    def per_sample(self, y_true, y_pred: Tensor) -> Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def per_sample_logits(self, y_true, logits: Tensor) -> Tensor:
        """ℓ_n computed from the logits of ``fusable_activation`` (stable)."""
        raise NotImplementedError(f"{type(self).__name__} has no logits form")

    @staticmethod
    def reduce(per_sample: Tensor, sample_weight=None) -> Tensor:
        n = per_sample.shape[0] if per_sample.ndim else 1
        if sample_weight is not None:
            w = sample_weight.data if isinstance(sample_weight, Tensor) else np.asarray(sample_weight)
            per_sample = per_sample * Tensor._wrap(w.astype(per_sample.dtype).reshape(per_sample.shape))
        return per_sample.sum() / float(max(n, 1))

    def __call__(self, y_true, y_pred, sample_weight=None) -> Tensor:
        y_pred = _tensor(y_pred)
        if self.from_logits:
            return self.reduce(self.per_sample_logits(y_true, y_pred), sample_weight)
        return self.reduce(self.per_sample(y_true, y_pred), sample_weight)

    def get_config(self) -> dict:
        return {"name": self.name, "from_logits": self.from_logits}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(from_logits={self.from_logits})"


class MeanSquaredError(Loss):
    name = "mean_squared_error"

    def per_sample(self, y_true, y_pred):
        d = y_pred - _match(_tensor(y_true, y_pred), y_pred)
        return _last_mean(d * d)

    per_sample_logits = per_sample


class MeanAbsoluteError(Loss):
    name = "mean_absolute_error"

    def per_sample(self, y_true, y_pred):
        return _last_mean((y_pred - _match(_tensor(y_true, y_pred), y_pred)).abs())

    per_sample_logits = per_sample


class Huber(Loss):
    name = "huber_loss"

    def __init__(self, delta: float = 1.0, name: str | None = None) -> None:
        super().__init__(False, name)
        self.delta = float(delta)

    def per_sample(self, y_true, y_pred):
        d = y_pred - _match(_tensor(y_true, y_pred), y_pred)
        ad = d.abs()
        loss = where(ad.data <= self.delta, 0.5 * d * d, self.delta * (ad - 0.5 * self.delta))
        return _last_mean(loss)

    per_sample_logits = per_sample


class BinaryCrossentropy(Loss):
    name = "binary_crossentropy"
    fusable_activation = "sigmoid"

    def per_sample(self, y_true, y_pred):
        y = _match(_tensor(y_true, y_pred), y_pred)
        p = clamp(y_pred, EPSILON, 1 - EPSILON)
        return _last_mean(-(y * p.log() + (1 - y) * (1 - p).log()))

    def per_sample_logits(self, y_true, logits):
        y = _match(_tensor(y_true, logits), logits)
        return _last_mean(F.binary_cross_entropy_with_logits(logits, y, reduction="none"))


class CategoricalCrossentropy(Loss):
    name = "categorical_crossentropy"
    fusable_activation = "softmax"

    def per_sample(self, y_true, y_pred):
        y = _tensor(y_true, y_pred)
        p = y_pred / y_pred.sum(-1, keepdim=True)
        p = clamp(p, EPSILON, 1 - EPSILON)
        return -(y * p.log()).sum(-1)

    def per_sample_logits(self, y_true, logits):
        y = _tensor(y_true, logits)
        return -(y * log_softmax(logits, dim=-1)).sum(-1)


def _labels(y_true) -> np.ndarray:
    y = y_true.data if isinstance(y_true, Tensor) else np.asarray(y_true)
    if y.ndim >= 1 and y.shape[-1] == 1:
        y = y[..., 0]
    return y.astype(np.int64, copy=False)


class SparseCategoricalCrossentropy(Loss):
    name = "sparse_categorical_crossentropy"
    fusable_activation = "softmax"

    def per_sample(self, y_true, y_pred):
        y = _labels(y_true)
        p = y_pred.gather(-1, Tensor._wrap(y[..., None]))[..., 0] if y_pred.ndim > 1 else y_pred[y]
        return -clamp(p, EPSILON, 1 - EPSILON).log()

    def per_sample_logits(self, y_true, logits):
        y = _labels(y_true)
        if logits.ndim == 2:
            return F.cross_entropy(logits, Tensor._wrap(y), reduction="none")
        return -log_softmax(logits, dim=-1).gather(-1, Tensor._wrap(y[..., None]))[..., 0]


class Hinge(Loss):
    name = "hinge"

    def _signed(self, y_true, y_pred):
        y = _match(_tensor(y_true, y_pred), y_pred)
        if np.all((y.data == 0) | (y.data == 1)):
            y = 2 * y - 1
        return y

    def per_sample(self, y_true, y_pred):
        return _last_mean(maximum(1 - self._signed(y_true, y_pred) * y_pred, 0.0))

    per_sample_logits = per_sample


class SquaredHinge(Hinge):
    name = "squared_hinge"

    def per_sample(self, y_true, y_pred):
        h = maximum(1 - self._signed(y_true, y_pred) * y_pred, 0.0)
        return _last_mean(h * h)

    per_sample_logits = per_sample


class KLDivergence(Loss):
    name = "kl_divergence"

    def per_sample(self, y_true, y_pred):
        y = clamp(_match(_tensor(y_true, y_pred), y_pred), EPSILON, 1.0)
        p = clamp(y_pred, EPSILON, 1.0)
        return (y * (y.log() - p.log())).sum(-1)

    per_sample_logits = per_sample


# ---------------------------------------------------------------------------- regression / similarity losses
class MeanAbsolutePercentageError(Loss):
    """ℓ = 100·mean_j |y − ŷ| / max(|y|, ε)."""

    name = "mean_absolute_percentage_error"

    def per_sample(self, y_true, y_pred):
        y = _match(_tensor(y_true, y_pred), y_pred)
        return _last_mean((y - y_pred).abs() / clamp(y.abs(), EPSILON, None)) * 100.0

    per_sample_logits = per_sample


class MeanSquaredLogarithmicError(Loss):
    """ℓ = mean_j (log(max(ŷ, ε) + 1) − log(max(y, ε) + 1))²."""

    name = "mean_squared_logarithmic_error"

    def per_sample(self, y_true, y_pred):
        y = _match(_tensor(y_true, y_pred), y_pred)
        d = (clamp(y_pred, EPSILON, None) + 1.0).log() - (clamp(y, EPSILON, None) + 1.0).log()
        return _last_mean(d * d)

    per_sample_logits = per_sample


class LogCosh(Loss):
    """ℓ = mean_j log cosh(ŷ − y), computed as d + softplus(−2d) − log 2."""

    name = "log_cosh"

    def per_sample(self, y_true, y_pred):
        d = y_pred - _match(_tensor(y_true, y_pred), y_pred)
        return _last_mean(d + F.softplus(d * -2.0) - float(np.log(2.0)))

    per_sample_logits = per_sample


class Poisson(Loss):
    """ℓ = mean_j ŷ − y·log(ŷ + ε)."""

    name = "poisson"

    def per_sample(self, y_true, y_pred):
        y = _match(_tensor(y_true, y_pred), y_pred)
        return _last_mean(y_pred - y * (y_pred + EPSILON).log())

    per_sample_logits = per_sample


class CosineSimilarity(Loss):
    """ℓ = −Σ_j ŷ_j·y_j / (‖y‖·‖ŷ‖) over the last axis (−1: same direction)."""

    name = "cosine_similarity"

    def per_sample(self, y_true, y_pred):
        y = _match(_tensor(y_true, y_pred), y_pred)

        def unit(t):
            return t / clamp((t * t).sum(-1, keepdim=True), 1e-12, None).sqrt()

        s = -(unit(y) * unit(y_pred)).sum(-1)
        return s.reshape(s.shape[0], -1).mean(1) if s.ndim > 1 else s

    per_sample_logits = per_sample


class CategoricalHinge(Loss):
    """ℓ = max(0, max_j (1 − y_j)·ŷ_j − Σ_j y_j·ŷ_j + 1), y one-hot."""

    name = "categorical_hinge"

    def per_sample(self, y_true, y_pred):
        y = _match(_tensor(y_true, y_pred), y_pred)
        pos = (y * y_pred).sum(-1)
        neg = ((1.0 - y) * y_pred).amax(-1)
        return clamp(neg - pos + 1.0, 0.0, None)

    per_sample_logits = per_sample


def _function(cls):
    def loss(y_true, y_pred):
        """Per-sample values of the loss (Keras's functional form)."""
        return cls().per_sample(y_true, _tensor(y_pred))

    loss.__name__ = cls.name
    return loss


mean_squared_error = mse = _function(MeanSquaredError)
mean_absolute_error = mae = _function(MeanAbsoluteError)
mean_absolute_percentage_error = mape = _function(MeanAbsolutePercentageError)
mean_squared_logarithmic_error = msle = _function(MeanSquaredLogarithmicError)
binary_crossentropy = _function(BinaryCrossentropy)
categorical_crossentropy = _function(CategoricalCrossentropy)
sparse_categorical_crossentropy = _function(SparseCategoricalCrossentropy)
hinge, squared_hinge, categorical_hinge = _function(Hinge), _function(SquaredHinge), _function(CategoricalHinge)
kl_divergence = kld = _function(KLDivergence)
log_cosh, poisson = _function(LogCosh), _function(Poisson)
