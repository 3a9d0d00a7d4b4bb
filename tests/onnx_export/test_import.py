"""``chalkgrad.onnx.load`` reads exported files back: same outputs (1e-5), same state_dict names,
and the imported module trains (its parameters get gradients)."""

from __future__ import annotations

import numpy as np
import pytest

import chalkgrad as cg
from chalkgrad import models, nn
from chalkgrad.errors import CheckpointError

from .helpers import export, randn

CASES = {
    "activations": (lambda: nn.Sequential(nn.SELU(), nn.CELU(0.5), nn.LeakyReLU(0.3), nn.Hardsigmoid(), nn.PReLU(3),
                                          nn.Softplus(), nn.Mish(), nn.SiLU(), nn.Hardtanh(), nn.ReLU6(),
                                          nn.Softsign(), nn.GELU(approximate="tanh"), nn.Hardswish()), (2, 3, 4)),
    "mlp": (lambda: nn.Sequential(nn.Linear(6, 8), nn.GELU(), nn.LayerNorm(8), nn.Dropout(0.1), nn.Linear(8, 3),
                                  nn.LogSoftmax(dim=1)), (2, 6)),
    "lenet5": (lambda: models.lenet5(), (2, 1, 32, 32)),
    "resnet": (lambda: models.ResNet(models.BasicBlock, [1, 1, 1, 1], num_classes=4), (2, 3, 32, 32)),
    "mobilenet_like": (lambda: models.mobilenet_like(num_classes=4), (2, 3, 32, 32)),
    "fcn": (lambda: models.fcn(num_classes=3), (2, 3, 16, 16)),
    "pools_and_norms": (lambda: nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.GroupNorm(2, 4), nn.ELU(),
                                              nn.MaxPool2d(3, 2, padding=1, ceil_mode=True),
                                              nn.AvgPool2d(2, ceil_mode=True, count_include_pad=False),
                                              nn.Upsample(scale_factor=2, mode="bilinear"), nn.Hardswish(),
                                              nn.Upsample(scale_factor=2), nn.AdaptiveAvgPool2d((6, 6)),
                                              nn.Flatten(), nn.Linear(4 * 6 * 6, 2)), (2, 2, 11, 11)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_round_trip(name, tmp_path):
    build, shape = CASES[name]
    cg.manual_seed(0)
    model = build().eval()
    x = cg.tensor(randn(*shape))
    export(model, x, tmp_path / "m.onnx", dynamic_axes={"input": {0: "batch"}})
    back = cg.onnx.load(tmp_path / "m.onnx")
    x3 = cg.tensor(randn(3, *shape[1:], seed=3))
    for inp in (x, x3):
        np.testing.assert_allclose(back(inp).detach().numpy(), model(inp).detach().numpy(), rtol=1e-5, atol=1e-5)
    theirs = {k for k, v in model.state_dict().items() if v.dtype.kind == "f"}
    assert theirs <= set(back.state_dict())
    back.train()
    back(x).sum().backward()
    assert all(p.grad is not None for p in back.parameters())


class Recurrent(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(12, 3)
        self.lstm = nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True)
        self.gru = nn.GRU(8, 3, batch_first=True, bias_style="single")
        self.rnn = nn.RNN(3, 2, nonlinearity="relu", batch_first=True)

    def forward(self, tokens):
        out, _ = self.lstm(self.embed(tokens))
        out, _ = self.gru(out)
        return self.rnn(out)


def test_round_trip_recurrent(tmp_path):
    cg.manual_seed(0)
    model = Recurrent().eval()
    tokens = cg.tensor(np.random.default_rng(0).integers(0, 12, (2, 5)))
    export(model, tokens, tmp_path / "r.onnx")
    back = cg.onnx.load(tmp_path / "r.onnx")
    for got, want in zip(back(tokens), model(tokens)):
        np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-5, atol=1e-5)


def test_unsupported_operator_is_named(tmp_path):
    cg.manual_seed(0)
    export(nn.Sequential(nn.MaxPool2d(2, return_indices=True)), cg.randn(1, 1, 4, 4), tmp_path / "pool.onnx")
    with pytest.raises(CheckpointError, match=r"node '0/MaxPool_node' \(MaxPool\): MaxPool with an indices "
                                              r"output is not supported"):
        cg.onnx.load(tmp_path / "pool.onnx")
    (tmp_path / "junk.onnx").write_bytes(b"not a model")
    with pytest.raises(CheckpointError, match="cannot read .*junk.onnx' as an ONNX model"):
        cg.onnx.load(tmp_path / "junk.onnx")
