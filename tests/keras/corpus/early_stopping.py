# Training with EarlyStopping on the training loss (tiny data, two epochs).
import numpy as np

import KERAS as keras
from KERAS import layers
from KERAS.callbacks import EarlyStopping

rng = np.random.default_rng(11)
x_train = rng.normal(size=(40, 8)).astype("float32")
y_train = (x_train.sum(axis=1) > 0).astype("float32")

model = keras.Sequential([keras.Input(shape=(8,)), layers.Dense(16, activation="relu"),
                          layers.Dense(1, activation="sigmoid")])
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
early_stop = EarlyStopping(monitor='loss', patience=7)
history = model.fit(x_train, y_train, epochs=2, batch_size=10, callbacks=[early_stop], verbose=0)
assert len(history.history["loss"]) == 2
model.summary()

x_sample = x_train[:5]
