"""VGG16 and VGG19 (Simonyan & Zisserman, 2014) with Keras 3's layer names: block1_conv1 ... fc1, fc2, predictions."""

from __future__ import annotations

from ._common import check_weights, finish, image_input, input_shape_for, pooled

__all__ = ["VGG16", "VGG19"]


def _vgg(model_name, convs_per_block, include_top, weights, input_tensor, input_shape, pooling, classes,
         classifier_activation, name):
    from .. import layers
    from ..models import Model

    check_weights(model_name, weights, include_top, classes)
    inputs = image_input(layers, input_tensor, input_shape_for(model_name, input_shape, include_top))
    x = inputs
    for block, (filters, convs) in enumerate(zip((64, 128, 256, 512, 512), convs_per_block), start=1):
        for i in range(1, convs + 1):
            x = layers.Conv2D(filters, (3, 3), activation="relu", padding="same", name=f"block{block}_conv{i}")(x)
        x = layers.MaxPooling2D((2, 2), strides=(2, 2), name=f"block{block}_pool")(x)
    if include_top:
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(4096, activation="relu", name="fc1")(x)
        x = layers.Dense(4096, activation="relu", name="fc2")(x)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = pooled(layers, x, pooling, model_name)
    return finish(Model(inputs, x, name=name), weights)


def VGG16(include_top=True, weights=None, input_tensor=None, input_shape=None, pooling=None, classes=1000,
          classifier_activation="softmax", name="vgg16"):
    """VGG16: 13 3x3 convolutions in five blocks (2, 2, 3, 3, 3), each block ending in a 2x2 max pool, then
    (with ``include_top``) Flatten, fc1 and fc2 (4096 units, ReLU) and ``predictions`` (``classes`` units).

    ``weights``: None (random) or a local ``.weights.h5`` file; nothing is downloaded, so Keras'
    default ``'imagenet'`` is not available and ``weights=None`` is the default here.
    """
    return _vgg("VGG16", (2, 2, 3, 3, 3), include_top, weights, input_tensor, input_shape, pooling, classes,
                classifier_activation, name)


def VGG19(include_top=True, weights=None, input_tensor=None, input_shape=None, pooling=None, classes=1000,
          classifier_activation="softmax", name="vgg19"):
    """VGG19: as :func:`VGG16` with four convolutions in blocks 3, 4 and 5 (16 in all)."""
    return _vgg("VGG19", (2, 2, 4, 4, 4), include_top, weights, input_tensor, input_shape, pooling, classes,
                classifier_activation, name)
