"""Metrics as NumPy functions and as streaming objects that ``Model.fit`` updates batch by batch.

Functions (each takes array-likes or Tensors and returns a float or a NumPy array)::

    accuracy(y_true, y_pred)                  top_k_accuracy(y_true, scores, k=5)
    precision / recall / f1_score(y_true, y_pred, average='binary'|'macro'|'micro', pos_label=1)
    confusion_matrix(y_true, y_pred, num_classes=None)     rows: true class, columns: predicted
    mean_absolute_error / mean_squared_error(y_true, y_pred)
    dice_coefficient / iou(y_true, y_pred, threshold=None)  soft (threshold=None) or thresholded
    roc_auc(y_true, scores)                   binary ROC AUC (ties count one half)

Predictions may be labels or scores: a float array (N, C) with C > 1 is read as class scores
(argmax), a float array (N,) or (N, 1) as probabilities of the positive class (>= 0.5 is 1).
Targets may be labels (N,) / (N, 1) or one-hot rows (N, C). A ratio with a zero denominator
(precision with no positive prediction...) is 0, as scikit-learn's ``zero_division`` default.

    precision = TP/(TP + FP)    recall = TP/(TP + FN)    F1 = 2·P·R/(P + R)
    Dice = 2|A∩B|/(|A| + |B|)   IoU = |A∩B|/|A∪B|   (soft versions use Σ a·b, Σ a, Σ b)

Streaming metrics (``Accuracy()``, ``Precision()``...) keep sufficient statistics: call
``update_state(y_true, y_pred, sample_weight=None)`` per batch, ``result()`` at any time,
``reset_state()`` between epochs. Precision, recall and F1 keep a confusion matrix, so the
streamed result equals the function over the concatenated batches exactly.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError, ShapeError

__all__ = [
    "accuracy", "binary_accuracy", "top_k_accuracy", "precision", "recall", "f1_score", "confusion_matrix",
    "mean_absolute_error", "mean_squared_error", "dice_coefficient", "iou", "roc_auc",
    "Metric", "Mean", "Accuracy", "BinaryAccuracy", "CategoricalAccuracy", "SparseCategoricalAccuracy",
    "TopKCategoricalAccuracy", "Precision", "Recall", "F1Score", "MeanAbsoluteError", "MeanSquaredError",
    "Dice", "IoU", "AUC",
]


def _np(x) -> np.ndarray:
    if hasattr(x, "detach") and hasattr(x, "numpy"):
        x = x.detach().numpy()
    return np.asarray(x)


def _as_labels(y, what: str, threshold: float = 0.5) -> np.ndarray:
    """Integer labels from labels, one-hot/score rows (argmax) or probabilities (threshold)."""
    y = _np(y)
    if y.ndim == 2 and y.shape[1] > 1:
        return y.argmax(axis=1)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ShapeError(f"{what}: expected labels (N,), (N, 1) or class scores (N, C), got shape {y.shape}")
    if y.dtype.kind == "f":
        if np.all((y == 0) | (y == 1)):
            return y.astype(np.int64)
        return (y >= threshold).astype(np.int64)
    return y.astype(np.int64)


def _pair(y_true, y_pred, what):
    t, p = _as_labels(y_true, what), _as_labels(y_pred, what)
    if t.shape != p.shape:
        raise ShapeError(f"{what}: {t.shape[0]} targets but {p.shape[0]} predictions")
    return t, p


def accuracy(y_true, y_pred) -> float:
    """Fraction of samples whose predicted label equals the true one."""
    t, p = _pair(y_true, y_pred, "accuracy")
    return float((t == p).mean()) if t.size else 0.0


def binary_accuracy(y_true, y_pred, threshold: float = 0.5) -> float:
    """Mean of [ (p >= threshold) == y ] over all elements (Keras ``binary_accuracy``)."""
    t, p = _np(y_true), _np(y_pred)
    return float(((p >= threshold).astype(np.int64) == t.reshape(p.shape).astype(np.int64)).mean())


def top_k_accuracy(y_true, scores, k: int = 5) -> float:
    """Fraction of samples whose true class is among the k highest scores (ties: lower index first)."""
    s = _np(scores)
    if s.ndim != 2:
        raise ShapeError(f"top_k_accuracy: scores must have shape (N, C), got {s.shape}")
    t = _as_labels(y_true, "top_k_accuracy")
    k = min(int(k), s.shape[1])
    top = np.argsort(-s, axis=1, kind="stable")[:, :k]
    return float((top == t[:, None]).any(axis=1).mean()) if t.size else 0.0


def confusion_matrix(y_true, y_pred, num_classes: int | None = None) -> np.ndarray:
    """C[i, j] = number of samples of true class i predicted as j (int64, num_classes × num_classes)."""
    t, p = _pair(y_true, y_pred, "confusion_matrix")
    if num_classes is None:
        num_classes = int(max(t.max(initial=-1), p.max(initial=-1))) + 1
        s = _np(y_pred)
        if s.ndim == 2 and s.shape[1] > 1:
            num_classes = max(num_classes, s.shape[1])
    if t.size and (min(t.min(), p.min()) < 0 or max(t.max(), p.max()) >= num_classes):
        raise ConfigError(f"confusion_matrix: labels must lie in [0, {num_classes}), got values from "
                          f"{min(t.min(), p.min())} to {max(t.max(), p.max())}")
    return np.bincount(t * num_classes + p, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def _div(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return np.divide(a, b, out=np.zeros_like(a), where=b != 0)


_AVERAGES = ("binary", "macro", "micro", None)


def _prf_from_cm(cm, average, pos_label, which):
    if average not in _AVERAGES:
        raise ConfigError(f"{which}: average must be one of 'binary', 'macro', 'micro' or None, got {average!r}")
    tp = np.diag(cm).astype(np.float64)
    fp = cm.sum(axis=0) - tp
    fn = cm.sum(axis=1) - tp
    if average == "micro":
        tp, fp, fn = tp.sum(), fp.sum(), fn.sum()
    elif average == "binary":
        if cm.shape[0] > 2:
            raise ConfigError(f"{which}: average='binary' needs two classes, got {cm.shape[0]}; use "
                              "average='macro' or 'micro' for multi-class labels")
        if pos_label >= cm.shape[0]:
            return 0.0
        tp, fp, fn = tp[pos_label], fp[pos_label], fn[pos_label]
    p, r = _div(tp, tp + fp), _div(tp, tp + fn)
    f = _div(2 * p * r, p + r)
    out = {"precision": p, "recall": r, "f1": f}[which]
    if average == "macro":
        return float(out.mean())
    return out if average is None else float(out)


def _cm_for(y_true, y_pred, average, what):
    cm = confusion_matrix(y_true, y_pred)
    if average == "binary" and cm.shape[0] < 2:
        cm = np.pad(cm, ((0, 2 - cm.shape[0]), (0, 2 - cm.shape[0])))
    return cm


def precision(y_true, y_pred, average: str | None = "binary", pos_label: int = 1):
    """TP/(TP + FP): binary (for ``pos_label``), macro (mean over classes), micro (pooled counts) or per class."""
    return _prf_from_cm(_cm_for(y_true, y_pred, average, "precision"), average, pos_label, "precision")


def recall(y_true, y_pred, average: str | None = "binary", pos_label: int = 1):
    """TP/(TP + FN), averaged as :func:`precision`."""
    return _prf_from_cm(_cm_for(y_true, y_pred, average, "recall"), average, pos_label, "recall")


def f1_score(y_true, y_pred, average: str | None = "binary", pos_label: int = 1):
    """2·P·R/(P + R) per class, then averaged (macro: mean of the per-class F1, as scikit-learn)."""
    return _prf_from_cm(_cm_for(y_true, y_pred, average, "f1"), average, pos_label, "f1")


def mean_absolute_error(y_true, y_pred) -> float:
    """mean |y − ŷ| over all elements."""
    t, p = _np(y_true).astype(np.float64), _np(y_pred).astype(np.float64)
    return float(np.abs(t.reshape(p.shape) - p).mean())


def mean_squared_error(y_true, y_pred) -> float:
    """mean (y − ŷ)² over all elements."""
    t, p = _np(y_true).astype(np.float64), _np(y_pred).astype(np.float64)
    return float(((t.reshape(p.shape) - p) ** 2).mean())


def _overlap(y_true, y_pred, threshold):
    t, p = _np(y_true).astype(np.float64), _np(y_pred).astype(np.float64)
    if t.size != p.size:
        raise ShapeError(f"dice/iou: target of shape {t.shape} and prediction of shape {p.shape} differ in size")
    t = t.reshape(p.shape)
    if threshold is not None:
        p = (p >= threshold).astype(np.float64)
        t = (t >= threshold).astype(np.float64)
    return float((t * p).sum()), float(t.sum()), float(p.sum())


def dice_coefficient(y_true, y_pred, threshold: float | None = None, smooth: float = 0.0) -> float:
    """2·Σ y·ŷ / (Σ y + Σ ŷ) (soft; with ``threshold`` both are binarized first); 1 when both are empty."""
    inter, st, sp = _overlap(y_true, y_pred, threshold)
    den = st + sp
    return 1.0 if den + smooth == 0 else (2 * inter + smooth) / (den + smooth)


def iou(y_true, y_pred, threshold: float | None = None, smooth: float = 0.0) -> float:
    """Σ y·ŷ / (Σ y + Σ ŷ − Σ y·ŷ) (Jaccard index; soft or thresholded); 1 when both are empty."""
    inter, st, sp = _overlap(y_true, y_pred, threshold)
    den = st + sp - inter
    return 1.0 if den + smooth == 0 else (inter + smooth) / (den + smooth)


def roc_auc(y_true, scores) -> float:
    """Area under the ROC curve for binary labels: P(score of a positive > score of a negative), ties ½."""
    t = _as_labels(y_true, "roc_auc")
    s = _np(scores).astype(np.float64).reshape(-1)
    if s.shape != t.shape:
        raise ShapeError(f"roc_auc: {t.shape[0]} labels but {s.shape[0]} scores")
    pos, neg = int((t == 1).sum()), int((t == 0).sum())
    if pos == 0 or neg == 0:
        return 0.0
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s), dtype=np.float64)
    sorted_s = s[order]
    # average ranks of ties (1-based)
    _, first, counts = np.unique(sorted_s, return_index=True, return_counts=True)
    avg = first + (counts + 1) / 2.0
    ranks[order] = np.repeat(avg, counts)
    return float((ranks[t == 1].sum() - pos * (pos + 1) / 2) / (pos * neg))


# =============================================================================== streaming
class Metric:
    """A streaming metric: ``update_state`` per batch, ``result`` any time, ``reset_state`` per epoch."""

    name = "metric"

    def __init__(self, name: str | None = None) -> None:
        if name is not None:
            self.name = name
        self.reset_state()

    def reset_state(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def result(self) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def __call__(self, y_true, y_pred, sample_weight=None) -> float:
        """Update with one batch and return the running result."""
        self.update_state(y_true, y_pred, sample_weight)
        return self.result()

    def get_config(self) -> dict:
        return {"name": self.name}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


class _Average(Metric):
    """Weighted running mean of a per-sample value."""

    def reset_state(self) -> None:
        self.total, self.count = 0.0, 0.0

    def _values(self, y_true, y_pred):  # pragma: no cover - abstract
        raise NotImplementedError

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        v = np.asarray(self._values(y_true, y_pred), dtype=np.float64).reshape(len(_np(y_pred)), -1).mean(axis=1)
        w = np.ones_like(v) if sample_weight is None else _np(sample_weight).astype(np.float64).reshape(-1)
        self.total += float((v * w).sum())
        self.count += float(w.sum())

    def result(self) -> float:
        return self.total / self.count if self.count else 0.0


class Mean(Metric):
    """Running (weighted) mean of the values passed to ``update_state(values, weight=None)``."""

    name = "mean"

    def reset_state(self) -> None:
        self.total, self.count = 0.0, 0.0

    def update_state(self, values, sample_weight=None, _unused=None) -> None:
        v = _np(values).astype(np.float64).reshape(-1)
        w = np.ones_like(v) if sample_weight is None else np.broadcast_to(_np(sample_weight), v.shape)
        self.total += float((v * w).sum())
        self.count += float(np.sum(w))

    def result(self) -> float:
        return self.total / self.count if self.count else 0.0


class SparseCategoricalAccuracy(_Average):
    """Integer labels (N,) vs class scores (N, C): argmax == label."""

    name = "accuracy"

    def _values(self, y_true, y_pred):
        return _as_labels(y_true, "accuracy") == _np(y_pred).argmax(axis=-1).reshape(-1)


class CategoricalAccuracy(_Average):
    """One-hot targets (N, C) vs class scores (N, C): argmax == argmax."""

    name = "accuracy"

    def _values(self, y_true, y_pred):
        return _np(y_true).argmax(axis=-1) == _np(y_pred).argmax(axis=-1)


class BinaryAccuracy(_Average):
    """0/1 targets vs probabilities: (ŷ >= threshold) == y, averaged over the last axis per sample."""

    name = "accuracy"

    def __init__(self, name: str | None = None, threshold: float = 0.5) -> None:
        self.threshold = threshold
        super().__init__(name)

    def _values(self, y_true, y_pred):
        p = _np(y_pred)
        return (p >= self.threshold).astype(np.int64) == _np(y_true).reshape(p.shape).astype(np.int64)


class Accuracy(_Average):
    """Labels vs labels or scores (read as :func:`accuracy` does)."""

    name = "accuracy"

    def _values(self, y_true, y_pred):
        t, p = _pair(y_true, y_pred, "accuracy")
        return t == p


class TopKCategoricalAccuracy(_Average):
    """True class among the k highest scores (labels or one-hot targets)."""

    name = "top_k_accuracy"

    def __init__(self, k: int = 5, name: str | None = None) -> None:
        self.k = k
        super().__init__(name)

    def _values(self, y_true, y_pred):
        s = _np(y_pred)
        k = min(self.k, s.shape[1])
        top = np.argsort(-s, axis=1, kind="stable")[:, :k]
        return (top == _as_labels(y_true, "top_k_accuracy")[:, None]).any(axis=1)


class MeanAbsoluteError(_Average):
    name = "mae"

    def _values(self, y_true, y_pred):
        p = _np(y_pred).astype(np.float64)
        return np.abs(_np(y_true).astype(np.float64).reshape(p.shape) - p)


class MeanSquaredError(_Average):
    name = "mse"

    def _values(self, y_true, y_pred):
        p = _np(y_pred).astype(np.float64)
        return (_np(y_true).astype(np.float64).reshape(p.shape) - p) ** 2


class _ConfusionMetric(Metric):
    """Accumulates a confusion matrix; precision/recall/F1 from it (``average`` as the functions)."""

    which = "precision"

    def __init__(self, name: str | None = None, average: str | None = "auto", pos_label: int = 1,
                 num_classes: int | None = None) -> None:
        if average not in _AVERAGES + ("auto",):
            raise ConfigError(f"{type(self).__name__}: average must be 'auto', 'binary', 'macro', 'micro' or None, "
                              f"got {average!r}")
        self.average, self.pos_label, self.num_classes = average, pos_label, num_classes
        super().__init__(name or self.which)

    def reset_state(self) -> None:
        self.cm = np.zeros((max(self.num_classes or 2, 2),) * 2, dtype=np.int64)
        self._scores_width = 1

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        p = _np(y_pred)
        if p.ndim == 2:
            self._scores_width = max(self._scores_width, p.shape[1])
        cm = confusion_matrix(y_true, y_pred)
        n = max(cm.shape[0], self.cm.shape[0])
        grown = np.zeros((n, n), dtype=np.int64)
        grown[:self.cm.shape[0], :self.cm.shape[0]] += self.cm
        grown[:cm.shape[0], :cm.shape[0]] += cm
        self.cm = grown

    def result(self) -> float:
        average = self.average
        if average == "auto":
            average = "binary" if self.cm.shape[0] <= 2 and self._scores_width <= 2 else "macro"
        return float(_prf_from_cm(self.cm, average, self.pos_label, self.which))


class Precision(_ConfusionMetric):
    """Streaming precision; ``average='auto'``: binary for two classes, macro otherwise."""

    which = "precision"


class Recall(_ConfusionMetric):
    which = "recall"


class F1Score(_ConfusionMetric):
    which = "f1"


class _OverlapMetric(Metric):
    """Dice or IoU accumulated over the whole epoch (Σ over all batches, then the ratio)."""

    def __init__(self, name: str | None = None, threshold: float | None = 0.5, smooth: float = 0.0) -> None:
        self.threshold, self.smooth = threshold, smooth
        super().__init__(name)

    def reset_state(self) -> None:
        self.inter = self.st = self.sp = 0.0

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        i, a, b = _overlap(y_true, y_pred, self.threshold)
        self.inter += i
        self.st += a
        self.sp += b


class Dice(_OverlapMetric):
    name = "dice"

    def result(self) -> float:
        den = self.st + self.sp
        return 1.0 if den + self.smooth == 0 else (2 * self.inter + self.smooth) / (den + self.smooth)


class IoU(_OverlapMetric):
    name = "iou"

    def result(self) -> float:
        den = self.st + self.sp - self.inter
        return 1.0 if den + self.smooth == 0 else (self.inter + self.smooth) / (den + self.smooth)


class AUC(Metric):
    """Binary ROC AUC over the epoch (keeps all scores; exact, not Keras's thresholded approximation)."""

    name = "auc"

    def reset_state(self) -> None:
        self.t, self.s = [], []

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        p = _np(y_pred)
        if p.ndim == 2 and p.shape[1] == 2:
            p = p[:, 1]
        self.t.append(_as_labels(y_true, "auc"))
        self.s.append(p.reshape(-1))

    def result(self) -> float:
        if not self.t:
            return 0.0
        return roc_auc(np.concatenate(self.t), np.concatenate(self.s))
