"""Loss modules: each wraps the function of the same name in :mod:`chalkgrad.nn.functional.loss`.

A loss module holds its hyperparameters (``reduction``, ``margin``...) and per-class
``weight``/``pos_weight`` tensors as buffers (so ``.to(dtype)`` and ``state_dict`` see them,
as in PyTorch), and its ``forward(input, target)`` calls the function. The formulas are in
the functions' docstrings; ``reduction`` is checked when the module is built.
"""

from __future__ import annotations

from ..errors import ConfigError
from ..tensor import Tensor
from . import functional as F
from .functional.loss import _reduction_arg
from .module import Module

__all__ = [
    "MSELoss", "L1Loss", "HuberLoss", "SmoothL1Loss", "BCELoss", "BCEWithLogitsLoss",
    "CrossEntropyLoss", "NLLLoss", "KLDivLoss", "MultiMarginLoss", "HingeEmbeddingLoss",
    "MarginRankingLoss", "TripletMarginLoss", "CosineEmbeddingLoss",
]


class _Loss(Module):
    """Base of the loss modules: a validated ``reduction`` and a repr of the non-default settings."""

    _extra_reductions: tuple = ()
    #: (attribute, default) pairs shown by ``repr`` when they differ from the default.
    _shown: tuple = ()

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = _reduction_arg(type(self).__name__, reduction, size_average, reduce,
                                        extra=self._extra_reductions)

    def extra_repr(self) -> str:
        parts = []
        for name, default in (("reduction", "mean"),) + self._shown:
            value = getattr(self, name)
            if value != default:
                parts.append(f"{name}={value!r}")
        return ", ".join(parts)


def _buffer(value):
    if value is None or isinstance(value, Tensor):
        return value
    return Tensor(value)


class _WeightedLoss(_Loss):
    """A loss with an optional ``weight`` buffer."""

    def __init__(self, weight=None, size_average=None, reduce=None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", _buffer(weight))


class MSELoss(_Loss):
    """Mean squared error, ℓ_i = (x_i − y_i)².

    ``reduction``: 'mean' (default), 'sum' (Σ(x − y)²), 'none', or 'half_sum' for the
    textbook E = ½·Σ(t − o)², whose derivative is o − t.
    """

    _extra_reductions = ("half_sum",)

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)

    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error, ℓ_i = |x_i − y_i|."""

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)

    def forward(self, input, target):
        return F.l1_loss(input, target, reduction=self.reduction)


class HuberLoss(_Loss):
    """Huber loss: ½·d² for |d| < δ, δ·(|d| − ½·δ) beyond (d = x − y, δ = ``delta`` > 0)."""

    _shown = (("delta", 1.0),)

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction=reduction)
        if not delta > 0:
            raise ConfigError(f"HuberLoss: delta must be positive, got {delta!r}")
        self.delta = delta

    def forward(self, input, target):
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class SmoothL1Loss(_Loss):
    """Smooth L1: ½·d²/β for |d| < β, |d| − ½·β beyond (d = x − y, β = ``beta`` ≥ 0; β = 0 is L1)."""

    _shown = (("beta", 1.0),)

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean", beta: float = 1.0) -> None:
        super().__init__(size_average, reduce, reduction)
        if not beta >= 0:
            raise ConfigError(f"SmoothL1Loss: beta must be non-negative, got {beta!r}")
        self.beta = beta

    def forward(self, input, target):
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class BCELoss(_WeightedLoss):
    """Binary cross-entropy of probabilities: ℓ = −w·[y·ln x + (1 − y)·ln(1 − x)], logs clamped at −100."""

    def __init__(self, weight=None, size_average=None, reduce=None, reduction: str = "mean") -> None:
        super().__init__(weight, size_average, reduce, reduction)

    def forward(self, input, target):
        return F.binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid + binary cross-entropy on logits, stable:  ℓ = w·[(1 − y)·x − (1 + (p − 1)·y)·log σ(x)].

    ``weight`` w broadcasts over the input, ``pos_weight`` p (e.g. one per class) weighs positives.
    """

    def __init__(self, weight=None, size_average=None, reduce=None, reduction: str = "mean",
                 pos_weight=None) -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", _buffer(weight))
        self.register_buffer("pos_weight", _buffer(pos_weight))

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(input, target, weight=self.weight, reduction=self.reduction,
                                                  pos_weight=self.pos_weight)


