"""Architecture arithmetic with its formulas: output sizes, parameter counts, MACs, receptive field.

:func:`explain_architecture` walks a model layer by layer from an input shape and writes,
for each layer, the output-size formula with the numbers put in
(``H_out = ⌊(H_in + 2·p − k)/s⌋ + 1 = ⌊(32 + 2·1 − 3)/1⌋ + 1 = 32``), the parameter formula
(``(k_h·k_w·C_in + 1)·C_out = (3·3·3 + 1)·16 = 448``) and the multiply-accumulate count.
:func:`explain_receptive_field` writes the receptive-field recurrence
(``r = r_prev + (k − 1)·d·j_prev``, ``j = j_prev·s``) layer by layer.

Every per-layer quantity carries the layer's path, so each layer's can be asked for by name:
``H_out(3)``, ``W_out(3)`` (``L_out(3)`` in 1-D), ``features(5)`` (a flattened length, or the
feature size of an embedding or recurrent layer), ``params(3)``, ``MACs(3)``; a padding the
library derived (``padding='same'``) is kept as ``p(3)``. Recurrent layers (RNN, GRU, LSTM) show
``G·(h·(d + h) + n_b·h)`` per layer and direction (n_b = 2 for PyTorch's b_ih and b_hh, 1 for
``bias_style='single'`` as Keras and textbooks), embeddings ``V·e``.

The values come from the layers' own static arithmetic (``output_shape``, ``macs``,
``num_parameters``, and :func:`chalkgrad.nn.summary.receptive_field`); the formulas are
checked against them (:meth:`~.steps.Solution.verify`), so they cannot disagree.
"""

from __future__ import annotations

from .expr import Add, Call, Div, Mul, Num, Sub, Sym, add
from .steps import Solution, Step

__all__ = ["explain_architecture", "explain_receptive_field"]


class _Layer:
    """A leaf layer with its path, in the order the model applies them."""

    def __init__(self, path: str, module):
        self.path, self.module = path, module


def _leaves(model, prefix: str = ""):
    """Layers in application order: Sequential-like containers are opened, other modules are leaves."""
    from ..nn import ModuleList, Sequential

    children = list(model.named_children())
    is_container = isinstance(model, Sequential) or (type(model).forward is _inherited_forward(model) and children)
    if prefix and (not children or not is_container):
        yield _Layer(prefix, model)
        return
    if isinstance(model, ModuleList):
        raise _config(f"explain_architecture: '{prefix or 'model'}' is a ModuleList, whose order of use is not known")
    if not children:
        yield _Layer(prefix or type(model).__name__, model)
        return
    if not is_container:
        yield _Layer(prefix or type(model).__name__, model)
        return
    for name, child in children:
        yield from _leaves(child, f"{prefix}.{name}" if prefix else name)


def _inherited_forward(model):
    from ..nn import Sequential

    return Sequential.forward if isinstance(model, Sequential) else None


def _config(msg):
    from ..errors import ConfigError

    return ConfigError(msg)


def _hidden(sec, name, value):
    """A value later formulas use, not printed (the layer's hyperparameters are in the section intro)."""
    sec.steps.append(Step(name, float(value), None, "", False, hidden=True))


def _fmt_shape(shape) -> str:
    return "(" + ", ".join(str(int(d)) for d in shape) + ")"


