"""``chalkgrad.keras.models``: Model (functional or wrapping a module), Sequential, load_model, clone_model."""

from .functional import Functional
from .sequential import Sequential
from .training import Model, load_model

__all__ = ["Model", "Sequential", "Functional", "load_model"]
