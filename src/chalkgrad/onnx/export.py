"""``export``: write a chalkgrad model as an ONNX file by tracing one forward pass.

Steps: run the model once in eval mode without grad, recording its ops (``trace.record``);
translate each op (``ops.CONVERTERS``) or whole layer (``modules``) into ONNX nodes; name
parameters and buffers by their ``state_dict`` keys; check the model with ``onnx.checker``;
save atomically.

A value that the model computes from its input *outside* the recorded ops (a comparison
feeding ``where``, an ``argmax`` feeding ``gather``) would be frozen into the file as a
constant. To catch that, the model is traced a second time on a changed input: any constant
that differs between the two traces makes the export fail with an ``ExportError`` that names
the op and the layer.
"""

from __future__ import annotations

import os
import tempfile

import numpy as np
from onnx import checker, helper

from ..errors import ConfigError, ExportError, ShapeError
from ..nn.module import Module
from ..tensor import Tensor
from . import modules, trace
from .graph import Builder, value_info
from .ops import CONVERTERS

#: The opsets this exporter writes (LayerNormalization needs 17; Gelu is an operator from 20).
MIN_OPSET, MAX_OPSET = 17, 21
DEFAULT_OPSET = 17


def _as_inputs(example_input) -> tuple:
    items = example_input if isinstance(example_input, (tuple, list)) else (example_input,)
    out = []
    for k, x in enumerate(items):
        if not isinstance(x, Tensor):
            arr = np.asarray(x.detach().cpu().numpy() if hasattr(x, "detach") else x)
            if arr.dtype == object:
                raise ShapeError(f"onnx.export: example input {k} is a {type(x).__name__}, expected a Tensor "
                                 "or an array")
            x = Tensor(arr)
        out.append(x)
    if not out:
        raise ShapeError("onnx.export: example_input is empty; give a Tensor, an array or a tuple of them")
    return tuple(out)


def _changed(x: Tensor) -> Tensor:
    """The same shape, dtype and set of values, shuffled (for the second trace; valid wherever x was)."""
    data = x.data
    rng = np.random.default_rng(12345)
    shuffled = rng.permutation(data.reshape(-1)).reshape(data.shape)
    if data.dtype.kind == "f" and np.array_equal(shuffled, data):
        shuffled = data * 1.5 + 0.25
    return Tensor(shuffled)


def _names(given, count: int, default: str, what: str) -> list:
    if given is None:
        return [default] if count == 1 else [f"{default}_{k}" for k in range(count)]
    given = list(given)
    if len(given) != count or len(set(given)) != count or not all(isinstance(n, str) and n for n in given):
        raise ConfigError(f"onnx.export: {what} must be {count} distinct non-empty strings (the model has {count} "
                          f"{what.split('_')[0]}s), got {given!r}")
    return given


def _same(a, b) -> bool:
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        a, b = a.data, b.data
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape and \
            np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) or isinstance(b, dict):
        return True  # per-call scratch (statistics dicts)
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - incomparable values count as different
        return False


def _check_constants(first, second, known_first: set, known_second: set) -> None:
    """Fail if a constant fed to an op differs between two traces on different inputs."""
    if len(first.nodes) != len(second.nodes) or any(
            type(a.target) is not type(b.target) for a, b in zip(first.nodes, second.nodes)):
        raise ExportError("onnx.export: the model runs different ops for inputs of the same shape (control flow "
                          "that depends on the values); only a fixed sequence of ops can be exported")
    for a, b in zip(first.nodes, second.nodes):
        for xa, xb in zip(trace.flatten_inputs(a.inputs), trace.flatten_inputs(b.inputs)):
            fixed_a = not isinstance(xa, Tensor) or id(xa) not in known_first
            fixed_b = not isinstance(xb, Tensor) or id(xb) not in known_second
            if fixed_a and fixed_b and not _same(xa, xb):
                raise ExportError(f"{a.where()}: op {a.op_name} uses a value computed from the input outside "
                                  "the traced ops (a comparison, argmax, .item()...); it would be frozen as a "
                                  "constant, so the model cannot be exported")
        for key, value in a.params.items():
            if not _same(value, b.params.get(key)):
                raise ExportError(f"{a.where()}: op {a.op_name} has a parameter '{key}' computed from the input "
                                  "(a mask or indices from a comparison or argmax); it cannot be exported")


def _traced_ids(tr, args, param_ids) -> set:
    ids = {id(x) for x in args} | param_ids
    for node in tr.nodes:
        ids.update(id(t) for t in node.outputs)
    return ids


def _dynamic(dynamic_axes, name: str, ndim: int) -> dict:
    spec = (dynamic_axes or {}).get(name)
    if spec is None:
        return {}
    if isinstance(spec, (list, tuple)):
        spec = {int(a): f"{name}_dim{a}" for a in spec}
    out = {}
    for axis, label in spec.items():
        a = int(axis)
        if not -ndim <= a < ndim:
            raise ConfigError(f"onnx.export: dynamic_axes['{name}'] names axis {axis}, but '{name}' has {ndim} "
                              "dimensions")
        out[a % ndim] = str(label)
    return out


