"""Computation graphs (chalkgrad.explain.graph) and the ``chalkgrad graph`` command.

Golden files (tests/explain/golden/graph_*) are regenerated on purpose only:
    CHALKGRAD_UPDATE_GOLDEN=1 python -m pytest tests/explain/test_graph.py
then read the diff before committing it.
"""

import argparse
import math
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

import chalkgrad as cg
from chalkgrad.errors import ConfigError, GradError
from chalkgrad.explain.expr import Add, Mul, Num, Sym
from chalkgrad.explain.graph import Graph, graph_of, graph_of_problem, graph_of_solution
from chalkgrad.explain.graph_command import add_graph_parser, run_graph
from chalkgrad.explain.problem import Problem, load_problem, solve_problem
from chalkgrad.explain.steps import Solution

ROOT = Path(__file__).resolve().parents[2]
PROBLEMS = ROOT / "examples" / "problems"
MAZUR = PROBLEMS / "backprop_2_2_2.yaml"
GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("CHALKGRAD_UPDATE_GOLDEN") == "1"
HAS_DOT = shutil.which("dot") is not None


def _scalars(a=2.0, b=-3.0, c=10.0):
    ta, tb, tc = (cg.tensor(v, dtype=cg.float64, requires_grad=True) for v in (a, b, c))
    return ta, tb, tc


def _sig(z):
    return 1.0 / (1.0 + math.exp(-z))


def _args(file=MAZUR, output=None, level="scalars", precision=None):
    return argparse.Namespace(file=str(file), output=None if output is None else str(output), level=level,
                              precision=precision)


@pytest.fixture(scope="module")
def mazur():
    return load_problem(MAZUR)


@pytest.fixture(scope="module")
def mazur_ops(mazur):
    return graph_of_problem(mazur, "ops")


@pytest.fixture(scope="module")
def mazur_scalars(mazur):
    return graph_of_problem(mazur, "scalars")


# ----------------------------------------------------------------------------- ops level
def test_small_expression_structure_values_and_gradients():
    a, b, c = _scalars()
    y = (a * b + c).sigmoid()
    g = graph_of(y, {"a": a, "b": b, "c": c}, retain_grads=True)
    assert [n.label for n in g.nodes] == ["a", "b", "Mul", "c", "Add", "Sigmoid"]
    assert [n.kind for n in g.nodes] == ["param", "param", "op", "param", "op", "op"]
    ids = {n.label: n.id for n in g.nodes}
    edges = [(e.src, e.dst, e.index) for e in g.edges]
    assert edges == [(ids["a"], ids["Mul"], 0), (ids["b"], ids["Mul"], 1),
                     (ids["Mul"], ids["Add"], 0), (ids["c"], ids["Add"], 1), (ids["Add"], ids["Sigmoid"], 0)]
    assert [n.label for n in g.roots()] == ["Sigmoid"]
    assert [n.label for n in g.inputs_of(ids["Add"])] == ["Mul", "c"]
    assert [n.label for n in g.consumers_of(ids["a"])] == ["Mul"]
    values = {n.label: float(n.value) for n in g.nodes}
    assert values == {"a": 2.0, "b": -3.0, "Mul": -6.0, "c": 10.0, "Add": 4.0, "Sigmoid": y.item()}
    assert all(not n.has_grad for n in g.nodes)  # nothing known before backward

    y.backward()
    assert g.fill_gradients() is g
    s = _sig(4.0)
    d = s * (1 - s)
    grads = {n.label: float(n.grad) for n in g.nodes}
    assert grads["a"] == a.grad.item() and grads["b"] == b.grad.item() and grads["c"] == c.grad.item()
    assert grads["a"] == pytest.approx(d * -3.0) and grads["b"] == pytest.approx(d * 2.0)
    assert grads["Mul"] == pytest.approx(d) and grads["Add"] == pytest.approx(d) and grads["Sigmoid"] == 1.0


