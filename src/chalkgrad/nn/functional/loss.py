"""Loss functions with PyTorch's names, arguments, defaults and reductions.

Every loss computes a per-element (or per-sample) loss ``ℓ`` and then reduces it:

* ``reduction='mean'`` (the default): the average of ``ℓ`` (weighted losses divide by the
  total weight instead, exactly as PyTorch does: see each docstring);
* ``reduction='sum'``: Σ ℓ;
* ``reduction='none'``: ``ℓ`` itself, one value per element or sample.

``mse_loss`` also accepts ``reduction='half_sum'``, the textbook convention
E = ½·Σ(t − o)² (whose derivative is simply o − t); ``kl_div`` accepts ``'batchmean'``.
The deprecated ``size_average``/``reduce`` flags are accepted where PyTorch has them.

chalkgrad refuses to guess where PyTorch would silently broadcast or compute garbage:
an input and target of different shapes raise a ``ShapeError``, class indices outside
``[0, C)`` raise a :class:`ClassIndexError`, probabilities outside ``[0, 1]`` raise a
``ValueError``. The loss is computed in the input's floating dtype (a target or weight of
another float dtype is converted to it).
"""

from __future__ import annotations

import warnings

import numpy as np

from ...autograd import grad_mode
from ...autograd.function import Function
from ...errors import ClassIndexError, ConfigError, DomainError, DTypeError, ShapeError
from ...ops.elementwise import where
from ...ops.softmax import log_softmax, softmax
from ...tensor import Tensor

__all__ = [
    "mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss",
    "binary_cross_entropy", "binary_cross_entropy_with_logits",
    "cross_entropy", "nll_loss", "kl_div",
    "multi_margin_loss", "hinge_embedding_loss", "margin_ranking_loss",
    "triplet_margin_loss", "cosine_embedding_loss",
]

_REDUCTIONS = ("none", "mean", "sum")


# ============================================================================ helpers
def _reduction_arg(loss, reduction, size_average=None, reduce=None, extra=()):
    """Validate ``reduction`` (after mapping the deprecated ``size_average``/``reduce`` flags)."""
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = "mean" if (size_average and reduce) else ("sum" if reduce else "none")
        warnings.warn(f"{loss}: size_average and reduce are deprecated; use reduction={reduction!r} instead",
                      DeprecationWarning, stacklevel=3)
    valid = _REDUCTIONS + tuple(extra)
    if not isinstance(reduction, str) or reduction not in valid:
        raise ConfigError(f"{loss}: reduction={reduction!r} is not valid; expected one of "
                          + ", ".join(repr(r) for r in valid))
    return reduction


def _reduce(loss, reduction):
    """Apply 'none' | 'mean' | 'sum' | 'half_sum' to an unreduced loss tensor."""
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if reduction == "half_sum":
        return loss.sum() * 0.5
    return loss.mean()


def _as_tensor(x, loss, arg):
    """Tensors pass through; arrays, lists and numbers become constant tensors."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (np.ndarray, np.generic, list, tuple, int, float, bool)):
        return Tensor(x)
    raise DTypeError(f"{loss}: {arg} must be a Tensor (or an array), got {type(x).__name__}")


def _float_input(x, loss, arg="input"):
    x = _as_tensor(x, loss, arg)
    if x.dtype.kind != "f":
        raise DTypeError(f"{loss}: {arg} must be a floating-point tensor (float32 or float64), got dtype {x.dtype}")
    return x


def _like(t, x, loss, arg):
    """``t`` as a tensor of ``x``'s float dtype (differentiably when it is float already)."""
    t = _as_tensor(t, loss, arg)
    if t.dtype == x.dtype:
        return t
    if t.dtype.kind == "f":
        return t.to(x.dtype)
    return Tensor._wrap(t.data.astype(x.dtype))


def _same_shape(loss, x, t, xname="input", tname="target"):
    if x.shape != t.shape:
        raise ShapeError(
            f"{loss}: {xname} shape {tuple(x.shape)} and {tname} shape {tuple(t.shape)} differ; expected the same "
            f"shape (PyTorch would broadcast them with a warning; chalkgrad refuses: reshape one, "
            f"e.g. {tname}.reshape({tuple(x.shape)}) if that is what you mean)"
        )


def _pair(loss, input, target):
    """Float input and a target of the same shape and dtype, for the elementwise losses."""
    x = _float_input(input, loss)
    t = _like(target, x, loss, "target")
    _same_shape(loss, x, t)
    return x, t


