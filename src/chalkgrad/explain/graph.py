"""Computation graphs as pictures: Graphviz DOT, Mermaid, or a text tree.

Two levels:

* **ops** (:func:`graph_of`): the autograd graph of any chalkgrad computation, one node per
  tensor: leaves (named parameters, inputs, constants) and the result of each op (``Mul``,
  ``Sigmoid``, ``Linear``...), with shape, value and gradient;
* **scalars** (:func:`graph_of_solution`): the quantities of a worked solution, one node per
  forward quantity (``i1``, ``w1``, ``net_h1``, ``out_h1``, ``E``...) with its formula, value
  and gradient ``∂E/∂name`` (``δ_u`` for ``net_u``), the picture courses draw by hand.

The graph must be taken **before** ``backward()`` frees it (a backward pass without
``retain_graph=True`` drops each node's inputs). The graph keeps references to its tensors,
so their gradients can be read after backward::

    g = graph_of(loss, dict(model.named_parameters()), retain_grads=True)
    loss.backward()
    g.fill_gradients()
    g.save("loss.svg")          # .svg/.png/.pdf need Graphviz's `dot`; .dot, .mmd, .txt do not
    print(g.to_text())

Values of tensors with at most ``max_values`` elements are kept in full; larger ones are
summarized by their mean.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

import numpy as np

from ..errors import ConfigError, GradError, KeyNameError
from .expr import fmt_number

__all__ = ["Graph", "GraphNode", "GraphEdge", "graph_of", "graph_of_solution", "graph_of_problem",
           "render_graph", "format_for_path", "find_dot", "run_dot", "GRAPH_FORMATS", "IMAGE_FORMATS"]

#: Text formats written without any external program, by file extension.
GRAPH_FORMATS = {".dot": "dot", ".gv": "dot", ".mmd": "mermaid", ".txt": "text"}
#: Image formats made by Graphviz's ``dot`` program.
IMAGE_FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf"}

_FILL = {"param": "#dbe9f6", "input": "#e8f4e0", "const": "#eeeeee", "op": "#ffffff",
         "given": "#dbe9f6", "quantity": "#ffffff"}
_STROKE = {"param": "#4a7ab5", "input": "#5b9a3c", "const": "#999999", "op": "#444444",
           "given": "#4a7ab5", "quantity": "#444444"}
_SIMPLE = (bool, int, float, str)


@dataclass(eq=False)
class GraphNode:
    """One node: a tensor (ops level) or a named scalar quantity (scalars level).

    ``kind`` is ``'op'`` (made by an operation; ``label`` is the op's name), ``'param'`` (a
    leaf named through ``params``), ``'input'`` (an unnamed leaf tensor), ``'const'`` (a plain
    number or array passed to an op), or at the scalars level ``'given'`` / ``'quantity'``.
    ``value`` and ``grad`` are copies of the arrays when they have at most ``max_values``
    elements, else None, with ``mean`` / ``grad_mean`` always set when known.
    """

    id: str
    label: str
    kind: str
    shape: tuple = ()
    value: np.ndarray | None = None
    mean: float | None = None
    grad: np.ndarray | None = None
    grad_mean: float | None = None
    name: str = ""  # a name given to a non-leaf tensor (ops level)
    detail: str = ""  # op parameters, e.g. "axes=(0,)"
    formula: str = ""  # scalars level: the formula that defines the quantity

    @property
    def title(self) -> str:
        """The first line of the node's box: ``Mul``, ``E = Mul``, ``w1``, ``net_h1 = w1·i1 + b1``."""
        head = self.label + (f"({self.detail})" if self.detail else "")
        if self.formula:
            return f"{self.label} = {self.formula}"
        if self.name and self.kind == "op":
            return f"{self.name} = {head}"
        return head

    @property
    def has_grad(self) -> bool:
        return self.grad is not None or self.grad_mean is not None

    def value_text(self, precision: int = 4) -> str:
        return _array_text(self.value, self.mean, precision)

    def grad_text(self, precision: int = 4) -> str:
        return _array_text(self.grad, self.grad_mean, precision) if self.has_grad else ""

    def shape_text(self) -> str:
        return "" if self.shape == () else str(tuple(self.shape))

    def fields(self, precision: int = 4) -> list[str]:
        """The lines shown under the title: shape, value, grad (those that are known)."""
        out = []
        if self.shape != ():
            out.append(f"shape {self.shape_text()}")
        if self.kind == "const" or self.mean is not None or self.value is not None:
            out.append(f"value {self.value_text(precision)}")
        if self.has_grad:
            out.append(f"grad {self.grad_text(precision)}")
        return out


