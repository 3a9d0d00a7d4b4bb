"""``load``: read an ONNX file back as a chalkgrad module (the operators that ``export`` writes for
feed-forward networks).

The result, an :class:`OnnxModule`, runs the graph's nodes in order with chalkgrad ops, so it is
differentiable and trainable. Float initializers with ``state_dict``-style names
(``features.0.weight``) become Parameters under the same names (inside plain container
modules), so ``state_dict()`` keys match the exporting model's; other initializers (constants,
integer shapes) are kept as arrays. ``MaxUnpool``, pooling indices and anything outside the table
below raise a :class:`~chalkgrad.errors.CheckpointError` naming the node and the operator. The
recurrent operators (``RNN``, ``LSTM``, ``GRU``) run step by step with tensor ops, in ONNX's gate order.
"""

from __future__ import annotations

import re

import numpy as np

from .. import nn
from ..errors import CheckpointError
from ..nn import functional as F
from ..ops import elementwise as ew
from ..ops import indexing, reduce, shape
from ..ops.linalg import matmul
from ..ops.special import erf
from ..tensor import Tensor

_PARAM_NAME = re.compile(r"^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$")


def _attrs(node) -> dict:
    from onnx import helper

    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _ints(t) -> list:
    return [int(v) for v in (t.data if isinstance(t, Tensor) else np.asarray(t)).reshape(-1)]


def _const(v):
    return v.data if isinstance(v, Tensor) else np.asarray(v)


def _pairs(pads, n):
    return [(int(pads[i]), int(pads[i + n])) for i in range(n)]


def _as_tensor(v):
    return v if isinstance(v, Tensor) else Tensor._wrap(np.asarray(v))


# ----------------------------------------------------------------------------- operators
def _gemm(x, a, c=None, *, alpha=1.0, beta=1.0, transA=0, transB=0):  # noqa: N803 - ONNX's names
    x = x.transpose(0, 1) if transA else x
    w = a.transpose(0, 1) if transB else a
    y = matmul(x, w)
    if alpha != 1.0:
        y = y * alpha
    if c is not None:
        y = y + (c * beta if beta != 1.0 else c)
    return y


def _conv(x, w, b=None, *, kernel_shape=None, strides=None, pads=None, dilations=None, group=1, auto_pad="NOTSET"):
    n = w.ndim - 2
    if auto_pad not in ("NOTSET", b"NOTSET"):
        raise NotImplementedError("Conv with auto_pad")
    pads = pads or [0] * (2 * n)
    pairs = _pairs(pads, n)
    if any(lo != hi for lo, hi in pairs):
        x = F.pad(x, tuple(v for lo, hi in reversed(pairs) for v in (lo, hi)))
        pairs = [(0, 0)] * n
    conv = F.conv2d if n == 2 else F.conv1d
    return conv(x, w, b, stride=tuple(strides or [1] * n), padding=tuple(lo for lo, _ in pairs),
                dilation=tuple(dilations or [1] * n), groups=group)


def _conv_transpose(x, w, b=None, *, kernel_shape=None, strides=None, pads=None, dilations=None, group=1,
                    output_padding=None, output_shape=None, auto_pad="NOTSET"):
    n = w.ndim - 2
    pads = pads or [0] * (2 * n)
    pairs = _pairs(pads, n)
    out_pad = list(output_padding or [0] * n)
    lo_pads = []
    for i, (lo, hi) in enumerate(pairs):
        lo_pads.append(lo)
        out_pad[i] += lo - hi  # torch pads both ends by lo; the rest is output padding (possibly cropped below)
    crop = [max(0, -p) for p in out_pad]
    out_pad = [max(0, p) for p in out_pad]
    fn = F.conv_transpose2d if n == 2 else F.conv_transpose1d
    y = fn(x, w, b, stride=tuple(strides or [1] * n), padding=tuple(lo_pads), output_padding=tuple(out_pad),
           groups=group, dilation=tuple(dilations or [1] * n))
    if any(crop):
        y = y[(slice(None), slice(None)) + tuple(slice(0, s - c) for s, c in zip(y.shape[2:], crop))]
    return y