def _check_unit_interval(loss, arg, arr, extra=""):
    """Raise a ValueError unless every element of ``arr`` lies in [0, 1] (NaN fails too)."""
    if arr.size and not bool(np.all((arr >= 0) & (arr <= 1))):
        bad = arr[~((arr >= 0) & (arr <= 1))]
        raise DomainError(f"{loss}: all elements of {arg} should be between 0 and 1, found {float(bad.flat[0])} "
                          f"({bad.size} element{'s' if bad.size > 1 else ''} outside [0, 1]){extra}")


def _check_signs(loss, t):
    """Targets of the embedding/ranking losses must be 1 or -1."""
    d = t.data
    ok = (d == 1) | (d == -1)
    if not bool(np.all(ok)):
        raise DomainError(f"{loss}: target values must be 1 or -1, found {d[~ok].flat[0].item()!r}")


def _elementwise_weight(loss, weight, x):
    """A per-element weight of exactly the input's shape (as PyTorch's mse/l1/huber ``weight``)."""
    w = _like(weight, x, loss, "weight")
    if w.shape != x.shape:
        raise ShapeError(f"{loss}: weight shape {tuple(w.shape)} must equal the input shape {tuple(x.shape)}")
    return w


def _broadcast_weight(loss, arg, weight, x):
    """A weight that broadcasts to the input's shape without enlarging it."""
    w = _like(weight, x, loss, arg)
    try:
        ok = np.broadcast_shapes(w.shape, x.shape) == x.shape
    except ValueError:
        ok = False
    if not ok:
        raise ShapeError(f"{loss}: {arg} of shape {tuple(w.shape)} does not broadcast to the input shape "
                         f"{tuple(x.shape)}")
    return w


