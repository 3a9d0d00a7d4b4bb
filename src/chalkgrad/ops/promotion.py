"""PyTorch's type promotion, for chalkgrad's four dtypes.

The dtypes are ordered ``bool < int64 < float32 < float64`` and fall into three
categories: bool, integer, floating. Operands are ranked in three tiers:

1. tensors with at least one dimension,
2. zero-dimensional tensors,
3. Python numbers and NumPy scalars ("wrapped numbers": a float means the
   default float, float32; an int means int64).

The result is the largest dtype of tier 1. A lower tier changes it only when it
is of a higher *category*: ``float32_tensor * 2.5`` stays float32 and
``float32_tensor + float64_scalar_tensor`` stays float32, but
``int_tensor * 0.5`` becomes float32 and ``int_tensor + float64_scalar_tensor``
float64. NumPy would give float64 in all but the first.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor, _default_float, bool_, canonical_dtype, float32, float64, int64

_RANK = {bool_: 0, int64: 1, float32: 2, float64: 3}
_CATEGORY = {bool_: 0, int64: 1, float32: 2, float64: 2}


def category(dtype: np.dtype) -> int:
    """0 for bool, 1 for integers, 2 for floating dtypes."""
    return _CATEGORY[dtype]


def promote_types(a: np.dtype, b: np.dtype) -> np.dtype:
    """The smaller dtype that holds both (``torch.promote_types``)."""
    return a if _RANK[a] >= _RANK[b] else b


def _scalar_dtype(x) -> np.dtype:
    """The dtype a Python number or NumPy scalar stands for, as a wrapped number."""
    if isinstance(x, (bool, np.bool_)):
        return bool_
    if isinstance(x, (int, np.integer)):
        return int64
    if isinstance(x, (float, np.floating)):
        return _default_float()
    from ..errors import DTypeError

    raise DTypeError(f"cannot use a {type(x).__name__} ({x!r}) as an operand: expected a tensor, "
                     "an array or a real number")


def _combine(higher, lower):
    """Promote ``higher`` by ``lower`` only where ``lower`` is of a higher category."""
    if higher is None:
        return lower
    if lower is None or _CATEGORY[lower] <= _CATEGORY[higher]:
        return higher
    return promote_types(higher, lower)


def result_type(*operands) -> np.dtype:
    """The dtype of a binary (or n-ary) op's result under PyTorch's rules (``torch.result_type``)."""
    tiers = [None, None, None]
    for x in operands:
        if isinstance(x, Tensor):
            tier, d = (0 if x.data.ndim else 1), x.data.dtype
        elif isinstance(x, np.ndarray):
            tier, d = (0 if x.ndim else 1), canonical_dtype(x.dtype) if x.dtype in _RANK else _array_dtype(x)
        else:
            tier, d = 2, _scalar_dtype(x)
        tiers[tier] = d if tiers[tier] is None else promote_types(tiers[tier], d)
    return _combine(_combine(tiers[0], tiers[1]), tiers[2])


def _array_dtype(x: np.ndarray) -> np.dtype:
    """Other NumPy widths as tensors would hold them (int32 → int64, float16 → float32)."""
    kind = x.dtype.kind
    if kind in "iu":
        return int64
    if kind == "f":
        return float32 if x.dtype.itemsize < 8 else float64
    return canonical_dtype(x.dtype)  # raises the DTypeError that names it


def convert(x, dtype: np.dtype):
    """``x`` as an operand of ``dtype``: tensors are cast (differentiably), numbers become NumPy scalars."""
    if isinstance(x, Tensor):
        if x.data.dtype == dtype:
            return x
        from .shape import cast

        return cast(x, dtype)
    if isinstance(x, np.ndarray):
        return Tensor._wrap(x.astype(dtype, copy=False))
    return dtype.type(x)
