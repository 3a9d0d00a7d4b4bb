"""``Module``: the base class of layers and models (PyTorch's ``nn.Module`` contract).

A module owns parameters (trainable tensors), buffers (state such as running
statistics) and child modules, all found by assigning attributes::

    class TwoLayer(Module):
        def __init__(self):
            super().__init__()
            self.hidden = Linear(2, 2)      # child module, its weight is "hidden.weight"
            self.out = Linear(2, 2)
        def forward(self, x):
            return self.out(self.hidden(x).sigmoid())

Parameters, buffers and children are kept in ordered dicts (``_parameters``,
``_buffers``, ``_modules``) *and* as ordinary instance attributes, so reading
``self.hidden`` inside ``forward`` is a plain attribute lookup.

Static arithmetic: a layer may also answer ``output_shape(input_shape)`` and
``macs(input_shape)`` (multiply-accumulates for one forward pass) without running,
so summaries and worked solutions can be built from shapes alone. Shapes include
the batch dimension.

Errors: a :class:`~chalkgrad.errors.ChalkgradError` raised inside a child's
forward leaves each enclosing module with the child's path prefixed to its
message, e.g. ``[MLP layer 'body.0'] Linear(3, 4): input of shape (2, 5) ...``.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict, namedtuple
from collections.abc import Mapping

import numpy as np

from ..device import check_device, to_arguments
from ..errors import (
    AttributeLookupError,
    ChalkgradError,
    ConfigError,
    DTypeError,
    KeyNameError,
    ShapeError,
    StateDictError,
)
from ..tensor import Tensor, canonical_dtype
from .parameter import Parameter

# Attributes that Module.__init__ creates; reading one on a module whose __init__
# never ran gives the "call super().__init__()" message instead of a bare AttributeError.
_INTERNAL = frozenset({
    "training", "_parameters", "_buffers", "_non_persistent", "_modules",
    "_forward_hooks", "_forward_pre_hooks", "_hooked",
})


class IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns: the module's keys the state_dict lacked, and the extra ones."""

    __slots__ = ()

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()


class RemovableHandle:
    """Returned by ``register_forward_hook``: ``handle.remove()`` unregisters the hook.

    Also a context manager: ``with model.register_forward_hook(f): ...`` removes it on exit.
    """

    _next_id = 0

    def __init__(self, module: Module, hooks: dict) -> None:
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1
        self._module = weakref.ref(module)
        self._hooks = hooks

    def remove(self) -> None:
        self._hooks.pop(self.id, None)
        module = self._module()
        if module is not None:
            module._update_hooked()

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


def _note_layer_path(module: Module, err: ChalkgradError) -> None:
    """Prefix ``err``'s message with the path of the layer it came from, one parent at a time.

    The innermost module that lets the error out is remembered; each enclosing
    module then looks that module up among its children and prepends its name.
    A child called without being registered breaks the chain (no path is shown).
    """
    info = err.__dict__.get("_chalkgrad_layer")
    if info is None:
        if len(err.args) == 1 and isinstance(err.args[0], str):
            err._chalkgrad_layer = {"module": module, "path": [], "message": err.args[0]}
        return
    if info["module"] is None:  # chain broken earlier
        return
    for name, child in module._modules.items():
        if child is info["module"]:
            info["path"].insert(0, name)
            info["module"] = module
            break
    else:
        info["module"] = None
        return
    err.args = (f"[{type(module).__name__} layer '{'.'.join(info['path'])}'] {info['message']}",)


def _as_array(value, key: str) -> np.ndarray:
    """The array behind a state_dict value: a chalkgrad Tensor, a NumPy array, or anything array-like."""
    if isinstance(value, Tensor):
        return value.data
    if isinstance(value, np.ndarray):
        return value
    if hasattr(value, "detach") and hasattr(value, "numpy"):  # e.g. a torch.Tensor, even one that requires grad
        value = value.detach().cpu().numpy()
    arr = np.asarray(value)
    if arr.dtype == object:
        raise StateDictError(f"load_state_dict: the value for '{key}' is a {type(value).__name__}, "
                             "expected a Tensor or a NumPy array")
    return arr


