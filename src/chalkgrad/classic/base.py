"""The estimator interface shared by the classic learners, shaped like scikit-learn's.

Every estimator takes its hyperparameters in ``__init__`` (stored unchanged under the same
names, so ``get_params``/``set_params``/``clone``-style code works), learns in
``fit(X, y)`` and stores what it learned in attributes ending in ``_`` (``coef_``,
``classes_``, ``n_features_in_`` ...). Calling ``predict`` before ``fit`` raises
:class:`NotFittedError`, which is both a :class:`~chalkgrad.errors.ChalkgradError` and an
``AttributeError`` (as scikit-learn's is, with ``ValueError``).

Scores: classifiers report accuracy, the fraction of exact predictions; regressors report
the coefficient of determination R² = 1 − Σ(y − ŷ)² / Σ(y − ȳ)².
"""

from __future__ import annotations

import inspect

import numpy as np

from ..errors import ChalkgradError, ConfigError, ShapeError

__all__ = ["NotFittedError", "ConvergenceWarning", "BaseEstimator", "ClassifierMixin", "RegressorMixin"]


class NotFittedError(ChalkgradError, AttributeError):
    """An estimator used (predict, score, kneighbors...) before ``fit`` was called."""


def _as_array(a) -> np.ndarray:
    from ..tensor import Tensor

    if isinstance(a, Tensor):
        return a.detach().numpy()
    return np.asarray(a)


def check_X(X, where: str) -> np.ndarray:
    """X as a 2-D float64 array, or a ShapeError naming ``where``."""
    X = _as_array(X)
    if X.ndim != 2:
        hint = " (reshape a single sample to (1, n_features) or a single feature to (n_samples, 1))" \
            if X.ndim == 1 else ""
        raise ShapeError(f"{where}: X must be 2-D (n_samples, n_features), got an array of shape {X.shape}{hint}")
    if X.shape[0] == 0:
        raise ShapeError(f"{where}: X has no samples (shape {X.shape})")
    try:
        X = X.astype(np.float64, copy=False)
    except (TypeError, ValueError) as e:
        raise ShapeError(f"{where}: X must hold numbers, got dtype {X.dtype}") from e
    if not np.isfinite(X).all():
        raise ConfigError(f"{where}: X contains NaN or infinite values")
    return X


