"""The estimator interface shared by the classic learners, shaped like scikit-learn's.

Every estimator takes its hyperparameters in ``__init__`` (stored unchanged under the same
names, so ``get_params``/``set_params``/``clone``-style code works), learns in
``fit(X, y)`` and stores what it learned in attributes ending in ``_`` (``coef_``,
``classes_``, ``n_features_in_`` ...). Calling ``predict`` before ``fit`` raises
:class:`NotFittedError`, which is a :class:`~chalkgrad.errors.ChalkgradError`, a ``ValueError`` and
an ``AttributeError`` (as scikit-learn's is).

Inputs are checked as scikit-learn checks them, with its messages inside ours (its
``check_estimator`` looks for them): X must be a dense 2-D array of real numbers ("Reshape your
data", "sparse input is not supported", "Complex data not supported", "0 feature(s)"), y must be
finite ("Input y contains NaN"), present ("requires y to be passed") and, for a classifier, labels
("Unknown label type: continuous"). A column vector y where a 1-D one is expected is flattened with
a :class:`DataConversionWarning`.

scikit-learn is optional. When it has been imported (so code can name its classes), the
:class:`NotFittedError` raised and the :class:`DataConversionWarning` issued are subclasses of
chalkgrad's classes *and* of scikit-learn's ``sklearn.exceptions.NotFittedError`` /
``DataConversionWarning``, so ``except sklearn.exceptions.NotFittedError`` and scikit-learn's
``check_estimator`` recognise them; without scikit-learn, they are chalkgrad's own.

Scores: classifiers report accuracy, the fraction of exact predictions; regressors report
the coefficient of determination R² = 1 − Σ(y − ŷ)² / Σ(y − ȳ)².
"""

from __future__ import annotations

import inspect
import sys
import warnings

import numpy as np

from ..errors import ChalkgradError, ConfigError, DataError, DTypeError, ShapeError

__all__ = ["NotFittedError", "DataConversionWarning", "ConvergenceWarning", "BaseEstimator", "ClassifierMixin",
           "RegressorMixin"]


class NotFittedError(ChalkgradError, ValueError, AttributeError):
    """An estimator used (predict, score, kneighbors...) before ``fit`` was called."""


class DataConversionWarning(UserWarning):
    """The input was converted to the form the estimator expects (a column-vector y flattened)."""


_SKLEARN_TWINS: dict = {}


def _with_sklearn_twin(cls: type) -> type:
    """``cls``, or (when ``sklearn.exceptions`` is already imported) a subclass of ``cls`` and of
    scikit-learn's class of the same name. Nothing is imported: code that catches scikit-learn's
    class has imported it, and otherwise chalkgrad's class is all anyone can name."""
    sk = sys.modules.get("sklearn.exceptions")
    sk_cls = getattr(sk, cls.__name__, None)
    if sk_cls is None:
        return cls
    if cls not in _SKLEARN_TWINS:
        _SKLEARN_TWINS[cls] = type(cls.__name__, (cls, sk_cls), {
            "__module__": cls.__module__, "__doc__": cls.__doc__,
            "__reduce__": lambda self: (_rebuild_twin, (cls, self.args)),  # pickles (joblib workers) by the base
        })
    return _SKLEARN_TWINS[cls]


def _rebuild_twin(cls: type, args: tuple):
    return _with_sklearn_twin(cls)(*args)


def _as_array(a) -> np.ndarray:
    from ..tensor import Tensor

    if isinstance(a, Tensor):
        return a.detach().numpy()
    return np.asarray(a)


def _is_sparse(a) -> bool:
    """A SciPy sparse matrix or array (recognised without importing SciPy)."""
    return type(a).__module__.startswith("scipy.sparse")


def _reject_complex(a: np.ndarray, where: str, name: str) -> None:
    if np.iscomplexobj(a):
        raise DataError(f"{where}: Complex data not supported; {name} has dtype {a.dtype}, expected real numbers")