@dataclass
class GraphEdge:
    """``src`` feeds ``dst``; ``index`` is its position among ``dst``'s inputs (or formula symbols)."""

    src: str
    dst: str
    index: int = 0


@dataclass(eq=False)
class Graph:
    """Nodes in dependency order (every node after its inputs) and the edges between them."""

    nodes: list = field(default_factory=list)
    edges: list = field(default_factory=list)
    title: str = ""
    level: str = "ops"
    max_values: int = 12
    _tensors: dict = field(default_factory=dict, repr=False, compare=False)  # node id -> Tensor

    # ------------------------------------------------------------------ queries
    def node(self, node_id: str) -> GraphNode:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyNameError(f"no node with id {node_id!r} in this graph")

    def find(self, label: str) -> list[GraphNode]:
        """The nodes with this label or name (an op name like ``'Mul'``, or a quantity name)."""
        return [n for n in self.nodes if n.label == label or (n.name and n.name == label)]

    def inputs_of(self, node_id: str) -> list[GraphNode]:
        """The nodes that feed ``node_id``, in input order."""
        return [self.node(e.src) for e in sorted((e for e in self.edges if e.dst == node_id), key=lambda e: e.index)]

    def consumers_of(self, node_id: str) -> list[GraphNode]:
        return [self.node(e.dst) for e in self.edges if e.src == node_id]

    def roots(self) -> list[GraphNode]:
        """The nodes nothing consumes (the outputs)."""
        used = {e.src for e in self.edges}
        return [n for n in self.nodes if n.id not in used]

    # ------------------------------------------------------------------ gradients
    def fill_gradients(self) -> Graph:
        """Read the current ``.grad`` of every tensor of the graph (call after ``backward()``).

        Leaves get their gradient; non-leaf tensors only if they kept it (``retain_grad()``, or
        ``graph_of(..., retain_grads=True)``). Returns the graph.
        """
        by_id = {n.id: n for n in self.nodes}
        for node_id, t in self._tensors.items():
            _set_grad(by_id[node_id], getattr(t, "grad", None), self.max_values)
        return self

    # ------------------------------------------------------------------ output
    def to_dot(self, precision: int = 4) -> str:
        return _to_dot(self, _check_precision(precision))

    def to_mermaid(self, precision: int = 4) -> str:
        return _to_mermaid(self, _check_precision(precision))

    def to_text(self, precision: int = 4) -> str:
        return _to_text(self, _check_precision(precision))

    def render(self, format: str = "text", precision: int = 4):  # noqa: A002
        """The graph as ``'dot'``, ``'mermaid'`` or ``'text'`` (a str), or ``'svg'``/``'png'``/``'pdf'`` (bytes)."""
        return render_graph(self, format, precision)

    def save(self, path, precision: int = 4) -> str:
        """Write the graph; the format follows the extension (.dot .gv .mmd .txt .svg .png .pdf). Returns the path."""
        path = os.fspath(path)
        fmt = format_for_path(path)
        data = render_graph(self, fmt, precision)
        if isinstance(data, bytes):
            with open(path, "wb") as f:
                f.write(data)
        else:
            with open(path, "w", encoding="utf-8") as f:
                f.write(data)
        return path

    def __str__(self) -> str:
        return self.to_text()


