"""Keras-style Model/Sequential: an end-to-end script, building, compile/fit/evaluate/predict, saving."""

import numpy as np
import pytest

import chalkgrad as cg
from chalkgrad import fit as keras
from chalkgrad.errors import CheckpointError, ConfigError, NumericalError
from chalkgrad.fit import Dense, Dropout, EarlyStopping, Input, Sequential


def blobs(n=300, seed=0):
    """Three well-separated Gaussian blobs in 4-D."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    centers = np.array([[2, 0, 0, 1], [0, 2, 0, -1], [0, 0, 2, 0]], dtype=np.float32)
    x = centers[y] + 0.5 * rng.standard_normal((n, 4)).astype(np.float32)
    return x.astype(np.float32), y.astype(np.int64)


def mlp(seed=0, dropout=0.1):
    cg.manual_seed(seed)
    return Sequential([Dense(16, activation="relu"), Dropout(dropout), Dense(3, activation="softmax")])


def test_keras_style_script_end_to_end():
    x, y = blobs()
    model = mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    stopper = EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
    history = model.fit(x, y, epochs=200, batch_size=16, validation_split=0.2, callbacks=[stopper], verbose=0)
    h = history.history
    assert set(h) == {"loss", "accuracy", "val_loss", "val_accuracy", "lr"}
    assert len(h["loss"]) == len(history.epoch) < 200  # stopped early
    assert h["loss"][-1] < h["loss"][0]
    assert h["val_accuracy"][-1] > 0.95
    loss, acc = model.evaluate(x, y, verbose=0)
    assert acc > 0.95 and loss < 0.3
    probs = model.predict(x[:5])
    assert probs.shape == (5, 3)
    np.testing.assert_allclose(probs.sum(1), 1, rtol=1e-5)
    assert model.evaluate(x, y, return_dict=True)["accuracy"] == pytest.approx(acc)


def test_layers_build_lazily_and_count_parameters_like_keras():
    model = Sequential([Dense(32, activation="relu"), Dense(10)])
    assert not model.built and model.count_parameters() == 0
    out = model(cg.randn(2, 20))
    assert out.shape == (2, 10) and model.built
    assert model.count_parameters() == 20 * 32 + 32 + 32 * 10 + 10  # Keras: 672 + 330
    assert list(model.state_dict()) == ["0.linear.weight", "0.linear.bias", "1.linear.weight", "1.linear.bias"]
    eager = Sequential([Input((20,)), Dense(32, activation="relu"), Dense(10)])
    assert eager.built and eager.count_parameters() == 1002
    assert Sequential([Dense(4, input_shape=(7,))]).count_parameters() == 32
    built_later = Sequential([Dense(4), Dense(2)])
    built_later.build((None, 3))
    assert built_later.count_parameters() == 3 * 4 + 4 + 4 * 2 + 2
    assert built_later.output_shape((5, 3)) == (5, 2)


def test_summary_table(capsys):
    model = Sequential([Input((8,)), Dense(4, activation="relu", name="hidden"), Dense(2, name="out")])
    assert model.summary() is None  # printed once, as Keras 3 (a notebook shows it once)
    text = capsys.readouterr().out
    assert "hidden (Dense)" in text and "(None, 4)" in text and "Total params: 46 (184.00 B)" in text
    lazy = Sequential([Dense(3)])
    with pytest.raises(ConfigError, match="not built"):
        lazy.summary()
    lazy.summary(input_shape=(4,), print_fn=lambda s: None)
    assert lazy.count_params() == 15


def test_model_wraps_any_module_and_fuses_softmax():
    cg.manual_seed(0)
    body = cg.nn.Sequential(cg.nn.Linear(4, 8), cg.nn.Tanh(), cg.nn.Linear(8, 3), cg.nn.Softmax(dim=1))
    model = keras.Model(body)
    model.compile(optimizer={"name": "sgd", "lr": 0.5}, loss="sparse_categorical_crossentropy", metrics=["acc"])
    assert model._fused()
    x, y = blobs(120)
    h = model.fit(x, y, epochs=15, batch_size=20, verbose=0)
    assert h.history["acc"][-1] > 0.9
    assert list(model.state_dict())[0] == "module.0.weight"


def test_fused_loss_equals_probability_loss_when_nothing_is_clipped():
    x, y = blobs(32)
    model = mlp(dropout=0.0)
    model.compile("sgd", "sparse_categorical_crossentropy")
    model.build((4,))
    out, fused = model._forward_for_loss(cg.tensor(x))
    assert fused
    from_logits = model._loss_value(y, out, True, None)
    probs = model(cg.tensor(x))
    direct = keras.losses.SparseCategoricalCrossentropy()(y, probs)
    np.testing.assert_allclose(from_logits.item(), direct.item(), rtol=1e-5)
    onehot = np.eye(3, dtype=np.float32)[y]
    cce = keras.losses.CategoricalCrossentropy()
    np.testing.assert_allclose(cce.per_sample_logits(onehot, out).mean().item(), cce(onehot, probs).item(),
                               rtol=1e-5)


def test_string_registry_errors_list_valid_names():
    model = mlp()
    with pytest.raises(ConfigError, match=r"unknown loss 'mse2'; valid names: .*binary_crossentropy"):
        model.compile("adam", "mse2")
    with pytest.raises(ConfigError, match=r"unknown metric 'acuracy'; valid names: .*accuracy"):
        model.compile("adam", "mse", metrics=["acuracy"])
    with pytest.raises(ConfigError, match=r"unknown activation 'rleu'; valid names: .*relu"):
        Dense(3, activation="rleu")
    x, y = blobs(20)
    model.compile("adamm", "sparse_categorical_crossentropy")
    with pytest.raises(ConfigError, match=r"unknown optimizer 'adamm'; valid names: adadelta, adagrad, adam"):
        model.fit(x, y, verbose=0)
    with pytest.raises(ConfigError, match="not compiled"):
        mlp().fit(x, y)


def test_optimizer_names_use_keras_defaults():
    model = Sequential([Input((4,)), Dense(2)])
    for name in ("sgd", "adam", "rmsprop", "adagrad", "adadelta", "adamw", "nadam", "adamax"):
        model.compile(name, "mse")
        opt = model.optimizer
        expected = {"sgd": 0.01}.get(name, 0.001)
        assert opt.param_groups[0]["lr"] == pytest.approx(expected), name
    model.compile({"name": "adam", "learning_rate": 0.05}, "mse")
    assert model.optimizer.param_groups[0]["lr"] == 0.05


def test_fit_accepts_dataloaders_datasets_and_validation_data():
    from chalkgrad.data import DataLoader, TensorDataset

    x, y = blobs(200)
    ds = TensorDataset(cg.tensor(x), cg.tensor(y))
    model = mlp()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    h = model.fit(DataLoader(ds, batch_size=25, shuffle=True), epochs=3, verbose=0,
                  validation_data=(x[:50], y[:50]))
    assert len(h.history["val_loss"]) == 3
    h2 = model.fit(ds, epochs=1, verbose=0)
    assert "loss" in h2.history
    assert model.predict(DataLoader(ds, batch_size=64)).shape == (200, 3)


def test_class_weight_scales_the_loss():
    x, y = blobs(40)
    model = mlp(dropout=0.0)
    model.compile({"name": "sgd", "lr": 0.0}, "sparse_categorical_crossentropy")
    base = model.fit(x, y, epochs=1, batch_size=40, shuffle=False, verbose=0).history["loss"][0]
    doubled = model.fit(x, y, epochs=1, batch_size=40, shuffle=False, verbose=0,
                        class_weight={0: 2.0, 1: 2.0, 2: 2.0}).history["loss"][0]
    assert doubled == pytest.approx(2 * base, rel=1e-5)
    with pytest.raises(ConfigError, match="class_weight has no entry for class"):
        model.fit(x, y, epochs=1, verbose=0, class_weight={0: 1.0})


def test_nan_loss_raises_numerical_error_naming_epoch_and_step():
    x, y = blobs(40)
    x[25] = np.nan
    model = mlp()
    model.compile("sgd", "sparse_categorical_crossentropy")
    with pytest.raises(NumericalError, match=r"epoch 1, step 3"):
        model.fit(x, y, epochs=2, batch_size=10, shuffle=False, verbose=0)
    assert all(np.isfinite(w).all() for w in model.get_weights())  # the NaN step was not applied
    h = model.fit(x, y, epochs=2, batch_size=10, shuffle=False, verbose=0, on_nan="stop")
    assert len(h.epoch) == 1
    h = model.fit(x, y, epochs=2, batch_size=10, shuffle=False, verbose=0,
                  callbacks=[keras.TerminateOnNaN()])
    assert len(h.epoch) == 1
    model.fit(x, y, epochs=1, batch_size=10, shuffle=False, verbose=0, on_nan="continue")
    assert not all(np.isfinite(w).all() for w in model.get_weights())


def test_verbose_output_one_line_per_epoch_when_not_a_terminal(capsys):
    x, y = blobs(40)
    model = mlp()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=2, verbose=1, validation_split=0.25)
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 2 and out[0].startswith("Epoch 1/2 - ")
    assert "loss: " in out[0] and "val_accuracy: " in out[1]
    model.fit(x, y, epochs=2, verbose=0)
    assert capsys.readouterr().out == ""


def test_progress_bar_on_a_terminal():
    import io

    from chalkgrad.fit.progress import ProgbarLogger

    class Tty(io.StringIO):
        def isatty(self):
            return True

    buf = Tty()
    bar = ProgbarLogger(1, file=buf)
    bar.set_params({"epochs": 1, "steps": 3})
    bar.on_epoch_begin(0)
    for i in range(3):
        bar.on_train_batch_end(i, {"loss": 0.5})
    bar.on_epoch_end(0, {"loss": 0.5, "val_loss": 0.4})
    text = buf.getvalue()
    assert "Epoch 1/1" in text and "3/3" in text and "val_loss: 0.4000" in text


def test_save_and_load_model_round_trip(tmp_path):
    x, y = blobs(60)
    model = mlp()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=2, verbose=0)
    path = tmp_path / "model.npz"
    model.save(path)
    back = keras.load_model(path)
    np.testing.assert_array_equal(back.predict(x), model.predict(x))
    assert [type(layer).__name__ for layer in back.layers] == ["Dense", "Dropout", "Dense"]
    assert back.optimizer is not None and back.optimizer.state  # optimizer state restored
    weights = tmp_path / "w.npz"
    model.save_weights(weights)
    other = mlp(seed=3)
    other.build((4,))
    other.load_weights(weights)
    np.testing.assert_array_equal(other.predict(x), model.predict(x))
    with pytest.raises(CheckpointError, match="not a saved model"):
        keras.load_model(weights)
    with pytest.raises(ConfigError, match="no architecture config"):
        keras.Model(cg.nn.Linear(2, 2)).save(tmp_path / "m.npz")


def test_resume_from_model_save_equals_straight_training(tmp_path):
    x, y = blobs(64)

    def fresh():
        m = mlp(seed=0, dropout=0.2)
        m.compile("adam", "sparse_categorical_crossentropy")
        return m

    straight = fresh()
    straight.fit(x, y, epochs=3, batch_size=16, verbose=0)

    first = fresh()
    first.fit(x, y, epochs=2, batch_size=16, verbose=0)
    first.save(tmp_path / "ckpt.npz", epoch=2)
    rng_state = cg.default_generator.get_state()
    cg.manual_seed(77)
    resumed = keras.load_model(tmp_path / "ckpt.npz")
    cg.default_generator.set_state(rng_state)
    resumed.fit(x, y, epochs=3, initial_epoch=resumed.saved_epoch, batch_size=16, verbose=0)
    for a, b in zip(straight.get_weights(), resumed.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_regression_and_binary_losses_train():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((128, 3)).astype(np.float32)
    w = np.array([[1.0], [-2.0], [0.5]], dtype=np.float32)
    model = Sequential([Input((3,)), Dense(1)])
    model.compile({"name": "sgd", "lr": 0.1}, "mse", metrics=["mae"])
    h = model.fit(x, x @ w, epochs=30, batch_size=32, verbose=0)
    assert h.history["loss"][-1] < 1e-3 and h.history["mae"][-1] < 0.05
    yb = (x[:, 0] > 0).astype(np.float32)[:, None]
    clf = Sequential([Input((3,)), Dense(1, activation="sigmoid")])
    clf.compile({"name": "sgd", "lr": 0.5}, "binary_crossentropy", metrics=["accuracy", "precision", "auc"])
    assert clf._fused()
    h = clf.fit(x, yb, epochs=20, batch_size=32, verbose=0)
    assert h.history["accuracy"][-1] > 0.95 and h.history["auc"][-1] > 0.98


def test_float64_models_and_one_hot_targets():
    x, y = blobs(60)
    model = Sequential([Input((4,)), Dense(8, activation="tanh"), Dense(3, activation="softmax")]).double()
    model.compile("adam", "categorical_crossentropy", metrics=["accuracy", "precision", "f1"])
    h = model.fit(x, np.eye(3)[y], epochs=2, verbose=0)
    assert set(h.history) == {"loss", "accuracy", "precision", "f1", "lr"}
    assert model.predict(x[:2]).dtype == np.float64
    assert all(p.dtype == np.float64 for p in model.parameters())