# ============================================================================ regression
def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean squared error: ℓ_i = (x_i − y_i)²  (times ``weight_i`` when given).

    Reductions: 'mean' = (1/n)·Σ ℓ_i (with ``weight``: Σ w_i·(x_i − y_i)² / Σ w_i, as PyTorch),
    'sum' = Σ (x_i − y_i)², 'none' = ℓ, and the textbook 'half_sum' E = ½·Σ (y_i − x_i)²,
    whose gradient is dE/dx_i = x_i − y_i.
    """
    reduction = _reduction_arg("mse_loss", reduction, size_average, reduce, extra=("half_sum",))
    x, t = _pair("mse_loss", input, target)
    d = x - t
    loss = d * d
    if weight is not None:
        w = _elementwise_weight("mse_loss", weight, x)
        loss = loss * w
        if reduction == "mean":
            return loss.sum() / w.sum()
    return _reduce(loss, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean absolute error: ℓ_i = |x_i − y_i|  (times ``weight_i``; 'mean' then is Σ w_i·ℓ_i / Σ w_i).

    The gradient at x_i = y_i is 0, as PyTorch's sign(0).
    """
    reduction = _reduction_arg("l1_loss", reduction, size_average, reduce)
    x, t = _pair("l1_loss", input, target)
    loss = (x - t).abs()
    if weight is not None:
        w = _elementwise_weight("l1_loss", weight, x)
        loss = loss * w
        if reduction == "mean":
            return loss.sum() / w.sum()
    return _reduce(loss, reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """Huber loss with threshold δ > 0, d = x − y:

        ℓ = ½·d²                 if |d| < δ
        ℓ = δ·(|d| − ½·δ)        otherwise

    quadratic near 0, linear (slope ±δ) beyond δ. With ``weight``, ℓ_i is multiplied by w_i
    and 'mean' is the plain mean of the weighted values (as PyTorch).
    """
    reduction = _reduction_arg("huber_loss", reduction)
    if not delta > 0:
        raise ConfigError(f"huber_loss: delta must be positive, got {delta!r}")
    x, t = _pair("huber_loss", input, target)
    d = x - t
    ad = d.abs()
    loss = where(ad.data < delta, 0.5 * d * d, delta * (ad - 0.5 * delta))
    if weight is not None:
        loss = loss * _elementwise_weight("huber_loss", weight, x)
    return _reduce(loss, reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """Smooth L1 loss with threshold β ≥ 0, d = x − y:

        ℓ = ½·d²/β          if |d| < β
        ℓ = |d| − ½·β       otherwise

    β = 0 is the L1 loss. smooth_l1(β) = huber(δ=β)/β.
    """
    reduction = _reduction_arg("smooth_l1_loss", reduction, size_average, reduce)
    if not beta >= 0:
        raise ConfigError(f"smooth_l1_loss: beta must be non-negative, got {beta!r}")
    x, t = _pair("smooth_l1_loss", input, target)
    d = x - t
    ad = d.abs()
    if beta == 0:
        return _reduce(ad, reduction)
    loss = where(ad.data < beta, d * d * (0.5 / beta), ad - 0.5 * beta)
    return _reduce(loss, reduction)


# ============================================================================ binary cross-entropy
#: PyTorch's floor for x·(1 − x) in the BCE gradient: 1e-12 rounded to float32, also in float64.
_BCE_EPS = float(np.float32(1e-12))


class BinaryCrossEntropy(Function):
    """ℓ = −[y·max(ln x, −100) + (1 − y)·max(ln(1 − x), −100)]   (x, y in [0, 1])

    dℓ/dx = (x − y) / max(x·(1 − x), 1e-12)     (PyTorch's formula, finite at x = 0 or 1)
    dℓ/dy = ln(1 − x) − ln x
    """

    def forward(self, x, y):
        with np.errstate(divide="ignore"):
            log_x = np.maximum(np.log(x), -100.0)
            log_1mx = np.maximum(np.log1p(-x), -100.0)
        return ((y - 1) * log_1mx - y * log_x).astype(x.dtype, copy=False)

    def backward(self, g):
        x, y = self.inputs
        gx = gy = None
        if self.needs_input_grad[0]:
            gx = g * (x - y) / ((1.0 - x) * x).clamp(min=_BCE_EPS)
        if self.needs_input_grad[1]:
            with np.errstate(divide="ignore"):
                gy = g * ((-x).log1p() - x.log())
        return gx, gy


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """Binary cross-entropy of probabilities x ∈ [0, 1] against targets y ∈ [0, 1]:

        ℓ_i = −w_i·[y_i·ln x_i + (1 − y_i)·ln(1 − x_i)]

    with each log clamped at −100 (as PyTorch, so x = 0 or 1 gives a finite loss).
    ``weight`` broadcasts over the input; 'mean' is the plain mean of ℓ.
    Prefer :func:`binary_cross_entropy_with_logits` on raw scores: it is stable.
    """
    name = "binary_cross_entropy"
    reduction = _reduction_arg(name, reduction, size_average, reduce)
    x, t = _pair(name, input, target)
    _check_unit_interval(name, "input", x.data, "; input must be probabilities: apply sigmoid first, or use "
                         "binary_cross_entropy_with_logits on the raw scores")
    _check_unit_interval(name, "target", t.data)
    loss = BinaryCrossEntropy.apply(x, t)
    if weight is not None:
        loss = loss * _broadcast_weight(name, "weight", weight, x)
    return _reduce(loss, reduction)


class BinaryCrossEntropyWithLogits(Function):
    """ℓ = (1 − y)·x − L·log σ(x),   L = 1 + (p − 1)·y   (p = pos_weight, 1 when absent)

    log σ(x) = min(x, 0) − ln(1 + e^(−|x|)) never overflows, so |x| = 1e4 is fine.
    dℓ/dx = L·σ(x) − p·y,   dℓ/dy = −x − (p − 1)·log σ(x),   dℓ/dp = −y·log σ(x)
    """

    def forward(self, x, y, p):
        log_sig = np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))
        lw = 1 if p is None else 1 + (p - 1) * y
        return ((1 - y) * x - lw * log_sig).astype(x.dtype, copy=False)

    def backward(self, g):
        x, y, p = self.inputs
        gx = gy = gp = None
        if self.needs_input_grad[0]:
            if p is None:
                gx = g * (x.sigmoid() - y)
            else:
                gx = g * ((1 + (p - 1) * y) * x.sigmoid() - p * y)
            gx = _sum_to(gx, x.shape)
        if self.needs_input_grad[1] or self.needs_input_grad[2]:
            log_sig = x.minimum(0.0) - (-x.abs()).exp().log1p()
            if self.needs_input_grad[1]:
                gy = _sum_to(g * (-x if p is None else -x - (p - 1) * log_sig), y.shape)
            if self.needs_input_grad[2]:
                gp = _sum_to(-g * y * log_sig, p.shape)
        return gx, gy, gp


