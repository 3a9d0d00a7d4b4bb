"""Record the ops of one forward pass: the graph that the ONNX exporter translates.

Two hooks, both removed when the pass ends:

* ``Function.apply``'s ``trace_hook`` (autograd/function.py) reports every op: the Function, its
  inputs, the parameters it was applied with, and its output;
* forward pre-/post-hooks on every submodule keep the path of the module that is running
  (``features.3``), so each recorded op knows where it came from. A module that has a converter
  of its own (recurrent layers, batch norm, embeddings: ``whole(module)`` says which) is recorded
  as one node with its arguments and outputs, and the ops inside it are not recorded.

Tensors are identified by ``id``; the trace keeps a reference to every tensor it saw, so an id
cannot be reused while the trace is alive.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..autograd import function as _function
from ..autograd import grad_mode
from ..tensor import Tensor


@dataclass
class Node:
    """One recorded step: an op (``kind='op'``, ``target`` a Function) or a whole module (``kind='module'``)."""

    kind: str
    target: object
    inputs: tuple
    params: dict
    outputs: list
    path: str
    module: object  # the innermost running module (for messages); None at the top level

    @property
    def op_name(self) -> str:
        return type(self.target).__name__

    def where(self) -> str:
        """``features.3 (MaxUnpool2d)``, or ``(top level)`` for ops in the model's own forward."""
        if self.module is None:
            return "(top level)"
        return f"{self.path or '(model)'} ({type(self.module).__name__})"


@dataclass
class Trace:
    nodes: list = field(default_factory=list)
    keep: list = field(default_factory=list)  # every tensor seen: keeps ids unique while the trace lives


def flatten_outputs(value) -> list:
    """The tensors of a (nested) tuple/list/dict output, in order; None entries skipped."""
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in flatten_outputs(v)]
    if isinstance(value, dict):
        return [t for v in value.values() for t in flatten_outputs(v)]
    return []


def flatten_inputs(values) -> list:
    """The arguments of a recorded node with tuples and lists opened (an LSTM's ``(h0, c0)``)."""
    out = []
    for v in values:
        out.extend(flatten_inputs(v) if isinstance(v, (tuple, list)) else [v])
    return out


def record(model, args: tuple, whole) -> tuple[Trace, object]:
    """Run ``model(*args)`` once without grad and return (the trace, the output)."""
    trace = Trace()
    stack = []  # (path, module, recorded whole?, call arguments) of each module running
    paths = {}
    for name, module in model.named_modules():
        paths.setdefault(id(module), name)

    def inside_whole() -> bool:
        return any(entry[2] for entry in stack)

    def on_op(fn, inputs, params, out):
        if inside_whole():
            return
        path, module = (stack[-1][0], stack[-1][1]) if stack else ("", None)
        trace.keep.extend(x for x in inputs if isinstance(x, Tensor))
        trace.keep.append(out)
        trace.nodes.append(Node("op", fn, tuple(inputs), dict(params), [out], path, module))

    def pre(module, margs):
        stack.append((paths.get(id(module), "?"), module, not inside_whole() and whole(module), margs))

    def post(module, margs, out):
        path, mod, is_whole, call_args = stack.pop()
        if is_whole:
            outs = flatten_outputs(out)
            trace.keep.extend(x for x in flatten_inputs(call_args) if isinstance(x, Tensor))
            trace.keep.extend(outs)
            trace.nodes.append(Node("module", module, tuple(call_args), {}, outs, path, module))

    handles = []
    was_training = [(m, m.training) for m in model.modules()]
    previous = _function.trace_hook
    try:
        model.eval()
        for module in model.modules():
            handles.append(module.register_forward_pre_hook(pre))
            handles.append(module.register_forward_hook(post))
        _function.trace_hook = on_op
        with grad_mode.no_grad():
            output = model(*args)
    finally:
        _function.trace_hook = previous
        for h in handles:
            h.remove()
        for m, mode in was_training:
            object.__setattr__(m, "training", mode)
    return trace, output
