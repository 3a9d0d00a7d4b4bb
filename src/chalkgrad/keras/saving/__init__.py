"""``keras.saving``: Keras 3's ``.keras`` model files and ``.weights.h5`` weight files, both ways.

* :func:`save_model` / :func:`load_model`: the zipped ``.keras`` format (config.json,
  metadata.json, model.weights.h5), readable by Keras 3's ``keras.models.load_model``;
* :func:`save_weights` / :func:`load_weights`: Keras 3's HDF5 weights layout;
* :mod:`.archive`, :mod:`.h5`, :mod:`.weight_paths`, :mod:`.model_config`: the format pieces.

HDF5 needs ``h5py`` (``pip install "chalkgrad[keras]"``).
"""

from .api import load_model, load_weights, save_model, save_weights
from .model_config import deserialize_model, serialize_model

__all__ = ["save_model", "load_model", "save_weights", "load_weights", "serialize_model", "deserialize_model"]