def _sum_to(t, shape):
    from ...ops.shape import sum_to

    return t if t.shape == shape else sum_to(t, shape)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """Sigmoid and binary cross-entropy in one stable step, on raw scores (logits) x:

        ℓ_i = −w_i·[p·y_i·log σ(x_i) + (1 − y_i)·log(1 − σ(x_i))]
            = w_i·[(1 − y_i)·x_i − (1 + (p − 1)·y_i)·log σ(x_i)]

    ``pos_weight`` p (broadcast over the last dims, e.g. one per class) weighs the positive
    term; ``weight`` w broadcasts over the input. Gradient: dℓ/dx = w·[(1 + (p − 1)y)·σ(x) − p·y].
    Targets y must be in [0, 1].
    """
    name = "binary_cross_entropy_with_logits"
    reduction = _reduction_arg(name, reduction, size_average, reduce)
    x, t = _pair(name, input, target)
    _check_unit_interval(name, "target", t.data)
    pw = None if pos_weight is None else _broadcast_weight(name, "pos_weight", pos_weight, x)
    loss = BinaryCrossEntropyWithLogits.apply(x, t, pw)
    if weight is not None:
        loss = loss * _broadcast_weight(name, "weight", weight, x)
    return _reduce(loss, reduction)


# ============================================================================ class-index losses
def _class_axis(loss, x, target_shape):
    """The class axis (1, or 0 for an unbatched (C,) input) after checking the target's shape."""
    if x.ndim == 0:
        raise ShapeError(f"{loss}: input must have a class dimension, (C,), (N, C) or (N, C, d1, ...); "
                         "got a 0-d tensor")
    ax = 0 if x.ndim == 1 else 1
    expected = () if x.ndim == 1 else (x.shape[0],) + tuple(x.shape[2:])
    if tuple(target_shape) != expected:
        also = f", or class probabilities of shape {tuple(x.shape)}" if loss == "cross_entropy" else ""
        raise ShapeError(f"{loss}: input of shape {tuple(x.shape)} needs class-index targets of shape {expected}"
                         f"{also}; got target shape {tuple(target_shape)}")
    return ax


def _class_targets(loss, target, n_classes, ignore_index=None):
    """Check int64 class indices; return (indices with ignored ones set to 0, valid mask or None)."""
    y = target.data
    if y.dtype != np.int64:
        raise DTypeError(f"{loss}: class-index targets must be int64, got dtype {y.dtype}"
                         + (" (use target.long())" if y.dtype.kind == "f" else ""))
    if y.size == 0:
        return y, None
    lo, hi = int(y.min()), int(y.max())
    if ignore_index is None or not (lo <= ignore_index <= hi):
        if lo < 0 or hi >= n_classes:
            bad = lo if lo < 0 else hi
            _raise_class_index(loss, bad, n_classes, ignore_index)
        return y, None
    valid = y != ignore_index
    in_range = (y >= 0) & (y < n_classes)
    bad = valid & ~in_range
    if bad.any():
        _raise_class_index(loss, int(y[bad].flat[0]), n_classes, ignore_index)
    if valid.all():
        return y, None
    return np.where(valid, y, 0), valid


def _raise_class_index(loss, bad, n_classes, ignore_index):
    outside = ignore_index is not None and not 0 <= ignore_index < n_classes
    also = f" (or ignore_index={ignore_index})" if outside else ""
    raise ClassIndexError(f"{loss}: target class index {bad} is out of range; the input has {n_classes} classes, "
                          f"so targets must be in [0, {n_classes - 1}]{also}")


def _class_weight(loss, weight, x, n_classes):
    if weight is None:
        return None
    w = weight.data if isinstance(weight, Tensor) else np.asarray(weight)
    if w.shape != (n_classes,):
        raise ShapeError(f"{loss}: weight must have one value per class, shape ({n_classes},); "
                         f"got shape {tuple(w.shape)}")
    if w.dtype.kind != "f":
        raise DTypeError(f"{loss}: weight must be a floating-point tensor, got dtype {w.dtype}")
    return w.astype(x.dtype, copy=False)


def _along(v, ax, ndim):
    """Reshape a per-class vector so it broadcasts along axis ``ax`` of an ``ndim``-d array."""
    return v.reshape(v.shape + (1,) * (ndim - ax - 1))


def _target_index(target, ax):
    """Index tuple picking, at every position, the entry of class ``target`` along axis ``ax``."""
    if target.ndim == 1 and ax == 1:  # (N, C): the common case
        return np.arange(target.shape[0]), target
    grids = np.indices(target.shape, sparse=True)
    return tuple(grids[:ax]) + (target,) + tuple(grids[ax:])


