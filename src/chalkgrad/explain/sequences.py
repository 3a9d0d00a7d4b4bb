"""Worked solutions for recurrent steps: Elman RNN, LSTM and GRU, element by element.

:func:`explain_recurrent` takes a one-layer, one-direction ``chalkgrad.nn`` recurrent layer
(``RNN``/``LSTM``/``GRU``, or a cell ``RNNCell``/``LSTMCell``/``GRUCell``), an input sequence and
the initial state, runs the library in float64 and writes every number out, using torch's
weight layout and gate order:

* RNN:  a_t = W_ih·x_t + b_ih + W_hh·h_{t−1} + b_hh,   h_t = φ(a_t)   (φ = tanh by default);
* LSTM: a_q = W_iq·x_t + b_iq + W_hq·h_{t−1} + b_hq for q in i, f, g, o;
  i_t, f_t, o_t = σ(a), g_t = tanh(a_g), c_t = f_t·c_{t−1} + i_t·g_t, h_t = o_t·tanh(c_t);
* GRU:  r_t, z_t = σ(W_i·x_t + b_i + W_h·h_{t−1} + b_h),
  n_t = tanh(W_in·x_t + b_in + r_t·(W_hn·h_{t−1} + b_hn)),  h_t = (1 − z_t)·n_t + z_t·h_{t−1}.

The layer's options appear in the formulas: other activations (``nonlinearity``,
``gate_activation``, ``candidate_activation``, ``cell_activation``: tanh, sigmoid, relu,
identity) and ``bias_style='single'`` (one bias per gate, as textbooks and Keras write it).

Values: h_t is the layer's own output (``nn.RNN``/``LSTM``/``GRU`` forward over the sequence);
pre-activations, gates and c_t are computed with the library's ops (``linear``, ``sigmoid``,
``tanh``...) and checked against the layer's h_t, h_n and c_n. With ``target`` and ``bptt``
the loss E = ½·Σ_j (h_T,j − y_j)² is backpropagated through time by autograd and the gradient
of each named weight is written as its sum over the steps; the total is the layer parameter's
``.grad``. The formulas are checked by :meth:`~.steps.Solution.verify`.

Names: x_t,k (step t, input k), h_t,j / c_t,j (step t, unit j; h_0, c_0 the initial state),
weights W_ih,j,k and W_hh,j,k (RNN), W_ii.. W_ho (LSTM, torch's W_ii, W_if, W_ig, W_io, W_hi, ...),
W_ir.. W_hn (GRU); a single unit or input drops its index (h_1, x_2).
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError, ShapeError
from .dense import _as_float64
from .expr import Add, Call, Mul, Num, Pow, Sub, Sym, add, fmt_number
from .steps import Solution

__all__ = ["explain_recurrent", "recurrent_layer", "recurrent_weight_names", "MAX_HIDDEN", "MAX_INPUT", "MAX_STEPS"]

MAX_HIDDEN, MAX_INPUT, MAX_STEPS = 8, 8, 10
_GATE_LETTERS = {"RNN": ("h",), "LSTM": ("i", "f", "g", "o"), "GRU": ("r", "z", "n")}
_SHOW = ("steps", "params", "bptt")


# ----------------------------------------------------------------------------- building a layer
def recurrent_layer(cell: str, weight_ih, weight_hh, bias_ih=None, bias_hh=None, *, nonlinearity="tanh",
                    gate_activation="sigmoid", candidate_activation="tanh", cell_activation="tanh"):
    """A float64 ``nn.RNN``/``LSTM``/``GRU`` (one layer) holding the given weights (torch layout).

    ``weight_ih`` is (G·H, d), ``weight_hh`` (G·H, H), with the gates stacked in torch's order
    (LSTM i, f, g, o; GRU r, z, n). Both biases give torch's style, only ``bias_ih`` the single-bias
    style, none a layer without bias.
    """
    from .. import nn

    key = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}.get(str(cell).lower())
    if key is None:
        raise ConfigError(f"recurrent_layer: cell must be 'rnn', 'lstm' or 'gru', got {cell!r}")
    w_ih = np.asarray(weight_ih, dtype=np.float64)
    w_hh = np.asarray(weight_hh, dtype=np.float64)
    gates = len(_GATE_LETTERS[key])
    if w_hh.ndim != 2 or w_hh.shape[0] != gates * w_hh.shape[1] or w_hh.shape[1] == 0:
        raise ShapeError(f"recurrent_layer: weight_hh of a {key} must have shape ({gates}·H, H), got {w_hh.shape}")
    H = w_hh.shape[1]
    if w_ih.ndim != 2 or w_ih.shape[0] != gates * H or w_ih.shape[1] == 0:
        raise ShapeError(f"recurrent_layer: weight_ih of a {key} with hidden size {H} must have shape "
                         f"({gates * H}, input_size), got {w_ih.shape}")
    if bias_hh is not None and bias_ih is None:
        raise ConfigError("recurrent_layer: bias_hh without bias_ih; for one bias per gate give bias_ih only")
    state = {"weight_ih_l0": w_ih, "weight_hh_l0": w_hh}
    for name, b in (("bias_ih_l0", bias_ih), ("bias_hh_l0", bias_hh)):
        if b is not None:
            b = np.asarray(b, dtype=np.float64)
            if b.shape != (gates * H,):
                raise ShapeError(f"recurrent_layer: {name[:7]} must have {gates * H} values ({gates} gate(s) × "
                                 f"{H} units), got shape {b.shape}")
            state[name] = b
    kwargs = {"bias": bias_ih is not None, "bias_style": "torch" if bias_hh is not None else "single",
              "dtype": np.float64}
    if key == "RNN":
        kwargs["nonlinearity"] = nonlinearity
    elif key == "LSTM":
        kwargs.update(gate_activation=gate_activation, candidate_activation=candidate_activation,
                      cell_activation=cell_activation)
    else:
        kwargs.update(gate_activation=gate_activation, candidate_activation=candidate_activation)
    layer = getattr(nn, key)(w_ih.shape[1], H, **kwargs)
    layer.load_state_dict(state)
    return layer


def _parameters(layer):
    """(mode, acts, W_ih, W_hh, b_ih, b_hh) of a one-layer, one-direction layer or a cell (float64 arrays)."""
    from ..nn import RNNBase, RNNCellBase

    if isinstance(layer, RNNBase):
        if layer.num_layers != 1 or layer.bidirectional:
            raise ConfigError(f"explain_recurrent: only one layer in one direction is explained step by step, got "
                              f"{type(layer).__name__}({layer.extra_repr()})")
        names = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")
    elif isinstance(layer, RNNCellBase):
        names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    else:
        raise ConfigError(f"explain_recurrent: expected a chalkgrad.nn RNN, LSTM, GRU or one of their cells, "
                          f"got {type(layer).__name__}")
    if any(callable(a) for a in layer.acts):
        raise ConfigError("explain_recurrent: activations given as functions cannot be written as formulas; use "
                          "'tanh', 'sigmoid', 'relu' or 'identity'")
    arrays = []
    for n in names:
        p = getattr(layer, n, None)
        arrays.append(None if p is None else _as_float64(p.data))
    return (layer.mode, tuple(layer.acts), *arrays)


def recurrent_weight_names(mode: str, input_size: int, hidden_size: int, bias_style: str | None = "torch") -> dict:
    """The names of every weight and bias, by parameter: ``{'weight_ih': (G·H, d) nested list, ...}``.

    ``bias_style``: 'torch' (b_ih and b_hh), 'single' (one bias per gate) or None (no bias).
    """
    mode = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}.get(str(mode).lower(), mode)
    letters = _GATE_LETTERS[mode]
    H, d = hidden_size, input_size

    def mat(prefix, cols):
        rows = []
        for q in letters:
            tag = prefix if mode == "RNN" else prefix[0] + q
            for j in range(H):
                rows.append([_wname(f"W_{tag}", j, k, H, cols) for k in range(cols)])
        return rows

    def vec(prefix):
        out = []
        for q in letters:
            tag = prefix if mode == "RNN" else (prefix[0] + q if prefix else q)
            for j in range(H):
                base = f"b_{tag}" if tag else "b"
                out.append(base if H == 1 else (f"{base},{j + 1}" if tag else f"b_{j + 1}"))
        return out

    names = {"weight_ih": mat("ih", d), "weight_hh": mat("hh", H)}
    if bias_style == "torch":
        names["bias_ih"], names["bias_hh"] = vec("ih"), vec("hh")
    elif bias_style == "single":
        names["bias_ih"] = vec("")
    return names


def _wname(base, j, k, rows, cols):
    if rows == 1 and cols == 1:
        return base
    return f"{base},{j + 1},{k + 1}"


def _idx(base: str, t: int, j: int, size: int) -> str:
    return f"{base}_{t}" if size == 1 else f"{base}_{t},{j + 1}"


def _act_expr(act: str, e):
    if act == "sigmoid":
        return Call("σ", e)
    if act == "tanh":
        return Call("tanh", e)
    if act == "relu":
        return Call("max0", e)
    return e


def _act_tensor(act: str, x):
    return {"sigmoid": lambda v: v.sigmoid(), "tanh": lambda v: v.tanh(), "relu": lambda v: v.relu(),
            "identity": lambda v: v * 1.0}[act](x)


def _act_label(act: str) -> str:
    return {"sigmoid": "σ", "tanh": "tanh", "relu": "ReLU", "identity": "identity"}[act]


# ----------------------------------------------------------------------------- the explainer
def explain_recurrent(layer, inputs, h0=None, c0=None, *, target=None, bptt=(), show=None,
                      title: str | None = None) -> Solution:
    """Worked steps of a recurrent layer over a short sequence, every gate element by element.

    Args:
        layer: a one-layer, one-direction ``nn.RNN``/``LSTM``/``GRU`` or ``RNNCell``/``LSTMCell``/``GRUCell``
            (see :func:`recurrent_layer` to build one from explicit weights). Weights are used in float64.
        inputs: the sequence, shape (T, input_size) (a 1-D list is T steps of one input).
        h0, c0: initial hidden (and LSTM cell) state, H values each; zeros by default.
        target: y (H values) for the loss E = ½·Σ_j (h_T,j − y_j)² at the last step (needed for ``bptt``).
        bptt: weight names (e.g. ``'W_hh,1,1'``, ``'b_ii,2'``) whose gradient is written as a sum over the steps.
        show: sections among 'steps', 'params', 'bptt' (default: steps, plus bptt when asked).
        title: the solution's title.

    Limits: hidden size ≤ 8, input size ≤ 8, steps ≤ 10 (a longer solution is not readable).
    """
    import chalkgrad as cg
    import chalkgrad.nn.functional as F

    mode, acts, w_ih, w_hh, b_ih, b_hh = _parameters(layer)
    H, d = w_hh.shape[1], w_ih.shape[1]
    x = np.asarray(inputs.numpy() if hasattr(inputs, "numpy") else inputs, dtype=np.float64)
    if x.ndim == 1 and d == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[1] != d or x.shape[0] == 0:
        raise ShapeError(f"explain_recurrent: inputs must be a sequence of shape (steps, {d}), got shape {x.shape}")
    T = x.shape[0]
    if H > MAX_HIDDEN or d > MAX_INPUT or T > MAX_STEPS:
        raise ConfigError(f"explain_recurrent: hidden size {H}, input size {d}, {T} steps is too large for a worked "
                          f"solution (at most hidden {MAX_HIDDEN}, input {MAX_INPUT}, {MAX_STEPS} steps)")
    bptt = list(bptt or ())
    if show is None:
        show = ("steps",) + (("bptt",) if bptt else ())
    bad = [s for s in show if s not in _SHOW]
    if bad:
        raise ConfigError(f"explain_recurrent: unknown section(s) {bad} in show; expected {', '.join(_SHOW)}")
    if "bptt" in show and target is None:
        raise ConfigError("explain_recurrent: backpropagation through time needs a target (target=[...], H values) "
                          "for the loss E = ½·Σ (h_T − y)²")
    h0 = _state_vector("h0", h0, H)
    lstm, gru = mode == "LSTM", mode == "GRU"
    c0 = _state_vector("c0", c0, H) if lstm else None
    if c0 is not None and not lstm:
        raise ConfigError(f"explain_recurrent: c0 is only used by an LSTM, not a {mode}")
    y = _state_vector("target", target, H) if target is not None else None
    style = None if b_ih is None else ("torch" if b_hh is not None else "single")
    names = recurrent_weight_names(mode, d, H, style)

    # ---- the library: the layer over the whole sequence, float64
    ref = recurrent_layer(mode.lower(), w_ih, w_hh, b_ih, b_hh, **_act_kwargs(mode, acts))
    params = {n: p for n, p in ref.named_parameters()}
    for p in params.values():
        p.grad = None
    xs = cg.tensor(x, dtype=cg.float64)
    hx = cg.tensor(h0[None, :], dtype=cg.float64)
    if lstm:
        out, (h_n, c_n) = ref(xs, (hx, cg.tensor(c0[None, :], dtype=cg.float64)))
    else:
        out, h_n = ref(xs, hx)
    if y is not None:
        E_layer = ((h_n[0] - cg.tensor(y, dtype=cg.float64)) ** 2).sum() * 0.5
        E_layer.backward()

    # ---- the same steps op by op (library ops), for the gates, c_t and per-step gradients
    W_ih = cg.tensor(w_ih, dtype=cg.float64, requires_grad=True)
    W_hh = cg.tensor(w_hh, dtype=cg.float64, requires_grad=True)
    B_ih = cg.tensor(b_ih, dtype=cg.float64, requires_grad=True) if b_ih is not None else None
    B_hh = cg.tensor(b_hh, dtype=cg.float64, requires_grad=True) if b_hh is not None else None
    h = cg.tensor(h0, dtype=cg.float64)
    c = cg.tensor(c0, dtype=cg.float64) if lstm else None
    rec = []  # per step: dict of tensors
    for t in range(T):
        xp = F.linear(cg.tensor(x[t], dtype=cg.float64), W_ih, B_ih)
        ah = F.linear(h, W_hh, B_hh)
        xp.retain_grad()
        ah.retain_grad()
        step = {"xp": xp, "ah": ah, "h_prev": h}
        if lstm:
            a = xp + ah
            a.retain_grad()
            gate, cand, cell = acts
            i_, f_ = _act_tensor(gate, a[0:H]), _act_tensor(gate, a[H:2 * H])
            g_, o_ = _act_tensor(cand, a[2 * H:3 * H]), _act_tensor(gate, a[3 * H:4 * H])
            c = f_ * c + i_ * g_
            h = o_ * _act_tensor(cell, c)
            step.update(a=a, i=i_, f=f_, g=g_, o=o_, c=c)
        elif gru:
            gate, cand = acts
            a_rz = xp[0:2 * H] + ah[0:2 * H]
            a_rz.retain_grad()
            r_, z_ = _act_tensor(gate, a_rz[0:H]), _act_tensor(gate, a_rz[H:2 * H])
            a_n = xp[2 * H:3 * H] + r_ * ah[2 * H:3 * H]
            a_n.retain_grad()
            n_ = _act_tensor(cand, a_n)
            h = (1.0 - z_) * n_ + z_ * step["h_prev"]
            step.update(a_rz=a_rz, a_n=a_n, r=r_, z=z_, n=n_)
        else:
            a = xp + ah
            a.retain_grad()
            h = _act_tensor(acts[0], a)
            step.update(a=a)
        h.retain_grad()
        step["h"] = h
        rec.append(step)
    h_lib = out.data.reshape(T, H)
    _check_close("h_t", np.stack([s["h"].data for s in rec]), h_lib)
    if lstm:
        _check_close("c_n", c.data, c_n.data.reshape(H))
    if y is not None:
        E_ops = ((h - cg.tensor(y, dtype=cg.float64)) ** 2).sum() * 0.5
        E_ops.backward()

    # ---- the solution
    kind = {"RNN": "Elman RNN", "LSTM": "LSTM", "GRU": "GRU"}[mode]
    sol = Solution(title or f"Worked solution: {kind} over {T} step{'s' if T > 1 else ''}")
    sol.conventions.append(_convention(mode, acts, style))
    sol.conventions.append("Names: x_t,k = input k at step t; h_t,j (and c_t,j) = unit j after step t; weights in "
                           "torch's layout (row = unit of a gate, column = input or previous unit).")
    given = sol.section("Given")
    xn = [[_idx("x", t + 1, k, d) for k in range(d)] for t in range(T)]
    hn = [[_idx("h", t, j, H) for j in range(H)] for t in range(T + 1)]
    cn = [[_idx("c", t, j, H) for j in range(H)] for t in range(T + 1)]
    for t in range(T):
        for k in range(d):
            given.given(xn[t][k], x[t, k])
    for j in range(H):
        given.given(hn[0][j], h0[j])
    if lstm:
        for j in range(H):
            given.given(cn[0][j], c0[j])
    arrays = {"weight_ih": w_ih, "weight_hh": w_hh, "bias_ih": b_ih, "bias_hh": b_hh}
    for key, nm in names.items():
        arr = arrays[key]
        if arr.ndim == 2:
            for r in range(arr.shape[0]):
                for k in range(arr.shape[1]):
                    given.given(nm[r][k], arr[r, k])
        else:
            for r in range(arr.shape[0]):
                given.given(nm[r], arr[r])

    def pre(q: int, j: int, t: int, with_hh=True):
        """Σ_k W_i·x + b_i + Σ_k W_h·h + b_h for row q·H + j at step t (1-based t)."""
        r = q * H + j
        terms = [Mul([Sym(names["weight_ih"][r][k]), Sym(xn[t - 1][k])]) for k in range(d)]
        if "bias_ih" in names:
            terms.append(Sym(names["bias_ih"][r]))
        if with_hh:
            terms += [Mul([Sym(names["weight_hh"][r][k]), Sym(hn[t - 1][k])]) for k in range(H)]
            if "bias_hh" in names:
                terms.append(Sym(names["bias_hh"][r]))
        return add(*terms)

    def hh_only(q: int, j: int, t: int):
        r = q * H + j
        terms = [Mul([Sym(names["weight_hh"][r][k]), Sym(hn[t - 1][k])]) for k in range(H)]
        if "bias_hh" in names:
            terms.append(Sym(names["bias_hh"][r]))
        return add(*terms)

    anames = {}
    for t in range(1, T + 1):
        s = rec[t - 1]
        xs_text = ", ".join(fmt_number(float(v), 6) for v in x[t - 1])
        sec = sol.section(f"Step t = {t}", f"x_{t} = ({xs_text}); previous state h_{t - 1}"
                          + (f", c_{t - 1}" if lstm else ""))
        if mode == "RNN":
            for j in range(H):
                an = _idx("a", t, j, H)
                anames[("a", t, j)] = an
                sec.derive(an, pre(0, j, t), s["a"].data[j])
            for j in range(H):
                sec.derive(hn[t][j], _act_expr(acts[0], Sym(anames[("a", t, j)])), h_lib[t - 1, j], answer=True)
        elif lstm:
            gate, cand, cell = acts
            for q, letter in enumerate("ifgo"):
                act = cand if letter == "g" else gate
                for j in range(H):
                    an = _idx(f"a_{letter}", t, j, H).replace(f"a_{letter}_", f"a_{letter},")
                    anames[(letter, t, j)] = an
                    sec.derive(an, pre(q, j, t), s["a"].data[q * H + j])
                    sec.derive(_idx(letter, t, j, H), _act_expr(act, Sym(an)), s[letter].data[j])
            for j in range(H):
                sec.derive(cn[t][j], Add([Mul([Sym(_idx("f", t, j, H)), Sym(cn[t - 1][j])]),
                                          Mul([Sym(_idx("i", t, j, H)), Sym(_idx("g", t, j, H))])]),
                           s["c"].data[j], answer=t == T)
            for j in range(H):
                sec.derive(hn[t][j], Mul([Sym(_idx("o", t, j, H)), _act_expr(cell, Sym(cn[t][j]))]),
                           h_lib[t - 1, j], answer=True)
        else:
            gate, cand = acts
            for q, letter in enumerate("rz"):
                for j in range(H):
                    an = _idx(f"a_{letter}", t, j, H).replace(f"a_{letter}_", f"a_{letter},")
                    anames[(letter, t, j)] = an
                    sec.derive(an, pre(q, j, t), s["a_rz"].data[q * H + j])
                    sec.derive(_idx(letter, t, j, H), _act_expr(gate, Sym(an)), s[letter].data[j])
            for j in range(H):
                hn_name = _idx("a_hn", t, j, H).replace("a_hn_", "a_hn,")
                anames[("hn", t, j)] = hn_name
                sec.derive(hn_name, hh_only(2, j, t), s["ah"].data[2 * H + j],
                           note="the recurrent part of n, before the reset gate")
                an = _idx("a_n", t, j, H).replace("a_n_", "a_n,")
                anames[("n", t, j)] = an
                sec.derive(an, Add([pre(2, j, t, with_hh=False), Mul([Sym(_idx("r", t, j, H)), Sym(hn_name)])]),
                           s["a_n"].data[j])
                sec.derive(_idx("n", t, j, H), _act_expr(cand, Sym(an)), s["n"].data[j])
            for j in range(H):
                z = Sym(_idx("z", t, j, H))
                sec.derive(hn[t][j], Add([Mul([Sub(Num(1), z), Sym(_idx("n", t, j, H))]),
                                          Mul([z, Sym(hn[t - 1][j])])]), h_lib[t - 1, j], answer=True)

    if "params" in show:
        _params_section(sol, ref, mode, d, H, style)

    if "bptt" in show:
        if mode != "RNN" and not bptt:
            raise ConfigError("explain_recurrent: name the weights whose gradient to show (bptt=['W_hi,1,1', ...])")
        _bptt_sections(sol, mode, acts, names, rec, params, y, E_layer.item(), T, H, d, hn, xn, anames, bptt)
    sol.verify()
    if "steps" not in show:
        sol.sections[:] = [s for s in sol.sections if not s.title.startswith("Step t")]
    return sol


def _act_kwargs(mode, acts):
    if mode == "RNN":
        return {"nonlinearity": acts[0]}
    if mode == "LSTM":
        return {"gate_activation": acts[0], "candidate_activation": acts[1], "cell_activation": acts[2]}
    return {"gate_activation": acts[0], "candidate_activation": acts[1]}


def _check_close(what, a, b):
    if not np.allclose(a, b, rtol=1e-10, atol=1e-12):
        raise AssertionError(f"explain_recurrent: {what} computed op by op differs from the layer's: {a} vs {b}")


def _state_vector(name, value, H):
    if value is None:
        return np.zeros(H)
    v = np.asarray(value.numpy() if hasattr(value, "numpy") else value, dtype=np.float64).reshape(-1)
    if v.shape != (H,):
        raise ShapeError(f"explain_recurrent: {name} must have {H} values (one per hidden unit), got {v.size}")
    return v


def _convention(mode, acts, style) -> str:
    bias = {"torch": "two biases per gate (b_i… and b_h…, torch)", "single": "one bias per gate",
            None: "no bias"}[style]
    if mode == "RNN":
        phi = _act_label(acts[0])
        return f"Elman RNN: h_t = {phi}(W_ih·x_t + W_hh·h_{{t−1}} + b), {bias}."
    if mode == "LSTM":
        g, c, cell = (_act_label(a) for a in acts)
        return (f"LSTM (torch's gate order i, f, g, o): i, f, o = {g}(a), g = {c}(a_g), c_t = f·c_{{t−1}} + i·g, "
                f"h_t = o·{cell}(c_t); {bias}.")
    g, c = (_act_label(a) for a in acts)
    return (f"GRU (torch's gates r, z, n): r, z = {g}(a), n = {c}(W_in·x + b_in + r·(W_hn·h_{{t−1}} + b_hn)), "
            f"h_t = (1 − z)·n + z·h_{{t−1}}; {bias}.")


def _params_section(sol, layer, mode, d, H, style):
    gates = len(_GATE_LETTERS[mode])
    nb = {"torch": 2, "single": 1, None: 0}[style]
    sec = sol.section("Number of parameters",
                      "each gate has W_i (h×d), W_h (h×h) and its bias vector(s): G·(h·(d + h) + n_b·h); "
                      "textbooks (one bias) have n_b = 1, PyTorch (b_ih and b_hh) n_b = 2")
    for name, v in (("d", d), ("h", H), ("G", gates), ("n_b", nb)):
        sec.given(name, v)
    per = add(Mul([Sym("h"), Add([Sym("d"), Sym("h")])]), *([Mul([Sym("n_b"), Sym("h")])] if nb else []))
    sec.derive("params", Mul([Sym("G"), per]), layer.count_parameters(), answer=True)


def _weight_lookup(names):
    out = {}
    for key, nm in names.items():
        if key.startswith("weight"):
            for r, row in enumerate(nm):
                for k, n in enumerate(row):
                    out[n] = (key, r, k)
        else:
            for r, n in enumerate(nm):
                out[n] = (key, r, None)
    return out


def _bptt_sections(sol, mode, acts, names, rec, params, y, E, T, H, d, hn, xn, anames, wanted):
    lookup = _weight_lookup(names)
    for w in wanted:
        if w not in lookup:
            raise ConfigError(f"explain_recurrent: bptt asks for {w!r}, which is not a weight of this layer; "
                              f"its weights are {', '.join(lookup)}")
    sec = sol.section("Loss at the last step", "E = ½·Σ_j (h_T,j − y_j)²")
    yn = [f"y_{j + 1}" if H > 1 else "y" for j in range(H)]
    for j in range(H):
        sec.given(yn[j], y[j])
    sec.derive("E", Mul([Num(0.5, "½"), add(*[Pow(Sub(Sym(hn[T][j]), Sym(yn[j])), Num(2)) for j in range(H)])]), E,
               answer=True)
    pname = {"weight_ih": "weight_ih_l0", "weight_hh": "weight_hh_l0", "bias_ih": "bias_ih_l0",
             "bias_hh": "bias_hh_l0"}
    if mode == "RNN":
        act = acts[0]
        sec = sol.section("Backpropagation through time",
                          "∂E/∂h_T = h_T − y; δ_t = ∂E/∂a_t = ∂E/∂h_t · φ'(a_t); "
                          "∂E/∂h_{t−1},k = Σ_j δ_t,j·W_hh,j,k (the error flows back through W_hh)")
        for t in range(T, 0, -1):
            s = rec[t - 1]
            for j in range(H):
                gname = f"∂E/∂{hn[t][j]}"
                if t == T:
                    sec.derive(gname, Sub(Sym(hn[t][j]), Sym(yn[j])), s["h"].grad.data[j])
                else:
                    terms = [Mul([Sym(_idx("δ", t + 1, m, H)), Sym(names["weight_hh"][m][j])]) for m in range(H)]
                    sec.derive(gname, add(*terms), s["h"].grad.data[j])
            for j in range(H):
                h = Sym(hn[t][j])
                local = {"tanh": Sub(Num(1), Pow(h, Num(2))), "sigmoid": Mul([h, Sub(Num(1), h)]),
                         "relu": Call("step", Sym(anames[("a", t, j)])), "identity": Num(1)}[act]
                sec.derive(_idx("δ", t, j, H), Mul([Sym(f"∂E/∂{hn[t][j]}"), local]), s["a"].grad.data[j])
        sec = sol.section("Gradients of the chosen weights", "a weight's gradient is its sum over the steps")
        for w in wanted:
            key, r, k = lookup[w]
            src = {"weight_ih": lambda t, k=k: Sym(xn[t - 1][k]), "weight_hh": lambda t, k=k: Sym(hn[t - 1][k])}
            terms = []
            for t in range(1, T + 1):
                dl = Sym(_idx("δ", t, r, H))
                terms.append(Mul([dl, src[key](t)]) if key in src else dl)
            value = params[pname[key]].grad.data[(r, k) if k is not None else r]
            sec.derive(f"∂E/∂{w}", add(*terms), value, answer=True)
        return
    # LSTM and GRU: the pre-activation gradients from autograd, then each weight's sum over the steps
    sec = sol.section("Backpropagation through time",
                      "∂E/∂a (the gradient of a gate's pre-activation at each step) by backpropagation through "
                      "time (autograd); a weight's gradient is Σ_t ∂E/∂a_t · (the input it multiplies at step t)")
    letters = _GATE_LETTERS[mode]
    shown = set()
    grads_total = sol.section("Gradients of the chosen weights")
    for w in wanted:
        key, r, k = lookup[w]
        q, j = divmod(r, H)
        letter = letters[q]
        terms = []
        for t in range(1, T + 1):
            s = rec[t - 1]
            if mode == "GRU" and letter == "n" and key in ("weight_hh", "bias_hh"):
                an = anames[("hn", t, j)]
                gname = f"∂E/∂{an}"
                if gname not in shown:
                    _grad_given(sec, f"∂E/∂{anames[('n', t, j)]}", s["a_n"].grad.data[j], shown)
                    sec.derive(gname, Mul([Sym(_idx("r", t, j, H)), Sym(f"∂E/∂{anames[('n', t, j)]}")]),
                               s["ah"].grad.data[r])
                    shown.add(gname)
            else:
                an = anames[(letter, t, j)]
                gname = f"∂E/∂{an}"
                if mode == "LSTM":
                    gval = s["a"].grad.data[r]
                elif letter == "n":
                    gval = s["a_n"].grad.data[j]
                else:
                    gval = s["a_rz"].grad.data[r]
                _grad_given(sec, gname, gval, shown)
            if key == "weight_ih":
                terms.append(Mul([Sym(gname), Sym(xn[t - 1][k])]))
            elif key == "weight_hh":
                terms.append(Mul([Sym(gname), Sym(hn[t - 1][k])]))
            else:
                terms.append(Sym(gname))
        value = params[pname[key]].grad.data[(r, k) if k is not None else r]
        grads_total.derive(f"∂E/∂{w}", add(*terms), value, answer=True)
    # keep the totals after the per-step gradients
    sol.sections.remove(grads_total)
    sol.sections.append(grads_total)


def _grad_given(sec, name, value, shown):
    if name not in shown:
        sec.given(name, value, note="by backpropagation through time")
        shown.add(name)

