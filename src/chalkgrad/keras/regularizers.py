"""Keras regularizers: ``L1(l1)``, ``L2(l2)``, ``L1L2(l1, l2)``; penalty(W) = l1·Σ|W| + l2·Σ W².

A layer's ``kernel_regularizer`` (and bias / activity ones) adds its penalty to the training
loss, as Keras does (``layer.losses``).
"""

from __future__ import annotations

import numpy as np

from .serialization import get_object, serialize

__all__ = ["Regularizer", "L1", "L2", "L1L2", "get", "serialize_regularizer"]


class Regularizer:
    def __call__(self, x):  # pragma: no cover - abstract
        raise NotImplementedError

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class L1L2(Regularizer):
    def __init__(self, l1=0.0, l2=0.0) -> None:
        self.l1, self.l2 = float(l1), float(l2)

    def __call__(self, x):
        total = 0.0
        if self.l1:
            total = total + x.abs().sum() * self.l1
        if self.l2:
            total = total + (x * x).sum() * self.l2
        return total

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    def __init__(self, l1=0.01) -> None:
        super().__init__(l1=float(np.float32(l1)))  # Keras stores it as a float32

    def get_config(self):
        return {"l1": self.l1}


class L2(L1L2):
    def __init__(self, l2=0.01) -> None:
        super().__init__(l2=l2)

    def get_config(self):
        return {"l2": self.l2}


_CLASSES = {"L1": L1, "L2": L2, "L1L2": L1L2}
_NAMES = {"l1": L1, "l2": L2, "l1_l2": L1L2}


def get(identifier):
    """A regularizer from a name ('l2'), a class name, a Keras dict, a callable or an instance."""
    return get_object(identifier, Regularizer, _NAMES, _CLASSES, "regularizer")


def serialize_regularizer(reg):
    return serialize(reg, "keras.regularizers")
