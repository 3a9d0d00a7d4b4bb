"""``Optimizer``: parameter groups, per-parameter state, ``zero_grad``, ``state_dict`` and ``named_state``.

An optimizer updates ``p.data`` in place with NumPy (no graph is recorded) and keeps its
per-parameter buffers in ``optimizer.state[p]`` under torch's key names (``step``,
``exp_avg``, ``exp_avg_sq``, ``momentum_buffer``...), as NumPy arrays of the parameter's
dtype, and numbers (``step`` is an int).
"""

from __future__ import annotations

import copy
import numbers

import numpy as np

from ..errors import ConfigError, StateDictError
from ..tensor import Tensor

#: State entries that are numbers, not arrays.
_SCALAR_STATE = {"step": int, "mu_product": float}


class Optimizer:
    """Base class: holds ``param_groups`` (dicts with 'params' and hyperparameters) and ``state``.

    ``params`` is an iterable of tensors, of ``(name, tensor)`` pairs (as given by
    ``model.named_parameters()``; the names are kept in ``group['param_names']``), or of
    dicts (parameter groups) whose keys override the optimizer's defaults::

        SGD([{"params": model.body.parameters()},
             {"params": model.head.parameters(), "lr": 1e-2}], lr=1e-3, momentum=0.9)

    ``state[p]`` is a dict of named per-parameter buffers; ``named_state(model)`` shows
    them by parameter name.

    Subclasses set ``defaults``, check them in ``_validate(group)`` and update one group
    in ``_update_group(group)``.
    """

    def __init__(self, params, defaults: dict) -> None:
        self.defaults = dict(defaults)
        self.param_groups: list[dict] = []
        self.state: dict = {}
        self._scratch_buffers: dict = {}
        self._validate(self.defaults)
        name = type(self).__name__
        if isinstance(params, Tensor):
            raise ConfigError(f"{name}: params should be an iterable of tensors or of parameter-group dicts, "
                              f"got a single tensor of shape {params.shape}; pass [tensor] or model.parameters()")
        if isinstance(params, (set, frozenset)):
            raise ConfigError(f"{name}: params given as a set have no fixed order; pass a list")
        try:
            params = list(params)
        except TypeError:
            raise ConfigError(f"{name}: params should be an iterable of tensors or of parameter-group dicts, "
                              f"got {type(params).__name__}") from None
        if not params:
            raise ConfigError(f"{name}: got an empty parameter list; pass model.parameters() "
                              "(is the model built, and does it have parameters?)")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        for g in groups:
            self.add_param_group(g)

    # ------------------------------------------------------------------ groups
    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters with its own hyperparameters (missing keys take the defaults)."""
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise ConfigError(f"{name}.add_param_group: expected a dict with a 'params' key, "
                              f"got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ConfigError(f"{name}.add_param_group: the group has no 'params' key (keys: {sorted(param_group)})")
        group = dict(param_group)
        params = group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise ConfigError(f"{name}: params given as a set have no fixed order; pass a list")
        else:
            params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        params = [p[1] if isinstance(p, tuple) else p for p in params]
        if names:
            if len(names) != len(params):
                raise ConfigError(f"{name}: either all parameters have names ((name, tensor) pairs) or none; "
                                  f"got {len(names)} names for {len(params)} parameters")
            group["param_names"] = names
        index = len(self.param_groups)
        seen: dict[int, int] = {}
        for g, other in enumerate(self.param_groups):
            for p in other["params"]:
                seen[id(p)] = g
        for j, p in enumerate(params):
            where = f"{name}: param_groups[{index}] parameter {j}"
            if not isinstance(p, Tensor):
                raise ConfigError(f"{where} is a {type(p).__name__}; expected a Parameter or a leaf Tensor")
            if not p.is_leaf:
                raise ConfigError(f"{where} (shape {p.shape}) is not a leaf tensor (it was computed by "
                                  f"{type(p.grad_fn).__name__}); only leaves can be optimized: use a "
                                  "Parameter or tensor.detach().requires_grad_()")
            if p.dtype.kind != "f":
                raise ConfigError(f"{where} has dtype {p.dtype}; only float32/float64 tensors can be optimized")
            if id(p) in seen:
                other = seen[id(p)]
                raise ConfigError(f"{where} (shape {p.shape}) already appears in "
                                  + ("the same group" if other == index else f"param_groups[{other}]")
                                  + "; each parameter may be listed once")
            seen[id(p)] = index
        group["params"] = params
        for k, v in self.defaults.items():
            group.setdefault(k, v)
        try:
            self._validate(group)
        except ConfigError as e:  # the defaults passed; say which group overrides them badly
            raise ConfigError(str(e).replace(f"{name}: ", f"{name}: param_groups[{index}] ", 1)) from None
        self._init_group_state(group)
        self.param_groups.append(group)

    def _validate(self, group: dict) -> None:
        """Check hyperparameters; subclasses raise ConfigError naming the argument, value and valid range."""

    def _init_group_state(self, group: dict) -> None:
        """Create state eagerly for a new group (only Adagrad does, as in torch)."""

    def _check(self, ok: bool, arg: str, value, expected: str) -> None:
        if not ok:
            raise ConfigError(f"{type(self).__name__}: invalid {arg}={value!r}; expected {expected}")

    def _check_number(self, group: dict, arg: str, low: float = 0.0, high: float | None = None,
                      low_open: bool = False, high_open: bool = False) -> None:
        """Check that ``group[arg]`` is a real number in the interval (bounds as given)."""
        value = group[arg]
        left = f"{low:g} {'<' if low_open else '<='} {arg}"
        expected = left if high is None else f"{left} {'<' if high_open else '<='} {high:g}"
        ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and value == value
        if ok:
            ok = (value > low if low_open else value >= low)
            if high is not None:
                ok = ok and (value < high if high_open else value <= high)
        self._check(ok, arg, value, "a number with " + expected)

    def _check_pair(self, group: dict, arg: str) -> tuple:
        value = group[arg]
        ok = isinstance(value, (tuple, list)) and len(value) == 2 and all(
            isinstance(v, numbers.Real) and not isinstance(v, bool) and v == v for v in value)
        self._check(ok, arg, value, "a pair of numbers")
        return tuple(value)

    def _check_betas(self, group: dict) -> None:
        betas = self._check_pair(group, "betas")
        for i, b in enumerate(betas):
            self._check(0.0 <= b < 1.0, f"betas[{i}]", b, f"0 <= betas[{i}] < 1")

    # ------------------------------------------------------------------ stepping
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: ``p.grad = None`` (default), or zeros with ``set_to_none=False``."""
        for g in self.param_groups:
            for p in g["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    p.grad = Tensor._wrap(np.zeros_like(p.grad.data))

    def step(self, closure=None):
        """Update every parameter that has a gradient; ``closure`` (re-evaluates and returns the loss)
        is called first with gradients enabled, and its loss is returned."""
        loss = None
        if closure is not None:
            from ..autograd import enable_grad

            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            self._update_group(group)
        return loss

    def _update_group(self, group: dict) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _scratch(self, like: np.ndarray, slot: int = 0) -> np.ndarray:
        """A reusable work array shaped like ``like`` (one flat buffer per dtype and slot)."""
        key = (like.dtype, slot)
        buf = self._scratch_buffers.get(key)
        n = like.size
        if buf is None or buf.size < n:
            buf = self._scratch_buffers[key] = np.empty(n, like.dtype)
        return buf[:n].reshape(like.shape)

    def _effective_grad(self, p: Tensor, maximize: bool, weight_decay: float) -> np.ndarray:
        """``g`` (``-g`` if maximize) plus ``weight_decay·p``; the gradient itself is never modified."""
        g = p.grad.data
        if weight_decay:
            out = self._scratch(p.data, 1)
            np.multiply(p.data, weight_decay, out=out)
            if maximize:
                np.subtract(out, g, out=out)
            else:
                out += g
            return out
        if maximize:
            out = self._scratch(g, 1)
            np.negative(g, out=out)
            return out
        return g

    # ------------------------------------------------------------------ state
    def named_state(self, model=None) -> dict:
        """``{parameter name: {state key: array copy or number}}`` for the parameters with state.

        Names come from ``model`` (a Module, a dict or an iterable of ``(name, tensor)``
        pairs), else from the names given at construction, else ``param_groups[i][j]``::

            >>> opt.named_state(model)["0.weight"]["exp_avg"]      # Adam's m for layer 0
        """
        names: dict[int, str] = {}
        if model is not None:
            if hasattr(model, "named_parameters"):
                items = model.named_parameters()
            elif isinstance(model, dict):
                items = model.items()
            else:
                items = model
            for n, p in items:
                names.setdefault(id(p), n)
        out = {}
        for i, group in enumerate(self.param_groups):
            given = group.get("param_names")
            for j, p in enumerate(group["params"]):
                st = self.state.get(p)
                if not st:
                    continue
                n = names.get(id(p)) or (given[j] if given else f"param_groups[{i}][{j}]")
                out[n] = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in st.items()}
        return out

    def state_dict(self) -> dict:
        """``{'state': {index: {key: value}}, 'param_groups': [{..., 'params': [index, ...]}]}``.

        Parameters are referred to by their position across the groups, as in torch; arrays
        are copies, so the dict is a snapshot.
        """
        index: dict[int, int] = {}
        groups = []
        for g in self.param_groups:
            ids = []
            for p in g["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            groups.append({**{k: copy.deepcopy(v) for k, v in g.items() if k != "params"}, "params": ids})
        state = {}
        for g in self.param_groups:
            for p in g["params"]:
                if p in self.state:
                    state[index[id(p)]] = {k: (v.copy() if isinstance(v, np.ndarray) else copy.copy(v))
                                           for k, v in self.state[p].items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore hyperparameters and state saved by ``state_dict`` (from an optimizer of the
        same type over parameters of the same shapes); stepping then continues identically.
        Torch tensors in the state (a converted ``torch.optim`` state dict) are accepted."""
        name = type(self).__name__
        if not isinstance(state_dict, dict) or "param_groups" not in state_dict or "state" not in state_dict:
            raise StateDictError(f"{name}.load_state_dict: expected a dict with 'state' and 'param_groups' "
                                 f"(from Optimizer.state_dict()), got {type(state_dict).__name__}")
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise StateDictError(f"{name}.load_state_dict: {len(groups)} parameter groups "
                                 f"in the state, the optimizer has {len(self.param_groups)}")
        params = []
        for gi, (saved, own) in enumerate(zip(groups, self.param_groups)):
            if len(saved["params"]) != len(own["params"]):
                raise StateDictError(f"{name}.load_state_dict: param_groups[{gi}] has "
                                     f"{len(saved['params'])} parameters in the state, "
                                     f"{len(own['params'])} in the optimizer")
            params.extend(zip(saved["params"], own["params"]))
        new_state = {}
        for i, p in params:
            if i not in state_dict["state"]:
                continue
            entry = {}
            for k, v in state_dict["state"][i].items():
                if hasattr(v, "detach") and not isinstance(v, Tensor):  # a torch tensor
                    v = v.detach().cpu().numpy()
                elif isinstance(v, Tensor):
                    v = v.data
                if k in _SCALAR_STATE:
                    entry[k] = _SCALAR_STATE[k](np.asarray(v).item())
                elif isinstance(v, (np.ndarray, np.generic)):
                    arr = np.array(v, dtype=p.dtype, copy=True)
                    if arr.shape != p.shape:
                        raise StateDictError(f"{name}.load_state_dict: state {k!r} of parameter {i} has shape "
                                             f"{arr.shape}, the parameter has shape {p.shape}")
                    entry[k] = arr
                else:
                    entry[k] = copy.deepcopy(v)
            new_state[p] = entry
        for saved, own in zip(groups, self.param_groups):
            own.update({k: copy.deepcopy(v) for k, v in saved.items() if k != "params"})
        self.state = new_state

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for k in sorted(k for k in g if k not in ("params", "param_names")):
                lines.append(f"    {k}: {g[k]}")
        return "\n".join(lines) + "\n)"


def lerp_(a: np.ndarray, b: np.ndarray, weight: float, tmp: np.ndarray) -> None:
    """``a ← a + weight·(b - a)`` in place, evaluated as torch's ``lerp_`` does (from the nearer end).

    ``tmp`` is a work array shaped like ``a``.
    """
    np.subtract(b, a, out=tmp)
    if weight < 0.5:
        tmp *= weight
        a += tmp
    else:
        tmp *= 1 - weight
        np.subtract(b, tmp, out=a)


def stepped(optimizer: Optimizer, group: dict, zeros=(), init=None):
    """``(p, p.data, state, t)`` for each parameter of ``group`` that has a gradient, with the step
    count ``t = state['step']`` already incremented. A new state starts at step 0 with zero arrays
    under the keys ``zeros`` and whatever ``init(data)`` returns (a dict) added."""
    for p in group["params"]:
        if p.grad is None:
            continue
        d = p.data
        st = optimizer.state.get(p)
        if not st:
            st = optimizer.state[p] = {"step": 0}
            for key in zeros:
                st[key] = np.zeros_like(d)
            if init is not None:
                st.update(init(d))
        st["step"] += 1
        yield p, d, st, st["step"]


def state_for(optimizer: Optimizer, p: Tensor) -> dict:
    """``optimizer.state[p]``, created empty on first use."""
    st = optimizer.state.get(p)
    if st is None:
        st = optimizer.state[p] = {}
    return st
