"""``to_torch`` / ``from_torch``: convert a module tree, one module at a time.

Each module is converted by the first rule that fits:

1. a layer whose class has a twin of the same name in the other library (layers.LAYER_ARGS):
   rebuilt from its constructor arguments, then given the source's state_dict;
2. ``Sequential`` (whose ``forward`` is Sequential's), ``ModuleList``, ``ModuleDict``:
   the other library's container of the converted children, under the same names;
3. a class with a registered twin (the zoo's ResNet, BasicBlock, FCN, SegNet, autoencoders,
   or your own via :func:`register_twin`): the twin, with converted children and the plain
   attributes copied;
4. a Keras-style ``Sequential`` (chalkgrad.fit): see keras.py;
5. your own module class whose ``forward`` is portable (only children, attributes, tensor operators
   and methods; see reuse.py): a torch module made for it that runs that same ``forward``;
6. anything else raises ConversionError naming the module's path and class, and why.

``to_torch`` remembers the chalkgrad class and plain attributes of a converted subclass
(``LeNet5`` becomes a ``torch.nn.Sequential``) in ``_chalkgrad_origin``, so ``from_torch``
gives back a ``LeNet5`` with its ``output_shape``, ``macs`` and ``main_path``.
"""

from __future__ import annotations

import copy
from collections import OrderedDict

from .. import nn as cg_nn
from ..errors import ConversionError
from ..tensor import Tensor
from ._torch import require_torch, to_numpy, to_torch_tensor
from .keras import keras_to_torch
from .layers import LAYER_ARGS, convert_layer, where
from .reuse import portable_methods

_ORIGIN = "_chalkgrad_origin"
_user_twins: dict = {}


def register_twin(chalkgrad_class, torch_class) -> None:
    """Convert instances of ``chalkgrad_class`` to ``torch_class`` and back.

    Both classes must compute their ``forward`` from the same child modules (same names) and
    the same plain attributes; ``torch_class()`` must work without arguments (the converter
    sets children and attributes afterwards).
    """
    if not (isinstance(chalkgrad_class, type) and issubclass(chalkgrad_class, cg_nn.Module)):
        raise ConversionError(f"register_twin: chalkgrad_class must be a chalkgrad.nn.Module subclass, "
                              f"got {chalkgrad_class!r}")
    if not (isinstance(torch_class, type) and issubclass(torch_class, require_torch().nn.Module)):
        raise ConversionError(f"register_twin: torch_class must be a torch.nn.Module subclass, got {torch_class!r}")
    _user_twins[chalkgrad_class] = torch_class


def _twins() -> dict:
    from .twins import zoo_twins

    return {**zoo_twins(), **_user_twins}


def _plain_attributes(module, internals, public_only: bool) -> dict:
    """Attributes that are neither modules, tensors nor the library's own bookkeeping."""
    torch = require_torch()
    out = {}
    for k, v in vars(module).items():
        if k in internals or (public_only and k.startswith("_")) or k == _ORIGIN:
            continue
        if isinstance(v, (cg_nn.Module, Tensor, torch.nn.Module, torch.Tensor)):
            continue
        out[k] = copy.copy(v)
    return out


def _cg_internals(base=cg_nn.Module) -> set:
    return set(vars(base()))


def _uses_forward_of(module, base) -> bool:
    return isinstance(module, base) and type(module).forward is base.forward


# ----------------------------------------------------------------------------- chalkgrad -> torch
def to_torch(module, *, path: str = ""):
    """An equal ``torch.nn`` module: same structure, names, weights, buffers and train/eval mode.

    >>> torch_model = chalkgrad.interop.to_torch(model)
    >>> torch_model.load_state_dict(...)  # same keys as model.state_dict()
    """
    torch = require_torch()
    tnn = torch.nn
    if not isinstance(module, cg_nn.Module):
        raise ConversionError(f"to_torch: expected a chalkgrad.nn.Module, got {type(module).__name__}")
    name = type(module).__name__
    if name in LAYER_ARGS and type(module) is getattr(cg_nn, name, None):
        return convert_layer(module, tnn, True, path)
    converted = keras_to_torch(module, path, to_torch)
    if converted is not None:
        return converted
    twins = _twins()
    if _uses_forward_of(module, cg_nn.Sequential):
        target, base = tnn.Sequential(_children_to_torch(module, path)), cg_nn.Sequential
    elif isinstance(module, cg_nn.ModuleList):
        target, base = tnn.ModuleList(_children_to_torch(module, path).values()), cg_nn.ModuleList
    elif isinstance(module, cg_nn.ModuleDict):
        target, base = tnn.ModuleDict(_children_to_torch(module, path)), cg_nn.ModuleDict
    elif type(module) in twins:
        target, base = _fill_twin(twins[type(module)](), module, path), None
    else:
        target, base = _fill_twin(_reused_forward(module, path)(), module, path), None
    if base is None or type(module) is not base:  # a twin, or a subclass such as LeNet5: remember it
        internals = _cg_internals(base or cg_nn.Module)
        setattr(target, _ORIGIN, (type(module), _plain_attributes(module, internals, public_only=False)))
    target.training = module.training
    return target


