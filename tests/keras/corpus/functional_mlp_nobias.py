# A functional MLP on 768 features (sentence embeddings), layers without biases, a dropout.
import numpy as np

import KERAS as keras
from KERAS import layers

inputs = keras.Input(shape=(768,))
x = layers.Dense(30, activation="relu", use_bias=False)(inputs)
x = layers.Dropout(0.1)(x)
x = layers.Dense(20, activation="relu", use_bias=False)(x)
outputs = layers.Dense(5, activation="softmax")(x)
model = keras.Model(inputs=inputs, outputs=outputs)
model.summary()

x_sample = np.random.default_rng(5).normal(size=(3, 768)).astype("float32")
