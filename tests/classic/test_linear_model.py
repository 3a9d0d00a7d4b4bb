"""LinearRegression and LogisticRegression against scikit-learn: coefficients, probabilities, accuracy; errors."""

import warnings

import numpy as np
import pytest
from sklearn import linear_model as skl
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, make_regression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from chalkgrad.classic import ConvergenceWarning, LinearRegression, LogisticRegression, NotFittedError
from chalkgrad.errors import ConfigError, ShapeError


def _split(loader):
    X, y = loader(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    sc = StandardScaler().fit(Xtr)
    return sc.transform(Xtr), sc.transform(Xte), ytr, yte


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_linear_regression_equals_sklearn(fit_intercept):
    X, y = make_regression(60, 5, noise=2.0, bias=3.0, random_state=0)
    ours = LinearRegression(fit_intercept=fit_intercept).fit(X, y)
    ref = skl.LinearRegression(fit_intercept=fit_intercept).fit(X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=0, atol=1e-8)
    assert ours.intercept_ == pytest.approx(ref.intercept_, abs=1e-8)
    assert isinstance(ours.intercept_, float) and ours.coef_.shape == (5,)
    np.testing.assert_allclose(ours.predict(X), ref.predict(X), atol=1e-8)
    assert ours.score(X, y) == pytest.approx(ref.score(X, y), abs=1e-12)
    Y = np.stack([y, 2 * y - 1, X[:, 0]], 1)  # several targets
    ours, ref = LinearRegression(fit_intercept=fit_intercept).fit(X, Y), skl.LinearRegression(
        fit_intercept=fit_intercept).fit(X, Y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-8)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, atol=1e-8)
    assert ours.score(X, Y) == pytest.approx(ref.score(X, Y), abs=1e-12)


def test_linear_regression_rank_deficient_min_norm():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(30, 2))
    X = np.hstack([a, a[:, :1] * 2.0])  # third column = 2 × first
    y = a @ [1.0, -1.0] + 0.5
    ours, ref = LinearRegression().fit(X, y), skl.LinearRegression().fit(X, y)
    assert ours.rank_ == 2
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-8)


def test_linear_regression_gradient_descent():
    X, y = make_regression(80, 3, noise=0.5, bias=-2.0, random_state=1)
    exact = LinearRegression().fit(X, y)
    gd = LinearRegression(solver="gd", lr=0.1, epochs=500).fit(X, y)
    np.testing.assert_allclose(gd.coef_, exact.coef_, atol=1e-6)
    assert gd.intercept_ == pytest.approx(exact.intercept_, abs=1e-6)
    curve = np.array(gd.loss_curve_)
    assert len(curve) == gd.n_iter_ == 500 and np.all(np.diff(curve) <= 1e-12)
    assert curve[-1] == pytest.approx(np.mean((exact.predict(X) - y) ** 2), rel=1e-8)
    # one step by hand: from w = 0, b = 0 the gradient is (2/n) Xᵀ(−y), (2/n) Σ(−y)
    one = LinearRegression(solver="gd", lr=0.1, epochs=1).fit(X, y)
    np.testing.assert_allclose(one.coef_, 0.1 * 2 / len(y) * X.T @ y)
    assert one.intercept_ == pytest.approx(0.1 * 2 * y.mean())
    early = LinearRegression(solver="gd", lr=0.1, epochs=5000, tol=1e-6).fit(X, y)
    assert early.n_iter_ < 5000
    from chalkgrad.errors import NumericalError

    with pytest.raises(NumericalError, match="diverged"):
        LinearRegression(solver="gd", lr=10.0, epochs=500).fit(X * 100, y)


@pytest.mark.parametrize("loader,C", [(load_iris, 1.0), (load_iris, 0.05), (load_breast_cancer, 1.0),
                                      (load_breast_cancer, 0.05), (load_digits, 1.0)])
