"""summary() and receptive_field(): shapes vs running the layers, parameter counts, hand-computed fields, errors."""

import math

import numpy as np
import pytest

import chalkgrad as cg
from chalkgrad import nn
from chalkgrad.nn.summary import LayerRow, ReceptiveField, Summary

HAS_CONV = all(hasattr(nn, n) for n in ("Conv2d", "MaxPool2d", "AdaptiveAvgPool2d"))
needs_conv = pytest.mark.skipif(not HAS_CONV, reason="nn.Conv2d / pooling layers not available yet")


class Window(nn.Module):
    """A parameter-free sliding-window layer implementing the static protocol (any number of dims)."""

    def __init__(self, kernel, stride=1, padding=0, dilation=1, transposed=False, channels=None):
        super().__init__()
        self.k, self.s, self.p, self.d, self.transposed = kernel, stride, padding, dilation, transposed
        self.channels = channels  # (in, out) to check and change the channel count, like a conv

    def _t(self, v, n):
        return tuple(v) if isinstance(v, tuple) else (v,) * n

    def output_shape(self, input_shape):
        n = len(input_shape) - 2
        k, s, p, d = (self._t(v, n) for v in (self.k, self.s, self.p, self.d))
        dims = list(zip(input_shape[2:], k, s, p, d))
        if self.transposed:
            sp = tuple((i - 1) * si - 2 * pi + di * (ki - 1) + 1 for i, ki, si, pi, di in dims)
        else:
            sp = tuple((i + 2 * pi - di * (ki - 1) - 1) // si + 1 for i, ki, si, pi, di in dims)
        if min(sp) < 1:
            raise cg.ShapeError(f"Window: input {tuple(input_shape)} is smaller than the kernel")
        c = input_shape[1]
        if self.channels is not None:
            if c != self.channels[0]:
                raise cg.ShapeError(f"Window: expected {self.channels[0]} channels, got {c}")
            c = self.channels[1]
        return (input_shape[0], c) + sp

    def receptive_field(self):
        rf = {"kernel": self.k, "stride": self.s, "padding": self.p, "dilation": self.d}
        if self.transposed:
            rf["transposed"] = True
        return rf


def _capture_shapes(model, x):
    """Output shape of every submodule when actually running ``model`` on ``x`` (via forward hooks)."""
    shapes = {}
    for path, m in model.named_modules():
        m.register_forward_hook(lambda mod, args, out, path=path: None if path in shapes else
                                shapes.__setitem__(path, tuple(out.shape)))  # the first call's
    model(x)
    return shapes


def _check_against_run(model, input_size):
    model.eval()
    s = nn.summary(model, input_size, depth=10)
    run = _capture_shapes(model, cg.zeros(*input_size))
    for row in s.rows:
        module = model.get_submodule(row.path)
        assert row.type == type(module).__name__
        assert (row.params, row.trainable_params) == (module.count_parameters(), module.count_parameters(True))
        if row.kind != "inner" or row.output_shape is not None:  # every row a forward call reaches has shapes
            assert row.output_shape == run[row.path], row.path
        else:
            assert row.path not in run, row.path
    assert s.output_size == run[""]
    assert s.total_params == model.count_parameters()
    assert s.trainable_params == model.count_parameters(trainable_only=True)
    return s


def test_summary_mlp_rows_totals_and_table():
    cg.manual_seed(0)
    model = nn.Sequential(nn.Linear(10, 20), nn.BatchNorm1d(20), nn.ReLU(),
                          nn.Sequential(nn.Linear(20, 5), nn.Tanh()))
    model[0].requires_grad_(False)
    s = _check_against_run(model, (4, 10))
    assert isinstance(s, Summary) and all(isinstance(r, LayerRow) for r in s.rows)
    assert [r.path for r in s.rows] == ["", "0", "1", "2", "3", "3.0", "3.1"]
    assert [r.kind for r in s.rows] == ["container", "layer", "layer", "layer", "container", "layer", "layer"]
    assert [r.depth for r in s.rows] == [0, 1, 1, 1, 1, 2, 2]
    assert s.rows[1].input_shape == (4, 10) and s.rows[5].input_shape == (4, 20)
    assert (s.total_params, s.trainable_params, s.non_trainable_params) == (365, 145, 220)
    assert s.buffer_elements == 40  # BatchNorm running mean and variance, not counted as params
    assert s.total_macs == 4 * 10 * 20 + 4 * 20 + 4 * 20 * 5 == s.rows[0].macs
    assert s.input_bytes == 4 * 10 * 4
    assert s.activation_bytes == 4 * (4 * 20 * 3 + 4 * 5 * 2)  # layers only, not containers
    assert s.param_bytes == 365 * 4 and s.buffer_bytes == 40 * 4 + 8
    assert s.total_bytes == s.input_bytes + s.activation_bytes + s.param_bytes + s.buffer_bytes
    text = str(s)
    for fragment in ["├─0: Linear", "└─3: Sequential", "   ├─3.0: Linear", "[4, 20]", "220 (frozen)",
                     "Total params: 365", "Trainable params: 145", "Non-trainable params: 220", "Buffers: 40",
                     "Total MACs: 1,280"]:
        assert fragment in text, fragment
    assert repr(s) == text
    assert s.as_dicts()[1] == {"path": "0", "type": "Linear", "depth": 1, "kind": "layer", "input_shape": (4, 10),
                               "output_shape": (4, 20), "params": 220, "trainable_params": 0, "macs": 800}
    assert [r.path for r in nn.summary(model, (4, 10), depth=1).rows] == ["", "0", "1", "2", "3"]


def test_summary_input_size_with_batch_size_and_dtype(capsys):
    model = nn.Sequential(nn.Linear(3, 2))
    printed = nn.summary(model, (1, 3), verbose=True)
    assert capsys.readouterr().out == str(printed) + "\n"
    a = nn.summary(model, (5, 3))
    b = nn.summary(model, (3,), batch_size=5, dtype="float64")
    assert a.input_size == b.input_size == (5, 3) and a.output_size == (5, 2)
    assert b.activation_bytes == 2 * a.activation_bytes == 5 * 2 * 8
    with pytest.raises(cg.ConfigError, match="input_size is required"):
        nn.summary(model)
    with pytest.raises(cg.ConfigError, match="positive sizes"):
        nn.summary(model, (0, 3))
    with pytest.raises(cg.ConfigError, match="several inputs"):
        nn.summary(model, [(1, 3), (1, 3)])


def test_summary_error_names_layer_path_shape_and_constraint():
    model = nn.Sequential(nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3), nn.Linear(4, 2)))
    with pytest.raises(cg.ShapeError) as info:
        nn.summary(model, (2, 4))
    msg = str(info.value)
    assert "layer '0.3' (Linear) received an input of shape (2, 3)" in msg and "must end in 4 features" in msg
    with pytest.raises(cg.ShapeError, match=r"layer '1' \(BatchNorm1d\).*expected num_features=5"):
        nn.summary(nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(5)), (2, 2))


