"""L1 and L2 penalties to add to a loss (differentiable scalars).

Relation with weight decay: adding ``l2_penalty(model, wd/2)`` = (wd/2)·Σw² (or
``l2_penalty(model, wd, half=True)``) to the loss adds wd·w to every gradient, which is what
``optim.SGD(..., weight_decay=wd)`` does, so plain SGD takes identical steps either way.
(With adaptive optimizers such as Adam the two differ from AdamW's decoupled decay.)
"""

from __future__ import annotations

from ..errors import ConfigError, DTypeError
from ..tensor import Tensor

__all__ = ["l1_penalty", "l2_penalty"]


def _tensors(what: str, params) -> list:
    if isinstance(params, Tensor):
        return [params]
    if hasattr(params, "parameters") and callable(params.parameters):
        params = params.parameters()
    try:
        tensors = list(params)
    except TypeError:
        raise ConfigError(f"{what}: expected a Module, a tensor or an iterable of tensors, "
                          f"got {type(params).__name__}") from None
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise ConfigError(f"{what}: item {i} is a {type(t).__name__}, expected a Tensor")
        if t.dtype.kind != "f":
            raise DTypeError(f"{what}: item {i} has dtype {t.dtype}; penalties apply to float tensors")
    return tensors


def _check_lam(what: str, lam) -> None:
    if isinstance(lam, bool) or not isinstance(lam, (int, float)) or not lam >= 0:
        raise ConfigError(f"{what}: invalid lam={lam!r}; expected a number >= 0")


def _total(terms: list) -> Tensor:
    if not terms:
        return Tensor(0.0)
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return total


def l1_penalty(params, lam: float) -> Tensor:
    """λ·Σᵢ Σ|wᵢ| over the tensors of ``params`` (a Module's parameters, a tensor or an iterable).

    Its gradient is λ·sign(w) (0 at w = 0). To leave biases out, pass the weights only,
    e.g. ``[m.weight for m in model.modules() if isinstance(m, nn.Linear)]``.
    """
    _check_lam("l1_penalty", lam)
    tensors = _tensors("l1_penalty", params)
    return _total([t.abs().sum() for t in tensors]) * lam


def l2_penalty(params, lam: float, half: bool = False) -> Tensor:
    """λ·Σᵢ Σwᵢ² (or λ/2·Σᵢ Σwᵢ² with ``half=True``) over the tensors of ``params``.

    Gradient: 2λ·w (λ·w with ``half=True``). SGD's ``weight_decay=wd`` equals adding
    ``l2_penalty(params, wd, half=True)`` = (wd/2)·‖w‖² to the loss.
    """
    _check_lam("l2_penalty", lam)
    tensors = _tensors("l2_penalty", params)
    scale = lam / 2 if half else lam
    return _total([(t * t).sum() for t in tensors]) * scale
