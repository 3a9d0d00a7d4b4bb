"""Perceptron: every step of a hand-worked AND/OR example, convergence, one-vs-rest, options and errors."""

import numpy as np
import pytest

from chalkgrad.classic import NotFittedError, Perceptron
from chalkgrad.errors import ConfigError, ShapeError

GATE_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
AND_Y = np.array([0, 0, 0, 1])
OR_Y = np.array([0, 1, 1, 1])


def _rows(p):
    return [(s.epoch, s.index, s.net, s.output, s.target, s.error, tuple(s.delta_w), s.delta_b, tuple(s.w), s.b)
            for s in p.history_]


def test_and_gate_threshold_form_by_hand():
    # w = (0.3, -0.1), θ = 0.2, η = 0.5; net = w·x − θ, o = 1 if net ≥ 0; w += η e x, θ −= η e.
    p = Perceptron(eta0=0.5, w_init=[0.3, -0.1], b_init=0.2, form="threshold").fit(GATE_X, AND_Y)
    expected = [
        # epoch 1
        (1, 0, -0.2, 0, 0, 0, (0, 0), 0, (0.3, -0.1), 0.2),       # 0 − 0.2
        (1, 1, -0.3, 0, 0, 0, (0, 0), 0, (0.3, -0.1), 0.2),       # −0.1 − 0.2
        (1, 2, 0.1, 1, 0, -1, (-0.5, 0), 0.5, (-0.2, -0.1), 0.7),  # 0.3 − 0.2 ≥ 0 → o=1, wrong
        (1, 3, -1.0, 0, 1, 1, (0.5, 0.5), -0.5, (0.3, 0.4), 0.2),  # −0.3 − 0.7
        # epoch 2
        (2, 0, -0.2, 0, 0, 0, (0, 0), 0, (0.3, 0.4), 0.2),
        (2, 1, 0.2, 1, 0, -1, (0, -0.5), 0.5, (0.3, -0.1), 0.7),
        (2, 2, -0.4, 0, 0, 0, (0, 0), 0, (0.3, -0.1), 0.7),
        (2, 3, -0.5, 0, 1, 1, (0.5, 0.5), -0.5, (0.8, 0.4), 0.2),
        # epoch 3
        (3, 0, -0.2, 0, 0, 0, (0, 0), 0, (0.8, 0.4), 0.2),
        (3, 1, 0.2, 1, 0, -1, (0, -0.5), 0.5, (0.8, -0.1), 0.7),
        (3, 2, 0.1, 1, 0, -1, (-0.5, 0), 0.5, (0.3, -0.1), 1.2),
        (3, 3, -1.0, 0, 1, 1, (0.5, 0.5), -0.5, (0.8, 0.4), 0.7),
        # epoch 4
        (4, 0, -0.7, 0, 0, 0, (0, 0), 0, (0.8, 0.4), 0.7),
        (4, 1, -0.3, 0, 0, 0, (0, 0), 0, (0.8, 0.4), 0.7),
        (4, 2, 0.1, 1, 0, -1, (-0.5, 0), 0.5, (0.3, 0.4), 1.2),
        (4, 3, -0.5, 0, 1, 1, (0.5, 0.5), -0.5, (0.8, 0.9), 0.7),
        # epoch 5
        (5, 0, -0.7, 0, 0, 0, (0, 0), 0, (0.8, 0.9), 0.7),
        (5, 1, 0.2, 1, 0, -1, (0, -0.5), 0.5, (0.8, 0.4), 1.2),
        (5, 2, -0.4, 0, 0, 0, (0, 0), 0, (0.8, 0.4), 1.2),
        (5, 3, 0.0, 1, 1, 0, (0, 0), 0, (0.8, 0.4), 1.2),          # 0.8 + 0.4 − 1.2 = 0 → o = 1
        # epoch 6: no error, stop
        (6, 0, -1.2, 0, 0, 0, (0, 0), 0, (0.8, 0.4), 1.2),
        (6, 1, -0.8, 0, 0, 0, (0, 0), 0, (0.8, 0.4), 1.2),
        (6, 2, -0.4, 0, 0, 0, (0, 0), 0, (0.8, 0.4), 1.2),
        (6, 3, 0.0, 1, 1, 0, (0, 0), 0, (0.8, 0.4), 1.2),
    ]
    got = _rows(p)
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert g[:2] == e[:2]
        np.testing.assert_allclose(np.hstack([g[2:6], g[6], g[7], g[8], g[9]]),
                                   np.hstack([e[2:6], e[6], e[7], e[8], e[9]]), atol=1e-12, err_msg=str(e))
    np.testing.assert_array_equal(p.history_[0].x, [0, 0])
    assert p.converged_ and p.n_iter_ == 6
    assert p.errors_per_epoch_ == [2, 2, 3, 2, 1, 0]
    np.testing.assert_allclose(p.coef_, [[0.8, 0.4]])
    np.testing.assert_allclose(p.threshold_, [1.2])
    np.testing.assert_allclose(p.intercept_, [-1.2])
    np.testing.assert_array_equal(p.predict(GATE_X), AND_Y)  # (1, 1): 0.8 + 0.4 − 1.2 = 0 → 1
    assert Perceptron(eta0=0.5, w_init=[0.3, -0.1], b_init=0.2, form="threshold", step_at_zero=0).fit(
        GATE_X, AND_Y).converged_
    assert [s.updated for s in p.history_[:4]] == [False, False, True, True]
    table = p.history_table()
    assert "θ" in table and "Δw" in table and len(table.splitlines()) == 2 + 24


