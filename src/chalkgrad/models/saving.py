"""Saving a zoo model with its architecture: the builder's name and arguments (JSON) plus the weights.

``save_model(model, path)`` writes what ``load_model(path)`` needs to rebuild the model without
code: every builder of this package (``resnet18(num_classes=10)``...) records its name and
arguments on the model it returns (``model.zoo_config``). The file is a chalkgrad checkpoint
(.npz with a JSON header, written atomically, never pickle), so it may also carry an optimizer
state and the epoch to resume from.
"""

from __future__ import annotations

import functools
import inspect
import json
import os

from ..errors import CheckpointError, ConfigError

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


def build_from_config(config: dict, path: str = "config"):
    """The untrained model a ``zoo_config`` describes (built without drawing random weights)."""
    from .. import models
    from ..nn.init import skip_init

    name = config.get("name") if isinstance(config, dict) else None
    builder = getattr(models, name, None) if isinstance(name, str) else None
    if builder is None or not hasattr(builder, "__wrapped__"):
        raise CheckpointError(f"{path}: the saved architecture names an unknown model {name!r}")
    try:
        with skip_init():
            return builder(**config.get("kwargs", {}))
    except (TypeError, ConfigError) as e:
        raise CheckpointError(f"{path}: the saved architecture cannot be rebuilt ({e})") from None


def load_model(path, optimizer=None):
    """Rebuild a model written by :func:`save_model`; with ``optimizer`` (built on its parameters)
    also restore the optimizer state. Returns the model (``model.saved_epoch`` holds the epoch)."""
    from ..serialization import _decode, read_header_and_arrays

    path = os.fspath(path)
    header, arrays = read_header_and_arrays(path)
    if header.get("kind") != _KIND:
        raise CheckpointError(f"{path} is not a saved zoo model (written by chalkgrad.models.save_model)")
    obj = _decode(header["object"], arrays, path)
    model = build_from_config(header.get("zoo_config"), path)
    model.load_state_dict(obj["weights"])
    if optimizer is not None and "optimizer" in obj:
        optimizer.load_state_dict(obj["optimizer"])
    object.__setattr__(model, "saved_epoch", obj.get("epoch"))
    return model
