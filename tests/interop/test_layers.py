"""to_torch / from_torch on every layer with a torch.nn twin: equal outputs, state and mode, both ways."""

import numpy as np
import pytest
import torch

import chalkgrad as cg
from chalkgrad import nn as cnn
from chalkgrad.interop import from_torch, to_torch
from chalkgrad.interop.layers import LAYER_ARGS

TOL = {"float32": 1e-6, "float64": 1e-12}

# (id, factory(nn) called with chalkgrad.nn or torch.nn, input shape (or "ids:shape" for int indices),
#  deterministic in train mode)
CASES = [
    ("Linear", lambda nn: nn.Linear(5, 4), (3, 5), True),
    ("Linear-nobias", lambda nn: nn.Linear(5, 4, bias=False), (2, 3, 5), True),
    ("Identity", lambda nn: nn.Identity(), (2, 3), True),
    ("Flatten", lambda nn: nn.Flatten(), (2, 3, 4, 5), True),
    ("Flatten-dims", lambda nn: nn.Flatten(0, 1), (2, 3, 4), True),
    ("Unflatten", lambda nn: nn.Unflatten(1, (2, 6)), (3, 12), True),
    ("Conv1d", lambda nn: nn.Conv1d(3, 4, 3, stride=2, padding=1, dilation=1), (2, 3, 9), True),
    ("Conv2d", lambda nn: nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=1, dilation=(1, 2), groups=2),
     (2, 4, 7, 8), True),
    ("Conv2d-same-reflect", lambda nn: nn.Conv2d(3, 2, 3, padding="same", padding_mode="reflect", bias=False),
     (1, 3, 6, 6), True),
    ("ConvTranspose1d", lambda nn: nn.ConvTranspose1d(3, 2, 4, stride=2, padding=1), (2, 3, 5), True),
    ("ConvTranspose2d", lambda nn: nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2),
     (2, 4, 5, 5), True),
    ("Unfold", lambda nn: nn.Unfold(2, padding=1, stride=2), (2, 3, 5, 5), True),
    ("ReLU", lambda nn: nn.ReLU(), (4, 5), True),
    ("ReLU6", lambda nn: nn.ReLU6(), (4, 5), True),
    ("Hardtanh", lambda nn: nn.Hardtanh(-0.5, 0.7), (4, 5), True),
    ("LeakyReLU", lambda nn: nn.LeakyReLU(0.2), (4, 5), True),
    ("PReLU", lambda nn: nn.PReLU(3, init=0.1), (2, 3, 4), True),
    ("ELU", lambda nn: nn.ELU(0.7), (4, 5), True),
    ("CELU", lambda nn: nn.CELU(1.3), (4, 5), True),
    ("SELU", lambda nn: nn.SELU(), (4, 5), True),
    ("GELU", lambda nn: nn.GELU(), (4, 5), True),
    ("GELU-tanh", lambda nn: nn.GELU(approximate="tanh"), (4, 5), True),
    ("SiLU", lambda nn: nn.SiLU(), (4, 5), True),
    ("Mish", lambda nn: nn.Mish(), (4, 5), True),
    ("Hardsigmoid", lambda nn: nn.Hardsigmoid(), (4, 5), True),
    ("Hardswish", lambda nn: nn.Hardswish(), (4, 5), True),
    ("Softplus", lambda nn: nn.Softplus(beta=2.0, threshold=3.0), (4, 5), True),
    ("Softsign", lambda nn: nn.Softsign(), (4, 5), True),
    ("Sigmoid", lambda nn: nn.Sigmoid(), (4, 5), True),
    ("Tanh", lambda nn: nn.Tanh(), (4, 5), True),
    ("Softmax", lambda nn: nn.Softmax(dim=1), (2, 3, 4), True),
    ("LogSoftmax", lambda nn: nn.LogSoftmax(dim=-1), (2, 3, 4), True),
    ("Dropout", lambda nn: nn.Dropout(0.3), (4, 5), False),
    ("Dropout-p0", lambda nn: nn.Dropout(0.0), (4, 5), True),
    ("Dropout1d", lambda nn: nn.Dropout1d(0.3), (2, 3, 4), False),
    ("Dropout2d", lambda nn: nn.Dropout2d(0.3), (2, 3, 4, 4), False),
    ("AlphaDropout", lambda nn: nn.AlphaDropout(0.3), (4, 5), False),
    ("BatchNorm1d", lambda nn: nn.BatchNorm1d(3, momentum=0.2), (4, 3, 5), True),
    ("BatchNorm2d", lambda nn: nn.BatchNorm2d(3, eps=1e-3), (4, 3, 4, 4), True),
    ("BatchNorm2d-noaffine", lambda nn: nn.BatchNorm2d(3, affine=False), (4, 3, 2, 2), True),
    ("BatchNorm1d-nostats", lambda nn: nn.BatchNorm1d(3, track_running_stats=False), (4, 3), True),
    ("InstanceNorm1d", lambda nn: nn.InstanceNorm1d(3), (2, 3, 6), True),
    ("InstanceNorm2d-affine-stats", lambda nn: nn.InstanceNorm2d(3, affine=True, track_running_stats=True),
     (2, 3, 4, 4), True),
    ("LayerNorm", lambda nn: nn.LayerNorm((3, 4)), (2, 3, 4), True),
    ("LayerNorm-nobias", lambda nn: nn.LayerNorm(4, bias=False), (2, 4), True),
    ("LayerNorm-noaffine", lambda nn: nn.LayerNorm(4, elementwise_affine=False), (2, 4), True),
    ("GroupNorm", lambda nn: nn.GroupNorm(2, 4), (2, 4, 3, 3), True),
    ("LocalResponseNorm", lambda nn: nn.LocalResponseNorm(3, alpha=1e-2), (2, 5, 3, 3), True),
    ("MaxPool1d", lambda nn: nn.MaxPool1d(3, 2, padding=1), (2, 3, 9), True),
    ("MaxPool2d", lambda nn: nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True), (2, 3, 8, 8), True),
    ("MaxPool2d-indices", lambda nn: nn.MaxPool2d(2, return_indices=True), (2, 3, 6, 6), True),
    ("AvgPool1d", lambda nn: nn.AvgPool1d(3, 2, padding=1, count_include_pad=False), (2, 3, 9), True),
    ("AvgPool2d", lambda nn: nn.AvgPool2d(2, ceil_mode=True, divisor_override=3), (2, 3, 5, 5), True),
    ("AdaptiveAvgPool1d", lambda nn: nn.AdaptiveAvgPool1d(4), (2, 3, 9), True),
    ("AdaptiveAvgPool2d", lambda nn: nn.AdaptiveAvgPool2d((2, 3)), (2, 3, 7, 8), True),
    ("AdaptiveMaxPool1d", lambda nn: nn.AdaptiveMaxPool1d(3), (2, 3, 8), True),
    ("AdaptiveMaxPool2d", lambda nn: nn.AdaptiveMaxPool2d(2, return_indices=True), (2, 3, 5, 5), True),
    ("Upsample-nearest", lambda nn: nn.Upsample(scale_factor=2), (1, 2, 3, 3), True),
    ("Upsample-bilinear", lambda nn: nn.Upsample(size=(5, 7), mode="bilinear", align_corners=True),
     (1, 2, 3, 3), True),
    ("UpsamplingNearest2d", lambda nn: nn.UpsamplingNearest2d(scale_factor=3), (1, 2, 2, 2), True),
    ("UpsamplingBilinear2d", lambda nn: nn.UpsamplingBilinear2d(size=(4, 5)), (1, 2, 2, 3), True),
    ("PixelShuffle", lambda nn: nn.PixelShuffle(2), (1, 8, 2, 3), True),
    ("PixelUnshuffle", lambda nn: nn.PixelUnshuffle(2), (1, 2, 4, 6), True),
    ("Embedding", lambda nn: nn.Embedding(10, 4, padding_idx=2), "ids:(3, 5)", True),
    ("Embedding-max-norm", lambda nn: nn.Embedding(10, 4, max_norm=0.5, norm_type=1.0), "ids:(3, 5)", True),
    ("Conv1d-circular", lambda nn: nn.Conv1d(2, 3, 3, padding=2, padding_mode="circular", dilation=2), (2, 2, 7), True),
    ("ConvTranspose2d-dilation", lambda nn: nn.ConvTranspose2d(2, 3, 2, stride=3, dilation=2, bias=False),
     (1, 2, 3, 4), True),
    ("Upsample-linear-1d", lambda nn: nn.Upsample(scale_factor=2.5, mode="linear"), (2, 3, 4), True),
    ("RNN", lambda nn: nn.RNN(4, 5), (6, 2, 4), True),
    ("RNN-all-options", lambda nn: nn.RNN(4, 5, num_layers=2, nonlinearity="relu", bias=False, batch_first=True,
                                         dropout=0.0, bidirectional=True), (2, 6, 4), True),
    ("RNN-dropout", lambda nn: nn.RNN(4, 5, num_layers=2, dropout=0.5), (6, 2, 4), False),
    ("LSTM", lambda nn: nn.LSTM(4, 5, num_layers=2, batch_first=True, bidirectional=True), (2, 6, 4), True),
    ("LSTM-nobias", lambda nn: nn.LSTM(4, 3, bias=False), (5, 2, 4), True),
    ("GRU", lambda nn: nn.GRU(4, 5, num_layers=3, bidirectional=True), (6, 2, 4), True),
    ("GRU-batch-first-dropout", lambda nn: nn.GRU(4, 5, num_layers=2, batch_first=True, dropout=0.3),
     (2, 6, 4), False),
    ("RNNCell", lambda nn: nn.RNNCell(4, 5, nonlinearity="relu"), (3, 4), True),
    ("LSTMCell", lambda nn: nn.LSTMCell(4, 5), (3, 4), True),
    ("GRUCell", lambda nn: nn.GRUCell(4, 5, bias=False), (3, 4), True),
]


