# A 1-D convnet over a univariate series of 100 steps (channels last: 100 steps, 1 channel).
import numpy as np

import KERAS as keras
from KERAS import layers

inputs = keras.Input((100, 1))
x = layers.Conv1D(64, 3, activation="relu")(inputs)
x = layers.MaxPooling1D(2)(x)
x = layers.Conv1D(32, 5, padding="same", activation="relu")(x)
x = layers.GlobalAveragePooling1D()(x)
outputs = layers.Dense(1)(x)
model = keras.Model(inputs, outputs)
model.summary()

x_sample = np.random.default_rng(13).normal(size=(2, 100, 1)).astype("float32")
