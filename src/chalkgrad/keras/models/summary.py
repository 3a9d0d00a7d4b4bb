"""Keras 3's ``model.summary()`` table as plain text (box drawing as Keras's rich table prints it).

Columns: "Layer (type)", "Output Shape", "Param #" (and "Connected to" for functional models
that are not a plain chain). Line length: 88 (108 with "Connected to"), at most the terminal
width − 4; column widths from Keras's positions, shrunk to fit the borders as rich does; cells
wrap at spaces (a longer word is cut with '…'). Then Total / Trainable / Non-trainable params
with their size (4 bytes per float32 value, in B/KB/MB... of 1024).
"""

from __future__ import annotations

import math
import shutil

__all__ = ["summary_text", "readable_memory_size"]


def readable_memory_size(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if size / 1024 < 1:
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} PB"


def _ratio_reduce(total: int, values: list) -> list:
    """rich's ratio_reduce with equal ratios: take ``total`` off the widths, one rounded share at a time."""
    remaining, ratio_left, out = total, len(values), []
    for value in values:
        cut = min(value, round(remaining / ratio_left))
        out.append(value - cut)
        remaining -= cut
        ratio_left -= 1
    return out


def _fmt_shape(shape) -> str:
    if isinstance(shape, list):
        return "[" + ", ".join(_fmt_shape(s) for s in shape) + "]"
    inner = ", ".join(str(s) for s in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def _layer_shape(layer) -> str:
    nodes = layer._inbound_nodes
    if not nodes:  # built by data (a subclassed model): the shape from the build input, as Keras
        if getattr(layer, "_build_shape", None) is None:
            return "?"
        try:
            shape = layer.compute_output_shape(layer._build_shape)
        except Exception:  # noqa: BLE001 - a summary never fails on one layer's shape
            return "?"
        return _fmt_shape(shape if isinstance(shape, list) else tuple(shape))
    out = nodes[-1].output_tensors
    shapes = [t.shape for t in out]
    return _fmt_shape(shapes[0]) if len(shapes) == 1 else _fmt_shape(shapes)


def _connections(layer, nodes) -> str:
    parts = []
    for node in layer._inbound_nodes:
        if node not in nodes:
            continue
        for t in node.input_tensors:
            src, ni, ti = t._keras_history
            parts.append(f"{src.name}[{ni}][{ti}]")
    return ", ".join(parts) or "-"


def _wrap(text: str, width: int) -> list:
    """Greedy word wrap as rich does it: a word longer than the cell is cut with '…'."""
    lines, current = [], None
    for word in text.split(" "):
        if len(word) > width:
            word = word[:width - 1] + "…"
        if current is None:
            current = word
        elif len(current) + 1 + len(word) <= width:
            current += " " + word
        else:
            lines.append(current)
            current = word
    lines.append(current or "")
    return lines


def _table(header, rows, widths, align) -> list:
    inner = [w - 2 for w in widths]

    def line(left, fill, mid, right):
        return left + mid.join(fill * w for w in widths) + right

    def cells(values, sep):
        wrapped = [_wrap(v, w) for v, w in zip(values, inner)]
        height = max(len(c) for c in wrapped)
        out = []
        for i in range(height):
            parts = []
            for col, w, a in zip(wrapped, inner, align):
                text = col[i] if i < len(col) else ""
                parts.append(" " + (text.rjust(w) if a == "right" else text.ljust(w)) + " ")
            out.append(sep + sep.join(parts) + sep)
        return out

    lines = [line("┏", "━", "┳", "┓")] + cells(header, "┃") + [line("┡", "━", "╇", "┩")]
    for i, row in enumerate(rows):
        if i:
            lines.append(line("├", "─", "┼", "┤"))
        lines += cells(row, "│")
    lines.append(line("└", "─", "┴", "┘"))
    return lines


def _weights_size(weights) -> tuple[int, float]:
    count = sum(math.prod(w.shape) for w in weights)
    size = sum(math.prod(w.shape) * _itemsize(w.dtype) for w in weights)
    return count, size


def _itemsize(dtype) -> int:
    import numpy as np

    return np.dtype(dtype).itemsize


def optimizer_param_count(model, trainable: int) -> int | None:
    """Keras 3's count of optimizer variables once training ran: iteration and learning rate, then one
    slot per trainable value per moment (Adam 2, RMSprop 1 (+1 momentum, +1 centered), SGD 1 with momentum)."""
    opt = getattr(model, "optimizer", None)
    if opt is None or not model.__dict__.get("_optimizer_stepped"):
        return None
    group = opt.param_groups[0]
    name = type(opt).__name__
    slots = {"SGD": 1 if group.get("momentum") else 0, "Adagrad": 1, "Adadelta": 2, "Adamax": 2, "NAdam": 2,
             "RMSprop": 1 + bool(group.get("momentum")) + bool(group.get("centered"))}.get(name)
    if slots is None:
        slots = 2 + bool(group.get("amsgrad")) if name in ("Adam", "AdamW") else 0
    scalars = 3 if name == "NAdam" else 2
    return scalars + slots * trainable


def summary_text(model, line_length=None, positions=None, show_trainable=False) -> str:
    from ..layers.base import Layer
    from .functional import Functional

    layers = model.layers
    sequential_like = True
    nodes = getattr(model, "_nodes", [])
    if isinstance(model, Functional):
        for node in nodes:
            if len(node.input_tensors) > 1:
                sequential_like = False
        for layer in layers:
            if sum(1 for n in layer._inbound_nodes if n in nodes) > 1:
                sequential_like = False
        consumers = {}
        for node in nodes:
            for t in node.input_tensors:
                consumers[id(t)] = consumers.get(id(t), 0) + 1
        if any(v > 1 for v in consumers.values()) or len(model.outputs) > 1:
            sequential_like = False
    if sequential_like:
        default, positions = 88, positions or [0.45, 0.80, 1.0]
        header, align = ["Layer (type)", "Output Shape", "Param #"], ["left", "left", "right"]
    else:
        default, positions = 108, positions or [0.3, 0.56, 0.74, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
        align = ["left", "left", "right", "left"]
    length = line_length or min(default, shutil.get_terminal_size().columns - 4)
    widths, current = [], 0
    for pos in positions:
        w = int(pos * length) - current
        widths.append(w)
        current += w
    widths = _ratio_reduce(len(widths) + 1, widths)
    rows = []
    for layer in layers:
        if isinstance(layer, Layer):
            params = f"{layer.count_params():,}" if layer.built else "0 (unbuilt)"
            row = [f"{layer.name} ({type(layer).__name__})", _layer_shape(layer), params]
        else:
            row = [f"({type(layer).__name__})", "?", f"{layer.count_parameters():,}"]
        if not sequential_like:
            row.append(_connections(layer, nodes))
        rows.append(row)
    trainable, t_size = _weights_size(model.trainable_weights)
    frozen, f_size = _weights_size(model.non_trainable_weights)
    optimizer = optimizer_param_count(model, trainable)
    o_size = 0 if optimizer is None else 4 * optimizer  # float32 slots, an int32 iteration counter
    lines = [f'Model: "{model.name}"'] + _table(header, rows, widths, align)
    lines += [f" Total params: {trainable + frozen + (optimizer or 0):,} "
              f"({readable_memory_size(t_size + f_size + o_size)})",
              f" Trainable params: {trainable:,} ({readable_memory_size(t_size)})",
              f" Non-trainable params: {frozen:,} ({readable_memory_size(f_size)})"]
    if optimizer is not None:
        lines.append(f" Optimizer params: {optimizer:,} ({readable_memory_size(o_size)})")
    return "\n".join(lines)