class Residual(nn.Module):
    """body(x) + shortcut(x) with a projection: a block with a custom forward and its own static arithmetic."""

    def __init__(self, n, m):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(n, m), nn.ReLU(), nn.Linear(m, m))
        self.shortcut = nn.Linear(n, m, bias=False)

    def forward(self, x):
        return self.body(x) + self.shortcut(x)

    def output_shape(self, input_shape):
        return self.body.output_shape(input_shape)

    def macs(self, input_shape):
        return self.body.macs(input_shape) + self.shortcut.macs(input_shape)


class NoMacsResidual(Residual):
    macs = nn.Module.macs


class Opaque(nn.Module):
    def __init__(self):
        super().__init__()
        self.inner = nn.Linear(3, 3)

    def forward(self, x):
        return self.inner(x)


class FlatNet(nn.Module):
    """Children registered in data-flow order, with a flatten in forward: shown like a Sequential."""

    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(3, 4)
        self.act = nn.ReLU()
        self.out = nn.Linear(8, 2)

    def forward(self, x):
        return self.out(self.act(self.hidden(x)).flatten(1))

    def output_shape(self, input_shape):
        return (input_shape[0], 2)


def test_summary_block_rows_and_notes():
    model = nn.Sequential(nn.Linear(3, 6), Residual(6, 4), nn.Linear(4, 2))
    s = _check_against_run(model, (2, 3))
    assert [(r.path, r.kind) for r in s.rows] == [
        ("", "container"), ("0", "layer"), ("1", "block"), ("1.body", "inner"), ("1.body.0", "inner"),
        ("1.body.1", "inner"), ("1.body.2", "inner"), ("1.shortcut", "inner"), ("2", "layer")]
    block = s.rows[2]
    assert block.params == 28 + 20 + 24 and block.macs == 2 * 24 + 2 * 16 + 2 * 24
    # Inside the block (no main_path()): shapes and MACs from a traced forward pass; not in the totals.
    assert [(r.input_shape, r.output_shape, r.macs) for r in s.rows[3:8]] == [
        ((2, 6), (2, 4), 2 * 24 + 2 * 16), ((2, 6), (2, 4), 2 * 24), ((2, 4), (2, 4), 0), ((2, 4), (2, 4), 2 * 16),
        ((2, 6), (2, 4), 2 * 24)]
    assert s.total_macs == 2 * 18 + block.macs + 2 * 8
    assert not s.notes

    s2 = nn.summary(nn.Sequential(NoMacsResidual(3, 2)), (2, 3))
    assert s2.rows[1].macs is None and s2.total_macs == 0 and "defines no macs()" in s2.notes[0]
    assert "Note:" in str(s2)
    traced = _check_against_run(nn.Sequential(nn.Linear(3, 3), Opaque()), (1, 3))  # no output_shape: traced
    assert [(r.path, r.kind, r.macs) for r in traced.rows] == [
        ("", "container", 18), ("0", "layer", 9), ("1", "container", 9), ("1.inner", "layer", 9)]


