"""LeNet-5: parameter count, static shapes and MACs, torch equivalence, digits training."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest

import chalkgrad as cg
from chalkgrad import models

from . import torch_refs


def _pool_macs(model, shape):
    """MACs the pooling layers report themselves (whatever their convention), at their input shapes."""
    total = 0
    for m in model.features:
        if type(m).__name__ in ("AvgPool2d", "MaxPool2d"):
            total += m.macs(shape)
        shape = m.output_shape(shape)
    return total


@pytest.mark.parametrize("builder", [models.lenet5, models.lenet5_relu])
def test_parameter_count(builder):
    model = builder()
    assert model.count_parameters() == 61_706
    assert sum(p.numel() for p in model.parameters()) == 61_706
    assert models.lenet5_num_parameters() == 61_706
    assert models.lenet5_num_parameters(num_classes=5, in_channels=3) == builder(5, 3).count_parameters()


@pytest.mark.parametrize(("padding", "size"), [(0, 32), (2, 28)])
def test_static_shapes_and_macs(padding, size):
    model = models.lenet5(padding=padding)
    shape = (2, 1, size, size)
    assert model.output_shape(shape) == (2, 10)
    with cg.no_grad():
        out = model(cg.randn(*shape))
    assert out.shape == (2, 10)
    # C1 28·28·6·25 + C3 10·10·16·150 + C5 120·400 + F6 120·84 + out 84·10, per image
    conv_linear = 2 * (28 * 28 * 6 * 25 + 10 * 10 * 16 * 150 + 120 * 400 + 120 * 84 + 84 * 10)
    assert model.macs(shape) == conv_linear + _pool_macs(model, shape)


def test_state_dict_keys_and_repr():
    model = models.lenet5()
    assert list(model.state_dict()) == [
        "features.0.weight", "features.0.bias", "features.3.weight", "features.3.bias",
        "features.6.weight", "features.6.bias", "classifier.0.weight", "classifier.0.bias",
        "classifier.2.weight", "classifier.2.bias"]
    assert repr(model).startswith("LeNet5(\n  (features): Sequential(")


@pytest.mark.parametrize(("activation", "pooling", "padding", "dtype"), [
    ("tanh", "avg", 0, np.float64), ("relu", "max", 2, np.float32), ("sigmoid", "avg", 2, np.float32)])
def test_matches_torch(activation, pooling, padding, dtype):
    size = 32 - 2 * padding
    ref = torch_refs.lenet5(7, 2, activation, pooling, padding)
    model = models.LeNet5(7, 2, activation=activation, pooling=pooling, padding=padding)
    x = np.random.default_rng(0).standard_normal((3, 2, size, size))
    torch_refs.compare(ref, model, x, dtype=dtype, atol=1e-10 if dtype == np.float64 else 1e-4)


def test_generator_makes_weights_reproducible():
    a = models.lenet5(generator=5).state_dict()
    b = models.lenet5(generator=cg.Generator(5)).state_dict()
    c = models.lenet5(generator=6).state_dict()
    assert all(np.array_equal(a[k].numpy(), b[k].numpy()) for k in a)
    assert not np.array_equal(a["features.0.weight"].numpy(), c["features.0.weight"].numpy())
    bound = 1 / np.sqrt(25)  # torch's default: U(±1/√fan_in), fan_in = 1·5·5
    assert np.abs(a["features.0.weight"].numpy()).max() <= bound


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"activation": "gelu"}, "activation"), ({"pooling": "median"}, "pooling"), ({"padding": -1}, "padding")])
def test_bad_options(kwargs, match):
    with pytest.raises(cg.ConfigError, match=match):
        models.LeNet5(**kwargs)


def test_wrong_input_size_names_the_layer():
    model = models.lenet5()
    with pytest.raises(cg.ShapeError):
        model.output_shape((1, 1, 28, 28))  # 28x28 needs padding=2: C5 would see 4x4 < 5x5
    with pytest.raises(cg.ShapeError, match="features"):
        model(cg.randn(1, 1, 28, 28))


def _one_blas_thread():
    """Tiny GEMMs run faster on one BLAS thread (and much faster when other processes load the CPUs)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl is a dev dependency
        return contextlib.nullcontext()
    return threadpool_limits(1)


def test_lenet_trains_on_digits():
    """A LeNet for 8x8 images reaches >= 97% test accuracy on scikit-learn's digits in 8 short epochs."""
    from sklearn.datasets import load_digits

    data = load_digits()
    x = (data.data / 16.0).astype(np.float32).reshape(-1, 1, 8, 8)
    y = data.target.astype(np.int64)
    rng = np.random.default_rng(0)
    order = rng.permutation(len(x))
    train, test = order[:1437], order[1437:]  # 80% / 20%
    model = models.lenet_digits(generator=0)
    opt = cg.optim.Adam(model.parameters(), lr=1e-2)
    with _one_blas_thread():
        for _ in range(8):
            model.train()
            perm = rng.permutation(train)
            for i in range(0, len(perm), 32):
                idx = perm[i:i + 32]
                loss = cg.nn.functional.cross_entropy(model(cg.tensor(x[idx])), cg.tensor(y[idx]))
                opt.zero_grad()
                loss.backward()
                opt.step()
            for group in opt.param_groups:
                group["lr"] *= 0.75
        model.eval()
        with cg.no_grad():
            pred = model(cg.tensor(x[test])).numpy().argmax(axis=1)
    accuracy = (pred == y[test]).mean()
    assert accuracy >= 0.97, f"test accuracy {accuracy:.3f}"