def _pool(kind):
    def run(x, *, kernel_shape, strides=None, pads=None, dilations=None, ceil_mode=0, count_include_pad=0,
            auto_pad="NOTSET", storage_order=0):
        n = len(kernel_shape)
        pairs = _pairs(pads or [0] * (2 * n), n)
        strides = tuple(strides or [1] * n)
        if kind == "max":
            if any(lo != hi for lo, hi in pairs):
                x = F.pad(x, tuple(v for lo, hi in reversed(pairs) for v in (lo, hi)), value=-np.inf)
                pairs = [(0, 0)] * n
            fn = F.max_pool2d if n == 2 else F.max_pool1d
            return fn(x, tuple(kernel_shape), strides, tuple(lo for lo, _ in pairs), tuple(dilations or [1] * n),
                      bool(ceil_mode))
        if not count_include_pad and any(lo or hi for lo, hi in pairs):
            raise NotImplementedError("AveragePool with padding and count_include_pad=0")
        if any(lo or hi for lo, hi in pairs):
            x = F.pad(x, tuple(v for lo, hi in reversed(pairs) for v in (lo, hi)))
        fn = F.avg_pool2d if n == 2 else F.avg_pool1d
        return fn(x, tuple(kernel_shape), strides, 0, bool(ceil_mode))
    return run


def _reduce(fn):
    def run(x, axes=None, *, keepdims=1, noop_with_empty_axes=0, **attrs):
        axes = attrs.get("axes", axes if axes is None else _ints(axes))
        if axes is None or len(axes) == 0:
            if noop_with_empty_axes:
                return x
            axes = list(range(x.ndim))
        return fn(x, tuple(int(a) for a in axes), bool(keepdims))
    return run


def _reshape(x, target, *, allowzero=0):
    dims = _ints(target)
    dims = [x.shape[i] if d == 0 and not allowzero else d for i, d in enumerate(dims)]
    return x.reshape(*dims)


def _slice(x, starts, ends, axes=None, steps=None):
    starts, ends = _ints(starts), _ints(ends)
    axes = _ints(axes) if axes is not None else list(range(len(starts)))
    steps = _ints(steps) if steps is not None else [1] * len(starts)
    index = [slice(None)] * x.ndim
    for a, lo, hi, st in zip(axes, starts, ends, steps):
        n = x.shape[a]
        lo = max(min(lo, n), -n) if st > 0 else max(min(lo, n - 1), -n)
        hi = max(min(hi, n), -n - 1) if st < 0 else max(min(hi, n), -n)
        index[a % x.ndim] = slice(lo, None if (st < 0 and hi < -n) else hi, st)
    return x[tuple(index)]


def _batch_norm(x, scale, bias, mean, var, *, epsilon=1e-5, momentum=0.9, training_mode=0):
    return F.batch_norm(x, mean, var, scale, bias, False, 0.0, epsilon)


def _layer_norm(x, scale, bias=None, *, axis=-1, epsilon=1e-5, stash_type=1):
    a = axis % x.ndim
    return F.layer_norm(x, tuple(x.shape[a:]), scale, bias, epsilon)


def _clip(x, lo=None, hi=None):
    lo = None if lo is None else float(_const(lo))
    hi = None if hi is None else float(_const(hi))
    return x if lo is None and hi is None else ew.clamp(x, lo, hi)