def check_X_y(X, y, where: str, y_2d: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """X as 2-D float64 and y as 1-D (or, when ``y_2d``, 1-D or 2-D) with as many rows as X."""
    X = check_X(X, where)
    y = _as_array(y)
    if y.ndim == 2 and y.shape[1] == 1 and not y_2d:
        y = y[:, 0]
    if y.ndim not in ((1, 2) if y_2d else (1,)):
        raise ShapeError(f"{where}: y must be {'1-D or 2-D' if y_2d else '1-D'} with one entry per sample, "
                         f"got an array of shape {y.shape}")
    if y.shape[0] != X.shape[0]:
        raise ShapeError(f"{where}: X has {X.shape[0]} samples but y has {y.shape[0]}")
    return X, y


class BaseEstimator:
    """Hyperparameters from ``__init__``'s signature; ``get_params``/``set_params``; a readable repr."""

    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [p.name for p in sig.parameters.values()
                if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]

    def get_params(self, deep: bool = True) -> dict:
        """The hyperparameters, by name, as passed to ``__init__``."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params):
        """Set hyperparameters by name (unknown names raise a ConfigError listing the valid ones); returns self."""
        valid = self._param_names()
        for name, value in params.items():
            if name not in valid:
                raise ConfigError(f"{type(self).__name__}.set_params: unknown parameter {name!r}; "
                                  f"valid parameters: {', '.join(valid)}")
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        defaults = {p.name: p.default for p in inspect.signature(type(self).__init__).parameters.values()}
        parts = []
        for name, value in self.get_params().items():
            default = defaults.get(name, inspect.Parameter.empty)
            try:
                same = value is default or (not isinstance(value, np.ndarray) and bool(value == default))
            except (TypeError, ValueError):
                same = False
            if not same:
                parts.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(parts)})"

    def __sklearn_tags__(self):
        """The tags scikit-learn's utilities ask for (``cross_val_score``, ``GridSearchCV``...).

        Only scikit-learn calls this, so importing it here costs nothing to anyone else.
        """
        from sklearn.utils import ClassifierTags, RegressorTags, Tags, TargetTags

        kind = getattr(self, "_estimator_type", None)
        return Tags(estimator_type=kind, target_tags=TargetTags(required=True),
                    classifier_tags=ClassifierTags() if kind == "classifier" else None,
                    regressor_tags=RegressorTags() if kind == "regressor" else None)

    # -- helpers for subclasses -------------------------------------------------------------
    def _check_fitted(self, attr: str, where: str) -> None:
        if not hasattr(self, attr):
            raise NotFittedError(f"{type(self).__name__}.{where}: this {type(self).__name__} is not fitted yet; "
                                 f"call fit(X, y) first")

    def _check_predict_X(self, X, where: str, attr: str = "n_features_in_") -> np.ndarray:
        self._check_fitted(attr, where)
        X = check_X(X, f"{type(self).__name__}.{where}")
        if X.shape[1] != self.n_features_in_:
            raise ShapeError(f"{type(self).__name__}.{where}: X has {X.shape[1]} features, but the estimator "
                             f"was fitted with {self.n_features_in_} features")
        return X


class ClassifierMixin:
    """``score`` = accuracy, the fraction of samples whose predicted label equals the true one (optionally weighted)."""

    _estimator_type = "classifier"

    def score(self, X, y, sample_weight=None) -> float:
        y = _as_array(y)
        pred = self.predict(X)
        if y.shape[0] != pred.shape[0]:
            raise ShapeError(f"{type(self).__name__}.score: X has {pred.shape[0]} samples but y has {y.shape[0]}")
        return float(np.average(pred == y, weights=sample_weight))


class LinearClassifierMixin(ClassifierMixin):
    """A linear classifier with ``coef_`` (one row per output) and ``intercept_``: f(x) = w·x + b;
    two classes: the positive class where f(x) > 0; more: the class with the largest f (one-vs-rest)."""

    def decision_function(self, X) -> np.ndarray:
        """f(x) = w·x + b: shape (n,) for two classes, else (n, n_classes)."""
        X = self._check_predict_X(X, "decision_function", "coef_")
        scores = X @ self.coef_.T + self.intercept_
        return scores[:, 0] if scores.shape[1] == 1 else scores

    def predict(self, X) -> np.ndarray:
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return self.classes_[(scores > 0).astype(int)]
        return self.classes_[np.argmax(scores, axis=1)]


class RegressorMixin:
    """``score`` = R² = 1 − Σ(y − ŷ)² / Σ(y − ȳ)² (averaged over outputs for 2-D y), as scikit-learn."""

    _estimator_type = "regressor"

    def score(self, X, y, sample_weight=None) -> float:
        y = _as_array(y).astype(np.float64)
        pred = self.predict(X)
        if y.shape[0] != pred.shape[0]:
            raise ShapeError(f"{type(self).__name__}.score: X has {pred.shape[0]} samples but y has {y.shape[0]}")
        y2, p2 = y.reshape(len(y), -1), pred.reshape(len(pred), -1)
        w = np.ones(len(y2)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        ss_res = (w[:, None] * (y2 - p2) ** 2).sum(0)
        ss_tot = (w[:, None] * (y2 - np.average(y2, axis=0, weights=w)) ** 2).sum(0)
        with np.errstate(divide="ignore", invalid="ignore"):
            r2 = np.where(ss_tot > 0, 1 - ss_res / np.where(ss_tot > 0, ss_tot, 1), np.where(ss_res == 0, 1.0, 0.0))
        return float(r2.mean())


def check_choice(value, valid, where: str, name: str):
    """``value`` if it is one of ``valid``, else a ConfigError listing the valid names."""
    if not isinstance(value, str) or value not in valid:
        raise ConfigError(f"{where}: unknown {name} {value!r}; valid {name}s: {', '.join(map(repr, valid))}")
    return value


def check_positive(value, where: str, name: str, allow_zero: bool = False):
    """A real number > 0 (or >= 0), else a ConfigError."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool) \
        and np.isfinite(value) and (value >= 0 if allow_zero else value > 0)
    if not ok:
        raise ConfigError(f"{where}: {name} must be a {'non-negative' if allow_zero else 'positive'} number, "
                          f"got {value!r}")
    return float(value)


def check_int(value, where: str, name: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ConfigError(f"{where}: {name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def encode_labels(y: np.ndarray, where: str) -> tuple[np.ndarray, np.ndarray]:
    """(classes_, codes): the sorted distinct labels and each sample's index into them."""
    if y.ndim != 1:
        raise ShapeError(f"{where}: y must be 1-D class labels, got shape {y.shape}")
    classes, codes = np.unique(y, return_inverse=True)
    return classes, codes.reshape(-1)


class ConvergenceWarning(UserWarning):
    """An iterative solver stopped at its iteration limit before meeting its tolerance."""
