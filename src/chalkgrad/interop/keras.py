"""Keras-style models (chalkgrad.fit) to torch: kept apart, as the Keras layers are being reworked.

A ``chalkgrad.fit.Sequential`` becomes one ``torch.nn.Sequential`` of the ``nn`` modules its
layers are made of: a ``Dense`` is its ``linear`` then its ``activation``, a ``Conv2D`` its
``conv`` then its activation, ``Flatten``/``Dropout``/``BatchNormalization``/pooling their one
module. Layers whose ``call`` does more than run their children in order are refused.
fit/ sits above interop/, so nothing is imported from it: a model can only be a Keras-style
one when chalkgrad.fit has already been imported.
"""

from __future__ import annotations

import sys
from collections import OrderedDict

from ..errors import ConversionError
from .layers import where

#: Keras-style layers whose call() is "each child module in turn".
CHAIN_LAYERS = ("Dense", "Activation", "Flatten", "Dropout", "Conv1D", "Conv2D", "MaxPooling2D",
                "AveragePooling2D", "BatchNormalization", "InputLayer")


def keras_to_torch(model, path: str, convert):
    """``torch.nn.Sequential`` for a built Keras-style Sequential; None if ``model`` is not one."""
    fit_model, fit_layers = sys.modules.get("chalkgrad.fit.model"), sys.modules.get("chalkgrad.fit.layers")
    if fit_model is None or fit_layers is None:
        return None
    if isinstance(model, fit_layers.Layer):
        raise ConversionError(f"to_torch: {where(path, model)} is a Keras-style layer; convert the model "
                              "that holds it (a chalkgrad.fit.Sequential)")
    if not isinstance(model, fit_model.Model):
        return None
    if type(model) is not fit_model.Sequential:
        raise ConversionError(f"to_torch: {where(path, model)}: only Keras-style Sequential models convert "
                              "(functional models and Model subclasses do not)")
    if not model.built:
        raise ConversionError(f"to_torch: {where(path, model)} is not built yet; call model.build(input_shape) "
                              "or run one batch through it first")
    from ._torch import require_torch

    children = OrderedDict()
    for key, layer in model._modules.items():
        sub = f"{path}.{key}" if path else key
        if not isinstance(layer, fit_layers.Layer):  # a plain chalkgrad.nn module in the stack
            children[key] = convert(layer, path=sub)
            continue
        if type(layer).__name__ not in CHAIN_LAYERS or type(layer).__module__ != fit_layers.__name__:
            raise ConversionError(f"to_torch: {where(sub, layer)} has no torch equivalent here; Keras-style "
                                  f"layers that convert: {', '.join(CHAIN_LAYERS)}")
        for name, child in layer._modules.items():
            if child is not None:
                children[f"{key}_{name}"] = convert(child, path=f"{sub}.{name}")
    target = require_torch().nn.Sequential(children)
    target.train(model.training)
    return target
