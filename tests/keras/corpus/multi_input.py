# Two inputs (title tokens and numeric features), concatenated, one output.
import numpy as np

import KERAS as keras
from KERAS import layers

title = keras.Input(shape=(12,), name="title")
features = keras.Input(shape=(6,), name="features")
t = layers.Embedding(100, 8)(title)
t = layers.SimpleRNN(10)(t)
f = layers.Dense(10, activation="relu")(features)
merged = layers.Concatenate()([t, f])
priority = layers.Dense(1, activation="sigmoid", name="priority")(merged)
model = keras.Model(inputs=[title, features], outputs=priority)
model.summary()

rng = np.random.default_rng(15)
x_sample = [rng.integers(0, 100, (2, 12)), rng.normal(size=(2, 6)).astype("float32")]
