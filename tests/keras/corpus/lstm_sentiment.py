# IMDB sentiment: Embedding -> LSTM -> Dense, as in the Keras examples.
import numpy as np

from KERAS import layers, models

max_features = 2000
maxlen = 16

model = models.Sequential()
model.add(layers.Input(shape=(maxlen,)))
model.add(layers.Embedding(max_features, 128))
model.add(layers.LSTM(128, dropout=0.2, recurrent_dropout=0.2))
model.add(layers.Dense(1, activation='sigmoid'))
model.compile(loss='binary_crossentropy', optimizer='adam', metrics=['accuracy'])
model.summary()

x_sample = np.random.default_rng(4).integers(1, max_features, (2, maxlen))
