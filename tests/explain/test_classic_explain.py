"""Worked perceptron, k-NN and linear SVM solutions: hand-worked rows, scikit-learn values, problem files."""

import os
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.neighbors import KNeighborsClassifier as SkKNN
from sklearn.neighbors import KNeighborsRegressor as SkKNNR
from sklearn.svm import SVC as SkSVC

from chalkgrad.errors import ConfigError, ShapeError
from chalkgrad.explain import render
from chalkgrad.explain.classic import explain_knn, explain_perceptron, explain_svm, logic_gate
from chalkgrad.explain.problem import load_problem, solve_problem

from .problem_helpers import assert_bad_problem
from .problem_helpers import solve_cli as _solve_cli

ROOT = Path(__file__).resolve().parents[2]
PROBLEMS = ROOT / "examples" / "problems"
GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("CHALKGRAD_UPDATE_GOLDEN") == "1"


# ----------------------------------------------------------------------------- perceptron
def test_and_gate_rows_worked_by_hand():
    X, t = logic_gate("and")
    sol = explain_perceptron(X, t, eta=0.1, epochs=10, w_init=[0.3, -0.1], b_init=0.2)
    sol.verify()
    # epoch 1, sample 1: net = 0.3·0 − 0.1·0 + 0.2 = 0.2 > 0, o = 1, e = 0 − 1 = −1: b → 0.1
    assert (sol["net_1,1"], sol["o_1,1"], sol["e_1,1"]) == pytest.approx((0.2, 1, -1))
    # sample 2: net = −0.1 + 0.1 = 0: o = 1 (o = 1 when net ≥ 0), e = −1: w2 → −0.2, b → 0
    assert (sol["net_1,2"], sol["o_1,2"], sol["e_1,2"]) == pytest.approx((0, 1, -1), abs=1e-15)
    # sample 4: w = (0.2, −0.2), b = −0.1: net = −0.1, o = 0, e = 1: w → (0.3, −0.1), b → 0
    assert (sol["net_1,4"], sol["o_1,4"], sol["e_1,4"]) == pytest.approx((-0.1, 0, 1))
    # converged in epoch 7 with w = (0.2, 0.1), b = −0.3 (0.2·1 + 0.1·1 − 0.3 = 0 → o = 1 for (1, 1))
    assert (sol["w1"], sol["w2"], sol["b"]) == pytest.approx((0.2, 0.1, -0.3))
    text = render(sol, precision=4)
    assert "Converged: epoch 7 made no error" in text
    assert "Δw2 = η·e_1,2·x_2,2 = 0.1·(−1)·1 = −0.1" in text
    assert "o_1,2 = 1   (net = 0: by the convention o = 1)" in text


def test_xor_never_converges_and_says_why():
    X, t = logic_gate("xor")
    sol = explain_perceptron(X, t, eta=1.0, epochs=6)
    text = render(sol)
    assert "Not converged within 6 epochs" in text and "for XOR none exists" in text
    assert sol.sections[-2].title == "Epoch 6"


def test_or_not_and_threshold_form():
    for gate in ("or", "not", "nand"):
        X, t = logic_gate(gate)
        sol = explain_perceptron(X, t, eta=0.5, epochs=20)
        assert "Converged" in render(sol)
        w = np.array([sol[f"w{k + 1}"] for k in range(X.shape[1])])
        assert np.all((X @ w + sol["b"] >= 0) == (t == 1))
    X = np.array([[2, 1], [1, 3], [-1, -1], [-2, 1]])
    sol = explain_perceptron(X, [1, 1, -1, -1], eta=0.5, targets="bipolar", form="threshold", b_init=0.5)
    assert "θ" in sol.values() and "net = Σ w_k·x_k − θ" in sol.conventions[0]
    assert sol["θ"] == pytest.approx(-0.5)  # θ⁺ = θ − η·e = 0.5 − 0.5·2


def test_perceptron_errors():
    X, t = logic_gate("and")
    with pytest.raises(ConfigError, match="binary targets must be 0 or 1"):
        explain_perceptron(X, [0, 0, 0, 2])
    with pytest.raises(ConfigError, match="epochs must be an integer from 1 to 30"):
        explain_perceptron(X, t, epochs=31)
    with pytest.raises(ShapeError, match="4 samples but 3 targets"):
        explain_perceptron(X, [0, 0, 1])
    with pytest.raises(ConfigError, match="at most 20 samples"):
        explain_perceptron(np.zeros((21, 2)), [0, 1] * 10 + [0])
    with pytest.raises(ConfigError, match="unknown gate 'xnor'"):
        logic_gate("xnor")


