"""Worked solutions of layer internals: convolution, transposed convolution, pooling, normalization,
dropout, and softmax with cross-entropy over a batch.

Each function runs the library's own function (``chalkgrad.nn.functional``) in float64 on a small
input and writes its numbers out:

* :func:`explain_conv`: the padded input, then every output element as its window times the kernel,
  term by term, plus the bias (``y_11 = w_11·xp_11 + w_12·xp_12 + … + b``), with the window's position;
  optionally the gradient of one output with respect to the kernel (``∂y_11/∂w_uv`` = the input it multiplies);
* :func:`explain_conv_transpose`: the scatter-add view (each input element times the kernel, added into
  the output at stride s), then the crop by the padding, plus the bias;
* :func:`explain_max_pool2d` (each window, its max and the flat index as torch's ``return_indices``),
  :func:`explain_avg_pool2d` (``count_include_pad``), :func:`explain_global_avg_pool2d`,
  :func:`explain_max_unpool2d` (values put back at the saved indices);
* :func:`explain_batch_norm` (training: μ_B, biased σ²_B, x̂, y = γ·x̂ + β and the running-statistics
  update with the unbiased variance; eval: the running statistics), :func:`explain_layer_norm`,
  :func:`explain_dropout` (the mask of a seeded generator and the 1/(1 − p) scaling);
* :func:`explain_softmax_cross_entropy`: softmax and cross-entropy for a batch, mean over the samples,
  and the gradient (p − t)/N of the logits.

:func:`explain_layer` reads the hyperparameters and parameters of a ``chalkgrad.nn`` layer and calls the
matching function. Sizes are limited (``LIMIT`` formula terms) so a solution stays readable; larger
inputs raise :class:`~chalkgrad.errors.ConfigError` saying the limit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError, ShapeError
from .dense import _activation_formula, _as_float64, _loss_steps
from .expr import Add, Call, Div, Expr, Mul, Num, Sub, Sym, add
from .steps import Section, Solution

__all__ = [
    "explain_conv", "explain_conv_transpose", "explain_max_pool2d", "explain_avg_pool2d",
    "explain_global_avg_pool2d", "explain_max_unpool2d", "explain_batch_norm", "explain_layer_norm",
    "explain_dropout", "explain_softmax_cross_entropy", "explain_layer", "output_names", "LIMIT", "MAX_MAGNITUDE",
    "Max",
]

#: The most formula terms (an output element's products, summands, window entries) one solution writes out.
LIMIT = 400
#: The largest magnitude of a given number (larger ones overflow when squares or exponentials are re-checked).
MAX_MAGNITUDE = 1e12


@dataclass(eq=False)
class Max(Expr):
    """The largest of several terms: ``max(a, b, c)`` (max pooling)."""

    terms: list

    @property
    def children(self):
        return self.terms

    def text(self, values=None, precision=6):
        return "max(" + ", ".join(t.text(values, precision) for t in self.terms) + ")"

    def tex(self, values=None, precision=6):
        return r"\max\left(" + ", ".join(t.tex(values, precision) for t in self.terms) + r"\right)"

    def evaluate(self, values):
        return max(t.evaluate(values) for t in self.terms)


# ----------------------------------------------------------------------------- helpers
def _f64(x, what: str, label: str) -> np.ndarray:
    if x is None:
        raise ConfigError(f"{label}: {what} is required")
    arr = x.detach().numpy() if hasattr(x, "detach") else x
    try:
        arr = _as_float64(np.asarray(arr))
    except (TypeError, ValueError):
        raise ShapeError(f"{label}: {what} must be an array of numbers, got {type(x).__name__}") from None
    if not np.all(np.isfinite(arr)):
        raise ConfigError(f"{label}: {what} must hold finite numbers")
    if arr.size and np.abs(arr).max() > MAX_MAGNITUDE:
        raise ConfigError(f"{label}: {what} holds {np.abs(arr).max():g}; a worked solution takes numbers up to "
                          f"{MAX_MAGNITUDE:g} in size")
    return arr


def _names(head: str, shape, keep) -> np.ndarray:
    """Element names head_<1-based indices of the kept dims>, e.g. x_12; commas when a kept size exceeds 9."""
    dims = [i for i, k in enumerate(keep) if k]
    sep = "," if any(shape[i] > 9 for i in dims) else ""
    out = np.empty(tuple(shape), dtype=object)
    for idx in np.ndindex(*shape):
        parts = [str(idx[i] + 1) for i in dims]
        out[idx] = head + ("_" + sep.join(parts) if parts else "")
    return out


def _subscripts(*parts) -> str:
    """'Subscripts count from 1: x by (row, column); ...' from (names, keep mask, dim labels) triples."""
    out = []
    for heads, keep, labels in parts:
        kept = [lab for k, lab in zip(keep, labels) if k]
        if kept:
            out.append(f"{heads} by ({', '.join(kept)})" if len(kept) > 1 else f"{heads} by {kept[0]}")
    return "Subscripts count from 1: " + "; ".join(out) + "." if out else ""


def _limit(label: str, count: int, what: str, limit: int = LIMIT) -> None:
    if count > limit:
        raise ConfigError(f"{label}: {what} would write {count} terms; a worked solution is limited to {limit} "
                          f"(use a smaller input or kernel)")


def _tensor(arr, requires_grad=False):
    import chalkgrad as cg

    return cg.tensor(np.array(arr, dtype=np.float64), dtype=cg.float64, requires_grad=requires_grad)


def _given(sec: Section, names, values) -> None:
    for idx in np.ndindex(*values.shape):
        sec.given(names[idx], values[idx])


def _fmt(t) -> str:
    return "×".join(str(v) for v in t)


def _tup(v, n: int) -> tuple:
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * n


def _span(start: int, step: int, count: int) -> str:
    """1-based positions start, start + step, ... as a range 'a to b' (or 'a, b, c' when spaced)."""
    pos = [start + 1 + step * i for i in range(count)]
    if len(pos) == 1:
        return str(pos[0])
    if step == 1:
        return f"{pos[0]} to {pos[-1]}"
    return ", ".join(str(p) for p in pos)


def _window_note(starts, steps, kernel, where="xp") -> str:
    if len(starts) == 1:
        return f"window: positions {_span(starts[0], steps[0], kernel[0])} of {where}"
    return (f"window: rows {_span(starts[0], steps[0], kernel[0])}, columns {_span(starts[1], steps[1], kernel[1])} "
            f"of {where}")


def output_names(kind: str, shape) -> np.ndarray:
    """The names an explainer gives the elements of an output of ``shape`` (batched: N, C, *spatial)."""
    shape = tuple(shape)
    if kind in ("conv", "pool"):
        return _names("y", shape, (shape[0] > 1, shape[1] > 1) + (True,) * (len(shape) - 2))
    raise ConfigError(f"output_names: unknown kind {kind!r}")


def _batched(arr: np.ndarray, n: int, label: str, what: str = "input") -> tuple[np.ndarray, bool]:
    if arr.ndim == n + 2:
        return arr, True
    if arr.ndim == n + 1:
        return arr[None], False
    dims = "(C, L)" if n == 1 else "(C, H, W)"
    raise ShapeError(f"{label}: {what} must be {n + 2}-D (N, C, ...) or {n + 1}-D {dims}, got shape {arr.shape}")


# ----------------------------------------------------------------------------- convolution
def explain_conv(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, *, grad=None,
                 title: str | None = None) -> Solution:
    """Worked conv1d/conv2d (chosen by the weight's rank: (C_out, C_in/groups, k) or (C_out, C_in/groups, kh, kw)).

    y[n, o, i, j] = b[o] + Σ_{c, u, v} w[o, c, u, v] · xp[n, g·C_in/G + c, i·s + u·d, j·s + v·d]  (cross-correlation,
    as deep-learning libraries compute it), xp the input padded with zeros. ``grad``: the name of one output
    (``"y_11"``) or its index into the batched output; adds ∂y/∂w for the kernel it uses and ∂y/∂b.
    The values are those of ``chalkgrad.nn.functional.conv1d/conv2d`` in float64.
    """
    import chalkgrad.nn.functional as F
    from chalkgrad.nn.functional.conv import conv_geometry

    from ..ops.shape import pad as pad_op

    w = _f64(weight, "weight", "explain_conv")
    n = w.ndim - 2
    if n not in (1, 2):
        raise ShapeError(f"explain_conv: weight must be 3-D (conv1d) or 4-D (conv2d), got shape {w.shape}")
    label = f"conv{n}d"
    xa, _ = _batched(_f64(x, "input", label), n, label)
    b = None if bias is None else _f64(bias, "bias", label)
    _, pads, out_shape = conv_geometry(label, xa.shape, w.shape, stride, padding, dilation, groups)
    st, dil = _tup(stride, n), _tup(dilation, n)
    N, C = xa.shape[:2]
    O, Cg = w.shape[:2]
    kernel = w.shape[2:]
    terms_per = Cg * int(np.prod(kernel))
    _limit(label, int(np.prod(out_shape)) * terms_per, f"{int(np.prod(out_shape))} output elements × "
           f"{terms_per} kernel terms")
    padded = any(lo or hi for lo, hi in pads)
    if padded:
        size = N * C * int(np.prod([L + lo + hi for L, (lo, hi) in zip(xa.shape[2:], pads)]))
        _limit(label, size, f"a padded input of {size} elements")

    # ---- the library's computation
    xt = _tensor(xa)
    wt = _tensor(w, requires_grad=True)
    bt = _tensor(b, requires_grad=True) if b is not None else None
    conv = F.conv1d if n == 1 else F.conv2d
    y = conv(xt, wt, bt, stride=stride, padding=padding, dilation=dilation, groups=groups)
    xp = pad_op(xt, tuple(v for pair in reversed(pads) for v in pair)).data if padded else xa

    xn = _names("x", xa.shape, (N > 1, C > 1) + (True,) * n)
    xpn = _names("xp", xp.shape, (N > 1, C > 1) + (True,) * n) if padded else xn
    wn = _names("w", w.shape, (O > 1, Cg > 1) + (True,) * n)
    bn = (["b"] if O == 1 else [f"b_{o + 1}" for o in range(O)]) if b is not None else None
    yn = output_names("conv", y.shape)
    sp = ("position",) if n == 1 else ("row", "column")
    subs = _subscripts(("x and xp" if padded else "x", (N > 1, C > 1) + (True,) * n, ("sample", "channel") + sp),
                       ("w", (O > 1, Cg > 1) + (True,) * n, ("output channel", "input channel") + sp),
                       ("y", (N > 1, O > 1) + (True,) * n, ("sample", "channel") + sp))

    sol = Solution(title or f"Worked solution: {label}")
    pad_text = "×".join(f"{lo}" if lo == hi else f"({lo} before, {hi} after)" for lo, hi in pads)
    src_name = "xp" if padded else "x"
    sol.conventions.append(
        f"{label} computes a cross-correlation: each output is the sum of its window times the kernel, plus the "
        f"bias. Input {_fmt(xa.shape)} (N, C, ...), kernel {_fmt(w.shape)} (C_out, C_in/groups, ...), "
        f"stride {_fmt(st)}, padding {pad_text}, dilation {_fmt(dil)}, groups {groups}; output {_fmt(y.shape)}.")
    sol.conventions.append(
        "Output size per dimension: ⌊(L + 2·p − d·(k − 1) − 1)/s⌋ + 1 = "
        + ", ".join(f"⌊({L} + {lo + hi} − {d}·({k} − 1) − 1)/{s}⌋ + 1 = {o}" for L, (lo, hi), d, k, s, o in
                    zip(xa.shape[2:], pads, dil, kernel, st, y.shape[2:])) + ".")
    sol.conventions.append(subs)
    given = sol.section("Given")
    _given(given, xn, xa)
    _given(given, wn, w)
    if b is not None:
        for o in range(O):
            given.given(bn[o], b[o])

    if padded:
        sec = sol.section("Padded input", f"xp is x with zeros around it (padding {pad_text})")
        for idx in np.ndindex(*xp.shape):
            inner = tuple(i - lo for i, (lo, _) in zip(idx[2:], pads))
            inside = all(0 <= i < L for i, L in zip(inner, xa.shape[2:]))
            sec.derive(xpn[idx], Sym(xn[idx[:2] + inner]) if inside else Num(0), xp[idx],
                       note="" if inside else "padding")

    sec = sol.section("Output", f"y = Σ w·{src_name} over the window" + (" + b" if b is not None else "")
                      + " (window start = output position × stride)")
    terms_of = {}
    for idx in np.ndindex(*y.shape):
        bi, o = idx[:2]
        g = o // (O // groups)
        pos = idx[2:]
        terms, pairs = [], []
        for c in range(Cg):
            ci = g * Cg + c
            for k in np.ndindex(*kernel):
                src = (bi, ci) + tuple(p * s + u * d for p, s, u, d in zip(pos, st, k, dil))
                terms.append(Mul([Sym(wn[(o, c) + k]), Sym(xpn[src])]))
                pairs.append(((o, c) + k, xpn[src]))
        if b is not None:
            terms.append(Sym(bn[o]))
        terms_of[idx] = pairs
        note = _window_note([q * s for q, s in zip(pos, st)], dil, kernel, src_name)
        if C > 1:
            note += f", channels {g * Cg + 1} to {g * Cg + Cg}" if Cg > 1 else f", channel {g * Cg + 1}"
        sec.derive(yn[idx], add(*terms), y.data[idx], note=note, answer=True)

    if grad is not None:
        idx = _output_index(grad, yn, label)
        y[idx].backward()
        sec = sol.section(f"Gradient of {yn[idx]} with respect to the kernel",
                          f"{yn[idx]} is linear in each weight: ∂{yn[idx]}/∂w = the input that w multiplies in its "
                          f"window; weights of other output channels do not reach it")
        o = idx[1]
        for widx, src in terms_of[idx]:
            sec.derive(f"∂{yn[idx]}/∂{wn[widx]}", Sym(src), wt.grad.data[widx], answer=True)
        if b is not None:
            sec.derive(f"∂{yn[idx]}/∂{bn[o]}", Num(1), bt.grad.data[o], answer=True)
    sol.verify()
    return sol


def _output_index(grad, names: np.ndarray, label: str) -> tuple:
    if isinstance(grad, str):
        hits = np.argwhere(names == grad)
        if not len(hits):
            flat = names.ravel()
            raise ConfigError(f"{label}: grad names {grad!r}, which is not an output; expected one of "
                              f"{flat[0]} … {flat[-1]}")
        return tuple(int(i) for i in hits[0])
    idx = tuple(int(i) for i in grad)
    if len(idx) != names.ndim or any(not 0 <= i < s for i, s in zip(idx, names.shape)):
        raise ConfigError(f"{label}: grad index {tuple(grad)} is outside the output of shape {names.shape}")
    return idx


# ----------------------------------------------------------------------------- transposed convolution
def explain_conv_transpose(x, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1, *,
                           title: str | None = None) -> Solution:
    """Worked conv_transpose1d/2d as a scatter-add: each input element times the kernel is added into the
    output at (position × stride); z holds the sums, then y = z cropped by ``padding`` on each side, plus the bias.

    z[n, o, i·s + u·d, j·s + v·d] += x[n, c, i, j] · w[c, o, u, v];  y[n, o, i, j] = z[n, o, i + p, j + p] + b[o].
    The values are those of ``chalkgrad.nn.functional.conv_transpose1d/2d`` (and of the same call
    without padding for z).
    """
    import chalkgrad.nn.functional as F
    from chalkgrad.nn.functional.conv import conv_transpose_geometry

    w = _f64(weight, "weight", "explain_conv_transpose")
    n = w.ndim - 2
    if n not in (1, 2):
        raise ShapeError(f"explain_conv_transpose: weight must be 3-D or 4-D, got shape {w.shape}")
    label = f"conv_transpose{n}d"
    xa, _ = _batched(_f64(x, "input", label), n, label)
    b = None if bias is None else _f64(bias, "bias", label)
    _, pd, opd, out_shape = conv_transpose_geometry(label, xa.shape, w.shape, stride, padding, output_padding,
                                                    dilation, groups)
    st, dil = _tup(stride, n), _tup(dilation, n)
    N, C = xa.shape[:2]
    Og = w.shape[1]
    O = Og * groups
    kernel = w.shape[2:]
    terms = int(xa.size) * Og * int(np.prod(kernel))
    _limit(label, terms, f"{xa.size} input elements × {Og * int(np.prod(kernel))} kernel terms")
    _limit(label, int(np.prod(out_shape)), f"an output of {int(np.prod(out_shape))} elements")
    full = [(L - 1) * s + d * (k - 1) + 1 for L, s, d, k in zip(xa.shape[2:], st, dil, kernel)]
    _limit(label, N * O * int(np.prod(full)), f"a full (uncropped) output of {N * O * int(np.prod(full))} elements")
    conv_t = F.conv_transpose1d if n == 1 else F.conv_transpose2d
    xt, wt = _tensor(xa), _tensor(w)
    z = conv_t(xt, wt, None, stride=stride, padding=0, output_padding=0, groups=groups, dilation=dilation).data
    _limit(label, int(z.size), f"a full (uncropped) output of {z.size} elements")
    y = conv_t(xt, wt, _tensor(b) if b is not None else None, stride=stride, padding=padding,
               output_padding=output_padding, groups=groups, dilation=dilation).data

    xn = _names("x", xa.shape, (N > 1, C > 1) + (True,) * n)
    wn = _names("w", w.shape, (C > 1, Og > 1) + (True,) * n)
    bn = (["b"] if O == 1 else [f"b_{o + 1}" for o in range(O)]) if b is not None else None
    zn = _names("z", z.shape, (N > 1, O > 1) + (True,) * n)
    yn = output_names("conv", y.shape)
    sp = ("position",) if n == 1 else ("row", "column")
    subs = _subscripts(("x", (N > 1, C > 1) + (True,) * n, ("sample", "channel") + sp),
                       ("w", (C > 1, Og > 1) + (True,) * n, ("input channel", "output channel") + sp),
                       ("z and y", (N > 1, O > 1) + (True,) * n, ("sample", "channel") + sp))

    sol = Solution(title or f"Worked solution: {label}")
    sol.conventions.append(
        f"{label} scatters: each input element multiplies the whole kernel and is added into the output window "
        f"that starts at its position × stride. Input {_fmt(xa.shape)}, kernel {_fmt(w.shape)} (C_in, C_out/groups, "
        f"...), stride {_fmt(st)}, padding {_fmt(pd)}, output_padding {_fmt(opd)}, dilation {_fmt(dil)}, "
        f"groups {groups}; output {_fmt(y.shape)}.")
    sol.conventions.append(
        "Output size per dimension: (L − 1)·s − 2·p + d·(k − 1) + output_padding + 1 = "
        + ", ".join(f"({L} − 1)·{s} − 2·{p} + {d}·({k} − 1) + {op} + 1 = {o}" for L, s, p, d, k, op, o in
                    zip(xa.shape[2:], st, pd, dil, kernel, opd, y.shape[2:])) + ".")
    sol.conventions.append(subs)
    given = sol.section("Given")
    _given(given, xn, xa)
    _given(given, wn, w)
    if b is not None:
        for o in range(O):
            given.given(bn[o], b[o])

    contributions: dict = {idx: [] for idx in np.ndindex(*z.shape)}
    Cg = C // groups
    for xidx in np.ndindex(*xa.shape):
        bi, c = xidx[:2]
        g = c // Cg
        for oc in range(Og):
            for k in np.ndindex(*kernel):
                target = (bi, g * Og + oc) + tuple(p * s + u * d for p, s, u, d in zip(xidx[2:], st, k, dil))
                contributions[target].append((xn[xidx], wn[(c, oc) + k]))
    sec = sol.section("Scatter-add (before cropping)",
                      "each x times the kernel is added into z at (its position × stride + kernel offset); "
                      "z sums what lands on each position")
    for idx in np.ndindex(*z.shape):
        pairs = contributions[idx]
        formula = add(*[Mul([Sym(a), Sym(bw)]) for a, bw in pairs]) if pairs else Num(0)
        note = "receives " + ", ".join(a for a, _ in pairs) if pairs else "nothing lands here"
        sec.derive(zn[idx], formula, z[idx], note=note)

    sec = sol.section("Crop by the padding" + (" and add the bias" if b is not None else ""),
                      f"padding {_fmt(pd)}: y = z without its first and last p positions in each spatial dimension"
                      + (f"; output_padding {_fmt(opd)} keeps that many more at the end (0 where z has none)"
                         if any(opd) else ""))
    for idx in np.ndindex(*y.shape):
        src = idx[:2] + tuple(i + p for i, p in zip(idx[2:], pd))
        inside = all(s < L for s, L in zip(src[2:], z.shape[2:]))
        parts = [Sym(zn[src]) if inside else Num(0)]
        if b is not None:
            parts.append(Sym(bn[idx[1]]))
        sec.derive(yn[idx], add(*parts), y[idx], answer=True, note="" if inside else "output_padding")
    sol.verify()
    return sol


# ----------------------------------------------------------------------------- pooling
def _as4d(x, label: str) -> np.ndarray:
    arr = _f64(x, "input", label)
    if arr.ndim == 2:
        return arr[None, None]
    if arr.ndim == 3:
        return arr[None]
    if arr.ndim == 4:
        return arr
    raise ShapeError(f"{label}: input must be (H, W), (C, H, W) or (N, C, H, W), got shape {arr.shape}")


def _plane_names(head: str, shape) -> np.ndarray:
    return _names(head, shape, (shape[0] > 1, shape[1] > 1, True, True))


def _plane_subscripts(heads: str, shape) -> str:
    return _subscripts((heads, (shape[0] > 1, shape[1] > 1, True, True), ("sample", "channel", "row", "column")))


def _pool_windows(out_shape, k, s, p, d, spatial):
    """For each output position: (start per dim, [(input position or None for padding)...])."""
    for pos in np.ndindex(*out_shape):
        starts = [i * si - pi for i, si, pi in zip(pos, s, p)]
        cells = []
        for off in np.ndindex(*k):
            q = tuple(a + o * di for a, o, di in zip(starts, off, d))
            if all(0 <= qi < L for qi, L in zip(q, spatial)):
                cells.append(q)
            elif all(-pi <= qi < L + pi for qi, L, pi in zip(q, spatial, p)):
                cells.append(None)  # inside the padding
        yield pos, starts, cells


def explain_max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, *,
                       title: str | None = None) -> Solution:
    """Worked max pooling: each window, its maximum, and the flat index row·W + col (0-based, per plane) of the
    maximum as ``max_pool2d(..., return_indices=True)`` returns it. Padding counts as −∞."""
    import chalkgrad.nn.functional as F
    from chalkgrad.nn.functional.pooling import pool_geometry

    label = "max_pool2d"
    xa = _as4d(x, label)
    _, k, s, p, d, out = pool_geometry(label, xa.shape, 2, kernel_size, stride, padding, dilation, ceil_mode)
    _limit(label, int(np.prod(out)) * k[0] * k[1], f"{int(np.prod(out))} windows × {k[0] * k[1]} entries")
    y, idx = F.max_pool2d(_tensor(xa), kernel_size, stride, padding, dilation, ceil_mode, return_indices=True)
    y, idx = y.data, idx.data
    H, W = xa.shape[2:]
    xn, yn = _plane_names("x", xa.shape), output_names("pool", y.shape)
    iname = _plane_names("idx", y.shape)
    sol = Solution(title or "Worked solution: max pooling")
    sol.conventions.append(
        f"max_pool2d: kernel {_fmt(k)}, stride {_fmt(s)}, padding {_fmt(p)} (padding counts as −∞), "
        f"dilation {_fmt(d)}; input {_fmt(xa.shape)}, output {_fmt(y.shape)}. Each output is the largest entry of "
        f"its window; its index is row·W + column in the {H}×{W} input plane, counted from 0 (as torch's "
        f"return_indices).")
    sol.conventions.append(_plane_subscripts("x, y and idx", xa.shape))
    _given(sol.section("Given"), xn, xa)
    sec = sol.section("Windows and their maxima")
    for bc in np.ndindex(*xa.shape[:2]):
        for pos, starts, cells in _pool_windows(y.shape[2:], k, s, p, d, (H, W)):
            o = bc + pos
            terms = [Sym(xn[bc + q]) if q is not None else Num(float("-inf")) for q in cells]
            r, c = divmod(int(idx[o]), W)
            note = (_window_note([a + pi for a, pi in zip(starts, p)], d, k, "the padded input" if any(p) else "x")
                    + "; "
                    f"max {xn[bc + (r, c)]} at row {r + 1}, column {c + 1} of x")
            sec.derive(yn[o], Max(terms), y[o], note=note, answer=True)
            sec.derive(iname[o], add(Mul([Num(r), Num(W)]), Num(c)), idx[o], note="row·W + column, from 0",
                       answer=True)
    sol.verify()
    return sol


def explain_avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                       divisor_override=None, *, title: str | None = None) -> Solution:
    """Worked average pooling: y = (sum of the window)/divisor; the divisor counts the padded zeros when
    ``count_include_pad`` (torch's default), otherwise only the input entries; ``divisor_override`` replaces it."""
    import chalkgrad.nn.functional as F
    from chalkgrad.nn.functional.pooling import pool_geometry

    label = "avg_pool2d"
    xa = _as4d(x, label)
    _, k, s, p, _, out = pool_geometry(label, xa.shape, 2, kernel_size, stride, padding, 1, ceil_mode)
    _limit(label, int(np.prod(out)) * k[0] * k[1], f"{int(np.prod(out))} windows × {k[0] * k[1]} entries")
    y = F.avg_pool2d(_tensor(xa), kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override).data
    H, W = xa.shape[2:]
    xn, yn = _plane_names("x", xa.shape), output_names("pool", y.shape)
    sol = Solution(title or "Worked solution: average pooling")
    rule = (f"divided by {divisor_override} (divisor_override)" if divisor_override is not None else
            "divided by the window size counted with the padded zeros (count_include_pad=True)" if count_include_pad
            else "divided by the number of input entries in the window (count_include_pad=False)")
    sol.conventions.append(f"avg_pool2d: kernel {_fmt(k)}, stride {_fmt(s)}, padding {_fmt(p)}; input "
                           f"{_fmt(xa.shape)}, output {_fmt(y.shape)}. Each output is the sum of its window {rule}.")
    sol.conventions.append(_plane_subscripts("x and y", xa.shape))
    _given(sol.section("Given"), xn, xa)
    sec = sol.section("Window averages")
    for bc in np.ndindex(*xa.shape[:2]):
        for pos, starts, _cells in _pool_windows(y.shape[2:], k, s, p, (1, 1), (H, W)):
            o = bc + pos
            terms, sizes = [], []
            for dim, (a, L, pi) in enumerate(zip(starts, (H, W), p)):
                end = min(a + k[dim], L + pi)
                sizes.append((end - a) if count_include_pad else (min(end, L) - max(a, 0)))
            for off in np.ndindex(*k):
                q = (starts[0] + off[0], starts[1] + off[1])
                if 0 <= q[0] < H and 0 <= q[1] < W:
                    terms.append(Sym(xn[bc + q]))
                elif count_include_pad and q[0] < H + p[0] and q[1] < W + p[1]:
                    terms.append(Num(0))
            divisor = divisor_override if divisor_override is not None else sizes[0] * sizes[1]
            note = _window_note([a + pi for a, pi in zip(starts, p)], (1, 1), k, "the padded input" if any(p) else "x")
            sec.derive(yn[o], Div(add(*terms), Num(divisor)), y[o], note=note, answer=True)
    sol.verify()
    return sol


def explain_global_avg_pool2d(x, *, title: str | None = None) -> Solution:
    """Worked global average pooling: y[n, c] = (Σ_{i, j} x[n, c, i, j])/(H·W), as ``adaptive_avg_pool2d(x, 1)``."""
    import chalkgrad.nn.functional as F

    label = "global_avg_pool2d"
    xa = _as4d(x, label)
    _limit(label, int(xa.size), f"{xa.size} input elements")
    y = F.adaptive_avg_pool2d(_tensor(xa), 1).data
    H, W = xa.shape[2:]
    xn = _plane_names("x", xa.shape)
    yn = _names("y", y.shape, (y.shape[0] > 1, y.shape[1] > 1, False, False))
    sol = Solution(title or "Worked solution: global average pooling")
    sol.conventions.append(f"Global average pooling: each channel's {H}×{W} plane becomes its mean (sum/{H * W}); "
                           f"input {_fmt(xa.shape)}, output {_fmt(y.shape)}.")
    sol.conventions.append(_plane_subscripts("x", xa.shape))
    _given(sol.section("Given"), xn, xa)
    sec = sol.section("Channel means")
    for bc in np.ndindex(*xa.shape[:2]):
        terms = [Sym(xn[bc + q]) for q in np.ndindex(H, W)]
        sec.derive(yn[bc + (0, 0)], Div(add(*terms), Num(H * W)), y[bc + (0, 0)], answer=True)
    sol.verify()
    return sol


def explain_max_unpool2d(x, indices, kernel_size, stride=None, padding=0, output_size=None, *,
                         title: str | None = None) -> Solution:
    """Worked max unpooling: an output of zeros, (H − 1)·s − 2p + k per dimension (or ``output_size``),
    with each input value put at its saved flat index row·W_out + column of its plane."""
    import chalkgrad.nn.functional as F
    from chalkgrad.nn.functional.pooling import unpool_geometry

    label = "max_unpool2d"
    xa = _as4d(x, label)
    idx = np.asarray(indices.numpy() if hasattr(indices, "numpy") else indices)
    if idx.dtype.kind == "f" and np.all(np.isfinite(idx)) and np.all(idx == np.round(idx)):
        idx = idx.astype(np.int64)
    idx = idx.reshape(xa.shape) if idx.size == xa.size else idx
    _, out = unpool_geometry(label, xa.shape, 2, kernel_size, stride, padding, output_size)
    _limit(label, int(np.prod(out)), f"an output of {int(np.prod(out))} elements")
    y = F.max_unpool2d(_tensor(xa), idx, kernel_size, stride, padding, output_size).data
    Wo = y.shape[3]
    xn, yn, iname = _plane_names("x", xa.shape), output_names("pool", y.shape), _plane_names("idx", xa.shape)
    sol = Solution(title or "Worked solution: max unpooling")
    sol.conventions.append(
        f"max_unpool2d: the output {_fmt(y.shape)} starts as zeros; each input value goes to its index "
        f"(row·W + column in its {y.shape[2]}×{Wo} output plane, counted from 0), the place max pooling took it from.")
    sol.conventions.append(_plane_subscripts("x, idx and y", xa.shape))
    given = sol.section("Given")
    _given(given, xn, xa)
    for i in np.ndindex(*idx.shape):
        r, c = divmod(int(idx[i]), Wo)
        given.given(iname[i], idx[i], note=f"row {r + 1}, column {c + 1}")
    sec = sol.section("Unpooled output")
    for o in np.ndindex(*y.shape):
        flat = o[2] * Wo + o[3]
        src = [i for i in np.ndindex(*xa.shape[2:]) if idx[o[:2] + i] == flat]
        if src:
            last = o[:2] + src[-1]
            sec.derive(yn[o], Sym(xn[last]), y[o], note=f"{iname[last]} = {flat}", answer=True)
        else:
            sec.derive(yn[o], Num(0), y[o], answer=True)
    sol.verify()
    return sol


# ----------------------------------------------------------------------------- normalization
def _suffix(i: int, count: int) -> str:
    return "" if count == 1 else f",{i + 1}"


def explain_batch_norm(x, weight=None, bias=None, running_mean=None, running_var=None, *, training: bool = True,
                       momentum: float = 0.1, eps: float = 1e-5, title: str | None = None) -> Solution:
    """Worked batch normalization of x (N, C) or (N, C, *), per channel over the batch and positions.

    training: μ_B = Σx/m, σ²_B = Σ(x − μ_B)²/m (biased), x̂ = (x − μ_B)/√(σ²_B + ε), y = γ·x̂ + β, and the
    running statistics r⁺ = (1 − momentum)·r + momentum·stat with the *unbiased* variance σ²_B·m/(m − 1)
    (PyTorch's rule). eval: x̂ = (x − μ_run)/√(σ²_run + ε). γ = 1, β = 0, running mean 0 and variance 1
    when not given. Values from ``chalkgrad.nn.functional.batch_norm`` (the batch statistics from its op).
    """
    import chalkgrad.nn.functional as F

    from ..ops.norm import BatchNormTrain

    label = "batch_norm"
    xa = _f64(x, "input", label)
    if xa.ndim < 2:
        raise ShapeError(f"{label}: input must be (N, C) or (N, C, ...), got shape {xa.shape}")
    C = xa.shape[1]
    m = xa.size // C
    _limit(label, 4 * int(xa.size), f"an input of {xa.size} elements (4 terms each)")
    gamma = np.ones(C) if weight is None else _f64(weight, "weight", label)
    beta = np.zeros(C) if bias is None else _f64(bias, "bias", label)
    rm = np.zeros(C) if running_mean is None else _f64(running_mean, "running_mean", label)
    rv = np.ones(C) if running_var is None else _f64(running_var, "running_var", label)
    for what, arr in (("weight", gamma), ("bias", beta), ("running_mean", rm), ("running_var", rv)):
        if arr.shape != (C,):
            raise ShapeError(f"{label}: {what} must have shape ({C},) (one per channel), got {arr.shape}")
    if np.any(rv < 0):
        raise ConfigError(f"{label}: running_var must be non-negative")
    if isinstance(momentum, bool) or not isinstance(momentum, (int, float)) or not 0 <= momentum <= 1:
        raise ConfigError(f"{label}: momentum must be a number in [0, 1], got {momentum!r}")
    if isinstance(eps, bool) or not isinstance(eps, (int, float)) or not eps > 0:
        raise ConfigError(f"{label}: eps must be a positive number, got {eps!r}")
    xt = _tensor(xa)
    rmt, rvt = _tensor(rm), _tensor(rv)
    y = F.batch_norm(xt, rmt, rvt, _tensor(gamma), _tensor(beta), training=training, momentum=momentum,
                     eps=eps).data
    if training:
        stats: dict = {}
        xhat = BatchNormTrain.apply(xt, eps=float(eps), stats=stats, has_weight=False, has_bias=False).data
        mu, var = stats["mean"], stats["var"]
    else:
        xhat = F.batch_norm(xt, _tensor(rm), _tensor(rv), None, None, training=False, eps=eps).data

    keep = tuple(s > 1 for s in xa.shape) if xa.size > 1 else (True,) + (False,) * (xa.ndim - 1)
    dim_labels = ("sample", "channel") + ("position",) * (xa.ndim - 2)
    xn, xhn, yn = _names("x", xa.shape, keep), _names("x̂", xa.shape, keep), _names("y", xa.shape, keep)
    sol = Solution(title or f"Worked solution: batch normalization ({'training' if training else 'evaluation'})")
    if training:
        sol.conventions.append(
            f"Training mode: each channel is normalized with the statistics of this batch (m = {m} values per "
            f"channel): μ_B = Σx/m, σ²_B = Σ(x − μ_B)²/m (biased), x̂ = (x − μ_B)/√(σ²_B + ε), y = γ·x̂ + β. "
            f"The running statistics move towards the batch's: r⁺ = (1 − momentum)·r + momentum·stat, with the "
            f"unbiased variance σ²_B·m/(m − 1) (as PyTorch).")
    else:
        sol.conventions.append("Evaluation mode: the running statistics replace the batch's: "
                               "x̂ = (x − μ_run)/√(σ²_run + ε), y = γ·x̂ + β.")
    sol.conventions.append(_subscripts(("x, x̂ and y", keep, dim_labels)))
    given = sol.section("Given")
    _given(given, xn, xa)
    given.given("ε", eps)
    for c in range(C):
        sfx = _suffix(c, C)
        given.given("γ" + (f"_{c + 1}" if C > 1 else ""), gamma[c])
        given.given("β" + (f"_{c + 1}" if C > 1 else ""), beta[c])
        given.given("μ_run" + sfx, rm[c])
        given.given("σ²_run" + sfx, rv[c])
    if training:
        given.given("momentum", momentum)
    for c in range(C):
        sfx = _suffix(c, C)
        g, bt = "γ" + (f"_{c + 1}" if C > 1 else ""), "β" + (f"_{c + 1}" if C > 1 else "")
        cells = [i for i in np.ndindex(*xa.shape) if i[1] == c]
        sec = sol.section(f"Channel {c + 1}" if C > 1 else "Normalization")
        if training:
            mu_n, var_n = "μ_B" + sfx, "σ²_B" + sfx
            sec.derive(mu_n, Div(add(*[Sym(xn[i]) for i in cells]), Num(m)), mu[c], note="batch mean")
            sec.derive(var_n, Div(add(*[Sub(Sym(xn[i]), Sym(mu_n)) ** Num(2) for i in cells]), Num(m)), var[c],
                       note="biased batch variance")
        else:
            mu_n, var_n = "μ_run" + sfx, "σ²_run" + sfx
        for i in cells:
            sec.derive(xhn[i], Div(Sub(Sym(xn[i]), Sym(mu_n)), Call("sqrt", Add([Sym(var_n), Sym("ε")]))), xhat[i])
        for i in cells:
            sec.derive(yn[i], Add([Mul([Sym(g), Sym(xhn[i])]), Sym(bt)]), y[i], answer=True)
    if training:
        sec = sol.section("Running statistics update",
                          f"r⁺ = (1 − momentum)·r + momentum·stat; the variance uses m/(m − 1) = {m}/{m - 1}")
        for c in range(C):
            sfx = _suffix(c, C)
            mom = Sym("momentum")
            sec.derive("μ_run" + sfx + "⁺", Add([Mul([Sub(Num(1), mom), Sym("μ_run" + sfx)]),
                                                 Mul([mom, Sym("μ_B" + sfx)])]), rmt.data[c], answer=True)
            sec.derive("σ²_run" + sfx + "⁺", Add([Mul([Sub(Num(1), mom), Sym("σ²_run" + sfx)]),
                                                  Mul([mom, Sym("σ²_B" + sfx), Div(Num(m), Num(m - 1))])]),
                       rvt.data[c], answer=True, note="unbiased variance")
    sol.verify()
    return sol


def explain_layer_norm(x, normalized_shape=None, weight=None, bias=None, eps: float = 1e-5, *,
                       title: str | None = None) -> Solution:
    """Worked layer normalization: per sample, over the last dims (``normalized_shape``, default the last dim):
    μ = Σx/n, σ² = Σ(x − μ)²/n, x̂ = (x − μ)/√(σ² + ε), y = γ·x̂ + β with γ, β per normalized position."""
    import chalkgrad.nn.functional as F

    from ..ops.norm import Normalize

    label = "layer_norm"
    xa = _f64(x, "input", label)
    if xa.ndim < 1:
        raise ShapeError(f"{label}: input must have at least one dimension")
    if normalized_shape is None:
        normalized_shape = (xa.shape[-1],)
    shape = (int(normalized_shape),) if np.isscalar(normalized_shape) else tuple(int(s) for s in normalized_shape)
    k = len(shape)
    if k == 0 or xa.ndim < k or xa.shape[xa.ndim - k:] != shape:
        raise ShapeError(f"{label}: input of shape {xa.shape} must end in normalized_shape {shape}")
    _limit(label, 4 * int(xa.size), f"an input of {xa.size} elements (4 terms each)")
    gamma = np.ones(shape) if weight is None else _f64(weight, "weight", label)
    beta = np.zeros(shape) if bias is None else _f64(bias, "bias", label)
    for what, arr in (("weight", gamma), ("bias", beta)):
        if arr.shape != shape:
            raise ShapeError(f"{label}: {what} must have the normalized shape {shape}, got {arr.shape}")
    if isinstance(eps, bool) or not isinstance(eps, (int, float)) or not eps > 0:
        raise ConfigError(f"{label}: eps must be a positive number, got {eps!r}")
    xt = _tensor(xa)
    y = F.layer_norm(xt, shape, _tensor(gamma), _tensor(beta), eps).data
    axes = tuple(range(xa.ndim - k, xa.ndim))
    stats: dict = {}
    xhat = Normalize.apply(xt, axes=axes, eps=float(eps), stats=stats).data
    mu, var = stats["mean"], stats["var"]
    lead = xa.shape[:xa.ndim - k]
    n = int(np.prod(shape))
    keep = tuple(s > 1 for s in xa.shape)
    xn, xhn, yn = _names("x", xa.shape, keep), _names("x̂", xa.shape, keep), _names("y", xa.shape, keep)
    gn = _names("γ", shape, tuple(s > 1 for s in shape))
    bn = _names("β", shape, tuple(s > 1 for s in shape))
    sol = Solution(title or "Worked solution: layer normalization")
    sol.conventions.append(
        f"Each sample is normalized over its n = {n} values (its last {k} dimension(s), shape {_fmt(shape)}), "
        f"with its own statistics: μ = Σx/n, σ² = Σ(x − μ)²/n (biased), x̂ = (x − μ)/√(σ² + ε), y = γ·x̂ + β "
        f"(γ and β per normalized position). Training and evaluation are the same.")
    sol.conventions.append(_subscripts(("x, x̂ and y", keep, ("sample",) * len(lead) + ("feature",) * k),
                                       ("γ and β", tuple(s > 1 for s in shape), ("feature",) * k)))
    given = sol.section("Given")
    _given(given, xn, xa)
    given.given("ε", eps)
    _given(given, gn, gamma)
    _given(given, bn, beta)
    n_samples = int(np.prod(lead)) if lead else 1
    for s_i, li in enumerate(np.ndindex(*lead) if lead else [()]):
        keep_lead = [str(i + 1) for i, size in zip(li, lead) if size > 1]
        sfx = ("_" + ",".join(keep_lead)) if keep_lead and n_samples > 1 else ""
        mu_n, var_n = "μ" + sfx, "σ²" + sfx
        cells = [li + j for j in np.ndindex(*shape)]
        sec = sol.section(f"Sample {s_i + 1}" if n_samples > 1 else "Normalization")
        sec.derive(mu_n, Div(add(*[Sym(xn[i]) for i in cells]), Num(n)), mu[li + (0,) * k], note="mean")
        sec.derive(var_n, Div(add(*[Sub(Sym(xn[i]), Sym(mu_n)) ** Num(2) for i in cells]), Num(n)),
                   var[li + (0,) * k], note="biased variance")
        for i in cells:
            sec.derive(xhn[i], Div(Sub(Sym(xn[i]), Sym(mu_n)), Call("sqrt", Add([Sym(var_n), Sym("ε")]))), xhat[i])
        for i in cells:
            j = i[len(li):]
            sec.derive(yn[i], Add([Mul([Sym(gn[j]), Sym(xhn[i])]), Sym(bn[j])]), y[i], answer=True)
    sol.verify()
    return sol


# ----------------------------------------------------------------------------- dropout
def explain_dropout(x, p: float = 0.5, *, seed: int = 0, training: bool = True,
                    title: str | None = None) -> Solution:
    """Worked (inverted) dropout: the keep mask m drawn by ``chalkgrad.random.Generator(seed)`` as
    ``nn.functional.dropout`` draws it (m = 1 where the uniform draw u ≥ p), and y = x·m/(1 − p); evaluation:
    y = x. The mask is read from the library's gradient (∂y/∂x = m/(1 − p)), so it is the one the library used.
    """
    import chalkgrad.nn.functional as F
    from chalkgrad.random import Generator

    label = "dropout"
    xa = _f64(x, "input", label)
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p < 1:
        raise ConfigError(f"{label}: p must be a number in [0, 1), got {p!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ConfigError(f"{label}: seed must be a non-negative integer, got {seed!r}")
    _limit(label, 2 * int(xa.size), f"an input of {xa.size} elements (2 terms each)")
    xt = _tensor(xa, requires_grad=True)
    y = F.dropout(xt, p, training=training, generator=Generator(int(seed)))
    keep = tuple(s > 1 for s in xa.shape)
    xn, yn, mn = _names("x", xa.shape, keep), _names("y", xa.shape, keep), _names("m", xa.shape, keep)
    sol = Solution(title or f"Worked solution: dropout ({'training' if training else 'evaluation'})")
    given = sol.section("Given")
    _given(given, xn, xa)
    given.given("p", p)
    if not training or p == 0:
        sol.conventions.append("Dropout is the identity in evaluation mode (and for p = 0): y = x.")
        sec = sol.section("Output")
        for i in np.ndindex(*xa.shape):
            sec.derive(yn[i], Sym(xn[i]), y.data[i], answer=True)
        sol.verify()
        return sol
    y.sum().backward()
    mask = np.round(xt.grad.data * (1 - p))
    sol.conventions.append(
        f"Training mode (inverted dropout): each element is kept (m = 1) with probability 1 − p = {1 - p:g} and "
        f"the kept ones are scaled by 1/(1 − p), so the expected output equals x: y = x·m/(1 − p). The mask comes "
        f"from chalkgrad.random.Generator({int(seed)}): one uniform draw u per element in row-major order, kept "
        f"when u ≥ p.")
    sec = sol.section(f"Mask (seed {int(seed)})")
    for i in np.ndindex(*xa.shape):
        sec.given(mn[i], mask[i], note="kept" if mask[i] else "dropped")
    sec = sol.section("Output")
    for i in np.ndindex(*xa.shape):
        sec.derive(yn[i], Div(Mul([Sym(xn[i]), Sym(mn[i])]), Sub(Num(1), Sym("p"))), y.data[i], answer=True)
    sol.verify()
    return sol


# ----------------------------------------------------------------------------- softmax with cross-entropy
def explain_softmax_cross_entropy(logits, target, *, title: str | None = None) -> Solution:
    """Worked softmax cross-entropy of a batch of logits z (N, C) against class indices t (N,), as
    ``nn.functional.cross_entropy`` (mean over the batch):

    p_nj = e^(z_nj)/Σ_k e^(z_nk),  E_n = −Σ_j t_nj·ln p_nj (t one-hot),  E = Σ_n E_n/N,  ∂E/∂z_nj = (p_nj − t_nj)/N.
    The per-sample softmax and loss formulas are those of :func:`~.dense.explain_dense`.
    """
    import chalkgrad as cg
    import chalkgrad.nn.functional as F

    label = "softmax_cross_entropy"
    z = _f64(logits, "logits", label)
    if z.ndim == 1:
        z = z[None]
    if z.ndim != 2:
        raise ShapeError(f"{label}: logits must be (N, C) or (C,), got shape {z.shape}")
    N, C = z.shape
    t = np.atleast_1d(np.asarray(target.numpy() if hasattr(target, "numpy") else target))
    if t.shape != (N,) or not all(float(v).is_integer() and 0 <= v < C for v in t.astype(np.float64)):
        raise ShapeError(f"{label}: target must be {N} class index(es) in [0, {C}), got {t.tolist()!r}")
    t = t.astype(np.int64)
    if np.abs(z).max() > 700:
        raise ConfigError(f"{label}: logits up to 700 in size are written out (e^z overflows beyond), got "
                          f"{np.abs(z).max():g}")
    _limit(label, 4 * N * C, f"{N} samples × {C} classes (4 terms each)")
    zt = _tensor(z, requires_grad=True)
    probs = F.softmax(zt, dim=1).data
    per_sample = F.cross_entropy(zt, cg.tensor(t), reduction="none").data
    E = F.cross_entropy(zt, cg.tensor(t))
    E.backward()
    zn = _names("z", z.shape, (N > 1, True))
    pn = _names("p", z.shape, (N > 1, True))
    tn = _names("t", z.shape, (N > 1, True))
    onehot = np.eye(C)[t]
    sol = Solution(title or "Worked solution: softmax with cross-entropy over a batch")
    sol.conventions.append(
        f"{N} sample(s), {C} classes. p = softmax(z) per sample, E_n = −Σ t·ln p with t the one-hot target, "
        f"E = mean of E_n over the batch (cross_entropy's default reduction); ∂E/∂z = (p − t)/N.")
    sol.conventions.append(_subscripts(("z, p and t", (N > 1, True), ("sample", "class"))))
    given = sol.section("Given")
    _given(given, zn, z)
    for n in range(N):
        for j in range(C):
            given.given(tn[n, j], onehot[n, j], note=f"target class {t[n]} (from 0)" if j == t[n] else "")
    e_names = []
    for n in range(N):
        sec = sol.section(f"Sample {n + 1}" if N > 1 else "Softmax and loss")
        nets, outs = list(zn[n]), list(pn[n])
        for j in range(C):
            sec.derive(outs[j], _activation_formula("softmax", nets[j], outs[j], nets, j), probs[n, j])
        scratch = Section("")
        _loss_steps(scratch, "cross_entropy", None, outs, list(tn[n]), per_sample[n], probs[n], onehot[n])
        step = scratch.steps[-1]
        step.name = f"E_{n + 1}" if N > 1 else "E"
        step.answer = N == 1
        sec.steps.append(step)
        e_names.append(step.name)
    sec = sol.section("Loss and gradient of the logits")
    if N > 1:
        sec.derive("E", Div(add(*[Sym(e) for e in e_names]), Num(N)), E.item(), answer=True, note="mean over the batch")
    for n in range(N):
        for j in range(C):
            diff = Sub(Sym(pn[n, j]), Sym(tn[n, j]))
            sec.derive(f"∂E/∂{zn[n, j]}", Div(diff, Num(N)) if N > 1 else diff, zt.grad.data[n, j], answer=True)
    sol.verify()
    return sol


# ----------------------------------------------------------------------------- from a module
def explain_layer(module, x, *, indices=None, grad=None, seed: int = 0, output_size=None,
                  title: str | None = None) -> Solution:
    """The worked solution of a ``chalkgrad.nn`` layer on input ``x``, with its own hyperparameters and parameters.

    Supported: Conv1d, Conv2d (``grad``: one output's name), ConvTranspose1d/2d, MaxPool2d, AvgPool2d,
    AdaptiveAvgPool2d(1) (global average pooling), MaxUnpool2d (``indices``), BatchNorm1d/2d (training or
    eval as the module is; its buffers are not changed), LayerNorm, Dropout (``seed``).
    """
    name = type(module).__name__

    def p(t):
        return None if t is None else t.detach().numpy()

    if name in ("Conv1d", "Conv2d"):
        if module.padding_mode != "zeros":
            raise ConfigError(f"explain_layer: {name} with padding_mode={module.padding_mode!r} is not supported "
                              f"(only zero padding is written out)")
        return explain_conv(x, p(module.weight), p(module.bias), module.stride, module.padding, module.dilation,
                            module.groups, grad=grad, title=title)
    if name in ("ConvTranspose1d", "ConvTranspose2d"):
        return explain_conv_transpose(x, p(module.weight), p(module.bias), module.stride, module.padding,
                                      module.output_padding, module.groups, module.dilation, title=title)
    if name == "MaxPool2d":
        return explain_max_pool2d(x, module.kernel_size, module.stride, module.padding, module.dilation,
                                  module.ceil_mode, title=title)
    if name == "AvgPool2d":
        return explain_avg_pool2d(x, module.kernel_size, module.stride, module.padding, module.ceil_mode,
                                  module.count_include_pad, module.divisor_override, title=title)
    if name == "AdaptiveAvgPool2d":
        if module.output_size not in (1, (1, 1), [1, 1]):
            raise ConfigError(f"explain_layer: AdaptiveAvgPool2d is explained for output_size 1 (global average "
                              f"pooling), got {module.output_size!r}")
        return explain_global_avg_pool2d(x, title=title)
    if name == "MaxUnpool2d":
        if indices is None:
            raise ConfigError("explain_layer: MaxUnpool2d needs the indices from max pooling (indices=...)")
        return explain_max_unpool2d(x, indices, module.kernel_size, module.stride, module.padding, output_size,
                                    title=title)
    if name in ("BatchNorm1d", "BatchNorm2d"):
        if module.momentum is None:
            raise ConfigError("explain_layer: BatchNorm with momentum=None (cumulative average) is not supported")
        module._check_shape(tuple(np.shape(x.numpy() if hasattr(x, "numpy") else x)))
        sol = explain_batch_norm(x, p(module.weight), p(module.bias), p(module.running_mean), p(module.running_var),
                                 training=module.training or module.running_mean is None,
                                 momentum=module.momentum, eps=module.eps, title=title)
        if module.running_mean is None:  # track_running_stats=False: batch statistics only, nothing to update
            sol.sections[:] = [s for s in sol.sections if not s.title.startswith("Running statistics")]
        return sol
    if name == "LayerNorm":
        return explain_layer_norm(x, module.normalized_shape, p(module.weight), p(module.bias), module.eps,
                                  title=title)
    if name == "Dropout":
        return explain_dropout(x, module.p, seed=seed, training=module.training, title=title)
    raise ConfigError(f"explain_layer: cannot explain {name}; supported: Conv1d, Conv2d, ConvTranspose1d, "
                      f"ConvTranspose2d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, MaxUnpool2d, BatchNorm1d, "
                      f"BatchNorm2d, LayerNorm, Dropout")