# ----------------------------------------------------------------------------- ops level
def graph_of(tensor, params=None, *, retain_grads: bool = False, max_values: int = 12, title: str = "") -> Graph:
    """The op-level graph that produced ``tensor``, walked back from it through the autograd nodes.

    Args:
        tensor: the output (a loss, a prediction...). Take the graph before ``backward()``, or
            call ``backward(retain_graph=True)``: a plain backward frees the graph.
        params: names for tensors: a mapping ``name -> Tensor`` or pairs, e.g.
            ``dict(model.named_parameters())`` or ``{"x": x, "loss": loss}``. Unnamed leaf
            tensors show as ``input``, plain numbers and arrays given to ops as ``const``.
        retain_grads: call ``retain_grad()`` on every intermediate tensor, so that after
            ``backward()`` :meth:`Graph.fill_gradients` shows every node's gradient, not only the leaves'.
        max_values: tensors with at most this many elements show every value; larger ones their mean.
        title: a caption for the picture.
    Gradients already present (``.grad``) are read at once; call :meth:`Graph.fill_gradients`
    after a later backward.
    """
    from ..tensor import Tensor

    if not isinstance(tensor, Tensor):
        raise ConfigError(f"graph_of: expected a chalkgrad Tensor, got {type(tensor).__name__}")
    if not isinstance(max_values, int) or max_values < 0:
        raise ConfigError(f"graph_of: max_values must be a non-negative integer, got {max_values!r}")
    names = _names_by_id(params)
    g = Graph(title=title, level="ops", max_values=max_values)
    ids: dict = {}  # id(tensor) -> node id
    seen: set = set()
    stack = [(tensor, False)]
    while stack:
        t, done = stack.pop()
        fn = t._node
        if done:
            srcs = []
            for x in fn.inputs:
                if x is None:
                    continue
                if isinstance(x, Tensor):
                    srcs.append(ids[id(x)])
                else:
                    srcs.append(_add_const(g, x))
            node_id = _add_tensor(g, t, names, retain_grads)
            ids[id(t)] = node_id
            g.edges.extend(GraphEdge(src, node_id, i) for i, src in enumerate(srcs))
            continue
        if id(t) in seen:
            continue
        seen.add(id(t))
        if fn is None:
            ids[id(t)] = _add_tensor(g, t, names, retain_grads)
            continue
        if fn.inputs is None or getattr(fn, "_freed", False):
            raise GradError(
                f"graph_of: the graph behind {fn!r} was freed by an earlier backward(); take the graph "
                "before calling backward() (then call fill_gradients() after it), or call "
                "backward(retain_graph=True)")
        stack.append((t, True))
        for x in reversed(fn.inputs):
            if isinstance(x, Tensor) and id(x) not in seen:
                stack.append((x, False))
    return g


def _names_by_id(params) -> dict:
    if params is None:
        return {}
    items = params.items() if hasattr(params, "items") else params
    names = {}
    try:
        for name, t in items:
            names.setdefault(id(t), str(name))
    except (TypeError, ValueError):
        raise ConfigError("graph_of: params must be a mapping of names to tensors (e.g. "
                          "dict(model.named_parameters())) or (name, tensor) pairs") from None
    return names


def _op_detail(fn) -> str:
    """The op's simple parameters (``axes=(0,)``, ``dim=1``), skipping defaults-like None/False."""
    parts = []
    for key, v in vars(fn).items():
        if key.startswith("_") or key in ("inputs", "needs_input_grad") or v is None or v is False:
            continue
        if isinstance(v, _SIMPLE) or (isinstance(v, tuple) and all(isinstance(e, _SIMPLE) or e is None for e in v)):
            parts.append(f"{key}={v!r}" if isinstance(v, str) else f"{key}={v}")
    return ", ".join(parts)