def export(model, example_input, path, input_names=None, output_names=None, dynamic_axes=None,
           opset_version: int = DEFAULT_OPSET, doc_string: str | None = None):
    """Trace ``model(*example_input)`` once and write it to ``path`` as an ONNX model; returns the ModelProto.

    example_input: a Tensor, a NumPy array or a tuple of them (one per ``forward`` argument).
    input_names / output_names: the graph's value names (default ``input``/``output``, or
    ``input_0``, ``input_1``... when there are several). dynamic_axes: as ``torch.onnx.export``,
    e.g. ``{"input": {0: "batch"}, "output": {0: "batch"}}`` (a list of axes gets generated names).
    opset_version: 17 (default) to 21. The model is traced in eval mode (dropout off, batch norm
    with its running statistics) and put back in the mode it was in.
    """
    if not isinstance(model, Module):
        raise ConfigError(f"onnx.export: model must be a chalkgrad.nn.Module, got {type(model).__name__}")
    if not MIN_OPSET <= int(opset_version) <= MAX_OPSET:
        raise ConfigError(f"onnx.export: opset_version must be between {MIN_OPSET} and {MAX_OPSET}, "
                          f"got {opset_version}")
    args = _as_inputs(example_input)
    param_names = {}
    for key, tensor in list(model.named_parameters()) + list(model.named_buffers()):
        param_names.setdefault(id(tensor), key)
    recorded, output = _record_checked(model, args, param_names)

    outputs = trace.flatten_outputs(output)
    if not outputs:
        raise ExportError(f"onnx.export: {type(model).__name__}'s forward returned no tensor")
    in_names = _names(input_names, len(args), "input", "input_names")
    out_names = _names(output_names, len(outputs), "output", "output_names")
    unknown = set(dynamic_axes or {}) - set(in_names) - set(out_names)
    if unknown:
        raise ConfigError(f"onnx.export: dynamic_axes names {sorted(unknown)}, which are not among the inputs "
                          f"{in_names} or outputs {out_names}")
    inputs = [(x, name, _dynamic(dynamic_axes, name, x.ndim)) for x, name in zip(args, in_names)]
    outputs = [(t, name, _dynamic(dynamic_axes, name, t.ndim)) for t, name in zip(outputs, out_names)]

    g = _translate(recorded, Builder(int(opset_version), param_names), inputs, outputs)
    proto = _model_proto(g, type(model).__name__, inputs, outputs, doc_string)
    checker.check_model(proto)
    _save(proto, os.fspath(path))
    return proto


def _record_checked(model, args, param_names):
    """Trace the model on ``args`` and again on shuffled values; refuse constants that changed."""
    first, output = trace.record(model, args, modules.whole)
    for node in first.nodes:  # an op without a mapping is reported as such, before any other check
        if node.kind == "op" and type(node.target) not in CONVERTERS:
            raise ExportError(f"{node.where()}: op {node.op_name} has no ONNX mapping")
    changed = tuple(_changed(x) for x in args)
    second, _ = trace.record(model, changed, modules.whole)
    known = set(param_names)
    _check_constants(first, second, _traced_ids(first, args, known), _traced_ids(second, changed, known))
    return first, output


def _translate(recorded, g, inputs, outputs):
    """Emit the ONNX nodes of every recorded op or layer, then one Identity per named output."""
    g.taken.update(name for _, name, _ in inputs + outputs)
    for x, name, axes in inputs:
        g.bind(x, name)
        if axes and g.dynamic_batch is None:
            g.dynamic_batch = (name, min(axes), x.shape[min(axes)])
    for node in recorded.nodes:
        g.node = node
        if node.kind == "module":
            for t, name in zip(node.outputs, [n for n in modules.convert(g, node) if n is not None]):
                g.bind(t, name)
            continue
        g.bind(node.outputs[0], CONVERTERS[type(node.target)](g, node))
    g.node = None
    for t, name, _ in outputs:
        g.add("Identity", [g.value(t)], [name])
    return g


def _model_proto(g, model_name: str, inputs, outputs, doc_string):
    """The ModelProto: typed inputs/outputs (symbolic dynamic dims), initializers, producer "chalkgrad"."""
    from .. import __version__

    graph = helper.make_graph(
        g.nodes, model_name,
        [value_info(name, x.dtype, x.shape, axes) for x, name, axes in inputs],
        [value_info(name, t.dtype, t.shape, axes) for t, name, axes in outputs],
        initializer=list(g.initializers.values()),
        doc_string=f"{model_name} exported from chalkgrad by tracing one forward pass",
    )
    return helper.make_model(graph, producer_name="chalkgrad", producer_version=__version__,
                             opset_imports=[helper.make_opsetid("", g.opset)],
                             doc_string=doc_string or f"chalkgrad {model_name}")


def _save(proto, path: str) -> None:
    """Write to a temporary file beside ``path``, then rename it into place (no half-written files)."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".chalkgrad-onnx-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(proto.SerializeToString())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
