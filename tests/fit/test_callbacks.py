"""Callbacks: Keras semantics of each, driven by scripted logs and by real fits."""

import csv
import math

import numpy as np
import pytest

import chalkgrad as cg
from chalkgrad.errors import ConfigError
from chalkgrad.fit import (
    CSVLogger,
    Dense,
    EarlyStopping,
    History,
    Input,
    LambdaCallback,
    LearningRateScheduler,
    ModelCheckpoint,
    ReduceLROnPlateau,
    Sequential,
    TerminateOnNaN,
    load_model,
)


class FakeModel:
    """Just what callbacks touch: stop_training, weights, an optimizer, save/save_weights."""

    def __init__(self, lr=0.1):
        self.stop_training = False
        self.weights = [np.zeros(1)]
        self.optimizer = cg.optim.SGD([cg.zeros(1, requires_grad=True)], lr=lr)
        self.saved = []

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, w):
        self.weights = [a.copy() for a in w]

    def save(self, path, epoch=None):
        self.saved.append(("model", path))

    def save_weights(self, path):
        self.saved.append(("weights", path))


def drive(cb, values, monitor="val_loss", model=None):
    """Run epochs with logs {monitor: v}; the fake model's weight is the epoch number. Returns epochs run."""
    model = model or FakeModel()
    cb.set_model(model)
    cb.on_train_begin()
    ran = 0
    for epoch, v in enumerate(values):
        model.weights = [np.array([float(epoch)])]
        cb.on_epoch_end(epoch, {monitor: v})
        ran += 1
        if model.stop_training:
            break
    cb.on_train_end()
    return ran, model


def test_early_stopping_patience_and_min_delta():
    assert drive(EarlyStopping(patience=2), [1.0, 0.9, 0.95, 0.94, 0.5])[0] == 4
    assert drive(EarlyStopping(patience=0), [1.0, 1.1, 0.5])[0] == 2
    # improvements smaller than min_delta do not count
    assert drive(EarlyStopping(patience=1, min_delta=0.1), [1.0, 0.95, 0.92])[0] == 2
    # mode 'auto' maximizes accuracy-like names
    assert drive(EarlyStopping(monitor="val_accuracy", patience=1), [0.5, 0.6, 0.55, 0.7],
                 monitor="val_accuracy")[0] == 3
    assert drive(EarlyStopping(monitor="loss", mode="max", patience=1), [1.0, 2.0, 3.0], monitor="loss")[0] == 3


def test_early_stopping_never_stops_in_epoch_zero_and_baseline():
    assert drive(EarlyStopping(patience=0, baseline=0.1), [1.0, 0.9, 0.8])[0] == 2
    # with a baseline, improvements that do not beat it do not reset the wait
    assert drive(EarlyStopping(patience=2, baseline=0.5), [1.0, 0.9, 0.8, 0.7])[0] == 2
    assert drive(EarlyStopping(patience=2, baseline=0.5), [1.0, 0.4, 0.3, 0.2, 0.1])[0] == 5


def test_early_stopping_restores_best_weights():
    ran, model = drive(EarlyStopping(patience=2, restore_best_weights=True), [1.0, 0.5, 0.7, 0.8, 0.9])
    assert ran == 4 and model.weights[0][0] == 1.0  # epoch 1 was best
    ran, model = drive(EarlyStopping(patience=5, restore_best_weights=True), [1.0, 0.5, 0.7])
    assert ran == 3 and model.weights[0][0] == 1.0  # also restored when training ends normally (Keras 3)
    _, model = drive(EarlyStopping(patience=5), [1.0, 0.5, 0.7])
    assert model.weights[0][0] == 2.0


def test_missing_monitor_warns_and_bad_mode_raises():
    with pytest.warns(RuntimeWarning, match="'val_loss' is not in the logs"):
        drive(EarlyStopping(), [1.0], monitor="loss")
    with pytest.raises(ConfigError, match="mode must be"):
        EarlyStopping(mode="lowest")


def test_model_checkpoint_formats_paths_and_saves_best_only(tmp_path):
    cb = ModelCheckpoint(str(tmp_path / "m-{epoch:02d}-{val_loss:.2f}.npz"))
    _, model = drive(cb, [0.5, 0.7])
    assert [p for _, p in model.saved] == [str(tmp_path / "m-01-0.50.npz"), str(tmp_path / "m-02-0.70.npz")]
    cb = ModelCheckpoint(str(tmp_path / "best.npz"), save_best_only=True, save_weights_only=True)
    _, model = drive(cb, [0.5, 0.7, 0.4, 0.45])
    assert len(model.saved) == 2 and model.saved[0][0] == "weights"
    cb = ModelCheckpoint(str(tmp_path / "{nope}.npz"))
    with pytest.raises(ConfigError, match=r"uses \{nope\}"):
        drive(cb, [0.5])