def _add_tensor(g: Graph, t, names: dict, retain_grads: bool) -> str:
    node_id = f"n{len(g.nodes)}"
    fn = t._node
    name = names.get(id(t), "")
    if fn is not None:
        node = GraphNode(node_id, fn.name, "op", tuple(t.shape), name=name, detail=_op_detail(fn))
        if retain_grads and t.requires_grad:
            t.retain_grad()
    elif name:
        node = GraphNode(node_id, name, "param", tuple(t.shape))
    else:
        node = GraphNode(node_id, "input", "input", tuple(t.shape))
    _set_value(node, t.data, g.max_values)
    _set_grad(node, t.grad, g.max_values)
    g.nodes.append(node)
    g._tensors[node_id] = t
    return node_id


def _add_const(g: Graph, x) -> str:
    node_id = f"n{len(g.nodes)}"
    arr = np.asarray(x)
    node = GraphNode(node_id, "const", "const", tuple(arr.shape))
    _set_value(node, arr, g.max_values)
    g.nodes.append(node)
    return node_id


def _set_value(node: GraphNode, arr, max_values: int) -> None:
    arr = np.asarray(arr)
    if arr.dtype.kind not in "biuf":  # strings, objects: nothing to summarize
        return
    node.value = arr.copy() if arr.size <= max_values else None
    node.mean = float(arr.mean()) if arr.size else None


def _set_grad(node: GraphNode, grad, max_values: int) -> None:
    if grad is None:
        node.grad, node.grad_mean = None, None
        return
    arr = np.asarray(grad.data if hasattr(grad, "data") else grad)
    node.grad = arr.copy() if arr.size <= max_values else None
    node.grad_mean = float(arr.mean()) if arr.size else None


# ----------------------------------------------------------------------------- scalars level
def _output_name(solution) -> str:
    """The quantity the solution differentiates: the numerator most steps ``∂A/∂B`` share (E, L, f...)."""
    from collections import Counter

    counts = Counter(s.name[1:].split("/∂", 1)[0] for s in solution.steps()
                     if s.name.startswith("∂") and "/∂" in s.name and not s.name.startswith("∂²"))
    return counts.most_common(1)[0][0] if counts else "E"


def _gradient_target(name: str, output: str = "E") -> str | None:
    """The quantity whose gradient a step holds: ``∂E/∂w5`` → ``w5``, ``δ_o1`` → ``net_o1``,
    ``δ[2]_1`` → ``z[2]_1`` (textbook notation), ``∂f/∂x`` → ``x`` when f is the output."""
    prefix = f"∂{output}/∂"
    if name.startswith(prefix):
        return name[len(prefix):]
    if name.startswith("δ_"):
        return "net_" + name[2:]
    if name.startswith("δ["):
        return "z" + name[1:]
    return None


def graph_of_solution(solution, *, title: str | None = None) -> Graph:
    """The quantity-level graph of a worked solution (a :class:`~.steps.Solution`).

    One node per forward quantity (given values, ``net_*``, ``out_*``, ``E_*``, ``E``...) with its
    formula and value; its gradient comes from the step ``∂E/∂<name>`` (``δ_<unit>`` for
    ``net_<unit>``), and ``E`` gets ∂E/∂E = 1 when the solution has a backward pass. Each symbol
    of a step's formula gets an edge to the step. A name defined again (a later section reusing
    ``k`` or ``C_in``) is a new node, and formulas read its latest definition, as
    :meth:`~.steps.Solution.verify` does. Gradient steps, local derivatives and updates (``w⁺``)
    are not nodes; given values that no formula uses (a learning rate) are left out.
    """
    nodes: list = []
    edges: list = []
    current: dict = {}  # name -> index in nodes of its latest definition (as Solution.verify reads values)
    any_grad = False
    output = _output_name(solution)
    for s in solution.steps():
        target = _gradient_target(s.name, output)
        if target is not None:
            any_grad = True
            if target in current:
                _set_grad(nodes[current[target]], s.value, 1)
            continue
        if s.name.startswith("∂") or s.name.endswith("⁺"):
            continue
        node = GraphNode("", s.name, "given" if s.formula is None else "quantity", (),
                         formula=s.formula.text() if s.formula is not None else "")
        _set_value(node, s.value, 1)
        if s.formula is not None:
            index = 0
            for sym in s.formula.symbols():
                if sym in current:
                    edges.append((current[sym], len(nodes), index))
                    index += 1
        current[s.name] = len(nodes)
        nodes.append(node)
    if any_grad and output in current and not nodes[current[output]].has_grad:
        _set_grad(nodes[current[output]], 1.0, 1)  # ∂E/∂E = 1
    # given values that no formula reads (a learning rate used only by the update) are left out
    used = {src for src, _, _ in edges}
    has_derived = any(n.kind == "quantity" for n in nodes)
    keep = [i for i, n in enumerate(nodes) if not (n.kind == "given" and has_derived and i not in used)]
    new_id = {i: f"n{k}" for k, i in enumerate(keep)}
    g = Graph(title=solution.title if title is None else title, level="scalars", max_values=1)
    for i in keep:
        nodes[i].id = new_id[i]
        g.nodes.append(nodes[i])
    g.edges = [GraphEdge(new_id[src], new_id[dst], index) for src, dst, index in edges]
    return g


