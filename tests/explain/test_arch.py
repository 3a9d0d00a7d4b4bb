"""Architecture arithmetic with formulas: the course problems' numbers, from the layers' own arithmetic."""

import pytest

from chalkgrad import nn
from chalkgrad.explain import render
from chalkgrad.explain.arch import explain_architecture, explain_receptive_field


def section_values(solution, title_start):
    sec = next(s for s in solution.sections if s.title.startswith(title_start))
    return {st.name: st.value for st in sec.steps}


def test_four_conv_blocks_keras_style_summary():
    # 128x128x3 -> 4 x [Conv(n, 5x5, valid) -> MaxPool(2)] -> Flatten -> Dense 1024 -> 512 -> 2
    layers, c = [], 3
    for n in (32, 64, 128, 256):
        layers += [nn.Conv2d(c, n, 5), nn.ReLU(), nn.MaxPool2d(2)]
        c = n
    layers += [nn.Flatten(), nn.Linear(4096, 1024), nn.ReLU(), nn.Linear(1024, 512), nn.ReLU(), nn.Linear(512, 2)]
    model = nn.Sequential(*layers)
    s = explain_architecture(model, (3, 128, 128))
    conv_params = [section_values(s, f"{i}: Conv2d")[f"params({i})"] for i in (0, 3, 6, 9)]
    assert conv_params == [2432, 51264, 204928, 819456]
    sizes = [s[f"H_out({i})"] for i in (0, 2, 3, 5, 6, 8, 9, 11)]
    assert sizes == [124, 62, 58, 29, 25, 12, 8, 4]
    assert [s[f"W_out({i})"] for i in (0, 2, 3, 5, 6, 8, 9, 11)] == sizes
    assert section_values(s, "12: Flatten")["features(12)"] == 4096
    dense = [section_values(s, f"{i}: Linear")[f"params({i})"] for i in (13, 15, 17)]
    assert dense == [4195328, 524800, 1026]
    assert s["total parameters"] == 5799234 == model.count_parameters()
    text = render(s)
    assert "params(0) = (k·k·C_in + 1)·C_out = (5·5·3 + 1)·32 = 2432" in text
    assert "H_out(0) = ⌊(H_in + 2·p − k)/s⌋ + 1 = ⌊(128 + 2·0 − 5)/1⌋ + 1 = 124" in text
    assert "MACs(0) = C_out·H_out(0)·W_out(0)·k·k·C_in" in text


def test_bottleneck_multiplications():
    # 50x50x200 -> 1x1 conv to 50 channels -> 5x5 conv (padding 2) to 75 channels
    model = nn.Sequential(nn.Conv2d(200, 50, 1), nn.Conv2d(50, 75, 5, padding=2))
    s = explain_architecture(model, (200, 50, 50))
    assert s["MACs(0)"] == 25_000_000 and s["MACs(1)"] == 234_375_000
    assert s["total MACs"] == 259_375_000


def test_strided_dilated_grouped_and_transposed_layers_match_their_shapes():
    model = nn.Sequential(nn.Conv2d(4, 8, (3, 5), stride=(2, 1), padding=(1, 2), dilation=(2, 1), groups=2),
                          nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True),
                          nn.ConvTranspose2d(8, 4, 3, stride=2, padding=1, output_padding=1),
                          nn.AvgPool2d(2))
    s = explain_architecture(model, (4, 17, 16))
    import chalkgrad as cg

    x = cg.zeros(1, 4, 17, 16)
    shapes = []
    for layer in model:
        x = layer(x)
        shapes.append(tuple(x.shape[1:]))
    for i, shape in enumerate(shapes):
        vals = section_values(s, f"{i}: ")
        assert (vals[f"H_out({i})"], vals[f"W_out({i})"]) == shape[1:], i
    assert s["params(0)"] == model[0].count_parameters() and s["params(2)"] == model[2].count_parameters()
    s.verify()


@pytest.mark.parametrize("layers,expected", [
    ([(11, 4), (3, 2), (5, 1)], [11, 19, 51]),   # r_k = r_{k-1} + (prod of strides)·(f_k − 1)
    ([(5, 1), (2, 2), (5, 1), (2, 2)], [5, 6, 14, 16]),  # LeNet on 32x32
    ([(3, 1), (3, 1), (3, 1)], [3, 5, 7]),
])
def test_receptive_field_recurrence(layers, expected):
    mods = [nn.Conv2d(1, 1, k, stride=s) if i % 2 == 0 or k != 2 else nn.MaxPool2d(k, s)
            for i, (k, s) in enumerate(layers)]
    s = explain_receptive_field(nn.Sequential(*mods), (1, 227, 227))
    assert [s[f"r_{i + 1}"] for i in range(len(layers))] == expected
    assert "r_1 = r_0 + (k − 1)·j_0" in render(s)