def test_logistic_probabilities_match_sklearn(loader, C):
    Xtr, Xte, ytr, yte = _split(loader)
    ours = LogisticRegression(C=C).fit(Xtr, ytr)
    ref = skl.LogisticRegression(C=C, tol=1e-10, max_iter=10000).fit(Xtr, ytr)
    np.testing.assert_allclose(ours.predict_proba(Xte), ref.predict_proba(Xte), atol=1e-4)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-3)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, atol=1e-3)
    assert abs(ours.score(Xte, yte) - ref.score(Xte, yte)) <= 0.02
    np.testing.assert_array_equal(ours.predict(Xte), ref.predict(Xte))
    np.testing.assert_allclose(ours.predict_log_proba(Xte), np.log(ours.predict_proba(Xte)), atol=1e-10)
    assert ours.coef_.shape == ref.coef_.shape and ours.intercept_.shape == ref.intercept_.shape
    assert ours.n_iter_[0] < 30


def test_logistic_gradient_descent_and_loss_curve():
    Xtr, Xte, ytr, yte = _split(load_iris)
    newton = LogisticRegression(C=1.0).fit(Xtr, ytr)
    gd = LogisticRegression(C=1.0, solver="gd", lr=1.0, max_iter=3000, tol=1e-7).fit(Xtr, ytr)
    np.testing.assert_allclose(gd.predict_proba(Xte), newton.predict_proba(Xte), atol=1e-4)
    curve = np.array(gd.loss_curve_)
    assert np.all(np.diff(curve) <= 1e-12)
    assert curve[0] == pytest.approx(np.log(3))  # softmax of zeros: −log(1/3)
    assert newton.loss_curve_[-1] <= curve[-1] + 1e-12
    with pytest.warns(ConvergenceWarning, match="max_iter=5"):
        LogisticRegression(solver="gd", max_iter=5).fit(Xtr, ytr)


def test_logistic_binary_by_hand():
    # one feature, symmetric data: the fit is symmetric (b = 0), and p(x) = σ(w x)
    X = np.array([[-2.0], [-1.0], [1.0], [2.0], [-0.5], [0.5]])
    y = np.array([0, 0, 1, 1, 1, 0])
    m = LogisticRegression(C=1.0).fit(X, y)
    assert m.intercept_[0] == pytest.approx(0.0, abs=1e-10)
    w = m.coef_[0, 0]
    p = 1 / (1 + np.exp(-w * X[:, 0]))
    np.testing.assert_allclose(m.predict_proba(X)[:, 1], p)
    # stationarity: C Σ (pᵢ − yᵢ) xᵢ + w = 0
    assert 1.0 * np.sum((p - y) * X[:, 0]) + w == pytest.approx(0.0, abs=1e-9)
    no_pen = LogisticRegression(penalty=None).fit(X, y)
    assert no_pen.coef_[0, 0] > w


def test_errors():
    X, y = load_iris(return_X_y=True)
    with pytest.raises(NotFittedError, match="call fit"):
        LogisticRegression().predict_proba(X)
    with pytest.raises(NotFittedError):
        LinearRegression().predict(X)
    with pytest.raises(ConfigError, match="C must be a positive number"):
        LogisticRegression(C=0).fit(X, y)
    with pytest.raises(ConfigError, match="unknown solver 'lbfgs'; valid solvers: 'newton', 'gd'"):
        LogisticRegression(solver="lbfgs").fit(X, y)
    with pytest.raises(ConfigError, match="penalty"):
        LogisticRegression(penalty="l1").fit(X, y)
    with pytest.raises(ConfigError, match="unknown solver"):
        LinearRegression(solver="svd").fit(X, y)
    with pytest.raises(ConfigError, match="lr"):
        LinearRegression(solver="gd", lr=-1).fit(X, y)
    with pytest.raises(ShapeError, match="X must be 2-D.*reshape"):
        LinearRegression().fit(X[:, 0], y)
    with pytest.raises(ShapeError, match="150 samples but y has 149"):
        LogisticRegression().fit(X, y[:-1])
    m = LinearRegression().fit(X, y)
    with pytest.raises(ShapeError, match=r"2 features, but \w+ is expecting 4 features as input"):
        m.predict(X[:, :2])
    with pytest.raises(ConfigError, match="unknown parameter 'alpha'; valid parameters: fit_intercept"):
        m.set_params(alpha=1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        LogisticRegression().fit(X, y)  # converges without warnings
