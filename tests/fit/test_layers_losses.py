"""Keras-named layers (lazy building, Keras initializers, configs) and Keras losses vs formulas/PyTorch."""

import math

import numpy as np
import pytest
import torch

import chalkgrad as cg
from chalkgrad.errors import ConfigError, ShapeError
from chalkgrad.fit import (
    Activation,
    BatchNormalization,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    GlobalAveragePooling2D,
    Input,
    MaxPooling2D,
    Reshape,
    Sequential,
    layers,
    losses,
    registry,
)


def test_dense_keras_initialization():
    cg.manual_seed(0)
    d = Dense(300, input_shape=(200,))
    w = d.get_weights()[0]  # Keras layout (in, out)
    limit = math.sqrt(6 / (200 + 300))
    assert w.shape == (200, 300) and np.abs(w).max() <= limit and np.abs(w).max() > 0.95 * limit
    np.testing.assert_array_equal(w.T, d.linear.weight.detach().numpy())  # stored as nn.Linear's (out, in)
    assert np.all(d.get_weights()[1] == 0)
    he = Dense(400, kernel_initializer="he_normal", input_dim=100).get_weights()[0]
    assert abs(he.std() - math.sqrt(2 / 100)) < 0.01 and np.abs(he).max() <= 2 * math.sqrt(2 / 100) / 0.8796 + 1e-6
    with pytest.raises(ConfigError, match="unknown initializer 'glorot'"):
        Dense(3, kernel_initializer="glorot")
    with pytest.raises(ConfigError, match="units must be a positive integer"):
        Dense(0)


@pytest.mark.parametrize("name,fn", [
    ("relu", torch.relu), ("sigmoid", torch.sigmoid), ("tanh", torch.tanh), ("elu", torch.nn.functional.elu),
    ("selu", torch.selu), ("gelu", torch.nn.functional.gelu), ("swish", torch.nn.functional.silu),
    ("softplus", torch.nn.functional.softplus), ("softmax", lambda t: torch.softmax(t, -1)),
    ("linear", lambda t: t), ("leaky_relu", lambda t: torch.nn.functional.leaky_relu(t, 0.2)),
])
def test_activation_strings(name, fn):
    x = np.linspace(-3, 3, 12, dtype=np.float64).reshape(2, 6)
    out = Activation(name)(cg.tensor(x)).numpy()
    np.testing.assert_allclose(out, fn(torch.from_numpy(x)).numpy(), rtol=1e-7, atol=1e-9)


def test_shape_layers_and_errors():
    x = cg.randn(2, 3, 4)
    assert Flatten()(x).shape == (2, 12)
    assert Reshape((4, 3))(x).shape == (2, 4, 3) and Reshape((-1,)).output_shape((2, 3, 4)) == (2, 12)
    d = Dropout(0.5, seed=1)
    d.eval()
    assert d(x) is x
    with pytest.raises(ShapeError, match=r"Input: expected inputs of shape \(batch, 5\)"):
        Sequential([Input((5,)), Dense(2)])(cg.randn(3, 4))
    assert Dense(3).compute_output_shape((None, 4)) == (None, 3)  # static, no build needed (Keras 3)


def test_conv_family_builds_from_channels_last_shapes_with_keras_parameter_counts():
    cg.manual_seed(0)
    model = Sequential([Conv2D(8, 3, padding="same", activation="relu"), MaxPooling2D(2), BatchNormalization(),
                        Conv2D(4, (2, 2)), GlobalAveragePooling2D(), Dense(3, activation="softmax")])
    out = model(cg.randn(2, 8, 8, 3))  # (batch, H, W, C)
    assert out.shape == (2, 3)
    counts = [layer.count_params() for layer in model.layers]
    assert counts == [3 * 9 * 8 + 8, 0, 32, 8 * 4 * 4 + 4, 0, 4 * 3 + 3]  # BN: gamma, beta + moving mean, variance
    assert [w.name for w in model.layers[2].weights] == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert [w.trainable for w in model.layers[2].weights] == [True, True, False, False]
    bn = model.layers[2].bn
    assert bn.eps == 1e-3 and bn.momentum == pytest.approx(0.01)
    assert model.compute_output_shape((5, 8, 8, 3)) == (5, 3)
    with pytest.raises(ConfigError, match="padding must be one of 'valid', 'same'"):
        Conv2D(3, 3, padding="full")


