"""Support vector machines: ``LinearSVC`` (primal, linear) and ``SVC`` (dual, kernels, SMO).

Binary labels are coded y ∈ {−1, +1}, +1 being ``classes_[1]``; the classifier is
f(x) = w·φ(x) + b and predicts ``classes_[1]`` when f(x) > 0.

**Soft-margin primal.** With the hinge loss ℓ(z) = max(0, 1 − z) (or the squared hinge ℓ(z)²)

    minimize   ½‖w‖² + C Σᵢ ℓ(yᵢ f(xᵢ))

C > 0 trades a wide margin (small ‖w‖, margin width 2/‖w‖) against violations.

**Dual (SVC).** With a kernel K(x, z) = φ(x)·φ(z) and Qᵢⱼ = yᵢyⱼK(xᵢ, xⱼ):

    minimize   ½ αᵀQα − Σᵢ αᵢ     subject to   0 ≤ αᵢ ≤ C,   Σᵢ yᵢαᵢ = 0

and f(x) = Σᵢ yᵢαᵢ K(xᵢ, x) + b. Samples with αᵢ > 0 are the support vectors.
``SVC`` solves it by SMO (sequential minimal optimization) as libsvm does: each step picks the
pair (i, j) by second-order working-set selection — i the most violating index in I_up,
j minimizing −(m − (−yⱼGⱼ))²/aᵢⱼ over I_low, aᵢⱼ = Kᵢᵢ + Kⱼⱼ − 2Kᵢⱼ, G = Qα − 1 the gradient — moves
αᵢ += yᵢλ, αⱼ −= yⱼλ with λ = (m − (−yⱼGⱼ))/aᵢⱼ clipped to the box, and updates G with two kernel
columns. It stops when the KKT gap m(α) − M(α) = max_{I_up}(−yG) − min_{I_low}(−yG) ≤ ``tol``.
Then b = −ρ with ρ the mean of yᵢGᵢ over free support vectors (0 < αᵢ < C). Kernel matrices of up to
``cache_size`` MB are computed once; beyond that, columns are computed on demand and cached.
No shrinking heuristic; results match libsvm's to the tolerance.

Kernels: linear K = x·z; poly K = (γ x·z + coef0)^degree; rbf K = exp(−γ‖x − z‖²);
sigmoid K = tanh(γ x·z + coef0). ``gamma='scale'`` is 1/(n_features · Var(X)) (X's variance over
all entries), ``'auto'`` is 1/n_features, or a positive number.

Multi-class: ``SVC`` trains one machine per pair of classes (one-vs-one, like scikit-learn/libsvm;
pair (i, j) with i < j has +1 = class i) and predicts by votes, a tie going to the smallest
label; ``LinearSVC`` trains one machine per class (one-vs-rest) and predicts the argmax of f.

**LinearSVC solvers.** The intercept is learned as the weight of an extra constant feature of
value ``intercept_scaling`` (so it is regularized, as in liblinear). ``solver='newton'`` (the default
for the squared hinge) minimizes the differentiable squared-hinge primal by Newton's method with
the generalized Hessian I + 2C X̃_Aᵀ X̃_A over the samples with margin < 1 and a backtracking line
search; it stops when ‖∇‖ ≤ ``tol``·‖∇₀‖ or the active set stops changing (finite termination).
``solver='dcd'`` (the default for the hinge) is dual coordinate descent
(Hsieh et al., 2008): for each i in a random order, αᵢ ← clip(αᵢ − Gᵢ/Q̄ᵢᵢ, 0, U) with
Gᵢ = yᵢ w·x̃ᵢ − 1 + Dᵢᵢαᵢ, w += Δαᵢ yᵢ x̃ᵢ (hinge: U = C, D = 0; squared hinge: U = ∞, D = 1/(2C)),
until the spread of the projected gradients is ≤ ``tol``. It loops over samples in Python,
so it suits small data sets. ``solver='pegasos'`` is full-batch sub-gradient descent in the style
of Pegasos (Shalev-Shwartz et al.) on the same objective scaled by 1/(Cn), (λ/2)‖w‖² + (1/n) Σ ℓ
with λ = 1/(Cn), for the hinge loss only: at step t, η = 1/(λ(t + 1)),
w ← w − η(λw − (1/n) Σ_{yᵢf(xᵢ)<1} yᵢxᵢ), then w is projected onto the ball ‖w‖ ≤ 1/√λ that holds
the optimum; it runs ``max_iter`` steps and returns the iterate with the lowest objective.
Simple and vectorized, but it converges only as O(1/t).
``loss_curve_`` records the primal objective ½‖w‖² + C Σ ℓ after every step or epoch.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..errors import ConfigError
from ..random import Generator, get_generator
from .base import (
    BaseEstimator,
    ClassifierMixin,
    ConvergenceWarning,
    LinearClassifierMixin,
    check_choice,
    check_int,
    check_positive,
    check_two_classes,
    check_X_y,
    encode_labels,
)

__all__ = ["LinearSVC", "SVC", "kernel_matrix"]

KERNELS = ("linear", "poly", "rbf", "sigmoid")


def kernel_matrix(A: np.ndarray, B: np.ndarray, kernel: str = "rbf", gamma: float = 1.0, degree: int = 3,
                  coef0: float = 0.0) -> np.ndarray:
    """The (len(A), len(B)) matrix K(aᵢ, bⱼ) for one of ``KERNELS`` (gamma already a number)."""
    A = np.asarray(A, dtype=np.float64)
    B = np.asarray(B, dtype=np.float64)
    if kernel == "linear":
        return A @ B.T
    if kernel == "poly":
        return (gamma * (A @ B.T) + coef0) ** degree
    if kernel == "sigmoid":
        return np.tanh(gamma * (A @ B.T) + coef0)
    if kernel == "rbf":
        d2 = np.einsum("ij,ij->i", A, A)[:, None] - 2.0 * (A @ B.T) + np.einsum("ij,ij->i", B, B)[None, :]
        return np.exp(-gamma * np.maximum(d2, 0.0))
    raise ConfigError(f"kernel_matrix: unknown kernel {kernel!r}; valid kernels: {', '.join(map(repr, KERNELS))}")


class _Columns:
    """Kernel columns K[:, i] of a training subset: all precomputed when small, else computed and cached."""

    def __init__(self, X: np.ndarray, kfun, cache_bytes: float) -> None:
        n = len(X)
        self.X, self.kfun = X, kfun
        self.full = kfun(X, X) if n * n * 8 <= cache_bytes else None
        self.cache: dict[int, np.ndarray] = {}
        self.max_cols = max(2, int(cache_bytes // (8 * n)))
        if self.full is not None:
            self.diag = np.diag(self.full).copy()
        else:
            self.diag = np.array([kfun(X[i:i + 1], X[i:i + 1])[0, 0] for i in range(n)])

    def __getitem__(self, i: int) -> np.ndarray:
        if self.full is not None:
            return self.full[i]
        col = self.cache.get(i)
        if col is None:
            if len(self.cache) >= self.max_cols:
                self.cache.pop(next(iter(self.cache)))
            col = self.kfun(self.X[i:i + 1], self.X)[0]
            self.cache[i] = col
        return col


def _smo(cols: _Columns, y: np.ndarray, C: float, tol: float, max_iter: int) -> tuple[np.ndarray, float, int]:
    """Solve the SVC dual for labels y ∈ {−1, +1}; returns (α, ρ, iterations). f(x) = Σ yα K − ρ."""
    n = len(y)
    alpha = np.zeros(n)
    F = y.astype(np.float64).copy()  # F = −y⊙G, G = Qα − 1 the gradient; at α = 0, F = y
    diag = cols.diag
    pos = y > 0
    up = pos.copy()  # I_up: y = +1 and α < C, or y = −1 and α > 0
    low = ~pos  # I_low: y = −1 and α < C, or y = +1 and α > 0
    tau = 1e-12
    it = 0
    while max_iter < 0 or it < max_iter:
        up_F = np.where(up, F, -np.inf)
        i = int(up_F.argmax())
        m = up_F[i]
        low_F = np.where(low, F, np.inf)
        if m - low_F.min() <= tol:
            break
        Ki = cols[i]
        b = np.maximum(m - low_F, 0.0)  # b_it = m − F_t > 0 for candidates, 0 otherwise
        a = np.maximum((diag + diag[i]) - 2.0 * Ki, tau)  # a_it = K_ii + K_tt − 2K_it
        j = int(((b * b) / a).argmax())  # minimizes −b²/a
        Kj = cols[j]
        lam = b[j] / a[j]
        lim_i = C - alpha[i] if pos[i] else alpha[i]
        lim_j = alpha[j] if pos[j] else C - alpha[j]
        lam = min(lam, lim_i, lim_j)
        if lam == lim_i:
            alpha[i] = C if pos[i] else 0.0
        else:
            alpha[i] += y[i] * lam
        if lam == lim_j:
            alpha[j] = 0.0 if pos[j] else C
        else:
            alpha[j] -= y[j] * lam
        for t in (i, j):
            up[t] = alpha[t] < C if pos[t] else alpha[t] > 0
            low[t] = alpha[t] > 0 if pos[t] else alpha[t] < C
        F -= lam * (Ki - Kj)
        it += 1
    else:
        warnings.warn(f"SVC: SMO stopped at max_iter={max_iter} before the KKT gap reached tol={tol}; "
                      f"increase max_iter or scale the data", ConvergenceWarning, stacklevel=3)
    free = (alpha > 0) & (alpha < C)
    if free.any():
        rho = float(-F[free].mean())  # ρ = yᵢGᵢ = −Fᵢ on free support vectors
    else:
        m = F[up].max() if up.any() else 0.0
        M = F[low].min() if low.any() else 0.0
        rho = float(-(m + M) / 2)
    return alpha, rho, it


def _ovr_from_ovo(dec: np.ndarray, n_classes: int) -> np.ndarray:
    """Votes per class plus a confidence squashed into (−1/3, 1/3), as scikit-learn's 'ovr' shape."""
    n = len(dec)
    votes = np.zeros((n, n_classes))
    conf = np.zeros((n, n_classes))
    k = 0
    for i in range(n_classes):
        for j in range(i + 1, n_classes):
            conf[:, i] += dec[:, k]
            conf[:, j] -= dec[:, k]
            votes[:, i] += dec[:, k] > 0
            votes[:, j] += dec[:, k] <= 0
            k += 1
    return votes + conf / (3 * (np.abs(conf) + 1))


