# Stacked LSTMs over a multivariate series, the first returning sequences.
import numpy as np

from KERAS import layers, models

model = models.Sequential()
model.add(layers.Input(shape=(20, 3)))
model.add(layers.LSTM(32, return_sequences=True))
model.add(layers.LSTM(16))
model.add(layers.Dense(1))
model.compile(optimizer='adam', loss='mse')
model.summary()

x_sample = np.random.default_rng(16).normal(size=(2, 20, 3)).astype("float32")
