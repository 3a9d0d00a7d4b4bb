"""``save_model`` / ``load_model`` (``.keras``) and ``save_weights`` / ``load_weights`` (``.weights.h5``).

The files are Keras 3's own formats, so a model saved here loads in Keras 3 with
``keras.models.load_model`` and a Keras 3 file loads here. Nothing else is ever written under
these names: another suffix raises a :class:`~chalkgrad.errors.ConfigError` (chalkgrad's own
checkpoints are ``chalkgrad.save`` / ``.npz``).
"""

from __future__ import annotations

import os
import warnings

from ...errors import ChalkgradError, ConfigError
from .archive import read_keras_archive, write_keras_archive
from .h5 import read_weights_h5, save_weights_file, write_weights_h5
from .model_config import compile_from_config, deserialize_model, serialize_model
from .weight_paths import assign_model_weights, model_entries

__all__ = ["save_model", "load_model", "save_weights", "load_weights"]


def _suffix_error(what: str, path: str, expected: str) -> ConfigError:
    legacy = " (the legacy Keras 2 HDF5 model format is not supported)" if path.endswith((".h5", ".hdf5")) \
        and not path.endswith(".weights.h5") else ""
    return ConfigError(f"{what}: the file name must end in {expected}, got {path!r}{legacy}. chalkgrad writes "
                       f"Keras 3's format only under Keras' names; use chalkgrad.save(model.state_dict(), "
                       "'x.npz') for a chalkgrad checkpoint")


def _require_built(model, what: str) -> None:
    if not getattr(model, "built", True):
        raise ConfigError(f"{what}: the model {getattr(model, 'name', '')!r} is not built yet; call it on data, "
                          "give it an Input, or call model.build(input_shape) first")


def save_model(model, filepath, overwrite: bool = True, zipped=None, **kwargs) -> None:
    """Write ``model`` to ``filepath`` (``*.keras``): config.json, metadata.json and model.weights.h5, atomically."""
    path = os.fspath(filepath)
    if not path.endswith(".keras"):
        raise _suffix_error("model.save", path, "'.keras'")
    if zipped is False:
        raise ConfigError("model.save(zipped=False): chalkgrad writes the zipped .keras file only")
    if not overwrite and os.path.exists(path):
        raise ConfigError(f"model.save: {path} exists and overwrite=False")
    _require_built(model, "model.save")
    write_keras_archive(path, serialize_model(model), write_weights_h5(model_entries(model)))


def _compile_from_config(model, compile_config: dict, source: str) -> None:
    try:
        compile_from_config(model, compile_config, source)
    except (ChalkgradError, TypeError) as e:  # the weights are loaded; say why training settings were not
        warnings.warn(f"{source}: the model was loaded but not compiled ({type(e).__name__}: {e}); call "
                      "model.compile(...) before training", stacklevel=3)


def load_model(filepath, custom_objects=None, compile: bool = True, safe_mode: bool = True):  # noqa: A002
    """Read a ``.keras`` file (written by Keras 3 or chalkgrad) into a chalkgrad model with its weights."""
    path = os.fspath(filepath)
    if not path.endswith(".keras"):
        raise _suffix_error("load_model", path, "'.keras'")
    if custom_objects:
        raise ConfigError("load_model(custom_objects=...): custom Keras objects are not supported by chalkgrad")
    archive = read_keras_archive(path)
    model = deserialize_model(archive.config, f"{path}/config.json")
    _require_built(model, f"load_model({path!r})")
    assign_model_weights(model, read_weights_h5(f"{path}/model.weights.h5", archive.weights_h5))
    compile_config = archive.config.get("compile_config")
    if compile and compile_config:
        _compile_from_config(model, compile_config, path)
    return model


def save_weights(model, filepath, overwrite: bool = True) -> None:
    """Write the model's weights to ``filepath`` (``*.weights.h5``) in Keras 3's layout, atomically."""
    path = os.fspath(filepath)
    if not path.endswith(".weights.h5"):
        raise _suffix_error("save_weights", path, "'.weights.h5'")
    if not overwrite and os.path.exists(path):
        raise ConfigError(f"save_weights: {path} exists and overwrite=False")
    _require_built(model, "save_weights")
    save_weights_file(path, model_entries(model))


def load_weights(model, filepath, skip_mismatch: bool = False) -> None:
    """Load weights saved by Keras 3 or chalkgrad: a ``*.weights.h5`` file, or the weights of a ``.keras`` file."""
    path = os.fspath(filepath)
    if skip_mismatch:
        raise ConfigError("load_weights(skip_mismatch=True) is not supported; every layer must match")
    _require_built(model, "load_weights")
    if path.endswith(".weights.h5"):
        weights = read_weights_h5(path)
    elif path.endswith(".keras"):
        weights = read_weights_h5(f"{path}/model.weights.h5", read_keras_archive(path).weights_h5)
    else:
        raise _suffix_error("load_weights", path, "'.weights.h5' or '.keras'")
    assign_model_weights(model, weights)


def file_kind(path, what: str) -> str:
    """Which format a model method writes/reads at ``path``: ``'keras'`` (``*.keras``), ``'weights'``
    (``*.weights.h5``) or ``'native'`` (``*.safetensors`` or ``*.npz``: chalkgrad's own checkpoint, with
    optimizer state).
    Any other name raises a ConfigError, so nothing is ever written under a name it does not match."""
    name = os.fspath(path)
    if name.endswith(".keras"):
        return "keras"
    if name.endswith(".weights.h5"):
        return "weights"
    if name.endswith((".safetensors", ".npz")):
        return "native"
    raise ConfigError(f"{what}: the file name must end in '.keras' (Keras 3 model file), '.weights.h5' (Keras 3 "
                      f"weights), '.safetensors' or '.npz' (chalkgrad checkpoint), got {name!r}"
                      + (" (the legacy Keras 2 HDF5 format is not supported)" if name.endswith((".h5", ".hdf5"))
                         else ""))
