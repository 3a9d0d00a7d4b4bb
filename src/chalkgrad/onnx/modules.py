"""Layers exported whole: one ONNX operator for the layer instead of the ops it runs.

* ``RNN``/``LSTM``/``GRU`` -> ONNX ``RNN``/``LSTM``/``GRU``, one node per layer (both directions in one).
  chalkgrad runs a layer as a fused NumPy loop (``ops/rnn.py``) fed by a precomputed input
  projection, which has no op-by-op form to trace; ONNX has the same recurrences as operators,
  so the layer maps to them and runtimes use their own fused kernels. The gate blocks are
  reordered: chalkgrad (as torch) stacks LSTM gates i, f, g, o and GRU gates r, z, n; ONNX wants
  i, o, f, c and z, r, h. torch's GRU is ONNX's ``linear_before_reset=1`` variant
  (n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))). The reordered weights are new initializers
  named ``<layer>.onnx_W_l<k>``, ``onnx_R_l<k>``, ``onnx_B_l<k>``.
* ``BatchNorm1d``/``BatchNorm2d`` in eval mode -> ``BatchNormalization`` with the running statistics.
* ``Embedding`` -> ``Gather`` of the weight rows at the (int64) input indices.
* ``MaxPool2d(return_indices=True)`` -> ``MaxPool`` with its ``Indices`` output, and ``MaxUnpool2d`` ->
  ``MaxUnpool``. chalkgrad's indices count within each (n, c) plane, as torch's do; ONNX's count over
  the whole tensor. The pair is consistent inside the file (an unpool reads what the pool wrote), but
  the indices themselves, as a graph output, differ from chalkgrad's.
* ``AdaptiveMaxPool1d/2d`` -> ``GlobalMaxPool`` (output size 1) or ``MaxPool`` with kernel = stride = L/out
  when the output size divides the input's (otherwise an ExportError: the windows overlap unevenly).
* ``Upsample(mode='nearest')`` with integer scale factors -> ``Resize`` (nearest, asymmetric, floor), which
  works for any input size. Other resizes are traced: a product with a fixed interpolation matrix.
"""

from __future__ import annotations

import numpy as np

from ..errors import ExportError
from ..nn.functional.pooling import _ops_params, adaptive_geometry, pool_geometry
from ..nn.normalization import _BatchNorm
from ..nn.pooling import AdaptiveMaxPool1d, AdaptiveMaxPool2d, MaxPool2d, MaxUnpool2d
from ..nn.rnn import RNNBase
from ..nn.sparse import Embedding
from ..nn.upsampling import Upsample

#: chalkgrad's gate blocks, in the order ONNX stacks them.
_GATE_ORDER = {"LSTM": (0, 3, 1, 2), "GRU": (1, 0, 2), "RNN": (0,)}
_ACTIVATIONS = {"tanh": "Tanh", "sigmoid": "Sigmoid", "relu": "Relu"}


def whole(module) -> bool:
    """Is ``module`` exported as one operator (so the ops inside it are not traced)?"""
    if isinstance(module, RNNBase | Embedding | MaxUnpool2d):
        return True
    if isinstance(module, AdaptiveMaxPool1d | AdaptiveMaxPool2d):
        return not module.return_indices
    if isinstance(module, MaxPool2d):
        return bool(module.return_indices)
    if isinstance(module, Upsample):
        return module.mode == "nearest" and module.scale_factor is not None and all(
            float(f).is_integer() for f in _as_tuple(module.scale_factor))
    return isinstance(module, _BatchNorm) and module.running_mean is not None and not module.training


def convert(g, node):
    """Emit the nodes for a module recorded whole; returns the names of its outputs in order."""
    module = node.module
    if isinstance(module, RNNBase):
        return _recurrent(g, node)
    if isinstance(module, Embedding):
        return _embedding(g, node)
    if isinstance(module, MaxPool2d):
        return _max_pool_with_indices(g, node)
    if isinstance(module, MaxUnpool2d):
        return _max_unpool(g, node)
    if isinstance(module, Upsample):
        return _resize_nearest(g, node)
    if isinstance(module, AdaptiveMaxPool1d | AdaptiveMaxPool2d):
        return _adaptive_max(g, node)
    return _batch_norm(g, node)


def _error(node, detail):
    return ExportError(f"{node.where()}: {detail}")