def test_summary_custom_module_with_children_in_data_flow_order():
    s = _check_against_run(FlatNet(), (5, 2, 3))
    assert [(r.path, r.kind, r.input_shape) for r in s.rows] == [
        ("", "container", (5, 2, 3)), ("hidden", "layer", (5, 2, 3)), ("act", "layer", (5, 2, 4)),
        ("out", "layer", (5, 8))]
    assert s.total_macs == 5 * 2 * 3 * 4 + 5 * 8 * 2
    assert any("'out' receives its input flattened" in n for n in s.notes)


@needs_conv
def test_summary_cnn_against_running_zeros():
    cg.manual_seed(0)
    model = nn.Sequential(
        nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2)),
        nn.Conv2d(4, 6, 3, stride=2, dilation=1), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(6, 3))
    s = _check_against_run(model, (2, 3, 12, 12))
    conv = s.rows[2]
    assert conv.path == "0.0" and conv.macs == 2 * 4 * 12 * 12 * 3 * 9
    assert s.buffer_elements == 8
    assert s.total_macs == sum(r.macs for r in s.rows if r.kind == "layer")


@needs_conv
def test_summary_vgg16_shapes_and_counts():
    cfg = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]
    layers, c = [], 3
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            layers += [nn.Conv2d(c, v, 3, padding=1), nn.ReLU()]
            c = v
    # The classifier's Linear(25088, 4096) would allocate 400 MB: count the convolutional part.
    model = nn.Sequential(nn.Sequential(*layers), nn.AdaptiveAvgPool2d((7, 7)), nn.Flatten())
    s = nn.summary(model, (1, 3, 224, 224))
    assert s.output_size == (1, 25088)
    assert s.total_params == 14_714_688
    assert s.total_macs == 15_346_630_656  # the known 15.35 GMACs of VGG16's conv layers


# ----------------------------------------------------------------------------- receptive field
def test_receptive_field_three_3x3_is_7():
    model = nn.Sequential(Window(3, padding=1), nn.ReLU(), Window(3, padding=1), Window(3, padding=1))
    rf = nn.receptive_field(model, (1, 1, 16, 16))
    assert isinstance(rf, ReceptiveField)
    assert [r.size for r in rf.rows] == [(3, 3), (3, 3), (5, 5), (7, 7)]
    assert rf.size == (7, 7) and rf.jump == (1, 1) and rf.start == (0.0, 0.0)
    assert rf.rows[1].kernel is None and not rf.branched and rf.note == ""
    assert rf.rows[-1].output_shape == (1, 1, 16, 16)
    assert "Receptive field: 7x7" in str(rf)


def test_receptive_field_conv_pool_conv_is_8():
    model = nn.Sequential(Window(3), Window(2, stride=2), Window(3))
    rf = nn.receptive_field(model, (1, 1, 16, 16))
    assert [r.size for r in rf.rows] == [(3, 3), (4, 4), (8, 8)]
    assert [r.jump for r in rf.rows] == [(1, 1), (2, 2), (2, 2)]
    assert rf.start == (3.5, 3.5)  # the first output sees input pixels 0..7, centre 3.5
    assert nn.receptive_field(model).size == (8, 8)  # no input size needed for a plain chain


