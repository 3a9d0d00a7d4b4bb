"""to_torch / from_torch on containers, zoo models, Keras-style models and unsupported modules."""

import numpy as np
import pytest
import torch

import chalkgrad as cg
from chalkgrad import models
from chalkgrad import nn as cnn
from chalkgrad.errors import ChalkgradError, ConversionError
from chalkgrad.interop import from_torch, register_twin, to_torch


def _out(module, x):
    if isinstance(module, torch.nn.Module):
        with torch.no_grad():
            return module(torch.from_numpy(x)).numpy()
    with cg.no_grad():
        return module(cg.from_numpy(x)).numpy()


def _assert_same_state(a, b, tol):
    sa, sb = a.state_dict(), b.state_dict()
    assert list(sa) == list(sb)
    for k in sa:
        np.testing.assert_allclose(np.asarray(sa[k].detach()), np.asarray(sb[k].detach()), rtol=tol, atol=tol,
                                   err_msg=k)


def _small_head(model, features):
    """The model with a one-layer classifier: the zoo's 4096-wide heads make 60-120M weights, too slow here."""
    model.classifier = cnn.Sequential(cnn.Dropout(0.5), cnn.Linear(features, 4))
    return model


# (id, builder, input shape, whether train mode is deterministic)
ZOO = [
    ("lenet5", lambda: models.lenet5(), (2, 1, 32, 32), True),
    ("lenet5_relu", lambda: models.lenet5_relu(), (2, 1, 32, 32), True),
    ("lenet_digits", lambda: models.lenet_digits(), (3, 1, 8, 8), True),
    ("alexnet", lambda: _small_head(models.alexnet(num_classes=5), 256 * 6 * 6), (1, 3, 64, 64), False),
    ("vgg-bn", lambda: _small_head(models.VGG(models.make_vgg_features([8, "M", 512, "M"], batch_norm=True),
                                              num_classes=4), 512 * 7 * 7), (2, 3, 16, 16), False),
    ("resnet18", lambda: models.resnet18(num_classes=7), (2, 3, 32, 32), True),
    ("nin", lambda: models.nin(num_classes=10, widths=(8, 16, 24)), (1, 3, 80, 80), False),
    ("mobilenet_like", lambda: models.mobilenet_like(num_classes=6, width_mult=0.25), (2, 3, 32, 32), False),
    ("fcn", lambda: models.fcn(in_channels=3, num_classes=4), (2, 3, 16, 16), True),
    ("segnet", lambda: models.segnet(in_channels=2, num_classes=3, widths=(4, 8)), (2, 2, 12, 12), True),
    ("conv_autoencoder", lambda: models.ConvAutoencoder(1, widths=(4, 8)), (2, 1, 12, 12), True),
    ("denoising_autoencoder", lambda: models.DenoisingAutoencoder(1, widths=(4, 8), noise_std=0.3),
     (2, 1, 12, 12), False),
]


def _randomize_bn(model):
    rng = np.random.default_rng(5)
    for m in model.modules():
        if isinstance(m, cnn.BatchNorm2d):
            m.running_mean.data[...] = rng.normal(0, 0.3, m.running_mean.shape)
            m.running_var.data[...] = rng.uniform(0.5, 1.5, m.running_var.shape)
            m.weight.data[...] = rng.normal(1, 0.3, m.weight.shape)
            m.bias.data[...] = rng.normal(0, 0.3, m.bias.shape)


@pytest.mark.parametrize("mode", ["eval", "train"])
@pytest.mark.parametrize("case", ZOO, ids=[c[0] for c in ZOO])
def test_zoo_models_convert_both_ways_with_equal_outputs(case, mode):
    _, build, shape, deterministic = case
    if mode == "train" and not deterministic:
        pytest.skip("random in train mode (dropout or input noise)")
    model = build().double()  # float64: deep float32 nets differ by summation order alone (~1e-6)
    _randomize_bn(model)
    model.train(mode == "train")
    x = np.random.default_rng(0).normal(size=shape)
    twin = to_torch(model)
    assert twin.training == model.training
    # batch statistics of 2 images amplify rounding (1e-16 -> 1e-10 after 20 batch norms in train mode)
    tol = 1e-12 if mode == "eval" else 1e-9
    np.testing.assert_allclose(_out(twin, x), _out(model, x), rtol=tol, atol=tol)
    _assert_same_state(model, twin, tol)  # train mode: the running statistics moved the same way

    back = from_torch(twin)  # the original class, with its static arithmetic
    assert type(back) is type(model) and back.training == model.training
    assert back.output_shape(shape) == model.output_shape(shape)
    np.testing.assert_allclose(_out(back, x), _out(twin, x), rtol=tol, atol=tol)
    _assert_same_state(back, twin, tol)


