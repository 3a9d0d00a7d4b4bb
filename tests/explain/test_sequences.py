"""Worked recurrent steps (RNN, LSTM, GRU): values equal PyTorch's, formulas verify, problem files."""

import os
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalkgrad import nn
from chalkgrad.errors import ConfigError, ShapeError
from chalkgrad.explain import render
from chalkgrad.explain.problem import load_problem, solve_problem
from chalkgrad.explain.sequences import explain_recurrent, recurrent_layer, recurrent_weight_names

from .problem_helpers import assert_bad_problem, solve_mutated
from .problem_helpers import solve_text as _solve_text

ROOT = Path(__file__).resolve().parents[2]
PROBLEMS = ROOT / "examples" / "problems"
GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("CHALKGRAD_UPDATE_GOLDEN") == "1"
GATES = {"rnn": 1, "lstm": 4, "gru": 3}


def _weights(cell, d, H, seed, single=False):
    rng = np.random.default_rng(seed)
    G = GATES[cell]
    w_ih, w_hh = rng.normal(size=(G * H, d)) * 0.7, rng.normal(size=(G * H, H)) * 0.7
    b_ih = rng.normal(size=G * H) * 0.3
    b_hh = None if single else rng.normal(size=G * H) * 0.3
    return w_ih, w_hh, b_ih, b_hh


def _torch_cell(cell, w_ih, w_hh, b_ih, b_hh, nonlinearity="tanh"):
    """The torch cell with these weights; a missing b_hh (one bias per gate) is torch's b_hh = 0."""
    d, H = w_ih.shape[1], w_hh.shape[1]
    if cell == "rnn":
        m = torch.nn.RNNCell(d, H, nonlinearity=nonlinearity, dtype=torch.float64)
    else:
        m = {"lstm": torch.nn.LSTMCell, "gru": torch.nn.GRUCell}[cell](d, H, dtype=torch.float64)
    zeros = np.zeros(w_hh.shape[0])
    with torch.no_grad():
        m.weight_ih.copy_(torch.tensor(w_ih))
        m.weight_hh.copy_(torch.tensor(w_hh))
        m.bias_ih.copy_(torch.tensor(zeros if b_ih is None else b_ih))
        m.bias_hh.copy_(torch.tensor(zeros if b_hh is None else b_hh))
    return m


def _torch_steps(cell, m, x, h0, c0=None):
    """Torch's h_t (and c_t) for every step, and the gates computed from torch's weights."""
    h = torch.tensor(h0)[None]
    c = torch.tensor(c0)[None] if c0 is not None else None
    H = h.shape[1]
    rows = []
    for t in range(len(x)):
        xt = torch.tensor(x[t])[None]
        xp = xt @ m.weight_ih.T + m.bias_ih
        ah = h @ m.weight_hh.T + m.bias_hh
        gates = {}
        if cell == "lstm":
            a = (xp + ah)[0]
            gates = {"i": torch.sigmoid(a[:H]), "f": torch.sigmoid(a[H:2 * H]), "g": torch.tanh(a[2 * H:3 * H]),
                     "o": torch.sigmoid(a[3 * H:])}
            h, c = m(xt, (h, c))
            gates["c"] = c[0]
        elif cell == "gru":
            r = torch.sigmoid(xp[0, :H] + ah[0, :H])
            z = torch.sigmoid(xp[0, H:2 * H] + ah[0, H:2 * H])
            gates = {"r": r, "z": z, "n": torch.tanh(xp[0, 2 * H:] + r * ah[0, 2 * H:])}
            h = m(xt, h)
        else:
            h = m(xt, h)
        gates["h"] = h[0]
        rows.append({k: v.detach().numpy() for k, v in gates.items()})
    return rows


def _name(base, t, j, H):
    return f"{base}_{t}" if H == 1 else f"{base}_{t},{j + 1}"


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("H,d,T,style", [(1, 1, 3, "torch"), (2, 3, 2, "torch"), (3, 2, 4, "torch"),
                                         (2, 2, 2, "single"), (2, 1, 2, "none")])
def test_every_value_equals_torch(cell, H, d, T, style):
    w_ih, w_hh, b_ih, b_hh = _weights(cell, d, H, seed=H * 10 + d, single=style != "torch")
    if style == "none":
        b_ih = None
    rng = np.random.default_rng(T)
    x, h0 = rng.normal(size=(T, d)), rng.normal(size=H) * 0.5
    c0 = rng.normal(size=H) * 0.5 if cell == "lstm" else None
    sol = explain_recurrent(recurrent_layer(cell, w_ih, w_hh, b_ih, b_hh), x, h0=h0, c0=c0)
    sol.verify()
    ref = _torch_steps(cell, _torch_cell(cell, w_ih, w_hh, b_ih, b_hh), x, h0, c0)
    for t, row in enumerate(ref, start=1):
        for key, values in row.items():
            for j in range(H):
                assert sol[_name(key, t, j, H)] == pytest.approx(values[j], rel=1e-12, abs=1e-14), (key, t, j)


