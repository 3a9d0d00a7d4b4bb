# VGG16 from the applications, cut below its last layer to give 4096-d features (small input, no download).
import numpy as np

from KERAS.applications import VGG16
from KERAS.models import Model

model = VGG16(weights=None, input_shape=(32, 32, 3), classes=10)
model = Model(inputs=model.inputs, outputs=model.layers[-2].output)
model.summary()

x_sample = np.random.default_rng(6).random((1, 32, 32, 3)).astype("float32")
