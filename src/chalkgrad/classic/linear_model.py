"""Linear and logistic regression: ``LinearRegression`` and ``LogisticRegression``.

**Linear regression** fits ŷ = Xw + b by least squares, minimizing Σᵢ (yᵢ − ŷᵢ)².
``solver='lstsq'`` (default) centers X and y (x̄, ȳ), solves min ‖(X − x̄)w − (y − ȳ)‖ with
``numpy.linalg.lstsq`` (SVD; the minimum-norm solution when X is rank-deficient) and sets
b = ȳ − x̄·w, as scikit-learn does. ``solver='gd'`` runs ``epochs`` steps of full-batch
gradient descent from zero on the mean squared error L = (1/n) Σ (ŷᵢ − yᵢ)²:
w ← w − lr · (2/n) Xᵀ(ŷ − y),  b ← b − lr · (2/n) Σ (ŷᵢ − yᵢ), recording L after each step in
``loss_curve_`` (it stops early when the gradient is below ``tol``).

**Logistic regression**, two classes: p(y = 1 | x) = σ(w·x + b), σ(z) = 1/(1 + e^−z); several
classes (multinomial): p(y = k | x) = softmax(Wx + b)_k. The fit minimizes, as scikit-learn with
``penalty='l2'``,

    ½‖w‖² + C Σᵢ −log p(yᵢ | xᵢ)        (the intercept is not penalized)

(internally divided by C·n). ``solver='newton'`` (default) is Newton's method (IRLS for two
classes): gradient Xᵀ(p − y)/n + w/(Cn), Hessian XᵀSX/n + I/(Cn) with S = diag(pᵢ(1 − pᵢ)) (for the
multinomial, blocks Xᵀ diag(p_k(δ_kl − p_l)) X/n), a backtracking line search, and it stops when the
largest gradient entry is ≤ ``tol``; it converges in a few steps to machine precision, so
the probabilities agree with scikit-learn's converged lbfgs. ``solver='gd'`` is plain gradient
descent with learning rate ``lr`` for ``max_iter`` steps on the same objective. ``loss_curve_``
records the objective (mean log-loss + penalty/(Cn)) at each step. ``penalty=None`` drops the
penalty (the minimum may then not exist for separable classes).
"""

from __future__ import annotations

import warnings

import numpy as np

from ..errors import ConfigError, NumericalError
from .base import (
    BaseEstimator,
    ClassifierMixin,
    ConvergenceWarning,
    RegressorMixin,
    check_choice,
    check_int,
    check_positive,
    check_two_classes,
    check_X_y,
    encode_labels,
)

__all__ = ["LinearRegression", "LogisticRegression"]


class LinearRegression(RegressorMixin, BaseEstimator):
    """LinearRegression(fit_intercept=True, solver='lstsq', lr=0.01, epochs=1000, tol=0.0)

    Ordinary least squares (see the module docstring). Fitted: ``coef_`` ((n_features,) for 1-D y,
    (n_targets, n_features) for 2-D y), ``intercept_``, ``rank_`` and ``singular_``
    (lstsq), ``loss_curve_`` and ``n_iter_`` (gd).
    """

    _multi_output = True

    def __init__(self, fit_intercept: bool = True, solver: str = "lstsq", lr: float = 0.01, epochs: int = 1000,
                 tol: float = 0.0) -> None:
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.lr = lr
        self.epochs = epochs
        self.tol = tol

    def fit(self, X, y):
        where = "LinearRegression.fit"
        X, y = check_X_y(X, y, where, y_2d=True)
        check_choice(self.solver, ("lstsq", "gd"), where, "solver")
        y = y.astype(np.float64)
        Y = y.reshape(len(y), -1)
        n, d = X.shape
        if self.solver == "lstsq":
            x_mean = X.mean(0) if self.fit_intercept else np.zeros(d)
            y_mean = Y.mean(0) if self.fit_intercept else np.zeros(Y.shape[1])
            W, _, rank, sv = np.linalg.lstsq(X - x_mean, Y - y_mean, rcond=None)
            b = y_mean - x_mean @ W
            self.rank_, self.singular_ = int(rank), sv
        else:
            lr = check_positive(self.lr, where, "lr")
            epochs = check_int(self.epochs, where, "epochs")
            tol = check_positive(self.tol, where, "tol", allow_zero=True)
            W = np.zeros((d, Y.shape[1]))
            b = np.zeros(Y.shape[1])
            curve = []
            it = 0
            for it in range(1, epochs + 1):
                R = X @ W + b - Y
                gW = (2.0 / n) * (X.T @ R)
                gb = (2.0 / n) * R.sum(0) if self.fit_intercept else np.zeros_like(b)
                with np.errstate(over="ignore", invalid="ignore"):
                    W -= lr * gW
                    b -= lr * gb
                with np.errstate(over="ignore", invalid="ignore"):
                    loss = float(np.mean((X @ W + b - Y) ** 2))
                if not np.isfinite(loss):
                    raise NumericalError(f"{where}: gradient descent diverged at epoch {it} (loss {loss}); "
                                         f"lower lr={self.lr} or standardize X")
                curve.append(loss)
                if max(np.abs(gW).max(initial=0.0), np.abs(gb).max(initial=0.0)) <= tol:
                    break
            self.loss_curve_ = curve
            self.n_iter_ = it
        self.n_features_in_ = d
        if y.ndim == 1:
            self.coef_, self.intercept_ = W[:, 0].copy(), float(b[0])
        else:
            self.coef_, self.intercept_ = W.T.copy(), b.copy()
        return self

    def predict(self, X) -> np.ndarray:
        """ŷ = X·coef_ᵀ + intercept_."""
        X = self._check_predict_X(X, "predict", "coef_")
        return X @ self.coef_.T + self.intercept_


