"""``Optimizer``: parameter groups, per-parameter state, ``zero_grad`` and ``state_dict``."""

from __future__ import annotations

import copy

import numpy as np

from ..errors import StateDictError
from ..tensor import Tensor


class Optimizer:
    """Base class: holds ``param_groups`` (dicts with 'params' and hyperparameters) and ``state``.

    ``state[p]`` is a dict of named per-parameter buffers (e.g. SGD's
    ``momentum_buffer``) so a worked solution can show them.
    """

    def __init__(self, params, defaults: dict) -> None:
        self.defaults = dict(defaults)
        self.param_groups: list[dict] = []
        self.state: dict = {}
        params = list(params)
        if not params:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        for g in groups:
            self.add_param_group(g)

    def add_param_group(self, group: dict) -> None:
        group = dict(group)
        params = group["params"]
        group["params"] = [params] if isinstance(params, Tensor) else list(params)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        for p in group["params"]:
            if not isinstance(p, Tensor):
                raise TypeError(f"{type(self).__name__}: parameters must be Tensors, got {type(p).__name__}")
            if not p.requires_grad:
                raise ValueError(f"{type(self).__name__}: a parameter of shape {p.shape} does not require grad")
            if id(p) in seen:
                raise ValueError(f"{type(self).__name__}: a parameter appears in more than one group")
        for k, v in self.defaults.items():
            group.setdefault(k, v)
        self._validate(group)
        self.param_groups.append(group)

    def _validate(self, group: dict) -> None:
        """Check hyperparameters; subclasses raise ValueError naming the argument."""

    def zero_grad(self, set_to_none: bool = True) -> None:
        for g in self.param_groups:
            for p in g["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    p.grad = Tensor._wrap(np.zeros_like(p.grad.data))

    def step(self, closure=None):  # pragma: no cover - abstract
        raise NotImplementedError

    def state_dict(self) -> dict:
        """Hyperparameters and state, with parameters referred to by position."""
        index = {}
        groups = []
        for g in self.param_groups:
            ids = []
            for p in g["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            groups.append({**{k: v for k, v in g.items() if k != "params"}, "params": ids})
        state = {}
        for g in self.param_groups:
            for p in g["params"]:
                if p in self.state:
                    state[index[id(p)]] = {k: (v.copy() if isinstance(v, np.ndarray) else copy.copy(v))
                                           for k, v in self.state[p].items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise StateDictError(f"{type(self).__name__}.load_state_dict: {len(groups)} parameter groups "
                                 f"in the state, the optimizer has {len(self.param_groups)}")
        params = []
        for saved, own in zip(groups, self.param_groups):
            if len(saved["params"]) != len(own["params"]):
                raise StateDictError(f"{type(self).__name__}.load_state_dict: a group has "
                                     f"{len(saved['params'])} parameters in the state, "
                                     f"{len(own['params'])} in the optimizer")
            params.extend(zip(saved["params"], own["params"]))
        for saved, own in zip(groups, self.param_groups):
            own.update({k: v for k, v in saved.items() if k != "params"})
        self.state = {}
        for i, p in params:
            if i in state_dict["state"]:
                self.state[p] = {k: (v.copy() if isinstance(v, np.ndarray) else v)
                                 for k, v in state_dict["state"][i].items()}

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for k in sorted(k for k in g if k != "params"):
                lines.append(f"    {k}: {g[k]}")
        return "\n".join(lines) + "\n)"


def check_non_negative(opt: str, name: str, value) -> None:
    if not isinstance(value, (int, float)) or value < 0 or value != value:
        raise ValueError(f"{opt}: invalid {name} {value!r}; expected a number >= 0")
