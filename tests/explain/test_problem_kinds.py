"""Optimizer and architecture problem files: solutions, errors with file/line/key, fuzzing."""

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalkgrad.errors import ProblemError
from chalkgrad.explain import render

from .problem_helpers import assert_bad_problem, solve_mutated, solve_text

ROOT = Path(__file__).resolve().parents[2]
ADAM = (ROOT / "examples" / "problems" / "adam_two_parameters.yaml").read_text(encoding="utf-8")
CNN = (ROOT / "examples" / "problems" / "conv_net_shapes.yaml").read_text(encoding="utf-8")


def test_adam_problem(tmp_path):
    s = solve_text(tmp_path, ADAM)
    assert s["w1_1"] == pytest.approx(1.490000000011111, abs=1e-12)
    assert s["w2_1"] == pytest.approx(-2.0099999999944442, abs=1e-12)
    assert s["v_1,w1"] == pytest.approx(8.1)


def test_gradients_given_instead_of_a_loss(tmp_path):
    text = ADAM.replace("loss: 3*w1**2 + 1.5*w2**3\nsteps: 1", "grads: [{w1: 9, w2: 18}]")
    s = solve_text(tmp_path, text)
    assert s["w1_1"] == pytest.approx(1.490000000011111, abs=1e-12)


def test_cnn_problem_shapes_parameters_and_receptive_field(tmp_path):
    s = solve_text(tmp_path, CNN)
    assert s["total parameters"] == (3 * 9 + 1) * 16 + (16 * 25 + 1) * 32 + (32 * 6 * 6 + 1) * 10
    assert s["r_3"] == 12
    text = render(s)
    assert "H_out(0) = ⌊(H_in + 2·p − k)/s⌋ + 1 = ⌊(32 + 2·1 − 3)/1⌋ + 1 = 32" in text


BAD = [
    (ADAM, "name: adam", "name: adamm", r"p.yaml:4: optimizer.name: unknown optimizer 'adamm'; expected one of"),
    (
        ADAM,
        "loss: 3*w1**2 + 1.5*w2**3",
        "loss: __import__('os').system('x')",
        r"p.yaml:6: loss: .*(not allowed|calls something other than)",
    ),
    (ADAM, "loss: 3*w1**2 + 1.5*w2**3", "loss: 3*w3**2", r"p.yaml:6: loss: .*'w3', which is not a parameter"),
    (ADAM, "steps: 1", "steps: 0", r"p.yaml:7: steps: expected an integer from 1 to 100"),
    (ADAM, "lr: 0.01", "lr: -0.01", r"p.yaml:\d+: .*lr"),
    (
        CNN,
        "  - relu\n  - maxpool2d: {kernel_size: 2}\n  - conv2d",
        "  - relux\n  - maxpool2d: {kernel_size: 2}\n  - conv2d",
        r"p.yaml:\d+: layers\[1\]: unknown layer 'relux'; expected one of",
    ),
    (
        CNN,
        "{out_channels: 32, kernel_size: 5}",
        "{out_channels: 32, kernel_size: 50}",
        r"p.yaml:10: layers\[3\].conv2d: .*kernel",
    ),
    (
        CNN,
        "{out_channels: 16, kernel_size: 3, padding: 1}",
        "{out_channels: 16, kernel_size: 3, stride: 0}",
        r"p.yaml:7: layers\[0\].conv2d: .*stride",
    ),
    (
        CNN,
        "{out_channels: 16, kernel_size: 3, padding: 1}",
        "{out_channel: 16, kernel_size: 3}",
        r"p.yaml:7: layers\[0\].conv2d: .*out_channel",
    ),
    (CNN, "input: [3, 32, 32]", "input: [3, -32, 32]", r"p.yaml:5: input: expected the shape of one sample"),
    (CNN, "show: [shapes, receptive_field]", "show: [shapes, flops]", r"p.yaml:15: show: expected a list from"),
]


@pytest.mark.parametrize("base,old,new,message", BAD, ids=[b[2][:30] for b in BAD])
def test_bad_problem_files(tmp_path, capsys, base, old, new, message):
    assert old in base
    assert_bad_problem(tmp_path, capsys, base.replace(old, new), message)


_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**6), 10**6), st.floats(allow_nan=True, width=32), st.text(max_size=6)
)
_values = st.recursive(
    _scalars,
    lambda c: st.one_of(st.lists(c, max_size=3), st.dictionaries(st.text(max_size=6), c, max_size=3)),
    max_leaves=8,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    which=st.sampled_from(["adam", "cnn"]),
    key_path=st.sampled_from(
        [
            ("optimizer",),
            ("optimizer", "lr"),
            ("params",),
            ("params", "w1"),
            ("loss",),
            ("steps",),
            ("layers",),
            ("layers", 0),
            ("layers", 0, "conv2d", "kernel_size"),
            ("input",),
            ("show",),
            ("layers", 3, "conv2d"),
        ]
    ),
    value=_values,
)
def test_mutated_files_never_crash(tmp_path, capsys, which, key_path, value):
    doc = yaml.safe_load(ADAM if which == "adam" else CNN)
    solve_mutated(tmp_path, capsys, doc, key_path, value)


