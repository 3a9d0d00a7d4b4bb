"""Worked solutions for small dense networks, one scalar at a time.

:func:`explain_dense` takes a chain of ``Linear`` layers, each optionally followed by an
activation, one input sample and its target, runs the library's ordinary forward pass,
loss, backward pass and optimizer step in float64, and writes every number out:

* forward: ``net_h1 = w1·i1 + w2·i2 + b_h1`` term by term, then ``out_h1 = σ(net_h1)``;
* loss, with its convention stated (½·Σ, Σ or mean squared error; cross-entropy of a
  softmax; binary cross-entropy of sigmoid outputs);
* backward: ``∂E/∂out_o1``, the activation's local derivative, ``δ_o1`` as their product,
  each weight's gradient ``δ·input``, and for hidden units the adjoint
  ``∂E/∂out_h1 = Σ_o δ_o·w`` summed over the units it feeds; the full chain-rule product
  for any weight you name;
* the update ``w⁺ = w − η·∂E/∂w`` (plain SGD; see :mod:`chalkgrad.optim` for the rest).

The values come from the tensors of that computation (intermediates keep their
gradients with ``retain_grad``); the formulas are checked against them by
:meth:`~.steps.Solution.verify`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError, ShapeError
from .expr import Add, Call, Div, Mul, Neg, Num, Pow, Sub, Sym, add
from .steps import Solution

__all__ = ["explain_dense", "DenseLayerSpec"]

_ACTIVATIONS = ("sigmoid", "tanh", "relu", "identity", "softmax")


@dataclass
class DenseLayerSpec:
    """One ``Linear`` layer and the activation after it, with the names of its quantities."""

    linear: object  # chalkgrad.nn.Linear
    activation: str
    path: str
    neurons: list  # names of its units, e.g. ["h1", "h2"]
    weight_names: list  # (out, in) nested list of names
    bias_names: list | None


def _activation_name(module) -> str:
    name = type(module).__name__
    mapping = {"Sigmoid": "sigmoid", "Tanh": "tanh", "ReLU": "relu", "Identity": "identity", "Softmax": "softmax"}
    if name in mapping:
        return mapping[name]
    raise ConfigError(
        f"explain_dense: cannot explain the activation {name} scalar by scalar; "
        f"supported: Sigmoid, Tanh, ReLU, Identity, Softmax (last layer)"
    )


def _layers_of(model) -> list[tuple[str, object, str]]:
    """(path, Linear, activation name) for each Linear of a Sequential-like chain."""
    from ..nn import Linear

    if hasattr(model, "named_children") and not isinstance(model, Linear):
        children = list(model.named_children())
    elif isinstance(model, (list, tuple)):
        children = [(str(i), m) for i, m in enumerate(model)]
    else:
        children = [("0", model)]
    layers: list[list] = []
    for path, m in children:
        if isinstance(m, Linear):
            layers.append([path, m, "identity"])
        else:
            act = _activation_name(m)
            if not layers:
                raise ConfigError(f"explain_dense: layer '{path}' ({type(m).__name__}) comes before any Linear layer")
            if layers[-1][2] != "identity":
                raise ConfigError(f"explain_dense: layer '{path}' is a second activation after layer '{layers[-1][0]}'")
            layers[-1][2] = act
    if not layers:
        raise ConfigError("explain_dense: the model has no Linear layer")
    for path, _, act in layers[:-1]:
        if act == "softmax":
            raise ConfigError(f"explain_dense: softmax after layer '{path}' is only supported on the last layer")
    return [tuple(x) for x in layers]


def _default_names(layers, n_inputs):
    """Textbook names: inputs i1.., hidden units h1.. (h1_1.. with several hidden layers), outputs o1..;
    weights w1, w2, ... numbered layer by layer, row by row (w[j][k] joins input k to unit j); biases b_<unit>."""
    specs, counter = [], 0
    n_hidden = len(layers) - 1
    for l, (path, lin, act) in enumerate(layers):
        n_out = lin.out_features
        if l == len(layers) - 1:
            neurons = [f"o{j + 1}" for j in range(n_out)]
        elif n_hidden == 1:
            neurons = [f"h{j + 1}" for j in range(n_out)]
        else:
            neurons = [f"h{l + 1}_{j + 1}" for j in range(n_out)]
        wn = []
        for _j in range(n_out):
            row = []
            for _k in range(lin.in_features):
                counter += 1
                row.append(f"w{counter}")
            wn.append(row)
        bn = [f"b_{n}" for n in neurons] if lin.bias is not None else None
        specs.append(DenseLayerSpec(lin, act, path, neurons, wn, bn))
    return specs, [f"i{k + 1}" for k in range(n_inputs)]


def _apply_names(specs, names: dict | None):
    if not names:
        return
    by_path = {}
    for s in specs:
        by_path[f"{s.path}.weight"] = (s, "weight_names", (s.linear.out_features, s.linear.in_features))
        by_path[f"{s.path}.bias"] = (s, "bias_names", (s.linear.out_features,))
        by_path[f"{s.path}.units"] = (s, "neurons", (s.linear.out_features,))
    for key, value in names.items():
        if key not in by_path:
            raise ConfigError(f"explain_dense: names has the key '{key}'; expected one of {', '.join(by_path)}")
        spec, attr, shape = by_path[key]
        if attr == "bias_names" and spec.linear.bias is None:
            raise ConfigError(f"explain_dense: names['{key}'] names the bias of a layer that has none")
        arr = np.array(value, dtype=object)
        if arr.shape != shape:
            raise ShapeError(f"explain_dense: names['{key}'] has shape {arr.shape}, expected {shape}")
        setattr(spec, attr, arr.tolist())
    seen = {}
    for s in specs:
        flat = [n for row in s.weight_names for n in row] + list(s.bias_names or []) + list(s.neurons)
        for n in flat:
            if n in seen:
                raise ConfigError(f"explain_dense: the name '{n}' is used twice; every quantity needs its own name")
            seen[n] = True


def _activation_formula(act: str, net: str, out: str, nets: list[str], j: int):
    if act == "sigmoid":
        return Call("σ", Sym(net))
    if act == "tanh":
        return Call("tanh", Sym(net))
    if act == "relu":
        return Call("max0", Sym(net))
    if act == "identity":
        return Sym(net)
    if act == "softmax":
        return Div(Call("exp", Sym(nets[j])), Add([Call("exp", Sym(n)) for n in nets]))
    raise AssertionError(act)


def _local_derivative(act: str, net: str, out: str):
    """∂out/∂net for the elementwise activations, as a formula of the unit's quantities."""
    if act == "sigmoid":
        return Mul([Sym(out), Sub(Num(1), Sym(out))]), "σ'(net) = out·(1 − out)"
    if act == "tanh":
        return Sub(Num(1), Pow(Sym(out), Num(2))), "tanh'(net) = 1 − out²"
    if act == "relu":
        return Call("step", Sym(net)), "ReLU'(net) = 1 if net > 0 else 0"
    if act == "identity":
        return Num(1), "linear unit"
    raise AssertionError(act)


