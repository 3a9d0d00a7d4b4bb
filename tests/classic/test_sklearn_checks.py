"""scikit-learn's own estimator checks on the classic learners, and the input errors they expect.

Every check ``check_estimator`` runs must pass: the list of expected failures is explicit and empty
for every estimator. Two checks are skipped by scikit-learn itself when their tools are missing
(``check_array_api_input`` without SCIPY_ARRAY_API=1, ``check_*_data_not_an_array`` without pandas).
scikit-learn's own estimators run more checks only because they take ``sample_weight``.
"""

import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn", minversion="1.6")  # expected_failed_checks and Tags arrived in 1.6

from sklearn import exceptions as sk_exceptions  # noqa: E402
from sklearn import linear_model, neighbors, svm  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from chalkgrad import classic  # noqa: E402
from chalkgrad.errors import ChalkgradError  # noqa: E402

ESTIMATORS = [classic.Perceptron(), classic.KNeighborsClassifier(), classic.KNeighborsRegressor(),
              classic.LinearSVC(), classic.SVC(), classic.LinearRegression(), classic.LogisticRegression()]

#: Checks each estimator is known to fail, with the reason. Empty: every check passes.
EXPECTED_FAILURES: dict[str, dict[str, str]] = {type(e).__name__: {} for e in ESTIMATORS}


with warnings.catch_warnings():  # "does not inherit from sklearn.base.BaseEstimator": on purpose, no dependency
    warnings.simplefilter("ignore", UserWarning)
    _EVERY_CHECK = parametrize_with_checks(ESTIMATORS,
                                           expected_failed_checks=lambda e: EXPECTED_FAILURES[type(e).__name__])


@_EVERY_CHECK
def test_scikit_learn_estimator_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", classic.ConvergenceWarning)
        check(estimator)


def test_not_fitted_error_is_scikit_learns_too():
    for estimator in ESTIMATORS:
        with pytest.raises(sk_exceptions.NotFittedError) as info:
            estimator.predict(np.zeros((2, 3)))
        assert isinstance(info.value, (classic.NotFittedError, ChalkgradError, ValueError, AttributeError))
        assert type(info.value).__name__ == "NotFittedError" and "not fitted yet" in str(info.value)
    again = pickle.loads(pickle.dumps(info.value))  # as joblib sends it back from a worker process
    assert type(again) is type(info.value) and again.args == info.value.args