def test_receptive_field_of_a_fully_connected_layer_is_the_whole_image():
    model = nn.Sequential(nn.Conv2d(1, 6, 5), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(16 * 5 * 5, 120))
    s = explain_receptive_field(model, (1, 32, 32))
    assert s["r_4"] == 16 and s["r_5"] == 32


def test_every_layer_has_its_own_size_names_and_formulas_use_them():
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding="same"), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 4 * 4, 3))
    s = explain_architecture(model, (1, 8, 8))
    assert (s["H_out(0)"], s["W_out(0)"], s["H_out(1)"], s["W_out(1)"]) == (8, 8, 4, 4)
    assert s["features(2)"] == 64 and s["p(0)"] == 1
    shown = [st.name for st in s.steps() if not st.hidden]
    assert "H_out" not in shown and "features" not in shown
    assert len(shown) == len(set(shown))  # every printed quantity can be asked for by its name
    text = render(s)
    assert "MACs(0) = C_out·H_out(0)·W_out(0)·k·k·C_in = 4·8·8·3·3·1 = 2304" in text
    assert "features(2) = C·H·W = 4·4·4 = 64" in text
    s.verify()


@pytest.mark.parametrize("cls,kwargs", [
    ("RNN", {}), ("LSTM", {}), ("GRU", {}), ("LSTM", {"bias_style": "single"}), ("GRU", {"bias": False}),
    ("RNN", {"num_layers": 3}), ("LSTM", {"num_layers": 2, "bidirectional": True}),
    ("GRU", {"bidirectional": True, "bias_style": "single"}), ("RNN", {"nonlinearity": "relu", "num_layers": 2}),
])
def test_recurrent_parameter_formulas_match_torch(cls, kwargs):
    import torch

    d, h = 5, 7
    model = nn.Sequential(getattr(nn, cls)(d, h, batch_first=True, **kwargs))
    s = explain_architecture(model, (4, d))
    s.verify()
    torch_kwargs = {k: v for k, v in kwargs.items() if k != "bias_style"}
    ref = getattr(torch.nn, cls)(d, h, batch_first=True, **torch_kwargs)
    count = sum(p.numel() for p in ref.parameters())
    if kwargs.get("bias_style") == "single":  # one bias per gate: torch's b_hh left out
        count -= sum(p.numel() for n, p in ref.named_parameters() if n.startswith("bias_hh"))
    assert s["params(0)"] == count == model.count_parameters()
    directions = 2 if kwargs.get("bidirectional") else 1
    assert s["features(0)"] == directions * h == ref(torch.zeros(1, 4, d))[0].shape[-1]


def test_lstm_formulas_textbook_and_torch():
    s = explain_architecture(nn.Sequential(nn.LSTM(128, 128, batch_first=True, bias_style="single")), (10, 128))
    assert "params(0) = G·(h·(d + h) + h) = 4·(128·(128 + 128) + 128) = 131584" in render(s)
    s = explain_architecture(nn.Sequential(nn.LSTM(3, 5, batch_first=True)), (10, 3))
    assert "params(0) = G·(h·(d + h) + 2·h) = 4·(5·(3 + 5) + 2·5) = 200" in render(s)
    s = explain_architecture(nn.Sequential(nn.RNN(4, 12, bias=False, batch_first=True)), (10, 4))
    assert "params(0) = G·h·(d + h) = 1·12·(4 + 12) = 192" in render(s)


def test_embedding_then_lstm_then_linear_problem(tmp_path):
    from chalkgrad.explain.problem import load_problem, solve_problem

    path = tmp_path / "p.yaml"
    path.write_text("kind: architecture\ninput: [30]\nlayers:\n  - embedding: {num_embeddings: 1000, embedding_dim: 16}"
                    "\n  - gru: {hidden_size: 8, bidirectional: true}\n  - linear: {out_features: 2}\n",
                    encoding="utf-8")
    s = solve_problem(load_problem(path))
    import torch

    ref = [torch.nn.Embedding(1000, 16), torch.nn.GRU(16, 8, bidirectional=True), torch.nn.Linear(16, 2)]
    for i, m in enumerate(ref):
        assert s[f"params({i})"] == sum(p.numel() for p in m.parameters())
    assert s["features(0)"] == 16 and s["features(1)"] == 16
    assert "params(0) = V·e = 1000·16 = 16000" in render(s)
    assert "input (30, 16) → output (30, 16)" in render(s)


