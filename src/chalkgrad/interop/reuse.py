"""Custom modules without a twin: reuse their ``forward`` in torch when it is written portably.

A ``forward`` that only calls its children, reads its attributes and uses tensor operators and
methods (``x + self.scale * self.body(x)``, ``h.relu().flatten(1)``) runs unchanged on torch
tensors once its children are torch modules. So ``to_torch`` makes a torch module whose
``forward`` is that same function, provided the function (and each method of the class it calls
through ``self``) names no chalkgrad or NumPy function, class or module: ``F.relu(x)``,
``chalkgrad.cat(...)`` or ``np.exp(...)`` would receive torch tensors, and such a module raises
ConversionError instead, pointing to ``register_twin``.
Methods with the same name but other defaults in the two libraries (``softmax`` without ``dim``)
are not detected; the tests of a converted model should compare outputs, as ours do.
"""

from __future__ import annotations

import inspect
import types

from .. import nn as cg_nn

_PORTABLE_MODULES = ("math", "builtins", "typing")


def _code_names(code) -> set:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _code_names(const)
    return names


def _foreign(obj) -> str | None:
    """Why ``obj`` (a global the forward uses) would not work on torch tensors, or None."""
    if inspect.ismodule(obj):
        return None if obj.__name__ in _PORTABLE_MODULES else f"module {obj.__name__}"
    origin = getattr(obj, "__module__", None) or ""
    if callable(obj) and origin.split(".")[0] in ("chalkgrad", "numpy"):
        return f"{origin}.{getattr(obj, '__qualname__', obj)}"
    return None


def portable_methods(cls) -> tuple[dict, list]:
    """({name: function} of ``forward`` and the class's own methods it calls, [reasons it is not portable])."""
    methods, problems, todo = {}, [], ["forward"]
    while todo:
        name = todo.pop()
        fn = inspect.getattr_static(cls, name, None)
        if name in methods or not inspect.isfunction(fn):
            continue
        methods[name] = fn
        for used in sorted(_code_names(fn.__code__)):
            if used in fn.__globals__:
                why = _foreign(fn.__globals__[used])
                if why:
                    problems.append(f"{cls.__name__}.{name} uses {used} ({why})")
            elif inspect.isfunction(inspect.getattr_static(cls, used, None)) and not hasattr(cg_nn.Module, used):
                todo.append(used)  # a method of the class itself: reused too, so checked too
    return methods, problems
