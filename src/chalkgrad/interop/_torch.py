"""The one place that imports PyTorch, on first use, so that torch stays an optional extra."""

from __future__ import annotations

import numpy as np


def require_torch():
    """The ``torch`` module, or an ImportError that says how to install it."""
    try:
        import torch
    except ImportError as e:  # pragma: no cover - torch is installed in the test environment
        raise ImportError("chalkgrad.interop needs PyTorch, an optional extra: "
                          "pip install 'chalkgrad[torch]' (or pip install torch)") from e
    return torch


def to_numpy(value) -> np.ndarray:
    """A NumPy copy of a chalkgrad tensor, torch tensor or array (detached, on the CPU)."""
    if hasattr(value, "detach"):
        value = value.detach()
    if hasattr(value, "cpu") and not isinstance(value, np.ndarray):
        return value.cpu().numpy().copy()
    return np.array(getattr(value, "data", value), copy=True)


def to_torch_tensor(value):
    """A torch tensor holding a copy of a chalkgrad tensor or array."""
    return require_torch().from_numpy(to_numpy(value))


def torch_dtype(np_dtype):
    """torch.float32 / torch.float64 for a NumPy float dtype."""
    return getattr(require_torch(), np.dtype(np_dtype).name)


def numpy_dtype(torch_dtype) -> np.dtype:
    """The NumPy dtype of a torch dtype (torch.float64 -> float64)."""
    return np.dtype(str(torch_dtype).removeprefix("torch."))