def explain_dense(model, x, target, *, loss: str = "mse", reduction: str | None = None, lr: float | None = None,
                  names: dict | None = None, chain=(), title: str | None = None,
                  show=None, notation: str = "framework") -> Solution:
    """Worked forward pass, loss, backward pass and SGD update of a small dense network.

    Args:
        model: a ``Sequential`` (or list) of ``Linear`` layers, each optionally followed by
            ``Sigmoid``, ``Tanh``, ``ReLU``, ``Identity``, or ``Softmax`` on the last layer.
            Its weights are used as they are (converted to float64 for the computation).
        x: one input sample (a vector of ``in_features`` numbers).
        target: the target vector; for ``loss='cross_entropy'`` a class index or a one-hot vector.
        loss: ``'mse'`` (with ``reduction`` ``'half_sum'`` = ½·Σ(t − o)², ``'sum'`` = Σ(t − o)²,
            ``'mean'`` = Σ(t − o)²/n), ``'cross_entropy'`` (the last layer must be Softmax: E = −Σ t·ln o),
            or ``'bce'`` (sigmoid outputs: E = −Σ [t·ln o + (1 − t)·ln(1 − o)] / n).
        lr: learning rate of the SGD update (needed when ``show`` includes ``'update'``).
        names: optional names by parameter path: ``{"0.weight": [["w1", "w2"], ...], "0.bias": [...],
            "0.units": ["h1", "h2"]}``. Defaults: i1.., h1.., o1.., w1.. numbered row by row, b_h1...
        chain: weight names whose full chain-rule product is written out.
        show: which sections to include: forward, loss, backward, update (default: all; update only with lr).
        notation: ``'framework'`` (net_h1, out_h1, w5, E: the names above) or ``'textbook'``
            (x_1, W[1]_11, b[1]_1, z[1]_1, a[1]_1, δ[1]_1, y_1 and the loss L, layer in brackets).
    """
    if notation not in ("framework", "textbook"):
        raise ConfigError(f"explain_dense: notation must be 'framework' or 'textbook', got {notation!r}")
    import chalkgrad as cg
    import chalkgrad.nn.functional as F

    if show is None:
        show = ("forward", "loss", "backward") + (("update",) if lr is not None else ())
    unknown = [s for s in show if s not in ("forward", "loss", "backward", "update")]
    if unknown:
        raise ConfigError(f"explain_dense: unknown section(s) {unknown} in show; "
                          "expected forward, loss, backward, update")
    layers = _layers_of(model)
    x_arr = np.asarray(x.numpy() if hasattr(x, "numpy") else x, dtype=np.float64)
    if x_arr.ndim != 1 or x_arr.shape[0] != layers[0][1].in_features:
        raise ShapeError(f"explain_dense: the input must be one sample of {layers[0][1].in_features} numbers, "
                         f"got shape {x_arr.shape}")
    specs, inputs = _default_names(layers, x_arr.shape[0])
    _apply_names(specs, names)
    out_spec = specs[-1]
    n_out = out_spec.linear.out_features
    t_arr = _target_vector(target, loss, n_out)
    if loss == "cross_entropy" and out_spec.activation != "softmax":
        raise ConfigError("explain_dense: loss 'cross_entropy' needs a Softmax after the last Linear layer "
                          f"(got {out_spec.activation}); for logits use a Softmax layer so the probabilities are shown")
    if loss == "bce" and out_spec.activation != "sigmoid":
        raise ConfigError(f"explain_dense: loss 'bce' needs Sigmoid outputs, got {out_spec.activation}")
    reduction = reduction or ("half_sum" if loss == "mse" else "mean")
    if loss == "mse" and reduction not in ("half_sum", "sum", "mean"):
        raise ConfigError(f"explain_dense: mse reduction must be half_sum, sum or mean, got {reduction!r}")
    if loss != "mse" and reduction not in ("sum", "mean"):
        raise ConfigError(f"explain_dense: {loss} reduction must be mean or sum, got {reduction!r}")
    if "update" in show and lr is None:
        raise ConfigError("explain_dense: showing the update needs a learning rate (lr=...)")

    # ---- the library's own computation, in float64
    weights = [(cg.tensor(_as_float64(s.linear.weight.data), requires_grad=True),
                cg.tensor(_as_float64(s.linear.bias.data), requires_grad=True) if s.bias_names else None)
               for s in specs]
    a = cg.tensor(x_arr, dtype=cg.float64)
    nets, outs = [], []
    for (w, b), spec in zip(weights, specs):
        net = F.linear(a, w, b)
        net.retain_grad()
        out = {"sigmoid": cg.sigmoid, "tanh": cg.tanh, "relu": cg.relu, "identity": lambda v: v * 1.0,
               "softmax": lambda v: cg.softmax(v, dim=-1)}[spec.activation](net)
        out.retain_grad()
        nets.append(net)
        outs.append(out)
        a = out
    t = cg.tensor(t_arr, dtype=cg.float64)
    if loss == "mse":
        E = F.mse_loss(outs[-1], t, reduction=reduction)
    elif loss == "cross_entropy":
        E = -(t * outs[-1].log()).sum()
    elif loss == "bce":
        E = F.binary_cross_entropy(outs[-1], t, reduction=reduction)
    else:
        raise ConfigError(f"explain_dense: loss must be 'mse', 'cross_entropy' or 'bce', got {loss!r}")
    E.backward()

    sol = Solution(title or "Worked solution: forward pass, loss, backward pass and update")
    rate = f" Learning rate η = {lr:g}." if lr is not None else ""
    sol.conventions.append(_loss_convention(loss, reduction) + rate)

    given = sol.section("Given")
    for name, v in zip(inputs, x_arr):
        given.given(name, v)
    for spec, (w, b) in zip(specs, weights):
        for j, row in enumerate(spec.weight_names):
            for k, n in enumerate(row):
                given.given(n, w.data[j, k])
        if spec.bias_names:
            for j, n in enumerate(spec.bias_names):
                given.given(n, b.data[j])
    t_names = [f"t{j + 1}" for j in range(n_out)]
    for n, v in zip(t_names, t_arr):
        given.given(n, v)
    if lr is not None:
        given.given("η", lr)

    # ---- forward
    prev = inputs
    for l, spec in enumerate(specs):
        net_names = [f"net_{u}" for u in spec.neurons]
        out_names = [f"out_{u}" for u in spec.neurons]
        sec = sol.section(f"Forward pass, layer {l + 1} ({spec.activation})",
                          "net = Σ w·input + b, then out = activation(net)")
        for j in range(len(spec.neurons)):
            terms = [Mul([Sym(spec.weight_names[j][k]), Sym(prev[k])]) for k in range(len(prev))]
            if spec.bias_names:
                terms.append(Sym(spec.bias_names[j]))
            sec.derive(net_names[j], add(*terms), nets[l].data[j])
            if spec.activation != "softmax":
                sec.derive(out_names[j], _activation_formula(spec.activation, net_names[j], out_names[j], net_names, j),
                           outs[l].data[j])
        if spec.activation == "softmax":
            for j in range(len(spec.neurons)):
                sec.derive(out_names[j], _activation_formula("softmax", net_names[j], out_names[j], net_names, j),
                           outs[l].data[j])
        prev = out_names
    out_names = [f"out_{u}" for u in out_spec.neurons]

    # ---- loss
    sec = sol.section("Loss")
    _loss_steps(sec, loss, reduction, out_names, t_names, E.item(), outs[-1].data, t_arr)

    # ---- backward
    grads = {}
    for l in reversed(range(len(specs))):
        spec = specs[l]
        units = spec.neurons
        net_names = [f"net_{u}" for u in units]
        outn = [f"out_{u}" for u in units]
        below = inputs if l == 0 else [f"out_{u}" for u in specs[l - 1].neurons]
        last = l == len(specs) - 1
        sec = sol.section(f"Backward pass, layer {l + 1}",
                          "δ = ∂E/∂net = ∂E/∂out · ∂out/∂net;  ∂E/∂w = δ · (the input w multiplies);  ∂E/∂b = δ"
                          if not (last and spec.activation == "softmax") else
                          "softmax with cross-entropy: δ_j = ∂E/∂net_j = out_j − t_j (the softmax Jacobian and the "
                          "−t/out of the loss cancel to this)")
        for j, u in enumerate(units):
            dnet = f"δ_{u}"
            if last and spec.activation == "softmax":
                sec.derive(dnet, Sub(Sym(outn[j]), Sym(t_names[j])), nets[l].grad.data[j])
            else:
                if last:
                    sec.derive(f"∂E/∂{outn[j]}", _dE_dout(loss, reduction, outn[j], t_names[j], n_out),
                               outs[l].grad.data[j])
                else:
                    above = specs[l + 1]
                    terms = [Mul([Sym(f"δ_{v}"), Sym(above.weight_names[m][j])]) for m, v in enumerate(above.neurons)]
                    sec.derive(f"∂E/∂{outn[j]}", add(*terms), outs[l].grad.data[j],
                               note="the sum over the units it feeds")
                local, rule = _local_derivative(spec.activation, net_names[j], outn[j])
                sec.derive(f"∂{outn[j]}/∂{net_names[j]}", local, local.evaluate(sol.values()), note=rule)
                sec.derive(dnet, Mul([Sym(f"∂E/∂{outn[j]}"), Sym(f"∂{outn[j]}/∂{net_names[j]}")]),
                           nets[l].grad.data[j])
        w, b = weights[l]
        for j, u in enumerate(units):
            for k, src in enumerate(below):
                name = f"∂E/∂{spec.weight_names[j][k]}"
                sec.derive(name, Mul([Sym(f"δ_{u}"), Sym(src)]), w.grad.data[j, k])
                grads[spec.weight_names[j][k]] = (w.grad.data[j, k], l, j, k)
            if spec.bias_names:
                sec.derive(f"∂E/∂{spec.bias_names[j]}", Sym(f"δ_{u}"), b.grad.data[j])
                grads[spec.bias_names[j]] = (b.grad.data[j], l, j, None)

    if chain:
        sec = sol.section("Chain rule, written out", "∂E/∂w as the product of the local derivatives along its path")
        for wname in chain:
            if wname not in grads or grads[wname][3] is None:
                raise ConfigError(f"explain_dense: chain asks for '{wname}', which is not a weight of this network "
                                  f"(weights: {', '.join(n for n in grads if grads[n][3] is not None)})")
            _, l, j, k = grads[wname]
            spec = specs[l]
            u = spec.neurons[j]
            src = inputs[k] if l == 0 else f"out_{specs[l - 1].neurons[k]}"
            sec.derive(f"∂net_{u}/∂{wname}", Sym(src), sol[src])
            if l == len(specs) - 1 and spec.activation == "softmax":
                factors = [Sym(f"δ_{u}"), Sym(f"∂net_{u}/∂{wname}")]
            else:
                factors = [Sym(f"∂E/∂out_{u}"), Sym(f"∂out_{u}/∂net_{u}"), Sym(f"∂net_{u}/∂{wname}")]
            sec.derive(f"∂E/∂{wname}", Mul(factors), grads[wname][0])

    # ---- update
    if "update" in show:
        from ..optim import SGD

        params = [p for pair in weights for p in pair if p is not None]
        SGD(params, lr=lr).step()
        sec = sol.section(f"Update (SGD): w⁺ = w − η·∂E/∂w, η = {lr:g}")
        for spec, (w, b) in zip(specs, weights):
            for j, row in enumerate(spec.weight_names):
                for k, n in enumerate(row):
                    sec.derive(f"{n}⁺", Sub(Sym(n), Mul([Sym("η"), Sym(f"∂E/∂{n}")])), w.data[j, k], answer=True)
            if spec.bias_names:
                for j, n in enumerate(spec.bias_names):
                    sec.derive(f"{n}⁺", Sub(Sym(n), Mul([Sym("η"), Sym(f"∂E/∂{n}")])), b.data[j], answer=True)
    sol.verify()
    _keep_sections(sol, show)
    if notation == "textbook":
        _textbook_names(sol, specs, inputs, t_names)
    return sol