def _check_C(C, where: str) -> float:
    if isinstance(C, bool) or not isinstance(C, (int, float, np.integer, np.floating)) or not C > 0 \
            or not np.isfinite(C):
        raise ConfigError(f"{where}: C must be a positive number (the penalty on margin violations), got {C!r}")
    return float(C)


class SVC(ClassifierMixin, BaseEstimator):
    """SVC(C=1.0, kernel='rbf', degree=3, gamma='scale', coef0=0.0, tol=1e-3, cache_size=200, max_iter=-1,
    decision_function_shape='ovr')

    The kernel SVM trained on the dual by SMO (see the module docstring). Fitted attributes as
    scikit-learn: ``support_`` (indices of the support vectors, grouped by class), ``support_vectors_``,
    ``n_support_`` (per class), ``dual_coef_`` (yᵢαᵢ; shape (n_classes − 1, n_SV), libsvm's layout for
    several classes), ``intercept_`` (b per machine), ``coef_`` (w = Σ yᵢαᵢxᵢ, linear kernel only),
    ``classes_``, ``n_iter_`` (SMO steps per machine), ``_gamma`` (the numeric γ).
    ``decision_function``: binary f(x) (> 0 means ``classes_[1]``); several classes: one column per
    pair (i, j), positive for class i (``'ovo'``) or votes plus confidence per class (``'ovr'``).
    ``margin_width()`` = 2/‖w‖ per machine (‖w‖² = Σ dual_coef dual_coef K in feature space).
    """

    def __init__(self, C: float = 1.0, kernel: str = "rbf", degree: int = 3, gamma="scale", coef0: float = 0.0,
                 tol: float = 1e-3, cache_size: float = 200, max_iter: int = -1,
                 decision_function_shape: str = "ovr") -> None:
        self.C = C
        self.kernel = kernel
        self.degree = degree
        self.gamma = gamma
        self.coef0 = coef0
        self.tol = tol
        self.cache_size = cache_size
        self.max_iter = max_iter
        self.decision_function_shape = decision_function_shape

    def _kfun(self):
        kernel, g, deg, c0 = self.kernel, self._gamma, self.degree, float(self.coef0)
        return lambda A, B: kernel_matrix(A, B, kernel, g, deg, c0)

    def fit(self, X, y):
        where = "SVC.fit"
        X, y = check_X_y(X, y, where)
        C = _check_C(self.C, where)
        check_choice(self.kernel, KERNELS, where, "kernel")
        check_choice(self.decision_function_shape, ("ovr", "ovo"), where, "decision_function_shape")
        tol = check_positive(self.tol, where, "tol")
        if self.kernel == "poly":
            check_int(self.degree, where, "degree", minimum=0)
        if isinstance(self.max_iter, bool) or not isinstance(self.max_iter, (int, np.integer)) or self.max_iter == 0:
            raise ConfigError(f"{where}: max_iter must be a positive integer or -1 (no limit), got {self.max_iter!r}")
        if isinstance(self.gamma, str):
            check_choice(self.gamma, ("scale", "auto"), where, "gamma")
            if self.gamma == "scale":
                var = X.var()
                gamma = 1.0 / (X.shape[1] * var) if var > 0 else 1.0
            else:
                gamma = 1.0 / X.shape[1]
        else:
            gamma = check_positive(self.gamma, where, "gamma")
        self._gamma = gamma
        classes, codes = encode_labels(y, where)
        check_two_classes(classes, where)
        cache_bytes = check_positive(self.cache_size, where, "cache_size") * 1024 * 1024
        kfun = self._kfun()
        n_cls = len(classes)
        full = _Columns(X, kfun, cache_bytes) if n_cls > 2 and len(X) ** 2 * 8 <= cache_bytes else None
        pairs = [(1, 0)] if n_cls == 2 else [(i, j) for i in range(n_cls) for j in range(i + 1, n_cls)]
        alphas, rhos, iters, members = [], [], [], []
        for i, j in pairs:  # class i is +1
            idx = np.flatnonzero((codes == i) | (codes == j))
            yy = np.where(codes[idx] == i, 1.0, -1.0)
            if full is not None:
                sub = _Columns.__new__(_Columns)
                sub.full = full.full[np.ix_(idx, idx)]
                sub.diag = full.diag[idx]
            else:
                sub = _Columns(X[idx], kfun, cache_bytes)
            a, rho, it = _smo(sub, yy, C, tol, int(self.max_iter))
            alphas.append(a * yy)
            rhos.append(rho)
            iters.append(it)
            members.append(idx)
        # support vectors: any sample with α > 0 in some machine, ordered by class then index
        is_sv = np.zeros(len(X), dtype=bool)
        for a, idx in zip(alphas, members):
            is_sv[idx[a != 0]] = True
        support = np.concatenate([np.flatnonzero(is_sv & (codes == c)) for c in range(n_cls)])
        pos_in_sv = np.full(len(X), -1)
        pos_in_sv[support] = np.arange(len(support))
        if n_cls == 2:
            dual = np.zeros((1, len(support)))
            dual[0, pos_in_sv[members[0][alphas[0] != 0]]] = alphas[0][alphas[0] != 0]
        else:
            dual = np.zeros((n_cls - 1, len(support)))
            for (i, j), a, idx in zip(pairs, alphas, members):
                nz = a != 0
                for cls, row in ((i, j - 1), (j, i)):
                    sel = nz & (codes[idx] == cls)
                    dual[row, pos_in_sv[idx[sel]]] = a[sel]
        self.classes_ = classes
        self.n_features_in_ = X.shape[1]
        self.support_ = support.astype(np.int32)
        self.support_vectors_ = X[support]
        self.n_support_ = np.array([np.sum(codes[support] == c) for c in range(n_cls)], dtype=np.int32)
        self.dual_coef_ = dual
        self.intercept_ = -np.array(rhos)
        self.n_iter_ = np.array(iters)
        self.fit_status_ = 0
        # per-machine (coefficients, support-vector rows) for prediction
        self._machines = []
        for a, idx in zip(alphas, members):
            nz = a != 0
            self._machines.append((a[nz], pos_in_sv[idx[nz]]))
        return self

    @property
    def coef_(self) -> np.ndarray:
        """w = Σ yᵢαᵢ xᵢ per machine (linear kernel only), shape (n_machines, n_features)."""
        self._check_fitted("_machines", "coef_")
        if self.kernel != "linear":
            raise AttributeError(f"SVC.coef_ is only available when kernel='linear' (kernel={self.kernel!r}); "
                                 f"the weight vector lives in the kernel's feature space")
        return np.stack([coef @ self.support_vectors_[rows] for coef, rows in self._machines])

    def _ovo_decision(self, X) -> np.ndarray:
        K = self._kfun()(X, self.support_vectors_)
        return np.stack([K[:, rows] @ coef for coef, rows in self._machines], axis=1) + self.intercept_

    def decision_function(self, X) -> np.ndarray:
        """f(x) per machine (see the class docstring for the multi-class shapes)."""
        X = self._check_predict_X(X, "decision_function", "_machines")
        dec = self._ovo_decision(X)
        if len(self.classes_) == 2:
            return dec[:, 0]
        if self.decision_function_shape == "ovo":
            return dec
        return _ovr_from_ovo(dec, len(self.classes_))

    def predict(self, X) -> np.ndarray:
        """Binary: classes_[1] where f(x) > 0. Several classes: the most votes over the pairs (ties: smallest)."""
        X = self._check_predict_X(X, "predict", "_machines")
        dec = self._ovo_decision(X)
        n_cls = len(self.classes_)
        if n_cls == 2:
            return self.classes_[(dec[:, 0] > 0).astype(int)]
        votes = np.zeros((len(X), n_cls), dtype=np.int64)
        k = 0
        for i in range(n_cls):
            for j in range(i + 1, n_cls):
                votes[:, i] += dec[:, k] > 0
                votes[:, j] += dec[:, k] <= 0
                k += 1
        return self.classes_[np.argmax(votes, axis=1)]

    def margin_width(self) -> np.ndarray | float:
        """2/‖w‖ per machine (a float for two classes); ‖w‖² = Σᵢⱼ cᵢcⱼK(xᵢ, xⱼ) over the support vectors."""
        self._check_fitted("_machines", "margin_width")
        kfun = self._kfun()
        widths = []
        for coef, rows in self._machines:
            sv = self.support_vectors_[rows]
            norm2 = float(coef @ kfun(sv, sv) @ coef)
            widths.append(2.0 / np.sqrt(norm2) if norm2 > 0 else np.inf)
        return widths[0] if len(widths) == 1 else np.array(widths)