def test_without_retain_grads_only_leaves_get_gradients():
    a, b, c = _scalars()
    y = (a * b + c).sigmoid()
    g = graph_of(y, [("a", a), ("b", b), ("c", c)])  # pairs work as well as a mapping
    y.backward()
    g.fill_gradients()
    assert {n.label for n in g.nodes if n.has_grad} == {"a", "b", "c"}
    assert not y.retains_grad


def test_graph_after_backward_with_retain_graph_reads_gradients_at_once():
    a, b, c = _scalars()
    y = a * b + c
    y.backward(retain_graph=True)
    g = graph_of(y, {"a": a, "b": b, "c": c})
    assert float(g.find("a")[0].grad) == -3.0 and float(g.find("b")[0].grad) == 2.0


def test_graph_freed_by_backward_gives_a_clear_error():
    a, b, c = _scalars()
    y = (a * b + c).sigmoid()
    y.backward()
    with pytest.raises(GradError, match=r"graph_of: the graph behind <SigmoidBackward> was freed .*"
                                        r"before calling backward\(\).*retain_graph=True"):
        graph_of(y)


def test_constants_unnamed_inputs_and_named_results():
    x = cg.tensor([1.0, 2.0], dtype=cg.float64)
    w = cg.tensor([0.5, -1.0], dtype=cg.float64, requires_grad=True)
    loss = (w * x * 2.0).sum()
    g = graph_of(loss, {"w": w, "loss": loss})
    assert [n.label for n in g.nodes] == ["w", "input", "Mul", "const", "Mul", "Sum"]
    const = g.find("const")[0]
    assert const.kind == "const" and float(const.value) == 2.0 and const.shape == ()
    inp = g.find("input")[0]
    assert inp.kind == "input" and inp.shape == (2,) and np.array_equal(inp.value, x.data)
    root = g.roots()[0]
    assert root.name == "loss" and root.title.startswith("loss = Sum") and g.find("loss") == [root]


def test_values_are_copies_and_shared_nodes_appear_once():
    a = cg.tensor([1.0, 2.0], dtype=cg.float64, requires_grad=True)
    b = cg.tensor([0.5, 0.5], dtype=cg.float64, requires_grad=True)
    d = a - b
    e = (d * d).sum()
    g = graph_of(e, {"a": a, "b": b})
    sub = g.find("Sub")
    assert len(sub) == 1
    mul = g.find("Mul")[0]
    assert [(x.src, x.index) for x in g.edges if x.dst == mul.id] == [(sub[0].id, 0), (sub[0].id, 1)]
    a.data[0] = 100.0  # the graph keeps the values it was taken with
    assert np.array_equal(g.find("a")[0].value, [1.0, 2.0])
    assert "Sub  (shown above)" in g.to_text()


def test_large_tensors_are_summarized_by_their_mean():
    x = cg.arange(25, dtype=cg.float64).reshape(5, 5).requires_grad_()
    y = (x * 3.0).sum()
    g = graph_of(y, {"x": x}, max_values=12)
    y.backward()
    g.fill_gradients()
    node = g.find("x")[0]
    assert node.value is None and node.mean == 12.0 and node.shape == (5, 5)
    assert node.grad is None and node.grad_mean == 3.0
    assert "x  (5, 5)  value mean 12  grad mean 3" in g.to_text()
    assert "x | shape (5, 5) | value mean 12 | grad mean 3" in g.to_dot()


def test_op_parameters_are_shown():
    x = cg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    g = graph_of(x.sum(dim=0), {"x": x})
    assert g.nodes[-1].label == "Sum" and "0" in g.nodes[-1].detail
    assert g.nodes[-1].title == f"Sum({g.nodes[-1].detail})"


def test_model_parameters_by_name():
    cg.manual_seed(0)
    model = cg.nn.Sequential(cg.nn.Linear(3, 2), cg.nn.Sigmoid())
    x = cg.randn(4, 3)
    loss = model(x).mean()
    g = graph_of(loss, model.named_parameters())
    loss.backward()
    g.fill_gradients()
    labels = [n.label for n in g.nodes]
    assert labels == ["input", "0.weight", "0.bias", "Linear", "Sigmoid", "Mean"]
    w = g.find("0.weight")[0]
    assert np.array_equal(w.value, model[0].weight.data) and np.array_equal(w.grad, model[0].weight.grad.data)


