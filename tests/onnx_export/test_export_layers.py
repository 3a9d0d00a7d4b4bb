"""Layers, recurrent networks and custom modules export; onnxruntime agrees with chalkgrad to 1e-5.

Each case: a small model and an input whose first axis is the batch. ``check_export`` exports it
with a dynamic batch axis, checks the file with onnx.checker (full check), and compares
onnxruntime's outputs with chalkgrad's at the traced batch size and at another one.
"""

from __future__ import annotations

import numpy as np
import pytest

import chalkgrad as cg
import chalkgrad.nn.functional as F
from chalkgrad import nn
from chalkgrad.errors import ChalkgradError, ConfigError, ExportError

from .helpers import check_export, export, onnx, randn, run_onnx


class Custom(nn.Module):
    """A module with its own forward: residual branch, broadcasting, slicing, concatenation, reductions."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.scale = nn.Parameter(cg.tensor(np.linspace(0.5, 1.5, 4).astype(np.float32)).data)
        self.head = nn.Linear(8, 2)

    def forward(self, x):
        y = self.conv(x).relu() * self.scale.reshape(1, 4, 1, 1) + x[:, :1]
        y = cg.cat([y, -y.abs()], dim=1)
        pooled = y.mean((2, 3)) - 0.5 * y.amax((2, 3)) / 2.0
        z = pooled.sigmoid() ** 2 + pooled.tanh().exp().sqrt() - pooled.clamp(-0.1, 0.1)
        return F.log_softmax(self.head(z), dim=-1), y[:, :, 1:-1:2, ::2].transpose(2, 3)


class Pad(nn.Module):
    def __init__(self, widths, mode="constant"):
        super().__init__()
        self.widths, self.mode = widths, mode

    def forward(self, x):
        return F.pad(x, self.widths, mode=self.mode, value=0.5) if self.mode == "constant" else \
            F.pad(x, self.widths, mode=self.mode)


class Cells(nn.Module):
    """LSTMCell and GRUCell run op by op (traced like any custom code)."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTMCell(3, 4)
        self.gru = nn.GRUCell(4, 4)

    def forward(self, x):
        h, c = self.lstm(x)
        return self.gru(h, c)


class Token(nn.Module):
    """A learned token expanded to the batch size and prepended (as ViT's class token)."""

    def __init__(self):
        super().__init__()
        self.token = nn.Parameter(np.linspace(-1, 1, 4, dtype=np.float32).reshape(1, 1, 4))

    def forward(self, x):
        return cg.cat([self.token.expand(x.shape[0], -1, -1), x], dim=1)


class Total(nn.Module):
    """A 0-d output (a scalar constant must stay 0-d)."""

    def forward(self, x):
        return (x * 2.0).sum() + 1.0


def _seq(*layers):
    return lambda: nn.Sequential(*[layer() for layer in layers])


