"""``chalkgrad.keras``: Keras 3's API on chalkgrad (course code runs with only the import line changed).

::

    from chalkgrad import keras                 # or: import chalkgrad.keras as keras
    from chalkgrad.keras import layers, models
    model = models.Sequential([layers.Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)),
                               layers.MaxPooling2D(), layers.Flatten(), layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=5, validation_split=0.1, callbacks=[keras.callbacks.EarlyStopping(patience=2)])
    model.summary()                              # Keras 3's table, printed (returns None)

Layout as Keras 3's public API: ``layers``, ``models`` (Sequential, Model, load_model),
``Input``, ``Model``, ``Sequential``, ``callbacks``, ``optimizers`` (+ ``schedules``), ``losses``,
``metrics``, ``activations``, ``initializers``, ``regularizers``, ``utils``, ``backend``.
Layers are channels_last adapters over ``chalkgrad.nn`` (one engine); see
``chalkgrad.keras.layers`` for the layer interface (config, weights in Keras layouts).
``chalkgrad.fit`` is the same package under its older name.
"""

from . import activations, backend, callbacks, initializers, layers, losses, metrics, optimizers, regularizers, utils
from . import models, registry
from . import applications, datasets, saving  # (files helper) keras.applications, keras.datasets, keras.saving
from .callbacks import (
    Callback, CSVLogger, EarlyStopping, History, LambdaCallback, LearningRateScheduler, ModelCheckpoint,
    ReduceLROnPlateau, TerminateOnNaN,
)
from .history import plot_history
from .layers import (
    GRU, LSTM, Activation, AveragePooling2D, BatchNormalization, Conv1D, Conv2D, Dense, Dropout, Embedding, Flatten,
    GlobalAveragePooling2D, GlobalMaxPooling2D, Input, InputLayer, Layer, MaxPooling2D, Reshape, SimpleRNN,
)
from .models import Functional, Model, Sequential, load_model

__all__ = [
    "Model", "Sequential", "Functional", "Input", "load_model", "plot_history",
    "layers", "models", "callbacks", "optimizers", "losses", "metrics", "activations", "initializers",
    "regularizers", "utils", "backend", "registry", "applications", "datasets", "saving",
    "Layer", "InputLayer", "Dense", "Activation", "Flatten", "Dropout", "Reshape", "Conv1D", "Conv2D",
    "MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D", "GlobalMaxPooling2D", "BatchNormalization",
    "Embedding", "SimpleRNN", "LSTM", "GRU",
    "Callback", "History", "EarlyStopping", "ModelCheckpoint", "LearningRateScheduler", "ReduceLROnPlateau",
    "CSVLogger", "TerminateOnNaN", "LambdaCallback",
]