@pytest.mark.parametrize("layer,message", [
    ("lstm: {hidden_size: 4, batch_first: false}", r"p.yaml:5: layers\[1\].lstm.batch_first: shapes here are one "
                                                   r"sample \(seq_len, features\)"),
    ("lstm: {hidden_size: 4, dropout: 0.5, proj: 2}", r"p.yaml:5: layers\[1\].lstm: unknown option 'dropout'"),
    ("lstm: {}", r"p.yaml:5: layers\[1\].lstm: .*hidden_size"),
    ("lstm: {hidden_size: 4, bias_style: keras}", r"p.yaml:5: layers\[1\].lstm: .*bias_style must be"),
    ("embedding: {num_embeddings: 4, embedding_dim: 2, max_norm: 1}",
     r"p.yaml:5: layers\[1\].embedding: unknown option 'max_norm'"),
])
def test_recurrent_and_embedding_errors(tmp_path, layer, message):
    from chalkgrad.errors import ProblemError
    from chalkgrad.explain.problem import load_problem, solve_problem

    path = tmp_path / "p.yaml"
    path.write_text(f"kind: architecture\ninput: [5, 3]\nlayers:\n  - identity\n  - {layer}\n", encoding="utf-8")
    with pytest.raises(ProblemError, match=message):
        solve_problem(load_problem(path))


def test_recurrent_layer_needs_a_sequence(tmp_path):
    from chalkgrad.errors import ProblemError
    from chalkgrad.explain.problem import load_problem, solve_problem

    path = tmp_path / "p.yaml"
    path.write_text("kind: architecture\ninput: [3, 8, 8]\nlayers:\n  - rnn: {hidden_size: 4}\n", encoding="utf-8")
    with pytest.raises(ProblemError, match=r"p.yaml:4: layers\[0\].rnn: expects a sequence \(seq_len, features\) "
                                           r"per sample, got \(3, 8, 8\)"):
        solve_problem(load_problem(path))


_RECURRENT_PROBLEM = """kind: architecture
input: [6, 4]
layers:
  - lstm: {hidden_size: 3, bias_style: single}
  - gru: {hidden_size: 2, num_layers: 2, bidirectional: true}
  - linear: {out_features: 1}
"""


def _fuzz_values():
    from hypothesis import strategies as st

    scalars = st.one_of(st.none(), st.booleans(), st.integers(-(10**6), 10**6), st.floats(allow_nan=True, width=32),
                        st.text(max_size=5), st.sampled_from(["torch", "single", "relu", "tanh"]))
    keys = st.one_of(st.sampled_from(["hidden_size", "num_layers", "bias", "bias_style", "bidirectional",
                                      "batch_first", "embedding_dim", "num_embeddings", "dropout"]),
                     st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), max_size=4))
    return st.recursive(scalars, lambda c: st.one_of(st.lists(c, max_size=3), st.dictionaries(keys, c, max_size=3)),
                        max_leaves=6)


@pytest.fixture
def solve_cli():
    import argparse

    from chalkgrad.explain.command import add_solve_parser

    def run(argv):
        parser = argparse.ArgumentParser()
        add_solve_parser(parser.add_subparsers())
        args = parser.parse_args(["solve", *argv])
        return args.func(args)

    return run


def test_mutated_recurrent_problems_never_crash(tmp_path, capsys, solve_cli):
    import yaml
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    @settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(key_path=st.sampled_from([("layers", 0, "lstm"), ("layers", 0, "lstm", "hidden_size"),
                                     ("layers", 1, "gru", "num_layers"), ("layers", 1, "gru", "bias_style"),
                                     ("layers", 1), ("input",), ("layers", 0, "lstm", "bidirectional")]),
           value=_fuzz_values())
    def check(key_path, value):
        doc = yaml.safe_load(_RECURRENT_PROBLEM)
        node = doc
        for key in key_path[:-1]:
            node = node[key]
        node[key_path[-1]] = value
        path = tmp_path / "m.yaml"
        path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
        code = solve_cli([str(path)])
        err = capsys.readouterr().err
        assert code in (0, 2)
        if code == 2:
            assert err.count("\n") == 1 and "m.yaml" in err and "Traceback" not in err

    check()