def test_receptive_field_alexnet_like_is_195():
    model = nn.Sequential(Window(11, 4, 2), nn.ReLU(), Window(3, 2), Window(5, padding=2), Window(3, 2),
                          Window(3, padding=1), Window(3, padding=1), Window(3, padding=1), Window(3, 2))
    rf = nn.receptive_field(model, (1, 3, 224, 224))
    assert [r.size[0] for r in rf.rows if r.kernel] == [11, 19, 51, 67, 99, 131, 163, 195]
    assert rf.jump == (32, 32) and rf.rows[-1].output_shape == (1, 3, 6, 6)


def test_receptive_field_dilation_anisotropic_and_1d():
    rf = nn.receptive_field(nn.Sequential(Window((3, 1), dilation=(2, 1)), Window((1, 5), stride=(1, 2))),
                            (1, 1, 20, 20))
    assert rf.size == (5, 5) and rf.jump == (1, 2)
    rf1 = nn.receptive_field(nn.Sequential(Window(3, dilation=4), Window(2, 2)), (1, 1, 30))
    assert rf1.size == (10,) and rf1.jump == (2,)
    up = nn.receptive_field(nn.Sequential(Window(2, 2), Window(2, 2, transposed=True)), (1, 1, 8, 8))
    assert up.jump == (1, 1) and up.size == (2, 2) and up.rows[-1].output_shape == (1, 1, 8, 8)


def test_receptive_field_global_and_flatten():
    model = nn.Sequential(Window(3), nn.Flatten(), nn.Linear(36, 2))
    rf = nn.receptive_field(model, (1, 1, 8, 8))
    assert [r.is_global for r in rf.rows] == [False, True, True]
    assert rf.size == (8, 8) and rf.start == (3.5, 3.5)
    assert "global 8x8" in rf.table()


class Block(nn.Module):
    """A residual block: main path conv-conv (stride 2), projection shortcut 1x1 stride 2."""

    def __init__(self):
        super().__init__()
        self.conv1 = Window(3, 2, 1)
        self.relu = nn.ReLU()
        self.conv2 = Window(3, 1, 1)
        self.downsample = Window(1, 2)

    def output_shape(self, input_shape):
        return self.conv2.output_shape(self.conv1.output_shape(input_shape))


def test_receptive_field_branches_follow_main_path():
    model = nn.Sequential(Window(3, padding=1), Block())
    rf = nn.receptive_field(model, (1, 1, 16, 16))
    assert rf.branched and "'1'" in rf.note and "main branch" in rf.note
    assert [r.path for r in rf.rows] == ["0", "1.conv1", "1.relu", "1.conv2"]
    assert rf.size == (3 + 2 + 2 * 2,) * 2 and rf.jump == (2, 2)
    assert "Note:" in str(rf)
    with pytest.raises(cg.ConfigError, match="give input_size"):
        nn.receptive_field(model)


class Inception(nn.Module):
    """Three branches from the same input, concatenated along the channels."""

    def __init__(self):
        super().__init__()
        self.b1 = Window(1, channels=(4, 2))
        self.b2 = nn.Sequential(Window(1, channels=(4, 2)), Window(3, padding=1, channels=(2, 2)))
        self.b3 = nn.Sequential(Window(1, channels=(4, 2)), Window(5, padding=2, channels=(2, 2)))
        self.pool = Window(3, padding=1)

    def output_shape(self, input_shape):
        return (input_shape[0], 6) + tuple(input_shape[2:])


def test_receptive_field_parallel_branches_take_the_largest():
    model = nn.Sequential(Window(3, padding=1, channels=(1, 4)), Inception(), Window(3, padding=1, channels=(6, 6)))
    rf = nn.receptive_field(model, (1, 1, 12, 12))
    assert rf.branched
    assert [r.path for r in rf.rows] == ["0", "1.b3.0", "1.b3.1", "2"]
    assert rf.size == (3 + 4 + 2,) * 2


def test_receptive_field_errors():
    with pytest.raises(cg.ConfigError, match="no spatial dimensions"):
        nn.receptive_field(nn.Sequential(nn.Linear(3, 3)), (2, 3))
    with pytest.raises(cg.ShapeError, match=r"layer '1' \(Window\) received an input of shape \(1, 1, 2, 2\)"):
        nn.receptive_field(nn.Sequential(Window(3, padding=1), Window(5)), (1, 1, 2, 2))
    with pytest.raises(cg.ShapeError, match="gives kernel"):
        nn.receptive_field(nn.Sequential(Window((3, 3, 3))), (1, 1, 8, 8))