class CrossEntropyLoss(_WeightedLoss):
    """Softmax cross-entropy on logits: ℓ_n = −w_{y_n}·log softmax(x_n)_{y_n} (class indices),
    or −Σ_c w_c·y_{n,c}·log softmax(x_n)_c (class probabilities); see ``F.cross_entropy`` for
    ``ignore_index``, ``label_smoothing`` and the weighted mean.
    """

    _shown = (("ignore_index", -100), ("label_smoothing", 0.0))

    def __init__(self, weight=None, size_average=None, ignore_index: int = -100, reduce=None,
                 reduction: str = "mean", label_smoothing: float = 0.0) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ConfigError(f"CrossEntropyLoss: label_smoothing must be between 0.0 and 1.0, got {label_smoothing!r}")
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input, target):
        return F.cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of log-probabilities: ℓ_n = −w_{y_n}·x_{n, y_n} (0 at ``ignore_index``)."""

    _shown = (("ignore_index", -100),)

    def __init__(self, weight=None, size_average=None, ignore_index: int = -100, reduce=None,
                 reduction: str = "mean") -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class KLDivLoss(_Loss):
    """Pointwise KL divergence, input log-probabilities: ℓ = y·(ln y − x)  (e^y·(y − x) with ``log_target``).

    Use ``reduction='batchmean'`` for the mathematical KL per sample.
    """

    _extra_reductions = ("batchmean",)
    _shown = (("log_target", False),)

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean", log_target: bool = False) -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input, target):
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class MultiMarginLoss(_WeightedLoss):
    """Multi-class hinge: ℓ_n = (1/C)·Σ_{i≠y} w_y·max(0, margin − x_y + x_i)^p, p ∈ {1, 2}."""

    _shown = (("p", 1), ("margin", 1.0))

    def __init__(self, p: int = 1, margin: float = 1.0, weight=None, size_average=None, reduce=None,
                 reduction: str = "mean") -> None:
        super().__init__(weight, size_average, reduce, reduction)
        if p not in (1, 2):
            raise ConfigError(f"MultiMarginLoss: p must be 1 or 2, got {p!r}")
        self.p, self.margin = p, margin

    def forward(self, input, target):
        return F.multi_margin_loss(input, target, p=self.p, margin=self.margin, weight=self.weight,
                                   reduction=self.reduction)


class HingeEmbeddingLoss(_Loss):
    """ℓ = x if y = 1, max(0, margin − x) if y = −1."""

    _shown = (("margin", 1.0),)

    def __init__(self, margin: float = 1.0, size_average=None, reduce=None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input, target):
        return F.hinge_embedding_loss(input, target, margin=self.margin, reduction=self.reduction)


class MarginRankingLoss(_Loss):
    """ℓ = max(0, −y·(x1 − x2) + margin), y ∈ {1, −1}."""

    _shown = (("margin", 0.0),)

    def __init__(self, margin: float = 0.0, size_average=None, reduce=None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return F.margin_ranking_loss(input1, input2, target, margin=self.margin, reduction=self.reduction)


class TripletMarginLoss(_Loss):
    """ℓ = max(‖a − p + eps‖_p − ‖a − n + eps‖_p + margin, 0); ``swap`` uses the harder of d(a, n), d(p, n)."""

    _shown = (("margin", 1.0), ("p", 2.0), ("eps", 1e-6), ("swap", False))

    def __init__(self, margin: float = 1.0, p: float = 2.0, eps: float = 1e-6, swap: bool = False,
                 size_average=None, reduce=None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        if not margin > 0:
            raise ConfigError(f"TripletMarginLoss: margin must be greater than 0, got {margin!r}")
        self.margin, self.p, self.eps, self.swap = margin, p, eps, swap

    def forward(self, anchor, positive, negative):
        return F.triplet_margin_loss(anchor, positive, negative, margin=self.margin, p=self.p, eps=self.eps,
                                     swap=self.swap, reduction=self.reduction)


class CosineEmbeddingLoss(_Loss):
    """ℓ = 1 − cos(x1, x2) if y = 1, max(0, cos(x1, x2) − margin) if y = −1."""

    _shown = (("margin", 0.0),)

    def __init__(self, margin: float = 0.0, size_average=None, reduce=None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return F.cosine_embedding_loss(input1, input2, target, margin=self.margin, reduction=self.reduction)
