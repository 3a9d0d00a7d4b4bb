"""Problem kind ``layer``: the inside of one layer worked out on a small input (see docs/layer-problems.md).

::

    kind: layer
    layer: {conv2d: {in_channels: 1, out_channels: 1, kernel_size: 2}}
    weight: [[[[1, 0], [0, -1]]]]        # explicit parameters, shapes checked against the layer
    bias: [0.5]
    input: [[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]]
    grad: y_11                           # conv only: ∂y_11/∂w for the kernel
    show: [forward]                      # batchnorm/dropout: training or eval; batchnorm: running_stats

The layer's arguments are those of the ``chalkgrad.nn`` class (torch's); the values of the solution come
from that layer run in float64 (:func:`chalkgrad.explain.layers.explain_layer`). Importing this module
registers the kind.
"""

from __future__ import annotations

import numpy as np

from ..errors import ChalkgradError, ProblemError
from .layers import MAX_MAGNITUDE
from .problem import _describe, _Mapping
from .problem_kinds import register

__all__ = ["LAYER_KINDS"]

#: layer name -> (chalkgrad.nn class, allowed input ranks, problem keys it accepts beyond layer/input/show/title)
LAYER_KINDS = {
    "conv1d": ("Conv1d", (2, 3), {"weight", "bias", "grad"}),
    "conv2d": ("Conv2d", (3, 4), {"weight", "bias", "grad"}),
    "conv_transpose1d": ("ConvTranspose1d", (2, 3), {"weight", "bias"}),
    "conv_transpose2d": ("ConvTranspose2d", (3, 4), {"weight", "bias"}),
    "maxpool2d": ("MaxPool2d", (2, 3, 4), set()),
    "avgpool2d": ("AvgPool2d", (2, 3, 4), set()),
    "global_avgpool2d": ("AdaptiveAvgPool2d", (2, 3, 4), set()),
    "max_unpool2d": ("MaxUnpool2d", (2, 3, 4), {"indices"}),
    "batchnorm1d": ("BatchNorm1d", (2, 3), {"weight", "bias", "running_mean", "running_var"}),
    "batchnorm2d": ("BatchNorm2d", (4,), {"weight", "bias", "running_mean", "running_var"}),
    "layernorm": ("LayerNorm", (1, 2, 3, 4), {"weight", "bias"}),
    "dropout": ("Dropout", (1, 2, 3, 4), {"seed"}),
    "cross_entropy": (None, (1, 2), {"target"}),
}
_EXTRA = {"weight", "bias", "running_mean", "running_var", "indices", "seed", "target", "grad"}
_SHOW = ("forward", "training", "eval", "running_stats")
_NO_DTYPE = ("MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "MaxUnpool2d", "Dropout")
_MAX_SIZE = 4096


def _entry(v, d):
    """(name, args mapping, line) of the ``layer`` key."""
    layer, line = d["layer"], d.lines["layer"]
    if isinstance(layer, str):
        name, args = layer, _Mapping()
    elif isinstance(layer, _Mapping) and len(layer) == 1:
        name, args = next(iter(layer.items()))
        line = layer.line
        if args is None:
            args = _Mapping()
        if not isinstance(args, _Mapping):
            v.fail(line, f"layer.{name}", f"expected the layer's arguments as a mapping, got {_describe(args)}")
    else:
        v.fail(line, "layer", "expected a layer name (dropout) or one mapping name: {arguments} "
               f"(conv2d: {{in_channels: 1, out_channels: 1, kernel_size: 2}}), got {_describe(layer)}")
    if not isinstance(name, str) or name not in LAYER_KINDS:
        v.fail(line, "layer", f"unknown layer {name!r}; expected one of {', '.join(LAYER_KINDS)}")
    return name, args, line


def _build(name, args):
    """The chalkgrad.nn module for ``name`` with ``args`` (float64); raises what the constructor raises."""
    import chalkgrad.nn as nn

    cls_name = LAYER_KINDS[name][0]
    if cls_name is None:
        return None
    kwargs = {k: tuple(val) if isinstance(val, list) else val for k, val in args.items()}
    for bad in ("dtype", "device", "generator"):
        if bad in kwargs:
            raise TypeError(f"unknown argument '{bad}' (problems always compute in float64)")
    if name == "global_avgpool2d":
        if kwargs:
            raise TypeError(f"takes no arguments, got {', '.join(kwargs)}")
        kwargs["output_size"] = 1
    if cls_name not in _NO_DTYPE:
        kwargs["dtype"] = np.float64
    return getattr(nn, cls_name)(**kwargs)


def _array(v, value, where, line, ranks=None, integer=False) -> np.ndarray:
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        v.fail(line, where, f"expected a (nested) list of numbers, got {_describe(value)}")
    if arr.size == 0 or (ranks is not None and arr.ndim not in ranks):
        want = f"{' or '.join(str(r) for r in ranks)}-D" if ranks else "a non-empty"
        v.fail(line, where, f"expected {want} nested lists of numbers, got {_describe(value)}"
               + (f" ({arr.ndim}-D)" if arr.size else ""))
    if arr.size > _MAX_SIZE:
        v.fail(line, where, f"{arr.size} numbers is too many for a worked solution (at most {_MAX_SIZE})")
    if not np.all(np.isfinite(arr)):
        v.fail(line, where, "all numbers must be finite")
    if np.abs(arr).max() > MAX_MAGNITUDE:
        v.fail(line, where, f"numbers up to {MAX_MAGNITUDE:g} in size are accepted, got {np.abs(arr).max():g}")
    if integer and not np.all(arr == np.round(arr)):
        v.fail(line, where, "expected whole numbers (indices)")
    return arr


def _show(v, d, name):
    default = ["forward"] + (["training"] if name in ("batchnorm1d", "batchnorm2d", "dropout") else []) \
        + (["running_stats"] if name in ("batchnorm1d", "batchnorm2d") else [])
    show = d.get("show", default)
    line = d.lines.get("show", d.line)
    if not isinstance(show, list) or not show or any(not isinstance(s, str) or s not in _SHOW for s in show):
        v.fail(line, "show", f"expected a list from {', '.join(_SHOW)}, got {_describe(show)}")
    if ("training" in show or "eval" in show) and name not in ("batchnorm1d", "batchnorm2d", "dropout"):
        v.fail(line, "show", f"training/eval only apply to batchnorm1d, batchnorm2d and dropout, not {name}")
    if "training" in show and "eval" in show:
        v.fail(line, "show", "choose training or eval, not both")
    if "running_stats" in show and (name not in ("batchnorm1d", "batchnorm2d") or "eval" in show):
        v.fail(line, "show", "running_stats applies to batchnorm in training mode only")
    return show


def _check_running(v, d, module, show):
    if module.running_mean is not None:
        return
    if "running_stats" in d.get("show", ()) or "eval" in show:
        v.fail(d.lines.get("show", d.line), "show", "the layer keeps no running statistics "
               "(track_running_stats is false): it always uses the batch statistics")


def _validate(v, d):
    v.keys(d, "layer_problem", "problem", d.line)
    name, args, line = _entry(v, d)
    _, ranks, extra = LAYER_KINDS[name]
    for k, val in args.items():
        if not (isinstance(val, (int, float, str, bool)) or val is None or isinstance(val, list) and val and all(
                isinstance(x, int) and not isinstance(x, bool) for x in val)):
            v.fail(args.lines[k], f"layer.{name}.{k}", f"expected a number, text or a list of integers, "
                   f"got {_describe(val)}")
    _check_sizes(v, name, args, line)
    for k in _EXTRA & set(d):
        if k not in extra:
            v.fail(d.lines[k], k, f"does not apply to {name} (it accepts {', '.join(sorted(extra)) or 'no such keys'})")
    show = _show(v, d, name)
    try:
        module = _build(name, args)
    except (TypeError, ValueError, OverflowError, ChalkgradError) as e:
        v.fail(line, f"layer.{name}", str(e))
    if getattr(module, "padding_mode", "zeros") != "zeros":
        v.fail(line, f"layer.{name}.padding_mode", f"only zero padding is written out, got {module.padding_mode!r}")
    x = _array(v, d["input"], "input", d.lines["input"], ranks)
    if module is not None:
        for pname in ("weight", "bias"):
            param = getattr(module, pname, None)
            if pname not in extra:
                continue
            if param is None:
                if pname in d and d[pname] is not None:
                    v.fail(d.lines[pname], pname, f"the layer has no {pname} "
                           + ("(bias: false in its arguments)" if pname == "bias" else "(elementwise_affine/affine "
                                                                                       "is false)"))
                continue
            if pname not in d:
                if name.startswith("conv"):
                    v.fail(d.line, "problem", f"missing key '{pname}' (its shape is {tuple(param.shape)}"
                           + ("; or bias: false in the layer's arguments" if pname == "bias" else "") + ")")
                continue
            _param(v, d, pname, tuple(param.shape))
        for bname in ("running_mean", "running_var"):
            if bname in d:
                buf = getattr(module, bname, None)
                if buf is None:
                    v.fail(d.lines[bname], bname, "the layer keeps no running statistics (track_running_stats is "
                           "false)")
                arr = _param(v, d, bname, tuple(buf.shape))
                if bname == "running_var" and np.any(arr < 0):
                    v.fail(d.lines[bname], bname, "a variance cannot be negative")
        shape = x.shape
        try:
            if name.startswith("batchnorm"):
                _check_running(v, d, module, show)
                module._check_shape(shape)
                if module.momentum is None:
                    v.fail(line, f"layer.{name}.momentum", "momentum: null (a cumulative average) is not "
                           "supported; give a number")
                if "eval" not in show and x.size // x.shape[1] < 2:
                    v.fail(d.lines["input"], "input", f"training needs more than 1 value per channel, got shape "
                           f"{shape}")
            elif name == "layernorm":
                module._check_shape(shape)
            elif name != "dropout":
                batched = shape if len(shape) == max(ranks) else (1,) * (max(ranks) - len(shape)) + shape
                out = module.output_shape(batched)
                if int(np.prod(out, dtype=np.float64)) > _MAX_SIZE:
                    v.fail(d.lines["input"], "input", f"gives an output of shape {tuple(out)}, too large for a "
                           f"worked solution (at most {_MAX_SIZE} numbers)")
        except ProblemError:
            raise
        except ChalkgradError as e:
            v.fail(d.lines["input"], "input", str(e))
    if name == "max_unpool2d":
        if "indices" not in d:
            v.fail(d.line, "problem", "missing key 'indices' (where max pooling took each value from)")
        idx = _array(v, d["indices"], "indices", d.lines["indices"], integer=True)
        if idx.shape != x.shape:
            v.fail(d.lines["indices"], "indices", f"has shape {idx.shape}, expected the input's shape {x.shape}")
    if name == "dropout":
        if "eval" not in show and "seed" not in d:
            v.fail(d.line, "problem", "missing key 'seed' (the dropout mask depends on it)")
        seed = d.get("seed", 0)
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
            v.fail(d.lines.get("seed", d.line), "seed", f"expected a non-negative integer, got {_describe(seed)}")
    if name == "cross_entropy":
        if args:
            v.fail(line, "layer.cross_entropy", f"takes no arguments, got {', '.join(args)}")
        if "target" not in d:
            v.fail(d.line, "problem", "missing key 'target' (the class index of each sample, from 0)")
        target = d["target"]
        n, c = (1, x.shape[0]) if x.ndim == 1 else x.shape
        items = target if isinstance(target, list) else [target]
        if len(items) != n or any(isinstance(t, bool) or not isinstance(t, int) or not 0 <= t < c for t in items):
            v.fail(d.lines["target"], "target", f"expected {n} class index(es) in [0, {c}) (one per sample), "
                   f"got {_describe(target)}")
    if "grad" in d and not isinstance(d["grad"], str):
        v.fail(d.lines["grad"], "grad", f"expected the name of one output (y_11), got {_describe(d['grad'])}")


def _check_sizes(v, name, args, line):
    """Refuse sizes that would allocate large parameters before the layer is built."""
    def size(val):
        if isinstance(val, bool) or not isinstance(val, (int, list)):
            return 1
        return int(np.prod([abs(x) for x in val], dtype=np.float64)) if isinstance(val, list) else abs(val)

    for k, val in args.items():
        if size(val) > _MAX_SIZE:
            v.fail(args.lines[k], f"layer.{name}.{k}", f"{val!r} is too large for a worked solution (at most "
                   f"{_MAX_SIZE})")
    if name.startswith("conv"):
        n = 1 if name.endswith("1d") else 2
        k = args.get("kernel_size", 1)
        kernel = size(k) ** (n if not isinstance(k, list) else 1)
        weights = size(args.get("in_channels", 1)) * size(args.get("out_channels", 1)) * kernel
        if weights > _MAX_SIZE:
            v.fail(line, f"layer.{name}", f"a kernel of {weights} weights is too large for a worked solution "
                   f"(at most {_MAX_SIZE})")


def _param(v, d, key, shape) -> np.ndarray:
    arr = _array(v, d[key], key, d.lines[key])
    if arr.shape != shape:
        v.fail(d.lines[key], key, f"has shape {arr.shape}, expected {shape}")
    return arr


def _solve(problem):
    from .layers import explain_layer

    d = problem.data
    name, args, _ = _entry_quiet(d)
    module = _build(name, args)
    show = d.get("show") or (["forward", "training"] + (["running_stats"] if name.startswith("batchnorm") else []))
    title = str(d["title"]) if d.get("title") is not None else None
    x = np.array(d["input"], dtype=np.float64)
    try:
        if module is None:
            from .layers import explain_softmax_cross_entropy

            target = d["target"]
            solution = explain_softmax_cross_entropy(x, target if isinstance(target, list) else [target], title=title)
        else:
            for key in ("weight", "bias", "running_mean", "running_var"):
                if key in d and d[key] is not None and getattr(module, key, None) is not None:
                    getattr(module, key).data[...] = np.array(d[key], dtype=np.float64)
            module.train("eval" not in show)
            indices = np.array(d["indices"], dtype=np.float64).astype(np.int64) if "indices" in d else None
            solution = explain_layer(module, x, indices=indices, grad=d.get("grad"), seed=d.get("seed", 0),
                                     title=title)
    except ChalkgradError as e:
        message = str(e)
        key = "grad" if "grad" in message and "grad" in d else "indices" if "indices" in message and "indices" in d \
            else "input"
        raise ProblemError(f"{problem.path}:{d.lines[key]}: {key}: {message}") from None
    if name.startswith("batchnorm") and "running_stats" not in show:
        solution.sections[:] = [s for s in solution.sections if not s.title.startswith("Running statistics")]
    return solution


def _entry_quiet(d):
    layer = d["layer"]
    if isinstance(layer, str):
        return layer, {}, d.lines["layer"]
    name, args = next(iter(layer.items()))
    return name, args or {}, layer.line


register("layer", _validate, _solve, {"layer", "input"}, {"show"} | _EXTRA)