def test_relu_rnn_and_single_bias_match_torch():
    w_ih, w_hh, b_ih, _ = _weights("rnn", 2, 2, seed=3, single=True)
    x = np.array([[1.0, -0.5], [0.3, 0.8], [-1.0, 0.2]])
    layer = recurrent_layer("rnn", w_ih, w_hh, b_ih, None, nonlinearity="relu")
    sol = explain_recurrent(layer, x, show=["steps", "params"])
    ref = _torch_steps("rnn", _torch_cell("rnn", w_ih, w_hh, b_ih, None, "relu"), x, np.zeros(2))
    for t, row in enumerate(ref, start=1):
        assert [sol[f"h_{t},{j}"] for j in (1, 2)] == pytest.approx(row["h"], abs=1e-14)
    assert "b_1" in sol.values() and "b_hh,1" not in sol.values()
    assert sol["params"] == 2 * (2 + 2) + 2  # one bias per unit: h·(d + h) + h


def test_course_variants_of_lstm_and_gru_follow_their_formulas():
    w_ih, w_hh, b_ih, _ = _weights("lstm", 1, 1, seed=5, single=True)
    layer = recurrent_layer("lstm", w_ih, w_hh, b_ih, candidate_activation="sigmoid", cell_activation="identity")
    sol = explain_recurrent(layer, [0.5, -1.0])
    a_g = w_ih[2, 0] * 0.5 + b_ih[2]
    assert sol["g_1"] == pytest.approx(1 / (1 + np.exp(-a_g)), abs=1e-15)
    assert sol["h_1"] == pytest.approx(sol["o_1"] * sol["c_1"], abs=1e-15)  # linear hidden unit
    text = render(sol)
    assert "g_1 = σ(a_g,1)" in text and "h_1 = o_1·c_1" in text
    w_ih, w_hh, b_ih, _ = _weights("gru", 1, 2, seed=6, single=True)
    sol = explain_recurrent(recurrent_layer("gru", w_ih, w_hh, b_ih), [[1.0], [0.5]], h0=[0.2, -0.1])
    # one bias per gate: the recurrent part of n has no bias
    assert sol["a_hn,1,1"] == pytest.approx(w_hh[4] @ [0.2, -0.1], abs=1e-15)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_bptt_gradients_equal_torch_autograd(cell):
    H, d, T = 2, 2, 3
    w_ih, w_hh, b_ih, b_hh = _weights(cell, d, H, seed=11)
    x, y = np.random.default_rng(2).normal(size=(T, d)), np.array([0.3, -0.4])
    names = recurrent_weight_names(cell, d, H)
    wanted = [names["weight_hh"][1][0], names["weight_ih"][-1][1], names["bias_hh"][-1], names["bias_ih"][0]]
    sol = explain_recurrent(recurrent_layer(cell, w_ih, w_hh, b_ih, b_hh), x, target=y, bptt=wanted,
                            show=["steps", "bptt"])
    m = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell](d, H, dtype=torch.float64)
    with torch.no_grad():
        for n, v in (("weight_ih_l0", w_ih), ("weight_hh_l0", w_hh), ("bias_ih_l0", b_ih), ("bias_hh_l0", b_hh)):
            getattr(m, n).copy_(torch.tensor(v))
    out, _ = m(torch.tensor(x))
    loss = 0.5 * ((out[-1] - torch.tensor(y)) ** 2).sum()
    loss.backward()
    assert sol["E"] == pytest.approx(loss.item(), rel=1e-12)
    G = GATES[cell]
    grads = {"weight_ih": m.weight_ih_l0.grad, "weight_hh": m.weight_hh_l0.grad, "bias_ih": m.bias_ih_l0.grad,
             "bias_hh": m.bias_hh_l0.grad}
    assert G * H == len(names["bias_ih"])
    for key, r, k in (("weight_hh", 1, 0), ("weight_ih", G * H - 1, 1), ("bias_hh", G * H - 1, None),
                      ("bias_ih", 0, None)):
        name = names[key][r][k] if k is not None else names[key][r]
        expected = grads[key][r, k] if k is not None else grads[key][r]
        assert sol[f"∂E/∂{name}"] == pytest.approx(expected.item(), rel=1e-10, abs=1e-14), name