def test_or_gate_bias_form_bipolar_by_hand():
    # ±1 targets, zero weights and bias, η = 1: o = +1 if net ≥ 0; e ∈ {−2, 0, 2}.
    p = Perceptron(targets="bipolar").fit(GATE_X, OR_Y)
    expected = [
        (1, 0, 0.0, 1, -1, -2, (0, 0), -2, (0, 0), -2),
        (1, 1, -2.0, -1, 1, 2, (0, 2), 2, (0, 2), 0),
        (1, 2, 0.0, 1, 1, 0, (0, 0), 0, (0, 2), 0),
        (1, 3, 2.0, 1, 1, 0, (0, 0), 0, (0, 2), 0),
        (2, 0, 0.0, 1, -1, -2, (0, 0), -2, (0, 2), -2),
        (2, 1, 0.0, 1, 1, 0, (0, 0), 0, (0, 2), -2),
        (2, 2, -2.0, -1, 1, 2, (2, 0), 2, (2, 2), 0),
        (2, 3, 4.0, 1, 1, 0, (0, 0), 0, (2, 2), 0),
        (3, 0, 0.0, 1, -1, -2, (0, 0), -2, (2, 2), -2),
        (3, 1, 0.0, 1, 1, 0, (0, 0), 0, (2, 2), -2),
        (3, 2, 0.0, 1, 1, 0, (0, 0), 0, (2, 2), -2),
        (3, 3, 2.0, 1, 1, 0, (0, 0), 0, (2, 2), -2),
        (4, 0, -2.0, -1, -1, 0, (0, 0), 0, (2, 2), -2),
        (4, 1, 0.0, 1, 1, 0, (0, 0), 0, (2, 2), -2),
        (4, 2, 0.0, 1, 1, 0, (0, 0), 0, (2, 2), -2),
        (4, 3, 2.0, 1, 1, 0, (0, 0), 0, (2, 2), -2),
    ]
    got = _rows(p)
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert g[:2] == e[:2]
        assert np.allclose(np.hstack([g[2:6], g[6], g[7], g[8], g[9]]),
                           np.hstack([e[2:6], e[6], e[7], e[8], e[9]])), (g, e)
    assert p.converged_ and p.n_iter_ == 4
    np.testing.assert_array_equal(p.predict(GATE_X), OR_Y)
    d = p.history_[0].as_dict()
    assert d["epoch"] == 1 and d["target"] == -1 and d["cls"] is None


