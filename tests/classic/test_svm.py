"""SVC (SMO) and LinearSVC against scikit-learn: decision functions, support vectors, accuracy; margins; errors."""

import numpy as np
import pytest
from sklearn import svm as sks
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, make_blobs, make_classification
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from chalkgrad.classic import SVC, LinearSVC, NotFittedError, kernel_matrix
from chalkgrad.errors import ConfigError, ShapeError


def _split(loader):
    X, y = loader(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    sc = StandardScaler().fit(Xtr)
    return sc.transform(Xtr), sc.transform(Xte), ytr, yte


def _separable():
    X, y = make_blobs(40, 2, centers=[[-2, -2], [2, 2]], cluster_std=0.6, random_state=0)
    return X, y


def _overlapping():
    return make_classification(60, 4, n_informative=3, n_redundant=0, class_sep=0.8, random_state=1)


@pytest.mark.parametrize("data", [_separable, _overlapping])
@pytest.mark.parametrize("kw", [dict(kernel="linear", C=1.0), dict(kernel="linear", C=100.0),
                                dict(kernel="rbf", C=1.0), dict(kernel="rbf", C=10.0, gamma=0.3),
                                dict(kernel="poly", C=1.0, degree=3, coef0=1.0, gamma="auto"),
                                dict(kernel="sigmoid", C=0.5, gamma=0.1, coef0=0.0)])
def test_svc_binary_matches_sklearn(data, kw):
    X, y = data()
    ours = SVC(tol=1e-8, **kw).fit(X, y)
    ref = sks.SVC(tol=1e-8, **kw).fit(X, y)
    Xq = np.vstack([X, X[:10] * 0.5 + 0.1])
    d, dr = ours.decision_function(Xq), ref.decision_function(Xq)
    np.testing.assert_allclose(d, dr, rtol=1e-3, atol=1e-3 * np.abs(dr).max())
    np.testing.assert_array_equal(ours.support_, ref.support_)
    np.testing.assert_array_equal(ours.n_support_, ref.n_support_)
    np.testing.assert_allclose(ours.support_vectors_, ref.support_vectors_)
    np.testing.assert_allclose(ours.dual_coef_, ref.dual_coef_, atol=1e-4 * kw["C"])
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, atol=1e-3)
    np.testing.assert_array_equal(ours.predict(Xq), ref.predict(Xq))
    if kw["kernel"] == "linear":
        np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-3, atol=1e-5)
        assert ours.margin_width() == pytest.approx(2 / np.linalg.norm(ref.coef_), rel=1e-3)
    else:
        with pytest.raises(AttributeError, match="only available when kernel='linear'"):
            ours.coef_  # noqa: B018


def test_svc_separable_margin_hand_checked():
    # two points per class on a line: the maximum margin separator is x1 = 0, w = (1, 0), margin 2
    X = np.array([[-1.0, 0.0], [-2.0, 1.0], [1.0, 0.0], [2.0, -1.0]])
    y = np.array([0, 0, 1, 1])
    m = SVC(kernel="linear", C=1e6, tol=1e-10).fit(X, y)
    np.testing.assert_allclose(m.coef_, [[1.0, 0.0]], atol=1e-8)
    np.testing.assert_allclose(m.intercept_, [0.0], atol=1e-8)
    np.testing.assert_array_equal(m.support_, [0, 2])
    np.testing.assert_allclose(m.dual_coef_, [[-0.5, 0.5]], atol=1e-8)
    assert m.margin_width() == pytest.approx(2.0)
    np.testing.assert_allclose(m.decision_function(X), [-1, -2, 1, 2], atol=1e-8)