def _batch_norm(g, node):
    m = node.module
    x = node.inputs[0]
    dt = x.dtype
    c = m.num_features
    scale = g.value(m.weight) if m.weight is not None else g.const(np.ones(c, dtype=dt), g._prefix() + "ones")
    bias = g.value(m.bias) if m.bias is not None else g.const(np.zeros(c, dtype=dt), g._prefix() + "zeros")
    mean, var = g.value(m.running_mean), g.value(m.running_var)
    if m.running_mean.dtype != dt:
        mean, var = (g.add("Cast", [v], to=_onnx_type(dt)) for v in (mean, var))
    return [g.add("BatchNormalization", [g.value(x), scale, bias, mean, var], epsilon=float(m.eps))]


def _onnx_type(dtype):
    from .graph import onnx_dtype

    return onnx_dtype(dtype)


def _embedding(g, node):
    m = node.module
    if m.max_norm is not None:
        raise _error(node, "Embedding with max_norm (renormalizes rows in place) has no ONNX mapping")
    indices = node.inputs[0]
    name = g.value(indices)
    if indices.dtype != np.int64:
        name = g.add("Cast", [name], to=_onnx_type(np.int64))
    return [g.add("Gather", [g.value(m.weight), name], axis=0)]


def _reordered(w, mode, hidden):
    """The gate blocks of ``w`` (G·H, ...) in ONNX's order."""
    blocks = [w[k * hidden:(k + 1) * hidden] for k in _GATE_ORDER[mode]]
    return np.concatenate(blocks, axis=0)


def _recurrent(g, node):
    m = node.module
    args = list(node.inputs) + [None, None]
    x, hx, lengths = args[0], args[1], args[2]
    if lengths is not None:
        raise _error(node, f"{m.mode} with lengths= (variable-length sequences) has no ONNX mapping here")
    if any(callable(a) for a in m.acts):
        raise _error(node, f"{m.mode} with a Python function as activation has no ONNX mapping")
    acts = []
    for a in m.acts:
        if a not in _ACTIVATIONS:
            raise _error(node, f"{m.mode} activation {a!r} has no ONNX mapping (tanh, sigmoid or relu)")
        acts.append(_ACTIVATIONS[a])
    mode, hidden, dirs = m.mode, m.hidden_size, 2 if m.bidirectional else 1
    lstm = mode == "LSTM"
    dt = x.dtype
    seq = g.value(x)
    unbatched = x.ndim == 2
    if unbatched:
        seq = g.unsqueeze(seq, [1])
    elif m.batch_first:
        seq = g.transpose(seq, (1, 0, 2))
    h0 = c0 = None
    if hx is not None:
        h0, c0 = (hx[0], hx[1]) if lstm else (hx, None)
        h0 = g.value(h0) if not unbatched else g.unsqueeze(g.value(h0), [1])
        if c0 is not None:
            c0 = g.value(c0) if not unbatched else g.unsqueeze(g.value(c0), [1])
    finals_h, finals_c = [], []
    for k in range(m.num_layers):
        ws, rs, bs = [], [], []
        for d in range(dirs):
            w_ih, w_hh, b_ih, b_hh = (None if t is None else t.data for t in m._weights(k * dirs + d))
            ws.append(_reordered(w_ih, mode, hidden))
            rs.append(_reordered(w_hh, mode, hidden))
            zeros = np.zeros(w_ih.shape[0], dtype=w_ih.dtype)
            b_ih = zeros if b_ih is None else b_ih
            b_hh = zeros if b_hh is None else b_hh
            bs.append(np.concatenate([_reordered(b_ih, mode, hidden), _reordered(b_hh, mode, hidden)]))
        prefix = f"{node.path}." if node.path else ""
        names = [g.const(np.stack(v).astype(dt), f"{prefix}onnx_{what}_l{k}") for v, what in
                 ((ws, "W"), (rs, "R"), (bs, "B"))]
        inputs = [seq, *names, ""]  # no sequence_lens: every sequence has the full length
        extra = {}
        if h0 is not None:
            rows = (g.ints([k * dirs], "starts"), g.ints([(k + 1) * dirs], "ends"), g.ints([0], "axes"))
            inputs.append(g.add("Slice", [h0, *rows]))
            if lstm:
                inputs.append(g.add("Slice", [c0, *rows]))
        if mode == "GRU":
            extra["linear_before_reset"] = 1
        outs = g.add(mode, inputs, 3 if lstm else 2, hidden_size=hidden, activations=acts * dirs,
                     direction="bidirectional" if dirs == 2 else "forward", **extra)
        y, y_h = outs[0], outs[1]
        finals_h.append(y_h)
        if lstm:
            finals_c.append(outs[2])
        # Y is (T, D, B, H): make it (T, B, D·H), the next layer's input
        seq = g.reshape(g.transpose(y, (0, 2, 1, 3)), [0, 0, -1])
    h_n = finals_h[0] if len(finals_h) == 1 else g.add("Concat", finals_h, axis=0)
    c_n = None
    if lstm:
        c_n = finals_c[0] if len(finals_c) == 1 else g.add("Concat", finals_c, axis=0)
    if unbatched:
        seq = g.squeeze(seq, [1])
        h_n = g.squeeze(h_n, [1])
        c_n = g.squeeze(c_n, [1]) if lstm else None
    elif m.batch_first:
        seq = g.transpose(seq, (1, 0, 2))
    return [seq, h_n, c_n] if lstm else [seq, h_n]