# ----------------------------------------------------------------------------- models with branches
def _run_and_record(model, shape, kinds=("Conv2d", "ConvTranspose2d")):
    """Run ``model`` on zeros of ``shape`` (batch included) and record, per layer path, its input and output shapes."""
    import numpy as np

    import chalkgrad as cg

    seen, handles = {}, []
    for name, m in model.named_modules():
        if type(m).__name__ in kinds:
            def hook(mod, args, out, name=name):
                seen[name] = (tuple(args[0].shape), tuple(out.shape))
            handles.append(m.register_forward_hook(hook))
    for p in model.parameters():  # weights built under skip_init are left as allocated: make them finite
        p.data[...] = 0.0
    model.eval()
    with cg.no_grad():
        model(cg.tensor(np.zeros(shape, dtype=np.float32)))
    for h in handles:
        h.remove()
    return seen


def _check_layers_against_run(s, model, seen, prefix=""):
    mods = dict(model.named_modules())
    for name, (inp, out) in seen.items():
        path = f"{prefix}{name}"
        assert (s[f"H_out({path})"], s[f"W_out({path})"]) == out[2:], path
        assert s[f"params({path})"] == mods[name].count_parameters() == sum(p.numel() for p in mods[name].parameters())
        assert s[f"MACs({path})"] == mods[name].macs(inp)
        sec = next(x for x in s.sections if x.title == f"{path}: {type(mods[name]).__name__}")
        assert f"input {tuple(inp[1:])} → output {tuple(out[1:])}".replace(",)", ")") in sec.intro


def _stride2_block():
    from chalkgrad.models import BasicBlock

    downsample = nn.Sequential(nn.Conv2d(4, 8, 1, stride=2, bias=False), nn.BatchNorm2d(8))
    return BasicBlock(4, 8, stride=2, downsample=downsample)


def test_basic_block_with_a_downsample_shortcut():
    block = _stride2_block()
    s = explain_architecture(block, (4, 9, 9))
    s.verify()
    _check_layers_against_run(s, block, _run_and_record(block, (1, 4, 9, 9)))
    titles = [sec.title for sec in s.sections]
    assert titles == ["BasicBlock", "conv1: Conv2d", "bn1: BatchNorm2d", "relu: ReLU", "conv2: Conv2d",
                      "bn2: BatchNorm2d", "downsample.0: Conv2d", "downsample.1: BatchNorm2d",
                      "BasicBlock: main path + downsample", "relu[2]: ReLU", "Totals"]
    by_title = {sec.title: sec for sec in s.sections}
    for title in ("downsample.0: Conv2d", "downsample.1: BatchNorm2d"):
        assert by_title[title].intro.startswith("shortcut branch: added to the main path's output")
    assert by_title["downsample.0: Conv2d"].intro.endswith("input (4, 9, 9) → output (8, 5, 5)")  # the block's input
    assert "the shapes agree, so the sum has shape (8, 5, 5)" in by_title["BasicBlock: main path + downsample"].intro
    assert "the same module as relu" in by_title["relu[2]: ReLU"].intro
    text = render(s)
    assert "H_out(downsample.0) = ⌊(H_in + 2·p − k)/s⌋ + 1 = ⌊(9 + 2·0 − 1)/2⌋ + 1 = 5" in text
    assert "params(downsample.0) = k·k·C_in·C_out = 1·1·4·8 = 32" in text
    assert "H_out(conv1) = ⌊(H_in + 2·p − k)/s⌋ + 1 = ⌊(9 + 2·1 − 3)/2⌋ + 1 = 5" in text
    assert s["total parameters"] == block.count_parameters() == 9 * 4 * 8 + 9 * 8 * 8 + 4 * 8 + 4 * 8 + 2 * 8
    assert s["total MACs"] == block.macs((1, 4, 9, 9))
    shown = [st.name for st in s.steps() if not st.hidden]
    assert len(shown) == len(set(shown))