def test_svc_multiclass_ovo_matches_sklearn():
    X, y = make_blobs(90, 3, centers=4, cluster_std=2.0, random_state=3)
    for kernel in ("linear", "rbf"):
        ours = SVC(kernel=kernel, tol=1e-8, decision_function_shape="ovo").fit(X, y)
        ref = sks.SVC(kernel=kernel, tol=1e-8, decision_function_shape="ovo").fit(X, y)
        dr = ref.decision_function(X)
        np.testing.assert_allclose(ours.decision_function(X), dr, rtol=1e-3, atol=1e-3 * np.abs(dr).max())
        np.testing.assert_array_equal(ours.support_, ref.support_)
        np.testing.assert_array_equal(ours.n_support_, ref.n_support_)
        np.testing.assert_allclose(ours.dual_coef_, ref.dual_coef_, atol=1e-5)
        np.testing.assert_allclose(ours.intercept_, ref.intercept_, atol=1e-4)
        np.testing.assert_array_equal(ours.predict(X), ref.predict(X))
        ours.set_params(decision_function_shape="ovr")
        ref.set_params(decision_function_shape="ovr")
        np.testing.assert_allclose(ours.decision_function(X), ref.decision_function(X), atol=1e-4)
    assert ours.margin_width().shape == (6,)


@pytest.mark.parametrize("loader", [load_iris, load_breast_cancer, load_digits])
def test_svc_accuracy_on_datasets(loader):
    Xtr, Xte, ytr, yte = _split(loader)
    for kernel in ("rbf", "linear"):
        ours = SVC(kernel=kernel).fit(Xtr, ytr)
        ref = sks.SVC(kernel=kernel).fit(Xtr, ytr)
        assert abs(ours.score(Xte, yte) - ref.score(Xte, yte)) <= 0.02
        assert (ours.predict(Xte) == ref.predict(Xte)).mean() >= 0.98


def test_gamma_scale_and_auto():
    X, y = _overlapping()
    assert SVC().fit(X, y)._gamma == pytest.approx(1 / (X.shape[1] * X.var()))
    assert SVC(gamma="auto").fit(X, y)._gamma == pytest.approx(1 / X.shape[1])
    K = kernel_matrix(X[:3], X[:4], "rbf", gamma=0.5)
    np.testing.assert_allclose(K, np.exp(-0.5 * ((X[:3, None] - X[None, :4]) ** 2).sum(-1)))


def test_svc_column_cache_path_matches_full_kernel():
    X, y = _overlapping()
    full = SVC(tol=1e-8).fit(X, y)
    tiny = SVC(tol=1e-8, cache_size=0.01).fit(X, y)  # 10 KB: columns computed on demand
    np.testing.assert_allclose(tiny.decision_function(X), full.decision_function(X), atol=1e-10)


@pytest.mark.parametrize("loader", [load_iris, load_breast_cancer, load_digits])
def test_linear_svc_matches_sklearn(loader):
    Xtr, Xte, ytr, yte = _split(loader)
    ours = LinearSVC(tol=1e-10).fit(Xtr, ytr)
    ref = sks.LinearSVC(tol=1e-10, max_iter=100000).fit(Xtr, ytr)
    assert abs(ours.score(Xte, yte) - ref.score(Xte, yte)) <= 0.02
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-4 * max(1.0, np.abs(ref.coef_).max()))
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, atol=1e-4)


@pytest.mark.parametrize("loss", ["hinge", "squared_hinge"])
def test_linear_svc_dual_cd_matches_sklearn(loss):
    X, y = _overlapping()
    ours = LinearSVC(loss=loss, solver="dcd", tol=1e-8, max_iter=20000, random_state=0).fit(X, y)
    ref = sks.LinearSVC(loss=loss, dual=True, tol=1e-10, max_iter=1000000).fit(X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-4)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, atol=1e-4)
    np.testing.assert_allclose(ours.decision_function(X), ref.decision_function(X), atol=1e-3)
    assert ours.margin_width() == pytest.approx(2 / np.linalg.norm(ref.coef_), rel=1e-3)


