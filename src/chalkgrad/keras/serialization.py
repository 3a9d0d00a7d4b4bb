"""Keras 3's object dicts: ``{'module', 'class_name', 'config', 'registered_name'}``.

``serialize(obj)`` writes one for an initializer / regularizer / layer with ``get_config``;
``deserialize(d, registry)`` rebuilds it from a class registry (name → class).
"""

from __future__ import annotations

from ..errors import ConfigError

__all__ = ["serialize", "deserialize", "get_object", "dtype_policy"]


def serialize(obj, module: str) -> dict | None:
    if obj is None:
        return None
    return {"module": module, "class_name": type(obj).__name__, "config": obj.get_config(), "registered_name": None}


def deserialize(config, registry: dict, kind: str):
    """An object from a Keras dict, a bare class name, or the object itself."""
    if isinstance(config, str):
        config = {"class_name": config, "config": {}}
    if not isinstance(config, dict) or "class_name" not in config:
        raise ConfigError(f"a serialized {kind} must be a dict with 'class_name' and 'config', got {config!r}")
    cls = registry.get(config["class_name"])
    if cls is None:
        raise ConfigError(f"unknown {kind} class {config['class_name']!r}; known: {', '.join(sorted(registry))}")
    return cls.from_config(dict(config.get("config") or {}))


def get_object(identifier, base: type, names: dict, classes: dict, kind: str):
    """Keras's ``get()``: an object from a name ('l2'), a class name, a Keras dict, a callable or an instance."""
    if identifier is None or isinstance(identifier, base):
        return identifier
    if isinstance(identifier, str):
        cls = names.get(identifier) or classes.get(identifier)
        if cls is None:
            raise ConfigError(f"unknown {kind} {identifier!r}; valid names: {', '.join(sorted(names))}")
        return cls()
    if isinstance(identifier, dict):
        return deserialize(identifier, classes, kind)
    if callable(identifier):
        return identifier
    raise ConfigError(f"{kind} must be a name, a dict or a {base.__name__}, got {type(identifier).__name__}")


def dtype_policy(name: str = "float32") -> dict:
    """Keras 3's ``DTypePolicy`` entry of a layer config."""
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": name}, "registered_name": None}
