"""ResNet50 (He et al., 2015) with Keras 3's layer names: conv1_conv, conv2_block1_1_conv, ..., predictions."""

from __future__ import annotations

from ._common import check_weights, finish, image_input, input_shape_for, pooled

__all__ = ["ResNet50"]

BN_EPSILON = 1.001e-5  # Keras' ResNet uses this epsilon in every BatchNormalization


def _bottleneck(layers, x, filters, stride, projection, name):
    """1x1 (filters) -> 3x3 (filters) -> 1x1 (4*filters), each followed by BN; added to the shortcut, then ReLU.
    The shortcut is a strided 1x1 convolution + BN in a stage's first block (``projection``), else the input."""
    if projection:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(x)
        shortcut = layers.BatchNormalization(axis=3, epsilon=BN_EPSILON, name=f"{name}_0_bn")(shortcut)
    else:
        shortcut = x
    x = layers.Conv2D(filters, 1, strides=stride, name=f"{name}_1_conv")(x)
    x = layers.BatchNormalization(axis=3, epsilon=BN_EPSILON, name=f"{name}_1_bn")(x)
    x = layers.Activation("relu", name=f"{name}_1_relu")(x)
    x = layers.Conv2D(filters, 3, padding="same", name=f"{name}_2_conv")(x)
    x = layers.BatchNormalization(axis=3, epsilon=BN_EPSILON, name=f"{name}_2_bn")(x)
    x = layers.Activation("relu", name=f"{name}_2_relu")(x)
    x = layers.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    x = layers.BatchNormalization(axis=3, epsilon=BN_EPSILON, name=f"{name}_3_bn")(x)
    x = layers.Add(name=f"{name}_add")([shortcut, x])
    return layers.Activation("relu", name=f"{name}_out")(x)


def ResNet50(include_top=True, weights=None, input_tensor=None, input_shape=None, pooling=None, classes=1000,
             classifier_activation="softmax", name="resnet50"):
    """ResNet50: a 7x7/2 convolution and a 3x3/2 max pool, then four stages of bottleneck blocks
    (3, 4, 6, 3 blocks of 64, 128, 256, 512 filters; stride 2 in the first block of stages 3-5),
    then (with ``include_top``) global average pooling and ``predictions``.

    ``weights``: None (random) or a local ``.weights.h5`` file; nothing is downloaded.
    """
    from .. import layers
    from ..models import Model

    check_weights("ResNet50", weights, include_top, classes)
    inputs = image_input(layers, input_tensor, input_shape_for("ResNet50", input_shape, include_top))
    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)), name="conv1_pad")(inputs)
    x = layers.Conv2D(64, 7, strides=2, use_bias=True, name="conv1_conv")(x)
    x = layers.BatchNormalization(axis=3, epsilon=BN_EPSILON, name="conv1_bn")(x)
    x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name="pool1_pad")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    for stage, (filters, blocks, stride) in enumerate(((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)), start=2):
        for block in range(1, blocks + 1):
            x = _bottleneck(layers, x, filters, stride if block == 1 else 1, block == 1, f"conv{stage}_block{block}")
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = pooled(layers, x, pooling, "ResNet50", avg_name="avg_pool", max_name="max_pool")
    return finish(Model(inputs, x, name=name), weights)
