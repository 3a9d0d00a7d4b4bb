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
    sizes = [section_values(s, f"{i}: ")[k] for i in (0, 2, 3, 5, 6, 8, 9, 11) for k in ("H_out",)]
    assert sizes == [124, 62, 58, 29, 25, 12, 8, 4]
    assert section_values(s, "12: Flatten")["features"] == 4096
    dense = [section_values(s, f"{i}: Linear")[f"params({i})"] for i in (13, 15, 17)]
    assert dense == [4195328, 524800, 1026]
    assert s["total parameters"] == 5799234 == model.num_parameters()
    text = render(s)
    assert "params(0) = (k·k·C_in + 1)·C_out = (5·5·3 + 1)·32 = 2432" in text
    assert "H_out = ⌊(H_in + 2·p − k)/s⌋ + 1 = ⌊(128 + 2·0 − 5)/1⌋ + 1 = 124" in text


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
        assert (vals["H_out"], vals["W_out"]) == shape[1:], i
    assert s["params(0)"] == model[0].num_parameters() and s["params(2)"] == model[2].num_parameters()
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