def _textbook_names(sol: Solution, specs, inputs, t_names) -> None:
    """Rename to the layer-indexed notation of most course notes: z[l]_j, a[l]_j, W[l]_jk, δ[l]_j, L."""
    from .steps import rename_quantities

    def idx(*ks):
        return "".join(str(k) for k in ks) if all(k < 10 for k in ks) else ",".join(str(k) for k in ks)

    mapping = {name: f"x_{k + 1}" for k, name in enumerate(inputs)}
    mapping.update({name: f"y_{j + 1}" for j, name in enumerate(t_names)})
    mapping["E"] = "L"
    for l, spec in enumerate(specs, start=1):
        for j, u in enumerate(spec.neurons, start=1):
            mapping[f"net_{u}"] = f"z[{l}]_{j}"
            mapping[f"out_{u}"] = f"a[{l}]_{j}"
            mapping[f"δ_{u}"] = f"δ[{l}]_{j}"
            if l == len(specs):
                mapping[f"E_{u}"] = f"L_{j}"
            for k, w in enumerate(spec.weight_names[j - 1], start=1):
                mapping[w] = f"W[{l}]_{idx(j, k)}"
            if spec.bias_names:
                mapping[spec.bias_names[j - 1]] = f"b[{l}]_{j}"
    rename_quantities(sol, mapping)
    sol.conventions.append("Notation: x = input, z[l] = W[l]·a[l−1] + b[l] (weighted sums of layer l), a[l] = its "
                           "activations (a[0] = x, the last a = ŷ), δ[l] = ∂L/∂z[l], y = target, L = loss.")
    def words(text: str) -> str:
        import re

        for old, new in ((r"\bnet\b", "z"), (r"\bout\b", "a"), (r"\bE\b", "L"), (r"\bt\b", "y"), (r"\bw\b", "W")):
            text = re.sub(old, new, text)
        return text

    sol.conventions[0] = words(sol.conventions[0])
    for sec in sol.sections:
        sec.intro = words(sec.intro)
        sec.title = sec.title.replace("w⁺ = w − η·∂E/∂w", "W⁺ = W − η·∂L/∂W")
        for step in sec.steps:
            step.note = words(step.note)