@pytest.mark.parametrize("name", ["resnet18", "fcn", "segnet", "conv_autoencoder"])
def test_twins_made_in_torch_come_back_through_the_registry(name):
    build, shape = next((c[1], c[2]) for c in ZOO if c[0] == name)
    model = build().eval()
    twin = to_torch(model)
    for m in twin.modules():  # forget where it came from: the twin class alone must be enough
        m.__dict__.pop("_chalkgrad_origin", None)
    back = from_torch(twin)
    x = np.random.default_rng(1).normal(size=shape).astype(np.float32)
    assert type(back) is type(model)
    np.testing.assert_allclose(_out(back, x), _out(twin, x), rtol=1e-6, atol=1e-6)


def test_zoo_twin_trains_like_the_original():
    model = models.resnet18(num_classes=3).double()
    _randomize_bn(model)
    model.eval()
    twin = to_torch(model)
    x = np.random.default_rng(2).normal(size=(2, 3, 32, 32))
    w = np.random.default_rng(3).normal(size=(2, 3))
    (model(cg.from_numpy(x)) * cg.from_numpy(w)).sum().backward()
    (twin(torch.from_numpy(x)) * torch.from_numpy(w)).sum().backward()
    for (n, p), (_, q) in zip(model.named_parameters(), twin.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-9, atol=1e-11, err_msg=n)


def test_containers_keep_names_and_structure_both_ways():
    model = cnn.ModuleDict({"enc": cnn.Sequential(cnn.Linear(3, 4), cnn.Tanh()),
                            "heads": cnn.ModuleList([cnn.Linear(4, 2), cnn.Linear(4, 1)])}).double()
    model.heads[1].eval()
    twin = to_torch(model)
    assert isinstance(twin, torch.nn.ModuleDict) and isinstance(twin["heads"], torch.nn.ModuleList)
    assert list(twin.state_dict()) == list(model.state_dict())
    assert twin.training and not twin.heads[1].training
    x = np.random.default_rng(3).normal(size=(5, 3))
    for i in range(2):
        h_cg = model["heads"][i](model["enc"](cg.from_numpy(x))).detach().numpy()
        with torch.no_grad():
            h_t = twin["heads"][i](twin["enc"](torch.from_numpy(x))).numpy()
        np.testing.assert_allclose(h_cg, h_t, rtol=1e-12, atol=1e-12)
    back = from_torch(torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.ModuleList([torch.nn.ReLU()])[0]))
    assert isinstance(back, cnn.Sequential) and list(back.state_dict()) == ["0.weight", "0.bias"]


def test_keras_sequential_converts_to_a_torch_sequential():
    from chalkgrad import keras

    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dropout(0.2), keras.layers.Activation("tanh"),
                              keras.layers.Dense(3, activation="softmax")])
    model.eval()
    twin = to_torch(model)
    assert isinstance(twin, torch.nn.Sequential) and not twin.training
    x = np.random.default_rng(4).normal(size=(6, 5)).astype(np.float32)
    np.testing.assert_allclose(_out(twin, x), _out(model, x), rtol=1e-6, atol=1e-6)
    back = from_torch(twin)
    np.testing.assert_allclose(_out(back, x), _out(model, x), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("padding", ["valid", "same"])
def test_keras_channels_last_convnet_converts_with_its_boundary_permutes(padding):
    from chalkgrad import keras

    layers = keras.layers
    model = keras.Sequential([keras.Input((10, 10, 2)), layers.Conv2D(4, 3, padding=padding, activation="relu"),
                              layers.MaxPooling2D(2), layers.Conv2D(3, (1, 3), padding=padding),
                              layers.AveragePooling2D((1, 2)), layers.Flatten(), layers.Dense(5)])
    model.eval()
    twin = to_torch(model)
    x = np.random.default_rng(5).normal(size=(3, 10, 10, 2)).astype(np.float32)
    # the flatten order is channels_last's: a torch model flattening NCHW would differ here
    np.testing.assert_allclose(_out(twin, x), _out(model, x), rtol=1e-6, atol=1e-6)


def test_keras_layers_without_a_torch_equivalent_are_refused_by_name():
    from chalkgrad import keras

    strided_same = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(2, 3, strides=2, padding="same")])
    with pytest.raises(ConversionError, match="Conv2D.*padding='same'"):
        to_torch(strided_same)
    with pytest.raises(ConversionError, match="Embedding.*no torch equivalent"):
        to_torch(keras.Sequential([keras.Input((4,), dtype="int64"), keras.layers.Embedding(10, 3)]))
    inputs = keras.Input((3,))
    functional = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    with pytest.raises(ConversionError, match="only Keras Sequential"):
        to_torch(functional)


def test_unbuilt_keras_model_is_refused():
    from chalkgrad import keras

    with pytest.raises(ConversionError, match="not built"):
        to_torch(keras.Sequential([keras.layers.Dense(2)]))