def _pad(x, pads, value=None, axes=None, *, mode="constant"):
    mode = mode.decode() if isinstance(mode, bytes) else mode
    pairs = _pairs(_ints(pads), len(_ints(pads)) // 2)
    flat = tuple(v for lo, hi in reversed(pairs) for v in (lo, hi))
    if mode == "constant":
        return shape.pad(x, flat, value=0.0 if value is None else float(_const(value)))
    return shape.pad(x, flat, mode={"edge": "replicate"}.get(mode, mode))


def _gather(x, idx, *, axis=0):
    idx = _const(idx)
    if isinstance(x, Tensor) and x.dtype.kind == "f":
        a = axis % x.ndim
        return x[(slice(None),) * a + (Tensor._wrap(idx.astype(np.int64)),)]
    return np.take(_const(x), idx, axis=axis)


OPERATORS = {
    "Add": lambda a, b: a + b, "Sub": lambda a, b: a - b, "Mul": lambda a, b: a * b, "Div": lambda a, b: a / b,
    "Pow": lambda a, b: a ** b, "Max": ew.maximum, "Min": ew.minimum, "Neg": lambda x: -x,
    "Exp": ew.exp, "Log": ew.log, "Sqrt": ew.sqrt, "Reciprocal": lambda x: 1.0 / x, "Abs": ew.abs,
    "Sign": ew.sign, "Sin": ew.sin, "Cos": ew.cos, "Tanh": ew.tanh, "Sigmoid": ew.sigmoid, "Relu": ew.relu,
    "Erf": erf, "Identity": lambda x: x,
    "LeakyRelu": lambda x, alpha=0.01: F.leaky_relu(x, alpha),
    "Elu": lambda x, alpha=1.0: F.elu(x, alpha),
    "Selu": lambda x, alpha=1.6732632, gamma=1.0507010: F.elu(x, alpha) * gamma,
    "Celu": lambda x, alpha=1.0: F.celu(x, alpha), "Softplus": lambda x: F.softplus(x),
    "HardSigmoid": lambda x, alpha=0.2, beta=0.5: ew.clamp(x * alpha + beta, 0.0, 1.0),
    "HardSwish": lambda x: F.hardswish(x), "PRelu": lambda x, a: F.prelu(x, a.reshape(-1)),
    "Gelu": lambda x, approximate="none": F.gelu(x, approximate if isinstance(approximate, str)
                                                 else approximate.decode()),
    "Softmax": lambda x, axis=-1: F.softmax(x, dim=axis), "LogSoftmax": lambda x, axis=-1: F.log_softmax(x, dim=axis),
    "ReduceSum": _reduce(reduce.sum), "ReduceMean": _reduce(reduce.mean), "ReduceProd": _reduce(reduce.prod),
    "ReduceMax": _reduce(reduce.amax), "ReduceMin": _reduce(reduce.amin),
    "ReduceL2": _reduce(lambda x, axes, keep: reduce.norm(x, 2, axes, keep)),
    "CumSum": lambda x, axis: reduce.cumsum(x, int(_const(axis))),
    "MatMul": matmul, "Gemm": _gemm, "Conv": _conv, "ConvTranspose": _conv_transpose,
    "MaxPool": _pool("max"), "AveragePool": _pool("avg"),
    "GlobalAveragePool": lambda x: x.mean(tuple(range(2, x.ndim)), keepdim=True),
    "GlobalMaxPool": lambda x: x.amax(tuple(range(2, x.ndim)), keepdim=True),
    "BatchNormalization": _batch_norm, "LayerNormalization": _layer_norm,
    "Reshape": _reshape, "Transpose": lambda x, perm=None: x.permute(*(perm or reversed(range(x.ndim)))),
    "Flatten": lambda x, axis=1: x.reshape(int(np.prod(x.shape[:axis])), -1),
    "Expand": lambda x, s: shape.broadcast_to(x, np.broadcast_shapes(tuple(x.shape), tuple(_ints(s)))),
    "Concat": lambda *xs, axis: shape.cat(list(xs), axis) if all(isinstance(t, Tensor) for t in xs)
    else np.concatenate([_const(t) for t in xs], axis),
    "Slice": _slice, "Squeeze": lambda x, axes=None: x.squeeze(None if axes is None else tuple(_ints(axes))),
    "Unsqueeze": lambda x, axes: _unsqueeze(x, _ints(axes)),
    "Gather": _gather,
    "GatherElements": lambda x, idx, axis=0: indexing.gather(x, axis, Tensor._wrap(_const(idx).astype(np.int64))),
    "Pad": _pad, "Clip": _clip, "Trilu": lambda x, k=None, upper=1: (shape.triu if upper else shape.tril)(
        x, 0 if k is None else int(_const(k))),
    "Where": lambda c, a, b: ew.where(_const(c).astype(bool), a, b),
    "Cast": lambda x, to: x.to(_np_dtype(to)) if isinstance(x, Tensor) else _const(x).astype(_np_dtype(to)),
    "Shape": lambda x, start=0, end=None: np.asarray(x.shape[start:end], dtype=np.int64),
    "ConstantOfShape": lambda s, value=None: _constant_of_shape(s, value),
    "Resize": lambda x, roi=None, scales=None, sizes=None, **attrs: _resize(x, scales, sizes, attrs),
}


def _resize(x, scales, sizes, attrs):
    """Nearest-neighbour Resize as export writes it (asymmetric coordinates, floor)."""
    mode = attrs.get("mode", b"nearest")
    mode = mode.decode() if isinstance(mode, bytes) else mode
    ctm = attrs.get("coordinate_transformation_mode", b"half_pixel")
    ctm = ctm.decode() if isinstance(ctm, bytes) else ctm
    if mode != "nearest" or ctm != "asymmetric":
        raise NotImplementedError(f"Resize with mode={mode!r}, coordinate_transformation_mode={ctm!r}")
    if sizes is not None:
        return F.interpolate(x, size=tuple(_ints(sizes)[2:]), mode="nearest")
    factors = [float(v) for v in _const(scales).reshape(-1)[2:]]
    return F.interpolate(x, scale_factor=tuple(factors), mode="nearest")


_GATE_FUNCTIONS = {"Sigmoid": ew.sigmoid, "Tanh": ew.tanh, "Relu": ew.relu}


def _recurrent(op: str):
    """ONNX's RNN/LSTM/GRU (layout 0: X (T, B, I)) -> (Y (T, D, B, H), Y_h (D, B, H)[, Y_c])."""
    defaults = {"RNN": ["Tanh"], "LSTM": ["Sigmoid", "Tanh", "Tanh"], "GRU": ["Sigmoid", "Tanh"]}[op]

    def run(x, w, r, b=None, seq_lens=None, h0=None, c0=None, p=None, *, hidden_size, direction=b"forward",
            activations=None, linear_before_reset=0, layout=0, **unsupported):
        direction = direction.decode() if isinstance(direction, bytes) else direction
        if unsupported or layout or seq_lens is not None or p is not None:
            raise NotImplementedError(f"{op} with sequence_lens, peepholes, layout=1 or {sorted(unsupported)}")
        names = [a.decode() if isinstance(a, bytes) else a for a in (activations or defaults * w.shape[0])]
        if any(a not in _GATE_FUNCTIONS for a in names):
            raise NotImplementedError(f"{op} activations {names}")
        steps, batch, hid = x.shape[0], x.shape[1], int(hidden_size)
        ys, hs, cs = [], [], []
        for d in range(w.shape[0]):
            acts = [_GATE_FUNCTIONS[a] for a in names[d * len(defaults):(d + 1) * len(defaults)]]
            bias = b[d] if b is not None else None
            wb, rb = (None, None) if bias is None else (bias[:bias.shape[0] // 2], bias[bias.shape[0] // 2:])
            zeros = Tensor._wrap(np.zeros((batch, hid), dtype=x.dtype))
            h = zeros if h0 is None else h0[d]
            c = zeros if c0 is None else c0[d]
            order = range(steps - 1, -1, -1) if direction == "reverse" or d == 1 else range(steps)
            outs = {}
            for t in order:
                xw = matmul(x[t], w[d].transpose(0, 1)) + (wb if wb is not None else 0.0)
                hr = matmul(h, r[d].transpose(0, 1)) + (rb if rb is not None else 0.0)
                h, c = _cell(op, acts, xw, hr, h, c, r[d], rb, hid, linear_before_reset)
                outs[t] = h
            ys.append(shape.stack([outs[t] for t in range(steps)], 0))
            hs.append(h)
            cs.append(c)
        y = shape.stack(ys, 1)
        return (y, shape.stack(hs, 0), shape.stack(cs, 0)) if op == "LSTM" else (y, shape.stack(hs, 0))
    return run


def _cell(op, acts, xw, hr, h, c, r, rb, hid, linear_before_reset):
    """One step in ONNX's gate order: LSTM i, o, f, c; GRU z, r, h; RNN one gate."""
    def part(v, k):
        return v[:, k * hid:(k + 1) * hid]

    if op == "RNN":
        return acts[0](xw + hr), c
    if op == "LSTM":
        a = xw + hr
        i, o, f = acts[0](part(a, 0)), acts[0](part(a, 1)), acts[0](part(a, 2))
        c = f * c + i * acts[1](part(a, 3))
        return o * acts[2](c), c
    z = acts[0](part(xw, 0) + part(hr, 0))
    reset = acts[0](part(xw, 1) + part(hr, 1))
    if linear_before_reset:
        cand = acts[1](part(xw, 2) + reset * part(hr, 2))
    else:
        rh = matmul(reset * h, r[2 * hid:].transpose(0, 1)) + (rb[2 * hid:] if rb is not None else 0.0)
        cand = acts[1](part(xw, 2) + rh)
    return (1.0 - z) * cand + z * h, c


for _op in ("RNN", "LSTM", "GRU"):
    OPERATORS[_op] = _recurrent(_op)


def _unsqueeze(x, axes):
    out = x
    for a in sorted(a % (x.ndim + len(axes)) for a in axes):
        out = out.unsqueeze(a)
    return out


def _np_dtype(to):
    from onnx import helper

    return helper.tensor_dtype_to_np_dtype(to)


def _constant_of_shape(s, value):
    from onnx import numpy_helper

    fill = numpy_helper.to_array(value) if value is not None else np.zeros(1, dtype=np.float32)
    return Tensor._wrap(np.full(_ints(s), fill.reshape(-1)[0], dtype=fill.dtype))


# ----------------------------------------------------------------------------- the module
class OnnxModule(nn.Module):
    """A chalkgrad module that runs an ONNX graph (see :func:`load`)."""

    def __init__(self, graph) -> None:
        super().__init__()
        from onnx import numpy_helper

        self.graph_name = graph.name
        self._constants = {}
        self._param_paths = {}
        for init in graph.initializer:
            arr = numpy_helper.to_array(init)
            if arr.dtype.kind == "f" and _PARAM_NAME.match(init.name) and arr.dtype in (np.float32, np.float64):
                self._attach(init.name, arr.copy())
            else:
                self._constants[init.name] = arr
        initializer_names = {i.name for i in graph.initializer}
        self.input_names = [i.name for i in graph.input if i.name not in initializer_names]
        self.output_names = [o.name for o in graph.output]
        self._nodes = [(n.name or n.op_type, n.op_type, list(n.input), list(n.output), _attrs(n)) for n in graph.node]
        for name, op, _, outs, _ in self._nodes:
            if op not in OPERATORS:
                raise CheckpointError(f"onnx.load: node '{name}' uses operator {op}, which chalkgrad cannot import "
                                      f"(supported: {', '.join(sorted(OPERATORS))})")
            if op == "MaxPool" and len(outs) > 1 and outs[1]:
                raise CheckpointError(f"onnx.load: node '{name}' (MaxPool): MaxPool with an indices output is not "
                                      "supported")

    def _attach(self, key: str, arr) -> None:
        *path, leaf = key.split(".")
        module = self
        for part in path:
            child = module._modules.get(part)
            if child is None:
                child = nn.Module()
                module.add_module(part, child)
            module = child
        if leaf in module._parameters or leaf in module._modules or leaf in module._buffers:
            self._constants[key] = arr
            return
        if leaf in ("running_mean", "running_var"):
            module.register_buffer(leaf, Tensor(arr))
        else:
            module.register_parameter(leaf, nn.Parameter(arr))
        self._param_paths[key] = (module, leaf)

    def forward(self, *inputs):
        if len(inputs) != len(self.input_names):
            raise CheckpointError(f"OnnxModule '{self.graph_name}': expected {len(self.input_names)} inputs "
                                  f"({', '.join(self.input_names)}), got {len(inputs)}")
        values = {k: Tensor._wrap(v) if v.dtype.kind == "f" else v for k, v in self._constants.items()}
        for key, (module, leaf) in self._param_paths.items():
            values[key] = getattr(module, leaf)
        for name, x in zip(self.input_names, inputs):
            values[name] = x if isinstance(x, Tensor) else Tensor(np.asarray(x))
        for node_name, op, ins, outs, attrs in self._nodes:
            args = [values[i] if i else None for i in ins]
            while args and args[-1] is None:
                args.pop()
            try:
                result = OPERATORS[op](*args, **attrs)
            except NotImplementedError as e:
                raise CheckpointError(f"onnx.load: node '{node_name}' ({op}): {e} is not supported") from None
            except TypeError as e:
                if "unexpected keyword argument" not in str(e):
                    raise
                raise CheckpointError(f"onnx.load: node '{node_name}' ({op}) has an attribute chalkgrad does not "
                                      f"import: {e}") from None
            for out_name, value in zip(outs, result if isinstance(result, tuple) else (result,)):
                values[out_name] = value
        results = [_as_tensor(values[o]) for o in self.output_names]
        return results[0] if len(results) == 1 else tuple(results)


def load(path) -> OnnxModule:
    """Read the ONNX file at ``path`` as an :class:`OnnxModule` (in eval mode)."""
    import onnx

    try:
        proto = onnx.load(str(path))
    except Exception as e:  # noqa: BLE001 - protobuf raises several kinds
        raise CheckpointError(f"onnx.load: cannot read '{path}' as an ONNX model: {e}") from None
    return OnnxModule(proto.graph).eval()
