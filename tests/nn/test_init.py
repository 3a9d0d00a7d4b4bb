"""nn.init: gains and fans against PyTorch, bounds, sample variances against the docstring formulas,
orthogonality, truncation, and reproducibility with generators and manual_seed."""

import math

import numpy as np
import pytest
import torch

import chalkgrad as cg
from chalkgrad import nn
from chalkgrad.nn import init

# --------------------------------------------------------------------------- gain and fans

GAIN_CASES = [
    ("linear", None), ("conv1d", None), ("conv2d", None), ("conv3d", None), ("conv_transpose1d", None),
    ("conv_transpose2d", None), ("conv_transpose3d", None), ("sigmoid", None), ("tanh", None), ("relu", None),
    ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", 0), ("leaky_relu", 1), ("leaky_relu", math.sqrt(5)),
    ("selu", None),
]


@pytest.mark.parametrize("nonlinearity, param", GAIN_CASES)
def test_calculate_gain_matches_torch(nonlinearity, param):
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(
        torch.nn.init.calculate_gain(nonlinearity, param), rel=1e-15)


def test_calculate_gain_values_and_errors():
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu", math.sqrt(5)) == pytest.approx(math.sqrt(1 / 3))
    with pytest.raises(ValueError, match="unknown nonlinearity 'softplus'"):
        init.calculate_gain("softplus")
    with pytest.raises(ValueError, match="negative slope 'x' is not a number"):
        init.calculate_gain("leaky_relu", "x")


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (8, 3, 3, 3), (4, 2, 5), (6, 1, 2, 2, 2), (16, 8, 1, 1)])
def test_fan_in_fan_out_matches_torch(shape):
    ours = init._calculate_fan_in_and_fan_out(cg.zeros(*shape))
    assert ours == torch.nn.init._calculate_fan_in_and_fan_out(torch.zeros(shape))
    if len(shape) == 4:  # conv weight (out, in, kh, kw)
        assert ours == (shape[1] * shape[2] * shape[3], shape[0] * shape[2] * shape[3])


def test_fan_needs_two_dims():
    with pytest.raises(cg.ShapeError, match=r"at least 2 dimensions, got shape \(5,\)"):
        init.xavier_uniform_(cg.zeros(5))
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        init.kaiming_normal_(cg.zeros(5))


# --------------------------------------------------------------------------- distributions


def _fans(shape):
    r = int(np.prod(shape[2:]))
    return shape[1] * r, shape[0] * r


def _check_variance(sample, var, n_sd=6, kurtosis=3.0):
    """Sample variance within n_sd standard errors of ``var`` (se = var·√((κ - 1)/n), κ the kurtosis)."""
    n = sample.size
    se = var * math.sqrt((kurtosis - 1) / n)
    assert abs(sample.astype(np.float64).var() - var) <= n_sd * se, (sample.var(), var)


UNIFORM_KURTOSIS = 9 / 5

KAIMING_CASES = [
    ((256, 300), dict()),
    ((256, 300), dict(a=math.sqrt(5))),
    ((300, 256), dict(mode="fan_out", nonlinearity="relu")),
    ((64, 32, 3, 3), dict(nonlinearity="relu")),
    ((64, 32, 3, 3), dict(mode="fan_out", a=0.2)),
    ((100, 40, 5), dict(nonlinearity="tanh")),
]


@pytest.mark.parametrize("shape, kw", KAIMING_CASES)
@pytest.mark.parametrize("kind", ["uniform", "normal"])
def test_kaiming_variance_and_bound(shape, kw, kind):
    fan_in, fan_out = _fans(shape)
    fan = fan_out if kw.get("mode") == "fan_out" else fan_in
    gain = init.calculate_gain(kw.get("nonlinearity", "leaky_relu"), kw.get("a", 0))
    var = gain**2 / fan  # the docstring's formula
    t = cg.zeros(*shape, dtype=cg.float64)
    ref = torch.zeros(shape, dtype=torch.float64)
    if kind == "uniform":
        out = init.kaiming_uniform_(t, generator=cg.Generator(0), **kw)
        torch.nn.init.kaiming_uniform_(ref, generator=torch.Generator().manual_seed(0), **kw)
        bound = gain * math.sqrt(3 / fan)
        assert np.abs(t.data).max() <= bound and np.abs(t.data).max() > 0.99 * bound
        assert ref.abs().max().item() <= bound * (1 + 1e-12)
        kurt = UNIFORM_KURTOSIS
    else:
        out = init.kaiming_normal_(t, generator=cg.Generator(0), **kw)
        torch.nn.init.kaiming_normal_(ref, generator=torch.Generator().manual_seed(0), **kw)
        kurt = 3.0
    assert out is t
    _check_variance(t.data, var, kurtosis=kurt)
    _check_variance(ref.numpy(), var, kurtosis=kurt)  # torch agrees with the same formula
    assert abs(t.data.mean()) <= 6 * math.sqrt(var / t.numel())