def check_X(X, where: str) -> np.ndarray:
    """X as a 2-D float64 array, or an error naming ``where``."""
    if _is_sparse(X):
        raise DataError(f"{where}: sparse input is not supported, got a {type(X).__name__}; "
                        "pass a dense array (X.toarray())")
    X = _as_array(X)
    if X.ndim != 2:
        hint = (" Reshape your data either using X.reshape(-1, 1) if it has a single feature or X.reshape(1, -1) "
                "if it is a single sample.") if X.ndim == 1 else ""
        raise ShapeError(f"{where}: X must be 2-D (n_samples, n_features), got an array of shape {X.shape}.{hint}")
    if X.shape[0] == 0:
        raise ShapeError(f"{where}: X has no samples (shape {X.shape}); a minimum of 1 is required")
    if X.shape[1] == 0:
        raise ShapeError(f"{where}: X has 0 feature(s) (shape={X.shape}) while a minimum of 1 is required.")
    _reject_complex(X, where, "X")
    try:
        X = X.astype(np.float64, copy=False)
    except (TypeError, ValueError) as e:
        raise DTypeError(f"{where}: X must hold numbers, got dtype {X.dtype} ({e})") from e
    if not np.isfinite(X).all():
        raise ConfigError(f"{where}: X contains NaN or infinite values")
    return X


def _check_y_values(y: np.ndarray, where: str) -> None:
    _reject_complex(y, where, "y")
    if y.dtype.kind in "fc" or y.dtype == object:
        try:
            values = y.astype(np.float64)
        except (TypeError, ValueError):
            return  # labels such as strings: nothing numeric to check
        if np.isnan(values).any():
            raise DataError(f"{where}: Input y contains NaN.")
        if np.isinf(values).any():
            raise DataError(f"{where}: Input y contains infinity or a value too large for dtype('float64').")


def check_X_y(X, y, where: str, y_2d: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """X as 2-D float64 and y as 1-D (or, when ``y_2d``, 1-D or 2-D) with as many rows as X."""
    X = check_X(X, where)
    if y is None:
        raise DataError(f"{where}: this estimator requires y to be passed, but the target y is None")
    y = _as_array(y)
    if y.ndim == 2 and y.shape[1] == 1 and not y_2d:
        warnings.warn(_with_sklearn_twin(DataConversionWarning)(
            "A column-vector y was passed when a 1d array was expected. Please change the shape of y to "
            "(n_samples, ), for example using ravel()."), stacklevel=3)
        y = y[:, 0]
    if y.ndim not in ((1, 2) if y_2d else (1,)):
        raise ShapeError(f"{where}: y must be {'1-D or 2-D' if y_2d else '1-D'} with one entry per sample, "
                         f"got an array of shape {y.shape}")
    if y.shape[0] != X.shape[0]:
        raise ShapeError(f"{where}: X has {X.shape[0]} samples but y has {y.shape[0]}")
    _check_y_values(y, where)
    return X, y


class BaseEstimator:
    """Hyperparameters from ``__init__``'s signature; ``get_params``/``set_params``; a readable repr."""

    #: Whether ``fit`` takes a 2-D y (several outputs); otherwise a column-vector y is flattened with a warning.
    _multi_output = False

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
        target = TargetTags(required=True, multi_output=self._multi_output)
        return Tags(estimator_type=kind, target_tags=target,
                    classifier_tags=ClassifierTags() if kind == "classifier" else None,
                    regressor_tags=RegressorTags() if kind == "regressor" else None)

    # -- helpers for subclasses -------------------------------------------------------------
    def _check_fitted(self, attr: str, where: str) -> None:
        if not hasattr(self, attr):
            name = type(self).__name__
            raise _with_sklearn_twin(NotFittedError)(f"{name}.{where}: this {name} is not fitted yet; "
                                                     "call fit(X, y) first")

    def _check_predict_X(self, X, where: str, attr: str = "n_features_in_") -> np.ndarray:
        self._check_fitted(attr, where)
        X = check_X(X, f"{type(self).__name__}.{where}")
        if X.shape[1] != self.n_features_in_:
            raise ShapeError(f"{type(self).__name__}.{where}: X has {X.shape[1]} features, but "
                             f"{type(self).__name__} is expecting {self.n_features_in_} features as input "
                             "(the number it was fitted with)")
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
    if y.dtype.kind == "f" and np.any(y != np.round(y)):
        example = y[y != np.round(y)][0]
        raise DataError(f"{where}: Unknown label type: continuous (y holds non-integer values such as {example}); "
                        "a classifier needs class labels (use a regressor for a continuous target)")
    classes, codes = np.unique(y, return_inverse=True)
    return classes, codes.reshape(-1)


def check_two_classes(classes: np.ndarray, where: str) -> None:
    """A ConfigError unless there are at least two classes."""
    if len(classes) < 2:
        raise ConfigError(f"{where}: y must hold at least two classes, got 1 class: {classes.tolist()}")


class ConvergenceWarning(UserWarning):
    """An iterative solver stopped at its iteration limit before meeting its tolerance."""
