"""The shared estimator interface: params, repr, not-fitted errors, input conversion, scores."""

import numpy as np
import pytest

import chalkgrad as cg
from chalkgrad.classic import (
    SVC,
    KNeighborsClassifier,
    KNeighborsRegressor,
    LinearRegression,
    LinearSVC,
    LogisticRegression,
    NotFittedError,
    Perceptron,
)
from chalkgrad.errors import ChalkgradError, ConfigError

ALL = [Perceptron, KNeighborsClassifier, KNeighborsRegressor, LinearSVC, SVC, LinearRegression, LogisticRegression]


@pytest.mark.parametrize("cls", ALL)
def test_params_roundtrip_and_not_fitted(cls):
    est = cls()
    params = est.get_params()
    assert params and all(not k.endswith("_") for k in params)
    clone = cls(**params)
    assert clone.get_params() == params
    assert repr(cls()) == f"{cls.__name__}()"
    with pytest.raises(NotFittedError) as info:
        est.predict(np.zeros((2, 2)))
    assert isinstance(info.value, ChalkgradError) and isinstance(info.value, AttributeError)
    assert cls.__name__ in str(info.value)
    assert not hasattr(est, "coef_") or cls is SVC  # nothing learned before fit


@pytest.mark.parametrize("cls", ALL)
def test_fit_returns_self_accepts_lists_and_tensors(cls):
    X = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [2.0, 2.0], [2.0, 3.0]]
    y = [0, 0, 0, 1, 1, 1]
    est = cls(n_neighbors=3) if "Neighbors" in cls.__name__ else cls()
    assert est.fit(X, y) is est
    assert est.n_features_in_ == 2
    pred_list = est.predict(X)
    pred_tensor = est.predict(cg.tensor(np.array(X), dtype=cg.float64))
    np.testing.assert_array_equal(pred_list, pred_tensor)
    assert 0.0 <= est.score(X, y) <= 1.0


def test_scores():
    X = np.arange(10.0)[:, None]
    y = 2 * X[:, 0] + 1
    assert LinearRegression().fit(X, y).score(X, y) == pytest.approx(1.0)
    clf = KNeighborsClassifier(1).fit(X, (X[:, 0] > 4).astype(int))
    assert clf.score(X, np.zeros(10)) == pytest.approx(0.5)
    w = np.arange(1.0, 11.0)
    assert clf.score(X, np.zeros(10), sample_weight=w) == pytest.approx(15 / 55)
    from sklearn.metrics import r2_score

    pred_y = y + np.sin(X[:, 0])
    reg = KNeighborsRegressor(1).fit(X, pred_y)
    assert reg.score(X, y, sample_weight=w) == pytest.approx(r2_score(y, pred_y, sample_weight=w))


def test_set_params_unknown_name():
    with pytest.raises(ConfigError, match="unknown parameter 'k'.*n_neighbors"):
        KNeighborsClassifier().set_params(k=3)


def test_sklearn_clone_works():
    from sklearn.base import clone

    est = clone(KNeighborsClassifier(3, weights="distance"))
    assert isinstance(est, KNeighborsClassifier) and est.get_params()["weights"] == "distance"


def test_scikit_learn_model_selection_works_with_chalkgrad_estimators():
    from sklearn.datasets import load_iris
    from sklearn.model_selection import GridSearchCV, cross_val_score
    from sklearn.neighbors import KNeighborsClassifier as SkKNN

    from chalkgrad.classic import KNeighborsClassifier

    X, y = load_iris(return_X_y=True)
    X = X + np.random.default_rng(0).normal(0, 1e-6, X.shape)  # iris repeats points: no distance ties
    ours = cross_val_score(KNeighborsClassifier(n_neighbors=5), X, y, cv=5)
    theirs = cross_val_score(SkKNN(n_neighbors=5), X, y, cv=5)
    np.testing.assert_allclose(ours, theirs)
    search = GridSearchCV(KNeighborsClassifier(), {"n_neighbors": [1, 3, 5, 7]}, cv=3).fit(X, y)
    assert search.best_params_ == GridSearchCV(SkKNN(), {"n_neighbors": [1, 3, 5, 7]}, cv=3).fit(X, y).best_params_
