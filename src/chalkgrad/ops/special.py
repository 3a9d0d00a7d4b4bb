"""Special functions: the error function ``erf`` (the exact GELU needs it).

NumPy has no erf. ``scipy.special.erf`` is used when SciPy is installed (it is
optional, never required); otherwise ``math.erf`` is applied element by element,
which is exact but slower.
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd.function import Function
from ..errors import DTypeError
from ..tensor import Tensor

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)

#: ``scipy.special.erf`` once looked up, None when SciPy is missing, False before the first look-up
#: (SciPy is imported lazily so that ``import chalkgrad`` stays fast).
_scipy_erf = False

_math_erf = np.vectorize(math.erf, otypes=[np.float64])


def _lookup_scipy_erf():
    global _scipy_erf
    if _scipy_erf is False:
        try:
            from scipy.special import erf as found
        except ImportError:
            found = None
        _scipy_erf = found
    return _scipy_erf


def erf_array(x: np.ndarray) -> np.ndarray:
    """erf of a floating array, keeping its dtype (SciPy when importable, else ``math.erf`` per element)."""
    x = np.asarray(x)
    scipy_erf = _lookup_scipy_erf()
    out = scipy_erf(x) if scipy_erf is not None else _math_erf(x)
    return np.asarray(out).astype(x.dtype, copy=False)


class Erf(Function):
    """y = erf(x) = 2/√π · ∫₀ˣ e^(−t²) dt;   dy/dx = 2/√π · e^(−x²)"""

    def forward(self, x):
        return erf_array(x)

    def backward(self, g):
        x = self.inputs[0]
        return g * (-(x * x)).exp() * _TWO_OVER_SQRT_PI


def erf(x):
    """The error function, elementwise (differentiable to any order)."""
    if not isinstance(x, Tensor):
        x = Tensor(x)
    if x.dtype.kind != "f":
        raise DTypeError(f"erf: expected a floating-point tensor, got dtype {x.dtype}")
    return Erf.apply(x)