def test_linear_svc_pegasos_reaches_the_optimum():
    X, y = _overlapping()
    exact = LinearSVC(loss="hinge", solver="dcd", tol=1e-8, max_iter=20000, random_state=0).fit(X, y)
    peg = LinearSVC(loss="hinge", solver="pegasos", max_iter=3000).fit(X, y)
    f_opt = exact.loss_curve_[-1]
    # the primal objective ½‖w‖² + C Σ hinge, recomputed by hand for the optimum
    Xt = np.hstack([X, np.ones((len(X), 1))])
    w = np.append(exact.coef_[0], exact.intercept_[0])
    yy = np.where(y == 1, 1.0, -1.0)
    assert f_opt == pytest.approx(0.5 * w @ w + np.maximum(0, 1 - yy * (Xt @ w)).sum(), rel=1e-12)
    assert len(peg.loss_curve_) == 3000 and min(peg.loss_curve_) <= f_opt * (1 + 1e-3)
    np.testing.assert_allclose(peg.coef_, exact.coef_, atol=1e-2)
    np.testing.assert_array_equal(peg.predict(X), exact.predict(X))
    Xtr, Xte, ytr, yte = _split(load_breast_cancer)
    ref = sks.LinearSVC(loss="hinge", max_iter=100000).fit(Xtr, ytr)
    ours = LinearSVC(loss="hinge", solver="pegasos", max_iter=500).fit(Xtr, ytr)
    assert abs(ours.score(Xte, yte) - ref.score(Xte, yte)) <= 0.02


def test_linear_svc_newton_equals_dual_cd():
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    a = LinearSVC(C=0.5, solver="newton", tol=1e-12).fit(X, y)
    b = LinearSVC(C=0.5, solver="dcd", tol=1e-9, max_iter=50000, random_state=1).fit(X, y)
    np.testing.assert_allclose(a.coef_, b.coef_, atol=1e-5)
    assert a.margin_width().shape == (3,)
    assert len(a.loss_curve_) == 3 and all(np.all(np.diff(c) <= 1e-9) for c in a.loss_curve_)


def test_errors():
    X, y = _overlapping()
    for est in (SVC(), LinearSVC()):
        with pytest.raises(NotFittedError, match="not fitted"):
            est.predict(X)
    for C in (0, -1.0):
        with pytest.raises(ConfigError, match="C must be a positive number"):
            SVC(C=C).fit(X, y)
        with pytest.raises(ConfigError, match="C must be a positive number"):
            LinearSVC(C=C).fit(X, y)
    with pytest.raises(ConfigError, match="unknown kernel 'gauss'.*'linear', 'poly', 'rbf', 'sigmoid'"):
        SVC(kernel="gauss").fit(X, y)
    with pytest.raises(ConfigError, match="gamma"):
        SVC(gamma="big").fit(X, y)
    with pytest.raises(ConfigError, match="gamma"):
        SVC(gamma=-1.0).fit(X, y)
    with pytest.raises(ConfigError, match="loss"):
        LinearSVC(loss="log").fit(X, y)
    with pytest.raises(ConfigError, match="solver='newton' needs"):
        LinearSVC(loss="hinge", solver="newton").fit(X, y)
    with pytest.raises(ConfigError, match="solver='pegasos' is sub-gradient descent on loss='hinge'"):
        LinearSVC(solver="pegasos").fit(X, y)
    with pytest.raises(ConfigError, match="unknown solver 'sgd'.*'auto', 'newton', 'dcd', 'pegasos'"):
        LinearSVC(solver="sgd").fit(X, y)
    with pytest.raises(ConfigError, match="two classes"):
        SVC().fit(X, np.zeros(len(X)))
    m = SVC().fit(X, y)
    with pytest.raises(ShapeError, match=r"3 features, but \w+ is expecting 4 features as input"):
        m.decision_function(X[:, :3])
    with pytest.raises(ShapeError, match="60 samples but y has 59"):
        LinearSVC().fit(X, y[:-1])
    from chalkgrad.classic import ConvergenceWarning

    with pytest.warns(ConvergenceWarning, match="max_iter=3"):
        SVC(max_iter=3).fit(X, y)
    with pytest.raises(ConfigError, match="max_iter"):
        SVC(max_iter=0).fit(X, y)
    assert SVC(C=2.0).get_params()["C"] == 2.0
    assert "C=2.0" in repr(SVC(C=2.0))
