"""Optimizers to and from ``torch.optim``: hyperparameters per group, and the per-parameter state.

Both libraries name the optimizers (SGD, Adam, AdamW, RMSprop, Adagrad...) and their state
(``momentum_buffer``, ``exp_avg``, ``exp_avg_sq``, ``max_exp_avg_sq``, ``square_avg``,
``grad_avg``, ``sum``, ``step``) the same way, so a conversion builds the other library's
optimizer of the same name over the matching parameters and copies the state across.
``step`` is an int in chalkgrad and a 0-d float tensor in torch.

A hyperparameter that only one library has is dropped when it is at its default (torch's
``foreach``, ``fused``...), and refused (ConversionError) when it is not.
"""

from __future__ import annotations

import inspect

import numpy as np

from .. import optim as cg_optim
from ..errors import ConversionError
from ..nn import Parameter
from ._torch import numpy_dtype, require_torch, to_numpy, to_torch_tensor

_NUMBER = (int, float, np.integer, np.floating)

#: torch options that choose an implementation, not the maths (dropped silently).
_IMPLEMENTATION_ONLY = ("foreach", "fused", "capturable", "differentiable")
#: group entries that are not hyperparameters but are kept (learning-rate schedulers' bookkeeping).
_CARRIED = ("initial_lr",)


def _defaults(cls) -> dict:
    return {k: p.default for k, p in inspect.signature(cls.__init__).parameters.items()
            if p.default is not inspect.Parameter.empty}


def _group_options(group: dict, source_cls, target_cls, target_fixed: dict, what: str) -> dict:
    """The group's hyperparameters that ``target_cls`` takes; refuse one it lacks that is not at its default
    (``target_fixed``: the entries a fresh ``target_cls`` puts in its groups without taking them as arguments)."""
    accepted, source_defaults = _defaults(target_cls), _defaults(source_cls)
    options = {}
    for k, v in group.items():
        if k in accepted or k in _CARRIED:
            options[k] = tuple(v) if isinstance(v, list) else v
        elif k in ("params", "param_names") or k in _IMPLEMENTATION_ONLY:
            continue
        elif k in target_fixed and target_fixed[k] == v:
            continue  # e.g. AdamW's decoupled_weight_decay=True: built into torch.optim.AdamW
        elif k not in source_defaults or v != source_defaults[k]:
            raise ConversionError(f"{what}: {source_cls.__name__}'s option {k}={v!r} has no equivalent in "
                                  f"{target_cls.__module__}.{target_cls.__name__}")
    return options


def _build(cls, groups: list):
    """``cls(groups)``, then the carried bookkeeping entries put back into each group."""
    carried = [{k: g.pop(k) for k in _CARRIED if k in g} for g in groups]
    result = cls(groups)
    for group, extra in zip(result.param_groups, carried):
        group.update(extra)
    return result


def _target_class(module, name: str, what: str):
    cls = getattr(module, name, None)
    if cls is None:
        raise ConversionError(f"{what}: {module.__name__} has no optimizer named {name}")
    return cls


def _match_params(source_params: list, params, source_model, what: str) -> list:
    """The target parameters, one per source parameter, matched by name or else by position."""
    if source_model is not None:
        names = {id(p): n for n, p in source_model.named_parameters()}
        targets = dict(params.named_parameters())
        missing = [i for i, p in enumerate(source_params) if names.get(id(p)) not in targets]
        if missing:
            raise ConversionError(f"{what}: parameter {missing[0]} of the optimizer is not found by name in "
                                  "the target model (was it converted from this model?)")
        matched = [targets[names[id(p)]] for p in source_params]
    else:
        matched = list(params.parameters()) if hasattr(params, "parameters") else list(params)
    if len(matched) != len(source_params):
        raise ConversionError(f"{what}: the optimizer has {len(source_params)} parameters, the target "
                              f"{len(matched)}; pass the converted model, or the parameters in the optimizer's order")
    for i, (a, b) in enumerate(zip(source_params, matched)):
        if tuple(a.shape) != tuple(b.shape):
            raise ConversionError(f"{what}: parameter {i} has shape {tuple(a.shape)} in the optimizer but "
                                  f"{tuple(b.shape)} in the target")
    return matched


def to_torch_optimizer(optimizer, params, *, model=None):
    """The ``torch.optim`` optimizer equal to chalkgrad's ``optimizer``, over torch ``params``.

    ``params`` is the torch model made by ``to_torch(model)`` (pass ``model=`` to match
    parameters by name) or the torch parameters in the optimizer's order.
    """
    torch = require_torch()
    what = f"to_torch_optimizer({type(optimizer).__name__})"
    cls = _target_class(torch.optim, type(optimizer).__name__, what)
    fixed = cls([torch.zeros(1, requires_grad=True)]).param_groups[0]
    source = [p for g in optimizer.param_groups for p in g["params"]]
    target = _match_params(source, params, model, what)
    result = _build(cls, _regrouped(optimizer, target, cls, fixed, what))
    # torch keeps scalar state (step, NAdam's mu_product) as 0-d tensors of its scalar dtype
    scalar_dtype = torch.float64 if torch.get_default_dtype() == torch.float64 else torch.float32
    for p, t in zip(source, target):
        state = optimizer.state.get(p)
        if state:
            result.state[t] = {k: (to_torch_tensor(v) if isinstance(v, np.ndarray) and v.ndim else
                                   torch.tensor(float(v), dtype=scalar_dtype) if isinstance(v, _NUMBER) else v)
                               for k, v in state.items()}
    return result


def _regrouped(optimizer, target, cls, fixed, what) -> list:
    """``optimizer``'s param groups, in order, over the ``target`` parameters with the options ``cls`` takes."""
    groups, i = [], 0
    for g in optimizer.param_groups:
        n = len(g["params"])
        groups.append({"params": target[i:i + n], **_group_options(g, type(optimizer), cls, fixed, what)})
        i += n
    return groups


def from_torch_optimizer(optimizer, params, *, model=None):
    """The chalkgrad optimizer equal to the ``torch.optim`` ``optimizer``, over chalkgrad ``params``.

    ``params`` is the chalkgrad model made by ``from_torch(model)`` (pass the torch ``model=``
    to match parameters by name) or the chalkgrad parameters in the optimizer's order.
    """
    what = f"from_torch_optimizer({type(optimizer).__name__})"
    cls = _target_class(cg_optim, type(optimizer).__name__, what)
    fixed = cls([Parameter(np.zeros(1))]).param_groups[0]
    source = [p for g in optimizer.param_groups for p in g["params"]]
    target = _match_params(source, params, model, what)
    result = _build(cls, _regrouped(optimizer, target, cls, fixed, what))
    result.state = {}
    for p, t in zip(source, target):
        state = optimizer.state.get(p)
        if state:
            entry = {}
            for k, v in state.items():
                if k == "step":
                    entry[k] = int(float(v))
                elif hasattr(v, "shape") and len(v.shape) == 0:
                    entry[k] = float(v)
                elif hasattr(v, "shape"):
                    entry[k] = to_numpy(v).astype(numpy_dtype(str(t.dtype)), copy=False)
                else:
                    entry[k] = v
            result.state[t] = entry
    return result