class Residual(cnn.Module):
    """x + scale·gain·body(x) + shift: a child, a plain attribute, a parameter and a buffer of its own."""

    def __init__(self):
        super().__init__()
        self.body = cnn.Linear(3, 3)
        self.scale = 0.5
        self.gain = cnn.Parameter(cg.randn(3))
        self.register_buffer("shift", cg.randn(3))

    def forward(self, x):
        return x + self.scale * self.gain * self.body(x) + self.shift


class TorchResidual(torch.nn.Module):
    def forward(self, x):
        return x + self.scale * self.gain * self.body(x) + self.shift


class Gated(cnn.Module):
    """A forward written with chalkgrad functions: it cannot run on torch tensors."""

    def __init__(self):
        super().__init__()
        self.body = cnn.Linear(3, 3)

    def forward(self, x):
        return self._gate(self.body(x))

    def _gate(self, h):
        return cg.sigmoid(h) * h


class Portable(cnn.Module):
    """A forward that uses only its children, attributes, operators and tensor methods, through a helper method."""

    def __init__(self):
        super().__init__()
        self.body = cnn.Sequential(cnn.Linear(3, 4), cnn.Tanh())
        self.head = cnn.Linear(4, 2)
        self.alpha = 0.3

    def forward(self, x):
        return self.head(self._mix(self.body(x))).relu()

    def _mix(self, h):
        return h * self.alpha + h.sigmoid() * (1 - self.alpha)


def test_custom_module_with_portable_forward_is_reused_in_torch():
    import pickle

    model = cnn.Sequential(Portable(), cnn.Linear(2, 2)).double()
    twin = to_torch(model)
    assert type(twin[0]).__name__ == "Portable" and isinstance(twin[0], torch.nn.Module)
    x = np.random.default_rng(7).normal(size=(5, 3))
    np.testing.assert_allclose(_out(twin, x), _out(model, x), rtol=1e-12, atol=1e-12)
    clone = pickle.loads(pickle.dumps(twin))  # what torch.multiprocessing.spawn does with a model
    np.testing.assert_allclose(_out(clone, x), _out(model, x), rtol=1e-12, atol=1e-12)
    back = from_torch(twin)
    assert type(back[0]) is Portable
    np.testing.assert_allclose(_out(back, x), _out(model, x), rtol=1e-12, atol=1e-12)
    twin(torch.from_numpy(x)).sum().backward()  # it trains in torch
    assert twin[0].head.weight.grad is not None


def test_custom_module_without_twin_names_its_path_class_and_reason():
    model = cnn.Sequential(cnn.Linear(3, 3), cnn.Sequential(cnn.ReLU(), Gated()))
    with pytest.raises(ConversionError, match=r"1\.1 \(.*Gated\)") as err:
        to_torch(model)
    assert isinstance(err.value, ChalkgradError) and "register_twin" in str(err.value)
    assert "Gated._gate uses cg" in str(err.value)
    with pytest.raises(ConversionError, match=r"0 \(.*Bilinear\)"):
        from_torch(torch.nn.Sequential(torch.nn.Bilinear(2, 2, 2)))
    with pytest.raises(ConversionError, match="Step"):
        to_torch(cnn.Step())


def test_registered_twin_converts_a_custom_module_both_ways():
    register_twin(Residual, TorchResidual)
    model = cnn.Sequential(Residual(), cnn.ReLU())
    twin = to_torch(model)
    assert isinstance(twin[0], TorchResidual) and twin[0].scale == 0.5
    assert list(twin.state_dict()) == list(model.state_dict())
    x = np.random.default_rng(6).normal(size=(4, 3)).astype(np.float32)
    np.testing.assert_allclose(_out(twin, x), _out(model, x), rtol=1e-6, atol=1e-6)
    back = from_torch(twin)
    assert isinstance(back[0], Residual) and list(back.state_dict()) == list(model.state_dict())
    np.testing.assert_allclose(_out(back, x), _out(model, x), rtol=1e-6, atol=1e-6)
    with pytest.raises(ConversionError, match="torch.nn.Module subclass"):
        register_twin(Residual, object)


def test_chalkgrad_only_options_are_refused():
    with pytest.raises(ConversionError, match="chalkgrad-only"):
        to_torch(cnn.LSTM(3, 4, gate_activation="relu"))
    with pytest.raises(ConversionError, match="proj_size"):
        from_torch(torch.nn.LSTM(3, 4, proj_size=2))
    with pytest.raises(ConversionError, match="dim=None"):
        from_torch(torch.nn.Softmax())
    with pytest.raises(ConversionError, match="expected a chalkgrad.nn.Module"):
        to_torch(torch.nn.ReLU())
