# BatchNormalization after Dense layers (before the activation), trained briefly.
import numpy as np

from KERAS import layers, models

model = models.Sequential([
    layers.Input(shape=(20,)),
    layers.Dense(64, use_bias=False),
    layers.BatchNormalization(),
    layers.Activation('relu'),
    layers.Dense(32, activation='relu'),
    layers.BatchNormalization(),
    layers.Dense(3, activation='softmax'),
])
model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])
rng = np.random.default_rng(7)
x_train = rng.normal(size=(32, 20)).astype('float32')
y_train = rng.integers(0, 3, 32)
model.fit(x_train, y_train, epochs=2, batch_size=8, verbose=0)
model.summary()

x_sample = x_train[:4]
