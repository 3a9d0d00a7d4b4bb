"""summary() of custom modules (traced forward pass) and inside residual blocks: every row against a real run."""

import math

import numpy as np
import pytest
import torch

import chalkgrad as cg
from chalkgrad import models, nn
from chalkgrad.nn import shape_trace


def _first_call_shapes(model, x):
    """Output shape of each module's first call when running ``model`` on ``x`` (forward hooks)."""
    shapes = {}
    handles = []
    for path, m in model.named_modules():
        def hook(mod, args, out, path=path):
            first = out[0] if isinstance(out, tuple) else out  # (values, indices) of a max pool
            shapes.setdefault(path, tuple(first.shape))
        handles.append(m.register_forward_hook(hook))
    with cg.no_grad():
        model(x)
    for h in handles:
        h.remove()
    return shapes


def _assert_rows_match_a_run(model, input_size, x=None):
    model.eval()
    s = nn.summary(model, input_size, depth=20)
    run = _first_call_shapes(model, cg.zeros(*input_size) if x is None else x)
    for row in s.rows:
        module = model.get_submodule(row.path)
        assert row.params == module.count_parameters()
        if row.path in run:
            assert row.output_shape == run[row.path], row.path
        else:
            assert row.output_shape is None, row.path  # a module forward never calls
    assert s.output_size == run[""] and s.total_params == model.count_parameters()
    return s


class Block(nn.Module):
    """x + fc2(relu(fc1(x))): a residual MLP block without output_shape."""

    def __init__(self, d, h):
        super().__init__()
        self.fc1, self.act, self.fc2 = nn.Linear(d, h), nn.ReLU(), nn.Linear(h, d)

    def forward(self, x):
        return x + self.fc2(self.act(self.fc1(x)))


class Net(nn.Module):
    """Custom forward, no output_shape anywhere: a block reused once more, and a module never called."""

    def __init__(self):
        super().__init__()
        self.inp = nn.Linear(4, 8)
        self.blocks = nn.Sequential(Block(8, 16), Block(8, 16))
        self.head = nn.Linear(8, 3)
        self.unused = nn.Linear(2, 2)

    def forward(self, x):
        x = self.blocks(self.inp(x))
        return self.head(self.blocks[0](x))


class TorchBlock(torch.nn.Module):
    def __init__(self, d, h):
        super().__init__()
        self.fc1, self.act, self.fc2 = torch.nn.Linear(d, h), torch.nn.ReLU(), torch.nn.Linear(h, d)


class TorchNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.inp = torch.nn.Linear(4, 8)
        self.blocks = torch.nn.Sequential(TorchBlock(8, 16), TorchBlock(8, 16))
        self.head = torch.nn.Linear(8, 3)
        self.unused = torch.nn.Linear(2, 2)


def test_custom_modules_are_traced_and_every_row_matches_a_run():
    model = Net()
    s = _assert_rows_match_a_run(model, (5, 4))
    torch_params = dict(TorchNet().named_modules())
    for row in s.rows:  # parameter counts: the same modules in PyTorch
        assert row.params == sum(p.numel() for p in torch_params[row.path].parameters()), row.path
    rows = {r.path: r for r in s.rows}
    # MACs of a Linear: N·in·out per call; blocks.0 runs twice (inside blocks and again in forward).
    linear_calls = {"inp": 1, "blocks.0.fc1": 2, "blocks.0.fc2": 2, "blocks.1.fc1": 1, "blocks.1.fc2": 1, "head": 1}
    for path, calls in linear_calls.items():
        layer = model.get_submodule(path)
        assert rows[path].macs == calls * 5 * layer.in_features * layer.out_features, path
    assert s.total_macs == sum(rows[p].macs for p in linear_calls)
    assert rows["blocks.0"].macs == rows["blocks.0.fc1"].macs + rows["blocks.0.fc2"].macs
    assert rows["unused"].input_shape is None and rows["unused"].macs is None
    assert any("'blocks.0' is called 2 times" in n for n in s.notes)
    assert not any("blocks.0.fc1" in n for n in s.notes)  # called twice only because its block is
    assert any("'unused'" in n and "not called" in n for n in s.notes)
    assert s.activation_bytes == 4 * 5 * (8 + 3 * (16 + 16 + 8) + 3)  # every leaf call's output, float32


