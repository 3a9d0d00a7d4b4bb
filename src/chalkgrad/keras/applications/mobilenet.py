"""MobileNet (Howard et al., 2017) with Keras 3's layer names: conv1, conv_dw_1, conv_pw_1, ..., conv_preds."""

from __future__ import annotations

from ...errors import ConfigError
from ._common import check_weights, finish, image_input, input_shape_for, pooled

__all__ = ["MobileNet"]

# (pointwise filters, stride) of the 13 depthwise-separable blocks
BLOCKS = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1), (512, 1), (512, 1),
          (512, 1), (1024, 2), (1024, 1))


def _separable_block(layers, x, filters, stride, depth_multiplier, block_id):
    """3x3 depthwise convolution -> BN -> ReLU6 -> 1x1 convolution (``filters``) -> BN -> ReLU6.
    With stride 2 the input is first padded by one row and column at the bottom/right ('valid' conv)."""
    if stride != 1:
        x = layers.ZeroPadding2D(((0, 1), (0, 1)), name=f"conv_pad_{block_id}")(x)
    x = layers.DepthwiseConv2D((3, 3), padding="same" if stride == 1 else "valid", depth_multiplier=depth_multiplier,
                               strides=(stride, stride), use_bias=False, name=f"conv_dw_{block_id}")(x)
    x = layers.BatchNormalization(axis=-1, name=f"conv_dw_{block_id}_bn")(x)
    x = layers.ReLU(6.0, name=f"conv_dw_{block_id}_relu")(x)
    x = layers.Conv2D(filters, (1, 1), padding="same", use_bias=False, strides=(1, 1), name=f"conv_pw_{block_id}")(x)
    x = layers.BatchNormalization(axis=-1, name=f"conv_pw_{block_id}_bn")(x)
    return layers.ReLU(6.0, name=f"conv_pw_{block_id}_relu")(x)


def MobileNet(input_shape=None, alpha=1.0, depth_multiplier=1, dropout=1e-3, include_top=True, weights=None,
              input_tensor=None, pooling=None, classes=1000, classifier_activation="softmax", name=None):
    """MobileNet v1: a 3x3/2 convolution (``conv1``, 32·alpha filters) then 13 depthwise-separable blocks,
    then (with ``include_top``) global average pooling kept 4-D, dropout, a 1x1 convolution ``conv_preds``
    to ``classes``, a reshape and the ``predictions`` activation. ``alpha`` scales every filter count.

    ``weights``: None (random) or a local ``.weights.h5`` file; nothing is downloaded.
    The default name is ``mobilenet_<alpha:.2f>_<rows>`` as in Keras.
    """
    from .. import layers
    from ..models import Model

    if alpha <= 0 or depth_multiplier < 1:
        raise ConfigError(f"MobileNet: alpha must be > 0 and depth_multiplier >= 1, got alpha={alpha}, "
                          f"depth_multiplier={depth_multiplier}")
    check_weights("MobileNet", weights, include_top, classes)
    input_shape = input_shape_for("MobileNet", input_shape, include_top)
    inputs = image_input(layers, input_tensor, input_shape)
    rows = input_shape[0]  # as Keras: from input_shape (not input_tensor), so the name may say None
    x = layers.Conv2D(int(32 * alpha), (3, 3), padding="same", use_bias=False, strides=(2, 2), name="conv1")(inputs)
    x = layers.BatchNormalization(axis=-1, name="conv1_bn")(x)
    x = layers.ReLU(6.0, name="conv1_relu")(x)
    for block_id, (filters, stride) in enumerate(BLOCKS, start=1):
        x = _separable_block(layers, x, int(filters * alpha), stride, depth_multiplier, block_id)
    if include_top:
        x = layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = layers.Dropout(dropout, name="dropout")(x)
        x = layers.Conv2D(classes, (1, 1), padding="same", name="conv_preds")(x)
        x = layers.Reshape((classes,), name="reshape_2")(x)
        x = layers.Activation(activation=classifier_activation, name="predictions")(x)
    else:
        x = pooled(layers, x, pooling, "MobileNet")
    return finish(Model(inputs, x, name=name if name is not None else f"mobilenet_{alpha:0.2f}_{rows}"), weights)
