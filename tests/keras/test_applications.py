"""keras.applications against Keras 3: the same layers (names, classes, output shapes, parameter counts),
totals and, with Keras' weights copied in, the same predictions. Small inputs keep it quick."""

from __future__ import annotations

import os
import re

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")

from chalkgrad.errors import ConfigError  # noqa: E402

CASES = {
    "vgg16_notop": ("VGG16", dict(include_top=False, input_shape=(32, 32, 3))),
    "vgg19_maxpool": ("VGG19", dict(include_top=False, input_shape=(32, 32, 3), pooling="max")),
    "resnet50_avg": ("ResNet50", dict(include_top=False, input_shape=(32, 32, 3), pooling="avg")),
    "mobilenet_top": ("MobileNet", dict(input_shape=(32, 32, 3), classes=7, alpha=0.5,
                                        classifier_activation=None)),
}


def shape_of(tensor):
    return tuple(None if s is None else int(s) for s in tensor.shape)


def figures(model):
    rows = [(layer.name, type(layer).__name__, shape_of(layer.output), int(layer.count_params()))
            for layer in model.layers]
    return rows, int(model.count_params()), sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)


def printed_totals(model) -> list:
    """The "Total / Trainable / Non-trainable params: N (size)" lines of the printed summary."""
    lines = []
    model.summary(print_fn=lambda text, *a, **k: lines.append(text))
    return re.findall(r"(Total|Trainable|Non-trainable) params: ([\d,]+) \(([\d.]+ \w+)\)", "\n".join(lines))


def fresh_names():
    """Reset both libraries' automatic layer names (input_layer, input_layer_1, ...)."""
    from chalkgrad.keras import backend

    keras.backend.clear_session()
    backend.clear_session()


@pytest.fixture(scope="module")
def apps():
    from chalkgrad.keras import applications

    return applications


@pytest.mark.parametrize("case", sorted(CASES))
def test_same_model_as_keras(case, apps):
    name, kwargs = CASES[case]
    fresh_names()
    theirs = getattr(keras.applications, name)(weights=None, **kwargs)
    ours = getattr(apps, name)(weights=None, **kwargs)
    assert ours.name == theirs.name
    assert figures(ours) == figures(theirs)
    assert printed_totals(ours) == printed_totals(theirs) != []
    for k_layer, c_layer in zip(theirs.layers, ours.layers):
        weights = k_layer.get_weights()
        if type(k_layer).__name__ == "BatchNormalization":  # make the moving statistics matter
            rng = np.random.default_rng(len(weights[0]))
            weights = [w + rng.uniform(0, 0.5, w.shape).astype("float32") for w in weights]
            k_layer.set_weights(weights)
        c_layer.set_weights(weights)
    x = np.random.default_rng(0).random((1, 32, 32, 3)).astype("float32")
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-3, atol=1e-4)


def test_weights_file_from_keras(tmp_path, apps):
    kwargs = dict(input_shape=(32, 32, 3), include_top=False, alpha=0.25, pooling="avg")
    theirs = keras.applications.MobileNet(weights=None, **kwargs)
    theirs.save_weights(tmp_path / "mobilenet.weights.h5")
    ours = apps.MobileNet(weights=str(tmp_path / "mobilenet.weights.h5"), **kwargs)
    x = np.random.default_rng(1).random((2, 32, 32, 3)).astype("float32")
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-3, atol=1e-5)


def test_input_tensor_and_default_shapes(apps):
    from chalkgrad import keras as ck

    inputs = ck.Input(shape=(64, 64, 3))
    model = apps.MobileNet(include_top=False, alpha=0.25, input_tensor=inputs)
    assert model.inputs[0] is inputs and shape_of(model.output) == (None, 2, 2, 256)
    assert model.name == keras.applications.MobileNet(include_top=False, alpha=0.25, weights=None,
                                                      input_tensor=keras.Input((64, 64, 3))).name
    default = apps.MobileNet(alpha=0.25, classes=3)  # 224x224x3 by default, as in Keras
    assert shape_of(default.inputs[0]) == (None, 224, 224, 3) and shape_of(default.output) == (None, 3)


@pytest.mark.parametrize("weights", ["imagenet", "missing.weights.h5", "model.h5"])
def test_no_download(weights, apps):
    with pytest.raises(ConfigError, match=r"VGG16\(weights=.*(does not download|no download|not download)"):
        apps.VGG16(weights=weights)


def test_bad_arguments(apps):
    with pytest.raises(ConfigError, match=r"ResNet50: pooling must be None, 'avg' or 'max', got 'mean'"):
        apps.ResNet50(include_top=False, input_shape=(32, 32, 3), pooling="mean")
    with pytest.raises(ConfigError, match=r"VGG16: input size must be at least 32x32.*\(16, 16, 3\)"):
        apps.VGG16(include_top=False, input_shape=(16, 16, 3))
    with pytest.raises(ConfigError, match=r"MobileNet: with include_top=True the input_shape must be static"):
        apps.MobileNet(input_shape=(None, None, 3))


def test_input_tensor_must_be_symbolic(apps):
    with pytest.raises(ConfigError, match=r"input_tensor must be a symbolic tensor .* got ndarray"):
        apps.VGG16(include_top=False, input_tensor=np.zeros((1, 32, 32, 3)))