class LinearSVC(LinearClassifierMixin, BaseEstimator):
    """LinearSVC(C=1.0, loss='squared_hinge', tol=1e-4, fit_intercept=True, intercept_scaling=1.0,
    max_iter=1000, solver='auto', random_state=None)

    The linear SVM trained on the primal (see the module docstring for the solvers: ``'newton'``,
    ``'dcd'``, ``'pegasos'``). ``solver='auto'`` picks ``'newton'`` for the squared hinge and ``'dcd'``
    for the hinge. One-vs-rest for several classes.
    Fitted: ``coef_`` (n_machines, n_features), ``intercept_`` (n_machines,), ``classes_``, ``n_iter_``
    (the most iterations of any machine), ``loss_curve_`` (the primal objective per iteration; a list
    per machine for several classes). ``margin_width()`` = 2/‖w‖ per machine (intercept excluded).
    """

    def __init__(self, C: float = 1.0, loss: str = "squared_hinge", tol: float = 1e-4, fit_intercept: bool = True,
                 intercept_scaling: float = 1.0, max_iter: int = 1000, solver: str = "auto",
                 random_state=None) -> None:
        self.C = C
        self.loss = loss
        self.tol = tol
        self.fit_intercept = fit_intercept
        self.intercept_scaling = intercept_scaling
        self.max_iter = max_iter
        self.solver = solver
        self.random_state = random_state

    def fit(self, X, y):
        where = "LinearSVC.fit"
        X, y = check_X_y(X, y, where)
        C = _check_C(self.C, where)
        check_choice(self.loss, ("hinge", "squared_hinge"), where, "loss")
        solver = check_choice(self.solver, ("auto", "newton", "dcd", "pegasos"), where, "solver")
        tol = check_positive(self.tol, where, "tol")
        max_iter = check_int(self.max_iter, where, "max_iter")
        if solver == "auto":
            solver = "newton" if self.loss == "squared_hinge" else "dcd"
        if solver == "newton" and self.loss == "hinge":
            raise ConfigError(f"{where}: solver='newton' needs the differentiable loss='squared_hinge'; "
                              f"use solver='dcd' or 'pegasos' for loss='hinge'")
        if solver == "pegasos" and self.loss != "hinge":
            raise ConfigError(f"{where}: solver='pegasos' is sub-gradient descent on loss='hinge'; "
                              f"use solver='newton' or 'dcd' for loss={self.loss!r}")
        classes, codes = encode_labels(y, where)
        check_two_classes(classes, where)
        scale = check_positive(self.intercept_scaling, where, "intercept_scaling") if self.fit_intercept else 0.0
        Xt = np.hstack([X, np.full((len(X), 1), scale)]) if self.fit_intercept else X
        if isinstance(self.random_state, Generator) or self.random_state is None:
            rng = get_generator(self.random_state)
        else:
            rng = np.random.default_rng(self.random_state)
        targets = [np.where(codes == 1, 1.0, -1.0)] if len(classes) == 2 else \
            [np.where(codes == k, 1.0, -1.0) for k in range(len(classes))]
        W, iters, curves = [], [], []
        for yy in targets:
            curve: list[float] = []
            if solver == "newton":
                w, it = _newton_squared_hinge(Xt, yy, C, tol, max_iter, curve)
            elif solver == "dcd":
                w, it = _dual_cd(Xt, yy, C, self.loss, tol, max_iter, rng, curve)
            else:
                w, it = _pegasos(Xt, yy, C, max_iter, curve)
            W.append(w)
            iters.append(it)
            curves.append(curve)
        W = np.array(W)
        self.classes_ = classes
        self.n_features_in_ = X.shape[1]
        self.coef_ = W[:, :X.shape[1]]
        self.intercept_ = W[:, -1] * scale if self.fit_intercept else np.zeros(len(W))
        self.n_iter_ = int(max(iters))
        self.loss_curve_ = curves[0] if len(curves) == 1 else curves
        return self


    def margin_width(self) -> np.ndarray | float:
        """2/‖w‖ per machine (a float for two classes)."""
        self._check_fitted("coef_", "margin_width")
        norms = np.linalg.norm(self.coef_, axis=1)
        widths = np.where(norms > 0, 2.0 / np.where(norms > 0, norms, 1.0), np.inf)
        return float(widths[0]) if len(widths) == 1 else widths


