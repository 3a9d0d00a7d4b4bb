"""Convolutional autoencoders, plain and denoising."""

from __future__ import annotations

import numpy as np
import pytest

import chalkgrad as cg
from chalkgrad import models

from . import torch_refs


def test_shapes_counts_and_torch():
    model = models.ConvAutoencoder(in_channels=2, out_channels=3, widths=(4, 6, 8))
    assert isinstance(model.encoder, cg.nn.Sequential) and isinstance(model.decoder, cg.nn.Sequential)
    assert model.count_parameters() == models.conv_autoencoder_num_parameters(2, 3, (4, 6, 8))
    x = np.random.default_rng(0).standard_normal((2, 2, 16, 8))
    out = torch_refs.compare(torch_refs.ConvAutoencoder(2, 3, (4, 6, 8)), model, x, dtype=np.float64,
                             atol=1e-10, rtol=1e-10)
    assert model.output_shape(x.shape) == out.shape == (2, 3, 16, 8)
    assert model.code_shape(x.shape) == (2, 8, 2, 1)
    with cg.no_grad():
        assert model.encode(cg.tensor(x)).shape == (2, 8, 2, 1)
    shape, total = x.shape, 0
    for m in model.main_path():
        total += m.macs(shape)
        shape = m.output_shape(shape)
    assert model.macs(x.shape) == total
    # encoder convs with outputs 8x4, 4x2, 2x1: H'W'·C'·C·9 each (batch 2)
    assert model.encoder.macs(x.shape) == 2 * 9 * (32 * 4 * 2 + 8 * 6 * 4 + 2 * 8 * 6)


def test_odd_sizes_are_computed_statically():
    model = models.ConvAutoencoder()
    with cg.no_grad():
        out = model(cg.randn(1, 1, 7, 9))
    assert model.output_shape((1, 1, 7, 9)) == tuple(out.shape) == (1, 1, 8, 12)
    with pytest.raises(cg.ShapeError, match="ConvAutoencoder"):
        model.output_shape((1, 3, 8, 8))


def test_denoising_noise_in_training_only_and_seeded():
    x = cg.full((2, 1, 8, 8), 0.5)
    a = models.DenoisingAutoencoder(noise_std=0.3, generator=0, noise_generator=7)
    b = models.DenoisingAutoencoder(noise_std=0.3, generator=0, noise_generator=7)
    with cg.no_grad():
        ya, yb = a(x).numpy(), b(x).numpy()
        np.testing.assert_array_equal(ya, yb)  # same seeds, same noise
        assert not np.array_equal(a(x).numpy(), ya)  # fresh noise on the next call
        a.eval()
        clean = a(x).numpy()
        np.testing.assert_array_equal(clean, a(x).numpy())
        plain = models.ConvAutoencoder(generator=0)
        plain.eval()
        np.testing.assert_allclose(clean, plain(x).numpy())  # eval mode: just the autoencoder
    noisy = a.add_noise(x).numpy()
    assert 0.2 < (noisy - 0.5).std() < 0.4
    clipped = models.DenoisingAutoencoder(noise_std=2.0, clip=True).add_noise(x).numpy()
    assert clipped.min() >= 0 and clipped.max() <= 1
    assert "noise_std=0.3" in repr(a)
    assert a.output_shape((2, 1, 8, 8)) == (2, 1, 8, 8)


def test_denoising_autoencoder_learns():
    rng = np.random.default_rng(0)
    clean = np.zeros((16, 1, 8, 8), np.float32)
    for i in range(16):
        r, c = rng.integers(0, 5, 2)
        clean[i, 0, r:r + 3, c:c + 3] = 1.0
    model = models.DenoisingAutoencoder(widths=(8, 16), noise_std=0.2, generator=0, noise_generator=1)
    opt = cg.optim.Adam(model.parameters(), lr=1e-2)
    x = cg.tensor(clean)
    losses = []
    for _ in range(30):
        loss = cg.nn.functional.mse_loss(model(x), x)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


@pytest.mark.parametrize(("kwargs", "name"), [
    ({"in_channels": 0}, "in_channels"), ({"out_channels": 0}, "out_channels"), ({"widths": ()}, "widths"),
    ({"output_activation": "softmax"}, "output_activation")])
def test_validation(kwargs, name):
    with pytest.raises(cg.ConfigError, match=name):
        models.ConvAutoencoder(**kwargs)
    with pytest.raises(cg.ConfigError, match=name):
        models.DenoisingAutoencoder(**kwargs)


def test_noise_std_validation():
    with pytest.raises(cg.ConfigError, match="noise_std"):
        models.DenoisingAutoencoder(noise_std=-0.1)
