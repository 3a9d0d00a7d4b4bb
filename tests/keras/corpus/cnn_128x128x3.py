# Cats vs dogs at 128x128: stacked conv/pool blocks, a strided 'same' convolution, a sigmoid output.
import numpy as np

import KERAS as keras
from KERAS import layers

inputs = keras.Input(shape=(128, 128, 3))
x = layers.Rescaling(1.0 / 255)(inputs)
x = layers.Conv2D(16, 3, strides=2, padding="same", activation="relu")(x)
x = layers.MaxPooling2D()(x)
x = layers.Conv2D(32, 3, activation="relu")(x)
x = layers.MaxPooling2D()(x)
x = layers.Conv2D(64, 3, activation="relu")(x)
x = layers.GlobalAveragePooling2D()(x)
x = layers.Dense(64, activation="relu")(x)
outputs = layers.Dense(1, activation="sigmoid")(x)
model = keras.Model(inputs, outputs)
model.summary()

x_sample = np.random.default_rng(3).integers(0, 256, (1, 128, 128, 3)).astype("float32")