def _primal(X: np.ndarray, y: np.ndarray, w: np.ndarray, C: float, loss: str) -> float:
    """½‖w‖² + C Σ ℓ(yᵢ w·xᵢ), ℓ the hinge or squared hinge."""
    r = np.maximum(0.0, 1.0 - y * (X @ w))
    return float(0.5 * w @ w + C * np.sum(r if loss == "hinge" else r * r))


def _pegasos(X: np.ndarray, y: np.ndarray, C: float, max_iter: int, curve: list):
    """Full-batch Pegasos-style sub-gradient descent on the hinge, η_t = 1/(λ(t + 1)), λ = 1/(Cn); the best iterate."""
    n, d = X.shape
    lam = 1.0 / (C * n)
    radius = 1.0 / np.sqrt(lam)
    w = np.zeros(d)
    best, best_f = w.copy(), _primal(X, y, w, C, "hinge")
    for t in range(max_iter):
        act = y * (X @ w) < 1.0
        sub = lam * w - (X[act].T @ y[act]) / n
        w = w - sub / (lam * (t + 1))
        norm = np.linalg.norm(w)
        if norm > radius:
            w *= radius / norm
        f = _primal(X, y, w, C, "hinge")
        curve.append(f)
        if f < best_f:
            best, best_f = w.copy(), f
    return best, max_iter


