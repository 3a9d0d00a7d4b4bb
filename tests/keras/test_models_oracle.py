"""Whole models against Keras 3: the same source builds both; summaries, configs and predictions must agree."""

import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")

import chalkgrad as cg  # noqa: E402
from chalkgrad import keras as ck  # noqa: E402
from chalkgrad.errors import ChalkgradError, DataError, ShapeError  # noqa: E402


def cnn(k):
    return k.Sequential([k.layers.Conv2D(32, (5, 5), activation="relu", input_shape=(28, 28, 1)),
                         k.layers.MaxPooling2D((2, 2)), k.layers.BatchNormalization(),
                         k.layers.Conv2D(16, 3, strides=2, padding="same"), k.layers.Flatten(),
                         k.layers.Dropout(0.5), k.layers.Dense(10, activation="softmax")])


def mlp_functional(k):
    inputs = k.Input(shape=(768,))
    x = k.layers.Dense(30, activation="relu", use_bias=False)(inputs)
    x = k.layers.Dropout(0.2)(x)
    x = k.layers.Dense(20, activation="relu", use_bias=False)(x)
    outputs = k.layers.Dense(3, activation="softmax")(x)
    return k.Model(inputs=inputs, outputs=outputs)


def skip(k):
    inputs = k.Input((16, 16, 3))
    x = k.layers.Conv2D(8, 3, padding="same", activation="relu")(inputs)
    y = k.layers.Conv2D(8, 3, padding="same")(x)
    y = k.layers.BatchNormalization()(y)
    z = k.layers.Add()([x, y])
    z = k.layers.GlobalAveragePooling2D()(z)
    a = k.layers.Dense(4, activation="softmax", name="cls")(z)
    b = k.layers.Dense(1, name="reg")(z)
    return k.Model(inputs, [a, b])


def two_inputs(k):
    left, right = k.Input((5,), name="left"), k.Input((3,), name="right")
    shared = k.layers.Dense(4, activation="tanh")
    merged = k.layers.Concatenate()([shared(k.layers.Dense(5)(left)), k.layers.Dense(4)(right)])
    return k.Model([left, right], k.layers.Dense(1, activation="sigmoid")(merged))


def sentiment(k):
    return k.Sequential([k.Input((20,)), k.layers.Embedding(100, 16), k.layers.LSTM(32, dropout=0.2),
                         k.layers.Dense(1, activation="sigmoid")])


def bigru(k):
    return k.Sequential([k.Input((12, 4)), k.layers.Bidirectional(k.layers.GRU(8, return_sequences=True)),
                         k.layers.Bidirectional(k.layers.LSTM(4)), k.layers.Dense(2, activation="softmax")])


def bn_dense_conv1d(k):
    return k.Sequential([k.Input((30, 2)), k.layers.Conv1D(8, 5, activation="relu"), k.layers.BatchNormalization(),
                         k.layers.MaxPooling1D(2), k.layers.Flatten(), k.layers.Dense(16),
                         k.layers.BatchNormalization(), k.layers.Activation("relu"), k.layers.Dense(1)])


def separable(k):
    return k.Sequential([k.Input((12, 12, 3)), k.layers.SeparableConv2D(6, 3, padding="same"),
                         k.layers.DepthwiseConv2D(3, strides=2, padding="same", depth_multiplier=2),
                         k.layers.Conv2DTranspose(4, 3, strides=2, padding="same"),
                         k.layers.ZeroPadding2D(1), k.layers.UpSampling2D(), k.layers.GlobalMaxPooling2D()])


def shared(k):
    a, b = k.Input((4,)), k.Input((4,))
    encode = k.layers.Dense(3, activation="relu")
    return k.Model([a, b], k.layers.Subtract()([encode(a), encode(b)]))


BUILDERS = [cnn, mlp_functional, skip, two_inputs, sentiment, bigru, bn_dense_conv1d, separable, shared]


def _inputs(model, n=3):
    rng = np.random.default_rng(0)
    out = []
    for t in model.inputs:
        shape = (n,) + tuple(t.shape[1:])
        out.append(rng.integers(0, 100, shape) if "Embedding" in [type(lay).__name__ for lay in model.layers]
                   else rng.standard_normal(shape).astype("float32"))
    return out if len(out) > 1 else out[0]


