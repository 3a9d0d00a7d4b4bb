"""``chalkgrad.keras.layers``: Keras 3's layers as adapters over ``chalkgrad.nn`` (see ``base`` for the protocol).

Interface shared with the saving code: every layer has ``.name``, ``.built``, ``.build(input_shape)``,
``.get_config()`` (Keras 3's keys and values), ``cls.from_config(config)``, ``.weights``
(Keras order, each a KerasVariable with ``.name``/``.path``/``.shape``/``numpy()``/``assign()``),
``.get_weights()/.set_weights()`` in Keras layouts and ``get_build_config()/build_from_config()``;
``get_layer_class(class_name)`` maps Keras class names to classes, ``serialize``/``deserialize``
write and read Keras's ``{'module', 'class_name', 'config', 'registered_name'}`` dicts.
"""

from .activation_layers import ELU, PReLU, ReLU, LeakyReLU, Softmax
from .base import KerasTensor, KerasVariable, Layer, Node, deserialize, get_layer_class, serialize
from .conv import Conv1D, Conv2D, Conv2DTranspose, DepthwiseConv2D, SeparableConv2D
from .core import Activation, Dense, Embedding, Identity, Input, InputLayer, Rescaling
from .merge import (
    Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract, add, average, concatenate, dot, multiply,
    subtract,
)
from .normalization import BatchNormalization, LayerNormalization
from .pooling import (
    AveragePooling1D, AveragePooling2D, AvgPool1D, AvgPool2D, GlobalAveragePooling1D, GlobalAveragePooling2D,
    GlobalMaxPooling1D, GlobalMaxPooling2D, MaxPool1D, MaxPool2D, MaxPooling1D, MaxPooling2D,
)
from .regularization import Dropout, SpatialDropout1D, SpatialDropout2D
from .reshaping import Flatten, Permute, Reshape, UpSampling2D, ZeroPadding2D
from .rnn import GRU, LSTM, SimpleRNN
from .wrappers import Bidirectional, TimeDistributed

GlobalAvgPool2D, GlobalMaxPool2D = GlobalAveragePooling2D, GlobalMaxPooling2D
GlobalAvgPool1D, GlobalMaxPool1D = GlobalAveragePooling1D, GlobalMaxPooling1D

__all__ = [
    "Layer", "KerasTensor", "KerasVariable", "Node", "get_layer_class", "serialize", "deserialize",
    "Input", "InputLayer", "Dense", "Activation", "Embedding", "Rescaling", "Identity",
    "Conv1D", "Conv2D", "Conv2DTranspose", "DepthwiseConv2D", "SeparableConv2D",
    "MaxPooling1D", "MaxPooling2D", "AveragePooling1D", "AveragePooling2D", "MaxPool1D", "MaxPool2D", "AvgPool1D",
    "AvgPool2D", "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalMaxPooling1D", "GlobalMaxPooling2D",
    "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalMaxPool1D", "GlobalMaxPool2D",
    "Flatten", "Reshape", "Permute", "ZeroPadding2D", "UpSampling2D", "Dropout", "SpatialDropout1D",
    "SpatialDropout2D", "BatchNormalization", "LayerNormalization", "SimpleRNN", "LSTM", "GRU", "Bidirectional",
    "TimeDistributed", "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax",
    "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot",
    "add", "subtract", "multiply", "average", "concatenate", "dot",
]
