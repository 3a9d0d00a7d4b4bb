# Training with ModelCheckpoint keeping the best model by validation loss in a .keras file.
import numpy as np

import KERAS as keras
from KERAS import layers
from KERAS.callbacks import ModelCheckpoint

rng = np.random.default_rng(12)
x_train = rng.random((40, 10, 10, 1)).astype("float32")
y_train = rng.integers(0, 2, 40)

model = keras.Sequential([
    keras.Input(shape=(10, 10, 1)),
    layers.Conv2D(4, 3, activation="relu"),
    layers.Flatten(),
    layers.Dense(2, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
checkpoint = ModelCheckpoint("best_model.keras", monitor="val_loss", save_best_only=True)
model.fit(x_train, y_train, epochs=2, batch_size=8, validation_split=0.25, callbacks=[checkpoint], verbose=0)
model.summary()

x_sample = x_train[:3]
checkpoint_file = "best_model.keras"