def _both(builder):
    keras.backend.clear_session()
    ck.backend.clear_session()
    return builder(keras), builder(ck)


def _summary(model, lib):
    lines = []
    model.summary(print_fn=lambda s, **_: lines.append(s))
    return "\n".join(lines)


@pytest.mark.parametrize("builder", BUILDERS, ids=[b.__name__ for b in BUILDERS])
def test_summary_text_equals_keras(builder):
    km, cm = _both(builder)
    kt = _summary(km, "keras").rstrip("\n").split("\n")
    ct = _summary(cm, "chalkgrad").split("\n")
    assert [line.rstrip() for line in ct] == [line.rstrip() for line in kt]


@pytest.mark.parametrize("builder", BUILDERS, ids=[b.__name__ for b in BUILDERS])
def test_predictions_equal_keras_after_copying_weights(builder):
    km, cm = _both(builder)
    assert cm.count_params() == km.count_params()
    assert [w.shape for w in cm.weights] == [tuple(w.shape) for w in km.weights]
    assert [layer.name for layer in cm.layers] == [layer.name for layer in km.layers]
    rng = np.random.default_rng(5)
    weights = [rng.standard_normal(tuple(w.shape)).astype("float32") * 0.3 for w in km.weights]
    weights = [np.abs(w) + 0.5 if "variance" in kw.path else w for w, kw in zip(weights, km.weights)]
    km.set_weights(weights)
    cm.set_weights(km.get_weights())
    x = _inputs(km)
    kp, cp = km.predict(x, verbose=0), cm.predict(x)
    for a, b in zip(cp if isinstance(cp, list) else [cp], kp if isinstance(kp, list) else [kp]):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("builder", BUILDERS, ids=[b.__name__ for b in BUILDERS])
def test_model_config_equals_keras(builder):
    km, cm = _both(builder)
    kc, cc = km.get_config(), cm.get_config()
    assert cc == kc
    clone = type(cm).from_config(cc)
    assert clone.count_params() == cm.count_params()
    assert [layer.name for layer in clone.layers] == [layer.name for layer in cm.layers]


def test_functional_api_cut_get_layer_and_shared_layers():
    ck.backend.clear_session()
    model = skip(ck)
    cut = ck.Model(inputs=model.inputs, outputs=model.layers[-2].output)
    assert cut.predict(np.zeros((2, 16, 16, 3), np.float32)).shape == (2, 4)
    assert model.get_layer("cls").output.shape == (None, 4)
    assert model.get_layer("add").input[0].shape == (None, 16, 16, 8)
    twin = shared(ck)
    encode = twin.layers[2]
    assert len(encode._inbound_nodes) == 2 and twin.count_params() == 15
    out = twin.predict([np.ones((1, 4)), np.ones((1, 4))])
    np.testing.assert_array_equal(out, np.zeros((1, 3)))  # the same weights on the same input
    assert isinstance(ck.Input((3,)), ck.layers.KerasTensor) and ck.Input((3,)).shape == (None, 3)
    with pytest.raises(ChalkgradError, match="no layer named"):
        model.get_layer("nope")


def test_sequential_layers_leave_out_the_input_layer_and_fit_checks_data():
    model = cnn(ck)
    assert type(model.layers[0]).__name__ == "Conv2D"
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    with pytest.raises(DataError, match="no samples"):
        model.fit(np.zeros((0, 28, 28, 1), np.float32), np.zeros(0, np.int64), verbose=0)
    with pytest.raises(ShapeError, match="expected inputs of shape"):
        model.predict(np.zeros((2, 1, 28, 28), np.float32))


