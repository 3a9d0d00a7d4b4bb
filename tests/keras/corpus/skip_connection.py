# A residual block: the input is added back to the output of two convolutions.
import numpy as np

import KERAS as keras
from KERAS import layers

inputs = keras.Input(shape=(16, 16, 8))
x = layers.Conv2D(8, 3, padding="same", activation="relu", name="conv_a")(inputs)
x = layers.Conv2D(8, 3, padding="same", name="conv_b")(x)
x = layers.Add()([x, inputs])
x = layers.Activation("relu")(x)
x = layers.MaxPooling2D(2)(x)
x = layers.Flatten()(x)
outputs = layers.Dense(10, activation="softmax")(x)
model = keras.Model(inputs, outputs, name="resnet_block")
model.summary()

x_sample = np.random.default_rng(10).normal(size=(2, 16, 16, 8)).astype("float32")
