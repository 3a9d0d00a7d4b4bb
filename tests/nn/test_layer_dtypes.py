"""Every layer with parameters refuses input of another dtype, as PyTorch does (issue 13)."""

import numpy as np
import pytest
import torch

import chalkgrad as cg
from chalkgrad import nn

# (name, layer factory taking the module namespace, input shape); the same code builds both layers.
LAYERS = [
    ("Linear", lambda m: m.Linear(4, 3), (2, 4)),
    ("Conv1d", lambda m: m.Conv1d(2, 3, 3), (1, 2, 6)),
    ("Conv2d", lambda m: m.Conv2d(2, 3, 3), (1, 2, 5, 5)),
    ("ConvTranspose1d", lambda m: m.ConvTranspose1d(2, 3, 3), (1, 2, 6)),
    ("ConvTranspose2d", lambda m: m.ConvTranspose2d(2, 3, 3), (1, 2, 5, 5)),
    ("BatchNorm1d", lambda m: m.BatchNorm1d(4), (3, 4)),
    ("BatchNorm1d no affine, tracking", lambda m: m.BatchNorm1d(4, affine=False), (3, 4)),
    ("BatchNorm2d", lambda m: m.BatchNorm2d(2), (3, 2, 4, 4)),
    ("InstanceNorm1d affine", lambda m: m.InstanceNorm1d(2, affine=True), (3, 2, 5)),
    ("LayerNorm", lambda m: m.LayerNorm(4), (3, 4)),
    ("GroupNorm", lambda m: m.GroupNorm(2, 4), (3, 4, 5)),
    ("RNN", lambda m: m.RNN(4, 3), (5, 2, 4)),
    ("LSTM", lambda m: m.LSTM(4, 3), (5, 2, 4)),
    ("GRU", lambda m: m.GRU(4, 3), (5, 2, 4)),
    ("RNNCell", lambda m: m.RNNCell(4, 3), (2, 4)),
    ("LSTMCell", lambda m: m.LSTMCell(4, 3), (2, 4)),
    ("GRUCell", lambda m: m.GRUCell(4, 3), (2, 4)),
    ("PReLU", lambda m: m.PReLU(), (2, 4)),
]
NO_PARAMETERS = [
    ("InstanceNorm1d", lambda m: m.InstanceNorm1d(2), (3, 2, 5)),
    ("BatchNorm1d no affine, no tracking", lambda m: m.BatchNorm1d(4, affine=False, track_running_stats=False),
     (3, 4)),
]
IDS = [c[0] for c in LAYERS]


def _torch_refuses(layer, x) -> bool:
    try:
        layer(x)
    except (RuntimeError, ValueError):
        return True
    return False


@pytest.mark.parametrize("input_dtype", ["float64", "int64"])
@pytest.mark.parametrize("name,make,shape", LAYERS, ids=IDS)
def test_float32_layer_refuses_other_input_dtypes_like_torch(name, make, shape, input_dtype):
    data = np.arange(np.prod(shape)).reshape(shape) % 3
    assert _torch_refuses(make(torch.nn), torch.tensor(data.astype(input_dtype)))
    layer = make(nn)
    with pytest.raises(cg.DTypeError) as err:
        layer(cg.tensor(data.astype(input_dtype)))
    message = str(err.value)
    assert input_dtype in message and "float32" in message
    assert name.split()[0] in message or "prelu" in message


@pytest.mark.parametrize("name,make,shape", LAYERS + NO_PARAMETERS, ids=IDS + [c[0] for c in NO_PARAMETERS])
def test_layer_of_the_input_dtype_runs_like_torch(name, make, shape):
    """float64 layers take float64 input; layers without parameters or statistics take any float."""
    x = np.random.default_rng(0).normal(size=shape)
    torch.manual_seed(0)
    theirs = make(torch.nn)
    ours = make(nn)
    ours.load_state_dict(theirs.state_dict())
    has_state = bool(list(ours.state_dict()))
    if has_state:
        theirs.double()
        ours.double()
    out_t = theirs(torch.tensor(x))
    out_c = ours(cg.tensor(x))
    out_t = out_t[0] if isinstance(out_t, tuple) else out_t
    out_c = out_c[0] if isinstance(out_c, tuple) else out_c
    assert out_c.dtype == cg.float64
    np.testing.assert_allclose(out_c.detach().numpy(), out_t.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_the_error_names_the_layer_path():
    model = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 2))
    with pytest.raises(cg.DTypeError, match=r"Linear\(4, 4\).*float64.*float32") as err:
        model(cg.zeros(2, 4, dtype=cg.float64))
    assert "'0'" in str(err.value)


def test_embedding_needs_integer_indices_like_torch():
    with pytest.raises(RuntimeError):
        torch.nn.Embedding(3, 2)(torch.tensor([0.0]))
    with pytest.raises(cg.DTypeError, match="float"):
        nn.Embedding(3, 2)(cg.tensor([0.0]))


def test_float32_linear_gets_no_float64_gradient():
    layer = nn.Linear(3, 2)
    layer(cg.randn(4, 3)).sum().backward()
    assert layer.weight.grad.dtype == cg.float32 and layer.bias.grad.dtype == cg.float32


@pytest.mark.parametrize("train", [True, False])
def test_instance_norm_with_running_statistics_only_takes_any_float_like_torch(train):
    x = np.random.default_rng(1).normal(size=(3, 2, 4, 4))
    theirs = torch.nn.InstanceNorm2d(2, track_running_stats=True)
    ours = nn.InstanceNorm2d(2, track_running_stats=True)
    theirs.train(train)
    ours.train(train)
    out_t, out_c = theirs(torch.tensor(x)), ours(cg.tensor(x))
    assert out_c.dtype == cg.float64 and ours.running_mean.dtype == cg.float32
    np.testing.assert_allclose(out_c.numpy(), out_t.numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(ours.running_mean.numpy(), theirs.running_mean.numpy(), rtol=1e-6, atol=1e-7)
