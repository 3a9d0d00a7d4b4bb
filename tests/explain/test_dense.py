"""Dense-network worked solutions: every number equals the library's and PyTorch's."""

import numpy as np
import pytest
import torch

import chalkgrad as cg
from chalkgrad import nn
from chalkgrad.errors import ConfigError
from chalkgrad.explain import explain_dense

MAZUR = {"0.weight": [[0.15, 0.20], [0.25, 0.30]], "0.bias": [0.35, 0.35],
         "2.weight": [[0.40, 0.45], [0.50, 0.55]], "2.bias": [0.60, 0.60]}


def mazur_model(dtype=cg.float64):
    m = nn.Sequential(nn.Linear(2, 2, dtype=dtype), nn.Sigmoid(), nn.Linear(2, 2, dtype=dtype), nn.Sigmoid())
    m.load_state_dict({k: np.array(v) for k, v in MAZUR.items()})
    return m


def test_textbook_2_2_2_numbers():
    s = explain_dense(mazur_model(), [0.05, 0.10], [0.01, 0.99], lr=0.5, chain=["w5", "w1"])
    expected = {  # the published worked example (Mazur), to the digits it prints
        "net_h1": 0.3775, "out_h1": 0.593269992, "out_h2": 0.596884378, "net_o1": 1.105905967,
        "out_o1": 0.75136507, "out_o2": 0.772928465, "E_o1": 0.274811083, "E_o2": 0.023560026,
        "E": 0.298371109, "∂E/∂out_o1": 0.74136507, "∂out_o1/∂net_o1": 0.186815602, "∂E/∂w5": 0.082167041,
        "∂E/∂out_h1": 0.036350306, "∂out_h1/∂net_h1": 0.241300709, "∂E/∂w1": 0.000438568,
        "w5⁺": 0.35891648, "w6⁺": 0.408666186, "w7⁺": 0.511301270, "w8⁺": 0.561370121,
        "w1⁺": 0.149780716, "w2⁺": 0.19956143, "w3⁺": 0.24975114, "w4⁺": 0.29950229,
    }
    for name, value in expected.items():
        assert s[name] == pytest.approx(value, abs=6e-9), name


def test_float32_weights_are_read_as_the_decimals_written():
    s = explain_dense(mazur_model(cg.float32), [0.05, 0.10], [0.01, 0.99], lr=0.5)
    assert s["w1"] == 0.15 and s["b_o1"] == 0.6
    assert s["w5⁺"] == pytest.approx(0.35891648, abs=1e-8)


ACTS = {"sigmoid": (nn.Sigmoid, torch.sigmoid), "tanh": (nn.Tanh, torch.tanh),
        "relu": (nn.ReLU, torch.relu), "identity": (None, lambda v: v)}


def _random_case(acts, sizes, seed):
    rng = np.random.default_rng(seed)
    layers, params = [], []
    for (n_in, n_out), act in zip(zip(sizes[:-1], sizes[1:]), acts):
        lin = nn.Linear(n_in, n_out, dtype=cg.float64)
        w, b = rng.normal(size=(n_out, n_in)), rng.normal(size=n_out) * 0.5
        lin.load_state_dict({"weight": w, "bias": b})
        layers.append(lin)
        params.append((w, b))
        if ACTS.get(act, (None,))[0] is not None:
            layers.append(ACTS[act][0]())
        elif act == "softmax":
            layers.append(nn.Softmax(dim=-1))
    return nn.Sequential(*layers), params, rng.normal(size=sizes[0])


def _torch_reference(params, acts, x, t, loss, reduction, lr):
    ws = [(torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True)) for w, b in params]
    a = torch.tensor(x)
    for (w, b), act in zip(ws, acts):
        net = w @ a + b
        a = torch.softmax(net, -1) if act == "softmax" else ACTS[act][1](net)
    tt = torch.tensor(t)
    if loss == "mse":
        sq = ((tt - a) ** 2).sum()
        E = {"half_sum": sq / 2, "sum": sq, "mean": sq / len(t)}[reduction]
    elif loss == "cross_entropy":
        E = -(tt * a.log()).sum()
    else:
        E = torch.nn.functional.binary_cross_entropy(a, tt, reduction=reduction or "mean")
    E.backward()
    return E.item(), [(w.grad.numpy(), b.grad.numpy(), (w - lr * w.grad).detach().numpy(),
                       (b - lr * b.grad).detach().numpy()) for w, b in ws]