def _as_float64(array) -> np.ndarray:
    """Parameters in float64. A float32 value becomes the shortest decimal that rounds to it
    (float32(0.15) → 0.15, not 0.15000000596), which is the number the user wrote."""
    array = np.asarray(array)
    if array.dtype == np.float32:
        shortest = [float(np.format_float_positional(v, unique=True)) for v in array.ravel()]
        return np.array(shortest, dtype=np.float64).reshape(array.shape)
    return array.astype(np.float64)


def _keep_sections(sol: Solution, show) -> None:
    keep = []
    for sec in sol.sections:
        title = sec.title
        if title == "Given" or title.startswith("Chain rule"):
            keep.append(sec)
        elif title.startswith("Forward") and "forward" in show:
            keep.append(sec)
        elif title == "Loss" and "loss" in show:
            keep.append(sec)
        elif title.startswith("Backward") and "backward" in show:
            keep.append(sec)
        elif title.startswith("Update"):
            keep.append(sec)
    # hidden sections still defined the values later steps use; verify() ran on the full list
    sol.sections[:] = keep


def _target_vector(target, loss, n_out):
    t = np.asarray(target.numpy() if hasattr(target, "numpy") else target, dtype=np.float64)
    if loss == "cross_entropy" and t.ndim == 0:
        c = int(t)
        if not 0 <= c < n_out or c != t:
            raise ShapeError(f"explain_dense: target class {target!r} is not an integer in [0, {n_out})")
        t = np.eye(n_out)[c]
    if t.shape != (n_out,):
        raise ShapeError(f"explain_dense: the target must have {n_out} values (one per output), got shape {t.shape}")
    return t