def explain_architecture(model, input_size, *, batch_size: int = 1, title: str | None = None) -> Solution:
    """Output shape, parameters and MACs of every layer, each with its formula and the numbers put in.

    ``input_size`` is the shape of one sample without the batch (``(3, 32, 32)``), or with it.
    """
    shape = tuple(int(d) for d in input_size)
    sol = Solution(title or f"Architecture arithmetic for an input of shape {_fmt_shape(shape)}")
    sol.conventions.append("Shapes are per sample, as in PyTorch: (channels, height, width) for images, "
                           "(seq_len, features) for sequences; MACs count multiply-accumulates of one sample; "
                           "parameters count weights and biases. Per-layer quantities carry the layer's path: "
                           "H_out(3), params(3).")
    batched = (batch_size,) + shape
    total_params = []
    total_macs = []
    for layer in _leaves(model):
        m = layer.module
        out_batched = tuple(m.output_shape(batched))
        sec = sol.section(f"{layer.path}: {type(m).__name__}", f"{m.extra_repr()}" if m.extra_repr() else "")
        params = m.num_parameters()
        macs = m.macs(batched) // batch_size
        explain = _EXPLAINERS.get(type(m).__name__) or _explainer_by_base(m)
        if explain is not None:
            explain(sec, m, batched[1:], out_batched[1:], params, macs)
        else:  # a layer without a formula here: its own counts, stated as such
            sec.derive("params", Num(params), params, note="counted from the layer's parameters")
            sec.derive("MACs", Num(macs), macs, note="from the layer's macs()")
        sec.intro = (sec.intro + "; " if sec.intro else "") + \
            f"input {_fmt_shape(batched[1:])} → output {_fmt_shape(out_batched[1:])}"
        _rename_totals(sec, layer.path)
        for st in sec.steps:
            if not st.hidden and st.name.split("(")[0] in _ANSWERS:
                st.answer = True
        total_params.append(Sym(f"params({layer.path})"))
        total_macs.append(Sym(f"MACs({layer.path})"))
        _ensure(sec, f"params({layer.path})", params)
        _ensure(sec, f"MACs({layer.path})", macs)
        batched = out_batched
    values = sol.values()
    total_params = [t for t in total_params if values[t.name]] or [Num(0)]
    total_macs = [t for t in total_macs if values[t.name]] or [Num(0)]
    tot = sol.section("Totals", "layers without parameters or MACs add nothing and are left out of the sums")
    tot.derive("total parameters", add(*total_params), model.num_parameters(), answer=True)
    tot.derive("total MACs", add(*total_macs), sum(v for n, v in values.items() if n.startswith("MACs(")),
               answer=True)
    sol.verify()
    return sol


def _ensure(sec, name, value):
    if not any(s.name == name for s in sec.steps):
        _hidden(sec, name, value)


#: Per-layer quantities: named ``<name>(<path>)`` (``H_out(3)``, ``params(3)``) so every layer's can be asked for.
_PER_LAYER = ("H_out", "W_out", "L_out", "features", "params", "MACs", "buffers")
_ANSWERS = ("H_out", "W_out", "L_out", "features", "params")
#: Hyperparameters that also get a hidden per-layer alias (``p(0)``), so a problem can ask for a derived padding.
_ALIASED = ("p", "p_h", "p_w")


def _rename_totals(sec, path):
    """Name the section's per-layer quantities after the layer (``H_out`` → ``H_out(3)``), formulas included."""
    mapping = {n: f"{n}({path})" for n in _PER_LAYER}

    def walk(node):
        if isinstance(node, Sym) and node.name in mapping:
            node.name = mapping[node.name]
        for child in getattr(node, "children", ()):
            walk(child)

    aliases = []
    for s in sec.steps:
        if s.formula is not None:
            walk(s.formula)
        if s.name in mapping:
            s.name = mapping[s.name]
        elif s.hidden and s.name in _ALIASED:
            aliases.append(Step(f"{s.name}({path})", s.value, None, "", False, hidden=True))
    sec.steps += aliases


# ----------------------------------------------------------------------------- per layer type
def _spatial_names(n):
    return ["L"] if n == 1 else ["H", "W"]