def test_fit_multi_input_and_multi_output_and_class_weight():
    cg.manual_seed(0)
    model = two_inputs(ck)
    model.compile(ck.optimizers.Adam(learning_rate=0.01), "binary_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((200, 5)).astype("float32"), rng.standard_normal((200, 3)).astype("float32")
    y = (a[:, 0] + b[:, 0] > 0).astype("float32")
    h = model.fit([a, b], y, epochs=15, batch_size=20, verbose=0, validation_split=0.2,
                  class_weight={0: 1.0, 1: 2.0})
    assert h.history["accuracy"][-1] > 0.85 and "val_loss" in h.history
    multi = skip(ck)
    multi.compile("adam", ["sparse_categorical_crossentropy", "mse"])
    x = rng.standard_normal((16, 16, 16, 3)).astype("float32")
    h = multi.fit(x, [rng.integers(0, 4, 16), rng.standard_normal((16, 1)).astype("float32")], epochs=2, verbose=0)
    assert len(h.history["loss"]) == 2 and np.isfinite(h.history["loss"]).all()


def test_optimizer_defaults_and_schedules_follow_keras():
    for name in ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "Nadam"):
        kc = getattr(keras.optimizers, name)().get_config()
        cc = getattr(ck.optimizers, name)().get_config()
        for key, value in cc.items():
            if key in kc and key != "name":
                assert value == pytest.approx(kc[key]), (name, key)
    for name, kwargs in [("ExponentialDecay", dict(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.5)),
                         ("InverseTimeDecay", dict(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.5,
                                                   staircase=True)),
                         ("PiecewiseConstantDecay", dict(boundaries=[3, 7], values=[1.0, 0.5, 0.1])),
                         ("CosineDecay", dict(initial_learning_rate=0.1, decay_steps=20, alpha=0.1))]:
        ks = getattr(keras.optimizers.schedules, name)(**kwargs)
        cs = getattr(ck.optimizers.schedules, name)(**kwargs)
        for step in (0, 1, 5, 7, 8, 19, 30):
            assert cs(step) == pytest.approx(float(keras.ops.convert_to_numpy(ks(step))), rel=1e-6), (name, step)


def test_utils_match_keras():
    y = np.array([0, 2, 1, 2])
    np.testing.assert_array_equal(ck.utils.to_categorical(y), keras.utils.to_categorical(y))
    np.testing.assert_array_equal(ck.utils.to_categorical(y, 5), keras.utils.to_categorical(y, 5))
    with pytest.raises(DataError):
        ck.utils.to_categorical([-1, 2])


def test_subclassed_model_trains_and_summarizes_like_keras():
    def make(k):
        class Net(k.Model):
            def __init__(self):
                super().__init__()
                self.hidden = k.layers.Dense(8, activation="relu")
                self.out = k.layers.Dense(2)

            def call(self, x):
                return self.out(self.hidden(x))

        return Net()

    km, cm = _both(make)
    x, y = np.ones((16, 3), np.float32), np.ones((16, 2), np.float32)
    for m in (km, cm):
        m.compile(optimizer="adam", loss="mse")
        m.fit(x, y, epochs=1, verbose=0)
    cm.set_weights(km.get_weights())
    np.testing.assert_allclose(cm.predict(x), np.asarray(km.predict(x, verbose=0)), rtol=1e-5, atol=1e-6)
    kt = [line.rstrip() for line in _summary(km, "keras").rstrip("\n").split("\n")]
    ct = [line.rstrip() for line in _summary(cm, "chalkgrad").split("\n")]
    assert ct == kt


def test_plot_model_draws_the_layer_graph(tmp_path):
    model = skip(ck)
    path = ck.utils.plot_model(model, str(tmp_path / "model.dot"), show_shapes=True)
    text = open(path).read()
    assert "cls (Dense)" in text and text.count("->") == 8  # one edge per input of each call


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh", "softmax", "elu", "selu", "gelu", "silu", "softplus",
                                  "softsign", "hard_sigmoid", "leaky_relu", "relu6", "linear", "exponential"])
def test_activations_match_keras(name):
    x = np.linspace(-3, 3, 24, dtype="float32").reshape(4, 6)
    ours = ck.activations.get(name)(cg.tensor(x)).detach().numpy()
    np.testing.assert_allclose(ours, np.asarray(keras.ops.convert_to_numpy(keras.activations.get(name)(x))),
                               rtol=1e-5, atol=1e-6)