class Module:
    """Base class for every layer and model.

    Subclasses call ``super().__init__()`` first, assign layers and Parameters as
    attributes, and define ``forward``. Call the module (``model(x)``), not
    ``forward``, so that hooks run.
    """

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())
        object.__setattr__(self, "_hooked", False)  # any hooks at all: one check on the hot path

    # ------------------------------------------------------------------ registration
    def __getattr__(self, name: str):
        # Only reached when normal lookup fails.
        if name in _INTERNAL and "_parameters" not in self.__dict__:
            raise AttributeLookupError(
                f"{type(self).__name__} is not initialized: its __init__ must call super().__init__() "
                f"before the module is used (looking up '{name}')"
            )
        raise AttributeLookupError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __setattr__(self, name: str, value) -> None:
        d = self.__dict__
        params = d.get("_parameters")
        if params is None and isinstance(value, (Parameter, Module)):
            what = "parameter" if isinstance(value, Parameter) else "submodule"
            raise AttributeLookupError(
                f"cannot assign {what} '{name}' before Module.__init__() was called: "
                f"call super().__init__() first in {type(self).__name__}.__init__"
            )
        if isinstance(value, Parameter):
            self._forget(name, keep="_parameters")
            params[name] = value
        elif isinstance(value, Module):
            self._forget(name, keep="_modules")
            d["_modules"][name] = value
        elif params is not None:
            if name in params:
                if value is not None:
                    raise DTypeError(f"cannot assign a {type(value).__name__} to parameter '{name}' of "
                                     f"{type(self).__name__} (expected a Parameter or None); to change its "
                                     f"values use `with chalkgrad.no_grad(): module.{name}.copy_(...)`")
                params[name] = None
            elif name in d["_modules"]:
                if value is not None:
                    raise DTypeError(f"cannot assign a {type(value).__name__} to child module '{name}' of "
                                     f"{type(self).__name__} (expected a Module or None)")
                d["_modules"][name] = None
            elif name in d["_buffers"]:
                if value is not None and not isinstance(value, Tensor):
                    raise DTypeError(f"cannot assign a {type(value).__name__} to buffer '{name}' of "
                                     f"{type(self).__name__} (expected a Tensor or None)")
                d["_buffers"][name] = value
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        if "_parameters" in self.__dict__:
            self._forget(name)
        object.__delattr__(self, name)

    def _forget(self, name: str, keep: str | None = None) -> None:
        """Drop ``name`` from the registries except ``keep`` (whose entry is about to be replaced in place)."""
        d = self.__dict__
        for store in ("_parameters", "_modules", "_buffers"):
            if store != keep:
                d[store].pop(name, None)
        d["_non_persistent"].discard(name)

    def _check_new_name(self, what: str, name, store: dict) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeLookupError(f"{what}: cannot register '{name}' before Module.__init__() was called: "
                                       f"call super().__init__() first in {type(self).__name__}.__init__")
        if not isinstance(name, str):
            raise DTypeError(f"{what}: the name must be a string, got {type(name).__name__}")
        if not name or "." in name:
            raise KeyNameError(f"{what}: invalid name {name!r} (expected a non-empty string without '.')")
        if name not in store and hasattr(self, name):
            raise KeyNameError(f"{what}: attribute '{name}' already exists on {type(self).__name__}")

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` (a Parameter, or None for an absent one such as ``bias=False``) as ``name``."""
        self._check_new_name("register_parameter", name, self._parameters)
        if param is not None and not isinstance(param, Parameter):
            raise DTypeError(f"register_parameter: '{name}' must be a Parameter or None, got {type(param).__name__}")
        self._forget(name, keep="_parameters")
        self._parameters[name] = param
        object.__setattr__(self, name, param)

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Register state that is not trained (running means...); saved in ``state_dict`` if ``persistent``."""
        self._check_new_name("register_buffer", name, self._buffers)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise DTypeError(f"register_buffer: '{name}' must be a Tensor or None, got {type(tensor).__name__}")
        self._forget(name, keep="_buffers")
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent.add(name)
        object.__setattr__(self, name, tensor)

    def add_module(self, name: str, module: Module | None) -> None:
        """Register ``module`` as the child ``name`` (same as assigning ``self.name = module``)."""
        self._check_new_name("add_module", name, self._modules)
        if module is not None and not isinstance(module, Module):
            raise DTypeError(f"add_module: '{name}' must be a Module or None, got {type(module).__name__}")
        self._forget(name, keep="_modules")
        self._modules[name] = module
        object.__setattr__(self, name, module)

    register_module = add_module

    # ------------------------------------------------------------------ running
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args, **kwargs):
        if self._hooked:
            return self._call_with_hooks(args, kwargs)
        try:
            return self.forward(*args, **kwargs)
        except ChalkgradError as err:  # zero cost unless raised (Python >= 3.11)
            _note_layer_path(self, err)
            raise

    def _call_with_hooks(self, args, kwargs):
        for hook in list(self._forward_pre_hooks.values()):
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        try:
            out = self.forward(*args, **kwargs)
        except ChalkgradError as err:
            _note_layer_path(self, err)
            raise
        for hook in list(self._forward_hooks.values()):
            result = hook(self, args, out)
            if result is not None:
                out = result
        return out

    def _update_hooked(self) -> None:
        object.__setattr__(self, "_hooked", bool(self._forward_hooks or self._forward_pre_hooks))

    def register_forward_hook(self, hook) -> RemovableHandle:
        """Call ``hook(module, args, output)`` after every forward; a non-None result replaces the output.

        ``args`` is the tuple of positional inputs. Returns a handle whose ``remove()`` unregisters the hook.
        """
        handle = RemovableHandle(self, self._forward_hooks)
        self._forward_hooks[handle.id] = hook
        self._update_hooked()
        return handle

    def register_forward_pre_hook(self, hook) -> RemovableHandle:
        """Call ``hook(module, args)`` before every forward; a non-None result replaces the inputs."""
        handle = RemovableHandle(self, self._forward_pre_hooks)
        self._forward_pre_hooks[handle.id] = hook
        self._update_hooked()
        return handle

    # ------------------------------------------------------------------ static arithmetic
    def output_shape(self, input_shape: tuple) -> tuple:
        """Shape of the output for an input of ``input_shape`` (batch included), without running."""
        raise NotImplementedError(f"{type(self).__name__} does not define output_shape()")

    def macs(self, input_shape: tuple) -> int:
        """Multiply-accumulate operations of one forward pass on ``input_shape`` (0 unless a layer says more)."""
        return 0

    def receptive_field(self):
        """What this layer adds to the receptive field, from its hyperparameters alone.

        ``None`` (the default) means the layer acts on each position separately
        (activations, norms over channels, dropout): kernel 1, stride 1.
        Sliding-window layers (conv, pooling) return a dict with per-spatial-dim tuples
        ``{"kernel": (k,...), "stride": (s,...), "padding": (p,...), "dilation": (d,...)}``;
        layers that mix every position (Linear over a flattened map, global or
        adaptive pooling) return ``"global"``.
        """
        return None

    def count_parameters(self, trainable_only: bool = False) -> int:
        """Number of scalar parameters (shared ones counted once); ``trainable_only`` counts those needing grad."""
        return int(sum(p.numel() for p in self.parameters() if p.requires_grad or not trainable_only))

    def num_parameters(self, trainable_only: bool = False) -> int:
        """The older name of :meth:`count_parameters`. Prefer that one: on ``nn.PReLU``, as in
        PyTorch, ``num_parameters`` is the constructor's int, which shadows this method."""
        return self.count_parameters(trainable_only)

    # ------------------------------------------------------------------ traversal
    def named_modules(self, memo: set | None = None, prefix: str = "", remove_duplicate: bool = True):
        """Yield ``(dotted_name, module)`` for self (name ``prefix``) and every descendant, depth first.

        A module reachable along two paths is yielded once unless ``remove_duplicate=False``.
        """
        if remove_duplicate:
            memo = set() if memo is None else memo
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(memo, f"{prefix}.{name}" if prefix else name, remove_duplicate)

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        """Yield ``(name, module)`` for the direct children (each module once)."""
        seen = set()
        for name, child in self._modules.items():
            if child is not None and id(child) not in seen:
                seen.add(id(child))
                yield name, child

    def children(self):
        for _, child in self.named_children():
            yield child

    def _named_members(self, store: str, prefix: str, recurse: bool, remove_duplicate: bool):
        seen = set()
        mods = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        for mod_prefix, mod in mods:
            for name, value in getattr(mod, store).items():
                if value is None:
                    continue
                if remove_duplicate:
                    if id(value) in seen:
                        continue
                    seen.add(id(value))
                yield (f"{mod_prefix}.{name}" if mod_prefix else name), value

    def named_parameters(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        """Yield ``(dotted_name, parameter)``; a parameter shared by several layers is yielded once (first name)."""
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def get_submodule(self, target: str) -> Module:
        """The descendant at dotted path ``target`` ('' is self), e.g. ``model.get_submodule('body.0')``."""
        mod = self
        for part in target.split(".") if target else []:
            child = mod._modules.get(part)
            if child is None:
                raise AttributeLookupError(f"{type(mod).__name__} has no submodule '{part}' (looking up '{target}'); "
                                           f"its children are {list(mod._modules)}")
            mod = child
        return mod

    def get_parameter(self, target: str) -> Parameter:
        """The parameter at dotted path ``target``, e.g. ``'body.0.weight'``."""
        path, _, name = target.rpartition(".")
        mod = self.get_submodule(path)
        if mod._parameters.get(name) is None:
            raise AttributeLookupError(f"{type(mod).__name__} has no parameter '{name}' (looking up '{target}'); "
                                       f"its parameters are {[k for k, v in mod._parameters.items() if v is not None]}")
        return mod._parameters[name]

    def get_buffer(self, target: str) -> Tensor:
        """The buffer at dotted path ``target``."""
        path, _, name = target.rpartition(".")
        mod = self.get_submodule(path)
        if mod._buffers.get(name) is None:
            raise AttributeLookupError(f"{type(mod).__name__} has no buffer '{name}' (looking up '{target}')")
        return mod._buffers[name]

    def apply(self, fn) -> Module:
        """Call ``fn(module)`` on every submodule (children first) and then on self; returns self.

        Typical use: ``model.apply(init_weights)`` with a function that checks ``isinstance(m, Linear)``.
        """
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------ modes and grads
    def train(self, mode: bool = True) -> Module:
        """Set training mode (``training=True``) on self and, recursively, on every child; returns self."""
        if not isinstance(mode, bool):
            raise ConfigError(f"train(): mode must be a bool, got {mode!r}")
        object.__setattr__(self, "training", mode)
        for child in self.children():
            child.train(mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode, the same as ``train(False)`` (dropout off, batch norm uses running statistics)."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Set ``requires_grad`` of every parameter (``False`` freezes the module); returns self."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all parameters: to None by default (as PyTorch >= 2.0), else to zeros."""
        for p in self.parameters():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad = Tensor._wrap(np.zeros_like(p.grad.data))

    def to(self, *args, dtype=None, device=None) -> Module:
        """Convert floating parameters and buffers (and their grads) to ``dtype``, in place; returns self.

        Accepts ``to(dtype)``, ``to(tensor)`` (its dtype), ``to('cpu')`` and the keywords
        ``dtype=``/``device=``. Integer and bool buffers are left as they are.
        """
        d, _ = to_arguments(args, dtype, device, f"{type(self).__name__}.to()")
        if d is None:
            return self
        if d.kind != "f":
            raise DTypeError(f"Module.to() only accepts floating dtypes (float32, float64), got {d}")
        for m in self.modules():
            for store in (m._parameters, m._buffers):
                for t in store.values():
                    if t is not None and t.dtype.kind == "f":
                        t.data = t.data.astype(d, copy=False)
                        if t.grad is not None:
                            t.grad = Tensor._wrap(t.grad.data.astype(d, copy=False))
        return self

    def double(self) -> Module:
        """Floating parameters and buffers to float64 (for gradient checks and worked solutions)."""
        return self.to("float64")

    def float(self) -> Module:
        """Floating parameters and buffers to float32 (the training default)."""
        return self.to("float32")

    def cpu(self) -> Module:
        return self

    # ------------------------------------------------------------------ state
    def _named_state(self, prefix: str = ""):
        """``(key, tensor)`` for parameters and persistent buffers, shared ones under every name (as PyTorch)."""
        for mod_prefix, mod in self.named_modules(remove_duplicate=False):
            base = f"{prefix}{mod_prefix}." if mod_prefix else prefix
            for name, p in mod._parameters.items():
                if p is not None:
                    yield base + name, p
            for name, b in mod._buffers.items():
                if b is not None and name not in mod._non_persistent:
                    yield base + name, b

    def state_dict(self, *, destination=None, prefix: str = "", keep_vars: bool = False):
        """Parameters and persistent buffers by dotted name (``'0.weight'``), in registration order.

        Values are detached tensors sharing memory with the module (the Parameters themselves
        with ``keep_vars=True``). ``{k: v.numpy() for k, v in sd.items()}`` is a plain
        NumPy checkpoint that ``load_state_dict`` (and PyTorch, after ``torch.from_numpy``) accepts.
        """
        out = OrderedDict() if destination is None else destination
        for key, t in self._named_state(prefix):
            out[key] = t if keep_vars else t.detach()
        return out

    def load_state_dict(self, state_dict, strict: bool = True) -> IncompatibleKeys:
        """Copy values (chalkgrad Tensors, NumPy arrays, or PyTorch tensors) into parameters and buffers, by name.

        With ``strict`` (the default) missing or unexpected keys raise a StateDictError
        listing them; with ``strict=False`` they are returned as ``(missing_keys, unexpected_keys)``.
        A value whose shape differs from the module's always raises, naming the key and both shapes.
        Values are cast to the module's dtype. Nothing is copied unless every check passes.
        """
        if not isinstance(state_dict, Mapping):
            raise DTypeError(f"load_state_dict: expected a dict of names to arrays, got {type(state_dict).__name__}")
        own = OrderedDict(self._named_state())
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        arrays, mismatched = {}, []
        for key, target in own.items():
            if key in state_dict:
                arr = _as_array(state_dict[key], key)
                if arr.shape != target.shape:
                    mismatched.append(f"shape mismatch for '{key}': the state_dict has shape {tuple(arr.shape)}, "
                                      f"the module expects {tuple(target.shape)}")
                arrays[key] = arr
        problems = list(mismatched)
        if strict:
            if missing:
                problems.insert(0, "missing keys: " + ", ".join(f"'{k}'" for k in missing))
            if unexpected:
                problems.insert(1 if missing else 0, "unexpected keys: " + ", ".join(f"'{k}'" for k in unexpected))
        if problems:
            hint = ""
            if strict and (missing or unexpected):
                hint = "\n(strict=False loads the matching keys and returns the missing and unexpected ones)"
            raise StateDictError(f"load_state_dict of {type(self).__name__} failed:\n  "
                                 + "\n  ".join(problems) + hint)
        for key, arr in arrays.items():
            target = own[key]
            np.copyto(target.data, arr, casting="unsafe")
            target._version += 1
        return IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------ printing
    def extra_repr(self) -> str:
        """Hyperparameters shown inside the parentheses of ``repr`` (override in layers)."""
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        # The layout of torch.nn.Module.__repr__: a one-line extra_repr stays on the
        # head line when there are no children; otherwise one entry per line.
        extra = self.extra_repr()
        lines = extra.split("\n") if extra else []
        children = []
        for name, child in self._modules.items():
            children.append(f"({name}): " + repr(child).replace("\n", "\n  "))
        if len(lines) == 1 and not children:
            return f"{self._get_name()}({lines[0]})"
        lines += children
        if not lines:
            return f"{self._get_name()}()"
        return f"{self._get_name()}(\n  " + "\n  ".join(lines) + "\n)"


def layer_dtype(name: str, dtype, device) -> np.dtype:
    """The float dtype a layer's parameters get (float32 by default); ``device`` must be the CPU."""
    check_device(device, name)
    d = np.dtype("float32") if dtype is None else canonical_dtype(dtype)
    if d.kind != "f":
        raise DTypeError(f"{name}: dtype must be float32 or float64, got {d}")
    return d


def positive_int(layer: str, arg: str, value) -> int:
    """``value`` as an int, or a ConfigError naming the layer and argument if it is not a positive integer."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ConfigError(f"{layer}: {arg} must be a positive integer, got {value!r}")
    return int(value)


def check_input_dtype(layer: str, x, param, what: str = "input") -> None:
    """Refuse an input whose dtype is not the dtype of the layer's parameter ``param``.

    PyTorch refuses such input too; promoting it would give a float32 weight a float64
    gradient, or silently compute in another precision than the layer's.
    """
    got, want = x.dtype, getattr(param, "dtype", param)
    if got == want:
        return
    if got.kind != "f":
        raise DTypeError(f"{layer}: {what} has dtype {got}, expected {want} like the layer's parameters; "
                         f"convert it with .to(chalkgrad.{want}) (or .float()/.double())")
    raise DTypeError(f"{layer}: {what} has dtype {got} but the layer's parameters are {want}; convert the "
                     f"input with .to(chalkgrad.{want}), or the layer with .to(chalkgrad.{got}) "
                     f"(.double()/.float())")


def check_input_ndim(module_path: str, x, allowed: tuple, what: str) -> None:
    """Raise a ShapeError naming the layer if ``x`` has a rank not in ``allowed``."""
    if x.ndim not in allowed:
        raise ShapeError(f"{module_path}: expected {what}, got a tensor of shape {tuple(x.shape)}")