# ----------------------------------------------------------------------------- problem files
def graph_of_problem(problem, level: str = "scalars", precision: int | None = None) -> Graph:
    """The graph of a problem file (see :func:`~.problem.load_problem`) at ``level`` ``'ops'`` or ``'scalars'``.

    ``'scalars'`` draws its worked solution (:func:`graph_of_solution`), carried as the file says
    (``carry``) at ``precision`` decimals; ``'ops'`` runs the same network, loss and backward
    pass with the library's tensors (float64) and draws the autograd graph with every gradient:
    ``x``, ``W1``, ``b1``, ``net1``, ``out1``... ``t``, ``E``.
    """
    if level == "scalars":
        from .problem import solve_problem

        solution = solve_problem(problem, check=False)  # the graph of the computation, not of the checks
        carry = problem.carry or "exact"
        if carry != "exact":
            solution = solution.carried(carry, precision if precision is not None else (problem.precision or 6))
        return graph_of_solution(solution)
    if level != "ops":
        raise ConfigError(f"graph: level must be 'ops' or 'scalars', got {level!r}")
    import chalkgrad as cg
    import chalkgrad.nn.functional as F

    d = problem.data
    kind = d.get("kind", "dense")
    if kind != "dense":
        raise ConfigError(f"{problem.path}: the ops-level graph is drawn for kind 'dense' problems only, "
                          f"this one is kind {kind!r}; use level 'scalars' (--level scalars)")
    x = cg.tensor(np.asarray(d["input"], dtype=np.float64))
    names = {"x": x}
    a = x
    for i, layer in enumerate(d["network"], start=1):
        lin = layer["linear"]
        w = cg.tensor(np.asarray(lin["weight"], dtype=np.float64), requires_grad=True)
        b = None
        if lin.get("bias") is not None:
            b = cg.tensor(np.asarray(lin["bias"], dtype=np.float64), requires_grad=True)
        names[f"W{i}"] = w
        if b is not None:
            names[f"b{i}"] = b
        net = F.linear(a, w, b)
        names[f"net{i}"] = net
        act = layer.get("activation", "identity")
        if act in ("identity", "linear"):
            a = net
            continue
        a = {"sigmoid": cg.sigmoid, "tanh": cg.tanh, "relu": cg.relu,
             "softmax": lambda v: cg.softmax(v, dim=-1)}[act](net)
        names[f"out{i}"] = a
    loss = d.get("loss", "mse")
    loss_name, reduction = (loss["name"], loss.get("reduction")) if isinstance(loss, dict) else (loss, None)
    reduction = reduction or ("half_sum" if loss_name == "mse" else "mean")
    n_out = a.shape[-1]
    target = d["target"]
    if isinstance(target, int) and not isinstance(target, bool):
        t_arr = np.eye(n_out)[target]
    else:
        t_arr = np.asarray(target, dtype=np.float64)
    t = cg.tensor(t_arr)
    names["t"] = t
    if loss_name == "mse":
        E = F.mse_loss(a, t, reduction=reduction)
    elif loss_name == "cross_entropy":
        E = -(t * a.log()).sum()
    elif loss_name == "bce":
        E = F.binary_cross_entropy(a, t, reduction=reduction)
    else:  # pragma: no cover - load_problem validated it
        raise ConfigError(f"graph: unknown loss {loss_name!r}")
    names["E"] = E
    g = graph_of(E, names, retain_grads=True, title=problem.title)
    E.backward()
    return g.fill_gradients()