@needs_conv
def test_receptive_field_of_real_layers_matches_gradient_support():
    """The input pixels that influence one output (nonzero gradient) span exactly the computed field."""
    cg.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(2, 1, 3, dilation=2),
                          nn.AvgPool2d(2))
    with cg.no_grad():
        for p in model.parameters():
            p.copy_(cg.tensor(np.abs(p.detach().numpy()) + 0.1))
    size = (1, 1, 24, 24)
    rf = nn.receptive_field(model, size)
    x = cg.tensor(np.random.default_rng(0).uniform(1, 2, size).astype(np.float32), requires_grad=True)
    y = model(x)
    assert y.shape == rf.rows[-1].output_shape
    y[0, 0, 1, 1].backward()
    rows, cols = np.nonzero(x.grad.numpy()[0, 0])
    r, j, start = rf.size, rf.jump, rf.start
    assert (rows.max() - rows.min() + 1, cols.max() - cols.min() + 1) == r
    assert math.isclose((rows.min() + rows.max()) / 2, start[0] + j[0]) and math.isclose(
        (cols.min() + cols.max()) / 2, start[1] + j[1])


class BasicBlock(nn.Module):
    """ResNet's basic block: relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))."""

    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
        return self.relu(out + (x if self.downsample is None else self.downsample(x)))

    def output_shape(self, input_shape):
        return self.conv2.output_shape(self.conv1.output_shape(input_shape))

    def macs(self, input_shape):
        mid = self.conv1.output_shape(input_shape)
        total = self.conv1.macs(input_shape) + self.conv2.macs(mid)
        return total + (self.downsample.macs(input_shape) if self.downsample is not None else 0)


@needs_conv
def test_resnet_blocks_summary_and_receptive_field():
    cg.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), BasicBlock(4, 8, 2), BasicBlock(8, 8))
    s = _check_against_run(model, (1, 1, 16, 16))
    assert [r.kind for r in s.rows if r.depth == 1] == ["layer", "block", "block"]
    assert s.rows[2].output_shape == (1, 8, 8, 8) and s.rows[2].macs == model[1].macs((1, 4, 16, 16))
    rf = nn.receptive_field(model, (1, 1, 16, 16))
    assert rf.branched and "'1', '2'" in rf.note
    assert [r.path for r in rf.rows] == ["0", "1.conv1", "1.bn1", "1.relu", "1.conv2", "1.bn2",
                                         "2.conv1", "2.bn1", "2.relu", "2.conv2", "2.bn2"]
    assert rf.size == (17, 17) and rf.jump == (2, 2)
    # The residual sum's field is the main branch's: check with the gradient of one output.
    model.eval()
    with cg.no_grad():
        for p in model.parameters():
            p.copy_(cg.tensor(np.abs(p.detach().numpy()) + 0.1))
    x = cg.tensor(np.random.default_rng(1).uniform(1, 2, (1, 1, 40, 40)).astype(np.float32), requires_grad=True)
    model(x)[0, 0, 10, 10].backward()
    rows, cols = np.nonzero(x.grad.numpy()[0, 0])
    assert (rows.max() - rows.min() + 1, cols.max() - cols.min() + 1) == (17, 17)


class WithMainPath(nn.Module):
    """Declares its longest path with ``main_path()`` (the model zoo's convention); ``side`` is a branch."""

    def __init__(self):
        super().__init__()
        self.a = Window(3, padding=1)
        self.side = Window(5, padding=2)
        self.b = nn.Sequential(nn.ReLU(), Window(3, padding=1))

    def main_path(self):
        return [self.a, *self.b]

    def output_shape(self, input_shape):
        return tuple(input_shape)


class ResidualUnit(nn.Module):
    """A block that answers receptive_field() itself, flagged residual."""

    def __init__(self):
        super().__init__()
        self.conv = Window(3, padding=1)

    def output_shape(self, input_shape):
        return tuple(input_shape)

    def receptive_field(self):
        return {"kernel": 3, "stride": 1, "padding": 1, "residual": True}


def test_receptive_field_main_path_protocol_and_residual_flag():
    for size in [(1, 1, 10, 10), None]:
        rf = nn.receptive_field(nn.Sequential(WithMainPath()), size)
        assert [r.path for r in rf.rows] == ["0.a", "0.b.0", "0.b.1"]
        assert rf.size == (5, 5) and rf.branched and "'0.side'" in rf.note
    rf = nn.receptive_field(nn.Sequential(ResidualUnit(), ResidualUnit()), (1, 1, 10, 10))
    assert [r.path for r in rf.rows] == ["0", "1"] and rf.size == (5, 5) and rf.branched
    plain = nn.receptive_field(nn.Sequential(Window(3)), (1, 1, 10, 10))
    assert not plain.branched and plain.note == ""
