"""Dropout layers and functions: statistics, eval identity, gradients, seeds, PyTorch's edge cases."""

import numpy as np
import pytest
import torch

import chalkgrad as cg
import chalkgrad.nn.functional as F
from chalkgrad.errors import ConfigError, ShapeError


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dropout_statistics_and_scaling(dtype):
    g = cg.Generator(1)
    x = cg.ones(200_000, dtype=dtype)
    y = F.dropout(x, 0.3, generator=g).numpy()
    assert y.dtype == np.dtype(dtype)
    kept = y != 0
    assert abs(kept.mean() - 0.7) < 0.005          # keep probability 1 - p
    np.testing.assert_allclose(y[kept], 1 / 0.7, rtol=1e-6)   # inverted scaling
    assert abs(y.mean() - 1.0) < 0.01              # expectation preserved


def test_gradient_is_mask_over_keep_probability():
    x = cg.randn(50, 40, dtype="float64", requires_grad=True)
    y = F.dropout(x, 0.4, generator=cg.Generator(3))
    w = cg.randn(50, 40, dtype="float64")
    (y * w).sum().backward()
    mask = (y.detach().numpy() != 0) / 0.6
    np.testing.assert_allclose(x.grad.numpy(), w.numpy() * mask, rtol=1e-12)
    np.testing.assert_allclose(y.detach().numpy(), x.detach().numpy() * mask, rtol=1e-12)


def test_gradcheck_with_fixed_mask():
    x = cg.randn(4, 5, dtype="float64", requires_grad=True)
    assert cg.autograd.gradcheck(lambda t: F.dropout(t, 0.5, generator=cg.Generator(7)), (x,))


def test_eval_mode_is_identity_and_train_mode_is_not():
    layer = cg.nn.Dropout(0.5)
    x = cg.randn(8, 16)
    layer.eval()
    assert layer(x) is x
    assert F.dropout(x, 0.5, training=False) is x
    layer.train()
    assert not np.array_equal(layer(x).numpy(), x.numpy())


def test_seed_reproducibility():
    x = cg.randn(10, 10)
    a = F.dropout(x, 0.5, generator=cg.Generator(5)).numpy()
    b = F.dropout(x, 0.5, generator=cg.Generator(5)).numpy()
    np.testing.assert_array_equal(a, b)
    cg.manual_seed(11)
    c = cg.nn.Dropout(0.5)(x).numpy()
    cg.manual_seed(11)
    d = cg.nn.Dropout(0.5)(x).numpy()
    np.testing.assert_array_equal(c, d)


def test_p_zero_and_p_one_match_torch():
    x = cg.randn(6, 7, requires_grad=True)
    xt = torch.from_numpy(x.detach().numpy().copy()).requires_grad_(True)
    for p in (0.0, 1.0):
        y = F.dropout(x, p)
        yt = torch.nn.functional.dropout(xt, p)
        np.testing.assert_array_equal(y.detach().numpy(), yt.detach().numpy())
        x.grad = None
        xt.grad = None
        y.sum().backward()
        yt.sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), xt.grad.numpy())


@pytest.mark.parametrize("p", [-0.1, 1.5, float("nan"), "a"])
def test_bad_probability_is_a_config_error(p):
    with pytest.raises(ConfigError, match="dropout"):
        F.dropout(cg.ones(3), p)
    with pytest.raises(ConfigError, match="Dropout"):
        cg.nn.Dropout(p)


def test_dropout2d_zeroes_whole_channels():
    x = cg.ones(64, 32, 3, 3)
    y = F.dropout2d(x, 0.5, generator=cg.Generator(0)).numpy()
    per_channel = y.reshape(64, 32, 9)
    assert np.all((per_channel == 0).all(-1) | (per_channel == 2).all(-1))
    assert 0.4 < (per_channel[..., 0] == 0).mean() < 0.6
    unbatched = F.dropout2d(cg.ones(32, 3, 3).unsqueeze(0), 0.5, generator=cg.Generator(0)).numpy()
    assert unbatched.shape == (1, 32, 3, 3)


def test_dropout1d_and_shape_errors():
    y = F.dropout1d(cg.ones(16, 8, 5), 0.5, generator=cg.Generator(0)).numpy()
    assert np.all((y == 0).all(-1) | (y == 2).all(-1))
    with pytest.raises(ShapeError, match=r"dropout1d: expected a 2-D \(C, L\) or 3-D"):
        F.dropout1d(cg.ones(2, 3, 4, 5), 0.5)
    with pytest.warns(UserWarning, match="3-D input"):
        F.dropout2d(cg.ones(2, 3, 4), 0.5)


def test_alpha_dropout_keeps_mean_and_variance():
    x = cg.randn(400_000, generator=cg.Generator(0), dtype="float64")
    y = F.alpha_dropout(x, 0.2, training=True, generator=cg.Generator(1)).numpy()
    assert abs(y.mean()) < 0.01 and abs(y.std() - 1) < 0.01
    assert F.alpha_dropout(x, 0.2) is x  # PyTorch's functional default: training=False
    layer = cg.nn.AlphaDropout(0.2)
    layer.eval()
    assert layer(x) is x


def test_layer_repr_and_static_shapes():
    assert repr(cg.nn.Dropout(0.25)) == repr(torch.nn.Dropout(0.25))
    assert repr(cg.nn.Dropout2d(0.1)) == repr(torch.nn.Dropout2d(0.1))
    assert cg.nn.Dropout().output_shape((4, 5)) == (4, 5)
    assert cg.nn.Dropout().macs((4, 5)) == 0