def _max_pool_with_indices(g, node):
    m = node.module
    x = node.inputs[0]
    if x.ndim != 4:
        raise _error(node, f"MaxPool2d(return_indices=True) on an unbatched input of shape {tuple(x.shape)} has no "
                           "ONNX mapping here; give a batch dimension")
    _, k, s, p, d, out = pool_geometry("MaxPool2d", x.shape, 2, m.kernel_size, m.stride, m.padding, m.dilation,
                                       m.ceil_mode)
    (kh, kw), (sh, sw, pt, pb, pl, pr, dh, dw), _ = _ops_params(tuple(x.shape[2:]), k, s, p, d, out[2:])
    return g.add("MaxPool", [g.value(x)], 2, kernel_shape=[kh, kw], strides=[sh, sw], pads=[pt, pl, pb, pr],
                 dilations=[dh, dw])


def _max_unpool(g, node):
    """MaxUnpool with the output shape (N, C) of the input and (H, W) of the traced output (any batch size)."""
    x, indices = node.inputs[0], node.inputs[1]
    out = node.outputs[0]
    if x.ndim != 4:
        raise _error(node, f"MaxUnpool2d on an unbatched input of shape {tuple(x.shape)} has no ONNX mapping here")
    m = node.module
    k = _pair(m.kernel_size)
    s = _pair(m.stride if m.stride is not None else m.kernel_size)
    p = _pair(m.padding)
    lead = g.add("Slice", [g.add("Shape", [g.value(x)]), g.ints([0], "starts"), g.ints([2], "ends")])
    shape = g.add("Concat", [lead, g.ints(out.shape[2:], "size")], axis=0)
    return [g.add("MaxUnpool", [g.value(x), g.value(indices), shape], kernel_shape=list(k), strides=list(s),
                  pads=[p[0], p[1], p[0], p[1]])]


def _pair(v):
    if isinstance(v, (tuple, list)):
        return tuple(int(a) for a in (v * 2 if len(v) == 1 else v))
    return (int(v), int(v))


def _as_tuple(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v,)


def _resize_nearest(g, node):
    """Nearest-neighbour upsampling by integer factors: source index ⌊dst / s⌋."""
    x = node.inputs[0]
    n = x.ndim - 2
    factors = _as_tuple(node.module.scale_factor)
    factors = factors * n if len(factors) == 1 else factors
    scales = g.const(np.asarray([1.0, 1.0, *factors], dtype=np.float32), g._prefix() + "scales")
    return [g.add("Resize", [g.value(x), "", scales], mode="nearest", coordinate_transformation_mode="asymmetric",
                  nearest_mode="floor")]


def _adaptive_max(g, node):
    m = node.module
    x = node.inputs[0]
    n = m._n
    if x.ndim != n + 2:
        raise _error(node, f"{type(m).__name__} on an unbatched input of shape {tuple(x.shape)} has no ONNX mapping "
                           "here; give a batch dimension")
    _, out = adaptive_geometry(type(m).__name__, x.shape, n, m.output_size)
    spatial, sizes = x.shape[2:], out[2:]
    if all(o == 1 for o in sizes):
        return [g.add("GlobalMaxPool", [g.value(x)])]
    if any(L % o for L, o in zip(spatial, sizes)):
        raise _error(node, f"{type(m).__name__}: output size {tuple(sizes)} does not divide the input size "
                           f"{tuple(spatial)}, so its windows have no ONNX mapping")
    kernel = [L // o for L, o in zip(spatial, sizes)]
    return [g.add("MaxPool", [g.value(x)], kernel_shape=kernel, strides=kernel)]