def test_regularizers_and_initializers_follow_keras():
    w = np.random.default_rng(7).standard_normal((5, 4)).astype("float32")
    pairs = [(keras.regularizers.get(n), ck.regularizers.get(n)) for n in ("l1", "l2")]
    pairs.append((keras.regularizers.L1L2(0.01, 0.02), ck.regularizers.L1L2(0.01, 0.02)))
    for kr, cr in pairs:
        assert cr.get_config() == kr.get_config()
        assert float(cr(cg.tensor(w)).item()) == pytest.approx(float(keras.ops.convert_to_numpy(kr(w))), rel=1e-5)
    for name in ("glorot_uniform", "he_normal", "lecun_uniform", "orthogonal", "random_normal", "zeros", "ones"):
        assert ck.initializers.get(name).get_config() == keras.initializers.get(name).get_config()
        assert type(ck.initializers.get(name)).__name__ == type(keras.initializers.get(name)).__name__
    a = ck.initializers.GlorotUniform(seed=1)((300, 200))
    limit = np.sqrt(6 / 500)
    assert np.abs(a).max() <= limit and np.abs(a).max() > 0.99 * limit
    model = ck.Sequential([ck.Input((5,)), ck.layers.Dense(4, kernel_regularizer=ck.regularizers.L2(0.1))])
    penalty = float(model._regularization_loss().item())
    assert penalty == pytest.approx(0.1 * float((model.get_weights()[0] ** 2).sum()), rel=1e-5)


@pytest.mark.parametrize("name", ["MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError",
                                  "MeanSquaredLogarithmicError", "LogCosh", "Poisson", "CosineSimilarity",
                                  "CategoricalHinge", "Huber", "Hinge", "SquaredHinge", "KLDivergence",
                                  "BinaryCrossentropy", "CategoricalCrossentropy"])
def test_losses_match_keras(name):
    rng = np.random.default_rng(8)
    y = rng.random((6, 4)).astype("float32")
    p = (rng.random((6, 4)) * 0.9 + 0.05).astype("float32")
    if name in ("CategoricalCrossentropy", "CategoricalHinge"):
        y = np.eye(4, dtype="float32")[rng.integers(0, 4, 6)]
    if name in ("BinaryCrossentropy", "Hinge", "SquaredHinge"):
        y = (y > 0.5).astype("float32")
    w = rng.random(6).astype("float32")
    for weights in (None, w):
        ours = getattr(ck.losses, name)()(y, cg.tensor(p), weights).item()
        theirs = float(keras.ops.convert_to_numpy(getattr(keras.losses, name)()(y, p, sample_weight=weights)))
        assert ours == pytest.approx(theirs, rel=1e-5, abs=1e-6)


@pytest.mark.parametrize("name,kwargs", [("SGD", {}), ("SGD", {"momentum": 0.9, "nesterov": True}), ("Adam", {}),
                                         ("Adam", {"epsilon": 1e-3}), ("AdamW", {}), ("Adagrad", {}),
                                         ("Adadelta", {}), ("Adamax", {})])
def test_training_steps_equal_keras(name, kwargs):
    def make(k):
        return k.Sequential([k.Input((4,)), k.layers.Dense(5, activation="tanh"), k.layers.Dense(3)])

    km, cm = _both(make)
    cm.set_weights(km.get_weights())
    rng = np.random.default_rng(9)
    x, y = rng.standard_normal((8, 4)).astype("float32"), rng.standard_normal((8, 3)).astype("float32")
    for m, lib in ((km, keras), (cm, ck)):
        m.compile(optimizer=getattr(lib.optimizers, name)(0.05, **kwargs), loss="mse")
        m.fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0)
    for a, b in zip(cm.get_weights(), km.get_weights()):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-4, atol=2e-5)


@pytest.mark.parametrize("builder", [cnn, skip, two_inputs], ids=["cnn", "skip", "two_inputs"])
def test_model_input_and_output_shapes_are_keras(builder):
    km, cm = _both(builder)
    assert cm.input_shape == km.input_shape and cm.output_shape == km.output_shape