# ----------------------------------------------------------------------------- knn
POINTS = np.array([[1.0, 2.0], [2.0, 3.0], [3.0, 3.0], [6.0, 5.0], [7.0, 7.0], [5.0, 6.0], [3.5, 1.0]])
LABELS = np.array([0, 0, 1, 1, 1, 0, 1])


@pytest.mark.parametrize("metric,p", [("euclidean", 2), ("manhattan", 1), ("minkowski", 3), ("cosine", 2)])
@pytest.mark.parametrize("weights", ["uniform", "distance"])
def test_knn_distances_and_votes_equal_scikit_learn(metric, p, weights):
    q = np.array([3.0, 4.0])
    sol = explain_knn(POINTS, LABELS, q, k=3, metric=metric, p=p, weights=weights)
    sol.verify()
    sk = SkKNN(n_neighbors=len(POINTS), metric=metric, p=p, algorithm="brute").fit(POINTS, LABELS)
    dist, ind = sk.kneighbors(q[None])
    for dd, i in zip(dist[0], ind[0]):
        assert sol[f"d_{i + 1}"] == pytest.approx(dd, rel=1e-12, abs=1e-15)
    sk3 = SkKNN(n_neighbors=3, metric=metric, p=p, weights=weights, algorithm="brute").fit(POINTS, LABELS)
    proba = sk3.predict_proba(q[None])[0]
    assert [sol["P_0"], sol["P_1"]] == pytest.approx(proba, rel=1e-12)
    assert f"Prediction: {sk3.predict(q[None])[0]}" in render(sol)


def test_knn_regression_and_exact_match():
    q = np.array([3.0, 3.0])
    y = np.array([10.0, 14.0, 12.0, 20.0, 8.0, 9.0, 11.0])
    sol = explain_knn(POINTS, y, q, k=3, metric="manhattan", weights="distance", task="regression")
    sk = SkKNNR(n_neighbors=3, metric="manhattan", weights="distance", algorithm="brute").fit(POINTS, y)
    assert sol["ŷ"] == pytest.approx(sk.predict(q[None])[0], rel=1e-12)
    assert sol["d_3"] == 0 and sol["w_3"] == 1 and sol["ŷ"] == 12  # an exact match takes all the weight


def test_knn_tie_rules_are_stated():
    X = np.array([[0.0], [2.0], [4.0], [-2.0]])
    sol = explain_knn(X, ["b", "a", "b", "a"], [1.0], k=2)
    text = render(sol)
    assert "point 1 (d = 1), point 2 (d = 1)" in text  # equal distances: the lower index first
    assert "Prediction: a (a tie, broken towards the smallest label)" in text


def test_knn_errors():
    with pytest.raises(ConfigError, match="unknown metric 'hamming'; expected one of euclidean"):
        explain_knn(POINTS, LABELS, [1, 1], metric="hamming")
    with pytest.raises(ShapeError, match="the query must have 2 values"):
        explain_knn(POINTS, LABELS, [1, 1, 1])
    with pytest.raises(ConfigError, match="k must be an integer from 1 to the number of training points"):
        explain_knn(POINTS, LABELS, [1, 1], k=8)
    with pytest.raises(ConfigError, match="undefined for a zero vector"):
        explain_knn(POINTS, LABELS, [0, 0], metric="cosine")