def _loss_convention(loss, reduction) -> str:
    if loss == "mse":
        return {"half_sum": "Loss: E = ½·Σ(t − out)² (half the sum of squared errors).",
                "sum": "Loss: E = Σ(t − out)² (sum of squared errors).",
                "mean": "Loss: E = Σ(t − out)²/n (mean squared error over the n outputs)."}[reduction]
    if loss == "cross_entropy":
        return "Loss: E = −Σ t·ln(out) (cross-entropy of the softmax outputs)."
    if reduction == "sum":
        return "Loss: E = −Σ [t·ln(out) + (1 − t)·ln(1 − out)] (binary cross-entropy, summed over the outputs)."
    return "Loss: E = −Σ [t·ln(out) + (1 − t)·ln(1 − out)]/n (binary cross-entropy, mean over the n outputs)."


def _loss_steps(sec, loss, reduction, out_names, t_names, value, outs, t_arr):
    n = len(out_names)
    if loss == "mse":
        terms = []
        for j in range(n):
            err = Pow(Sub(Sym(t_names[j]), Sym(out_names[j])), Num(2))
            e = Mul([Num(0.5, "½"), err]) if reduction == "half_sum" else err
            name = f"E_{out_names[j][4:]}"
            sec.derive(name, e, (0.5 if reduction == "half_sum" else 1.0) * (t_arr[j] - outs[j]) ** 2)
            terms.append(Sym(name))
        total = add(*terms)
        if reduction == "mean":
            total = Div(total, Num(n))
        sec.derive("E", total, value, answer=True)
    elif loss == "cross_entropy":
        terms = [Mul([Sym(t_names[j]), Call("ln", Sym(out_names[j]))]) for j in range(n)]
        sec.derive("E", Neg(add(*terms)), value, answer=True)
    else:
        terms = [add(Mul([Sym(t_names[j]), Call("ln", Sym(out_names[j]))]),
                     Mul([Sub(Num(1), Sym(t_names[j])), Call("ln", Sub(Num(1), Sym(out_names[j])))]))
                 for j in range(n)]
        total = Neg(add(*terms))
        sec.derive("E", Div(total, Num(n)) if n > 1 and reduction != "sum" else total, value, answer=True)


def _dE_dout(loss, reduction, out, t, n):
    if loss == "mse":
        diff = Sub(Sym(out), Sym(t))
        if reduction == "half_sum":
            return diff
        if reduction == "sum":
            return Mul([Num(2), diff])
        return Div(Mul([Num(2), diff]), Num(n))
    # bce: ∂/∂o of −[t ln o + (1−t) ln(1−o)]/n = (o − t)/(o(1 − o)n); without the n for reduction 'sum'
    den = Mul([Sym(out), Sub(Num(1), Sym(out))] + ([Num(n)] if n > 1 and reduction != "sum" else []))
    return Div(Sub(Sym(out), Sym(t)), den)