@pytest.mark.parametrize("shape", [(200, 300), (64, 32, 3, 3)])
@pytest.mark.parametrize("gain", [1.0, init.calculate_gain("tanh")])
@pytest.mark.parametrize("kind", ["uniform", "normal"])
def test_xavier_variance_and_bound(shape, gain, kind):
    fan_in, fan_out = _fans(shape)
    var = gain**2 * 2 / (fan_in + fan_out)
    t = cg.zeros(*shape, dtype=cg.float64)
    ref = torch.zeros(shape, dtype=torch.float64)
    if kind == "uniform":
        init.xavier_uniform_(t, gain=gain, generator=cg.Generator(1))
        torch.nn.init.xavier_uniform_(ref, gain=gain)
        assert np.abs(t.data).max() <= gain * math.sqrt(6 / (fan_in + fan_out))
        kurt = UNIFORM_KURTOSIS
    else:
        init.xavier_normal_(t, gain=gain, generator=cg.Generator(1))
        torch.nn.init.xavier_normal_(ref, gain=gain)
        kurt = 3.0
    _check_variance(t.data, var, kurtosis=kurt)
    _check_variance(ref.numpy(), var, kurtosis=kurt)


def test_uniform_and_normal_moments():
    t = cg.zeros(300, 300, dtype=cg.float64)
    init.uniform_(t, -2.0, 4.0, generator=cg.Generator(3))
    assert t.data.min() >= -2.0 and t.data.max() <= 4.0
    _check_variance(t.data, 6.0**2 / 12, kurtosis=UNIFORM_KURTOSIS)
    assert abs(t.data.mean() - 1.0) < 6 * math.sqrt(3 / t.numel())
    init.normal_(t, mean=3.0, std=0.5, generator=cg.Generator(3))
    _check_variance(t.data, 0.25)
    assert abs(t.data.mean() - 3.0) < 6 * 0.5 / 300
    with pytest.raises(ValueError, match=r"a \(1\) must not exceed b \(0\)"):
        init.uniform_(t, 1, 0)
    with pytest.raises(ValueError, match="std must be non-negative"):
        init.normal_(t, 0, -1)


def test_float32_samples_stay_inside_the_bound():
    # float64 draws rounded to float32 could step past a bound that float32 cannot represent exactly
    t = cg.zeros(500, 500)
    for seed in range(3):
        init.uniform_(t, -0.1, 0.1, generator=cg.Generator(seed))
        assert t.data.astype(np.float64).max() <= 0.1 and t.data.astype(np.float64).min() >= -0.1
        init.trunc_normal_(t, std=0.05, a=-0.07, b=0.03, generator=cg.Generator(seed))
        assert t.data.astype(np.float64).max() <= 0.03 and t.data.astype(np.float64).min() >= -0.07


def _phi(x):
    return 0.0 if math.isinf(x) else math.exp(-x * x / 2) / math.sqrt(2 * math.pi)


def _truncnorm_moments(mean, std, a, b):
    al, be = (a - mean) / std, (b - mean) / std
    r2 = math.sqrt(2)
    # Z = Φ(β) - Φ(α), written with erfc so that far tails keep their precision
    z = 0.5 * (math.erfc(al / r2) - math.erfc(be / r2)) if al > 0 else 0.5 * (math.erfc(-be / r2) - math.erfc(-al / r2))
    m = (_phi(al) - _phi(be)) / z
    t1 = (al * _phi(al) if not math.isinf(al) else 0.0) - (be * _phi(be) if not math.isinf(be) else 0.0)
    return mean + std * m, std**2 * (1 + t1 / z - m * m)


@pytest.mark.parametrize("mean, std, a, b", [
    (0.0, 1.0, -2.0, 2.0),     # the defaults
    (0.0, 0.02, -0.04, 0.04),  # ViT-style
    (1.0, 2.0, 0.5, 8.0),
    (0.0, 1.0, 5.0, 6.0),      # far right tail: naive rejection would almost never accept
    (0.0, 1.0, -9.0, -8.5),    # far left tail, narrow
    (0.0, 1.0, 3.0, math.inf),  # one-sided
    (0.0, 1.0, -0.01, 0.02),   # narrow around the mean
    (2.0, 1.0, -4.0, -3.0),    # interval far from the mean
])
def test_trunc_normal_bounds_and_moments(mean, std, a, b):
    t = cg.zeros(200, 200, dtype=cg.float64)
    init.trunc_normal_(t, mean, std, a, b, generator=cg.Generator(5))
    assert t.data.min() >= a and t.data.max() <= b
    m, v = _truncnorm_moments(mean, std, a, b)
    n = t.numel()
    assert abs(t.data.mean() - m) <= 6 * math.sqrt(v / n)
    assert abs(t.data.var() - v) <= 0.05 * v