CASES = [
    (("sigmoid", "sigmoid"), (2, 2, 2), "mse", "half_sum"),
    (("tanh", "identity"), (3, 4, 2), "mse", "sum"),
    (("relu", "sigmoid"), (3, 3, 1), "mse", "mean"),
    (("tanh", "relu", "identity"), (2, 3, 3, 2), "mse", "half_sum"),
    (("relu", "softmax"), (4, 3, 3), "cross_entropy", None),
    (("sigmoid", "sigmoid"), (3, 2, 2), "bce", None),
    (("sigmoid", "sigmoid"), (3, 2, 3), "bce", "sum"),
    (("sigmoid", "sigmoid"), (3, 2, 3), "bce", "mean"),
    (("relu", "softmax"), (4, 3, 3), "cross_entropy", "sum"),
    (("identity",), (3, 1), "mse", "half_sum"),
]


@pytest.mark.parametrize("acts,sizes,loss,reduction", CASES)
@pytest.mark.parametrize("seed", [0, 1])
def test_every_gradient_and_update_matches_torch(acts, sizes, loss, reduction, seed):
    model, params, x = _random_case(acts, sizes, seed)
    rng = np.random.default_rng(100 + seed)
    if loss == "cross_entropy":
        t = np.eye(sizes[-1])[seed % sizes[-1]]
    else:
        t = rng.uniform(0.05, 0.95, size=sizes[-1])
    s = explain_dense(model, x, t, loss=loss, reduction=reduction, lr=0.1)
    s.verify()
    E, ref = _torch_reference(params, acts, x, t, loss, reduction, 0.1)
    assert s["E"] == pytest.approx(E, rel=1e-12)
    counter = 0
    for layer, (gw, gb, w_new, b_new) in enumerate(ref):
        n_out, n_in = gw.shape
        units = ([f"o{j + 1}" for j in range(n_out)] if layer == len(ref) - 1 else
                 [f"h{j + 1}" for j in range(n_out)] if len(ref) == 2 else
                 [f"h{layer + 1}_{j + 1}" for j in range(n_out)])
        for j in range(n_out):
            for k in range(n_in):
                counter += 1
                assert s[f"∂E/∂w{counter}"] == pytest.approx(gw[j, k], rel=1e-10, abs=1e-14)
                assert s[f"w{counter}⁺"] == pytest.approx(w_new[j, k], rel=1e-12, abs=1e-14)
            assert s[f"∂E/∂b_{units[j]}"] == pytest.approx(gb[j], rel=1e-10, abs=1e-14)
            assert s[f"b_{units[j]}⁺"] == pytest.approx(b_new[j], rel=1e-12, abs=1e-14)


def test_a_reduction_the_loss_does_not_have_is_refused():
    model, _, x = _random_case(("sigmoid", "sigmoid"), (3, 2, 2), 0)
    with pytest.raises(ConfigError, match="bce reduction must be mean or sum, got 'half_sum'"):
        explain_dense(model, x, [0.2, 0.7], loss="bce", reduction="half_sum")


def test_chain_rule_products_equal_the_gradients():
    model, _, x = _random_case(("tanh", "sigmoid"), (3, 3, 2), 5)
    s = explain_dense(model, x, [0.2, 0.7], lr=0.1, chain=["w1", "w9", "w14"])
    for name in ("∂E/∂w1", "∂E/∂w9", "∂E/∂w14"):
        values = [st.value for st in s.steps() if st.name == name]
        assert len(values) == 2  # once in the backward pass, once as a chain-rule product
        assert values[0] == pytest.approx(values[1], rel=1e-12)