def test_bad_arguments():
    with pytest.raises(ConfigError, match="graph_of: expected a chalkgrad Tensor, got list"):
        graph_of([1.0])
    a, b, _ = _scalars()
    with pytest.raises(ConfigError, match="params must be a mapping of names to tensors"):
        graph_of(a * b, [a, b])
    with pytest.raises(ConfigError, match="max_values must be a non-negative integer"):
        graph_of(a * b, max_values=-1)
    with pytest.raises(ConfigError, match="precision must be an integer from 0 to 17, got 18"):
        graph_of(a * b).to_dot(precision=18)


# ----------------------------------------------------------------------------- the 2-2-2 problem
def test_mazur_ops_level(mazur_ops):
    g = mazur_ops
    assert g.level == "ops" and g.title == "One backpropagation step of a 2-2-2 sigmoid network"
    assert [n.name or n.label for n in g.roots()] == ["E"]
    net1 = g.find("net1")[0]
    assert net1.label == "Linear" and [n.label for n in g.inputs_of(net1.id)] == ["x", "W1", "b1"]
    assert [n.name for n in g.inputs_of(g.find("out1")[0].id)] == ["net1"]
    E = g.find("E")[0]
    assert float(E.value) == pytest.approx(0.298371109, abs=1e-9) and float(E.grad) == 1.0
    W1, W2 = g.find("W1")[0].grad, g.find("W2")[0].grad
    assert W1[0, 0] == pytest.approx(0.000438568, abs=1e-9) and W2[0, 0] == pytest.approx(0.082167041, abs=1e-9)
    # every intermediate kept its gradient: δ of the output layer at net2
    assert g.find("net2")[0].grad[0] == pytest.approx(0.138498562, abs=1e-9)
    assert g.find("t")[0].grad is None and g.find("x")[0].kind == "param"


def test_mazur_scalar_level(mazur_scalars):
    g = mazur_scalars
    names = [n.label for n in g.nodes]
    expected = {"i1", "i2", "t1", "t2", "E", "E_o1", "E_o2"} | {f"w{k}" for k in range(1, 9)}
    expected |= {"b1", "b2", "b3", "b4"} | {f"{q}_{u}" for q in ("net", "out") for u in ("h1", "h2", "o1", "o2")}
    assert set(names) == expected and len(names) == len(expected)  # no η, no gradients, no updates
    net_h1 = g.find("net_h1")[0]
    assert net_h1.formula == "w1·i1 + w2·i2 + b1" and net_h1.title == "net_h1 = w1·i1 + w2·i2 + b1"
    assert [n.label for n in g.inputs_of(net_h1.id)] == ["w1", "i1", "w2", "i2", "b1"]
    assert {n.label for n in g.consumers_of(g.find("out_h1")[0].id)} == {"net_o1", "net_o2"}
    value = {n.label: float(n.value) for n in g.nodes}
    grad = {n.label: float(n.grad) for n in g.nodes if n.has_grad}
    assert value["out_h1"] == pytest.approx(0.593269992, abs=1e-9)
    assert value["E"] == pytest.approx(0.298371109, abs=1e-9) and grad["E"] == 1.0
    assert grad["w5"] == pytest.approx(0.082167041, abs=1e-9) and grad["w1"] == pytest.approx(0.000438568, abs=1e-9)
    assert grad["net_o1"] == pytest.approx(0.138498562, abs=1e-9)  # δ_o1
    assert grad["out_o1"] == pytest.approx(0.74136507, abs=1e-8)  # ∂E/∂out_o1
    assert "E_o1" not in grad and "i1" not in grad and "t1" not in grad
    assert [n.label for n in g.roots()] == ["E"]


