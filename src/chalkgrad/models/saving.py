"""Saving a zoo model with its architecture: the builder's name and arguments (JSON) plus the weights.

``save_model(model, path)`` writes what ``load_model(path)`` needs to rebuild the model without
code: every builder of this package (``resnet18(num_classes=10)``...) records its name and
arguments on the model it returns (``model.zoo_config``). The file is a chalkgrad checkpoint
(``chalkgrad.save``: safetensors, or ``.npz`` for ``*.npz`` names; written atomically, never
pickle): the weights are the tensors ``weights.<state_dict key>``, an optimizer state the tensors
``optimizer.state.<index>.<name>``; the builder's name and arguments (header key ``zoo_config``)
and the epoch are JSON in the metadata.

``load_model`` checks the file before building anything: the header keys ``kind`` and
``zoo_config`` (a mapping naming a builder), the entry ``weights`` (a mapping), and every integer
argument against the number of weight values present (``num_classes=10**9`` in a small file is
refused). Every problem raises :class:`~chalkgrad.errors.CheckpointError` naming the path and the key.
"""

from __future__ import annotations

import functools
import inspect
import json
import os

from ..errors import ChalkgradError, CheckpointError, ConfigError

__all__ = ["save_model", "load_model", "recorded"]

_KIND = "chalkgrad.zoo_model"


def _jsonable(value) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def recorded(builder):
    """Wrap a model builder so the model it returns remembers ``{"name", "kwargs"}`` as ``zoo_config``."""

    @functools.wraps(builder)
    def build(*args, **kwargs):
        model = builder(*args, **kwargs)
        bound = inspect.signature(builder).bind(*args, **kwargs)
        bound.apply_defaults()
        arguments = dict(bound.arguments)
        arguments.update(arguments.pop("kwargs", {}) or {})
        config = {k: v for k, v in arguments.items() if _jsonable(v) and k != "generator"}
        object.__setattr__(model, "zoo_config", {"name": builder.__name__, "kwargs": config})
        return model

    return build


def save_model(model, path, *, optimizer=None, epoch: int | None = None) -> None:
    """Write ``model`` (built by a zoo builder), its weights and optionally an optimizer state and epoch."""
    from ..serialization import save

    config = getattr(model, "zoo_config", None)
    if config is None:
        raise ConfigError(f"save_model: this {type(model).__name__} was not built by a chalkgrad.models builder "
                          "(resnet18(), vgg16()...), so its architecture is not known; save its weights with "
                          "chalkgrad.save(model.state_dict(), path) instead")
    obj = {"weights": {k: v.detach().numpy() for k, v in model.state_dict().items()}}
    if optimizer is not None:
        obj["optimizer"] = optimizer.state_dict()
    if epoch is not None:
        obj["epoch"] = int(epoch)
    save(obj, path, _header_extra={"kind": _KIND, "zoo_config": config})


def build_from_config(config: dict, path: str = "config", key: str = "zoo_config"):
    """The untrained model a ``zoo_config`` describes (built without drawing random weights).

    Check the config's sizes first (``serialization.check_config_sizes``) when it comes from a file.
    """
    from .. import models
    from ..nn.init import skip_init

    name = config.get("name") if isinstance(config, dict) else None
    builder = getattr(models, name, None) if isinstance(name, str) else None
    if builder is None or not hasattr(builder, "__wrapped__"):
        raise CheckpointError(f"{path}: the header key '{key}.name' names an unknown model {str(name)[:60]!r}")
    kwargs = config.get("kwargs", {})
    if not isinstance(kwargs, dict):
        raise CheckpointError(f"{path}: the header key '{key}.kwargs' must be a mapping, got {type(kwargs).__name__}")
    try:
        with skip_init():
            return builder(**kwargs)
    except (TypeError, ValueError, ChalkgradError, MemoryError, OverflowError) as e:
        raise CheckpointError(f"{path}: the architecture in header key '{key}' cannot be rebuilt "
                              f"({type(e).__name__}: {e})") from None


def restore_weights(model, weights: dict, path: str, key: str = "weights") -> None:
    """``model.load_state_dict(weights)``, a mismatch raised as CheckpointError naming the path and key."""

    try:
        model.load_state_dict(weights)
    except (ChalkgradError, KeyError, TypeError, ValueError) as e:
        raise CheckpointError(f"{path}: the entry '{key}' does not fit the saved architecture ({e})") from None


def load_model(path, optimizer=None):
    """Rebuild a model written by :func:`save_model`; with ``optimizer`` (built on its parameters)
    also restore the optimizer state. Returns the model (``model.saved_epoch`` holds the epoch)."""
    from ..serialization import _decode, check_config_sizes, header_mapping, object_entry, read_checkpoint

    path = os.fspath(path)
    header, arrays = read_checkpoint(path)
    if header.get("kind") != _KIND:
        raise CheckpointError(f"{path} is not a saved zoo model (written by chalkgrad.models.save_model): "
                              f"header key 'kind' is {str(header.get('kind'))[:60]!r}, expected {_KIND!r}")
    config = header_mapping(header, "zoo_config", path)
    check_config_sizes(config, arrays, path, "zoo_config")
    obj = _decode(header["object"], arrays, path)
    weights = object_entry(obj, "weights", path, dict, "a mapping of weights")
    epoch = object_entry(obj, "epoch", path, int, "an integer", required=False)
    optimizer_state = object_entry(obj, "optimizer", path, dict, "an optimizer state_dict", required=False)
    model = build_from_config(config, path)
    restore_weights(model, weights, path)
    if optimizer is not None and optimizer_state is not None:
        try:
            optimizer.load_state_dict(optimizer_state)
        except (ChalkgradError, KeyError, TypeError, ValueError, IndexError) as e:
            raise CheckpointError(f"{path}: the entry 'optimizer' does not fit the optimizer ({e})") from None
    object.__setattr__(model, "saved_epoch", epoch)
    return model