def _newton_squared_hinge(X: np.ndarray, y: np.ndarray, C: float, tol: float, max_iter: int, curve: list):
    """Minimize ½‖w‖² + C Σ max(0, 1 − yᵢ w·xᵢ)² by generalized Newton with backtracking."""
    n, d = X.shape
    w = np.zeros(d)

    def f_and_grad(w):
        r = 1.0 - y * (X @ w)
        act = r > 0
        f = 0.5 * w @ w + C * np.sum(r[act] ** 2)
        g = w - 2.0 * C * (X[act].T @ (r[act] * y[act]))
        return f, g, act

    f, g, act = f_and_grad(w)
    g0 = np.linalg.norm(g)
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 - the count is returned
        Xa = X[act]
        H = np.eye(d) + 2.0 * C * (Xa.T @ Xa)
        step = -np.linalg.solve(H, g)
        t, slope = 1.0, g @ step
        while True:
            w_new = w + t * step
            f_new, g_new, act_new = f_and_grad(w_new)
            if f_new <= f + 1e-4 * t * slope or t < 1e-10:
                break
            t *= 0.5
        finite = t == 1.0 and np.array_equal(act_new, act)  # same active set: the quadratic step was exact
        w, f, g, act = w_new, f_new, g_new, act_new
        curve.append(float(f))
        if finite or np.linalg.norm(g) <= tol * g0:
            break
    else:
        warnings.warn(f"LinearSVC: Newton stopped at max_iter={max_iter}", ConvergenceWarning, stacklevel=3)
    return w, it


