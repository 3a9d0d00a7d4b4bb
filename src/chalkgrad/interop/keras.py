"""Keras-style models (chalkgrad.keras, alias chalkgrad.fit) to torch.

A built ``chalkgrad.keras.Sequential`` becomes one ``torch.nn.Sequential`` of the torch layers
its layers compute with, in order: a ``Dense`` is its ``linear`` then its activation, a
``Conv2D``/``Conv1D`` is its ``conv`` framed by the channels_last boundary permutes the Keras
layer does (NHWC -> NCHW before, back after; :class:`~chalkgrad.interop.twins.ChannelsFirst` /
``ChannelsLast``) then its activation, pooling the same, ``Flatten`` a ``torch.nn.Flatten`` of
the channels_last tensor (so the flatten order stays Keras's), ``Dropout`` a ``torch.nn.Dropout``,
``Activation`` its activation. Anything else (padding='same' that is not symmetric, other layer
classes, functional models) is refused with a ConversionError naming the layer.
keras/ sits above interop/, so nothing is imported from it: a model can only be a Keras one
when chalkgrad.keras has already been imported.
"""

from __future__ import annotations

import sys
from collections import OrderedDict

from ..errors import ConversionError
from .layers import where

#: Keras activation name -> torch.nn module factory (``tnn`` is torch.nn); 'linear' adds nothing.
ACTIVATIONS = {
    "relu": lambda tnn: tnn.ReLU(), "relu6": lambda tnn: tnn.ReLU6(), "sigmoid": lambda tnn: tnn.Sigmoid(),
    "tanh": lambda tnn: tnn.Tanh(), "softmax": lambda tnn: tnn.Softmax(dim=-1),
    "log_softmax": lambda tnn: tnn.LogSoftmax(dim=-1), "elu": lambda tnn: tnn.ELU(), "selu": lambda tnn: tnn.SELU(),
    "gelu": lambda tnn: tnn.GELU(), "silu": lambda tnn: tnn.SiLU(), "swish": lambda tnn: tnn.SiLU(),
    "mish": lambda tnn: tnn.Mish(), "softplus": lambda tnn: tnn.Softplus(), "softsign": lambda tnn: tnn.Softsign(),
    "leaky_relu": lambda tnn: tnn.LeakyReLU(0.2), "hard_sigmoid": lambda tnn: tnn.Hardsigmoid(),
    "hard_silu": lambda tnn: tnn.Hardswish(), "hard_swish": lambda tnn: tnn.Hardswish(),
}

#: Keras layer classes that convert.
CONVERTIBLE = ("Dense", "Activation", "Dropout", "Flatten", "Conv1D", "Conv2D", "MaxPooling2D", "AveragePooling2D")


def keras_to_torch(model, path: str, convert):
    """``torch.nn.Sequential`` for a built Keras Sequential; None if ``model`` is not a Keras model or layer."""
    training, base = sys.modules.get("chalkgrad.keras.models.training"), sys.modules.get("chalkgrad.keras.layers.base")
    if training is None or base is None:
        return None
    if isinstance(model, base.Layer) and not isinstance(model, training.Model):
        raise ConversionError(f"to_torch: {where(path, model)} is a Keras layer; convert the model "
                              "that holds it (a chalkgrad.keras.Sequential)")
    if not isinstance(model, training.Model):
        return None
    if type(model).__name__ != "Sequential" or type(model).__module__ != "chalkgrad.keras.models.sequential":
        raise ConversionError(f"to_torch: {where(path, model)}: only Keras Sequential models convert "
                              "(functional models and Model subclasses do not); rebuild it as a Sequential")
    if not model.built:
        raise ConversionError(f"to_torch: {where(path, model)} is not built yet; call model.build(input_shape), "
                              "start it with keras.Input(shape) or run one batch through it first")
    from ._torch import require_torch
    from .twins import ChannelsFirst, ChannelsLast

    tnn = require_torch().nn
    children = OrderedDict()
    for key, layer in model._modules.items():
        sub = f"{path}.{key}" if path else key
        if not isinstance(layer, base.Layer):  # a plain chalkgrad.nn module in the stack
            children[key] = convert(layer, path=sub)
            continue
        for name, module in _layer_modules(layer, sub, tnn, convert, ChannelsFirst, ChannelsLast):
            children[f"{key}_{name}"] = module
    target = tnn.Sequential(children)
    target.train(model.training)
    return target


def _activation(layer, path, tnn):
    name = layer.activation_name
    if name == "linear":
        return []
    if name not in ACTIVATIONS:
        raise ConversionError(f"to_torch: {where(path, layer)} has activation {name!r}, which has no torch module "
                              f"here; those that convert: {', '.join(sorted(ACTIVATIONS))}")
    return [("activation", ACTIVATIONS[name](tnn))]


def _layer_modules(layer, path, tnn, convert, ChannelsFirst, ChannelsLast) -> list:
    """[(name, torch module)] computing what ``layer`` computes."""
    cls = type(layer).__name__
    if cls not in CONVERTIBLE or not type(layer).__module__.startswith("chalkgrad.keras.layers."):
        raise ConversionError(f"to_torch: {where(path, layer)} has no torch equivalent here; Keras layers "
                              f"that convert: {', '.join(CONVERTIBLE)}")
    last = getattr(layer, "data_format", None) == "channels_last"
    if cls == "Dense":
        return [("linear", convert(layer.linear, path=f"{path}.linear"))] + _activation(layer, path, tnn)
    if cls == "Activation":
        return _activation(layer, path, tnn)
    if cls == "Dropout":
        return [("dropout", tnn.Dropout(layer.rate))]
    if cls == "Flatten":
        return ([] if last else [("channels_last", ChannelsLast())]) + [("flatten", tnn.Flatten())]
    if cls in ("Conv1D", "Conv2D"):
        core = convert(layer.conv, path=f"{path}.conv")
        pad = _symmetric_padding(layer, path)
        if any(pad):
            core.padding = pad
        tail = _activation(layer, path, tnn)
    else:  # MaxPooling2D / AveragePooling2D
        if layer.padding != "valid":
            raise ConversionError(f"to_torch: {where(path, layer)} has padding={layer.padding!r}; only 'valid' "
                                  "pooling converts (TensorFlow's 'same' pads asymmetrically)")
        pool = tnn.MaxPool2d if cls == "MaxPooling2D" else tnn.AvgPool2d
        core, tail = pool(layer.pool_size, layer.strides), []
    name = "conv" if cls.startswith("Conv") else "pool"
    if not last:
        return [(name, core)] + tail
    return [("channels_first", ChannelsFirst()), (name, core), ("channels_last", ChannelsLast())] + tail


def _symmetric_padding(layer, path) -> tuple:
    """torch's padding for the layer's 'valid' / 'same'; 'same' only where it is symmetric whatever the size."""
    if layer.padding == "valid":
        return (0,) * len(layer.kernel_size)
    out = []
    for k, s, d in zip(layer.kernel_size, layer.strides, layer.dilation_rate):
        k_eff = (k - 1) * d + 1
        if layer.padding != "same" or s != 1 or k_eff % 2 == 0:
            raise ConversionError(f"to_torch: {where(path, layer)} has padding={layer.padding!r} with kernel "
                                  f"{layer.kernel_size}, strides {layer.strides}; only 'valid', or 'same' with "
                                  "stride 1 and an odd (dilated) kernel (symmetric zeros) converts")
        out.append(k_eff // 2)
    return tuple(out)