def test_the_solution_verifies_itself_and_catches_a_wrong_value():
    s = explain_dense(mazur_model(), [0.05, 0.10], [0.01, 0.99], lr=0.5)
    s.verify()
    step = next(st for st in s.steps() if st.name == "δ_o1")
    step.value += 1e-6
    with pytest.raises(AssertionError, match="δ_o1"):
        s.verify()


def test_displayed_carry_reports_changed_answers():
    s = explain_dense(mazur_model(), [0.05, 0.10], [0.01, 0.99], lr=0.5)
    d = s.carried("displayed", 3)
    assert d.carry == "displayed"
    names = {x.name for x in d.differences}
    assert names, "rounding to 3 decimals changes some answers of this example"
    for diff in d.differences:
        assert round(diff.exact, 3) != diff.displayed
    assert d["out_h1"] == 0.593  # rounded before use
    # exact carrying at a generous precision changes nothing
    assert s.carried("displayed", 12).differences == [] or names


@pytest.mark.parametrize("make,match", [
    (lambda: explain_dense(nn.Sequential(nn.Sigmoid(), nn.Linear(2, 1)), [1, 2], [1]), "before any Linear"),
    (lambda: explain_dense(nn.Sequential(nn.Linear(2, 1), nn.GELU()), [1, 2], [1]), "GELU"),
    (lambda: explain_dense(nn.Sequential(nn.Linear(2, 2)), [1, 2, 3], [1, 2]), "2 numbers"),
    (lambda: explain_dense(nn.Sequential(nn.Linear(2, 2)), [1, 2], [1]), "2 values"),
    (lambda: explain_dense(nn.Sequential(nn.Linear(2, 2)), [1, 2], [1, 2], loss="cross_entropy"), "Softmax"),
    (lambda: explain_dense(nn.Sequential(nn.Linear(2, 2)), [1, 2], [1, 2], show=["forward", "update"]),
     "learning rate"),
    (lambda: explain_dense(nn.Sequential(nn.Linear(2, 2)), [1, 2], [1, 2], chain=["w9"]), "w9"),
    (lambda: explain_dense(nn.Sequential(nn.Linear(2, 2)), [1, 2], [1, 2], names={"0.weight": [["a", "a"],
                                                                                              ["b", "c"]]}),
     "used twice"),
])
def test_bad_requests_say_what_is_wrong(make, match):
    with pytest.raises(cg.ChalkgradError, match=match):
        make()


def test_textbook_notation_renames_every_quantity_consistently():
    framework = explain_dense(mazur_model(), [0.05, 0.10], [0.01, 0.99], lr=0.5, chain=["w5"])
    textbook = explain_dense(mazur_model(), [0.05, 0.10], [0.01, 0.99], lr=0.5, chain=["w5"], notation="textbook")
    textbook.verify()
    pairs = {"net_h1": "z[1]_1", "out_o1": "a[2]_1", "δ_o2": "δ[2]_2", "w5": "W[2]_11", "b_h2": "b[1]_2",
             "E": "L", "∂E/∂w5": "∂L/∂W[2]_11", "w8⁺": "W[2]_22⁺", "i2": "x_2", "t1": "y_1"}
    for old, new in pairs.items():
        assert textbook[new] == framework[old], (old, new)
    from chalkgrad.explain import render

    text = render(textbook, precision=6)
    assert "z[1]_1 = W[1]_11·x_1 + W[1]_12·x_2 + b[1]_1 = 0.15·0.05 + 0.2·0.1 + 0.35 = 0.3775" in text
    assert "net_" not in text and "out_" not in text
    assert r"z^{[1]}_{1}" in render(textbook, format="tex")
    with pytest.raises(cg.ChalkgradError, match="notation"):
        explain_dense(mazur_model(), [0.05, 0.10], [0.01, 0.99], notation="ng")


def test_print_and_notebook_display():
    from chalkgrad.explain import render

    s = explain_dense(mazur_model(), [0.05, 0.10], [0.01, 0.99], lr=0.5)
    assert str(s) == render(s)
    assert s._repr_markdown_() == render(s, format="md") and "$" in s._repr_markdown_()
