"""What the application models share: the ``weights`` rule, the input shape rule, the input and the top."""

from __future__ import annotations

import os

from ...errors import ConfigError

__all__ = ["check_weights", "input_shape_for", "image_input", "finish"]


def check_weights(model_name: str, weights, include_top: bool, classes: int) -> None:
    """``weights=None`` (random initialization) or the path of a local ``.weights.h5`` file; nothing is downloaded."""
    if weights is None:
        return
    if isinstance(weights, (str, os.PathLike)) and os.fspath(weights).endswith(".weights.h5") \
            and os.path.isfile(weights):
        return
    if weights == "imagenet":
        raise ConfigError(f"{model_name}(weights='imagenet'): chalkgrad does not download pretrained weights; "
                          "pass weights=None (random initialization) or weights='<file>.weights.h5' (a Keras 3 "
                          "weights file saved with model.save_weights)")
    raise ConfigError(f"{model_name}(weights={weights!r}): expected None or the path of an existing .weights.h5 "
                      "file; chalkgrad does not download weights")


def input_shape_for(model_name: str, input_shape, include_top: bool, default_size: int = 224,
                    min_size: int = 32) -> tuple:
    """Keras' rule (channels_last): with the top, a static shape (default ``(224, 224, 3)``); without it,
    ``(None, None, 3)`` unless given; sizes at least ``min_size``."""
    if input_shape is None:
        input_shape = (default_size, default_size, 3) if include_top else (None, None, 3)
    input_shape = tuple(input_shape)
    if len(input_shape) != 3:
        raise ConfigError(f"{model_name}: input_shape must be three integers (height, width, channels), "
                          f"got {input_shape}")
    for size in input_shape[:2]:
        if size is not None and size < min_size:
            raise ConfigError(f"{model_name}: input size must be at least {min_size}x{min_size}, "
                              f"got input_shape={input_shape}")
    if include_top and None in input_shape:
        raise ConfigError(f"{model_name}: with include_top=True the input_shape must be static, got {input_shape}")
    return input_shape


def image_input(layers, input_tensor, input_shape):
    """The model's input: ``input_tensor`` when given (a symbolic Keras tensor), else ``Input(input_shape)``."""
    if input_tensor is None:
        return layers.Input(shape=input_shape)
    if not isinstance(input_tensor, layers.KerasTensor):
        raise ConfigError(f"input_tensor must be a symbolic tensor made by keras.Input (or a layer applied to "
                          f"one), got {type(input_tensor).__name__}")
    return input_tensor


def pooled(layers, x, pooling, model_name: str, avg_name=None, max_name=None):
    """``pooling`` for include_top=False: None (the 4-D feature map), 'avg' or 'max' (global pooling)."""
    if pooling is None:
        return x
    if pooling == "avg":
        return layers.GlobalAveragePooling2D(name=avg_name)(x)
    if pooling == "max":
        return layers.GlobalMaxPooling2D(name=max_name)(x)
    raise ConfigError(f"{model_name}: pooling must be None, 'avg' or 'max', got {pooling!r}")


def finish(model, weights):
    """Load ``weights`` (a local .weights.h5 file) into the built model when given."""
    if weights is not None:
        from ..saving import load_weights

        load_weights(model, os.fspath(weights))
    return model