def test_levels_agree_on_values_and_gradients(mazur_ops, mazur_scalars):
    ops = {n.name or n.label: n for n in mazur_ops.nodes}
    sc = {n.label: n for n in mazur_scalars.nodes}
    for j, unit in enumerate(("h1", "h2")):
        assert ops["out1"].value[j] == pytest.approx(float(sc[f"out_{unit}"].value), rel=1e-12)
        assert ops["net1"].grad[j] == pytest.approx(float(sc[f"net_{unit}"].grad), rel=1e-12)
    assert ops["W2"].grad[1, 1] == pytest.approx(float(sc["w8"].grad), rel=1e-12)


def test_solution_without_backward_has_no_gradients(tmp_path):
    text = MAZUR.read_text(encoding="utf-8").replace("show: [forward, loss, backward, update]", "show: [forward, loss]")
    text = text.replace("chain: [w5, w1]\n", "")  # the chain-rule section would still give ∂E/∂w5 and ∂E/∂w1
    path = tmp_path / "forward_only.yaml"
    path.write_text(text, encoding="utf-8")
    g = graph_of_solution(solve_problem(load_problem(path), check=False))
    assert g.find("E") and not any(n.has_grad for n in g.nodes)
    assert "grad" not in g.to_text()


def test_unknown_level_and_ops_level_of_other_kinds(mazur):
    with pytest.raises(ConfigError, match="level must be 'ops' or 'scalars', got 'tensors'"):
        graph_of_problem(mazur, "tensors")
    other = Problem("adam.yaml", {"kind": "optimizer"}, "Adam", None, None)
    with pytest.raises(ConfigError, match="adam.yaml: the ops-level graph is drawn for kind 'dense' problems only, "
                                          "this one is kind 'optimizer'; use level 'scalars'"):
        graph_of_problem(other, "ops")


def test_a_name_defined_again_is_a_new_node():
    sol = Solution("two layers")
    sec = sol.section("Layer 1")
    sec.given("k", 3)
    sec.derive("y", Mul([Sym("k"), Num(2)]), 6)
    sec = sol.section("Layer 2")
    sec.given("k", 5)
    sec.derive("z", Add([Sym("y"), Mul([Sym("k"), Num(2)])]), 16)
    sec.given("unused", 1)
    sec = sol.section("Backward")
    sec.derive("∂E/∂k", Num(2), 2)  # the gradient belongs to the latest k
    g = graph_of_solution(sol)
    assert [(n.id, n.label, float(n.value)) for n in g.nodes] == [("n0", "k", 3), ("n1", "y", 6), ("n2", "k", 5),
                                                                ("n3", "z", 16)]
    assert [(e.src, e.dst, e.index) for e in g.edges] == [("n0", "n1", 0), ("n1", "n3", 0), ("n2", "n3", 1)]
    assert not g.nodes[0].has_grad and float(g.nodes[2].grad) == 2.0
    assert g.nodes[3].title == "z = y + k·2" and g.title == "two layers"


# ----------------------------------------------------------------------------- renderers
GOLDEN_CASES = [
    # (problem, level, format, precision, golden name)
    ("backprop_2_2_2.yaml", "scalars", "dot", 4, "graph_backprop_2_2_2.scalars.dot"),
    ("backprop_2_2_2.yaml", "scalars", "mermaid", 4, "graph_backprop_2_2_2.scalars.mmd"),
    ("backprop_2_2_2.yaml", "scalars", "text", 9, "graph_backprop_2_2_2.scalars.txt"),
    ("backprop_2_2_2.yaml", "ops", "dot", 4, "graph_backprop_2_2_2.ops.dot"),
    ("backprop_2_2_2.yaml", "ops", "mermaid", 4, "graph_backprop_2_2_2.ops.mmd"),
    ("backprop_2_2_2.yaml", "ops", "text", 6, "graph_backprop_2_2_2.ops.txt"),
    ("softmax_cross_entropy.yaml", "ops", "text", 4, "graph_softmax_cross_entropy.ops.txt"),
]


