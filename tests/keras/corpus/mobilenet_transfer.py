# Transfer learning shape: a MobileNet feature extractor (no top, average pooling) inside a Sequential model.
import numpy as np

import KERAS as keras
from KERAS import layers

base_model = keras.applications.MobileNet(input_shape=(32, 32, 3), include_top=False, weights=None, pooling="avg")
base_model.trainable = False
model = keras.Sequential([
    keras.Input(shape=(32, 32, 3)),
    base_model,
    layers.Dropout(0.2),
    layers.Dense(5, activation="softmax"),
])
model.summary()

x_sample = np.random.default_rng(17).random((1, 32, 32, 3)).astype("float32")
