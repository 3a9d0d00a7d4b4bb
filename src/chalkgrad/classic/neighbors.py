"""k-nearest neighbors: ``KNeighborsClassifier`` and ``KNeighborsRegressor``.

Distances between a query x and a training point z (``metric=``):

    euclidean   d = √Σ (x_j − z_j)²
    manhattan   d = Σ |x_j − z_j|
    chebyshev   d = max_j |x_j − z_j|
    minkowski   d = (Σ |x_j − z_j|^p)^(1/p)     (p=1 manhattan, p=2 euclidean, p=∞ chebyshev)
    cosine      d = 1 − x·z / (‖x‖‖z‖)         (a zero vector counts as having cosine 0 with everything)

The k training points with the smallest distances are the neighbors; equal distances are
broken by training index (the earlier row first), so the neighbor lists are reproducible.
Distances within a relative 1e-9 of each other count as equal, so values that are equal on paper
but differ in the last bits of floating point (|5.1 − 5.0| + |3.5 − 3.4| and 0.2) also tie.
Distances are computed for blocks of queries at once (vectorized, ``chunk_size`` queries per
block to bound memory); for euclidean distances candidates are found with
‖x − z‖² = ‖x‖² − 2x·z + ‖z‖² (one matrix product) and their distances then recomputed
exactly from the differences, so duplicate points are at distance exactly 0.

Every ``algorithm`` (accepted for compatibility: 'auto', 'brute', 'kd_tree', 'ball_tree') is this
brute-force search; the answers are the same, as exact search does not depend on the index used.

Votes. ``weights='uniform'``: each neighbor counts 1. ``weights='distance'``: neighbor i counts
wᵢ = 1/dᵢ; if some neighbors are at distance 0 (exact matches) they share all the weight
(weight 1 each) and the others get 0, as in scikit-learn. A callable maps the distance array to weights.
The classifier's ``predict_proba`` is the normalized weight per class and ``predict`` its
argmax; a tie in the vote goes to the smallest class label (the first in ``classes_``), as
scikit-learn's argmax does. The regressor predicts the weighted mean Σwᵢyᵢ / Σwᵢ.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError, ShapeError
from .base import (
    BaseEstimator,
    ClassifierMixin,
    RegressorMixin,
    check_choice,
    check_int,
    check_positive,
    check_X_y,
    encode_labels,
)

__all__ = ["KNeighborsClassifier", "KNeighborsRegressor", "pairwise_distances"]

METRICS = ("euclidean", "manhattan", "chebyshev", "minkowski", "cosine")
_ALIASES = {"l2": "euclidean", "l1": "manhattan", "cityblock": "manhattan", "infinity": "chebyshev"}
_BLOCK_ELEMENTS = 2 ** 22  # floats per temporary block (32 MiB)
_TIE_RTOL = 1e-9  # distances this close (relatively) are ties, ordered by training index


def _resolve_metric(metric: str, p, where: str) -> tuple[str, float]:
    if isinstance(metric, str):
        metric = _ALIASES.get(metric, metric)
    check_choice(metric, METRICS, where, "metric")
    if metric == "minkowski":
        p = float("inf") if p == float("inf") else check_positive(p, where, "p")
        if p < 1:
            raise ConfigError(f"{where}: minkowski p must be >= 1 (p < 1 is not a metric), got {p!r}")
        if p == 1:
            return "manhattan", 1.0
        if p == 2:
            return "euclidean", 2.0
        if p == float("inf"):
            return "chebyshev", p
    return metric, p


def _block_distances(A: np.ndarray, B: np.ndarray, metric: str, p: float) -> np.ndarray:
    """Exact distances between every row of A and every row of B, by broadcasting (A is small)."""
    if metric == "cosine":
        na = np.linalg.norm(A, axis=1, keepdims=True)
        nb = np.linalg.norm(B, axis=1)
        An = A / np.where(na > 0, na, 1.0)
        Bn = B / np.where(nb > 0, nb, 1.0)[:, None]
        return np.clip(1.0 - An @ Bn.T, 0.0, 2.0)
    diff = np.abs(A[:, None, :] - B[None, :, :])
    if metric == "euclidean":
        return np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))
    if metric == "manhattan":
        return diff.sum(-1)
    if metric == "chebyshev":
        return diff.max(-1)
    return (diff ** p).sum(-1) ** (1.0 / p)


def pairwise_distances(X, Y=None, metric: str = "euclidean", p: float = 2) -> np.ndarray:
    """The (n_X, n_Y) matrix of distances between rows of X and rows of Y (Y defaults to X)."""
    from .base import check_X

    X = check_X(X, "pairwise_distances")
    Y = X if Y is None else check_X(Y, "pairwise_distances")
    if X.shape[1] != Y.shape[1]:
        raise ShapeError(f"pairwise_distances: X has {X.shape[1]} features but Y has {Y.shape[1]}")
    metric, p = _resolve_metric(metric, p, "pairwise_distances")
    rows = max(1, _BLOCK_ELEMENTS // max(1, len(Y) * (1 if metric == "cosine" else X.shape[1])))
    return np.concatenate([_block_distances(X[s:s + rows], Y, metric, p) for s in range(0, len(X), rows)])


class _KNeighborsBase(BaseEstimator):
    def __init__(self, n_neighbors: int = 5, *, weights="uniform", algorithm: str = "auto",
                 metric: str = "minkowski", p: float = 2, chunk_size: int | None = None) -> None:
        self.n_neighbors = n_neighbors
        self.weights = weights
        self.algorithm = algorithm
        self.metric = metric
        self.p = p
        self.chunk_size = chunk_size

    def _fit_X(self, X, y, y_2d: bool):
        name = type(self).__name__
        X, y = check_X_y(X, y, f"{name}.fit", y_2d=y_2d)
        k = check_int(self.n_neighbors, f"{name}", "n_neighbors")
        self._metric, self._p = _resolve_metric(self.metric, self.p, name)
        if not callable(self.weights):
            check_choice(self.weights, ("uniform", "distance"), name, "weights")
        check_choice(self.algorithm, ("auto", "brute", "kd_tree", "ball_tree"), name, "algorithm")
        if k > len(X):
            raise ConfigError(f"{name}.fit: n_neighbors={k} is larger than the number of training samples "
                              f"(n_samples = {len(X)})")
        self._fit_X_ = X
        self._sq_norms = np.einsum("ij,ij->i", X, X)
        self.n_features_in_ = X.shape[1]
        self.n_samples_fit_ = len(X)
        self.effective_metric_ = self._metric
        return X, y

    def kneighbors(self, X=None, n_neighbors: int | None = None, return_distance: bool = True):
        """(distances, indices) of the k nearest training points of each query, nearest first.

        Both have shape (n_queries, k). With ``X=None`` the queries are the training points,
        each excluding itself (as scikit-learn). Equal distances are ordered by training index.
        """
        name = type(self).__name__
        self._check_fitted("_fit_X_", "kneighbors")
        Xfit = self._fit_X_
        self_query = X is None
        Q = Xfit if self_query else self._check_predict_X(X, "kneighbors")
        k = self.n_neighbors if n_neighbors is None else n_neighbors
        k = check_int(k, f"{name}.kneighbors", "n_neighbors")
        available = len(Xfit) - (1 if self_query else 0)
        if k > available:
            raise ConfigError(f"{name}.kneighbors: n_neighbors={k} is larger than the number of training samples "
                              f"available ({available}{', each query excluding itself' if self_query else ''})")
        n, d = Q.shape
        m = len(Xfit)
        # euclidean: rank by the fast expansion, keep every point within rounding error of the k-th
        # (so exact ties are all kept and then ordered by index), and recompute those distances exactly
        fast = self._metric == "euclidean"
        per_row = m * (1 if self._metric == "cosine" else d)
        rows = self.chunk_size or max(1, _BLOCK_ELEMENTS // max(1, per_row))
        kq = k + (1 if self_query else 0)  # the query itself may be among the candidates
        max_sq = float(self._sq_norms.max())
        dist_out = np.empty((n, k))
        ind_out = np.empty((n, k), dtype=np.intp)
        for s in range(0, n, rows):
            A = Q[s:s + rows]
            r = len(A)
            if fast:
                D2 = self._sq_norms[None, :] - 2.0 * (A @ Xfit.T)  # ‖a − z‖² − ‖a‖²
                if kq < m:
                    kth = np.partition(D2, kq - 1, axis=1)[:, kq - 1:kq]
                    a2 = np.einsum("ij,ij->i", A, A)[:, None]
                    tol = 1e-8 * (a2 + max_sq) + 1e-300  # covers the tie tolerance of the final sort
                    c = int((D2 <= kth + tol).sum(axis=1).max())
                else:
                    c = m
                if c < m:
                    cand = np.argpartition(D2, c - 1, axis=1)[:, :c]
                else:
                    cand = np.broadcast_to(np.arange(m), (r, m))
                diff = A[:, None, :] - Xfit[cand]
                D = np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))
            else:
                D = _block_distances(A, Xfit, self._metric, self._p)
                cand = np.broadcast_to(np.arange(m), (r, m))
            if self_query:
                D = np.where(cand == np.arange(s, s + r)[:, None], np.inf, D)
            order = _sort_by_dist_then_index(D, cand)[:, :k]
            ind_out[s:s + r] = np.take_along_axis(cand, order, axis=1)
            dist_out[s:s + r] = np.take_along_axis(D, order, axis=1)
        return (dist_out, ind_out) if return_distance else ind_out

    def _weights(self, dist: np.ndarray) -> np.ndarray:
        if self.weights == "uniform":
            return np.ones_like(dist)
        if callable(self.weights):
            w = np.asarray(self.weights(dist), dtype=np.float64)
            if w.shape != dist.shape:
                raise ShapeError(f"{type(self).__name__}: the weights callable returned shape {w.shape} for "
                                 f"distances of shape {dist.shape}")
            return w
        zero = dist == 0
        with np.errstate(divide="ignore"):
            w = 1.0 / dist
        return np.where(zero.any(axis=1, keepdims=True), zero.astype(np.float64), w)


def _sort_by_dist_then_index(D: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Per row, the permutation sorting by distance, ties by index.

    Distances within a relative 1e-9 of their sorted neighbor count as tied (so values equal on
    paper but not in floating point, like 0.1 + 0.1 and 0.2, tie).
    """
    order = np.argsort(D, axis=1, kind="stable")
    Ds = np.take_along_axis(D, order, axis=1)
    Is = np.take_along_axis(idx, order, axis=1)
    with np.errstate(invalid="ignore"):
        gaps = np.diff(Ds, axis=1) > _TIE_RTOL * np.abs(Ds[:, :-1])
    group = np.concatenate([np.zeros((len(D), 1), dtype=np.intp), np.cumsum(gaps, axis=1)], axis=1)
    final = np.lexsort((Is, group), axis=-1)
    return np.take_along_axis(order, final, axis=1)