def _flat(out) -> list:
    """The arrays of an output, which may be a tensor or nested tuples (RNN: out, (h, c))."""
    if isinstance(out, (tuple, list)):
        return [a for o in out for a in _flat(o)]
    return [np.asarray(out.detach())]


def _randomize(module) -> None:
    """Random values in every parameter and buffer, so defaults (γ = 1, β = 0...) cannot hide a mix-up."""
    rng = np.random.default_rng(0)
    is_torch = isinstance(module, torch.nn.Module)
    for name, t in module.state_dict(keep_vars=True).items():
        if t is None:
            continue
        arr = np.asarray(t.detach())
        if arr.dtype.kind == "f":
            new = rng.uniform(0.5, 1.5, arr.shape) if "running_var" in name else rng.normal(0, 0.5, arr.shape)
        else:
            new = np.full(arr.shape, 3)
        if is_torch:
            with torch.no_grad():
                t.copy_(torch.from_numpy(new.astype(arr.dtype)))
        else:
            t.data[...] = new


def _input(spec, dtype):
    rng = np.random.default_rng(1)
    if isinstance(spec, str):
        return rng.integers(0, 10, size=eval(spec.split(":")[1]))
    return rng.normal(0, 1.5, spec).astype(dtype)


def _run(module, x):
    if isinstance(module, torch.nn.Module):
        return _flat(module(torch.from_numpy(x)))
    return _flat(module(cg.from_numpy(x)))