def _conv(sec, m, in_shape, out_shape, params, macs):
    n = len(m.kernel_size)
    dims = _spatial_names(n)
    c_in = in_shape[0]
    _hidden(sec, "C_in", c_in)
    _hidden(sec, "C_out", m.out_channels)
    _hidden(sec, "g", m.groups)
    pads = m.receptive_field()["padding"]
    kernel_syms = []
    for i, dim in enumerate(dims):
        sfx = "" if n == 1 or (len(set(m.kernel_size)) == 1 and len(set(m.stride)) == 1 and len(set(pads)) == 1
                               and len(set(m.dilation)) == 1) else f"_{dim.lower()}"
        k, s, p, d = f"k{sfx}", f"s{sfx}", f"p{sfx}", f"d{sfx}"
        _hidden(sec, f"{dim}_in", in_shape[1 + i])
        _hidden(sec, k, m.kernel_size[i])
        _hidden(sec, s, m.stride[i])
        _hidden(sec, p, pads[i])
        _hidden(sec, d, m.dilation[i])
        if m.transposed:
            _hidden(sec, f"op{sfx}", m.output_padding[i])
            terms = [Mul([Sub(Sym(f"{dim}_in"), Num(1)), Sym(s)]), Mul([Num(-2), Sym(p)])]
            terms.append(Mul([Sym(d), Sub(Sym(k), Num(1))]) if m.dilation[i] != 1 else Sub(Sym(k), Num(1)))
            terms += [Sym(f"op{sfx}"), Num(1)]
            formula = add(*terms)
        else:
            span = Mul([Sym(d), Sub(Sym(k), Num(1))]) if m.dilation[i] != 1 else None
            inner = (add(Sym(f"{dim}_in"), Mul([Num(2), Sym(p)]), Mul([Num(-1), span]), Num(-1)) if span is not None
                     else Sub(add(Sym(f"{dim}_in"), Mul([Num(2), Sym(p)])), Sym(k)))
            formula = add(Call("floor", Div(inner, Sym(s))), Num(1))
        sec.derive(f"{dim}_out", formula, out_shape[1 + i])
        kernel_syms.append(Sym(k))
    if m.groups == 1:
        fan_in = Mul(kernel_syms + [Sym("C_in")])
    else:
        fan_in = Mul(kernel_syms + [Div(Sym("C_in"), Sym("g"))])
    if m.transposed:
        per_out = Mul(kernel_syms + ([Div(Sym("C_out"), Sym("g"))] if m.groups > 1 else [Sym("C_out")]))
        weights = Mul([per_out, Sym("C_in")])
        formula = add(weights, Sym("C_out")) if m.bias is not None else weights
        macs_formula = Mul([Sym("C_in")] + [Sym(f"{d}_in") for d in dims] + [per_out])
    else:
        formula = Mul([add(fan_in, Num(1)), Sym("C_out")]) if m.bias is not None else Mul([fan_in, Sym("C_out")])
        macs_formula = Mul([Sym("C_out")] + [Sym(f"{d}_out") for d in dims] + [fan_in])
    sec.derive("params", formula, params, note="weights + one bias per output channel" if m.bias is not None else "")
    sec.derive("MACs", macs_formula, macs)


def _pool(sec, m, in_shape, out_shape, params, macs):
    rf = m.receptive_field()
    n = len(rf["kernel"])
    dims = _spatial_names(n)
    ceil = bool(getattr(m, "ceil_mode", False))
    for i, dim in enumerate(dims):
        sfx = "" if n == 1 or len({(rf["kernel"][j], rf["stride"][j], rf["padding"][j]) for j in range(n)}) == 1 \
            else f"_{dim.lower()}"
        k, s, p, d = f"k{sfx}", f"s{sfx}", f"p{sfx}", f"d{sfx}"
        _hidden(sec, f"{dim}_in", in_shape[1 + i])
        _hidden(sec, k, rf["kernel"][i])
        _hidden(sec, s, rf["stride"][i])
        _hidden(sec, p, rf["padding"][i])
        _hidden(sec, d, rf["dilation"][i])
        if rf["dilation"][i] != 1:
            inner = add(Sym(f"{dim}_in"), Mul([Num(2), Sym(p)]), Mul([Num(-1), Mul([Sym(d), Sub(Sym(k), Num(1))])]),
                        Num(-1))
        else:
            inner = Sub(add(Sym(f"{dim}_in"), Mul([Num(2), Sym(p)])), Sym(k))
        formula = add(Call("ceil" if ceil else "floor", Div(inner, Sym(s))), Num(1))
        values = {st.name: st.value for st in sec.steps}
        note = ""
        if ceil and formula.evaluate(values) != out_shape[1 + i]:
            formula = Sub(formula, Num(1))
            note = "ceil_mode: the last window would start in the padding, so it is dropped (PyTorch's rule)"
        sec.derive(f"{dim}_out", formula, out_shape[1 + i], note=note)
    sec.derive("params", Num(0), 0, note="pooling has no weights")
    sec.derive("MACs", Num(0), 0, note="comparisons or additions, no multiply-accumulates")


def _linear(sec, m, in_shape, out_shape, params, macs):
    _hidden(sec, "n_in", m.in_features)
    _hidden(sec, "n_out", m.out_features)
    rows = 1
    for d in in_shape[:-1]:
        rows *= d
    sec.derive("params", Mul([add(Sym("n_in"), Num(1)), Sym("n_out")]) if m.bias is not None
               else Mul([Sym("n_in"), Sym("n_out")]), params,
               note="one weight per input per unit, plus a bias per unit" if m.bias is not None else "")
    if rows == 1:
        sec.derive("MACs", Mul([Sym("n_in"), Sym("n_out")]), macs)
    else:
        _hidden(sec, "rows", rows)
        sec.derive("MACs", Mul([Sym("rows"), Sym("n_in"), Sym("n_out")]), macs)