def test_configs_rebuild_every_layer():
    model = Sequential([Input((6, 6, 1)), Conv2D(2, 3, activation="tanh"), MaxPooling2D(2), Flatten(),
                        Dropout(0.1, seed=3), Dense(4, activation="relu", use_bias=False), Activation("softmax")])
    config = model.get_config()
    clone = Sequential.from_config(config)
    assert clone.get_config()["layers"] == config["layers"]
    assert [k for k in clone.state_dict()] == [k for k in model.state_dict()]
    assert "Conv2D" in registry.LAYERS and registry.LAYERS.get("Dense") is Dense
    assert layers.get_layer_class("LSTM").__name__ == "LSTM"
    with pytest.raises(ConfigError, match=r"unknown Keras layer class 'Conv3D'; chalkgrad.keras has: .*Conv2D"):
        layers.get_layer_class("Conv3D")


def _t(a, requires_grad=False):
    return cg.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def test_loss_formulas():
    rng = np.random.default_rng(0)
    y = rng.random((5, 3))
    p = rng.random((5, 3)) * 0.8 + 0.1
    assert losses.MeanSquaredError()(y, _t(p)).item() == pytest.approx(((y - p) ** 2).mean())
    assert losses.MeanAbsoluteError()(y, _t(p)).item() == pytest.approx(np.abs(y - p).mean())
    d = y - p * 3
    hub = np.where(np.abs(d) <= 1, 0.5 * d * d, np.abs(d) - 0.5).mean()
    assert losses.Huber()(y, _t(p * 3)).item() == pytest.approx(hub)
    yb = (y > 0.5).astype(float)
    bce = -(yb * np.log(p) + (1 - yb) * np.log(1 - p)).mean()
    assert losses.BinaryCrossentropy()(yb, _t(p)).item() == pytest.approx(bce)
    q = p / p.sum(1, keepdims=True)
    onehot = np.eye(3)[[0, 2, 1, 1, 0]]
    assert losses.CategoricalCrossentropy()(onehot, _t(p)).item() == pytest.approx(-(onehot * np.log(q)).sum(1).mean())
    assert losses.SparseCategoricalCrossentropy()([0, 2, 1, 1, 0], _t(q)).item() == pytest.approx(
        -np.log(q[np.arange(5), [0, 2, 1, 1, 0]]).mean())
    hinge = np.maximum(1 - (2 * yb - 1) * (p - 0.5), 0).mean()
    assert losses.Hinge()(yb, _t(p - 0.5)).item() == pytest.approx(hinge)
    yq = y / y.sum(1, keepdims=True)
    assert losses.KLDivergence()(yq, _t(q)).item() == pytest.approx((yq * np.log(yq / q)).sum(1).mean())
    # sample weights: sum(w * l) / N, Keras's sum_over_batch_size
    w = np.array([1.0, 0.0, 2.0, 1.0, 1.0])
    per = ((y - p) ** 2).mean(1)
    assert losses.MeanSquaredError()(y, _t(p), w).item() == pytest.approx((per * w).sum() / 5)


def test_probability_losses_clip_like_keras_and_logit_forms_match_torch():
    assert losses.BinaryCrossentropy()([[1.0]], _t([[0.0]])).item() == pytest.approx(-math.log(1e-7), rel=1e-6)
    z = np.random.default_rng(1).standard_normal((6, 4)) * 5
    y = np.array([0, 3, 1, 2, 2, 0])
    zt = _t(z, requires_grad=True)
    loss = losses.SparseCategoricalCrossentropy(from_logits=True)(y, zt)
    loss.backward()
    ref = torch.from_numpy(z).requires_grad_(True)
    rl = torch.nn.functional.cross_entropy(ref, torch.from_numpy(y))
    rl.backward()
    assert loss.item() == pytest.approx(rl.item())
    np.testing.assert_allclose(zt.grad.numpy(), ref.grad.numpy(), rtol=1e-10)
    yb = (z > 0).astype(float)
    bl = losses.BinaryCrossentropy(from_logits=True)(yb, _t(z)).item()
    assert bl == pytest.approx(torch.nn.functional.binary_cross_entropy_with_logits(
        torch.from_numpy(z), torch.from_numpy(yb)).item())