def test_basic_block_parameters_match_torch():
    import torch

    ref = torch.nn.ModuleDict({"conv1": torch.nn.Conv2d(4, 8, 3, 2, 1, bias=False), "bn1": torch.nn.BatchNorm2d(8),
                               "conv2": torch.nn.Conv2d(8, 8, 3, 1, 1, bias=False), "bn2": torch.nn.BatchNorm2d(8),
                               "down": torch.nn.Conv2d(4, 8, 1, 2, bias=False), "down_bn": torch.nn.BatchNorm2d(8)})
    s = explain_architecture(_stride2_block(), (4, 9, 9))
    names = {"conv1": "conv1", "bn1": "bn1", "conv2": "conv2", "bn2": "bn2", "down": "downsample.0",
             "down_bn": "downsample.1"}
    for key, path in names.items():
        assert s[f"params({path})"] == sum(p.numel() for p in ref[key].parameters())
    x = torch.zeros(1, 4, 9, 9)
    assert (s["H_out(conv1)"], s["W_out(conv1)"]) == tuple(ref["conv1"](x).shape[2:])
    assert (s["H_out(downsample.0)"], s["W_out(downsample.0)"]) == tuple(ref["down"](x).shape[2:])


def test_identity_shortcut_is_added_before_the_last_relu():
    from chalkgrad.models import BasicBlock

    s = explain_architecture(BasicBlock(8, 8), (8, 5, 5))
    titles = [sec.title for sec in s.sections]
    assert titles.index("BasicBlock: main path + identity shortcut") == titles.index("relu[2]: ReLU") - 1
    add = next(sec for sec in s.sections if sec.title == "BasicBlock: main path + identity shortcut")
    assert "the block's input (8, 5, 5) is added to the main path's output ahead of its final ReLU" in add.intro
    assert s["total parameters"] == 2 * (9 * 64 + 16)


def test_resnet18_layer_by_layer():
    from chalkgrad.models import resnet18

    with nn.init.skip_init():
        model = resnet18()
    s = explain_architecture(model, (3, 32, 32))
    s.verify()
    assert s["total parameters"] == 11_689_512 == model.count_parameters()
    assert s["total MACs"] == model.macs((1, 3, 32, 32))
    seen = _run_and_record(model, (1, 3, 32, 32))
    assert len(seen) == 20  # 17 convs on the main path + 3 shortcut 1x1 convs
    _check_layers_against_run(s, model, seen)
    titles = [sec.title for sec in s.sections]
    for stage in (2, 3, 4):
        block = f"layer{stage}.0"
        assert titles.index(f"{block}.bn2: BatchNorm2d") < titles.index(f"{block}.downsample.0: Conv2d") \
            < titles.index(f"{block}: main path + {block}.downsample") < titles.index(f"{block}.relu[2]: ReLU")
    assert "layer1.0: main path + identity shortcut" in titles
    text = render(s)
    assert "params(layer2.0.downsample.0) = k·k·C_in·C_out = 1·1·64·128 = 8192" in text
    assert "shortcut branch layer3.0.downsample (from the block's input" in text


def test_resnet18_explained_by_the_summary_command(capsys):
    import argparse

    from chalkgrad.explain.summary_command import add_summary_parser

    parser = argparse.ArgumentParser()
    add_summary_parser(parser.add_subparsers())
    args = parser.parse_args(["summary", "resnet18", "--explain", "--input", "3x64x64"])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "H_out(layer1.0.conv1) = ⌊(H_in + 2·p − k)/s⌋ + 1 = ⌊(16 + 2·1 − 3)/1⌋ + 1 = 16" in out
    assert "layer4.0.downsample.0: Conv2d" in out and "11689512" in out


def test_fcn_skip_branch_reads_stage2_and_joins_after_up2():
    from chalkgrad.models import fcn

    model = fcn()
    s = explain_architecture(model, (3, 32, 32))
    s.verify()
    assert s["total parameters"] == model.count_parameters()
    assert s["total MACs"] == model.macs((1, 3, 32, 32))
    seen = _run_and_record(model, (1, 3, 32, 32))
    _check_layers_against_run(s, model, seen)  # score_pool2 included: its input is stage2's output
    titles = [sec.title for sec in s.sections]
    assert titles.index("up2: ConvTranspose2d") < titles.index("score_pool2: Conv2d") \
        < titles.index("FCN: main path + score_pool2") < titles.index("up4: ConvTranspose2d")
    skip = next(sec for sec in s.sections if sec.title == "score_pool2: Conv2d")
    assert skip.intro.startswith("skip branch from the output of stage2.4: added to the output of up2")


