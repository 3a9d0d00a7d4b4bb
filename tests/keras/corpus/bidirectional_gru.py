# Text classification with a bidirectional GRU over embeddings.
import numpy as np

from KERAS import layers, models

vocab_size, seq_len = 500, 12
model = models.Sequential([
    layers.Input(shape=(seq_len,)),
    layers.Embedding(vocab_size, 16),
    layers.Bidirectional(layers.GRU(24)),
    layers.Dense(16, activation='relu'),
    layers.Dense(1, activation='sigmoid'),
])
model.summary()

x_sample = np.random.default_rng(9).integers(0, vocab_size, (2, seq_len))
