# BatchNormalization after Conv2D in a small image classifier.
import numpy as np

import KERAS as keras
from KERAS import layers

model = keras.Sequential([
    keras.Input(shape=(16, 16, 3)),
    layers.Conv2D(8, 3, padding="same"),
    layers.BatchNormalization(),
    layers.ReLU(),
    layers.Conv2D(16, 3, strides=2, padding="same"),
    layers.BatchNormalization(momentum=0.9, epsilon=1e-5),
    layers.Activation("relu"),
    layers.GlobalMaxPooling2D(),
    layers.Dense(4, activation="softmax"),
])
model.compile(optimizer="sgd", loss="categorical_crossentropy")
rng = np.random.default_rng(8)
x_train = rng.random((16, 16, 16, 3)).astype("float32")
y_train = keras.utils.to_categorical(rng.integers(0, 4, 16), 4)
model.fit(x_train, y_train, epochs=2, batch_size=4, verbose=0)
model.summary()

x_sample = x_train[:3]