def _dual_cd(X: np.ndarray, y: np.ndarray, C: float, loss: str, tol: float, max_iter: int, rng, curve: list):
    """Dual coordinate descent for the hinge (U = C) or squared hinge (U = ∞, D = 1/(2C))."""
    n, d = X.shape
    alpha = np.zeros(n)
    w = np.zeros(d)
    D = 0.0 if loss == "hinge" else 0.5 / C
    U = C if loss == "hinge" else np.inf
    Qd = np.einsum("ij,ij->i", X, X) + D
    rows = [X[i] for i in range(n)]
    epoch = 0
    for epoch in range(1, max_iter + 1):  # noqa: B007 - the count is returned
        pg_max, pg_min = -np.inf, np.inf
        for i in rng.permutation(n):
            xi, yi, ai = rows[i], y[i], alpha[i]
            G = yi * float(w @ xi) - 1.0 + D * ai
            if ai == 0.0:
                pg = min(G, 0.0)
            elif ai == U:
                pg = max(G, 0.0)
            else:
                pg = G
            pg_max = max(pg_max, pg)
            pg_min = min(pg_min, pg)
            if pg != 0.0 and Qd[i] > 0:
                new = min(max(ai - G / Qd[i], 0.0), U)
                alpha[i] = new
                w += (new - ai) * yi * xi
        curve.append(_primal(X, y, w, C, loss))
        if pg_max - pg_min <= tol:
            break
    else:
        warnings.warn(f"LinearSVC: dual coordinate descent stopped at max_iter={max_iter} epochs before the "
                      f"projected-gradient gap reached tol={tol}", ConvergenceWarning, stacklevel=3)
    return w, epoch
