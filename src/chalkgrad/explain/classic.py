"""Worked solutions for the classic learners: perceptron rule, k nearest neighbours, linear SVM.

* :func:`explain_perceptron` writes out the perceptron learning rule presentation by presentation,
  from :class:`chalkgrad.classic.Perceptron`'s ``history_``: net = Σ w_k·x_k + b, o = step(net),
  e = t − o, and for every update Δw_k = η·e·x_k, w_k⁺ = w_k + Δw_k, grouped by epoch, with
  convergence (or its absence, as for XOR) stated. :func:`logic_gate` gives the truth tables.
* :func:`explain_knn` writes the distance from the query to every training point with the numbers
  put in (euclidean, manhattan, minkowski, cosine), the k nearest (ties to the lower index), their
  weights and the vote per class or the (weighted) mean, from ``KNeighborsClassifier``/``Regressor``.
* :func:`explain_svm` gives a linear SVM's support vectors and their α, w = Σ α_i·y_i·x_i, b,
  ‖w‖ and the margin width 2/‖w‖, and the decision value f(x) = w·x + b of each point,
  from ``SVC(kernel='linear')`` or ``LinearSVC``.

Values come from the estimators' fitted attributes and methods; the formulas are checked by
:meth:`~.steps.Solution.verify`.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError, ShapeError
from .expr import Add, Call, Div, Mul, Num, Pow, Sub, Sym, add, fmt_number
from .steps import Solution

__all__ = ["explain_perceptron", "explain_knn", "explain_svm", "logic_gate", "GATES",
           "MAX_SAMPLES", "MAX_FEATURES", "MAX_EPOCHS"]

MAX_SAMPLES, MAX_FEATURES, MAX_EPOCHS = 20, 6, 30

#: Truth tables of the logic gates (binary inputs, binary target).
GATES = {
    "and": ([[0, 0], [0, 1], [1, 0], [1, 1]], [0, 0, 0, 1]),
    "or": ([[0, 0], [0, 1], [1, 0], [1, 1]], [0, 1, 1, 1]),
    "nand": ([[0, 0], [0, 1], [1, 0], [1, 1]], [1, 1, 1, 0]),
    "nor": ([[0, 0], [0, 1], [1, 0], [1, 1]], [1, 0, 0, 0]),
    "xor": ([[0, 0], [0, 1], [1, 0], [1, 1]], [0, 1, 1, 0]),
    "not": ([[0], [1]], [1, 0]),
}


def logic_gate(name: str) -> tuple[np.ndarray, np.ndarray]:
    """(X, t) of a logic gate: and, or, nand, nor, xor (two inputs) or not (one input)."""
    key = str(name).lower()
    if key not in GATES:
        raise ConfigError(f"logic_gate: unknown gate {name!r}; expected one of {', '.join(GATES)}")
    X, t = GATES[key]
    return np.array(X, dtype=np.float64), np.array(t, dtype=np.float64)


def _matrix(name, value, where):
    X = np.asarray(value.numpy() if hasattr(value, "numpy") else value, dtype=np.float64)
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2 or X.size == 0:
        raise ShapeError(f"{where}: {name} must be a list of samples (rows of numbers), got shape {X.shape}")
    if X.shape[0] > MAX_SAMPLES or X.shape[1] > MAX_FEATURES:
        raise ConfigError(f"{where}: {X.shape[0]} samples of {X.shape[1]} features is too many for a worked solution "
                          f"(at most {MAX_SAMPLES} samples of {MAX_FEATURES} features)")
    return X


def _xname(i: int, k: int, d: int) -> str:
    return f"x_{i + 1}" if d == 1 else f"x_{i + 1},{k + 1}"


def _vec(v) -> str:
    return "(" + ", ".join(fmt_number(float(a), 6) for a in v) + ")"


# ----------------------------------------------------------------------------- perceptron
def explain_perceptron(X, t, *, eta: float = 1.0, epochs: int = 10, w_init=None, b_init: float = 0.0,
                       form: str = "bias", targets: str = "binary", step_at_zero=None,
                       title: str | None = None) -> Solution:
    """The perceptron learning rule, every presentation written out, from ``Perceptron.history_``.

    Args:
        X: samples (n, d); t: targets (0/1 for ``targets='binary'``, −1/+1 for ``'bipolar'``).
        eta: learning rate η; epochs: the most passes over the samples (in their order).
        w_init, b_init: initial weights (zeros by default) and bias, or threshold θ with ``form='threshold'``
            (net = w·x − θ, θ⁺ = θ − η·e).
        step_at_zero: the output when net = 0 (default: the positive output, o = 1 when net ≥ 0).
    Two classes only; limits: 20 samples, 6 features, 30 epochs.
    """
    from ..classic import Perceptron

    where = "explain_perceptron"
    X = _matrix("X", X, where)
    n, d = X.shape
    t = np.asarray(t, dtype=np.float64).reshape(-1)
    if t.shape != (n,):
        raise ShapeError(f"{where}: {n} samples but {t.size} targets")
    levels = (0.0, 1.0) if targets == "binary" else (-1.0, 1.0)
    if targets not in ("binary", "bipolar"):
        raise ConfigError(f"{where}: targets must be 'binary' (0/1) or 'bipolar' (−1/+1), got {targets!r}")
    if not set(t.tolist()) <= set(levels):
        raise ConfigError(f"{where}: {targets} targets must be {levels[0]:g} or {levels[1]:g}, got "
                          f"{sorted(set(t.tolist()))}")
    if len(set(t.tolist())) < 2:
        raise ConfigError(f"{where}: the targets hold one class only ({t[0]:g}); the rule needs both")
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or not 1 <= epochs <= MAX_EPOCHS:
        raise ConfigError(f"{where}: epochs must be an integer from 1 to {MAX_EPOCHS}, got {epochs!r}")
    model = Perceptron(eta0=eta, max_iter=int(epochs), form=form, targets=targets, step_at_zero=step_at_zero,
                       w_init=w_init, b_init=b_init, record="all").fit(X, t)
    neg, pos, zero = model._levels()
    bname = "θ" if form == "threshold" else "b"
    wn = [f"w{k + 1}" for k in range(d)]
    sol = Solution(title or "Worked solution: the perceptron learning rule")
    out_rule = (f"o = {fmt_number(pos, None)} if net > 0, {fmt_number(neg, None)} if net < 0, "
                f"{fmt_number(zero, None)} if net = 0")
    net_rule = "net = Σ w_k·x_k + b" if form == "bias" else "net = Σ w_k·x_k − θ"
    upd = "b⁺ = b + η·e" if form == "bias" else "θ⁺ = θ − η·e"
    sol.conventions.append(f"{net_rule}; {out_rule}; error e = t − o; when e ≠ 0: Δw_k = η·e·x_k, "
                           f"w_k⁺ = w_k + Δw_k, {upd}. Samples in the order given; subscripts (epoch, sample).")
    given = sol.section("Given")
    for i in range(n):
        for k in range(d):
            given.given(_xname(i, k, d), X[i, k])
        given.given(f"t_{i + 1}", t[i])
    w0 = np.zeros(d) if w_init is None else np.asarray(w_init, dtype=np.float64).reshape(-1)
    for k in range(d):
        given.given(wn[k], w0[k])
    given.given(bname, float(b_init) if model.fit_intercept else 0.0)
    given.given("η", eta)

    errors_per_epoch = model.errors_per_epoch_
    sec, current, last_update = None, None, {}
    for s in model.history_:
        if sec is None or s.epoch != current:
            current = s.epoch
            sec = sol.section(f"Epoch {s.epoch}")
        i, e = s.index, s.epoch
        tag = f"{e},{i + 1}"
        terms = [Mul([Sym(wn[k]), Sym(_xname(i, k, d))]) for k in range(d)]
        if form == "bias":
            net = add(*terms, Sym(bname))
        else:
            net = Sub(add(*terms), Sym(bname))
        sec.derive(f"net_{tag}", net, s.net, note=f"sample {i + 1}: x = {_vec(s.x)}, t = {fmt_number(s.target, None)}")
        if s.net == 0:
            o_formula, note = Num(zero), f"net = 0: by the convention o = {fmt_number(zero, None)}"
        elif targets == "binary":
            o_formula, note = Call("step", Sym(f"net_{tag}")), ""
        else:
            o_formula, note = Call("sign", Sym(f"net_{tag}")), ""
        sec.derive(f"o_{tag}", o_formula, s.output, note=note)
        sec.derive(f"e_{tag}", Sub(Sym(f"t_{i + 1}"), Sym(f"o_{tag}")), s.error,
                   note="correct: no change" if s.error == 0 else "wrong: update")
        if s.error != 0:
            for k in range(d):
                sec.derive(f"Δ{wn[k]}", Mul([Sym("η"), Sym(f"e_{tag}"), Sym(_xname(i, k, d))]), s.delta_w[k])
            if model.fit_intercept:
                db = Mul([Sym("η"), Sym(f"e_{tag}")])
                sec.derive(f"Δ{bname}", db if form == "bias" else Mul([Num(-1), Sym("η"), Sym(f"e_{tag}")]),
                           s.delta_b)
            for k in range(d):
                last_update[wn[k]] = sec.derive(wn[k], Add([Sym(wn[k]), Sym(f"Δ{wn[k]}")]), s.w[k])
            if model.fit_intercept:
                last_update[bname] = sec.derive(bname, Add([Sym(bname), Sym(f"Δ{bname}")]), s.b)
    for sec_ in sol.sections[1:]:
        ep = int(sec_.title.split()[1])
        k = errors_per_epoch[ep - 1]
        sec_.intro = f"{k} error{'s' if k != 1 else ''} in this epoch" + (" (converged)" if k == 0 else "")
    final_w = model.coef_[0]
    final_b = model.intercept_[0] if form == "bias" else model.threshold_[0]
    res = sol.section("Result")
    weights = ", ".join(f"{w} = {fmt_number(v, 6)}" for w, v in zip(wn, final_w)) + \
        f", {bname} = {fmt_number(final_b, 6)}"
    if model.converged_:
        res.intro = (f"Converged: epoch {model.n_iter_} made no error, so {weights} classify every sample "
                     f"(errors per epoch: {', '.join(str(k) for k in errors_per_epoch)}).")
    else:
        res.intro = (f"Not converged within {epochs} epoch{'s' if epochs != 1 else ''} (errors per epoch: "
                     f"{', '.join(str(k) for k in errors_per_epoch)}); the weights are now {weights}. "
                     "The rule stops only when a line (hyperplane) separates the classes; for XOR none exists, "
                     "so the weights cycle forever.")
    for step in last_update.values():
        step.answer = True  # the final weights are the answer
    sol.verify()
    return sol


# ----------------------------------------------------------------------------- k nearest neighbours
_METRICS = ("euclidean", "manhattan", "minkowski", "cosine")


def _distance_formula(metric: str, p: float, q: list, x: list):
    diffs = [Sub(Sym(a), Sym(b)) for a, b in zip(q, x)]
    if metric == "euclidean":
        return Call("sqrt", add(*[Pow(df, Num(2)) for df in diffs])), "d = √Σ (q_k − x_k)²"
    if metric == "manhattan":
        return add(*[Call("abs", df) for df in diffs]), "d = Σ |q_k − x_k|"
    if metric == "minkowski":
        inner = add(*[Pow(Call("abs", df), Num(p)) for df in diffs])
        return Pow(inner, Div(Num(1), Num(p))), f"d = (Σ |q_k − x_k|^p)^(1/p), p = {p:g}"
    dot = add(*[Mul([Sym(a), Sym(b)]) for a, b in zip(q, x)])
    nq = Call("sqrt", add(*[Pow(Sym(a), Num(2)) for a in q]))
    nx = Call("sqrt", add(*[Pow(Sym(b), Num(2)) for b in x]))
    return Sub(Num(1), Div(dot, Mul([nq, nx]))), "d = 1 − q·x/(‖q‖·‖x‖)"


def _label_text(v) -> str:
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        v = int(v)
    if isinstance(v, (int, np.integer, float, np.floating)):
        return fmt_number(float(v), 6)
    return str(v)


def explain_knn(X, y, query, *, k: int = 3, metric: str = "euclidean", p: float = 2, weights: str = "uniform",
                task: str = "classification", title: str | None = None) -> Solution:
    """k nearest neighbours of one query: every distance, the k nearest, the vote or the mean.

    Values from ``KNeighborsClassifier``/``KNeighborsRegressor`` (``kneighbors`` over all training points,
    ``predict_proba``, ``predict``). Metrics: euclidean, manhattan, minkowski (with p), cosine.
    ``weights``: 'uniform' (each neighbour 1) or 'distance' (1/d; exact matches take all the weight).
    Ties in distance go to the lower training index; a tie in the vote to the smallest label.
    """
    from ..classic import KNeighborsClassifier, KNeighborsRegressor

    where = "explain_knn"
    X = _matrix("X", X, where)
    n, d = X.shape
    q = np.asarray(query, dtype=np.float64).reshape(-1)
    if q.shape != (d,):
        raise ShapeError(f"{where}: the query must have {d} values (one per feature), got {q.size}")
    metric = {"l2": "euclidean", "l1": "manhattan", "cityblock": "manhattan"}.get(metric, metric)
    if metric not in _METRICS:
        raise ConfigError(f"{where}: unknown metric {metric!r}; expected one of {', '.join(_METRICS)}")
    if metric == "minkowski" and (isinstance(p, bool) or not isinstance(p, (int, float)) or not 1 <= p < np.inf):
        raise ConfigError(f"{where}: minkowski p must be a number ≥ 1, got {p!r}")
    if weights not in ("uniform", "distance"):
        raise ConfigError(f"{where}: weights must be 'uniform' or 'distance', got {weights!r}")
    if task not in ("classification", "regression"):
        raise ConfigError(f"{where}: task must be 'classification' or 'regression', got {task!r}")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= n:
        raise ConfigError(f"{where}: k must be an integer from 1 to the number of training points ({n}), got {k!r}")
    if metric == "cosine" and (not np.any(q) or not np.all(np.any(X, axis=1))):
        raise ConfigError(f"{where}: the cosine distance is undefined for a zero vector (query or training point)")
    y_arr = np.asarray(y)
    if y_arr.shape != (n,):
        raise ShapeError(f"{where}: {n} training points but {y_arr.size} labels")
    if task == "regression":
        y_arr = y_arr.astype(np.float64)
        model = KNeighborsRegressor(n_neighbors=n, weights=weights, metric=metric, p=p).fit(X, y_arr)
    else:
        model = KNeighborsClassifier(n_neighbors=n, weights=weights, metric=metric, p=p).fit(X, y_arr)
    dist_all, ind_all = model.kneighbors(q[None, :], n_neighbors=n)
    dist = np.empty(n)
    dist[ind_all[0]] = dist_all[0]
    order = ind_all[0]
    model.set_params(n_neighbors=k)
    nearest = order[:k]

    sol = Solution(title or f"Worked solution: {k}-nearest neighbours ({metric})")
    qn = [f"q_{j + 1}" if d > 1 else "q" for j in range(d)]
    numeric = task == "regression" or y_arr.dtype.kind in "iuf"
    given = sol.section("Given")
    for j in range(d):
        given.given(qn[j], q[j])
    for i in range(n):
        for j in range(d):
            last = j == d - 1 and not numeric
            given.given(_xname(i, j, d), X[i, j], note=f"label {_label_text(y_arr[i])}" if last else "")
        if numeric:
            given.given(f"y_{i + 1}", float(y_arr[i]))
    formula_text = _distance_formula(metric, p, qn, [_xname(0, j, d) for j in range(d)])[1]
    sec = sol.section("Distances from the query", formula_text)
    dn = [f"d_{i + 1}" for i in range(n)]
    for i in range(n):
        f, _ = _distance_formula(metric, p, qn, [_xname(i, j, d) for j in range(d)])
        sec.derive(dn[i], f, dist[i])
    ranked = ", ".join(f"point {i + 1} (d = {fmt_number(dist[i], 6)})" for i in nearest)
    sec = sol.section(f"The {k} nearest", f"sorted by distance, equal distances by training index: {ranked}")
    zero = weights == "distance" and np.any(dist[nearest] == 0)
    wn = {}
    for i in nearest:
        wn[i] = f"w_{i + 1}"
        if weights == "uniform":
            sec.derive(wn[i], Num(1), 1.0, note=f"uniform vote, label {_label_text(y_arr[i])}")
        elif zero:
            sec.derive(wn[i], Num(1.0 if dist[i] == 0 else 0.0), 1.0 if dist[i] == 0 else 0.0,
                       note="an exact match (d = 0) takes all the weight" if dist[i] == 0 else "an exact match exists")
        else:
            sec.derive(wn[i], Div(Num(1), Sym(dn[i])), 1.0 / dist[i], note=f"label {_label_text(y_arr[i])}")
    if task == "regression":
        pred = float(np.asarray(model.predict(q[None, :])).reshape(-1)[0])
        num = add(*[Mul([Sym(wn[i]), Sym(f"y_{i + 1}")]) for i in nearest])
        den = add(*[Sym(wn[i]) for i in nearest])
        sec = sol.section("Prediction", "the weighted mean of the neighbours' targets: ŷ = Σ w_i·y_i / Σ w_i")
        sec.derive("ŷ", Div(num, den), pred, answer=True)
    else:
        classes = model.classes_
        proba = model.predict_proba(q[None, :])[0]
        pred = model.predict(q[None, :])[0]
        sec = sol.section("Vote", "each class collects the weights of its neighbours; the largest total wins, "
                          "a tie going to the smallest label")
        vnames = []
        for c in classes:
            members = [i for i in nearest if y_arr[i] == c]
            vn = f"votes_{_label_text(c)}"
            vnames.append(vn)
            total = float(sum(1.0 if weights == "uniform" else sol[wn[i]] for i in members))
            sec.derive(vn, add(*[Sym(wn[i]) for i in members]) if members else Num(0), total)
        for c, vn, pr in zip(classes, vnames, proba):
            sec.derive(f"P_{_label_text(c)}", Div(Sym(vn), add(*[Sym(v) for v in vnames])), pr,
                       answer=True, note="the share of the vote (predict_proba)")
        tie = sum(1 for pr in proba if abs(pr - proba.max()) <= 1e-12) > 1
        sec.intro += f". Prediction: {_label_text(pred)}" + (" (a tie, broken towards the smallest label)" if tie
                                                              else "")
    sol.verify()
    return sol


# ----------------------------------------------------------------------------- linear SVM
def explain_svm(X, y, *, C: float = 1.0, estimator: str = "svc", points=None, tol: float = 1e-10,
                title: str | None = None) -> Solution:
    """A linear SVM: support vectors, w = Σ α_i·y_i·x_i, b, ‖w‖, margin width 2/‖w‖, f(x) = w·x + b.

    ``estimator='svc'``: :class:`chalkgrad.classic.SVC` with kernel='linear' (the dual, α from ``dual_coef_``);
    ``'linear_svc'``: :class:`chalkgrad.classic.LinearSVC` with the hinge loss (primal; its intercept is
    regularized as in liblinear, so b can differ from the textbook SVM's). Labels: two classes, the larger
    one coded +1. ``points``: extra points to classify with f(x).
    """
    from ..classic import SVC, LinearSVC

    where = "explain_svm"
    X = _matrix("X", X, where)
    n, d = X.shape
    y_arr = np.asarray(y)
    if y_arr.shape != (n,):
        raise ShapeError(f"{where}: {n} points but {y_arr.size} labels")
    classes = np.unique(y_arr)
    if len(classes) != 2:
        raise ConfigError(f"{where}: a worked SVM needs exactly two classes, got {len(classes)}")
    if isinstance(C, bool) or not isinstance(C, (int, float)) or not C > 0:
        raise ConfigError(f"{where}: C must be a positive number, got {C!r}")
    if estimator == "svc":
        model = SVC(C=C, kernel="linear", tol=tol, max_iter=100_000).fit(X, y_arr)
    elif estimator == "linear_svc":
        model = LinearSVC(C=C, loss="hinge", tol=tol, max_iter=100_000, random_state=0).fit(X, y_arr)
    else:
        raise ConfigError(f"{where}: estimator must be 'svc' or 'linear_svc', got {estimator!r}")
    P = None if points is None else np.asarray(points, dtype=np.float64)
    if P is not None:
        if P.ndim == 1:
            P = P[None, :] if d > 1 else P[:, None]
        if P.ndim != 2 or P.shape[1] != d or len(P) > MAX_SAMPLES:
            raise ShapeError(f"{where}: points must be rows of {d} numbers (at most {MAX_SAMPLES}), got shape "
                             f"{P.shape}")
    yy = np.where(y_arr == model.classes_[1], 1.0, -1.0)
    w = model.coef_[0]
    b = float(model.intercept_[0])
    sol = Solution(title or "Worked solution: a linear support vector machine")
    sol.conventions.append(f"Labels coded y = +1 for class {_label_text(model.classes_[1])}, −1 for class "
                           f"{_label_text(model.classes_[0])}; f(x) = w·x + b, predict +1 when f(x) > 0; "
                           f"soft margin with C = {C:g}; margin width 2/‖w‖.")
    given = sol.section("Given")
    for i in range(n):
        for k in range(d):
            given.given(_xname(i, k, d), X[i, k])
        given.given(f"y_{i + 1}", yy[i], note=f"class {_label_text(y_arr[i])}")
    wn = [f"w_{k + 1}" if d > 1 else "w" for k in range(d)]
    if estimator == "svc":
        sv = list(model.support_)
        alpha = np.abs(model.dual_coef_[0])
        sec = sol.section("Support vectors and the weight vector",
                          f"the dual solution (SMO): α_i > 0 only for the support vectors, points "
                          f"{', '.join(str(i + 1) for i in sv)}; w = Σ α_i·y_i·x_i")
        for i, a in zip(sv, alpha):
            sec.given(f"α_{i + 1}", a, note="0 < α < C: on the margin" if a < C * (1 - 1e-9) else "α = C: bound")
        for k in range(d):
            sec.derive(wn[k], add(*[Mul([Sym(f"α_{i + 1}"), Sym(f"y_{i + 1}"), Sym(_xname(i, k, d))]) for i in sv]),
                       w[k], answer=True)
        sec.given("b", b, note="from the KKT conditions: y_s·f(x_s) = 1 on the margin")
    else:
        sec = sol.section("Weight vector", "LinearSVC (hinge loss, primal; the intercept is regularized as in "
                          "liblinear)")
        for k in range(d):
            sec.given(wn[k], w[k])
        sec.given("b", b)
    sec = sol.section("Margin", "the margin is the band |f(x)| ≤ 1; its width is 2/‖w‖ (|w| = ‖w‖ the length of w)")
    sec.derive("|w|", Call("sqrt", add(*[Pow(Sym(a), Num(2)) for a in wn])), float(np.linalg.norm(w)))
    sec.derive("margin", Div(Num(2), Sym("|w|")), float(model.margin_width()), answer=True)
    f_train = model.decision_function(X)
    sec = sol.section("Decision values of the training points",
                      "f_i = w·x_i + b and the functional margin m_i = y_i·f_i: 1 on the margin, > 1 outside it, "
                      "< 1 inside it or on the wrong side")
    sv_set = set(model.support_) if estimator == "svc" else set(np.flatnonzero(yy * f_train <= 1 + 1e-6))
    for i in range(n):
        terms = [Mul([Sym(wn[k]), Sym(_xname(i, k, d))]) for k in range(d)]
        sec.derive(f"f_{i + 1}", add(*terms, Sym("b")), f_train[i])
        m = yy[i] * f_train[i]
        note = ("support vector" if i in sv_set else "not a support vector") + (
            ", on the margin" if abs(m - 1) <= 1e-6 else ", inside the margin" if m < 1 else "")
        sec.derive(f"m_{i + 1}", Mul([Sym(f"y_{i + 1}"), Sym(f"f_{i + 1}")]), m, note=note)
    if P is not None:
        f_new = model.decision_function(P)
        pred = model.predict(P)
        sec = sol.section("New points", "f_p = w·p + b; class +1 when f_p > 0")
        pn = [[f"p_{j + 1}" if d == 1 else f"p_{j + 1},{k + 1}" for k in range(d)] for j in range(len(P))]
        for j in range(len(P)):
            for k in range(d):
                sec.given(pn[j][k], P[j, k])
            terms = [Mul([Sym(wn[k]), Sym(pn[j][k])]) for k in range(d)]
            sec.derive(f"f_p{j + 1}", add(*terms, Sym("b")), f_new[j], answer=True,
                       note=f"class {_label_text(pred[j])}")
    sol.verify(rtol=1e-9, atol=1e-9)
    return sol
