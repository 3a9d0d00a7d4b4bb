"""Weight initializers (in place, as ``torch.nn.init``), each with its variance formula.

fan_in = (input channels) · (kernel elements), fan_out = (output channels) · (kernel elements);
for a Linear weight of shape (out, in) that is fan_in = in, fan_out = out, and for a Conv2d
weight of shape (out, in, kh, kw) fan_in = in·kh·kw, fan_out = out·kh·kw.

Every function fills its tensor in place (no gradient is recorded), returns it, and
takes ``generator=`` (a :class:`chalkgrad.Generator`) for reproducible draws; without
one the default generator, reseeded by ``chalkgrad.manual_seed``, is used.
Random values are drawn in float64 and then stored in the tensor's dtype, kept
inside the stated bounds.
"""

from __future__ import annotations

import contextlib
import math

import numpy as np

from ..errors import ConfigError, DTypeError, ShapeError
from ..random import get_generator
from ..tensor import Tensor

__all__ = [
    "calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "zeros_", "ones_", "eye_",
    "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "orthogonal_", "skip_init",
]

_skipping = False


@contextlib.contextmanager
def skip_init():
    """Build modules without drawing their random initial weights (they are left as allocated).

    For shape and parameter arithmetic only (``chalkgrad summary vgg16`` builds VGG16's 138M
    parameters in milliseconds instead of seconds); the weights are not meaningful inside::

        with nn.init.skip_init():
            model = vgg16()
        print(summary(model, (1, 3, 224, 224)))
    """
    global _skipping
    before, _skipping = _skipping, True
    try:
        yield
    finally:
        _skipping = before

_GAINS = {
    "linear": 1.0, "identity": 1.0, "conv1d": 1.0, "conv2d": 1.0, "conv3d": 1.0,
    "conv_transpose1d": 1.0, "conv_transpose2d": 1.0, "conv_transpose3d": 1.0,
    "sigmoid": 1.0, "tanh": 5.0 / 3, "relu": math.sqrt(2.0), "selu": 3.0 / 4,
}