def test_without_scikit_learn_imported_the_errors_are_chalkgrads_own():
    code = """
import sys, warnings
import numpy as np
from chalkgrad import classic
assert 'sklearn' not in sys.modules
try:
    classic.SVC().predict(np.zeros((1, 2)))
except classic.NotFittedError as e:
    assert type(e) is classic.NotFittedError and isinstance(e, (ValueError, AttributeError))
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter('always')
    classic.LogisticRegression().fit(np.eye(4), np.array([[0], [1], [0], [1]]))
assert type(w[0].message) is classic.DataConversionWarning, w
assert 'sklearn' not in sys.modules
print('ok')
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


X = np.random.default_rng(0).normal(size=(12, 3))
Y_CLASSES = np.array([0, 1, 2] * 4)

# (ours, scikit-learn's): the same bad input must give the same kind of error in both.
PAIRS = [(classic.LogisticRegression(), linear_model.LogisticRegression()),
         (classic.KNeighborsClassifier(3), neighbors.KNeighborsClassifier(3)),
         (classic.SVC(), svm.SVC()), (classic.LinearSVC(), svm.LinearSVC()),
         (classic.Perceptron(), linear_model.Perceptron()),
         (classic.LinearRegression(), linear_model.LinearRegression()),
         (classic.KNeighborsRegressor(3), neighbors.KNeighborsRegressor(3))]


def _bad_inputs(is_classifier):
    scipy_sparse = pytest.importorskip("scipy.sparse")
    y = Y_CLASSES if is_classifier else X[:, 0]
    cases = [
        ("sparse X", lambda: (scipy_sparse.csr_matrix(X), y), "sparse"),
        ("complex X", lambda: (X + 1j, y), "Complex data not supported"),
        ("no features", lambda: (np.empty((12, 0)), y), r"0 feature\(s\)"),
        ("NaN in y", lambda: (X, np.where(np.arange(12) == 3, np.nan, y.astype(float))), "Input y contains NaN"),
        ("inf in y", lambda: (X, np.full(12, np.inf)), "Input y contains infinity"),
        ("y is None", lambda: (X, None), "requires y to be passed"),
    ]
    if is_classifier:
        cases.append(("continuous y", lambda: (X, X[:, 0]), "Unknown label type: continuous"))
    return cases


@pytest.mark.parametrize("ours,theirs", PAIRS, ids=lambda e: type(e).__name__)
def test_bad_inputs_raise_what_scikit_learn_raises(ours, theirs):
    is_classifier = getattr(ours, "_estimator_type", None) == "classifier"
    for label, make, phrase in _bad_inputs(is_classifier):
        Xb, yb = make()
        with pytest.raises(ChalkgradError, match=phrase) as our_error:
            ours.fit(Xb, yb)
        assert type(ours).__name__ in str(our_error.value), label  # ours also name the estimator
        try:
            theirs.fit(Xb, yb)
        except Exception as sk_error:  # noqa: BLE001 - compare whatever scikit-learn raises
            for builtin in (ValueError, TypeError):
                assert isinstance(our_error.value, builtin) == isinstance(sk_error, builtin), label
        else:  # several of scikit-learn's estimators take sparse X; ours are dense-only and say so
            assert label == "sparse X", label


@pytest.mark.parametrize("ours,theirs", PAIRS, ids=lambda e: type(e).__name__)
def test_column_vector_y_warns_as_scikit_learn_does(ours, theirs):
    y = Y_CLASSES if getattr(ours, "_estimator_type", None) == "classifier" else X[:, 0]
    with warnings.catch_warnings(record=True) as sk_warned:
        warnings.simplefilter("always")
        theirs.fit(X, y[:, None])
    with warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        ours.fit(X, y[:, None])
    sk_conversion = [w for w in sk_warned if issubclass(w.category, sk_exceptions.DataConversionWarning)]
    conversion = [w for w in warned if issubclass(w.category, sk_exceptions.DataConversionWarning)]
    assert len(conversion) == len(sk_conversion)
    assert all(issubclass(w.category, classic.DataConversionWarning) for w in conversion)
    np.testing.assert_array_equal(ours.predict(X).shape, theirs.predict(X).shape)


def test_model_selection_tools_run_them_like_scikit_learns():
    from sklearn.datasets import make_classification
    from sklearn.model_selection import GridSearchCV, cross_val_score

    # Continuous features and two classes with odd k: no distance or vote ties, so both must agree exactly.
    Xc, yc = make_classification(n_samples=150, n_features=4, n_informative=3, n_redundant=0, flip_y=0.1,
                                 random_state=0)
    ours = cross_val_score(classic.KNeighborsClassifier(5), Xc, yc, cv=5)
    theirs = cross_val_score(neighbors.KNeighborsClassifier(5), Xc, yc, cv=5)
    np.testing.assert_allclose(ours, theirs)
    search = GridSearchCV(classic.KNeighborsClassifier(), {"n_neighbors": [1, 3, 5, 7]}, cv=3).fit(Xc, yc)
    sk_search = GridSearchCV(neighbors.KNeighborsClassifier(), {"n_neighbors": [1, 3, 5, 7]}, cv=3).fit(Xc, yc)
    assert search.best_params_ == sk_search.best_params_
    np.testing.assert_allclose(search.cv_results_["mean_test_score"], sk_search.cv_results_["mean_test_score"])
