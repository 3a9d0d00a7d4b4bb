"""Rosenblatt's perceptron, trained by the perceptron learning rule, recording every step.

For a sample x with target t the perceptron computes

    net = w·x + b            (bias form, ``form='bias'``)
    net = w·x − θ            (threshold form, ``form='threshold'``)
    o   = step(net)

where ``step`` gives the positive output (1) for net > 0, the negative output (0 for
``targets='binary'``, −1 for ``targets='bipolar'``) for net < 0, and ``step_at_zero`` for
net = 0 (by default the positive output: o = 1 when net ≥ 0, MATLAB's ``hardlim``/``hardlims``).
During training a net input within 1e-9·(Σ|wⱼxⱼ| + |b|) of 0 counts as exactly 0, so decimal
examples worked on paper (0.8 + 0.4 − 1.2 = 0) take the same branch as in floating point.
The learning rule, with learning rate η and error e = t − o, is

    w ← w + η·e·x,   b ← b + η·e      (bias form)
    w ← w + η·e·x,   θ ← θ − η·e      (threshold form: θ acts as a bias of −θ)

so nothing changes when the output is right (e = 0). Samples are presented in their order in X
(``shuffle=False`` by default, so a worked solution can be checked by hand); an epoch is one pass;
training stops after the first epoch with no error (``converged_ = True``) or after ``max_iter``
epochs. By the perceptron convergence theorem it converges when the classes are linearly separable.

Every presentation is recorded in ``history_`` as a :class:`PerceptronStep` (epoch, sample
index, inputs, net, output, target, error, Δw, Δb, new w, new b); ``history_table()`` formats
them. With more than two classes the estimator trains one perceptron per class (one-vs-rest:
target positive for that class, negative for the others; ``cls`` in each step says which) and
predicts the class with the largest net input, as scikit-learn does.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from ..errors import ConfigError, ShapeError
from ..random import Generator, get_generator
from .base import (
    BaseEstimator,
    LinearClassifierMixin,
    check_choice,
    check_int,
    check_positive,
    check_two_classes,
    check_X_y,
    encode_labels,
)

__all__ = ["Perceptron", "PerceptronStep"]


@dataclass
class PerceptronStep:
    """One presentation of one sample to the perceptron.

    ``epoch`` counts from 1, ``index`` is the sample's row in X. ``delta_b`` and ``b`` are the
    change and new value of the bias b (bias form) or of the threshold θ (threshold form).
    ``cls`` is the class whose one-vs-rest perceptron this step trains (None for two classes).
    """

    epoch: int
    index: int
    x: np.ndarray
    net: float
    output: float
    target: float
    error: float
    delta_w: np.ndarray
    delta_b: float
    w: np.ndarray
    b: float
    cls: object = field(default=None)

    @property
    def updated(self) -> bool:
        """Whether this step changed the weights (the output was wrong)."""
        return self.error != 0

    def as_dict(self) -> dict:
        return asdict(self)


def _rng(random_state) -> np.random.Generator:
    if isinstance(random_state, Generator):
        return get_generator(random_state)
    if random_state is None:
        return get_generator(None)
    return np.random.default_rng(random_state)


class Perceptron(LinearClassifierMixin, BaseEstimator):
    """Perceptron(eta0=1.0, max_iter=100, fit_intercept=True, form='bias', targets='binary', ...)

    Parameters (names follow scikit-learn where it has them):

    * ``eta0`` — the learning rate η (> 0).
    * ``max_iter`` — the most epochs (passes over the data).
    * ``fit_intercept`` — learn a bias/threshold; False keeps b = 0.
    * ``form`` — ``'bias'`` (net = w·x + b) or ``'threshold'`` (net = w·x − θ).
    * ``targets`` — ``'binary'`` (outputs and targets 0/1) or ``'bipolar'`` (−1/+1). Labels of any
      kind are accepted; ``classes_[1]`` (the larger label) is the positive class.
    * ``step_at_zero`` — the output when net = 0; None means the positive output 1.
      Allowed: 0 or 1 (binary); −1, 0 or 1 (bipolar, 0 being sign(0)).
    * ``w_init`` — initial weights, shape (n_features,) (or (n_classes, n_features) for one-vs-rest);
      None means zeros. ``b_init`` — initial bias or threshold (a number, or one per class).
    * ``shuffle`` — present the samples in a new random order each epoch (``random_state``: an int,
      a chalkgrad Generator, or None for the default generator). Off by default.
    * ``record`` — ``'all'`` steps in ``history_``, only the ``'errors'`` (updates), or ``'none'``.

    Fitted attributes: ``coef_`` (n_outputs, n_features), ``intercept_`` (n_outputs,) — the bias,
    or −θ in threshold form — ``threshold_`` (θ = −intercept_), ``classes_``, ``history_``,
    ``converged_``, ``n_iter_`` (epochs run, the error-free one included), ``errors_per_epoch_``.
    n_outputs is 1 for two classes, else the number of classes.
    """

    def __init__(self, eta0: float = 1.0, max_iter: int = 100, fit_intercept: bool = True, form: str = "bias",
                 targets: str = "binary", step_at_zero=None, w_init=None, b_init=0.0, shuffle: bool = False,
                 random_state=None, record: str = "all") -> None:
        self.eta0 = eta0
        self.max_iter = max_iter
        self.fit_intercept = fit_intercept
        self.form = form
        self.targets = targets
        self.step_at_zero = step_at_zero
        self.w_init = w_init
        self.b_init = b_init
        self.shuffle = shuffle
        self.random_state = random_state
        self.record = record

    # -- the pieces of the rule ------------------------------------------------------------
    def _levels(self) -> tuple[float, float, float]:
        """(negative output, positive output, output at net = 0)."""
        where = "Perceptron"
        check_choice(self.targets, ("binary", "bipolar"), where, "targets")
        neg = 0.0 if self.targets == "binary" else -1.0
        zero = 1.0 if self.step_at_zero is None else self.step_at_zero
        allowed = (0.0, 1.0) if self.targets == "binary" else (-1.0, 0.0, 1.0)
        if isinstance(zero, bool) or not isinstance(zero, (int, float, np.integer, np.floating)) \
                or float(zero) not in allowed:
            raise ConfigError(f"{where}: step_at_zero must be one of {allowed} for targets={self.targets!r}, "
                              f"got {self.step_at_zero!r}")
        return neg, 1.0, float(zero)

    def _step(self, net, neg: float, zero: float):
        net = np.asarray(net)
        return np.where(net > 0, 1.0, np.where(net < 0, neg, zero))

    def _initial(self, n_out: int, d: int) -> tuple[np.ndarray, np.ndarray]:
        if self.w_init is None:
            W = np.zeros((n_out, d))
        else:
            w = np.asarray(self.w_init, dtype=np.float64)
            if w.shape == (d,):
                W = np.tile(w, (n_out, 1))
            elif w.shape == (n_out, d):
                W = w.copy()
            else:
                want = f"({d},)" + (f" or ({n_out}, {d})" if n_out > 1 else "")
                raise ShapeError(f"Perceptron.fit: w_init has shape {w.shape}, expected {want} for "
                                 f"{d} features")
        b = np.asarray(self.b_init, dtype=np.float64)
        if b.ndim == 0:
            B = np.full(n_out, float(b))
        elif b.shape in ((n_out,), (1,)):
            B = np.broadcast_to(b, (n_out,)).copy()
        else:
            raise ShapeError(f"Perceptron.fit: b_init has shape {b.shape}, expected a number or shape ({n_out},)")
        if not self.fit_intercept:
            B[:] = 0.0
        return W, B

    def fit(self, X, y):
        """Train with the perceptron rule from ``w_init``/``b_init``; returns self."""
        where = "Perceptron.fit"
        X, y = check_X_y(X, y, where)
        eta = check_positive(self.eta0, where, "eta0")
        epochs = check_int(self.max_iter, where, "max_iter")
        check_choice(self.form, ("bias", "threshold"), where, "form")
        check_choice(self.record, ("all", "errors", "none"), where, "record")
        neg, pos, zero = self._levels()
        classes, codes = encode_labels(y, where)
        check_two_classes(classes, where)
        n, d = X.shape
        n_out = 1 if len(classes) == 2 else len(classes)
        W, B = self._initial(n_out, d)
        rng = _rng(self.random_state) if self.shuffle else None
        sign = 1.0 if self.form == "bias" else -1.0  # net = w·x + sign·B ; B is b or θ
        history, converged, n_iter, errors_per_epoch = [], [], [], []
        for k in range(n_out):
            pos_code = 1 if n_out == 1 else k
            T = np.where(codes == pos_code, pos, neg)
            cls = None if n_out == 1 else classes[k]
            w, b = W[k], B[k:k + 1]
            errs_k, done, epoch = [], False, 0
            for epoch in range(1, epochs + 1):
                order = rng.permutation(n) if rng is not None else range(n)
                errors = 0
                for i in order:
                    x = X[i]
                    terms = x * w
                    net = float(terms.sum() + sign * b[0])
                    if abs(net) <= 1e-9 * (np.abs(terms).sum() + abs(b[0])):
                        net = 0.0  # rounding noise of decimal inputs: 0.8 + 0.4 − 1.2 is 0 on paper
                    o = float(self._step(net, neg, zero))
                    e = float(T[i] - o)
                    dw = eta * e * x
                    db = sign * eta * e if self.fit_intercept else 0.0
                    if e != 0:
                        errors += 1
                        w += dw
                        b[0] += db
                    if self.record == "all" or (self.record == "errors" and e != 0):
                        history.append(PerceptronStep(epoch, int(i), x.copy(), net, o, float(T[i]), e, dw + 0.0,
                                                      float(db) + 0.0, w.copy(), float(b[0]), cls))
                errs_k.append(errors)
                if errors == 0:
                    done = True
                    break
            converged.append(done)
            n_iter.append(epoch)
            errors_per_epoch.append(errs_k)
        self.classes_ = classes
        self.n_features_in_ = d
        self.coef_ = W
        self.intercept_ = sign * B
        self.threshold_ = -self.intercept_
        self.history_ = history
        self.converged_ = all(converged)
        self.n_iter_ = max(n_iter)
        self.errors_per_epoch_ = errors_per_epoch[0] if n_out == 1 else errors_per_epoch
        return self

    def predict(self, X) -> np.ndarray:
        """The class whose output is positive (two classes: step(net) is the positive output; else argmax net)."""
        scores = self.decision_function(X)
        if scores.ndim == 1:
            _, _, zero = self._levels()
            X = np.asarray(X, dtype=np.float64) if not hasattr(X, "detach") else X.detach().numpy()
            scale = np.abs(X) @ np.abs(self.coef_[0]) + abs(self.intercept_[0])
            scores = np.where(np.abs(scores) <= 1e-9 * scale, 0.0, scores)  # as in fit: paper zeros are zeros
            return self.classes_[(self._step(scores, 0.0, 1.0 if zero == 1.0 else 0.0) > 0).astype(int)]
        return self.classes_[np.argmax(scores, axis=1)]

    def history_table(self, tablefmt: str = "simple", floatfmt: str = "g") -> str:
        """The recorded steps as a text table (via tabulate), one row per step, for worked solutions."""
        self._check_fitted("history_", "history_table")
        from tabulate import tabulate

        bname = "θ" if self.form == "threshold" else "b"
        headers = ["epoch", "i", "x", "net", "o", "t", "e", "Δw", f"Δ{bname}", "w", bname]
        multi = any(s.cls is not None for s in self.history_)
        if multi:
            headers.insert(0, "class")

        def vec(a):
            return "[" + ", ".join(format(float(v), floatfmt) for v in a) + "]"

        rows = []
        for s in self.history_:
            row = [s.epoch, s.index, vec(s.x), s.net, s.output, s.target, s.error, vec(s.delta_w), s.delta_b,
                   vec(s.w), s.b]
            rows.append(([s.cls] if multi else []) + row)
        return tabulate(rows, headers=headers, tablefmt=tablefmt, floatfmt=floatfmt)