# ----------------------------------------------------------------------------- optimizer: variants
SCHED = ADAM.replace("{name: adam, lr: 0.01, betas: [0.5, 0.9], eps: 1.0e-8}", "{name: sgd, lr: 0.1}").replace(
    "steps: 1", "steps: 3") + "lr_schedule: {name: StepLR, step_size: 2, gamma: 0.5}\n"


def test_optimizer_problem_with_a_schedule_and_without_bias_correction(tmp_path):
    s = solve_text(tmp_path, SCHED)
    assert [s["η_0"], s["η_1"], s["η_2"]] == [0.1, 0.1, 0.05]
    # w1 ← w1 − η_t·6·w1: 1.5 → 0.6 → 0.24 (η_1 = 0.1) → 0.168 (η_2 = 0.05)
    assert [s["w1_1"], s["w1_2"], s["w1_3"]] == pytest.approx([0.6, 0.24, 0.168], rel=1e-12)
    text = ADAM.replace("eps: 1.0e-8}", "eps: 1.0e-8, bias_correction: false}")
    s = solve_text(tmp_path, text)
    assert s["w1_1"] == pytest.approx(1.5 - 0.01 * 4.5 / (8.1 ** 0.5 + 1e-8), rel=1e-14)


BAD_VARIANTS = [
    (ADAM, "eps: 1.0e-8}", "eps: 1.0e-8, bias_correction: 0}",
     r"p.yaml:4: optimizer.bias_correction: expected true or false, got 0"),
    (SCHED, "name: sgd, lr: 0.1", "name: sgd, lr: 0.1, bias_correction: false",
     r"p.yaml:4: optimizer.bias_correction: bias_correction is an Adam/AdamW option; sgd has no bias correction"),
    (SCHED, "name: StepLR", "name: LambdaLR", r"p.yaml:9: lr_schedule: unknown or unsupported schedule 'LambdaLR'"),
    (SCHED, "step_size: 2", "step_size: 0", r"p.yaml:9: lr_schedule: StepLR: invalid step_size=0"),
    (SCHED, "step_size: 2", "step_sizes: 2", r"p.yaml:9: lr_schedule: StepLR has no argument 'step_sizes'"),
    (SCHED, "gamma: 0.5}", "gamma: [0.5]}", r"p.yaml:9: lr_schedule.gamma: expected a number \(milestones: a list"),
    (SCHED, "{name: StepLR, step_size: 2, gamma: 0.5}", "StepLR",
     r"p.yaml:9: lr_schedule: expected a mapping with a name"),
    (SCHED, "name: sgd, lr: 0.1", "name: rprop, lr: 0.1", r"p.yaml:9: lr_schedule: .*does not apply to rprop"),
    (SCHED, "lr_schedule:", "lr_schedules:", r"p.yaml:9: problem: unknown key 'lr_schedules'"),
]


@pytest.mark.parametrize("base,old,new,message", BAD_VARIANTS, ids=[b[2][:30] for b in BAD_VARIANTS])
def test_bad_optimizer_variants(tmp_path, capsys, base, old, new, message):
    assert old in base
    assert_bad_problem(tmp_path, capsys, base.replace(old, new), message)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    key_path=st.sampled_from([("lr_schedule",), ("lr_schedule", "name"), ("lr_schedule", "gamma"),
                              ("lr_schedule", "step_size"), ("lr_schedule", "milestones"), ("lr_schedule", "T_max"),
                              ("optimizer", "bias_correction"), ("optimizer", "name")]),
    value=_values,
)
def test_mutated_schedules_never_crash(tmp_path, capsys, key_path, value):
    doc = yaml.safe_load(SCHED)
    solve_mutated(tmp_path, capsys, doc, key_path, value)


def test_architecture_of_a_zoo_model(tmp_path, capsys):
    zoo = "kind: architecture\nmodel: lenet5\ninput: [1, 32, 32]\nexpected: {total parameters: 61706}\n"
    s = solve_text(tmp_path, zoo)
    assert s["total parameters"] == 61706 and s.mismatches == []
    cases = [(zoo.replace("lenet5", "lenet9"), r"p.yaml:2: model: unknown model 'lenet9'; expected one of"),
             (zoo + "layers: [relu]\n", r"give either 'layers'.*or 'model'")]
    for text, message in cases:
        with pytest.raises(ProblemError, match=message):
            solve_text(tmp_path, text)