def _onehot(shape, dtype, index, value=1):
    out = np.zeros(shape, dtype=dtype)
    out[index] = value
    return out


class _ClassIndexLoss(Function):
    """Shared by the class-index losses: reduction of per-position losses and the weighted normalizer.

    Params: ``axis`` (class axis), ``target`` (indices, ignored ones replaced by 0), ``valid``
    (bool mask or None), ``weight`` (per-class array or None), ``reduction``.
    """

    def _picked_weight(self, dtype):
        """w_{y_n}·v_n per position, or None when every position counts 1."""
        wt = None if self.weight is None else self.weight[self.target]
        if self.valid is not None:
            wt = self.valid.astype(dtype) if wt is None else wt * self.valid
        return wt

    def _finish(self, loss, wt):
        """Reduce per-position losses; 'mean' divides by W = Σ w_{y_n}·v_n (nan when W = 0, as PyTorch)."""
        loss = np.asarray(loss)
        self.total_weight = float(loss.size) if wt is None else float(wt.sum())
        if self.reduction == "none":
            return loss
        total = loss.sum()
        if self.reduction == "sum":
            return np.asarray(total, dtype=loss.dtype)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(total / loss.dtype.type(self.total_weight), dtype=loss.dtype)

    def _mean_scale(self):
        """1/W for 'mean' (nan when W = 0, where PyTorch divides 0 by 0), 1 otherwise."""
        if self.reduction != "mean":
            return 1.0
        return 1.0 / self.total_weight if self.total_weight else np.nan

    def _scaled(self, q, rows):
        """Divide the backward coefficients by W for 'mean'; W = 0 gives nan where PyTorch divides by 0."""
        if self.reduction != "mean":
            return q
        if self.total_weight == 0:
            return np.where(rows, np.nan, 0).astype(q.dtype)
        return q * q.dtype.type(1.0 / self.total_weight)

    def _times_g(self, d, g):
        return d * (g.unsqueeze(self.axis) if self.reduction == "none" else g)


class CrossEntropyIndices(_ClassIndexLoss):
    """Cross-entropy with class-index targets, fused: stable log-softmax and pick in one node.

    Along the class axis, with m = max_c x_c, log p_c = x_c − m − ln Σ_j e^(x_j − m) and

        ℓ_n = v_n·[(1 − ε)·w_{y_n}·(−log p_{y_n}) + (ε/C)·Σ_c w_c·(−log p_c)]

    (v_n = 0 where y_n = ignore_index; w = 1 without weights; ε = label smoothing). That is
    ℓ_n = −Σ_c q_{n,c}·log p_{n,c} with constant q, so dℓ_n/dx_{n,c} = p_{n,c}·Σ_j q_{n,j} − q_{n,c}.
    'mean' divides by W = Σ_n v_n·w_{y_n}. In the common case (no weight, nothing ignored, ε = 0)
    q is the one-hot of y and the gradient is (softmax(x) − onehot(y)) / N.
    """

    def forward(self, x):
        ax = self.axis
        shifted = x - x.max(axis=ax, keepdims=True)
        e = np.exp(shifted)
        s = e.sum(axis=ax, keepdims=True)
        lse = np.log(s)
        e /= s
        self.probs = e
        self.index = index = _target_index(self.target, ax)
        nll = np.squeeze(lse, axis=ax) - shifted[index]
        wt = self._picked_weight(x.dtype)
        if wt is not None:
            nll = nll * wt
        eps = self.label_smoothing
        if eps == 0:
            return self._finish(nll, wt)
        n_classes = x.shape[ax]
        neg_log_p = lse - shifted
        if self.weight is not None:
            neg_log_p = neg_log_p * _along(self.weight, ax, x.ndim)
        smooth = neg_log_p.sum(axis=ax)
        if self.valid is not None:
            smooth = smooth * self.valid
        loss = (1 - eps) * nll + (eps / n_classes) * smooth
        return self._finish(np.asarray(loss).astype(x.dtype, copy=False), wt)

    def backward(self, g):
        ax, x, probs = self.axis, self.inputs[0], self.probs
        dtype = probs.dtype
        eps = self.label_smoothing
        graph = grad_mode.is_grad_enabled()  # create_graph: keep softmax(x) in the graph
        if self.weight is None and self.valid is None and eps == 0:
            # q = onehot(y), Σ_c q = 1:  d = (softmax(x) − onehot(y))·scale
            scale = dtype.type(self._mean_scale())
            if graph:
                d = softmax(x, dim=ax) * scale - Tensor._wrap(_onehot(probs.shape, dtype, self.index, scale))
            else:
                d = probs * scale
                d[self.index] -= scale
                d = Tensor._wrap(d)
            return self._times_g(d, g)
        n_classes = x.shape[ax]
        wt = self._picked_weight(dtype)
        wt_k = np.ones((), dtype) if wt is None else np.expand_dims(wt, ax)
        q = _onehot(probs.shape, dtype, self.index, (1 - eps) * (1 if wt is None else wt))
        s = (1 - eps) * wt_k
        if eps:
            w = np.ones(n_classes, dtype) if self.weight is None else self.weight
            v = 1 if self.valid is None else np.expand_dims(self.valid, ax)
            q += (eps / n_classes) * v * _along(w, ax, x.ndim)
            s = s + (eps / n_classes) * v * w.sum()
        rows = True if self.valid is None else np.expand_dims(self.valid, ax)
        q = self._scaled(q, rows)
        s = self._scaled(np.asarray(s, dtype=dtype), rows)
        d = softmax(x, dim=ax) * s - Tensor._wrap(q) if graph else Tensor._wrap(probs * s - q)
        return self._times_g(d, g)


