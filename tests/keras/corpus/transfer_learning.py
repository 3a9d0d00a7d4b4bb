# Transfer learning, functional style: a frozen MobileNet base called on a new input, then a new head.
import numpy as np

import KERAS as keras
from KERAS import layers

base_model = keras.applications.MobileNet(input_shape=(32, 32, 3), alpha=0.5, include_top=False, weights=None)
base_model.trainable = False

inputs = keras.Input(shape=(32, 32, 3))
x = base_model(inputs, training=False)
x = layers.GlobalAveragePooling2D()(x)
x = layers.Dropout(0.2)(x)
outputs = layers.Dense(2, activation="softmax")(x)
model = keras.Model(inputs, outputs)
model.summary()

x_sample = np.random.default_rng(18).random((2, 32, 32, 3)).astype("float32")