def test_parameter_count_formula_textbook_and_torch():
    w_ih, w_hh, b_ih, b_hh = _weights("lstm", 3, 2, seed=1)
    torch_style = explain_recurrent(recurrent_layer("lstm", w_ih, w_hh, b_ih, b_hh), np.ones((1, 3)),
                                    show=["params"])
    single = explain_recurrent(recurrent_layer("lstm", w_ih, w_hh, b_ih), np.ones((1, 3)), show=["params"])
    assert torch_style["params"] == 4 * (2 * (3 + 2) + 2 * 2) == nn.lstm_param_count(3, 2)
    assert single["params"] == 4 * (2 * (3 + 2) + 2) == nn.lstm_param_count(3, 2, "single")
    assert [s.title for s in single.sections] == ["Given", "Number of parameters"]


def test_layers_and_cells_of_the_library_are_accepted():
    cell = nn.GRUCell(2, 2, dtype=np.float64)
    layer = nn.GRU(2, 2, dtype=np.float64)
    layer.load_state_dict({k + "_l0": v for k, v in cell.state_dict().items()})
    x = np.array([[0.1, 0.2], [0.3, -0.4]])
    a, b = explain_recurrent(cell, x), explain_recurrent(layer, x)
    assert a.values() == b.values()
    f32 = nn.RNNCell(1, 1)  # float32 parameters are read as the decimals they show
    with np.errstate(all="ignore"):
        f32.weight_ih.data[...] = np.float32(0.15)
    assert explain_recurrent(f32, [1.0])["W_ih"] == 0.15


def test_errors():
    w_ih, w_hh, b_ih, b_hh = _weights("rnn", 2, 2, seed=0)
    layer = recurrent_layer("rnn", w_ih, w_hh, b_ih, b_hh)
    with pytest.raises(ShapeError, match=r"shape \(steps, 2\)"):
        explain_recurrent(layer, [[1.0, 2.0, 3.0]])
    with pytest.raises(ConfigError, match="at most hidden 8, input 8, 10 steps"):
        explain_recurrent(layer, np.ones((11, 2)))
    with pytest.raises(ConfigError, match="needs a target"):
        explain_recurrent(layer, np.ones((2, 2)), bptt=["W_hh,1,1"])
    with pytest.raises(ConfigError, match="'W_xx'.*its weights are W_ih,1,1"):
        explain_recurrent(layer, np.ones((2, 2)), target=[0, 0], bptt=["W_xx"])
    with pytest.raises(ConfigError, match="only one layer in one direction"):
        explain_recurrent(nn.LSTM(2, 2, num_layers=2), np.ones((2, 2)))
    with pytest.raises(ShapeError, match=r"\(3·H, H\)"):
        recurrent_layer("gru", w_ih, w_hh)
    with pytest.raises(ConfigError, match="cell must be 'rnn', 'lstm' or 'gru'"):
        recurrent_layer("elman", w_ih, w_hh)


# ----------------------------------------------------------------------------- problem files
SEQ_FILES = ["rnn_elman_two_steps.yaml", "rnn_relu_single_bias.yaml", "lstm_one_unit.yaml", "gru_two_units.yaml"]


@pytest.mark.parametrize("name", SEQ_FILES)
def test_example_problem_files_solve_and_verify(name):
    sol = solve_problem(load_problem(PROBLEMS / name))
    sol.verify()
    assert any(s.answer for s in sol.steps())


def test_torch_parameter_names_are_accepted(tmp_path):
    text = (PROBLEMS / "gru_two_units.yaml").read_text(encoding="utf-8")
    a = _solve_text(tmp_path, text)
    for short, long in (("W_ih", "weight_ih_l0"), ("W_hh", "weight_hh"), ("b_ih", "bias_ih"), ("b_hh", "bias_hh_l0")):
        text = text.replace(f"  {short}:", f"  {long}:")
    assert _solve_text(tmp_path, text).values() == a.values()


GOLDEN_CASES = [
    ("rnn_elman_two_steps.yaml", "text", 4, "seq_rnn_elman_two_steps.txt"),
    ("lstm_one_unit.yaml", "text", 4, "seq_lstm_one_unit.txt"),
    ("gru_two_units.yaml", "md", 4, "seq_gru_two_units.md"),
    ("rnn_relu_single_bias.yaml", "tex", 4, "seq_rnn_relu_single_bias.tex"),
]