class NLLLossIndices(_ClassIndexLoss):
    """ℓ_n = −v_n·w_{y_n}·x_{n,y_n};   dℓ_n/dx_{n,c} = −v_n·w_{y_n}·[c = y_n]   ('mean' divides by W = Σ v_n·w_{y_n})"""

    def forward(self, x):
        self.shape, self.dtype = x.shape, x.dtype
        self.index = _target_index(self.target, self.axis)
        loss = -x[self.index]
        wt = self._picked_weight(x.dtype)
        if wt is not None:
            loss = loss * wt
        return self._finish(loss, wt)

    def backward(self, g):
        wt = self._picked_weight(self.dtype)
        q = _onehot(self.shape, self.dtype, self.index, 1 if wt is None else wt)
        rows = _onehot(self.shape, bool, self.index, True if self.valid is None else self.valid)
        q = self._scaled(q, rows)  # rows: where PyTorch divides by W
        return self._times_g(Tensor._wrap(-q), g)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """Softmax cross-entropy of raw scores (logits) ``input`` against ``target``.

    Shapes: input (N, C) with target (N,); input (C,) with target () (unbatched); input
    (N, C, d1, ...) with target (N, d1, ...) (per pixel). The class axis is 1 (0 unbatched).

    Class-index targets (int64), log p = log_softmax(x) along the class axis:

        ℓ_n = (1 − ε)·w_{y_n}·(−log p_{n,y_n}) + (ε/C)·Σ_c w_c·(−log p_{n,c})

    with ``weight`` w (one per class, 1 by default) and ``label_smoothing`` ε ∈ [0, 1].
    Positions whose target equals ``ignore_index`` contribute 0. 'mean' is PyTorch's weighted
    mean Σ_n ℓ_n / Σ_n w_{y_n} over the positions not ignored (nan when all are ignored).
    The gradient is (softmax(x)·Σ_c q_c − q)/W with q the weighted (smoothed) one-hot target:
    (softmax(x) − onehot(y))/N in the common case.

    Probability targets (float, same shape as input; each entry in [0, 1]):

        ℓ_n = −Σ_c w_c·[(1 − ε)·y_{n,c} + ε/C]·log p_{n,c},   'mean' divides by the number of positions.
    """
    name = "cross_entropy"
    reduction = _reduction_arg(name, reduction, size_average, reduce)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ConfigError(f"{name}: label_smoothing must be between 0.0 and 1.0, got {label_smoothing!r}")
    x = _float_input(input, name)
    target = _as_tensor(target, name, "target")
    if target.dtype.kind == "f" and target.shape == x.shape and x.ndim > 0:
        return _cross_entropy_probs(x, target, weight, ignore_index, reduction, label_smoothing)
    ax = _class_axis(name, x, target.shape)
    n_classes = x.shape[ax]
    y, valid = _class_targets(name, target, n_classes, ignore_index)
    w = _class_weight(name, weight, x, n_classes)
    return CrossEntropyIndices.apply(x, axis=ax, target=y, valid=valid, weight=w, reduction=reduction,
                                     label_smoothing=float(label_smoothing))