class KNeighborsClassifier(ClassifierMixin, _KNeighborsBase):
    """KNeighborsClassifier(n_neighbors=5, *, weights='uniform', algorithm='auto', metric='minkowski', p=2,
    chunk_size=None)

    ``fit`` stores the training set; ``predict`` takes the majority (or distance-weighted) vote of
    the k nearest training points, ties going to the smallest label; ``predict_proba`` gives
    the vote shares per class (columns in ``classes_`` order); ``kneighbors`` shows the neighbors.
    Metrics: euclidean, manhattan, chebyshev, minkowski (with ``p``), cosine.
    """

    def fit(self, X, y):
        X, y = self._fit_X(X, y, y_2d=False)
        self.classes_, self._codes = encode_labels(y, f"{type(self).__name__}.fit")
        return self

    def predict_proba(self, X) -> np.ndarray:
        """(n, n_classes): Σ weights of the neighbors of each class / Σ all weights."""
        dist, ind = self.kneighbors(X)
        w = self._weights(dist)
        codes = self._codes[ind]
        n, n_cls = len(ind), len(self.classes_)
        flat = (np.arange(n)[:, None] * n_cls + codes).ravel()
        proba = np.bincount(flat, weights=w.ravel(), minlength=n * n_cls).reshape(n, n_cls)
        total = proba.sum(axis=1, keepdims=True)
        return proba / np.where(total > 0, total, 1.0)

    def predict(self, X) -> np.ndarray:
        """The class with the largest (weighted) vote; ties to the smallest label."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]


class KNeighborsRegressor(RegressorMixin, _KNeighborsBase):
    """KNeighborsRegressor(n_neighbors=5, *, weights='uniform', algorithm='auto', metric='minkowski', p=2,
    chunk_size=None)

    ``predict`` is the (weighted) mean of the k nearest training targets: Σwᵢyᵢ / Σwᵢ.
    y may be 1-D or 2-D (several outputs).
    """

    _multi_output = True

    def fit(self, X, y):
        X, y = self._fit_X(X, y, y_2d=True)
        self._y = y.astype(np.float64)
        return self

    def predict(self, X) -> np.ndarray:
        dist, ind = self.kneighbors(X)
        w = self._weights(dist)
        yk = self._y[ind]  # (n, k) or (n, k, outputs)
        if yk.ndim == 3:
            w = w[:, :, None]
        return (w * yk).sum(axis=1) / w.sum(axis=1)
