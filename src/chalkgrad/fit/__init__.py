"""Keras-style training: ``Sequential``, ``Model``, Keras-named layers, ``compile/fit/evaluate/predict``.

Also reachable as ``chalkgrad.keras``::

    import chalkgrad.fit as keras            # or: from chalkgrad import keras
    model = keras.Sequential([keras.Input((64,)), keras.Dense(64, activation="relu"),
                              keras.Dropout(0.2), keras.Dense(10, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=20, validation_split=0.2,
                        callbacks=[keras.callbacks.EarlyStopping(patience=3, restore_best_weights=True)])
    keras.plot_history(history, "history.png")

Modules: ``model`` (Model, Sequential, load_model), ``layers``, ``losses``, ``metrics``,
``callbacks``, ``registry`` (the string shortcuts), ``progress``, ``history`` (plot_history).
"""

from . import callbacks, layers, losses, metrics, registry
from .callbacks import (
    Callback, CSVLogger, EarlyStopping, History, LambdaCallback, LearningRateScheduler, ModelCheckpoint,
    ReduceLROnPlateau, TerminateOnNaN,
)
from .history import plot_history
from .layers import (
    GRU, LSTM, Activation, AveragePooling2D, BatchNormalization, Conv1D, Conv2D, Dense, Dropout, Embedding, Flatten,
    GlobalAveragePooling2D, GlobalMaxPooling2D, Input, InputLayer, Layer, MaxPooling2D, Reshape, SimpleRNN,
)
from .model import Model, Sequential, load_model

__all__ = [
    "Model", "Sequential", "load_model", "plot_history",
    "Layer", "Input", "InputLayer", "Dense", "Activation", "Flatten", "Dropout", "Reshape", "Conv1D", "Conv2D",
    "MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D", "GlobalMaxPooling2D", "BatchNormalization",
    "Embedding", "SimpleRNN", "LSTM", "GRU",
    "Callback", "History", "EarlyStopping", "ModelCheckpoint", "LearningRateScheduler", "ReduceLROnPlateau",
    "CSVLogger", "TerminateOnNaN", "LambdaCallback",
    "callbacks", "layers", "losses", "metrics", "registry",
]
