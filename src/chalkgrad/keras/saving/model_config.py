"""A model's ``config.json``: Keras 3's serialized Sequential or functional model, both ways.

The models write their own configs (``get_config``: Sequential's layer list, a functional
model's layers with ``inbound_nodes`` and ``input_layers`` / ``output_layers``); this module
wraps them as Keras 3's file does: the object dict with ``module`` (``keras.src.models.functional``
and ``registered_name`` ``"Functional"`` for functional models, nested ones included, which is
where Keras 3 looks them up), ``build_config`` and ``compile_config``. Reading goes through the
layer registry; any error names the file.
"""

from __future__ import annotations

from ...errors import CheckpointError, ConfigError
from .weight_paths import class_name_of

__all__ = ["serialize_model", "deserialize_model"]

FUNCTIONAL_MODULE = "keras.src.models.functional"


def _base():
    from ..layers import base

    return base


def _keras_modules(node):
    """Give every functional model dict in the tree the module Keras 3 imports it from."""
    if isinstance(node, dict):
        if node.get("class_name") == "Functional" and "config" in node:
            node["module"] = FUNCTIONAL_MODULE
            node["registered_name"] = "Functional"
        for value in node.values():
            _keras_modules(value)
    elif isinstance(node, list):
        for value in node:
            _keras_modules(value)
    return node


def serialize_model(model) -> dict:
    """The whole ``config.json`` object of a Sequential or functional model."""
    kind = class_name_of(model)
    if kind not in ("Sequential", "Functional"):
        raise ConfigError(f"cannot save a {type(model).__name__} as a Keras model; only Sequential and functional "
                          "models (keras.Model(inputs, outputs)) can be saved with model.save")
    out = _base().serialize(model)
    out["class_name"] = kind
    build = model.get_build_config() if hasattr(model, "get_build_config") else None
    out["build_config"] = build if build is not None else {"input_shape": None}
    compile_config = compile_config_of(model)
    if compile_config:
        out["compile_config"] = compile_config
    return _keras_modules(out)


def _optimizer_dict(optimizer) -> dict | None:
    from .. import optimizers

    if isinstance(optimizer, dict):
        return optimizer
    if isinstance(optimizer, str):
        optimizer = optimizers.get(optimizer)
    if not isinstance(optimizer, optimizers.Optimizer):
        return None
    return {"module": "keras.optimizers", "class_name": type(optimizer).__name__, "config": optimizer.get_config(),
            "registered_name": None}


def compile_config_of(model) -> dict | None:
    """Keras 3's ``compile_config`` of a compiled model: the optimizer (serialized), loss and metric names.
    None when the model is not compiled, or compiled with objects that have no Keras name."""
    settings = getattr(model, "_compile_config", None)
    if not settings:
        return None
    optimizer = _optimizer_dict(getattr(model, "_optimizer_spec", None) or settings.get("optimizer"))
    if optimizer is None or settings.get("loss") is None:
        return None
    return {"optimizer": optimizer, "loss": settings["loss"], "loss_weights": None,
            "metrics": settings.get("metrics") or None, "weighted_metrics": None, "run_eagerly": False,
            "steps_per_execution": 1, "jit_compile": False}


def compile_from_config(model, compile_config: dict, source: str) -> None:
    """Compile ``model`` as Keras 3's ``compile_config`` says (optimizer class and settings, loss, metrics)."""
    from .. import optimizers

    optimizer = compile_config.get("optimizer")
    if isinstance(optimizer, dict):
        cls = getattr(optimizers, str(optimizer.get("class_name")), None)
        if not (isinstance(cls, type) and issubclass(cls, optimizers.Optimizer)):
            raise CheckpointError(f"{source}: the optimizer {optimizer.get('class_name')!r} of compile_config is not "
                                  "available in chalkgrad.keras.optimizers")
        optimizer = cls(**(optimizer.get("config") or {}))
    model.compile(optimizer=optimizer, loss=compile_config.get("loss"), metrics=compile_config.get("metrics"))


def deserialize_model(data: dict, source: str = "config.json"):
    """A chalkgrad model from Keras 3's serialized model dict (Sequential or Functional)."""
    if not isinstance(data, dict) or not isinstance(data.get("config"), dict):
        raise CheckpointError(f"{source}: expected a Keras model object with a 'config', got {str(data)[:120]!r}")
    kind = data.get("class_name")
    if kind not in ("Sequential", "Functional"):
        raise CheckpointError(f"{source}: the model is a {kind!r}; chalkgrad loads Sequential and functional "
                              "Keras models (a subclassed model needs its Python class)")
    try:
        model = _base().deserialize(data)
        build = data.get("build_config")
        if build and build.get("input_shape") is not None and not getattr(model, "built", True):
            model.build_from_config(build)
    except (ConfigError, KeyError, TypeError, ValueError, IndexError) as e:
        if isinstance(e, CheckpointError):
            raise
        raise CheckpointError(f"{source}: cannot rebuild the {kind} model: {type(e).__name__}: {e}") from e
    return model
