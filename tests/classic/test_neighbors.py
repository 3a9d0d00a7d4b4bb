"""KNeighborsClassifier/Regressor against scikit-learn: neighbors, distances, votes, probabilities; ties; errors."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn import neighbors as skn
from sklearn.datasets import load_breast_cancer, load_digits, load_iris
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from chalkgrad.classic import KNeighborsClassifier, KNeighborsRegressor, NotFittedError, pairwise_distances
from chalkgrad.errors import ConfigError, ShapeError
from helpers import examples


def _split(loader, scale=True):
    X, y = loader(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    if scale:
        sc = StandardScaler().fit(Xtr)
        Xtr, Xte = sc.transform(Xtr), sc.transform(Xte)
    return Xtr, Xte, ytr, yte


@pytest.fixture(scope="module")
def digits_jittered():
    # digits pixels are small integers, so many distances tie; a tiny jitter makes neighbor order unique
    Xtr, Xte, ytr, yte = _split(load_digits, scale=False)
    rng = np.random.default_rng(0)
    return Xtr + rng.uniform(0, 1e-3, Xtr.shape), Xte + rng.uniform(0, 1e-3, Xte.shape), ytr, yte


@pytest.mark.parametrize("metric,p", [("euclidean", 2), ("manhattan", 2), ("minkowski", 3), ("chebyshev", 2),
                                      ("cosine", 2), ("minkowski", 1)])
@pytest.mark.parametrize("weights", ["uniform", "distance"])
def test_classifier_identical_to_sklearn(digits_jittered, metric, p, weights):
    Xtr, Xte, ytr, _ = digits_jittered
    Xte = Xte[::9]  # 50 queries
    ours = KNeighborsClassifier(5, weights=weights, metric=metric, p=p).fit(Xtr, ytr)
    ref = skn.KNeighborsClassifier(5, weights=weights, metric=metric, p=p, algorithm="brute").fit(Xtr, ytr)
    d, i = ours.kneighbors(Xte)
    dr, ir = ref.kneighbors(Xte)
    np.testing.assert_array_equal(i, ir)
    np.testing.assert_allclose(d, dr, rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(ours.predict(Xte), ref.predict(Xte))
    np.testing.assert_allclose(ours.predict_proba(Xte), ref.predict_proba(Xte), atol=1e-9)


@pytest.mark.parametrize("loader", [load_iris, load_breast_cancer, load_digits])
def test_accuracy_matches_sklearn_on_datasets(loader):
    Xtr, Xte, ytr, yte = _split(loader)
    for weights in ("uniform", "distance"):
        ours = KNeighborsClassifier(5, weights=weights).fit(Xtr, ytr).score(Xte, yte)
        ref = skn.KNeighborsClassifier(5, weights=weights).fit(Xtr, ytr).score(Xte, yte)
        assert abs(ours - ref) <= 0.02
    # the sorted distances do not depend on how ties are ordered
    d = KNeighborsClassifier(5).fit(Xtr, ytr).kneighbors(Xte)[0]
    np.testing.assert_allclose(d, skn.KNeighborsClassifier(5).fit(Xtr, ytr).kneighbors(Xte)[0], atol=1e-9)


def test_regressor_identical_to_sklearn():
    rng = np.random.default_rng(1)
    X, Xq = rng.normal(size=(80, 4)), rng.normal(size=(30, 4))
    y = X @ [1.0, -2.0, 0.5, 0.0] + rng.normal(scale=0.1, size=80)
    for weights in ("uniform", "distance"):
        for metric in ("euclidean", "manhattan"):
            ours = KNeighborsRegressor(4, weights=weights, metric=metric).fit(X, y)
            ref = skn.KNeighborsRegressor(4, weights=weights, metric=metric).fit(X, y)
            np.testing.assert_allclose(ours.predict(Xq), ref.predict(Xq), rtol=1e-12)
            assert ours.score(Xq, Xq @ [1.0, -2.0, 0.5, 0.0]) == pytest.approx(
                ref.score(Xq, Xq @ [1.0, -2.0, 0.5, 0.0]), rel=1e-12)
    Y = np.stack([y, -y], 1)  # several outputs
    np.testing.assert_allclose(KNeighborsRegressor(3).fit(X, Y).predict(Xq),
                               skn.KNeighborsRegressor(3).fit(X, Y).predict(Xq), rtol=1e-12)


def test_exact_match_takes_all_the_weight():
    X = np.array([[0.0], [1.0], [1.0], [3.0]])
    y = np.array([0, 1, 1, 0])
    clf = KNeighborsClassifier(3, weights="distance").fit(X, y)
    np.testing.assert_allclose(clf.predict_proba([[1.0], [2.9]]),
                               skn.KNeighborsClassifier(3, weights="distance").fit(X, y).predict_proba([[1.0], [2.9]]))
    np.testing.assert_array_equal(clf.predict_proba([[1.0]]), [[0.0, 1.0]])
    reg = KNeighborsRegressor(3, weights="distance").fit(X, [5.0, 7.0, 9.0, 1.0])
    assert reg.predict([[1.0]])[0] == 8.0  # the two exact matches share the weight
    assert reg.predict([[0.5]])[0] == pytest.approx((5 / 0.5 + 7 / 0.5 + 9 / 0.5) / (3 / 0.5))


def test_documented_tie_rules():
    # distance ties: ordered by training index; vote ties: the smallest label wins
    X = np.array([[2.0], [-1.0], [1.0], [-2.0], [0.0]])
    y = np.array(["b", "a", "b", "a", "c"])
    clf = KNeighborsClassifier(4).fit(X, y)
    d, i = clf.kneighbors([[0.0]])
    np.testing.assert_array_equal(i, [[4, 1, 2, 0]])  # 0; then 1 and 2 at distance 1 in index order; 0 before 3
    np.testing.assert_array_equal(d, [[0.0, 1.0, 1.0, 2.0]])
    # neighbors of 0.1 (k=2): index 4 ('c') and index 2 ('b') — tie 1:1 → 'b' (smaller than 'c')
    assert KNeighborsClassifier(2).fit(X, y).predict([[0.1]])[0] == "b"
    # a 2:2 tie between 'a' and 'b' → 'a'
    assert KNeighborsClassifier(4).fit(X[:4], y[:4]).predict([[0.0]])[0] == "a"


@pytest.mark.parametrize("metric", ["euclidean", "manhattan", "chebyshev", "cosine"])
def test_ties_on_duplicated_data_follow_training_index(metric):
    # unscaled iris has duplicate rows and many equal distances: the order must be (distance, index)
    X, y = load_iris(return_X_y=True)
    clf = KNeighborsClassifier(7, metric=metric).fit(X, y)
    d, i = clf.kneighbors(X[::5])
    D = pairwise_distances(X[::5], X, metric)
    for row in range(len(i)):
        rounded = np.round(D[row], 9)  # equal on paper, equal here
        order = np.lexsort((np.arange(len(X)), rounded))[:7]
        np.testing.assert_array_equal(i[row], order)
        np.testing.assert_allclose(d[row], D[row, order], atol=1e-9)


def test_kneighbors_options_and_self_query():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(40, 3))
    y = rng.integers(0, 3, 40)
    ours = KNeighborsClassifier(3).fit(X, y)
    ref = skn.KNeighborsClassifier(3).fit(X, y)
    i = ours.kneighbors(X[:5], n_neighbors=6, return_distance=False)
    np.testing.assert_array_equal(i, ref.kneighbors(X[:5], n_neighbors=6, return_distance=False))
    d, i = ours.kneighbors()  # training points, each excluding itself
    dr, ir = ref.kneighbors()
    np.testing.assert_array_equal(i, ir)
    np.testing.assert_allclose(d, dr, atol=1e-12)
    # small chunks give the same answer
    small = KNeighborsClassifier(3, chunk_size=7).fit(X, y)
    np.testing.assert_array_equal(small.kneighbors(X[:20])[1], ours.kneighbors(X[:20])[1])
    custom = KNeighborsClassifier(3, weights=lambda d: np.exp(-d)).fit(X, y)
    assert custom.predict_proba(X[:3]).shape == (3, 3)


def test_pairwise_distances():
    rng = np.random.default_rng(3)
    A, B = rng.normal(size=(5, 3)), rng.normal(size=(4, 3))
    from sklearn.metrics import pairwise_distances as skpd

    for metric in ("euclidean", "manhattan", "chebyshev", "cosine"):
        np.testing.assert_allclose(pairwise_distances(A, B, metric), skpd(A, B, metric=metric), atol=1e-12)
    np.testing.assert_allclose(pairwise_distances(A, B, "minkowski", p=3), skpd(A, B, metric="minkowski", p=3))


def test_errors():
    X, y = np.zeros((4, 2)), np.array([0, 1, 0, 1])
    with pytest.raises(NotFittedError, match="fit"):
        KNeighborsClassifier(3).predict(X)
    with pytest.raises(ConfigError, match="n_neighbors=5 is larger than the number of training samples"):
        KNeighborsClassifier(5).fit(X, y)
    with pytest.raises(ConfigError, match="n_neighbors=4 is larger.*available \\(3, each query excluding itself"):
        KNeighborsClassifier(4).fit(X, y).kneighbors()
    clf = KNeighborsClassifier(3).fit(X, y)
    with pytest.raises(ConfigError, match="unknown metric 'hamming'.*'euclidean', 'manhattan'"):
        KNeighborsClassifier(3, metric="hamming").fit(X, y)
    with pytest.raises(ConfigError, match="weights"):
        KNeighborsClassifier(3, weights="inverse").fit(X, y)
    with pytest.raises(ConfigError, match="unknown algorithm 'lsh'"):
        KNeighborsClassifier(3, algorithm="lsh").fit(X, y)
    assert KNeighborsClassifier(3, algorithm="kd_tree").fit(X, y).predict(X).shape == (4,)
    with pytest.raises(ConfigError, match="n_neighbors"):
        KNeighborsClassifier(0).fit(X, y)
    with pytest.raises(ConfigError, match="p must be >= 1"):
        KNeighborsClassifier(3, p=0.5).fit(X, y)
    with pytest.raises(ShapeError, match=r"3 features, but \w+ is expecting 2 features as input"):
        clf.predict(np.zeros((2, 3)))
    with pytest.raises(ShapeError, match="X must be 2-D"):
        clf.predict(np.zeros(2))
    with pytest.raises(ShapeError, match="4 samples but y has 2"):
        KNeighborsRegressor(1).fit(X, y[:2])


@examples(15)
@given(n=st.integers(3, 30), d=st.integers(1, 4), k=st.integers(1, 3), seed=st.integers(0, 2**16),
       metric=st.sampled_from(["euclidean", "manhattan", "chebyshev", "cosine"]),
       weights=st.sampled_from(["uniform", "distance"]))
def test_random_data_identical_to_sklearn(n, d, k, seed, metric, weights):
    rng = np.random.default_rng(seed)
    X, Xq = rng.normal(size=(n, d)), rng.normal(size=(5, d))
    y = rng.integers(0, 3, n)
    ours = KNeighborsClassifier(k, weights=weights, metric=metric).fit(X, y)
    ref = skn.KNeighborsClassifier(k, weights=weights, metric=metric, algorithm="brute").fit(X, y)
    d_o, i_o = ours.kneighbors(Xq)
    d_r, i_r = ref.kneighbors(Xq)
    np.testing.assert_array_equal(i_o, i_r)
    np.testing.assert_allclose(d_o, d_r, atol=1e-12)
    np.testing.assert_allclose(ours.predict_proba(Xq), ref.predict_proba(Xq), atol=1e-12)
    np.testing.assert_array_equal(ours.predict(Xq), ref.predict(Xq))
