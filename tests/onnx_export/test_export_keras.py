"""Keras-style models (chalkgrad.fit) export like any module; onnxruntime agrees with chalkgrad to 1e-5.

Few and simple on purpose: the Keras layers are being reworked (channels-last images), so the image
case uses a 6x6x6 input, valid in either layout.
"""

from __future__ import annotations

import numpy as np
import pytest

import chalkgrad as cg
from chalkgrad import fit as keras

from .helpers import check_export, randn

CASES = {
    "dense": (lambda: keras.Sequential([keras.Input((8,)), keras.Dense(16, activation="relu"), keras.Dropout(0.2),
                                        keras.Dense(4, activation="softmax")]), (2, 8)),
    "conv": (lambda: keras.Sequential([keras.Input((6, 6, 6)), keras.Conv2D(4, 3, activation="relu"),
                                       keras.BatchNormalization(), keras.MaxPooling2D(2), keras.Flatten(),
                                       keras.Dense(3, activation="sigmoid")]), (2, 6, 6, 6)),
    "recurrent": (lambda: keras.Sequential([keras.Input((5, 3)), keras.LSTM(4, return_sequences=True),
                                            keras.GRU(3), keras.Dense(2)]), (2, 5, 3)),
    "embedding": (lambda: keras.Sequential([keras.Input((5,)), keras.Embedding(10, 4), keras.SimpleRNN(3),
                                            keras.Dense(1, activation="sigmoid")]), None),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_keras_sequential(name, tmp_path):
    build, shape = CASES[name]
    cg.manual_seed(0)
    model = build()
    x = np.random.default_rng(0).integers(0, 10, (2, 5)) if shape is None else randn(*shape)
    check_export(model, x, tmp_path)