def _flatten(sec, m, in_shape, out_shape, params, macs):
    if len(out_shape) == 1 and len(in_shape) > 1:
        names = ["C", "H", "W", "D"][: len(in_shape)] if len(in_shape) <= 3 else [f"n{i}" for i in range(len(in_shape))]
        for nm, v in zip(names, in_shape):
            _hidden(sec, nm, v)
        sec.derive("features", Mul([Sym(nm) for nm in names]), out_shape[0])
    sec.derive("params", Num(0), 0)
    sec.derive("MACs", Num(0), 0)


def _batchnorm(sec, m, in_shape, out_shape, params, macs):
    _hidden(sec, "C", m.num_features)
    if m.affine:
        sec.derive("params", Mul([Num(2), Sym("C")]), params, note="γ and β per channel (trainable)")
    else:
        sec.derive("params", Num(0), 0)
    if getattr(m, "track_running_stats", False):
        sec.derive("buffers", Mul([Num(2), Sym("C")]), 2 * m.num_features,
                   note="running mean and variance per channel (not trained; Keras counts them as non-trainable)")
    sec.derive("MACs", Num(macs), macs)


def _passthrough(sec, m, in_shape, out_shape, params, macs):
    """Layers without parameters (activations, dropout, reshapes): only their shapes, in the section intro."""
    _hidden(sec, "params", 0)
    _hidden(sec, "MACs", macs)


def _recurrent(sec, m, in_shape, out_shape, params, macs):
    """G·(h·(d + h) + n_b·h) per layer and direction: G gates (RNN 1, GRU 3, LSTM 4), each with W_ih (h×d),
    W_hh (h×h) and n_b bias vectors (2 with bias_style torch: b_ih and b_hh; 1 with single; 0 without bias);
    layers after the first read the D·h outputs of the previous one (D = 2 when bidirectional)."""
    gates = {"RNN": 1, "LSTM": 4, "GRU": 3}[type(m).__name__]
    layers = int(getattr(m, "num_layers", 1))
    directions = 2 if getattr(m, "bidirectional", False) else 1
    n_b = 0 if not m.bias else (2 if getattr(m, "bias_style", "torch") == "torch" else 1)
    _hidden(sec, "d", m.input_size)
    _hidden(sec, "h", m.hidden_size)
    _hidden(sec, "G", gates)
    if getattr(m, "proj_size", 0):
        sec.derive("params", Num(params), params, note="with a projection: counted from the layer's parameters")
        sec.derive("MACs", Num(macs), macs, note="from the layer's macs()")
        return

    def per_gate(n_in):
        terms = [Mul([Sym("h"), add(n_in, Sym("h"))])]
        if n_b:
            terms.append(Mul([Num(n_b), Sym("h")]) if n_b > 1 else Sym("h"))
        return Mul([Sym("G"), add(*terms)])

    first = per_gate(Sym("d"))
    if directions > 1:
        _hidden(sec, "D", directions)
    formula = first
    if layers > 1:
        _hidden(sec, "L", layers)
        later_in = Mul([Sym("D"), Sym("h")]) if directions > 1 else Sym("h")
        formula = add(first, Mul([Sub(Sym("L"), Num(1)), per_gate(later_in)]))
    if directions > 1:
        formula = Mul([Sym("D"), formula])
    bias_words = {0: "no bias", 1: "one bias vector (bias_style single, as Keras and textbooks)",
                  2: "two bias vectors b_ih and b_hh (PyTorch)"}[n_b]
    sec.derive("params", formula, params,
               note=f"{gates} gate(s), each with W_ih (h×d), W_hh (h×h) and {bias_words}"
                    + (f"; {layers} layers" if layers > 1 else "") + ("; both directions" if directions > 1 else ""))
    sec.derive("features", Mul([Sym("D"), Sym("h")]) if directions > 1 else Sym("h"), out_shape[-1],
               note="output size at every time step")
    sec.derive("MACs", Num(macs), macs, note="from the layer's macs(): T·G·h·(d + h) per layer and direction")


