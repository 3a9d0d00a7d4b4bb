"""Shared test helpers: PyTorch conversion, tolerances per dtype, Hypothesis settings.

The Hypothesis tests run a bounded, reproducible set of examples by default. Set
``CHALKGRAD_EXPLORE=1`` to draw fresh random examples (ten times as many) instead.
"""

from __future__ import annotations

import os

import numpy as np
import torch
from hypothesis import HealthCheck, settings

import chalkgrad as cg

DTYPES = ("float32", "float64")

#: Tolerances for comparing chalkgrad with PyTorch, per dtype.
TOLERANCE = {
    "float32": {"rtol": 1e-4, "atol": 1e-5},
    "float64": {"rtol": 1e-9, "atol": 1e-11},
}

EXPLORE = os.environ.get("CHALKGRAD_EXPLORE", "") not in ("", "0")


def examples(n: int):
    """Hypothesis settings for ``n`` examples (reproducible unless CHALKGRAD_EXPLORE is set)."""
    return settings(
        max_examples=n * 10 if EXPLORE else n,
        deadline=None,
        derandomize=not EXPLORE,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def to_numpy(x) -> np.ndarray:
    """The values of a chalkgrad tensor, a torch tensor or an array, as a NumPy array."""
    if isinstance(x, cg.Tensor):
        return x.detach().numpy()
    if isinstance(x, torch.Tensor):
        return x.detach().numpy(force=True)  # force: torch's gradients may be lazy ZeroTensors
    return np.asarray(x)


def to_torch(x, requires_grad: bool = False) -> torch.Tensor:
    """A torch tensor holding a copy of ``x`` (chalkgrad tensor or array), same dtype."""
    t = torch.from_numpy(np.array(to_numpy(x), copy=True))
    return t.requires_grad_(requires_grad) if requires_grad else t


def dtype_name(dtype) -> str:
    """'float32', 'int64', 'bool'... for a chalkgrad/NumPy or a torch dtype."""
    return str(dtype).removeprefix("torch.")


def assert_close(actual, expected, dtype: str = "float64", scale: float = 1.0, what: str = "") -> None:
    """Same shape and values within the tolerance of ``dtype`` (times ``scale``); NaNs must match."""
    a, e = to_numpy(actual), to_numpy(expected)
    assert a.shape == e.shape, f"{what}: shape {a.shape}, expected {e.shape}"
    tol = TOLERANCE[dtype]
    np.testing.assert_allclose(
        a, e, rtol=tol["rtol"] * scale, atol=tol["atol"] * scale, equal_nan=True, err_msg=what
    )