def calculate_gain(nonlinearity: str, param=None) -> float:
    """Recommended gain g for a nonlinearity (initializers scale the std by g).

    linear, identity, conv*/conv_transpose*, sigmoid: 1;  tanh: 5/3;  relu: √2;
    leaky_relu: √(2/(1 + slope²)) with ``param`` the negative slope (0.01 by default);
    selu: 3/4.
    """
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, (int, float)):
            raise ConfigError(f"calculate_gain: negative slope {slope!r} is not a number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity not in _GAINS:
        raise ConfigError(f"calculate_gain: unknown nonlinearity {nonlinearity!r}; expected one of "
                          f"{sorted(_GAINS) + ['leaky_relu']}")
    return _GAINS[nonlinearity]


def _calculate_fan_in_and_fan_out(tensor) -> tuple[int, int]:
    """(fan_in, fan_out) = (shape[1]·r, shape[0]·r), r = product of shape[2:] (the kernel size)."""
    shape = tuple(tensor.shape)
    if len(shape) < 2:
        raise ShapeError(f"fan in and fan out need a tensor with at least 2 dimensions, got shape {shape}")
    receptive = int(np.prod(shape[2:], dtype=np.int64))
    return shape[1] * receptive, shape[0] * receptive


calculate_fan_in_and_fan_out = _calculate_fan_in_and_fan_out


def _array(tensor, what: str) -> np.ndarray:
    if isinstance(tensor, Tensor):
        return tensor.data
    if isinstance(tensor, np.ndarray):
        return tensor
    raise DTypeError(f"{what}: expected a chalkgrad Tensor (or a NumPy array), got {type(tensor).__name__}")


def _fill(tensor, values, lo=None, hi=None):
    """Write ``values`` into ``tensor`` in its dtype; floats stay inside [lo, hi] after rounding."""
    arr = _array(tensor, "init")
    if _skipping:
        return tensor
    out = np.asarray(values).astype(arr.dtype, copy=False)
    if arr.dtype.kind == "f" and (lo is not None or hi is not None):
        # float64 -> float32 rounding can step just past a bound; pull such values back in.
        t = arr.dtype.type
        lo32 = None if lo is None else (t(lo) if float(t(lo)) >= lo else np.nextafter(t(lo), t(np.inf)))
        hi32 = None if hi is None else (t(hi) if float(t(hi)) <= hi else np.nextafter(t(hi), t(-np.inf)))
        out = np.clip(out, lo32, hi32)
    arr[...] = out
    if isinstance(tensor, Tensor):
        tensor._version += 1
    return tensor


def _rng(generator):
    if isinstance(generator, np.random.Generator):
        return generator
    return get_generator(generator)


def _shape(tensor, what):
    return _array(tensor, what).shape


def uniform_(tensor, a: float = 0.0, b: float = 1.0, generator=None):
    """Fill with U(a, b): mean (a + b)/2, variance (b - a)²/12."""
    if a > b:
        raise ConfigError(f"uniform_: a ({a}) must not exceed b ({b})")
    if _skipping:
        return tensor
    arr = _array(tensor, "uniform_")
    if arr.dtype == np.float32 and arr.flags.c_contiguous and arr.size:
        # Draw in float32 straight into the tensor (about 4x faster than float64 + cast on big layers).
        _rng(generator).random(out=arr, dtype=np.float32)
        arr *= np.float32(b - a)
        arr += np.float32(a)
        return _fill(tensor, arr, a, b)  # pulls back values that float32 rounding put past a bound
    return _fill(tensor, _rng(generator).uniform(a, b, arr.shape), a, b)


def normal_(tensor, mean: float = 0.0, std: float = 1.0, generator=None):
    """Fill with N(mean, std²): variance std²."""
    if std < 0:
        raise ConfigError(f"normal_: std must be non-negative, got {std}")
    if _skipping:
        return tensor
    return _fill(tensor, _rng(generator).normal(mean, std, _shape(tensor, "normal_")))


def _phi(x: float) -> float:
    """Standard normal CDF Φ(x) = (1 + erf(x/√2))/2."""
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def _truncated_standard_normal(rng, n: int, alpha: float, beta: float) -> np.ndarray:
    """n draws of Z ~ N(0, 1) conditioned on alpha <= Z <= beta, by rejection.

    The proposal is chosen so that at least ~40% of proposals are accepted wherever
    the interval lies: N(0, 1) itself when the interval holds >= 10% of the mass; a
    uniform proposal on a short interval; Robert's (1995) shifted exponential in a far tail.
    """
    sign = 1.0
    if _phi(beta) - _phi(alpha) < 0.1 and beta <= 0:  # mirror a left tail to the right
        alpha, beta, sign = -beta, -alpha, -1.0
    out = np.empty(n)
    todo = np.arange(n)
    if _phi(beta) - _phi(alpha) >= 0.1:
        method = "normal"
    elif alpha <= 0 or alpha * (beta - alpha) <= 2:
        method, peak = "uniform", max(alpha, 0.0)
    else:
        method, lam = "exponential", (alpha + math.sqrt(alpha * alpha + 4)) / 2
    while todo.size:
        m = todo.size
        if method == "normal":
            z = rng.standard_normal(m)
            ok = (z >= alpha) & (z <= beta)
        elif method == "uniform":
            z = rng.uniform(alpha, beta, m)
            ok = rng.uniform(size=m) <= np.exp((peak * peak - z * z) / 2)
        else:
            z = alpha + rng.exponential(1 / lam, m)
            ok = (rng.uniform(size=m) <= np.exp(-((z - lam) ** 2) / 2)) & (z <= beta)
        out[todo[ok]] = z[ok]
        todo = todo[~ok]
    return sign * out


def trunc_normal_(tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0, generator=None):
    """Fill with N(mean, std²) conditioned on [a, b] (a and b are absolute values, not in units of std).

    With α = (a - mean)/std, β = (b - mean)/std, Z = Φ(β) - Φ(α) and φ the standard normal density,
    the variance is std²·[1 + (αφ(α) - βφ(β))/Z - ((φ(α) - φ(β))/Z)²]; for the defaults
    (mean 0, std 1, [-2, 2]) that is about 0.774.
    """
    if not a < b:
        raise ConfigError(f"trunc_normal_: a ({a}) must be less than b ({b})")
    if std < 0:
        raise ConfigError(f"trunc_normal_: std must be non-negative, got {std}")
    shape = _shape(tensor, "trunc_normal_")
    if std == 0:
        return _fill(tensor, np.full(shape, min(max(mean, a), b)))
    if _skipping:
        return tensor
    z = _truncated_standard_normal(_rng(generator), int(np.prod(shape, dtype=np.int64)),
                                   (a - mean) / std, (b - mean) / std)
    return _fill(tensor, np.clip(mean + std * z, a, b).reshape(shape), a, b)


def constant_(tensor, val: float):
    """Fill with the constant ``val`` (variance 0)."""
    return _fill(tensor, val)


def zeros_(tensor):
    """Fill with 0 (variance 0)."""
    return _fill(tensor, 0)


def ones_(tensor):
    """Fill with 1 (variance 0)."""
    return _fill(tensor, 1)


def eye_(tensor):
    """Fill a 2-D tensor with the identity matrix (ones on the diagonal of a non-square one; no randomness)."""
    shape = _shape(tensor, "eye_")
    if len(shape) != 2:
        raise ShapeError(f"eye_: expected a 2-D tensor, got shape {shape}")
    return _fill(tensor, np.eye(*shape))


def xavier_uniform_(tensor, gain: float = 1.0, generator=None):
    """Glorot uniform: U(-a, a) with a = gain·√(6/(fan_in + fan_out)); Var = gain²·2/(fan_in + fan_out)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(_array(tensor, "xavier_uniform_"))
    a = gain * math.sqrt(6.0 / (fan_in + fan_out)) if fan_in + fan_out else 0.0
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor, gain: float = 1.0, generator=None):
    """Glorot normal: N(0, std²) with std = gain·√(2/(fan_in + fan_out)); Var = gain²·2/(fan_in + fan_out)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(_array(tensor, "xavier_normal_"))
    std = gain * math.sqrt(2.0 / (fan_in + fan_out)) if fan_in + fan_out else 0.0
    return normal_(tensor, 0.0, std, generator)


def _kaiming_std(tensor, a, mode, nonlinearity):
    if mode not in ("fan_in", "fan_out"):
        raise ConfigError(f"kaiming init: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(_array(tensor, "kaiming init"))
    fan = fan_in if mode == "fan_in" else fan_out
    gain = calculate_gain(nonlinearity, a)
    return gain / math.sqrt(fan) if fan else 0.0


def kaiming_uniform_(tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                     generator=None):
    """He uniform: U(-bound, bound) with bound = gain·√(3/fan); Var = gain²/fan.

    gain = calculate_gain(nonlinearity, a) (a is the leaky_relu negative slope);
    fan = fan_in (preserves the forward variance) or fan_out (the backward one), by ``mode``.
    With a = √5 (as Linear and Conv2d use) gain = √(1/3), so bound = 1/√fan_in.
    """
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                    generator=None):
    """He normal: N(0, std²) with std = gain/√fan; Var = gain²/fan (gain and fan as in kaiming_uniform_)."""
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity), generator)


def orthogonal_(tensor, gain: float = 1.0, generator=None):
    """A (semi-)orthogonal matrix scaled by ``gain``, from the QR decomposition of a Gaussian matrix.

    The tensor is viewed as rows = shape[0] by cols = (product of the other dims).
    rows <= cols: W Wᵀ = gain²·I;  rows > cols: Wᵀ W = gain²·I.
    Each entry has variance gain²/cols (rows <= cols) or gain²/rows (rows > cols).
    """
    shape = _shape(tensor, "orthogonal_")
    if _skipping:
        return tensor
    if len(shape) < 2:
        raise ShapeError(f"orthogonal_: expected at least 2 dimensions, got shape {shape}")
    rows = shape[0]
    cols = int(np.prod(shape[1:], dtype=np.int64))
    if rows * cols == 0:
        return tensor
    flat = _rng(generator).standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    d = np.sign(np.diag(r))
    q = q * np.where(d == 0, 1.0, d)  # makes the decomposition unique (Haar-distributed q)
    if rows < cols:
        q = q.T
    return _fill(tensor, gain * q.reshape(shape))
