"""Where each layer's variables go in a Keras weights file, and back.

Keras 3 addresses an object by its place in the model, not by its name: the layers of a model
are ``layers/<class name in snake_case>``, numbered per class in the order of ``model.layers``
(``conv2d``, ``conv2d_1``, ...), whatever the layers are called. Inside a layer:

* most layers keep their variables in their own group, in ``layer.weights`` order
  (trainable first: Dense kernel, bias; BatchNormalization gamma, beta, moving_mean, moving_variance);
* SimpleRNN / LSTM / GRU keep theirs in the cell: ``<layer>/cell``;
* Bidirectional holds two RNN layers: ``<layer>/forward_layer/cell`` and ``<layer>/backward_layer/cell``;
* TimeDistributed holds its layer in ``<layer>/layer``;
* a model used as a layer nests its own ``layers/...`` under its path.

Every saved object also gets a (possibly empty) ``vars`` group whose ``name`` attribute is its
name, as Keras writes them. The functions here work on anything with Keras' layer interface
(``name``, ``get_config()``, ``get_weights()``, ``set_weights()``; models also ``layers``), so
they are tested on Keras' own models as well as chalkgrad's.
"""

from __future__ import annotations

import re

import numpy as np

from ...errors import CheckpointError
from .h5 import Entry, WeightsFile

__all__ = ["snake_case", "class_name_of", "layer_groups", "model_entries", "assign_model_weights"]

RNN_CLASSES = ("SimpleRNN", "LSTM", "GRU")
MODEL_CLASSES = ("Sequential", "Functional", "Model")


def snake_case(name: str) -> str:
    """Keras' object naming rule: ``Conv2D`` -> ``conv2d``, ``BatchNormalization`` -> ``batch_normalization``,
    ``PReLU`` -> ``p_re_lu``."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def class_name_of(obj) -> str:
    """The Keras class name of a layer or model (``Functional`` for a functional ``Model``)."""
    explicit = getattr(obj, "keras_class_name", None)
    if isinstance(explicit, str):
        return explicit
    name = type(obj).__name__
    if name == "Model" and hasattr(obj, "layers"):
        return "Functional"
    return name


def _is_model(obj) -> bool:
    return class_name_of(obj) in MODEL_CLASSES or isinstance(getattr(obj, "layers", None), (list, tuple))


def layer_groups(class_name: str, config: dict, count: int, name: str | None = None) -> list:
    """``[(relative path, object name, number of variables), ...]`` for a layer of ``class_name`` with ``count``
    variables, in ``get_weights()`` order. ``config`` is the layer's Keras config (for wrapped layers)."""
    if name is None:
        name = config.get("name")
    if class_name in RNN_CLASSES:
        return [("", name, 0), ("cell", f"{snake_case(class_name)}_cell", count)]
    if class_name == "Bidirectional":
        forward = config.get("layer") or {}
        backward = config.get("backward_layer") or forward
        half = count // 2
        groups = [("", name, 0)]
        for attr, inner, n in (("forward_layer", forward, half), ("backward_layer", backward, count - half)):
            inner_class, inner_config = inner.get("class_name", ""), inner.get("config", {})
            prefix = "forward_" if attr == "forward_layer" else "backward_"
            inner_name = inner_config.get("name", "")
            if not inner_name.startswith(prefix):
                inner_name = prefix + inner_name
            groups += [(f"{attr}/{p}" if p else attr, nm, c)
                       for p, nm, c in layer_groups(inner_class, inner_config, n, inner_name)]
        return groups
    if class_name == "TimeDistributed":
        inner = config.get("layer") or {}
        inner_groups = layer_groups(inner.get("class_name", ""), inner.get("config", {}), count)
        return [("", name, 0)] + [(f"layer/{p}" if p else "layer", nm, c) for p, nm, c in inner_groups]
    return [("", name, count)]


def _join(*parts: str) -> str:
    return "/".join(p for p in parts if p)


def _layer_slots(model, prefix: str):
    """Yield ``(path, layer)`` for the layers of ``model``, named as Keras' saver names them."""
    used: dict = {}
    for layer in model.layers:
        base = snake_case(class_name_of(layer))
        if base in used:
            used[base] += 1
            key = f"{base}_{used[base]}"
        else:
            used[base] = 0
            key = base
        yield _join(prefix, "layers", key), layer


def _plan(model, prefix: str = "") -> list:
    """``[(path, name, layer or None, first index, count)]``: every group of ``model`` and whose weights fill it."""
    plan = [(prefix, getattr(model, "name", None), None, 0, 0)]
    for path, layer in _layer_slots(model, prefix):
        if _is_model(layer):
            plan += _plan(layer, path)
            continue
        count = len(layer.get_weights())
        start = 0
        for rel, name, n in layer_groups(class_name_of(layer), layer.get_config(), count, layer.name):
            plan.append((_join(path, rel), name, layer, start, n))
            start += n
    return plan


def model_entries(model) -> list:
    """The :class:`~.h5.Entry` list of a model's weights file, in Keras' layout."""
    entries = []
    cache: dict = {}
    for path, name, layer, start, n in _plan(model):
        if layer is not None and id(layer) not in cache:
            cache[id(layer)] = layer.get_weights()
        arrays = cache[id(layer)][start:start + n] if layer is not None else []
        entries.append(Entry(path, name, [np.asarray(a) for a in arrays]))
    return entries


def assign_model_weights(model, weights: WeightsFile) -> None:
    """Set every layer's weights from a read weights file, checking counts and shapes first (nothing is
    changed unless all of them fit)."""
    per_layer: dict = {}
    for path, _name, layer, _start, n in _plan(model):
        if layer is None:
            continue
        stored = weights.arrays(path)
        if len(stored) != n:
            raise CheckpointError(f"{weights.source}: layer {layer.name!r} ({class_name_of(layer)}) expects {n} "
                                  f"arrays in '{path}/vars', the file has {len(stored)}"
                                  + ("" if path in weights.groups else " (no such group)"))
        per_layer.setdefault(id(layer), (layer, []))[1].extend(stored)
    for layer, arrays in per_layer.values():
        current = layer.get_weights()
        for i, (want, got) in enumerate(zip(current, arrays)):
            if tuple(np.shape(want)) != tuple(np.shape(got)):
                raise CheckpointError(f"{weights.source}: layer {layer.name!r} weight {i} has shape "
                                      f"{tuple(np.shape(want))}, the file holds {tuple(np.shape(got))}")
    for layer, arrays in per_layer.values():
        layer.set_weights([np.asarray(a, dtype=np.asarray(w).dtype) for a, w in zip(arrays, layer.get_weights())])
