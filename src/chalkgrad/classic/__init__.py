"""Classic learners beside neural networks, in NumPy, with scikit-learn's names and interface.

``Perceptron``, ``KNeighborsClassifier``, ``KNeighborsRegressor``, ``LinearSVC``, ``SVC``,
``LinearRegression`` and ``LogisticRegression`` take their hyperparameters in ``__init__`` and
have ``fit``, ``predict``, ``score``, ``get_params``/``set_params`` and fitted attributes ending
in ``_``, so code written for scikit-learn runs with them (they pass every check of scikit-learn's
``check_estimator``). Computation is in float64.
"""

from .base import (
    NotFittedError, DataConversionWarning, ConvergenceWarning, BaseEstimator, ClassifierMixin, RegressorMixin,
)
from .perceptron import Perceptron, PerceptronStep
from .neighbors import KNeighborsClassifier, KNeighborsRegressor, pairwise_distances
from .svm import LinearSVC, SVC, kernel_matrix
from .linear_model import LinearRegression, LogisticRegression

__all__ = [
    "NotFittedError", "DataConversionWarning", "ConvergenceWarning", "BaseEstimator", "ClassifierMixin",
    "RegressorMixin",
    "Perceptron", "PerceptronStep", "KNeighborsClassifier", "KNeighborsRegressor", "pairwise_distances",
    "LinearSVC", "SVC", "kernel_matrix", "LinearRegression", "LogisticRegression",
]