CASES = {
    "mlp": (_seq(lambda: nn.Linear(6, 16), nn.ReLU, lambda: nn.Dropout(0.3), lambda: nn.Linear(16, 8), nn.Tanh,
                 lambda: nn.Linear(8, 3), lambda: nn.Softmax(dim=1)), (2, 6)),
    "mlp_no_bias_3d": (_seq(lambda: nn.Linear(6, 5, bias=False), nn.Sigmoid, lambda: nn.Linear(5, 4)), (2, 3, 6)),
    "cnn": (_seq(lambda: nn.Conv2d(3, 8, 3, padding=1), lambda: nn.BatchNorm2d(8), nn.ReLU, lambda: nn.MaxPool2d(2),
                 lambda: nn.Conv2d(8, 8, 3, stride=2, padding=2, dilation=2, groups=4), lambda: nn.AvgPool2d(2),
                 nn.Flatten, lambda: nn.Linear(8 * 2 * 2, 5), lambda: nn.LogSoftmax(dim=1)), (2, 3, 16, 16)),
    "pool_ceil_and_padding": (_seq(lambda: nn.MaxPool2d(3, 2, padding=1, ceil_mode=True),
                                   lambda: nn.AvgPool2d(3, 2, padding=1, ceil_mode=True, count_include_pad=False),
                                   lambda: nn.AvgPool2d(2, ceil_mode=True)), (2, 2, 11, 9)),
    "global_and_adaptive_pool": (_seq(lambda: nn.Conv2d(2, 4, 1), lambda: nn.AdaptiveAvgPool2d((3, 2)),
                                      lambda: nn.AdaptiveMaxPool2d((3, 1)), lambda: nn.AdaptiveMaxPool2d(1),
                                      lambda: nn.AdaptiveAvgPool2d(1), nn.Flatten), (2, 2, 7, 5)),
    "adaptive_1d": (_seq(lambda: nn.AdaptiveMaxPool1d(3), lambda: nn.AdaptiveAvgPool1d(2)), (2, 3, 12)),
    "conv1d": (_seq(lambda: nn.Conv1d(3, 4, 3, padding=1), lambda: nn.BatchNorm1d(4), nn.ELU,
                    lambda: nn.MaxPool1d(2), lambda: nn.AvgPool1d(2), nn.Flatten), (2, 3, 12)),
    "conv_transpose": (_seq(lambda: nn.ConvTranspose2d(3, 4, 3, stride=2, padding=1, output_padding=1),
                            lambda: nn.ConvTranspose2d(4, 2, 4, stride=2, padding=1, groups=2),
                            nn.Sigmoid), (2, 3, 5, 4)),
    "conv_transpose1d": (_seq(lambda: nn.ConvTranspose1d(3, 2, 3, stride=2, padding=1)), (2, 3, 5)),
    "norms": (_seq(lambda: nn.Conv2d(2, 4, 3), lambda: nn.GroupNorm(2, 4), lambda: nn.InstanceNorm2d(4, affine=True),
                   lambda: nn.LayerNorm([5, 5]), lambda: nn.BatchNorm2d(4, affine=False),
                   lambda: nn.LocalResponseNorm(3)), (2, 2, 7, 7)),
    "batchnorm1d_and_layernorm": (_seq(lambda: nn.Linear(5, 6), lambda: nn.BatchNorm1d(6), lambda: nn.LayerNorm(6)),
                                  (2, 5)),
    "activations": (_seq(lambda: nn.LeakyReLU(0.2), lambda: nn.ELU(0.7), nn.SELU, lambda: nn.CELU(1.3),
                         lambda: nn.Softplus(beta=2.0), nn.GELU, lambda: nn.GELU(approximate="tanh"), nn.SiLU,
                         nn.Mish, lambda: nn.Hardtanh(-0.5, 0.8), nn.ReLU6, nn.Hardsigmoid, nn.Hardswish,
                         nn.Softsign, lambda: nn.PReLU(3), nn.Tanh), (2, 3, 4)),
    "resize_pad_shuffle": (_seq(lambda: nn.Upsample(scale_factor=2, mode="nearest"), lambda: Pad((1, 2, 0, 1)),
                                lambda: nn.Upsample(size=(5, 7), mode="bilinear", align_corners=False),
                                lambda: Pad((1, 1, 1, 1), "reflect"), lambda: Pad((1, 0, 0, 2), "replicate"),
                                lambda: nn.Conv2d(2, 8, 1), lambda: nn.PixelShuffle(2)), (2, 2, 3, 4)),
    "embedding": (_seq(lambda: nn.Embedding(10, 4), nn.Flatten, lambda: nn.Linear(12, 2)), None),
    "cells": (Cells, (2, 3)),
    "scalar_output": (Total, (2, 3)),
    "batch_sized_expand": (Token, (2, 3, 4)),
    "custom_forward": (Custom, (2, 3, 6, 6)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_layers(name, tmp_path):
    build, shape = CASES[name]
    cg.manual_seed(0)
    model = build()
    for module in model.modules():  # non-trivial running statistics
        if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
            module.running_mean.data[...] = np.linspace(-0.3, 0.3, module.num_features)
            module.running_var.data[...] = np.linspace(0.5, 1.5, module.num_features)
    x = np.random.default_rng(0).integers(0, 10, (2, 3)) if shape is None else randn(*shape)
    check_export(model, x, tmp_path)


# ----------------------------------------------------------------------------- recurrent layers
RNN_CASES = [(cls, layers, bi, bf) for cls in (nn.RNN, nn.LSTM, nn.GRU) for layers, bi, bf in
             ((1, False, False), (2, True, True))]


@pytest.mark.parametrize("cls, layers, bidirectional, batch_first", RNN_CASES,
                         ids=[f"{c.__name__}-{n}layer{'-bi' if b else ''}{'-bf' if f else ''}"
                              for c, n, b, f in RNN_CASES])
def test_recurrent(cls, layers, bidirectional, batch_first, tmp_path):
    cg.manual_seed(0)
    model = cls(3, 5, num_layers=layers, bidirectional=bidirectional, batch_first=batch_first)
    x = randn(2, 4, 3) if batch_first else randn(4, 2, 3)
    batch = 0 if batch_first else 1
    n_out = 3 if cls is nn.LSTM else 2
    dyn = {"in0": {batch: "batch"}, "out0": {batch: "batch"}}
    dyn.update({f"out{k}": {1: "batch"} for k in range(1, n_out)})
    check_export(model, x, tmp_path, other_batch=None if not batch_first else 3, dynamic_axes=dyn)


class Tagger(nn.Module):
    """Embedding -> bidirectional 2-layer LSTM with an initial state -> GRU (single bias) -> last step."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(20, 6)
        self.lstm = nn.LSTM(6, 5, num_layers=2, bidirectional=True, batch_first=True)
        self.gru = nn.GRU(10, 4, batch_first=True, bias_style="single", gate_activation="sigmoid")
        self.rnn = nn.RNN(4, 3, nonlinearity="relu", batch_first=True, bias=False)

    def forward(self, tokens, h0, c0):
        out, _ = self.lstm(self.embed(tokens), (h0, c0))
        out, _ = self.gru(out)
        out, h = self.rnn(out)
        return out[:, -1] + h[0]


def test_recurrent_network_with_states(tmp_path):
    cg.manual_seed(0)
    model = Tagger()
    rng = np.random.default_rng(0)
    tokens = rng.integers(0, 20, (2, 5))
    h0, c0 = randn(4, 2, 5, seed=1), randn(4, 2, 5, seed=2)
    check_export(model, (tokens, h0, c0), tmp_path, other_batch=None)


# ----------------------------------------------------------------------------- names, axes, opsets
def test_names_dynamic_axes_and_metadata(tmp_path):
    cg.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(2 * 4 * 4, 3))
    path = tmp_path / "named.onnx"
    export(model, cg.randn(2, 1, 6, 6), path, input_names=["image"], output_names=["logits"],
           dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}})
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto, full_check=True)
    assert proto.producer_name == "chalkgrad" and proto.graph.name == "Sequential" and proto.doc_string
    assert [i.name for i in proto.graph.input] == ["image"] and [o.name for o in proto.graph.output] == ["logits"]
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    assert {"0.weight", "0.bias", "3.weight", "3.bias"} <= {t.name for t in proto.graph.initializer}
    x = randn(5, 1, 6, 6)
    np.testing.assert_allclose(run_onnx(path, {"image": x})[0], model(cg.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-5)


class Reductions(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, 6), nn.GELU(), nn.LayerNorm(6))

    def forward(self, x):
        y = self.body(x)
        per_row = y.amin(-1) * y.prod(-1) / y.norm(dim=-1) + y.std(-1)
        return y.amax(-1, keepdim=True) + y.sum(1, keepdim=True) - per_row.unsqueeze(-1)


@pytest.mark.parametrize("opset", [17, 18, 20, 21])
def test_opsets(opset, tmp_path):
    """Reduce* axes are an attribute up to opset 17 and an input from 18; Gelu is an operator from 20."""
    cg.manual_seed(0)
    proto = check_export(Reductions(), randn(2, 3, 4), tmp_path, opset_version=opset)
    assert proto.opset_import[0].version == opset
    assert ("Gelu" in {n.op_type for n in proto.graph.node}) == (opset >= 20)


def test_uneven_adaptive_max_pool_is_refused(tmp_path):
    model = nn.Sequential(nn.Conv2d(1, 2, 1), nn.AdaptiveMaxPool2d((3, 3)))
    with pytest.raises(ExportError, match=r"^1 \(AdaptiveMaxPool2d\): AdaptiveMaxPool2d: output size \(3, 3\) "
                                          r"does not divide the input size \(5, 5\)"):
        export(model, cg.randn(1, 1, 5, 5), tmp_path / "x.onnx")


def test_hooks_removed_after_a_failed_export(tmp_path):
    from chalkgrad.autograd import function

    model = Unfolding()
    with pytest.raises(ExportError):
        export(model, cg.randn(1, 1, 5, 5), tmp_path / "x.onnx")
    assert function.trace_hook is None
    assert not any(m._forward_hooks or m._forward_pre_hooks or m._hooked for m in model.modules())


def test_example_input_forms_and_mode_restored(tmp_path):
    model = nn.Sequential(nn.Linear(3, 2), nn.Dropout(0.5))
    model.train()
    export(model, np.ones((1, 3), dtype=np.float32), tmp_path / "a.onnx")
    export(model, (cg.ones(1, 3),), tmp_path / "b.onnx")
    assert model.training and model[1].training


# ----------------------------------------------------------------------------- errors
class Unfolding(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Unfold(2))

    def forward(self, x):
        return self.features(x)


def test_unsupported_op_names_op_and_module_path(tmp_path):
    with pytest.raises(ExportError, match=r"^features\.2 \(Unfold\): op Unfold has no ONNX mapping$") as info:
        export(Unfolding(), cg.randn(1, 1, 5, 5), tmp_path / "x.onnx")
    assert isinstance(info.value, ChalkgradError) and isinstance(info.value, ValueError)
    assert not (tmp_path / "x.onnx").exists()


class ValueDependent(nn.Module):
    """Uses a comparison of the input (computed outside the traced ops) as a mask."""

    def forward(self, x):
        return cg.where(x > 0, x, x * 0.1)


def test_value_computed_outside_the_ops_is_refused(tmp_path):
    with pytest.raises(ExportError, match=r"op Where has a parameter 'cond' computed from the input"):
        export(ValueDependent(), cg.tensor(randn(4, 5)), tmp_path / "x.onnx")


def test_bad_arguments(tmp_path):
    model = nn.Linear(3, 2)
    x = cg.randn(1, 3)
    with pytest.raises(ConfigError, match="model must be a chalkgrad.nn.Module, got function"):
        export(lambda t: t, x, tmp_path / "x.onnx")
    with pytest.raises(ConfigError, match="opset_version must be between 17 and 21, got 11"):
        export(model, x, tmp_path / "x.onnx", opset_version=11)
    with pytest.raises(ConfigError, match=r"input_names must be 1 distinct non-empty strings.*\['a', 'b'\]"):
        export(model, x, tmp_path / "x.onnx", input_names=["a", "b"])
    with pytest.raises(ConfigError, match=r"dynamic_axes names \['inp'\], which are not among the inputs"):
        export(model, x, tmp_path / "x.onnx", dynamic_axes={"inp": {0: "batch"}})
    with pytest.raises(ConfigError, match=r"dynamic_axes\['input'\] names axis 3, but 'input' has 2 dimensions"):
        export(model, x, tmp_path / "x.onnx", dynamic_axes={"input": [3]})
    with pytest.raises(ExportError, match=r"lstm \(LSTM\): LSTM with lengths="):
        export(_WithLengths(), cg.randn(4, 2, 3), tmp_path / "x.onnx")


class _WithLengths(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(3, 2)

    def forward(self, x):
        return self.lstm(x, None, [4, 3])[0]


def test_model_trained_in_chalkgrad_opens_in_onnxruntime(tmp_path):
    """The issue's one-liner: train, export, run in onnxruntime; training mode and gradients survive."""
    cg.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.2), nn.Linear(8, 3))
    opt = cg.optim.SGD(model.parameters(), lr=0.1)
    x, y = cg.tensor(randn(16, 4)), cg.tensor(np.arange(16) % 3)
    for _ in range(5):
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    cg.onnx.export(model, x, tmp_path / "trained.onnx", dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
    assert model.training and all(p.grad is not None for p in model.parameters())
    model.eval()
    np.testing.assert_allclose(run_onnx(tmp_path / "trained.onnx", {"input": x.numpy()[:5]})[0],
                               model(x[:5]).detach().numpy(), rtol=1e-5, atol=1e-5)