def _cross_entropy_probs(x, target, weight, ignore_index, reduction, eps):
    name = "cross_entropy"
    if ignore_index != -100:
        raise ConfigError(f"{name}: ignore_index={ignore_index} cannot be used with class-probability targets "
                          "(float targets of the input's shape); it only applies to class indices")
    t = _like(target, x, name, "target")
    _check_unit_interval(name, "target", t.data, "; float targets of the input's shape are class probabilities, "
                         "for class indices pass an int64 target")
    ax = 0 if x.ndim == 1 else 1
    n_classes = x.shape[ax]
    q = t if eps == 0 else t * (1 - eps) + eps / n_classes
    if weight is not None:
        w = _class_weight(name, weight.detach() if isinstance(weight, Tensor) else weight, x, n_classes)
        q = q * Tensor._wrap(_along(w, ax, x.ndim))
    loss = -(q * log_softmax(x, dim=ax)).sum(ax)
    return _reduce(loss, reduction)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """Negative log-likelihood of log-probabilities ``input`` at class indices ``target``:

        ℓ_n = −w_{y_n}·x_{n, y_n}       (0 where y_n = ignore_index)

    Shapes as :func:`cross_entropy` (class axis 1, or 0 unbatched). 'mean' divides by
    Σ_n w_{y_n} over the positions not ignored (nan when all are ignored).
    ``cross_entropy(x, y) == nll_loss(log_softmax(x, 1), y)``.
    """
    name = "nll_loss"
    reduction = _reduction_arg(name, reduction, size_average, reduce)
    x = _float_input(input, name)
    target = _as_tensor(target, name, "target")
    ax = _class_axis(name, x, target.shape)
    n_classes = x.shape[ax]
    y, valid = _class_targets(name, target, n_classes, ignore_index)
    w = _class_weight(name, weight, x, n_classes)
    return NLLLossIndices.apply(x, axis=ax, target=y, valid=valid, weight=w, reduction=reduction)


# ============================================================================ KL divergence
def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """Pointwise Kullback-Leibler divergence; ``input`` holds log-probabilities log q:

        ℓ_i = y_i·(ln y_i − x_i)          (0 where y_i = 0)   target y probabilities in [0, 1]
        ℓ_i = e^(y_i)·(y_i − x_i)         with log_target=True (target given as log-probabilities)

    Σ ℓ over a distribution is KL(y ‖ q). 'batchmean' = Σ ℓ / N (N = input.shape[0]) is the
    mathematical KL per sample; 'mean' divides by the number of elements (PyTorch's default,
    which it warns about).
    """
    name = "kl_div"
    reduction = _reduction_arg(name, reduction, size_average, reduce, extra=("batchmean",))
    if reduction == "mean" and size_average is None and reduce is None:
        warnings.warn("kl_div: reduction='mean' divides the total loss by both the batch size and the support "
                      "size; 'batchmean' divides only by the batch size and matches the definition of KL",
                      UserWarning, stacklevel=2)
    x, t = _pair(name, input, target)
    if log_target:
        loss = t.exp() * (t - x)
    else:
        _check_unit_interval(name, "target", t.data, "; targets are probabilities, pass log_target=True for "
                             "log-probabilities")
        positive = t.data > 0
        loss = t * where(positive, t, 1.0).log() - t * x
    if reduction == "batchmean":
        total = loss.sum()
        return total / float(x.shape[0]) if x.ndim else total
    return _reduce(loss, reduction)


