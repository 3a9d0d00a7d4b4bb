"""chalkgrad.fit.metrics against scikit-learn, and streaming == one-shot."""

import numpy as np
import pytest
import sklearn.metrics as skm

from chalkgrad.errors import ConfigError
from chalkgrad.fit import metrics as M

rng = np.random.default_rng(0)
Y3 = rng.integers(0, 3, 200)
P3 = np.where(rng.random(200) < 0.7, Y3, rng.integers(0, 3, 200))
SCORES = rng.random((200, 5))
YB = rng.integers(0, 2, 300)
PROB = np.clip(YB * 0.6 + rng.random(300) * 0.5, 0, 1)


def test_accuracy_and_confusion_matrix():
    assert M.accuracy(Y3, P3) == pytest.approx(skm.accuracy_score(Y3, P3))
    np.testing.assert_array_equal(M.confusion_matrix(Y3, P3), skm.confusion_matrix(Y3, P3))
    onehot = np.eye(3)[Y3]
    assert M.accuracy(onehot, np.eye(3)[P3] * 0.9) == pytest.approx(skm.accuracy_score(Y3, P3))
    assert M.confusion_matrix([0, 1], [1, 1], num_classes=4).shape == (4, 4)
    with pytest.raises(ConfigError, match=r"labels must lie in \[0, 2\)"):
        M.confusion_matrix([0, 3], [1, 1], num_classes=2)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_top_k_accuracy(k):
    y = rng.integers(0, 5, 200)
    assert M.top_k_accuracy(y, SCORES, k) == pytest.approx(skm.top_k_accuracy_score(y, SCORES, k=k, labels=range(5)))


@pytest.mark.parametrize("average", ["macro", "micro", None])
def test_precision_recall_f1_multiclass(average):
    np.testing.assert_allclose(M.precision(Y3, P3, average), skm.precision_score(Y3, P3, average=average))
    np.testing.assert_allclose(M.recall(Y3, P3, average), skm.recall_score(Y3, P3, average=average))
    np.testing.assert_allclose(M.f1_score(Y3, P3, average), skm.f1_score(Y3, P3, average=average))


def test_binary_metrics_from_probabilities():
    pred = (PROB >= 0.5).astype(int)
    assert M.precision(YB, PROB) == pytest.approx(skm.precision_score(YB, pred))
    assert M.recall(YB, PROB) == pytest.approx(skm.recall_score(YB, pred))
    assert M.f1_score(YB, PROB) == pytest.approx(skm.f1_score(YB, pred))
    assert M.precision(YB, PROB, pos_label=0) == pytest.approx(skm.precision_score(YB, pred, pos_label=0))
    assert M.roc_auc(YB, PROB) == pytest.approx(skm.roc_auc_score(YB, PROB))
    ties = np.round(PROB, 1)
    assert M.roc_auc(YB, ties) == pytest.approx(skm.roc_auc_score(YB, ties))
    assert M.precision([0, 0, 1], [0, 0, 0]) == 0.0  # zero division -> 0, as scikit-learn
    with pytest.raises(ConfigError, match="average='binary' needs two classes"):
        M.precision(Y3, P3)
    with pytest.raises(ConfigError, match="average must be"):
        M.recall(Y3, P3, average="weighted-ish")


def test_regression_and_overlap_metrics():
    t, p = rng.standard_normal((20, 3)), rng.standard_normal((20, 3))
    assert M.mean_absolute_error(t, p) == pytest.approx(skm.mean_absolute_error(t, p))
    assert M.mean_squared_error(t, p) == pytest.approx(skm.mean_squared_error(t, p))
    mask, soft = rng.random((4, 8, 8)) > 0.5, rng.random((4, 8, 8))
    hard = soft >= 0.5
    assert M.iou(mask, soft, threshold=0.5) == pytest.approx(skm.jaccard_score(mask.ravel(), hard.ravel()))
    assert M.dice_coefficient(mask, soft, threshold=0.5) == pytest.approx(skm.f1_score(mask.ravel(), hard.ravel()))
    inter = (mask * soft).sum()
    assert M.dice_coefficient(mask, soft) == pytest.approx(2 * inter / (mask.sum() + soft.sum()))
    assert M.iou(mask, soft) == pytest.approx(inter / (mask.sum() + soft.sum() - inter))
    assert M.dice_coefficient(np.zeros(4), np.zeros(4)) == 1.0


def _stream(metric, y, p, size=37):
    metric.reset_state()
    for i in range(0, len(y), size):
        metric.update_state(y[i:i + size], p[i:i + size])
    return metric.result()


def test_streaming_metrics_equal_the_functions():
    probs3 = np.eye(3)[P3] * 0.8 + 0.05
    assert _stream(M.SparseCategoricalAccuracy(), Y3, probs3) == pytest.approx(M.accuracy(Y3, P3))
    assert _stream(M.CategoricalAccuracy(), np.eye(3)[Y3], probs3) == pytest.approx(M.accuracy(Y3, P3))
    assert _stream(M.Precision(), Y3, probs3) == pytest.approx(skm.precision_score(Y3, P3, average="macro"))
    assert _stream(M.Recall(average="micro"), Y3, probs3) == pytest.approx(skm.recall_score(Y3, P3,
                                                                                            average="micro"))
    assert _stream(M.F1Score(), YB, PROB) == pytest.approx(skm.f1_score(YB, PROB >= 0.5))
    assert _stream(M.BinaryAccuracy(), YB, PROB) == pytest.approx(skm.accuracy_score(YB, PROB >= 0.5))
    assert _stream(M.AUC(), YB, PROB) == pytest.approx(skm.roc_auc_score(YB, PROB))
    y5 = rng.integers(0, 5, 200)
    assert _stream(M.TopKCategoricalAccuracy(k=2), y5, SCORES) == pytest.approx(M.top_k_accuracy(y5, SCORES, 2))
    t, p = rng.standard_normal((50, 2)), rng.standard_normal((50, 2))
    assert _stream(M.MeanSquaredError(), t, p) == pytest.approx(M.mean_squared_error(t, p))
    assert _stream(M.MeanAbsoluteError(), t, p) == pytest.approx(M.mean_absolute_error(t, p))
    mask, soft = (rng.random((50, 16)) > 0.5).astype(float), rng.random((50, 16))
    assert _stream(M.Dice(threshold=None), mask, soft) == pytest.approx(M.dice_coefficient(mask, soft))
    assert _stream(M.IoU(), mask, soft) == pytest.approx(M.iou(mask, soft, threshold=0.5))


def test_weighted_mean_metric():
    m = M.SparseCategoricalAccuracy()
    m.update_state([0, 1], np.array([[1.0, 0.0], [1.0, 0.0]]), sample_weight=[3.0, 1.0])
    assert m.result() == pytest.approx(0.75)
    mean = M.Mean()
    mean.update_state([1.0, 3.0])
    assert mean.result() == 2.0