def _assert_equal(a, b, dtype, what):
    for u, v in zip(_flat(a) if not isinstance(a, list) else a, b):
        np.testing.assert_allclose(u, v, rtol=TOL[dtype], atol=TOL[dtype], err_msg=what)


def _check_pair(source, target, spec, dtype, deterministic, mode):
    source.train(mode == "train")
    assert target.training == source.training
    if mode == "train" and not deterministic:
        return
    x = _input(spec, dtype)
    out_s, out_t = _run(source, x), _run(target, x)
    assert len(out_s) == len(out_t)
    _assert_equal(out_s, out_t, dtype, "outputs")
    for (k1, v1), (k2, v2) in zip(source.state_dict().items(), target.state_dict().items()):  # running stats
        assert k1 == k2
        _assert_equal([np.asarray(v1.detach())], [np.asarray(v2.detach())], dtype, k1)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("mode", ["train", "eval"])
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_to_torch_gives_equal_layer(case, mode, dtype):
    _, factory, spec, deterministic = case
    layer = factory(cnn)
    layer = layer.double() if dtype == "float64" else layer
    _randomize(layer)
    layer.train(mode == "train")
    twin = to_torch(layer)
    assert type(twin) is getattr(torch.nn, type(layer).__name__)
    _check_pair(layer, twin, spec, dtype, deterministic, mode)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("mode", ["train", "eval"])
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_from_torch_gives_equal_layer(case, mode, dtype):
    _, factory, spec, deterministic = case
    layer = factory(torch.nn)
    layer = layer.double() if dtype == "float64" else layer
    _randomize(layer)
    layer.train(mode == "train")
    twin = from_torch(layer)
    assert type(twin) is getattr(cnn, type(layer).__name__)
    _check_pair(layer, twin, spec, dtype, deterministic, mode)


def test_every_layer_of_the_table_is_tested():
    tested = {c[1](cnn).__class__.__name__ for c in CASES}
    assert set(LAYER_ARGS) - tested <= {"Fold", "MaxUnpool1d", "MaxUnpool2d", "Dropout3d", "FeatureAlphaDropout"}


def test_fold_and_unpool_convert_with_their_arguments():
    fold = cnn.Fold((4, 5), 2, padding=1, stride=2)
    t = to_torch(fold)
    x = np.random.default_rng(0).normal(size=(2, 12, 9)).astype(np.float32)
    np.testing.assert_allclose(t(torch.from_numpy(x)).numpy(), fold(cg.from_numpy(x)).numpy(), atol=1e-6)
    pool, unpool = torch.nn.MaxPool2d(2, return_indices=True), torch.nn.MaxUnpool2d(2, 2)
    y, idx = pool(torch.randn(1, 2, 4, 4))
    back = from_torch(unpool)
    np.testing.assert_allclose(back(cg.from_numpy(y.numpy()), cg.from_numpy(idx.numpy())).numpy(),
                               unpool(y, idx).numpy())


def test_frozen_parameters_stay_frozen():
    layer = cnn.Linear(3, 2)
    layer.weight.requires_grad_(False)
    twin = to_torch(layer)
    assert not twin.weight.requires_grad and twin.bias.requires_grad
    assert not from_torch(twin).weight.requires_grad


def test_gradients_agree_after_conversion():
    layer = cnn.LSTM(3, 4, num_layers=2, bidirectional=True).double()
    twin = to_torch(layer)
    x = np.random.default_rng(2).normal(size=(5, 2, 3))
    layer(cg.from_numpy(x))[0].sum().backward()
    twin(torch.from_numpy(x))[0].sum().backward()
    for (n, p), (_, q) in zip(layer.named_parameters(), twin.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=n)