def test_trunc_normal_matches_torch_for_the_defaults():
    ours = init.trunc_normal_(cg.zeros(300, 300, dtype=cg.float64), generator=cg.Generator(0)).data
    ref = torch.nn.init.trunc_normal_(torch.zeros(300, 300, dtype=torch.float64)).numpy()
    assert ref.min() >= -2 and ref.max() <= 2
    assert abs(ours.var() - ref.var()) < 0.02
    with pytest.raises(ValueError, match="must be less than b"):
        init.trunc_normal_(cg.zeros(3), a=1.0, b=1.0)
    assert np.all(init.trunc_normal_(cg.zeros(4), mean=5.0, std=0.0, a=-1, b=2).data == 2.0)


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 4), (6, 2, 3, 3), (20, 2, 2), (1, 7), (7, 1)])
@pytest.mark.parametrize("gain", [1.0, 2.0])
def test_orthogonal(shape, gain):
    t = cg.zeros(*shape, dtype=cg.float64)
    init.orthogonal_(t, gain=gain, generator=cg.Generator(0))
    w = t.data.reshape(shape[0], -1)
    rows, cols = w.shape
    if rows <= cols:
        np.testing.assert_allclose(w @ w.T, gain**2 * np.eye(rows), atol=1e-12)
    else:
        np.testing.assert_allclose(w.T @ w, gain**2 * np.eye(cols), atol=1e-12)
    ref = torch.nn.init.orthogonal_(torch.zeros(shape, dtype=torch.float64), gain=gain).reshape(rows, -1).numpy()
    small = ref @ ref.T if rows <= cols else ref.T @ ref
    np.testing.assert_allclose(small, gain**2 * np.eye(min(rows, cols)), atol=1e-12)  # same contract as torch


def test_orthogonal_float32_and_errors():
    t = init.orthogonal_(cg.zeros(8, 16), generator=cg.Generator(0))
    np.testing.assert_allclose(t.data @ t.data.T, np.eye(8), atol=1e-5)
    with pytest.raises(cg.ShapeError, match="at least 2 dimensions"):
        init.orthogonal_(cg.zeros(4))


def test_constant_zeros_ones_eye_match_torch():
    for ours, ref in [
        (init.constant_(cg.zeros(2, 3), 0.25), torch.nn.init.constant_(torch.zeros(2, 3), 0.25)),
        (init.zeros_(cg.ones(2, 3)), torch.nn.init.zeros_(torch.ones(2, 3))),
        (init.ones_(cg.zeros(4)), torch.nn.init.ones_(torch.zeros(4))),
        (init.eye_(cg.zeros(3, 5)), torch.nn.init.eye_(torch.zeros(3, 5))),
        (init.eye_(cg.zeros(4, 2)), torch.nn.init.eye_(torch.zeros(4, 2))),
    ]:
        np.testing.assert_array_equal(ours.data, ref.numpy())
    with pytest.raises(cg.ShapeError, match="eye_: expected a 2-D tensor"):
        init.eye_(cg.zeros(2, 2, 2))


# --------------------------------------------------------------------------- reproducibility and in-place

RANDOM_INITS = [
    lambda t, g: init.uniform_(t, -1, 1, generator=g),
    lambda t, g: init.normal_(t, 0, 1, generator=g),
    lambda t, g: init.trunc_normal_(t, generator=g),
    lambda t, g: init.xavier_uniform_(t, generator=g),
    lambda t, g: init.xavier_normal_(t, generator=g),
    lambda t, g: init.kaiming_uniform_(t, generator=g),
    lambda t, g: init.kaiming_normal_(t, generator=g),
    lambda t, g: init.orthogonal_(t, generator=g),
]


@pytest.mark.parametrize("fill", RANDOM_INITS)
def test_generator_and_manual_seed_reproducibility(fill):
    a, b, c = (cg.zeros(6, 4) for _ in range(3))
    fill(a, cg.Generator(11))
    fill(b, cg.Generator(11))
    fill(c, cg.Generator(12))
    assert np.array_equal(a.data, b.data) and not np.array_equal(a.data, c.data)
    # an explicit generator leaves the default one alone
    cg.manual_seed(99)
    state = cg.default_generator.get_state()
    fill(cg.zeros(6, 4), cg.Generator(1))
    assert cg.default_generator.get_state() == state
    # manual_seed drives the default draws
    d, e = cg.zeros(6, 4), cg.zeros(6, 4)
    cg.manual_seed(5)
    fill(d, None)
    cg.manual_seed(5)
    fill(e, None)
    assert np.array_equal(d.data, e.data)


def test_init_is_in_place_without_graph():
    p = nn.Parameter(cg.zeros(3, 4))
    version = p._version
    out = init.kaiming_uniform_(p, generator=cg.Generator(0))  # no GradError although p requires grad
    assert out is p and p.requires_grad and p.grad_fn is None and p._version > version
    arr = np.zeros((3, 4))
    assert init.normal_(arr, generator=cg.Generator(0)) is arr and arr.std() > 0  # plain arrays work too
    with pytest.raises(TypeError, match="expected a chalkgrad Tensor"):
        init.zeros_([1.0, 2.0])


def test_mode_error():
    with pytest.raises(ValueError, match="mode must be 'fan_in' or 'fan_out'"):
        init.kaiming_uniform_(cg.zeros(2, 2), mode="fan_avg")