def test_tracing_leaves_the_model_as_it_was():
    model = nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.5), Block(4, 2), nn.BatchNorm1d(4))
    model.train()
    model[3].eval()
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    nn.summary(model, (2, 3))
    assert [m.training for m in model.modules()] == [True, True, True, True, True, True, True, False]
    assert all(not m._forward_hooks and not m._forward_pre_hooks for m in model.modules())
    for k, v in model.state_dict().items():  # batch-norm statistics untouched (the trace runs in eval mode)
        np.testing.assert_array_equal(v.numpy(), before[k])


def test_static_models_are_not_run(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("summary ran a forward pass for a model with static arithmetic")

    monkeypatch.setattr(shape_trace, "trace_calls", refuse)
    s = nn.summary(models.resnet18(num_classes=10), (1, 3, 64, 64))
    assert s.total_params == 11_181_642  # torchvision's resnet18(num_classes=10)


class Tokens(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb, self.fc = nn.Embedding(10, 4), nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(self.emb(x).mean(1))


def test_a_model_taking_indices_is_traced_with_int64_zeros():
    model = Tokens()
    s = _assert_rows_match_a_run(model, (3, 7), x=cg.tensor(np.zeros((3, 7), dtype=np.int64)))
    assert [r.output_shape for r in s.rows] == [(3, 2), (3, 7, 4), (3, 2)]


class Broken(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(x.reshape(x.shape[0], 3))


def test_a_forward_that_fails_is_one_config_error():
    with pytest.raises(cg.ConfigError, match=r"summary: running Broken on zeros of shape \(2, 5\)"):
        nn.summary(Broken(), (2, 5))


@pytest.mark.parametrize("builder,size", [(models.resnet18, 32), (models.fcn, 32),
                                          (models.segnet, 32)])
def test_zoo_rows_inside_blocks_have_the_shapes_of_a_run(builder, size):
    model = builder(num_classes=10)
    s = _assert_rows_match_a_run(model, (1, 3, size, size))
    assert all(r.output_shape is not None for r in s.rows)  # nothing left as '--'
    for row in s.rows:  # a conv's MACs: outputs × in/groups × kernel area, from the run's output shape
        layer = model.get_submodule(row.path)
        if type(layer).__name__ == "Conv2d":
            k = math.prod(layer.kernel_size)
            assert row.macs == math.prod(row.output_shape) * layer.in_channels // layer.groups * k, row.path


def test_resnet18_parameter_count_equals_pytorch_blocks():
    class TorchBasicBlock(torch.nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = torch.nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = torch.nn.BatchNorm2d(cout)
            self.conv2 = torch.nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = torch.nn.BatchNorm2d(cout)
            self.downsample = (torch.nn.Sequential(torch.nn.Conv2d(cin, cout, 1, stride, bias=False),
                                                   torch.nn.BatchNorm2d(cout)) if stride != 1 or cin != cout else None)

    s = nn.summary(models.resnet18(), (1, 3, 224, 224), depth=3)
    rows = {r.path: r for r in s.rows}
    for stage, (cin, cout, stride) in enumerate([(64, 64, 1), (64, 128, 2), (128, 256, 2), (256, 512, 2)], 1):
        first = TorchBasicBlock(cin, cout, stride)
        assert rows[f"layer{stage}.0"].params == sum(p.numel() for p in first.parameters())
        for name, m in first.named_children():
            if m is not None:
                assert rows[f"layer{stage}.0.{name}"].params == sum(p.numel() for p in m.parameters())
        assert rows[f"layer{stage}.0.conv1"].output_shape == (1, cout, 56 // 2 ** (stage - 1), 56 // 2 ** (stage - 1))
