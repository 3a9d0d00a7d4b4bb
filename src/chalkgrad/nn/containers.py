"""Containers: ``Sequential``, ``ModuleList``, ``ModuleDict``.

Each registers its members as child modules, so their parameters appear in
``parameters()`` and ``state_dict()`` under the member's key (``'0.weight'``,
``'encoder.weight'``), exactly as in PyTorch.
"""

from __future__ import annotations

import operator
from collections import OrderedDict
from collections.abc import Mapping

from ..errors import DTypeError, IndexOutOfRangeError, KeyNameError
from .module import Module


def _index(idx, n: int, what: str) -> int:
    """A position in ``[0, n)`` from an int index (negatives count from the end)."""
    try:
        i = operator.index(idx)
    except TypeError:
        raise DTypeError(f"{what} indices must be integers or slices, got {type(idx).__name__}") from None
    if not -n <= i < n:
        raise IndexOutOfRangeError(f"{what} index {i} is out of range for {n} modules")
    return i % n


class _IndexedContainer(Module):
    """Shared list behaviour of Sequential and ModuleList (members keyed '0', '1', ...)."""

    def _renumber(self, modules) -> None:
        for key in list(self._modules):
            delattr(self, key)
        for i, m in enumerate(modules):
            self.add_module(str(i), m)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __setitem__(self, idx, module: Module) -> None:
        key = list(self._modules)[_index(idx, len(self), type(self).__name__)]
        self.add_module(key, module)

    def __delitem__(self, idx) -> None:
        modules = list(self._modules.values())
        if isinstance(idx, slice):
            del modules[idx]
        else:
            del modules[_index(idx, len(modules), type(self).__name__)]
        self._renumber(modules)  # keys stay '0'..'n-1', as in PyTorch

    def append(self, module: Module):
        """Add ``module`` at the end (key ``str(len(self))``); returns self."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        for m in modules:
            self.append(m)
        return self

    def insert(self, index: int, module: Module) -> None:
        """Insert ``module`` before position ``index``."""
        if not isinstance(module, Module):
            raise DTypeError(f"{type(self).__name__}.insert: expected a Module, got {type(module).__name__}")
        modules = list(self._modules.values())
        modules.insert(index, module)
        self._renumber(modules)

    def pop(self, idx: int = -1) -> Module:
        module = self[idx]
        del self[idx]
        return module


class Sequential(_IndexedContainer):
    """Apply modules one after another: ``Sequential(Linear(2, 3), Tanh(), Linear(3, 1))``.

    Also accepts one ``OrderedDict`` of names to modules (the names become the keys in
    ``state_dict``); supports indexing, slicing (a new Sequential sharing the modules),
    ``len``, iteration, ``append``, ``insert`` and ``del``.
    Static arithmetic chains: the output shape of one layer is the input shape of the next,
    and the MACs are summed.
    """

    def __init__(self, *modules) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], Mapping):
            for name, m in modules[0].items():
                self.add_module(name, m)
        else:
            for i, m in enumerate(modules):
                if not isinstance(m, Module):
                    raise DTypeError(f"Sequential: argument {i} is a {type(m).__name__}, expected a Module")
                self.add_module(str(i), m)

    def forward(self, x):
        for m in self._modules.values():
            x = m(x)
        return x

    def output_shape(self, input_shape):
        shape = tuple(input_shape)
        for m in self._modules.values():
            shape = m.output_shape(shape)
        return shape

    def macs(self, input_shape):
        total, shape = 0, tuple(input_shape)
        for m in self._modules.values():
            total += m.macs(shape)
            shape = m.output_shape(shape)
        return total

    def __getitem__(self, idx):
        items = list(self._modules.items())
        if isinstance(idx, slice):
            return Sequential(OrderedDict(items[idx]))
        return items[_index(idx, len(items), "Sequential")][1]


class ModuleList(_IndexedContainer):
    """A list of modules whose parameters are registered (the key is the position).

    Unlike Sequential it has no ``forward``: the owner decides how to call its members.
    """

    def __init__(self, modules=None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def append(self, module: Module) -> ModuleList:
        if not isinstance(module, Module):
            raise DTypeError(f"ModuleList.append: expected a Module, got {type(module).__name__}")
        return super().append(module)

    def __getitem__(self, idx):
        values = list(self._modules.values())
        if isinstance(idx, slice):
            return ModuleList(values[idx])
        return values[_index(idx, len(values), "ModuleList")]

    def __iadd__(self, modules) -> ModuleList:
        return self.extend(modules)

    def __add__(self, other) -> ModuleList:
        return ModuleList(list(self) + list(other))

    def __repr__(self) -> str:
        # As torch: consecutive identical members are shown once, "(0-2): 3 x Linear(...)".
        reprs = [repr(m) for m in self]
        if not reprs:
            return "ModuleList()"
        blocks = []  # [start, end, repr]
        for i, r in enumerate(reprs):
            if blocks and blocks[-1][2] == r:
                blocks[-1][1] = i
            else:
                blocks.append([i, i, r])
        lines = []
        for start, end, r in blocks:
            head = f"({start}): " if start == end else f"({start}-{end}): {end - start + 1} x "
            lines.append((head + r).replace("\n", "\n  "))
        return "ModuleList(\n  " + "\n  ".join(lines) + "\n)"


class ModuleDict(Module):
    """A dict of modules whose parameters are registered under their keys (insertion order kept).

    Built from a dict or an iterable of ``(key, module)`` pairs. Keys must be strings
    without '.', and may not shadow an attribute of the module (``'train'``, ``'forward'``...).
    """

    def __init__(self, modules=None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __setitem__(self, key: str, module: Module) -> None:
        if not isinstance(module, Module):
            raise DTypeError(f"ModuleDict: the value for {key!r} must be a Module, got {type(module).__name__}")
        self.add_module(key, module)

    def __getitem__(self, key: str) -> Module:
        if key not in self._modules:
            raise KeyNameError(f"ModuleDict has no key {key!r}; keys are {list(self._modules)}")
        return self._modules[key]

    def __delitem__(self, key: str) -> None:
        if key not in self._modules:
            raise KeyNameError(f"ModuleDict has no key {key!r}; keys are {list(self._modules)}")
        delattr(self, key)

    def __contains__(self, key) -> bool:
        return key in self._modules

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()

    def update(self, modules) -> None:
        """Add or replace entries from a dict or an iterable of ``(key, module)`` pairs."""
        pairs = modules.items() if isinstance(modules, Mapping) else modules
        for j, pair in enumerate(pairs):
            try:
                key, module = pair
            except (TypeError, ValueError):
                raise DTypeError(f"ModuleDict.update: element {j} is not a (key, module) pair") from None
            self[key] = module

    def pop(self, key: str) -> Module:
        module = self[key]
        del self[key]
        return module

    def clear(self) -> None:
        for key in list(self._modules):
            delattr(self, key)
