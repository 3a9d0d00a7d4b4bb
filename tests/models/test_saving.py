"""Zoo models saved with their architecture: load_model rebuilds them without code."""

import numpy as np
import pytest
import safetensors.numpy

import chalkgrad as cg
from chalkgrad import models
from chalkgrad.errors import CheckpointError, ConfigError


def params_equal(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(np.array_equal(sa[k].numpy(), sb[k].numpy()) for k in sa)


@pytest.mark.parametrize("build", [lambda: models.lenet5(num_classes=5),
                                   lambda: models.resnet18(num_classes=3, in_channels=1),
                                   lambda: models.mobilenet_like(num_classes=4)])
def test_round_trip_with_optimizer_and_epoch(tmp_path, build):
    cg.manual_seed(0)
    model = build()
    if any(isinstance(m, cg.nn.BatchNorm2d) for m in model.modules()):
        model(cg.randn(2, model.zoo_config["kwargs"].get("in_channels", 3), 32, 32))  # running stats move
    opt = cg.optim.Adam(model.parameters(), lr=1e-3)
    for p in model.parameters():
        p.grad = cg.ones_like(p)
    opt.step()
    path = tmp_path / "model.safetensors"
    models.save_model(model, path, optimizer=opt, epoch=7)
    names = set(safetensors.numpy.load_file(path))
    assert {f"weights.{k}" for k in model.state_dict()} | {"optimizer.state.0.exp_avg"} <= names
    fresh_opt_model = models.load_model(path)
    assert params_equal(model, fresh_opt_model) and fresh_opt_model.saved_epoch == 7
    assert fresh_opt_model.zoo_config == model.zoo_config
    opt2 = cg.optim.Adam(fresh_opt_model.parameters(), lr=1e-3)
    models.load_model(path, optimizer=opt2)
    assert opt2.state_dict()["state"].keys() == opt.state_dict()["state"].keys()


def test_models_not_from_the_zoo_and_other_files_are_refused(tmp_path):
    with pytest.raises(ConfigError, match="not built by a chalkgrad.models builder"):
        models.save_model(cg.nn.Linear(2, 2), tmp_path / "x.npz")
    cg.save({"w": np.ones(2)}, tmp_path / "plain.npz")
    with pytest.raises(CheckpointError, match="not a saved zoo model"):
        models.load_model(tmp_path / "plain.npz")


def test_keras_model_wrapping_a_zoo_model_saves_whole(tmp_path):
    from chalkgrad import fit

    model = fit.Model(models.lenet_digits(num_classes=10))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = cg.randn(16, 1, 8, 8), cg.randint(0, 10, (16,))
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    model.save(tmp_path / "m.safetensors")
    assert set(safetensors.numpy.load_file(tmp_path / "m.safetensors")) >= {f"weights.{k}" for k in model.state_dict()}
    again = fit.load_model(tmp_path / "m.safetensors")
    assert params_equal(model, again)
    np.testing.assert_allclose(again.predict(x), model.predict(x), rtol=1e-6)