# ============================================================================ margin losses
def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None,
                      reduction="mean"):
    """Multi-class hinge loss (the multi-class SVM loss), input (N, C) or (C,), target (N,) or ():

        ℓ_n = (1/C)·Σ_{i ≠ y_n} w_{y_n}·max(0, margin − x_{n,y_n} + x_{n,i})^p,    p ∈ {1, 2}

    (the gradient is 0 where the hinge is exactly 0, as PyTorch). 'mean' averages over N.
    """
    name = "multi_margin_loss"
    reduction = _reduction_arg(name, reduction, size_average, reduce)
    if p not in (1, 2):
        raise ConfigError(f"{name}: p must be 1 or 2, got {p!r}")
    x = _float_input(input, name)
    target = _as_tensor(target, name, "target")
    if x.ndim not in (1, 2):
        raise ShapeError(f"{name}: input must be (N, C) or (C,), got shape {tuple(x.shape)}")
    ax = _class_axis(name, x, target.shape)
    n_classes = x.shape[ax]
    y, _ = _class_targets(name, target, n_classes)
    w = _class_weight(name, weight, x, n_classes)
    yk = np.expand_dims(y, ax)
    picked = x.gather(ax, Tensor._wrap(yk))
    h = (margin - picked + x).relu()
    if p == 2:
        h = h * h
    others = 1 - _onehot(x.shape, x.dtype, _target_index(y, ax))
    if w is not None:
        others = others * np.expand_dims(w[y], ax)  # w_{y_n}, broadcast along the classes
    loss = (h * Tensor._wrap(others.astype(x.dtype, copy=False))).sum(ax) / float(n_classes)
    return _reduce(loss, reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    """ℓ_i = x_i if y_i = 1,   max(0, margin − x_i) if y_i = −1   (x usually a distance; y ∈ {1, −1})."""
    name = "hinge_embedding_loss"
    reduction = _reduction_arg(name, reduction, size_average, reduce)
    x, t = _pair(name, input, target)
    _check_signs(name, t)
    loss = where(t.data == 1, x, (margin - x).clamp(min=0.0))
    return _reduce(loss, reduction)


def margin_ranking_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    """ℓ_i = max(0, −y_i·(x1_i − x2_i) + margin),   y = 1: x1 should rank higher, y = −1: x2 should."""
    name = "margin_ranking_loss"
    reduction = _reduction_arg(name, reduction, size_average, reduce)
    x1 = _float_input(input1, name, "input1")
    x2 = _like(input2, x1, name, "input2")
    t = _like(target, x1, name, "target")
    _same_shape(name, x1, x2, "input1", "input2")
    _same_shape(name, x1, t, "input1", "target")
    _check_signs(name, t)
    loss = (-t * (x1 - x2) + margin).clamp(min=0.0)
    return _reduce(loss, reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    """ℓ_n = max(d(a_n, p_n) − d(a_n, n_n) + margin, 0),   d(u, v) = ‖u − v + eps‖_p over the last dim.

    With ``swap`` the negative distance is min(d(a, n), d(p, n)) (the harder negative).
    Inputs (N, D) or (D,) of the same shape; margin > 0, p > 0.
    """
    name = "triplet_margin_loss"
    reduction = _reduction_arg(name, reduction, size_average, reduce)
    if not margin > 0:
        raise ConfigError(f"{name}: margin must be greater than 0, got {margin!r}")
    if not (isinstance(p, (int, float)) and p > 0):
        raise ConfigError(f"{name}: p must be a positive number (or inf), got {p!r}")
    a = _float_input(anchor, name, "anchor")
    pos = _like(positive, a, name, "positive")
    neg = _like(negative, a, name, "negative")
    _same_shape(name, a, pos, "anchor", "positive")
    _same_shape(name, a, neg, "anchor", "negative")
    if a.ndim == 0:
        raise ShapeError(f"{name}: inputs must be (N, D) or (D,), got 0-d tensors")

    def dist(u, v):
        return (u - v + eps).norm(p, dim=-1)

    d_pos = dist(a, pos)
    d_neg = dist(a, neg)
    if swap:
        d_neg = d_neg.minimum(dist(pos, neg))
    loss = (d_pos - d_neg + margin).clamp(min=0.0)
    return _reduce(loss, reduction)


def cosine_embedding_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    """ℓ_n = 1 − cos(x1_n, x2_n) if y_n = 1,   max(0, cos(x1_n, x2_n) − margin) if y_n = −1,

    cos(u, v) = Σ u·v / √((Σ u² + 1e-12)·(Σ v² + 1e-12)) over the last dim (0 for zero vectors).
    Inputs (N, D) with target (N,), or (D,) with a 0-d target.
    """
    name = "cosine_embedding_loss"
    reduction = _reduction_arg(name, reduction, size_average, reduce)
    x1 = _float_input(input1, name, "input1")
    x2 = _like(input2, x1, name, "input2")
    t = _like(target, x1, name, "target")
    _same_shape(name, x1, x2, "input1", "input2")
    if x1.ndim not in (1, 2) or t.shape != x1.shape[:-1]:
        raise ShapeError(f"{name}: expected inputs (N, D) with target (N,), or (D,) with a 0-d target; got inputs "
                         f"{tuple(x1.shape)} and target {tuple(t.shape)}")
    _check_signs(name, t)
    eps = 1e-12
    cos = (x1 * x2).sum(-1) / (((x1 * x1).sum(-1) + eps) * ((x2 * x2).sum(-1) + eps)).sqrt()
    loss = where(t.data == 1, 1.0 - cos, (cos - margin).clamp(min=0.0))
    return _reduce(loss, reduction)