# ----------------------------------------------------------------------------- rendering
def _check_precision(precision) -> int:
    if isinstance(precision, bool) or not isinstance(precision, int) or not 0 <= precision <= 17:
        raise ConfigError(f"graph: precision must be an integer from 0 to 17, got {precision!r}")
    return precision


def format_for_path(path: str) -> str:
    """The output format for a file name, by its extension."""
    ext = os.path.splitext(path)[1].lower()
    if ext in GRAPH_FORMATS:
        return GRAPH_FORMATS[ext]
    if ext in IMAGE_FORMATS:
        return IMAGE_FORMATS[ext]
    known = ", ".join(list(GRAPH_FORMATS) + list(IMAGE_FORMATS))
    raise ConfigError(f"cannot write {path!r}: unknown extension {ext or '(none)'!r}; expected one of {known}")


def render_graph(graph: Graph, format: str = "text", precision: int = 4):  # noqa: A002
    """The graph as text (``'dot'``, ``'mermaid'``, ``'text'``) or image bytes (``'svg'``, ``'png'``, ``'pdf'``)."""
    if format == "dot":
        return graph.to_dot(precision)
    if format == "mermaid":
        return graph.to_mermaid(precision)
    if format == "text":
        return graph.to_text(precision)
    if format in IMAGE_FORMATS.values():
        return run_dot(graph.to_dot(precision), format)
    raise ConfigError(f"graph: format must be one of dot, mermaid, text, svg, png, pdf, got {format!r}")


def find_dot(format: str = "svg") -> str:  # noqa: A002
    """The path of Graphviz's ``dot`` program; a ConfigError saying what to do when it is not installed."""
    import shutil

    exe = shutil.which("dot")
    if exe is None:
        raise ConfigError(
            f"cannot make a .{format} picture: Graphviz's 'dot' program is not installed (not found on PATH). "
            "Install Graphviz (apt install graphviz, brew install graphviz, conda install graphviz) "
            "or write .dot, .mmd or .txt output instead")
    return exe


def run_dot(dot_source: str, format: str) -> bytes:  # noqa: A002
    """Lay out DOT text with Graphviz's ``dot`` program (``format``: svg, png, pdf)."""
    import subprocess

    exe = find_dot(format)
    try:
        done = subprocess.run([exe, f"-T{format}"], input=dot_source.encode("utf-8"), capture_output=True,
                              timeout=120, check=False)
    except (OSError, subprocess.SubprocessError) as e:
        raise ConfigError(f"cannot run Graphviz's dot ({exe}): {e}") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ConfigError(f"Graphviz's dot failed (exit code {done.returncode}): "
                          f"{message[0] if message else 'no message'}")
    return done.stdout


def _array_text(arr, mean, precision: int) -> str:
    if arr is None:
        return "?" if mean is None else f"mean {fmt_number(mean, precision)}"
    arr = np.asarray(arr)
    if arr.dtype.kind == "b":
        return str(arr.tolist())
    if arr.ndim == 0:
        return fmt_number(float(arr), precision)

    def nested(a):
        if a.ndim == 1:
            return "[" + ", ".join(fmt_number(float(v), precision) for v in a) + "]"
        return "[" + ", ".join(nested(sub) for sub in a) + "]"

    return nested(arr)


_DOT_RECORD = str.maketrans({c: "\\" + c for c in '\\"{}|<>'})