@pytest.mark.parametrize("size", [32, 36])
def test_segnet_unpools_restore_the_pooled_sizes(size):
    from chalkgrad.models import segnet

    model = segnet()
    s = explain_architecture(model, (3, size, size))
    s.verify()
    assert s["total parameters"] == model.count_parameters()
    assert s["total MACs"] == model.macs((1, 3, size, size))
    seen = _run_and_record(model, (1, 3, size, size), kinds=("Conv2d", "MaxUnpool2d"))
    for i in (1, 2, 3):
        assert (s[f"H_out(unpool{i})"], s[f"W_out(unpool{i})"]) == seen[f"unpool{i}"][1][2:]
    _check_layers_against_run(s, model, {k: v for k, v in seen.items() if "unpool" not in k})
    if size == 36:  # 9 → pool → 4 → unpool: the forward's output_size gives 9 back, not 8
        assert "H_out(unpool3) = H_in(pool3) = 9" in render(s)


@pytest.mark.parametrize("name", ["ConvAutoencoder", "DenoisingAutoencoder"])
def test_autoencoders(name):
    from chalkgrad import models

    model = getattr(models, name)(1, widths=(4, 8))
    s = explain_architecture(model, (1, 12, 12))
    s.verify()
    assert s["total parameters"] == model.count_parameters() == models.conv_autoencoder_num_parameters(1, None, (4, 8))
    assert s["total MACs"] == model.macs((1, 1, 12, 12))
    _check_layers_against_run(s, model, _run_and_record(model, (1, 1, 12, 12)))
    assert s["H_out(decoder.2)"] == 12


def test_a_module_used_twice_counts_its_parameters_once():
    shared = nn.Linear(4, 4)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    s = explain_architecture(model, (4,))
    s.verify()
    assert s["params(0)"] == s["params(2)"] == 20
    assert s["total parameters"] == 20 == model.count_parameters()
    assert s["total MACs"] == 32
    assert "the same module as 0" in next(sec for sec in s.sections if sec.title == "2: Linear").intro


class _Concat(nn.Module):
    """Two parallel convs whose outputs are concatenated: main_path() cannot describe it."""

    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(2, 3, 3, padding=1)
        self.b = nn.Conv2d(2, 3, 1)

    def forward(self, x):
        import chalkgrad as cg

        return cg.cat([self.a(x), self.b(x)], dim=1)

    def main_path(self):
        return [self.a]

    def output_shape(self, input_shape):
        out = self.a.output_shape(input_shape)
        return (out[0], 6) + tuple(out[2:])

    def macs(self, input_shape):
        return self.a.macs(input_shape) + self.b.macs(input_shape)


class _NoPath(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 2, 3, padding=1)

    def forward(self, x):
        return self.conv(x) + x

    def output_shape(self, input_shape):
        return tuple(input_shape)

    def macs(self, input_shape):
        return self.conv.macs(input_shape)


def test_modules_that_cannot_be_followed_are_one_row():
    model = nn.Sequential(_Concat(), nn.ReLU(), nn.Conv2d(6, 2, 1))
    s = explain_architecture(model, (2, 5, 5))
    s.verify()
    sec = next(x for x in s.sections if x.title == "0: _Concat")
    assert "shown as one row" in sec.intro and "main path gives (3, 5, 5)" in sec.intro
    assert s["params(0)"] == 2 * 3 * 9 + 3 + 2 * 3 + 3
    assert s["total parameters"] == model.count_parameters()
    s = explain_architecture(nn.Sequential(_NoPath(), nn.Flatten()), (2, 4, 4))
    assert [x.title for x in s.sections] == ["0: _NoPath", "1: Flatten", "Totals"]
    assert s["params(0)"] == 38 and s["MACs(0)"] == 2 * 16 * 18


def test_receptive_field_through_max_unpooling():
    from chalkgrad.models import segnet
    from chalkgrad.nn.summary import receptive_field

    model = segnet()
    s = explain_receptive_field(model, (3, 32, 32))
    s.verify()
    rows = [r for r in receptive_field(model, (1, 3, 32, 32)).rows if r.kernel is not None or r.is_global]
    assert [s[f"r_{i + 1}"] for i in range(len(rows))] == [r.size[0] for r in rows]
    assert "max unpooling: it upsamples by s" in render(s)