@pytest.mark.parametrize("problem,level,fmt,precision,golden", GOLDEN_CASES, ids=[c[-1] for c in GOLDEN_CASES])
def test_rendering_matches_golden_file(problem, level, fmt, precision, golden, mazur_ops, mazur_scalars):
    if problem == "backprop_2_2_2.yaml":
        g = mazur_ops if level == "ops" else mazur_scalars
    else:
        g = graph_of_problem(load_problem(PROBLEMS / problem), level)
    text = g.render(fmt, precision)
    path = GOLDEN / golden
    if UPDATE or not path.exists():
        if not UPDATE:
            pytest.fail(f"golden file {path.name} is missing; run with CHALKGRAD_UPDATE_GOLDEN=1 to create it")
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def _special_graph():
    a = cg.tensor(1.5, requires_grad=True)
    return graph_of(a * 2.0, {'a{b}|<c> "d" \\N #e &f': a}, title='say "hi" \\ <now>')


def test_dot_escapes_record_labels():
    dot = _special_graph().to_dot()
    assert 'label="a\\{b\\}\\|\\<c\\> \\"d\\" \\\\N #e &f | value 1.5"' in dot
    assert 'label="say \\"hi\\" \\\\ <now>"' in dot
    for line in dot.splitlines():  # every quote that is not escaped opens or closes a string
        assert len(re.findall(r'(?<!\\)(?:\\\\)*"', line)) % 2 == 0, line


def test_mermaid_escapes_labels():
    mmd = _special_graph().to_mermaid()
    assert 'n0("a{b}|#lt;c#gt; #quot;d#quot; \\N #35;e #amp;f<br/>value 1.5")' in mmd
    assert mmd.startswith('---\ntitle: "say \\"hi\\" \\\\ <now>"\n---\nflowchart LR\n')
    body = mmd.split("flowchart LR\n")[1]
    assert all(line.count('"') in (0, 2) for line in body.splitlines())


def test_text_tree_marks_branches():
    a, b, c = _scalars()
    y = (a * b + c).sigmoid()
    g = graph_of(y, {"a": a, "b": b, "c": c})
    assert g.to_text(3) == ("Sigmoid  value 0.982\n"
                            "└── Add  value 4\n"
                            "    ├── Mul  value −6\n"
                            "    │   ├── a  value 2\n"
                            "    │   └── b  value −3\n"
                            "    └── c  value 10\n")
    assert str(g) == g.to_text()


def test_save_by_extension(tmp_path, mazur_scalars):
    g = mazur_scalars
    assert Path(g.save(tmp_path / "g.dot")).read_text(encoding="utf-8") == g.to_dot()
    assert (tmp_path / "g.dot").read_text(encoding="utf-8").startswith("digraph chalkgrad {")
    g.save(tmp_path / "g.MMD", precision=2)
    assert (tmp_path / "g.MMD").read_text(encoding="utf-8") == g.to_mermaid(2)
    with pytest.raises(ConfigError, match=r"unknown extension '\.jpg'; expected one of \.dot, \.gv, \.mmd"):
        g.save(tmp_path / "g.jpg")
    with pytest.raises(ConfigError, match="format must be one of dot, mermaid, text, svg, png, pdf, got 'html'"):
        g.render("html")


def test_missing_dot_binary_gives_a_clear_message(monkeypatch, tmp_path, mazur_scalars):
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    with pytest.raises(ConfigError, match=r"Graphviz's 'dot' program is not installed.*\.dot, \.mmd or \.txt"):
        mazur_scalars.save(tmp_path / "g.svg")
    assert not (tmp_path / "g.svg").exists()


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz's dot is not installed")
def test_svg_and_png_with_dot(tmp_path, mazur_scalars):
    mazur_scalars.save(tmp_path / "g.svg")
    svg = (tmp_path / "g.svg").read_text(encoding="utf-8")
    assert "<svg" in svg and "net_h1 = w1·i1 + w2·i2 + b1" in svg
    assert _special_graph().render("svg").lstrip().startswith(b"<?xml")  # escaped labels lay out
    assert mazur_scalars.render("png").startswith(b"\x89PNG")