def test_model_checkpoint_with_a_real_model(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((40, 3)).astype(np.float32)
    y = (x.sum(1) > 0).astype(np.int64)
    model = Sequential([Input((3,)), Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    cb = ModelCheckpoint(str(tmp_path / "e{epoch}.npz"), monitor="accuracy")
    model.fit(x, y, epochs=2, verbose=0, callbacks=[cb])
    back = load_model(tmp_path / "e2.npz")
    np.testing.assert_array_equal(back.predict(x), model.predict(x))
    assert back.saved_epoch == 2


def test_learning_rate_scheduler():
    model = FakeModel(lr=1.0)
    cb = LearningRateScheduler(lambda epoch, lr: lr * 0.5)
    cb.set_model(model)
    logs = {}
    for e in range(3):
        cb.on_epoch_begin(e)
        cb.on_epoch_end(e, logs)
    assert model.optimizer.param_groups[0]["lr"] == 0.125 and logs["lr"] == 0.125
    cb = LearningRateScheduler(lambda epoch: 0.1 * (epoch + 1))  # one-argument schedules work too
    cb.set_model(model)
    cb.on_epoch_begin(2)
    assert model.optimizer.param_groups[0]["lr"] == pytest.approx(0.3)
    cb = LearningRateScheduler(lambda epoch: float("nan"))
    cb.set_model(model)
    with pytest.raises(ConfigError, match="finite number"):
        cb.on_epoch_begin(0)


def test_reduce_lr_on_plateau():
    model = FakeModel(lr=1.0)
    cb = ReduceLROnPlateau(factor=0.5, patience=2, cooldown=1, min_lr=0.2)
    drive(cb, [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0], model=model)
    # plateau from epoch 1: reduce at epochs 2 (wait 2), then cooldown 1 epoch, wait 2 -> epoch 5, then 8
    assert model.optimizer.param_groups[0]["lr"] == pytest.approx(0.2)  # 1 -> .5 -> .25 -> .2 (min_lr)
    model = FakeModel(lr=1.0)
    drive(ReduceLROnPlateau(factor=0.5, patience=1, min_delta=0.01), [1.0, 0.995, 0.9], model=model)
    assert model.optimizer.param_groups[0]["lr"] == 0.5  # 0.995 is not an improvement > min_delta
    with pytest.raises(ConfigError, match="factor must be in"):
        ReduceLROnPlateau(factor=1.5)


def test_csv_logger(tmp_path):
    path = tmp_path / "log.csv"
    drive(CSVLogger(path), [0.5, 0.25])
    rows = list(csv.reader(path.read_text().splitlines()))
    assert rows == [["epoch", "val_loss"], ["0", "0.5"], ["1", "0.25"]]
    drive(CSVLogger(path, append=True), [0.125])
    rows = list(csv.reader(path.read_text().splitlines()))
    assert rows[-1] == ["0", "0.125"] and len(rows) == 4


def test_terminate_on_nan_and_lambda_and_history():
    model = FakeModel()
    cb = TerminateOnNaN()
    cb.set_model(model)
    cb.on_train_batch_end(0, {"loss": 1.0})
    assert not model.stop_training
    cb.on_train_batch_end(1, {"loss": math.nan})
    assert model.stop_training
    seen = []
    lam = LambdaCallback(on_epoch_end=lambda e, logs: seen.append((e, logs["val_loss"])),
                         on_batch_end=lambda b, logs: seen.append(("batch", b)))
    drive(lam, [0.3])
    lam.on_train_batch_end(4, {})
    assert seen == [(0, 0.3), ("batch", 4)]
    with pytest.raises(ConfigError, match="unknown hooks"):
        LambdaCallback(on_epoch_ends=print)
    h = History()
    drive(h, [0.3, 0.2])
    assert h.history == {"val_loss": [0.3, 0.2]} and h.epoch == [0, 1]


def test_callbacks_in_a_real_fit_see_lr_and_can_stop():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((30, 2)).astype(np.float32)
    model = Sequential([Input((2,)), Dense(1)])
    model.compile({"name": "sgd", "lr": 0.1}, "mse")
    events = []
    stop = LambdaCallback(on_epoch_end=lambda e, logs: (events.append(logs["lr"]),
                                                        setattr(model, "stop_training", e == 1)))
    sched = LearningRateScheduler(lambda e, lr: 0.1 / (e + 1))
    h = model.fit(x, x[:, :1], epochs=5, verbose=0, callbacks=[sched, stop])
    assert len(h.epoch) == 2 and events == pytest.approx([0.1, 0.05]) and h.history["lr"] == pytest.approx(events)
    with pytest.raises(ConfigError, match="Callback instances"):
        model.fit(x, x[:, :1], callbacks=[print], verbose=0)