@pytest.mark.parametrize("problem,fmt,precision,golden", GOLDEN_CASES, ids=[c[-1] for c in GOLDEN_CASES])
def test_golden_renderings(problem, fmt, precision, golden):
    text = render(solve_problem(load_problem(PROBLEMS / problem)), format=fmt, precision=precision)
    path = GOLDEN / golden
    if UPDATE:
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"golden file {golden} is missing; run with CHALKGRAD_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8")


ELMAN = (PROBLEMS / "rnn_elman_two_steps.yaml").read_text(encoding="utf-8")
LSTM = (PROBLEMS / "lstm_one_unit.yaml").read_text(encoding="utf-8")

BAD = [
    (ELMAN, "cell: rnn", "cell: lstmm", r"p.yaml:3: cell: unknown cell 'lstmm'; expected one of rnn, lstm, gru"),
    (ELMAN, "  W_ih:", "  W_ix:", r"p.yaml:6: weights.W_ix: unknown weight 'W_ix'; expected one of W_ih, weight_ih"),
    (ELMAN, "W_hh: [[0.1, 0.6], [-0.5, 0.3]]", "W_hh: [[0.1, 0.6]]",
     r"p.yaml:7: weights.W_hh: has shape \(1, 2\); a rnn with hidden size 2 needs \(2, 2\)"),
    (ELMAN, "b_hh: [0.0, 0.2]", "b_hh: [0.0, 0.2, 0.1]", r"p.yaml:9: weights.b_hh: has 3 values; expected 2"),
    (ELMAN, "inputs: [[1.0, 0.5], [-0.5, 2.0]]", "inputs: [[1.0], [-0.5]]",
     r"p.yaml:10: inputs: each step has 1 value\(s\), but W_ih has 2 column\(s\)"),
    (ELMAN, "h0: [0.0, 0.0]", "h0: [0.0]", r"p.yaml:11: h0: has 1 value\(s\); expected 2"),
    (ELMAN, "  - W_hh,1,2", "  - W_hh,3,2", r"p.yaml:13: bptt: unknown weight 'W_hh,3,2'; expected one of"),
    (ELMAN, "target: [0.3, -0.2]\n", "", r"p.yaml:\d+: show: bptt needs a target"),
    (ELMAN, "show: [steps, params, bptt]", "show: [steps, gates]", r"p.yaml:16: show: expected a list from"),
    (ELMAN, "h0: [0.0, 0.0]", "c0: [0.0, 0.0]", r"p.yaml:11: c0: c0 is the cell state of an LSTM"),
    (ELMAN, "cell: rnn", "cell: rnn\ngate_activation: relu", r"p.yaml:4: gate_activation: a rnn takes nonlinearity"),
    (LSTM, "cell: lstm", "cell: lstm\ncell_activation: softplus",
     r"p.yaml:4: cell_activation: unknown cell_activation 'softplus'; expected one of tanh"),
    (LSTM, "inputs: [[1.0, 2.0], [0.5, -1.0]]", "inputs: " + str([[1.0, 2.0]] * 11),
     r"p.yaml:\d+: inputs: shape \(11, 2\) is too large"),
]


@pytest.mark.parametrize("base,old,new,message", BAD, ids=[b[3][8:40] for b in BAD])
def test_bad_problem_files(tmp_path, capsys, base, old, new, message):
    assert old in base
    assert_bad_problem(tmp_path, capsys, base.replace(old, new, 1), message)


_scalars = st.one_of(st.none(), st.booleans(), st.integers(-(10**6), 10**6), st.floats(allow_nan=True, width=32),
                     st.text(max_size=6))
_values = st.recursive(_scalars, lambda c: st.one_of(st.lists(c, max_size=3),
                                                     st.dictionaries(st.text(max_size=6), c, max_size=3)),
                       max_leaves=8)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(which=st.sampled_from(["elman", "lstm"]),
       key_path=st.sampled_from([("cell",), ("weights",), ("weights", "W_ih"), ("weights", "W_hh"),
                                 ("weights", "b_hh"), ("weights", "W_ih", 0), ("inputs",), ("inputs", 0),
                                 ("h0",), ("c0",), ("target",), ("bptt",), ("bptt", 0), ("show",),
                                 ("nonlinearity",), ("cell_activation",)]),
       value=_values)
def test_mutated_files_never_crash(tmp_path, capsys, which, key_path, value):
    doc = yaml.safe_load(ELMAN if which == "elman" else LSTM)
    solve_mutated(tmp_path, capsys, doc, key_path, value)