def _reused_forward(module, path: str):
    """A torch class running ``module``'s own forward, if that forward is portable (see reuse.py)."""
    from .twins import reused_class

    cls = type(module)
    if type(module).__module__.split(".")[0] == "chalkgrad":
        problems = ["it is a chalkgrad class without a torch twin"]
    else:
        methods, problems = portable_methods(cls)
    if problems:
        raise ConversionError(
            f"to_torch: no torch equivalent for {where(path, module)}: {'; '.join(problems)}. Register a torch "
            "class with the same forward: chalkgrad.interop.register_twin(chalkgrad_class, torch_class)")
    return reused_class(cls, methods)


def _fill_twin(target, module, path: str):
    """Give a bare torch twin the plain attributes, converted children, parameters and buffers of ``module``."""
    torch = require_torch()
    for k, v in _plain_attributes(module, _cg_internals(), public_only=True).items():
        setattr(target, k, v)
    for k, child in _children_to_torch(module, path).items():
        setattr(target, k, child)
    for k, p in module._parameters.items():  # a custom module's own parameters and buffers
        target.register_parameter(k, None if p is None else
                                  torch.nn.Parameter(to_torch_tensor(p), requires_grad=p.requires_grad))
    for k, b in module._buffers.items():
        target.register_buffer(k, None if b is None else to_torch_tensor(b),
                               persistent=k not in module._non_persistent)
    return target


def _children_to_torch(module, path: str) -> OrderedDict:
    children = OrderedDict()
    for k, child in module._modules.items():
        sub = f"{path}.{k}" if path else k
        children[k] = None if child is None else to_torch(child, path=sub)
    return children


# ----------------------------------------------------------------------------- torch -> chalkgrad
def from_torch(module, *, path: str = ""):
    """An equal ``chalkgrad.nn`` module: same structure, names, weights, buffers and train/eval mode.

    A module made by :func:`to_torch` comes back as its original class (``ResNet``, ``LeNet5``...).
    """
    torch = require_torch()
    tnn = torch.nn
    if not isinstance(module, tnn.Module):
        raise ConversionError(f"from_torch: expected a torch.nn.Module, got {type(module).__name__}")
    name = type(module).__name__
    if name in LAYER_ARGS and type(module) is getattr(tnn, name, None):
        return convert_layer(module, cg_nn, False, path)
    origin = getattr(module, _ORIGIN, None)
    children = OrderedDict()
    for k, child in module._modules.items():
        sub = f"{path}.{k}" if path else k
        children[k] = None if child is None else from_torch(child, path=sub)
    if origin is not None:
        cls, attrs = origin
        target = _rebuild(cls, attrs, children)
    elif _uses_forward_of(module, tnn.Sequential):
        target = cg_nn.Sequential(children)
    elif isinstance(module, tnn.ModuleList):
        target = cg_nn.ModuleList(list(children.values()))
    elif isinstance(module, tnn.ModuleDict):
        target = cg_nn.ModuleDict(children)
    else:
        back = {twin: cls for cls, twin in _twins().items()}
        if getattr(type(module), "chalkgrad_class", None) is not None:  # a reused forward (reuse.py)
            back[type(module)] = type(module).chalkgrad_class
        if type(module) not in back:
            raise ConversionError(
                f"from_torch: no chalkgrad equivalent for {where(path, module)}: it is not a torch.nn layer that "
                "chalkgrad has, a container, or a class registered with chalkgrad.interop.register_twin")
        internals = set(vars(tnn.Module()))
        target = _rebuild(back[type(module)], _plain_attributes(module, internals, public_only=True), children)
    if origin is not None or not isinstance(target, (cg_nn.Sequential, cg_nn.ModuleList, cg_nn.ModuleDict)):
        for k, p in module._parameters.items():
            target.register_parameter(k, None if p is None else
                                      cg_nn.Parameter(to_numpy(p), requires_grad=p.requires_grad))
        for k, b in module._buffers.items():
            target.register_buffer(k, None if b is None else Tensor(to_numpy(b)),
                                   persistent=k not in module._non_persistent_buffers_set)
    target.training = module.training
    return target


def _rebuild(cls, attrs: dict, children: OrderedDict):
    """An instance of chalkgrad class ``cls`` with these attributes and children, without running its
    ``__init__`` (which would draw new weights); containers get their own (empty) ``__init__``."""
    target = cls.__new__(cls)
    base = next((b for b in (cg_nn.Sequential, cg_nn.ModuleList, cg_nn.ModuleDict) if issubclass(cls, b)),
                cg_nn.Module)
    base.__init__(target)
    for k, v in attrs.items():
        object.__setattr__(target, k, copy.copy(v))
    for k, child in children.items():
        if child is None:
            object.__setattr__(target, k, None)
        else:
            target.add_module(k, child)
    return target