def _embedding(sec, m, in_shape, out_shape, params, macs):
    _hidden(sec, "V", m.num_embeddings)
    _hidden(sec, "e", m.embedding_dim)
    sec.derive("params", Mul([Sym("V"), Sym("e")]), params, note="one vector of e numbers per word of the vocabulary")
    sec.derive("features", Sym("e"), out_shape[-1], note="each index becomes its e-dimensional vector")
    sec.derive("MACs", Num(0), 0, note="a lookup multiplies nothing")


_EXPLAINERS = {
    "Conv1d": _conv, "Conv2d": _conv, "ConvTranspose1d": _conv, "ConvTranspose2d": _conv,
    "MaxPool1d": _pool, "MaxPool2d": _pool, "AvgPool1d": _pool, "AvgPool2d": _pool,
    "Linear": _linear, "Flatten": _flatten,
    "BatchNorm1d": _batchnorm, "BatchNorm2d": _batchnorm,
    "RNN": _recurrent, "LSTM": _recurrent, "GRU": _recurrent, "Embedding": _embedding,
}


def _explainer_by_base(m):
    params = m.num_parameters()
    if params == 0:
        return _passthrough
    return None


# ----------------------------------------------------------------------------- receptive field
def explain_receptive_field(model, input_size, *, title: str | None = None) -> Solution:
    """The receptive-field recurrence, layer by layer, per spatial dimension.

    r_l = r_{l−1} + (k − 1)·d·j_{l−1},   j_l = j_{l−1}·s,   start_l = start_{l−1} + ((k − 1)/2·d − p)·j_{l−1},
    starting from r_0 = 1, j_0 = 1, start_0 = 0 (pixel centres at 0, 1, 2, ...).
    """
    from ..nn.summary import receptive_field

    rf = receptive_field(model, (1,) + tuple(int(d) for d in input_size))
    sol = Solution(title or "Receptive field, layer by layer")
    sol.conventions.append("r = receptive field size, j = jump (distance in input pixels between neighbouring "
                           "outputs), start = centre of the first output's field (pixel centres at 0, 1, 2, ...); "
                           "r₀ = 1, j₀ = 1, start₀ = 0.")
    if rf.note:
        sol.conventions.append("Note: " + rf.note)
    prev = {"r": "r_0", "j": "j_0", "start": "start_0"}
    sec = sol.section("Start")
    sec.given("r_0", 1)
    sec.given("j_0", 1)
    sec.given("start_0", 0)
    i = 0
    for row in rf.rows:
        if row.kernel is None and not row.is_global:
            continue  # pointwise (activation, norm, dropout): r, j and start are unchanged
        i += 1
        title = f"{row.path}: {row.type}" if row.path else row.type
        if row.is_global:
            sec = sol.section(title, "this layer mixes every position: the field is the whole input")
            if row.size is not None:
                sec.derive(f"r_{i}", Num(row.size[0]), row.size[0], answer=True, note="the whole input")
            break
        k, s, p, d = row.kernel[0], row.stride[0], row.padding[0], row.dilation[0]
        first = " (first spatial dim)" if len(row.kernel) > 1 else ""
        sec = sol.section(title, f"k = {k}, s = {s}, p = {p}, d = {d}{first}")
        for name, v in (("k", k), ("s", s), ("p", p), ("d", d)):
            _hidden(sec, name, v)
        if row.type.startswith("ConvTranspose"):
            sec.derive(f"r_{i}", Num(row.size[0]), row.size[0], answer=True,
                       note="transposed convolution: it upsamples by s; outputs are j/s apart")
            sec.derive(f"j_{i}", Num(row.jump[0]), row.jump[0])
            sec.derive(f"start_{i}", Num(row.start[0]), row.start[0])
        else:
            span = Mul([Sub(Sym("k"), Num(1)), Sym("d"), Sym(prev["j"])]) if d != 1 else \
                Mul([Sub(Sym("k"), Num(1)), Sym(prev["j"])])
            sec.derive(f"r_{i}", Add([Sym(prev["r"]), span]), row.size[0], answer=True)
            sec.derive(f"j_{i}", Mul([Sym(prev["j"]), Sym("s")]), row.jump[0])
            half = Div(Sub(Sym("k"), Num(1)), Num(2))
            offset = Sub(Mul([half, Sym("d")]) if d != 1 else half, Sym("p"))
            sec.derive(f"start_{i}", Add([Sym(prev["start"]), Mul([offset, Sym(prev["j"])])]), row.start[0])
        prev = {"r": f"r_{i}", "j": f"j_{i}", "start": f"start_{i}"}
    sol.verify()
    return sol