def _sigmoid(z: np.ndarray) -> np.ndarray:
    """σ(z) = exp(−log(1 + e^−z)), accurate in both tails."""
    return np.exp(-np.logaddexp(0.0, -z))


def _softmax(Z: np.ndarray) -> np.ndarray:
    Z = Z - Z.max(axis=1, keepdims=True)
    E = np.exp(Z)
    return E / E.sum(axis=1, keepdims=True)


def _log_softmax(Z: np.ndarray) -> np.ndarray:
    Z = Z - Z.max(axis=1, keepdims=True)
    return Z - np.log(np.exp(Z).sum(axis=1, keepdims=True))


class LogisticRegression(ClassifierMixin, BaseEstimator):
    """LogisticRegression(penalty='l2', C=1.0, fit_intercept=True, solver='newton', max_iter=100, tol=1e-8, lr=0.1)

    Binary (sigmoid) for two classes, multinomial (softmax) for more (see the module docstring).
    Fitted: ``coef_`` (1 or n_classes, n_features), ``intercept_``, ``classes_``, ``n_iter_``,
    ``loss_curve_``. ``predict_proba`` has one column per class in ``classes_`` order.
    """

    def __init__(self, penalty: str | None = "l2", C: float = 1.0, fit_intercept: bool = True,
                 solver: str = "newton", max_iter: int = 100, tol: float = 1e-8, lr: float = 0.1) -> None:
        self.penalty = penalty
        self.C = C
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.lr = lr

    def fit(self, X, y):
        where = "LogisticRegression.fit"
        X, y = check_X_y(X, y, where)
        if self.penalty is not None:
            check_choice(self.penalty, ("l2",), where, "penalty")
        if isinstance(self.C, bool) or not isinstance(self.C, (int, float, np.integer, np.floating)) \
                or not self.C > 0:
            raise ConfigError(f"{where}: C must be a positive number (the inverse of the L2 penalty strength), "
                              f"got {self.C!r}")
        check_choice(self.solver, ("newton", "gd"), where, "solver")
        max_iter = check_int(self.max_iter, where, "max_iter")
        tol = check_positive(self.tol, where, "tol", allow_zero=True)
        lr = check_positive(self.lr, where, "lr")
        classes, codes = encode_labels(y, where)
        check_two_classes(classes, where)
        n, d = X.shape
        K = 1 if len(classes) == 2 else len(classes)
        Xt = np.hstack([X, np.ones((n, 1))]) if self.fit_intercept else X
        p_dim = Xt.shape[1]
        lam = 0.0 if self.penalty is None else 1.0 / (float(self.C) * n)
        reg = np.full(p_dim, lam)
        if self.fit_intercept:
            reg[-1] = 0.0
        Y = (codes[:, None] == np.arange(K)[None, :]).astype(np.float64) if K > 1 else codes[:, None].astype(float)

        def objective(theta):  # theta: (K, p_dim)
            Z = Xt @ theta.T
            if K == 1:
                z = Z[:, 0]
                nll = np.mean(np.logaddexp(0.0, z) - Y[:, 0] * z)
            else:
                nll = -np.mean(np.sum(Y * _log_softmax(Z), axis=1))
            return nll + 0.5 * np.sum(reg * theta * theta), Z

        def probs(Z):
            if K == 1:
                return _sigmoid(Z)
            return _softmax(Z)

        theta = np.zeros((K, p_dim))
        f, Z = objective(theta)
        curve = [float(f)]
        it = 0
        converged = False
        for it in range(1, max_iter + 1):
            P = probs(Z)
            R = P - Y
            grad = R.T @ Xt / n + reg * theta
            if np.abs(grad).max() <= tol:
                converged = True
                it -= 1
                break
            if self.solver == "gd":
                step = -lr * grad
                theta = theta + step
                f, Z = objective(theta)
                if not np.isfinite(f):
                    raise NumericalError(f"{where}: gradient descent diverged at step {it}; lower lr={lr}")
            else:
                H = self._hessian(Xt, P, reg, n, K)
                g = grad.ravel()
                try:
                    step = -np.linalg.solve(H, g).reshape(K, p_dim)
                except np.linalg.LinAlgError:
                    step = -np.linalg.lstsq(H, g, rcond=None)[0].reshape(K, p_dim)
                t, slope = 1.0, float(g @ step.ravel())
                while True:
                    f_new, Z_new = objective(theta + t * step)
                    if f_new <= f + 1e-4 * t * slope or t < 1e-10:
                        break
                    t *= 0.5
                theta, f, Z = theta + t * step, f_new, Z_new
            curve.append(float(f))
        if not converged:
            P = probs(Z)
            if np.abs((P - Y).T @ Xt / n + reg * theta).max() <= tol:
                converged = True
        if not converged:
            warnings.warn(f"{where}: solver={self.solver!r} stopped at max_iter={max_iter} before the gradient "
                          f"reached tol={tol}; increase max_iter{' or lr' if self.solver == 'gd' else ''}",
                          ConvergenceWarning, stacklevel=2)
        W = theta[:, :d]
        b = theta[:, d] if self.fit_intercept else np.zeros(K)
        if K > 1 and self.fit_intercept:
            b = b - b.mean()  # the softmax ignores a common shift; pick Σb = 0 (scikit-learn's too)
        self.classes_ = classes
        self.n_features_in_ = d
        self.coef_ = W.copy()
        self.intercept_ = np.asarray(b, dtype=np.float64).copy()
        self.n_iter_ = np.array([it])
        self.loss_curve_ = curve
        return self

    @staticmethod
    def _hessian(Xt, P, reg, n, K):
        p_dim = Xt.shape[1]
        if K == 1:
            s = P[:, 0] * (1.0 - P[:, 0])
            H = (Xt.T * s) @ Xt / n
            H[np.diag_indices(p_dim)] += reg
            if reg[-1] == 0:
                H[-1, -1] += 1e-12
            return H
        # H[(k,a),(l,b)] = (1/n) Σᵢ xᵢₐ xᵢᵦ pᵢₖ(δₖₗ − pᵢₗ): with Aᵢ,(k,a) = pᵢₖ xᵢₐ it is
        # blockdiag(Aᵀ X) − AᵀA, two matrix products in all
        A = (P[:, :, None] * Xt[:, None, :]).reshape(len(Xt), K * p_dim)
        H = -(A.T @ A)
        D = (A.T @ Xt).reshape(K, p_dim, p_dim)
        for k in range(K):
            H[k * p_dim:(k + 1) * p_dim, k * p_dim:(k + 1) * p_dim] += D[k]
        H /= n
        diag = np.tile(reg, K)
        diag = np.where(diag > 0, diag, 1e-12)  # the unpenalized intercepts share a flat direction
        H[np.diag_indices(K * p_dim)] += diag
        return H

    def decision_function(self, X) -> np.ndarray:
        """w·x + b: shape (n,) for two classes (the log-odds of classes_[1]), else (n, n_classes)."""
        X = self._check_predict_X(X, "decision_function", "coef_")
        Z = X @ self.coef_.T + self.intercept_
        return Z[:, 0] if Z.shape[1] == 1 else Z

    def predict_proba(self, X) -> np.ndarray:
        """(n, n_classes) probabilities, columns in ``classes_`` order."""
        Z = self.decision_function(X)
        if Z.ndim == 1:
            return np.stack([_sigmoid(-Z), _sigmoid(Z)], axis=1)
        return _softmax(Z)

    def predict_log_proba(self, X) -> np.ndarray:
        Z = self.decision_function(X)
        if Z.ndim == 1:
            return np.stack([-np.logaddexp(0.0, Z), -np.logaddexp(0.0, -Z)], axis=1)
        return _log_softmax(Z)

    def predict(self, X) -> np.ndarray:
        """The most probable class (two classes: classes_[1] where w·x + b > 0)."""
        Z = self.decision_function(X)
        if Z.ndim == 1:
            return self.classes_[(Z > 0).astype(int)]
        return self.classes_[np.argmax(Z, axis=1)]
