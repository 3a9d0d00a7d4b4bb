"""One converter per chalkgrad op (Function subclass): the ONNX nodes that compute the same output.

A converter is ``f(g, node)``: ``g`` is the :class:`~chalkgrad.onnx.graph.Builder`, ``node`` the
recorded op (its Function in ``node.target``, the parameters it was applied with in
``node.params``, its input tensors or constants in ``node.inputs``). It emits nodes and returns
the ONNX name of the op's output. An op missing from ``CONVERTERS`` cannot be exported.

Shapes that contain the batch size are written so that they follow the input at run time:
a reshape copies the leading dimensions it keeps (ONNX ``0``), a broadcast uses 1 where it
keeps a dimension, and open slice ends stay open.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ExportError
from ..nn.functional import activation as _act
from ..nn.functional.activation import SELU_ALPHA, SELU_SCALE
from ..ops import conv, elementwise, indexing, linalg, norm, pool, reduce, shape, softmax, special
from ..tensor import Tensor
from .graph import INT64_MAX, INT64_MIN, onnx_dtype

CONVERTERS: dict = {}


def converts(*classes):
    def register(fn):
        for cls in classes:
            CONVERTERS[cls] = fn
        return fn
    return register


def _in(g, node, i=0) -> str:
    """The ONNX name of input ``i`` (constants take the output's dtype)."""
    return g.value(node.inputs[i], node.outputs[0].dtype)


def _ndim(x) -> int:
    return x.ndim if isinstance(x, Tensor) else np.ndim(x)


def _unsupported(node, detail: str):
    return ExportError(f"{node.where()}: op {node.op_name} {detail}")


# ----------------------------------------------------------------------------- elementwise
_BINARY = {elementwise.Add: "Add", elementwise.Sub: "Sub", elementwise.Mul: "Mul", elementwise.Div: "Div",
           elementwise.Pow: "Pow", elementwise.Maximum: "Max", elementwise.Minimum: "Min"}
_UNARY = {elementwise.Neg: "Neg", elementwise.Exp: "Exp", elementwise.Log: "Log", elementwise.Sqrt: "Sqrt",
          elementwise.Abs: "Abs", elementwise.Sign: "Sign", elementwise.Sin: "Sin", elementwise.Cos: "Cos",
          elementwise.Tanh: "Tanh", elementwise.Sigmoid: "Sigmoid", elementwise.Relu: "Relu", special.Erf: "Erf",
          reduce.StdFromVar: "Sqrt", shape.Clone: "Identity"}


@converts(*_BINARY)
def _binary(g, node):
    return g.add(_BINARY[type(node.target)], [_in(g, node, 0), _in(g, node, 1)])


@converts(*_UNARY)
def _unary(g, node):
    return g.add(_UNARY[type(node.target)], [_in(g, node)])


def _scalar(g, value, dtype) -> str:
    return g.const(np.asarray(value, dtype=dtype), g._prefix() + "const")


@converts(elementwise.Log1p)
def _log1p(g, node):
    dt = node.outputs[0].dtype
    return g.add("Log", [g.add("Add", [_in(g, node), _scalar(g, 1, dt)])])


@converts(elementwise.Expm1)
def _expm1(g, node):
    dt = node.outputs[0].dtype
    return g.add("Sub", [g.add("Exp", [_in(g, node)]), _scalar(g, 1, dt)])


@converts(elementwise.Rsqrt)
def _rsqrt(g, node):
    return g.add("Reciprocal", [g.add("Sqrt", [_in(g, node)])])


@converts(elementwise.Where)
def _where(g, node):
    cond = g.const(np.asarray(node.params["cond"], dtype=bool), g._prefix() + "cond")
    return g.add("Where", [cond, _in(g, node, 0), _in(g, node, 1)])


def _clip(g, x, lo, hi, dtype):
    lo_name = "" if lo is None or lo == -math.inf else _scalar(g, lo, dtype)
    hi_name = "" if hi is None or hi == math.inf else _scalar(g, hi, dtype)
    inputs = [x, lo_name, hi_name]
    while inputs[-1] == "":
        inputs.pop()
    return g.add("Clip", inputs)


@converts(elementwise.Clamp)
def _clamp(g, node):
    return _clip(g, _in(g, node), node.params.get("lo"), node.params.get("hi"), node.outputs[0].dtype)


# ----------------------------------------------------------------------------- activations
@converts(_act.Hardtanh)
def _hardtanh(g, node):
    return _clip(g, _in(g, node), node.params["lo"], node.params["hi"], node.outputs[0].dtype)


@converts(_act.LeakyRelu)
def _leaky_relu(g, node):
    return g.add("LeakyRelu", [_in(g, node)], alpha=float(node.params["negative_slope"]))


@converts(_act.Hardsigmoid)
def _hardsigmoid(g, node):
    return g.add("HardSigmoid", [_in(g, node)], alpha=1.0 / 6.0, beta=0.5)


@converts(_act.Hardswish)
def _hardswish(g, node):
    return g.add("HardSwish", [_in(g, node)])


@converts(_act.Elu)
def _elu(g, node):
    alpha, scale, c = (float(node.params[k]) for k in ("alpha", "scale", "input_scale"))
    x = _in(g, node)
    if scale == 1.0 and c == 1.0:
        return g.add("Elu", [x], alpha=alpha)
    if c == 1.0 and math.isclose(alpha, SELU_ALPHA) and math.isclose(scale, SELU_SCALE):
        return g.add("Selu", [x], alpha=alpha, gamma=scale)
    if scale == 1.0 and math.isclose(c * alpha, 1.0):
        return g.add("Celu", [x], alpha=alpha)
    raise _unsupported(node, f"with scale={scale}, input_scale={c} has no ONNX mapping")


@converts(_act.Softplus)
def _softplus(g, node):
    # ONNX Softplus has no threshold; above it ln(1 + e^(βx))/β and x differ by < e^(-threshold)/β.
    beta = float(node.params["beta"])
    dt = node.outputs[0].dtype
    x = _in(g, node)
    if beta == 1.0:
        return g.add("Softplus", [x])
    scaled = g.add("Softplus", [g.add("Mul", [x, _scalar(g, beta, dt)])])
    return g.add("Div", [scaled, _scalar(g, beta, dt)])


@converts(_act.Gelu)
def _gelu(g, node):
    approximate = node.params.get("approximate", "none")
    x = _in(g, node)
    if g.opset >= 20:
        return g.add("Gelu", [x], approximate=approximate)
    dt = node.outputs[0].dtype
    if approximate == "tanh":  # ½x(1 + tanh(√(2/π)(x + 0.044715x³)))
        cube = g.add("Mul", [g.add("Mul", [x, x]), x])
        inner = g.add("Add", [x, g.add("Mul", [cube, _scalar(g, 0.044715, dt)])])
        t = g.add("Tanh", [g.add("Mul", [inner, _scalar(g, math.sqrt(2.0 / math.pi), dt)])])
    else:  # ½x(1 + erf(x/√2))
        t = g.add("Erf", [g.add("Mul", [x, _scalar(g, math.sqrt(0.5), dt)])])
    half_x = g.add("Mul", [x, _scalar(g, 0.5, dt)])
    return g.add("Mul", [half_x, g.add("Add", [t, _scalar(g, 1.0, dt)])])


@converts(_act.Silu)
def _silu(g, node):
    x = _in(g, node)
    return g.add("Mul", [x, g.add("Sigmoid", [x])])


@converts(_act.Mish)
def _mish(g, node):
    x = _in(g, node)
    return g.add("Mul", [x, g.add("Tanh", [g.add("Softplus", [x])])])


@converts(_act.Prelu)
def _prelu(g, node):
    return g.add("PRelu", [_in(g, node, 0), _in(g, node, 1)])


@converts(softmax.Softmax, softmax.LogSoftmax)
def _softmax(g, node):
    op = "Softmax" if isinstance(node.target, softmax.Softmax) else "LogSoftmax"
    return g.add(op, [_in(g, node)], axis=int(node.params["dim"]))


# ----------------------------------------------------------------------------- reductions
_REDUCE = {reduce.Sum: "ReduceSum", reduce.Mean: "ReduceMean", reduce.Prod: "ReduceProd", reduce.Norm2: "ReduceL2"}


@converts(*_REDUCE, reduce.Extreme)
def _reduce(g, node):
    fn = node.target
    op = ("ReduceMax" if node.params["is_max"] else "ReduceMin") if isinstance(fn, reduce.Extreme) \
        else _REDUCE[type(fn)]
    axes = tuple(node.params["axes"])
    if not axes:
        return g.add("Identity", [_in(g, node)])
    ndim = node.inputs[0].ndim
    if op == "ReduceMean" and node.params["keepdims"] and ndim >= 3 and axes == tuple(range(2, ndim)):
        return g.add("GlobalAveragePool", [_in(g, node)])  # the mean of each (n, c) feature map
    return g.reduce(op, _in(g, node), axes, node.params["keepdims"])


@converts(reduce.Cumsum)
def _cumsum(g, node):
    axis = g.const(np.asarray(node.params["dim"], dtype=np.int64), g._prefix() + "axis")
    return g.add("CumSum", [_in(g, node), axis])


# ----------------------------------------------------------------------------- shapes
def onnx_reshape_shape(in_shape, out_shape) -> list:
    """The ONNX Reshape target: dimensions kept at the front are copied (0), so a batch size follows the input."""
    target = list(out_shape)
    for i, (a, b) in enumerate(zip(in_shape, out_shape)):
        if a != b:
            break
        target[i] = 0
    return target


@converts(shape.Reshape)
def _reshape(g, node):
    x = node.inputs[0]
    return g.reshape(_in(g, node), onnx_reshape_shape(x.shape, node.params["shape"]))


@converts(shape.Permute)
def _permute(g, node):
    return g.transpose(_in(g, node), node.params["dims"])


@converts(shape.BroadcastTo)
def _broadcast_to(g, node):
    x, target = node.inputs[0], tuple(node.params["shape"])
    lead = len(target) - x.ndim
    dims = [1 if i >= lead and x.shape[i - lead] == s else s for i, s in enumerate(target)]
    if dims[0] != 1:  # a new leading size: the batch size at run time, if that is what it was when traced
        shape_name = g.batch_shape(dims)
        if shape_name is not None:
            return g.add("Expand", [_in(g, node), shape_name])
    return g.add("Expand", [_in(g, node), g.ints(dims)])


@converts(shape.Cast)
def _cast(g, node):
    return g.add("Cast", [_in(g, node)], to=onnx_dtype(node.params["dtype"]))


@converts(shape.Cat)
def _cat(g, node):
    return g.add("Concat", [_in(g, node, i) for i in range(len(node.inputs))], axis=int(node.params["dim"]))


@converts(shape.Flip)
def _flip(g, node):
    dims = list(node.params["dims"])
    n = len(dims)
    return g.add("Slice", [_in(g, node), g.ints([-1] * n, "starts"), g.ints([INT64_MIN] * n, "ends"),
                           g.ints(dims, "axes"), g.ints([-1] * n, "steps")])


@converts(shape.ConstantPad)
def _pad(g, node):
    widths = node.params["widths"]
    pads = [lo for lo, _ in widths] + [hi for _, hi in widths]
    value = _scalar(g, node.params["value"], node.outputs[0].dtype)
    return g.add("Pad", [_in(g, node), g.ints(pads, "pads"), value], mode="constant")


@converts(shape.Tri)
def _tri(g, node):
    k = g.const(np.asarray(node.params["k"], dtype=np.int64), g._prefix() + "k")
    return g.add("Trilu", [_in(g, node), k], upper=int(not node.params["lower"]))


# ----------------------------------------------------------------------------- indexing
def _slice_bound(v, default):
    return default if v is None else int(v)


@converts(indexing.GetItem)
def _getitem(g, node):
    x = node.inputs[0]
    index = node.params["index"]
    items = list(index) if isinstance(index, tuple) else [index]
    if not node.params["basic"]:
        return _advanced_index(g, node, x, items)
    n_real = sum(1 for i in items if i is not None and i is not Ellipsis)
    if Ellipsis in items:
        k = items.index(Ellipsis)
        items[k:k + 1] = [slice(None)] * (x.ndim - n_real)
    items += [slice(None)] * (x.ndim - sum(1 for i in items if i is not None))
    starts, ends, axes, steps, squeeze, new_axes = [], [], [], [], [], []
    axis = out_axis = 0
    for item in items:
        if item is None:
            new_axes.append(out_axis)
            out_axis += 1
            continue
        if isinstance(item, slice):
            step = 1 if item.step is None else int(item.step)
            lo = _slice_bound(item.start, 0 if step > 0 else INT64_MAX)
            hi = _slice_bound(item.stop, INT64_MAX if step > 0 else INT64_MIN)
            if (lo, hi, step) != (0, INT64_MAX, 1):
                starts.append(lo), ends.append(hi), axes.append(axis), steps.append(step)
            out_axis += 1
        else:  # an integer: take one slice, then drop the axis
            i = int(item)
            starts.append(i), ends.append(i + 1 if i != -1 else INT64_MAX), axes.append(axis), steps.append(1)
            squeeze.append(axis)
        axis += 1
    y = _in(g, node)
    if axes:
        y = g.add("Slice", [y, g.ints(starts, "starts"), g.ints(ends, "ends"), g.ints(axes, "axes"),
                            g.ints(steps, "steps")])
    if squeeze:
        y = g.squeeze(y, squeeze)
    if new_axes:
        y = g.unsqueeze(y, new_axes)
    if y == _in(g, node):
        y = g.add("Identity", [y])
    return y


def _advanced_index(g, node, x, items):
    """``x[..., idx, ...]`` with one integer array and full slices elsewhere: a Gather."""
    arrays = [k for k, i in enumerate(items) if isinstance(i, np.ndarray)]
    others_full = all(isinstance(i, slice) and i == slice(None) for k, i in enumerate(items) if k not in arrays)
    if len(arrays) != 1 or not others_full or items[arrays[0]].dtype.kind == "b":
        raise _unsupported(node, "(indexing with boolean masks or several index arrays) has no ONNX mapping")
    idx = g.const(items[arrays[0]].astype(np.int64), g._prefix() + "indices")
    return g.add("Gather", [_in(g, node), idx], axis=arrays[0])


@converts(indexing.Gather)
def _gather(g, node):
    x = _in(g, node)
    crop = node.params["crop"]
    src = node.inputs[0]
    cut = [(d, s.stop) for d, s in enumerate(crop) if s.stop is not None and s.stop != src.shape[d]]
    if cut:
        x = g.add("Slice", [x, g.ints([0] * len(cut), "starts"), g.ints([c for _, c in cut], "ends"),
                            g.ints([d for d, _ in cut], "axes")])
    idx = g.const(np.asarray(node.params["index"], dtype=np.int64), g._prefix() + "indices")
    return g.add("GatherElements", [x, idx], axis=int(node.params["dim"]))


# ----------------------------------------------------------------------------- linear algebra
@converts(linalg.MatMul)
def _matmul(g, node):
    return g.add("MatMul", [_in(g, node, 0), _in(g, node, 1)])


@converts(linalg.Linear)
def _linear(g, node):
    x = node.inputs[0]
    has_bias = len(node.inputs) > 2 and node.inputs[2] is not None
    names = [_in(g, node, i) for i in range(3 if has_bias else 2)]
    if x.ndim == 2:
        return g.add("Gemm", names, transB=1)
    y = g.add("MatMul", [names[0], g.transpose(names[1], (1, 0))])
    return g.add("Add", [y, names[2]]) if has_bias else y


# ----------------------------------------------------------------------------- convolution and pooling
@converts(conv.Conv2dFn)
def _conv(g, node):
    sh, sw, pt, pb, pl, pr, dh, dw, groups = node.params["p"]
    w = node.inputs[1]
    names = [_in(g, node, i) for i in range(len(node.inputs)) if node.inputs[i] is not None]
    return g.add("Conv", names, kernel_shape=list(w.shape[2:]), strides=[sh, sw], pads=[pt, pl, pb, pr],
                 dilations=[dh, dw], group=groups)


@converts(conv.Conv2dInputGrad)
def _conv_transpose(g, node):
    """The transposed convolution: output size s·(n − 1) + d·(k − 1) + 1 − pads + output_padding."""
    sh, sw, pt, pb, pl, pr, dh, dw, groups = node.params["p"]
    x, w = node.inputs[0], node.inputs[1]
    target = node.params["x_shape"][2:]
    pads_begin, pads_end, out_pad = [pt, pl], [], []
    for n, k, s, d, lo, size in zip(x.shape[2:], w.shape[2:], (sh, sw), (dh, dw), (pt, pl), target):
        full = s * (n - 1) + d * (k - 1) + 1 - lo  # before the end padding
        extra = size - (full - lo)
        if 0 <= extra < max(s, d):
            pads_end.append(lo)
            out_pad.append(extra)
        else:
            pads_end.append(full - size)
            out_pad.append(0)
    return g.add("ConvTranspose", [_in(g, node, 0), _in(g, node, 1)], kernel_shape=list(w.shape[2:]),
                 strides=[sh, sw], pads=pads_begin + pads_end, dilations=[dh, dw], group=groups,
                 output_padding=out_pad if any(out_pad) else None)


@converts(pool.MaxPool2dFn)
def _max_pool(g, node):
    sh, sw, pt, pb, pl, pr, dh, dw = node.params["p"]
    return g.add("MaxPool", [_in(g, node)], kernel_shape=[node.params["kh"], node.params["kw"]], strides=[sh, sw],
                 pads=[pt, pl, pb, pr], dilations=[dh, dw])


@converts(pool.AvgPool2dFn)
def _avg_pool(g, node):
    """AveragePool counting the padding (divides by kh·kw), then the per-window divisor chalkgrad used."""
    sh, sw, pt, pb, pl, pr, dh, dw = node.params["p"]
    kh, kw = node.params["kh"], node.params["kw"]
    if (dh, dw) != (1, 1):
        raise _unsupported(node, "with dilation has no ONNX mapping")
    y = g.add("AveragePool", [_in(g, node)], kernel_shape=[kh, kw], strides=[sh, sw], pads=[pt, pl, pb, pr],
              count_include_pad=1)
    factor = np.asarray(node.params["scale"], dtype=np.float64) * (kh * kw)
    if np.allclose(factor, 1.0, rtol=0, atol=1e-12):
        return y
    return g.add("Mul", [y, g.const(factor.astype(node.outputs[0].dtype), g._prefix() + "divisor")])


# ----------------------------------------------------------------------------- normalization
@converts(norm.Normalize)
def _normalize(g, node):
    """Normalization over trailing axes: LayerNormalization (scale 1 and no bias when there is no affine)."""
    x = node.inputs[0]
    axes = tuple(a % x.ndim for a in node.params["axes"])
    if axes != tuple(range(x.ndim - len(axes), x.ndim)):
        raise _unsupported(node, f"over the axes {axes} (not the trailing ones) has no ONNX mapping")
    dt = node.outputs[0].dtype
    k = 1
    names = [_in(g, node)]
    if node.params.get("has_weight"):
        names.append(_in(g, node, k))
        k += 1
    else:
        names.append(g.const(np.ones(x.shape[axes[0]:], dtype=dt), g._prefix() + "ones"))
    if node.params.get("has_bias"):
        names.append(_in(g, node, k))
    return g.add("LayerNormalization", names, axis=axes[0], epsilon=float(node.params["eps"]))


@converts(norm.ChannelAffine)
def _channel_affine(g, node):
    """y = x·a + b, a and b per channel (dim 1)."""
    x = node.inputs[0]
    per_channel = [x.shape[1]] + [1] * (x.ndim - 2)
    a = g.reshape(_in(g, node, 1), per_channel)
    b = g.reshape(_in(g, node, 2), per_channel)
    return g.add("Add", [g.add("Mul", [_in(g, node, 0), a]), b])