def test_step_at_zero_and_record_errors_only():
    # with o(0) = 0 the first AND sample (net 0, target 0) is right and nothing is updated
    p = Perceptron(step_at_zero=0, record="errors").fit(GATE_X, AND_Y)
    assert all(s.error != 0 for s in p.history_)
    first = p.history_[0]
    assert (first.epoch, first.index, first.net, first.output, first.target) == (1, 3, 0.0, 0.0, 1.0)
    np.testing.assert_array_equal(first.w, [1, 1])
    assert first.b == 1
    assert p.converged_
    np.testing.assert_array_equal(p.predict(GATE_X), AND_Y)
    assert Perceptron(record="none").fit(GATE_X, AND_Y).history_ == []


def test_converges_on_linearly_separable_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    w_true = np.array([1.5, -2.0, 0.5])
    margin = X @ w_true + 0.3
    keep = np.abs(margin) > 0.2
    X, y = X[keep], np.where(margin[keep] > 0, "yes", "no")
    p = Perceptron(eta0=0.1, max_iter=1000).fit(X, y)
    assert p.converged_ and p.score(X, y) == 1.0
    assert p.errors_per_epoch_[-1] == 0 and p.n_iter_ == len(p.errors_per_epoch_)
    assert list(p.classes_) == ["no", "yes"]
    # shuffle gives another order but also converges
    ps = Perceptron(eta0=0.1, max_iter=1000, shuffle=True, random_state=1).fit(X, y)
    assert ps.converged_ and ps.score(X, y) == 1.0
    assert [s.index for s in ps.history_[:len(X)]] != list(range(len(X)))


def test_not_separable_stops_at_max_iter():
    p = Perceptron(max_iter=7).fit(GATE_X, np.array([0, 1, 1, 0]))  # XOR
    assert not p.converged_ and p.n_iter_ == 7 and len(p.history_) == 28


def test_one_vs_rest_multiclass():
    X = np.array([[0.0, 0.0], [0.2, 0.1], [5.0, 0.0], [5.2, 0.3], [0.0, 5.0], [0.1, 5.3]])
    y = np.array([0, 0, 1, 1, 2, 2])
    p = Perceptron(max_iter=200).fit(X, y)
    assert p.coef_.shape == (3, 2) and p.intercept_.shape == (3,)
    assert p.decision_function(X).shape == (6, 3)
    np.testing.assert_array_equal(p.predict(X), y)
    assert {s.cls for s in p.history_} == {0, 1, 2}
    assert "class" in p.history_table()


def test_params_and_errors():
    p = Perceptron(eta0=0.5)
    assert p.get_params()["eta0"] == 0.5
    assert p.set_params(max_iter=3) is p and p.max_iter == 3
    with pytest.raises(NotFittedError, match="not fitted"):
        p.predict(GATE_X)
    with pytest.raises(AttributeError):
        p.predict(GATE_X)
    with pytest.raises(ConfigError, match="eta0"):
        Perceptron(eta0=0).fit(GATE_X, AND_Y)
    with pytest.raises(ConfigError, match="form.*'bias', 'threshold'"):
        Perceptron(form="thresh").fit(GATE_X, AND_Y)
    with pytest.raises(ConfigError, match="step_at_zero"):
        Perceptron(step_at_zero=-1).fit(GATE_X, AND_Y)
    with pytest.raises(ShapeError, match="w_init has shape"):
        Perceptron(w_init=[1, 2, 3]).fit(GATE_X, AND_Y)
    with pytest.raises(ShapeError, match="X must be 2-D"):
        Perceptron().fit(np.zeros(4), AND_Y)
    with pytest.raises(ShapeError, match="4 samples but y has 3"):
        Perceptron().fit(GATE_X, AND_Y[:3])
    with pytest.raises(ConfigError, match="two classes"):
        Perceptron().fit(GATE_X, np.zeros(4))
    p = Perceptron().fit(GATE_X, AND_Y)
    with pytest.raises(ShapeError, match=r"3 features, but \w+ is expecting 2 features as input"):
        p.predict(np.zeros((1, 3)))