def _dot_record(text: str) -> str:
    """Text for one field of a DOT record label: the record's special characters escaped."""
    return text.translate(_DOT_RECORD).replace("\n", "\\n")


def _dot_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _to_dot(g: Graph, precision: int) -> str:
    lines = ["digraph chalkgrad {",
             '  graph [rankdir=LR, fontname="Helvetica", fontsize=12'
             + (f", label={_dot_string(g.title)}, labelloc=t" if g.title else "") + "];",
             '  node [shape=record, style="rounded,filled", fontname="Helvetica", fontsize=10];',
             '  edge [color="#666666"];']
    roots = {n.id for n in g.roots()}
    for n in g.nodes:
        label = " | ".join(_dot_record(s) for s in [n.title, *n.fields(precision)])
        extra = ", penwidth=2" if n.id in roots else ""
        lines.append(f'  {n.id} [label="{label}", fillcolor="{_FILL[n.kind]}", color="{_STROKE[n.kind]}"{extra}];')
    for e in g.edges:
        lines.append(f"  {e.src} -> {e.dst};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mermaid_text(text: str) -> str:
    """Text inside a quoted Mermaid label: quotes, HTML and '#' as entity codes."""
    out = text.replace("#", "#35;")
    for ch, code in (('"', "#quot;"), ("<", "#lt;"), (">", "#gt;"), ("&", "#amp;"), ("`", "#96;")):
        out = out.replace(ch, code)
    return out.replace("\n", "<br/>")


def _to_mermaid(g: Graph, precision: int) -> str:
    lines = []
    if g.title:
        lines += ["---", "title: " + json.dumps(g.title, ensure_ascii=False), "---"]
    lines.append("flowchart LR")
    for n in g.nodes:
        label = "<br/>".join(_mermaid_text(s) for s in [n.title, *n.fields(precision)])
        shape = ('["', '"]') if n.kind in ("op", "quantity") else ('("', '")')
        lines.append(f"  {n.id}{shape[0]}{label}{shape[1]}")
    for e in g.edges:
        lines.append(f"  {e.src} --> {e.dst}")
    kinds = []
    for n in g.nodes:
        if n.kind not in kinds:
            kinds.append(n.kind)
    for kind in kinds:
        lines.append(f"  classDef {kind} fill:{_FILL[kind]},stroke:{_STROKE[kind]}")
        lines.append(f"  class {','.join(n.id for n in g.nodes if n.kind == kind)} {kind}")
    return "\n".join(lines) + "\n"


def _text_line(n: GraphNode, precision: int) -> str:
    parts = [n.title]
    if n.shape != ():
        parts.append(n.shape_text())
    if n.kind == "const" or n.mean is not None or n.value is not None:
        parts.append(f"value {n.value_text(precision)}")
    if n.has_grad:
        parts.append(f"grad {n.grad_text(precision)}")
    return "  ".join(parts)


def _to_text(g: Graph, precision: int) -> str:
    """A tree drawn from each output back to the leaves; a node reached again is not expanded twice."""
    inputs: dict = {n.id: [] for n in g.nodes}
    for e in sorted(g.edges, key=lambda e: e.index):
        inputs[e.dst].append(e.src)
    by_id = {n.id: n for n in g.nodes}
    lines = [g.title, "=" * len(g.title)] if g.title else []
    shown: set = set()
    for root in g.roots():
        stack = [(root.id, "", "", True)]  # (node, prefix of this line, prefix of its children, is root)
        while stack:
            node_id, prefix, child_prefix, _ = stack.pop()
            n = by_id[node_id]
            if node_id in shown and inputs[node_id]:
                lines.append(f"{prefix}{n.title}  (shown above)")
                continue
            shown.add(node_id)
            lines.append(prefix + _text_line(n, precision))
            kids = inputs[node_id]
            for i in reversed(range(len(kids))):
                last = i == len(kids) - 1
                stack.append((kids[i], child_prefix + ("└── " if last else "├── "),
                              child_prefix + ("    " if last else "│   "), False))
    return "\n".join(lines) + "\n"