# ----------------------------------------------------------------------------- the command
def test_parser():
    parser = argparse.ArgumentParser(prog="chalkgrad")
    add_graph_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["graph", "p.yaml", "-o", "g.svg", "--level", "ops", "--precision", "3"])
    assert (args.file, args.output, args.level, args.precision, args.func) == ("p.yaml", "g.svg", "ops", 3, run_graph)
    args = parser.parse_args(["graph", "p.yaml"])
    assert (args.output, args.level, args.precision) == (None, "scalars", None)


def test_command_prints_the_text_tree(capsys, mazur_scalars):
    assert run_graph(_args(precision=9)) == 0
    out, err = capsys.readouterr()
    assert err == "" and out == mazur_scalars.to_text(9)
    assert run_graph(_args()) == 0  # the file's precision (9) is the default
    assert capsys.readouterr().out == out


def test_command_writes_files(tmp_path, capsys, mazur_ops):
    assert run_graph(_args(output=tmp_path / "g.dot", level="ops", precision=4)) == 0
    assert (tmp_path / "g.dot").read_text(encoding="utf-8") == mazur_ops.to_dot(4)
    assert run_graph(_args(output=tmp_path / "g.mmd", level="ops", precision=4)) == 0
    assert (tmp_path / "g.mmd").read_text(encoding="utf-8") == mazur_ops.to_mermaid(4)
    assert run_graph(_args(output=tmp_path / "g.txt", level="ops", precision=4)) == 0
    assert (tmp_path / "g.txt").read_text(encoding="utf-8") == mazur_ops.to_text(4)
    assert capsys.readouterr() == ("", "")


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz's dot is not installed")
def test_command_writes_svg(tmp_path):
    assert run_graph(_args(output=tmp_path / "g.svg")) == 0
    assert "<svg" in (tmp_path / "g.svg").read_text(encoding="utf-8")


def _fails(capsys, args, *fragments):
    assert run_graph(args) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("chalkgrad graph: ") and err.count("\n") == 1, err
    for f in fragments:
        assert f in err, (f, err)
    assert "Traceback" not in err


def test_command_errors(tmp_path, capsys, monkeypatch):
    _fails(capsys, _args(file=tmp_path / "missing.yaml"), "missing.yaml: cannot read the problem file")
    bad = tmp_path / "bad.yaml"
    bad.write_text("network: [\n", encoding="utf-8")
    _fails(capsys, _args(file=bad), "bad.yaml:", "not valid YAML")
    _fails(capsys, _args(output=tmp_path / "g.jpg"), "unknown extension '.jpg'")
    _fails(capsys, _args(precision=18), "--precision must be from 0 to 17, got 18")
    _fails(capsys, _args(output=tmp_path / "no" / "such" / "dir" / "g.dot"), "cannot write", "g.dot")
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    _fails(capsys, _args(output=tmp_path / "g.png"), "Graphviz's 'dot' program is not installed",
           "Install Graphviz", ".dot, .mmd or .txt")
    assert not (tmp_path / "g.png").exists()


def test_graph_is_a_graph():
    assert isinstance(graph_of(cg.tensor(1.0)), Graph)
    assert [n.label for n in graph_of(cg.tensor(1.0)).nodes] == ["input"]


def test_expression_and_textbook_solutions_get_their_gradients():
    from chalkgrad.explain import explain_dense
    from chalkgrad.explain.expression import explain_expression

    s = explain_expression({"q": "x + y", "f": "q*z"}, {"x": -2.0, "y": 5.0, "z": -4.0}, gradients=["x", "y", "z"])
    g = graph_of_solution(s)
    grads = {n.label: float(n.grad) for n in g.nodes if n.has_grad}
    assert grads == {"f": 1.0, "q": -4.0, "x": -4.0, "y": -4.0, "z": 3.0}
    from chalkgrad.demo import textbook_network

    t = explain_dense(textbook_network(), [0.05, 0.1], [0.01, 0.99], notation="textbook")
    labels = {n.label for n in graph_of_solution(t).nodes if n.has_grad}
    assert {"L", "z[2]_1", "a[1]_1", "W[2]_11"} <= labels