def test_registry_names_and_metric_resolution():
    assert isinstance(registry.get_loss("mse"), losses.MeanSquaredError)
    assert isinstance(registry.get_loss("kld"), losses.KLDivergence)
    from chalkgrad.fit import metrics as M

    assert isinstance(registry.get_metric("accuracy", losses.SparseCategoricalCrossentropy()),
                      M.SparseCategoricalAccuracy)
    assert isinstance(registry.get_metric("accuracy", losses.BinaryCrossentropy()), M.BinaryAccuracy)
    assert isinstance(registry.get_metric("acc", losses.CategoricalCrossentropy()), M.CategoricalAccuracy)
    assert registry.get_metric("top_k_accuracy").k == 5
    with pytest.raises(ConfigError, match="valid names"):
        registry.get_loss("cross_entropy")
    with pytest.raises(ConfigError, match="a loss is required"):
        registry.get_loss(None)
    with pytest.raises(ConfigError, match="needs chalkgrad.optim.Nope"):
        registry.OPTIMIZERS.register("nope", ("Nope", {}))
        try:
            registry.optimizer_class("nope")
        finally:
            registry.OPTIMIZERS._items.pop("nope")


def test_initializers_reject_unknown_names():
    from chalkgrad.keras import initializers

    with pytest.raises(ConfigError, match="unknown initializer 'xavier'"):
        initializers.get("xavier")


@pytest.mark.parametrize("cls,count", [
    ("SimpleRNN", 5 * 8 + 8 * 8 + 8), ("LSTM", 4 * (5 * 8 + 8 * 8 + 8)), ("GRU", 3 * (5 * 8 + 8 * 8 + 2 * 8)),
])
def test_recurrent_layers_have_keras_parameter_counts(cls, count):
    from chalkgrad import fit

    layer = getattr(fit, cls)(8)
    assert layer(cg.randn(2, 7, 5)).shape == (2, 8)
    assert layer.count_parameters() == count and layer.count_params() == count
    seq = getattr(fit, cls)(3, return_sequences=True)
    assert seq(cg.randn(2, 7, 5)).shape == (2, 7, 3) and seq.output_shape((2, 7, 5)) == (2, 7, 3)


def test_lstm_keras_initialization():
    from chalkgrad.fit import LSTM

    kernel, recurrent, bias = LSTM(4, input_shape=(3, 2)).get_weights()
    assert kernel.shape == (2, 16) and recurrent.shape == (4, 16)
    np.testing.assert_array_equal(bias, np.r_[np.zeros(4), np.ones(4), np.zeros(8)])  # unit_forget_bias (i, f, c, o)
    np.testing.assert_allclose(recurrent @ recurrent.T, np.eye(4), atol=1e-6)  # orthogonal (u, 4u), as Keras


def test_embedding_lstm_model_trains_and_round_trips(tmp_path):
    from chalkgrad.fit import LSTM, Embedding, load_model

    rng = np.random.default_rng(0)
    x = rng.integers(0, 20, (64, 6))
    y = (x[:, 0] >= 10).astype(np.int64)
    cg.manual_seed(0)
    model = Sequential([Input((6,)), Embedding(20, 8), LSTM(16), Dense(2, activation="softmax")])
    assert model.count_parameters() == 20 * 8 + 4 * (8 * 16 + 16 * 16 + 16) + 16 * 2 + 2
    printed = []
    assert model.summary(print_fn=printed.append) is None and " (Embedding) " in printed[0]
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    h = model.fit(x, y, epochs=60, batch_size=16, verbose=0)  # Keras's orthogonal (u, 4u) init: a slower start
    assert h.history["accuracy"][-1] > 0.9
    model.save(tmp_path / "m.npz")
    np.testing.assert_array_equal(load_model(tmp_path / "m.npz").predict(x), model.predict(x))