# ----------------------------------------------------------------------------- svm
SVM_X = np.array([[1.0, 1.0], [2.0, 2.0], [2.0, 0.0], [0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
SVM_Y = np.array([1, 1, 1, -1, -1, -1])


def test_linear_svm_equals_scikit_learn_and_the_hand_solution():
    sol = explain_svm(SVM_X, SVM_Y, C=10, points=[[1, 1.5]])
    sk = SkSVC(kernel="linear", C=10, tol=1e-10).fit(SVM_X, SVM_Y)
    assert [sol["w_1"], sol["w_2"]] == pytest.approx(sk.coef_[0], abs=1e-6)
    assert sol["b"] == pytest.approx(sk.intercept_[0], abs=1e-6)
    # by hand: w = (2, 2), b = −3, ‖w‖ = 2√2, margin 2/‖w‖ = 1/√2
    assert (sol["w_1"], sol["w_2"], sol["b"]) == pytest.approx((2, 2, -3), abs=1e-8)
    assert sol["margin"] == pytest.approx(1 / np.sqrt(2), abs=1e-8)
    assert sol["f_p1"] == pytest.approx(2, abs=1e-8)
    for i in range(6):
        assert sol[f"f_{i + 1}"] == pytest.approx(sk.decision_function(SVM_X)[i], abs=1e-6)
    text = render(sol, precision=4)
    assert "margin = 2/|w| = 2/2.8284 = 0.7071" in text
    # point 6 lies on the margin but needs no α (the dual has several solutions): stated, not hidden
    assert "m_6 = y_6·f_6 = (−1)·(−1) = 1   (not a support vector, on the margin)" in text


def test_support_vectors_and_alphas_equal_scikit_learn():
    X = np.array([[2.0, 2], [3, 3], [3, 0.5], [0, 0], [1, 0], [-1, 1], [0.5, 1.5]])
    y = np.array([1, 1, 1, -1, -1, -1, -1])
    sol = explain_svm(X, y, C=10)
    sk = SkSVC(kernel="linear", C=10, tol=1e-10).fit(X, y)
    alphas = {int(s.name[2:]) - 1: s.value for s in sol.steps() if s.name.startswith("α_")}
    assert sorted(alphas) == sorted(sk.support_)
    for i, coef in zip(sk.support_, sk.dual_coef_[0]):
        assert alphas[i] == pytest.approx(abs(coef), rel=1e-6)
    assert (sol["w_1"], sol["w_2"], sol["b"]) == pytest.approx((1.2, 0.4, -2.2), abs=1e-8)


def test_linear_svc_estimator_and_errors():
    sol = explain_svm(SVM_X, ["p", "p", "p", "n", "n", "n"], C=1.0, estimator="linear_svc")
    sol.verify()
    assert sol["w_1"] > 0 and sol["w_2"] > 0 and "+1 for class p" in sol.conventions[0]
    with pytest.raises(ConfigError, match="exactly two classes, got 3"):
        explain_svm(SVM_X, [0, 1, 2, 0, 1, 2])
    with pytest.raises(ConfigError, match="estimator must be 'svc' or 'linear_svc'"):
        explain_svm(SVM_X, SVM_Y, estimator="nusvc")


# ----------------------------------------------------------------------------- problem files
CLASSIC_FILES = ["perceptron_and_gate.yaml", "perceptron_xor.yaml", "perceptron_threshold_bipolar.yaml",
                 "knn_three_neighbours.yaml", "knn_distance_weighted_regression.yaml", "svm_linear_margin.yaml"]


@pytest.mark.parametrize("name", CLASSIC_FILES)
def test_example_problem_files_solve_and_verify(name):
    sol = solve_problem(load_problem(PROBLEMS / name))
    sol.verify()
    assert any(s.answer for s in sol.steps())


GOLDEN_CASES = [
    ("perceptron_and_gate.yaml", "text", "full", 4, "classic_perceptron_and_gate.txt"),
    ("knn_three_neighbours.yaml", "text", "full", 4, "classic_knn_three_neighbours.txt"),
    ("svm_linear_margin.yaml", "text", "full", 4, "classic_svm_linear_margin.txt"),
    ("svm_linear_margin.yaml", "md", "key", 4, "classic_svm_linear_margin.key.md"),
]


@pytest.mark.parametrize("problem,fmt,mode,precision,golden", GOLDEN_CASES, ids=[c[-1] for c in GOLDEN_CASES])
def test_golden_renderings(problem, fmt, mode, precision, golden):
    text = render(solve_problem(load_problem(PROBLEMS / problem)), format=fmt, precision=precision, mode=mode)
    path = GOLDEN / golden
    if UPDATE:
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"golden file {golden} is missing; run with CHALKGRAD_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8")


AND = (PROBLEMS / "perceptron_and_gate.yaml").read_text(encoding="utf-8")
BIPOLAR = (PROBLEMS / "perceptron_threshold_bipolar.yaml").read_text(encoding="utf-8")
KNN = (PROBLEMS / "knn_three_neighbours.yaml").read_text(encoding="utf-8")
SVM = (PROBLEMS / "svm_linear_margin.yaml").read_text(encoding="utf-8")

BAD = [
    (AND, "gate: and", "gate: xnor", r"p.yaml:3: gate: unknown gate 'xnor'; expected one of and, or, nand"),
    (AND, "weights: [0.3, -0.1]", "weights: [0.3]", r"p.yaml:4: weights: has 1 values; expected 2"),
    (AND, "lr: 0.1", "lr: -0.1", r"p.yaml:6: lr: expected a positive number"),
    (AND, "epochs: 10", "epochs: 100", r"p.yaml:7: epochs: expected an integer from 1 to 30"),
    (AND, "bias: 0.2", "bias: 0.2\nthreshold: 0.1", r"p.yaml:6: threshold: give a bias .* or a threshold"),
    (AND, "gate: and", "gate: and\ninputs: [[0, 1]]", r"p.yaml:3: gate: give either a gate or inputs and targets"),
    (AND, "lr: 0.1", "learning_rate: 0.1", r"p.yaml:6: problem: unknown key 'learning_rate'; expected one of"),
    (BIPOLAR, "targets: [1, 1, -1, -1]", "targets: [1, 1, 0, -1]",
     r"p.yaml:4: targets: bipolar targets must be \[-1.0, 1.0\]"),
    (BIPOLAR, "targets: [1, 1, -1, -1]", "targets: [1, 1, -1]", r"p.yaml:4: targets: has 3 values; expected 4"),
    (KNN, "metric: euclidean", "metric: hamming", r"p.yaml:7: metric: unknown metric 'hamming'; expected one of"),
    (KNN, "k: 3", "k: 9", r"p.yaml:6: k: expected an integer from 1 to 6"),
    (KNN, "query: [3, 4]", "query: [3, 4, 5]", r"p.yaml:5: query: has 3 value\(s\); the points have 2"),
    (KNN, "labels: [red, red, blue, blue, blue, red]", "labels: [red, blue]",
     r"p.yaml:4: labels: expected a list of 6 labels"),
    (KNN, "weights: uniform", "weights: gaussian", r"p.yaml:8: weights: unknown weights 'gaussian'"),
    (KNN, "k: 3", "k: 3\np: 3", r"p.yaml:7: p: p is the exponent of the minkowski metric"),
    (SVM, "kernel: linear", "kernel: rbf", r"p.yaml:6: kernel: unknown kernel 'rbf'; expected one of linear"),
    (SVM, "labels: [1, 1, 1, -1, -1, -1]", "labels: [1, 1, 1, -1, -1, 2]",
     r"p.yaml:4: labels: a worked SVM needs exactly two classes, got 3"),
    (SVM, "C: 10", "C: 0", r"p.yaml:5: C: expected a positive number"),
    (SVM, "query: [[1, 1.5], [0.5, 0.5]]", "query: [[1, 1.5, 2]]", r"p.yaml:7: query: points of 3 value"),
]


@pytest.mark.parametrize("base,old,new,message", BAD, ids=[b[3][8:40] for b in BAD])
def test_bad_problem_files(tmp_path, capsys, base, old, new, message):
    assert old in base
    assert_bad_problem(tmp_path, capsys, base.replace(old, new, 1), message)


_scalars = st.one_of(st.none(), st.booleans(), st.integers(-(10**6), 10**6), st.floats(allow_nan=True, width=32),
                     st.text(max_size=6))
_values = st.recursive(_scalars, lambda c: st.one_of(st.lists(c, max_size=3),
                                                     st.dictionaries(st.text(max_size=6), c, max_size=3)),
                       max_leaves=8)
_PATHS = {
    "and": [("gate",), ("weights",), ("weights", 0), ("bias",), ("lr",), ("epochs",), ("coding",),
            ("step_at_zero",), ("threshold",)],
    "bipolar": [("inputs",), ("inputs", 0), ("inputs", 0, 1), ("targets",), ("targets", 2), ("threshold",)],
    "knn": [("points",), ("points", 0), ("points", 1, 0), ("labels",), ("labels", 0), ("query",), ("k",),
            ("metric",), ("weights",), ("task",), ("p",)],
    "svm": [("points",), ("points", 2), ("labels",), ("labels", 1), ("C",), ("kernel",), ("estimator",),
            ("query",), ("query", 0)],
}
_BASES = {"and": AND, "bipolar": BIPOLAR, "knn": KNN, "svm": SVM}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(which=st.sampled_from(list(_PATHS)), data=st.data(), value=_values)
def test_mutated_files_never_crash(tmp_path, capsys, which, data, value):
    key_path = data.draw(st.sampled_from(_PATHS[which]))
    doc = yaml.safe_load(_BASES[which])
    node = doc
    try:
        for key in key_path[:-1]:
            node = node[key]
        node[key_path[-1]] = value
    except (KeyError, IndexError, TypeError):
        return
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    code = _solve_cli([str(path)])
    err = capsys.readouterr().err
    assert code in (0, 2)
    if code == 2:
        assert err.count("\n") == 1 and "m.yaml" in err
