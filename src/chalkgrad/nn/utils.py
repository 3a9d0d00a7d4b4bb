"""Helpers around modules and parameters (gradient clipping arrives with the training work)."""

from __future__ import annotations

import numpy as np


def parameters_to_vector(parameters):
    """All parameters flattened into one NumPy vector (a copy)."""
    return np.concatenate([p.data.reshape(-1) for p in parameters])
