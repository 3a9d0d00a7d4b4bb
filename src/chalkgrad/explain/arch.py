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

Models with branches: a module with a custom forward that lists its layers in ``main_path()`` (the
zoo's ResNet and BasicBlock, FCN, SegNet, the autoencoders) is opened along that path, each layer named by
its path in the model (``H_out(layer1.0.conv1)``; a module applied twice, such as a block's shared ReLU, is
``layer1.0.relu[2]`` the second time and its parameters count once). The children main_path() leaves out are
side branches (a block's ``downsample``): each gets its own sections, fed with the first main-path shape it
accepts whose result the main path reaches later (the block's input for a shortcut), then a section with
the addition's shape check; the sum is placed before a final activation, as in y = ReLU(F(x) + S(x)). A max
unpool gets the size its max pool received (SegNet's ``output_size``). A block is opened only when its layers
reproduce its own output_shape, macs and parameter count; other modules with children are one row.

The values come from the layers' own static arithmetic (``output_shape``, ``macs``,
``count_parameters``, and :func:`chalkgrad.nn.summary.receptive_field`); the formulas are
checked against them (:meth:`~.steps.Solution.verify`), so they cannot disagree.
"""

from __future__ import annotations

from functools import partial

from .expr import Add, Call, Div, Mul, Num, Sub, Sym, add
from .steps import Solution, Step

__all__ = ["explain_architecture", "explain_receptive_field"]


class _Item:
    """One section of the walk: a layer (or a module shown as one row), a block's header, or an addition."""

    def __init__(self, kind: str, path: str, module=None, in_shape=None, out_shape=None):
        self.kind, self.path, self.module = kind, path, module
        self.in_shape, self.out_shape = in_shape, out_shape
        self.title = ""
        self.note = ""  # a sentence put first in the section intro (the branch a layer is on, a second use)
        self.macs = 0  # of the whole batch, from the layer's macs()
        self.params = 0
        self.shared_with = None  # for a module used again: the path of its first use (its parameters count there)
        self.unpool = None  # (pool path, spatial size) when a max-unpool restores the size its pool received


_ROW, _HEADER, _ADD = "layer", "header", "add"

#: What a layer may raise when tried on a shape it does not accept (while placing a side branch).
_TRIAL_ERRORS = (ArithmeticError, ValueError, TypeError, IndexError, NotImplementedError)


class _NotChained(Exception):
    """A module's main_path() and side branches do not give its own output shape, MACs or parameters."""


def _is_block(module) -> bool:
    from ..nn import Sequential

    return not isinstance(module, Sequential) and any(True for _ in module.children())


def _has_main_path(module) -> bool:
    return _is_block(module) and callable(getattr(module, "main_path", None))


class _Walk:
    """The model's layers in the order they are applied, each with the (batched) shape it receives.

    Sequential containers are chained. A module with children, a custom forward and ``main_path()`` is
    opened: a header, the main path's layers in order (a nested module with its own ``main_path()``, such
    as a ResNet block, is opened in turn), and each side branch (children main_path() leaves out, e.g. a
    shortcut ``downsample``) fed with the shape it accepts and whose result the main path can be added to,
    followed by the addition. Any other module is one row.
    """

    def __init__(self):
        from ..errors import ChalkgradError

        self.items: list[_Item] = []
        self.uses: dict = {}  # path -> times used (a module used twice gets path[2] the second time)
        self.first: dict = {}  # id(module) -> path of its first use
        self.pools: list = []  # (path, input shape) of max pools returning indices, for the unpools after them
        self.errors = (ChalkgradError,) + _TRIAL_ERRORS

    # -- state, so that a failed attempt (a branch tried on a shape, a block that does not chain) leaves no trace
    def _state(self):
        return len(self.items), dict(self.uses), dict(self.first), list(self.pools)

    def _restore(self, state):
        n, uses, first, pools = state
        del self.items[n:]
        self.uses, self.first, self.pools = dict(uses), dict(first), list(pools)

    def _name(self, path: str) -> str:
        n = self.uses.get(path, 0) + 1
        self.uses[path] = n
        return path if n == 1 else f"{path}[{n}]"

    def visit(self, module, path: str, shape: tuple) -> tuple:
        """Add the items of ``module`` fed with ``shape``; return its output shape."""
        from ..errors import ChalkgradError
        from ..nn import ModuleList, Sequential

        if isinstance(module, Sequential):
            for name, child in module._modules.items():
                if child is not None:
                    shape = self.visit(child, f"{path}.{name}" if path else name, shape)
            return shape
        if isinstance(module, ModuleList):
            raise _config(f"explain_architecture: '{path or 'model'}' is a ModuleList, whose order of use is not known")
        if _has_main_path(module):
            out = tuple(module.output_shape(shape))
            state = self._state()
            try:
                self._block(module, path, shape, out)
                return out
            except (_NotChained, ChalkgradError) as err:
                self._restore(state)
                out = self._row(module, path, shape)
                self.items[-1].note = f"shown as one row: its layers could not be followed from main_path() ({err})"
                return out
        return self._row(module, path, shape)

    def _row(self, module, path: str, shape: tuple) -> tuple:
        from ..nn.pooling import _MaxPool, _MaxUnpool

        unpool = None
        if isinstance(module, _MaxUnpool) and self.pools:
            # the forward passes the size the matching pool received (output_size), as SegNet does
            pool_path, pool_in = self.pools.pop()
            out = tuple(module.output_shape(shape, output_size=tuple(pool_in[2:])))
            unpool = (pool_path, tuple(pool_in[2:]))
        else:
            out = tuple(module.output_shape(shape))
        item = _Item(_ROW, self._name(path or type(module).__name__), module, shape, out)
        item.unpool = unpool
        if isinstance(module, _MaxPool) and getattr(module, "return_indices", False):
            self.pools.append((item.path, shape))
        item.macs = int(module.macs(shape))
        item.params = module.count_parameters()
        if id(module) in self.first:
            item.shared_with = self.first[id(module)]
            item.note = (f"the same module as {item.shared_with}, used again: its parameters are counted once, "
                         f"there")
        else:
            self.first[id(module)] = item.path
        self.items.append(item)
        return out

    def _block(self, module, path: str, shape: tuple, out: tuple) -> None:
        from ..nn import Module

        def full(rel):
            return f"{path}.{rel}" if path else rel

        names: dict = {}
        for n, m in module.named_modules():
            names.setdefault(id(m), n)
        start = len(self.items)
        header = _Item(_HEADER, path or type(module).__name__, module, shape, out)
        header.title = f"{path}: {type(module).__name__}" if path else type(module).__name__
        self.items.append(header)
        # (shape after each main-path step, where its items end, the step's path, its module)
        points = [(shape, len(self.items), None, None)]
        covered = {id(module)}
        main = list(module.main_path())
        k = 0
        while k < len(main):
            m = main[k]
            rel = names.get(id(m))
            if not rel:
                raise _NotChained(f"main_path() lists a {type(m).__name__} that is not one of its submodules")
            sub_rel, sub = self._enclosing_block(module, rel)
            if sub is not None:
                sub_main = list(sub.main_path())
                n = len(sub_main)
                if n and k + n <= len(main) and all(a is b for a, b in zip(sub_main, main[k:k + n])):
                    shape = self.visit(sub, full(sub_rel), shape)
                    covered.update(id(d) for d in sub.modules())
                    k += n
                    points.append((shape, len(self.items), full(sub_rel), sub))
                    continue
            before = len(self.items)
            shape = self.visit(m, full(rel), shape)
            covered.update(id(d) for d in m.modules())
            k += 1
            points.append((shape, len(self.items), self.items[-1].path if len(self.items) > before else full(rel), m))
        if shape != out:
            raise _NotChained(f"its main path gives {_fmt_shape(shape[1:])}, its output_shape "
                              f"{_fmt_shape(out[1:])}")
        branches = self._side_branches(module, covered)
        inserts = []
        described = []
        for rel, branch in branches:
            placed = self._place(branch, full(rel), points, path or type(module).__name__)
            if placed is None:
                raise _NotChained(f"its side branch '{full(rel)}' fits no point of the main path")
            inserts.append(placed[:2])
            described.append(placed[2])
        rf = module.receptive_field()
        if not branches and isinstance(rf, dict) and rf.get("residual"):
            if points[0][0] != points[-1][0]:
                raise _NotChained("an identity shortcut needs the main path to keep the input's shape")
            j, target = _join_point(points, 0, [len(points) - 1])
            add = _Item(_ADD, "", None, points[0][0], points[-1][0])
            add.title = f"{path or type(module).__name__}: main path + identity shortcut"
            shown = _fmt_shape(shape[1:])
            add.intro = (f"identity shortcut: the block's input {shown} is added to {target}, {shown}; "
                         f"the shapes agree, so the sum has shape {shown}; an addition is not a multiply-accumulate")
            inserts.append((points[j][1], [add]))
            described.append(f"an identity shortcut (the block's input is added to {target})")
        for pos in sorted({p for p, _ in inserts}, reverse=True):
            self.items[pos:pos] = [it for p, group in inserts if p == pos for it in group]
        rows = [it for it in self.items[start:] if it.kind == _ROW]
        if type(module).macs is not Module.macs:
            own = int(module.macs(points[0][0]))
            if sum(it.macs for it in rows) != own:
                raise _NotChained(f"its layers' MACs add up to {sum(it.macs for it in rows)}, its macs() gives {own}")
        params = sum(it.params for it in rows if it.shared_with is None)
        if params != module.count_parameters():
            raise _NotChained(f"its layers hold {params} parameters, the module {module.count_parameters()}")
        steps = [p[2][len(path) + 1:] if path and p[2].startswith(path + ".") else p[2] for p in points[1:]]
        chain = " → ".join(steps) if len(steps) <= 16 else f"{len(steps)} steps, {steps[0]} → … → {steps[-1]}"
        header.intro = (f"a module with its own forward, followed along its main_path(): {chain}"
                        + ("; " + "; ".join(described) if described else ""))

    @staticmethod
    def _enclosing_block(module, rel: str):
        """The outermost module strictly between ``module`` and the layer at ``rel`` that has its own main_path()."""
        parts = rel.split(".")
        for i in range(1, len(parts)):
            pre = ".".join(parts[:i])
            sub = module.get_submodule(pre)
            if _has_main_path(sub):
                return pre, sub
        return None, None

    @staticmethod
    def _side_branches(module, covered: set) -> list:
        """The submodules main_path() leaves out, each named by its outermost module left out (``downsample``)."""
        roots: list = []
        for n, m in module.named_modules():
            if id(m) in covered or any(True for _ in m.children()):
                continue
            parts = n.split(".")
            for i in range(1, len(parts) + 1):
                pre = ".".join(parts[:i])
                sub = module.get_submodule(pre)
                if not any(id(d) in covered for d in sub.modules()):
                    if all(pre != r for r, _ in roots):
                        roots.append((pre, sub))
                    break
        return roots

    def _place(self, branch, path: str, points: list, where: str):
        """Feed ``branch`` with the earliest main-path shape it accepts whose result the main path reaches later;
        it is added at the latest such point. Returns (position, items with the addition, description) or None."""
        for i in range(len(points) - 1):
            feed = points[i][0]
            state = self._state()
            try:
                b_out = tuple(self.visit(branch, path, feed))
            except self.errors:
                self._restore(state)
                continue
            later = [j for j in range(i + 1, len(points)) if points[j][0] == b_out]
            if not later:
                self._restore(state)
                continue
            j, target = _join_point(points, i, later)
            items = self.items[state[0]:]
            del self.items[state[0]:]
            if i == 0:
                note = f"shortcut branch: added to {target}"
                source = "the block's input"
            else:
                note = f"skip branch from the output of {points[i][2]}: added to {target}"
                source = f"the output of {points[i][2]}"
            for it in items:
                if it.kind == _ROW:
                    it.note = note + ("; " + it.note if it.note else "")
            add = _Item(_ADD, "", None, b_out, b_out)
            add.title = f"{where}: main path + {path}"
            shown = _fmt_shape(b_out[1:])
            add.intro = (f"{path} (fed with {source} {_fmt_shape(feed[1:])}) gives {shown}; {target} is "
                         f"{_fmt_shape(points[j][0][1:])}; the shapes agree, so the sum has shape {shown}; "
                         "an addition is not a multiply-accumulate")
            kind = "shortcut" if i == 0 else "skip"
            return points[j][1], items + [add], f"{kind} branch {path} (from {source}, added to {target})"
        return None


def _join_point(points: list, i: int, later: list):
    """The main-path point a branch fed at point ``i`` is added back at, and how to say so.

    The latest point of ``later`` (those with the branch's shape); when that is the end of the main path and
    its last step is an elementwise activation, the sum is taken before it, as ResNet's y = ReLU(F(x) + S(x)).
    """
    from ..nn.activation import _Activation

    j = later[-1]
    last = len(points) - 1
    if j == last and j - 1 > i and points[j - 1][0] == points[j][0] and isinstance(points[j][3], _Activation) \
            and points[j][3].count_parameters() == 0:
        return j - 1, f"the main path's output ahead of its final {type(points[j][3]).__name__} ({points[j][2]})"
    return j, "the main path's output" if j == last else f"the output of {points[j][2]}"


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
    Sequential containers are walked layer by layer. A module with a custom forward that lists its layers
    in ``main_path()`` (the model zoo's ResNet and its BasicBlocks, FCN, SegNet, the autoencoders) is opened
    the same way along that path, each layer named by its path in the model (``layer1.0.conv1``; a module
    used twice is ``layer1.0.relu[2]`` the second time); the children main_path() leaves out are side
    branches (a ResNet block's ``downsample``), explained in their own sections with the shape they are fed
    (the block's input for a shortcut), followed by the addition and its shape check. Any other module with
    children is one row with its own counts. Every value comes from the layers' own ``output_shape``,
    ``macs`` and ``count_parameters``, and a block is opened only when its layers reproduce its own.
    """
    shape = tuple(int(d) for d in input_size)
    sol = Solution(title or f"Architecture arithmetic for an input of shape {_fmt_shape(shape)}")
    sol.conventions.append("Shapes are per sample, as in PyTorch: (channels, height, width) for images, "
                           "(seq_len, features) for sequences; MACs count multiply-accumulates of one sample; "
                           "parameters count weights and biases. Per-layer quantities carry the layer's path: "
                           "H_out(3), params(3).")
    walk = _Walk()
    walk.visit(model, "", (batch_size,) + shape)
    if any(it.kind == _HEADER for it in walk.items):
        sol.conventions.append("Modules with their own forward are followed along their main_path(); layers they "
                               "leave out are side branches, each fed with the shape it receives and added back "
                               "to the main path.")
    total_params = []
    total_macs = []
    shared = False
    for item in walk.items:
        if item.kind != _ROW:
            intro = item.intro
            if item.kind == _HEADER:
                intro += f"; input {_fmt_shape(item.in_shape[1:])} → output {_fmt_shape(item.out_shape[1:])}"
            sol.section(item.title, intro)
            continue
        m = item.module
        path = item.path
        batched, out_batched = item.in_shape, item.out_shape
        intro = "; ".join(t for t in (item.note, m.extra_repr()) if t)
        sec = sol.section(f"{path}: {type(m).__name__}", intro)
        params = item.params
        macs = item.macs // batch_size
        explain = _EXPLAINERS.get(type(m).__name__) or _explainer_by_base(m)
        if item.unpool is not None and explain is _unpool:
            explain = partial(_unpool, source=item.unpool)
        if explain is not None:
            explain(sec, m, batched[1:], out_batched[1:], params, macs)
        else:  # a layer without a formula here: its own counts, stated as such
            sec.derive("params", Num(params), params, note="counted from the layer's parameters")
            sec.derive("MACs", Num(macs), macs, note="from the layer's macs()")
        sec.intro = (sec.intro + "; " if sec.intro else "") + \
            f"input {_fmt_shape(batched[1:])} → output {_fmt_shape(out_batched[1:])}"
        _rename_totals(sec, path)
        for st in sec.steps:
            if not st.hidden and st.name.split("(")[0] in _ANSWERS:
                st.answer = True
        if item.shared_with is None:
            total_params.append(Sym(f"params({path})"))
        else:
            shared = shared or params > 0
        total_macs.append(Sym(f"MACs({path})"))
        _ensure(sec, f"params({path})", params)
        _ensure(sec, f"MACs({path})", macs)
    values = sol.values()
    total_params = [t for t in total_params if values[t.name]] or [Num(0)]
    total_macs = [t for t in total_macs if values[t.name]] or [Num(0)]
    note = "layers without parameters or MACs add nothing and are left out of the sums"
    if shared:
        note += "; a module used twice has its parameters counted once"
    tot = sol.section("Totals", note)
    tot.derive("total parameters", add(*total_params), model.count_parameters(), answer=True)
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


def _unpool(sec, m, in_shape, out_shape, params, macs, source=None):
    """H_out = (H_in − 1)·s − 2·p + k, or the size the matching max pool received (the forward's output_size)."""
    n = len(m.kernel_size)
    dims = _spatial_names(n)
    for i, dim in enumerate(dims):
        sfx = "" if n == 1 or len({(m.kernel_size[j], m.stride[j], m.padding[j]) for j in range(n)}) == 1 \
            else f"_{dim.lower()}"
        k, s, p = f"k{sfx}", f"s{sfx}", f"p{sfx}"
        _hidden(sec, f"{dim}_in", in_shape[1 + i])
        _hidden(sec, k, m.kernel_size[i])
        _hidden(sec, s, m.stride[i])
        _hidden(sec, p, m.padding[i])
        formula = add(Mul([Sub(Sym(f"{dim}_in"), Num(1)), Sym(s)]), Mul([Num(-2), Sym(p)]), Sym(k))
        values = {st.name: st.value for st in sec.steps}
        if source is not None and formula.evaluate(values) != out_shape[1 + i]:
            size = f"{dim}_in({source[0]})"
            sec.given(size, source[1][i], note=f"what {source[0]} received; the forward passes it as output_size")
            sec.derive(f"{dim}_out", Sym(size), out_shape[1 + i],
                       note=f"({dim}_in − 1)·s − 2·p + k = {int(formula.evaluate(values))} would not restore the size "
                            "before the pool")
        else:
            sec.derive(f"{dim}_out", formula, out_shape[1 + i],
                       note=f"each value goes back where {source[0]} found it" if source is not None else "")
    sec.derive("params", Num(0), 0, note="unpooling has no weights")
    sec.derive("MACs", Num(0), 0, note="values are placed, not multiplied")


_EXPLAINERS = {
    "Conv1d": _conv, "Conv2d": _conv, "ConvTranspose1d": _conv, "ConvTranspose2d": _conv,
    "MaxPool1d": _pool, "MaxPool2d": _pool, "AvgPool1d": _pool, "AvgPool2d": _pool,
    "MaxUnpool1d": _unpool, "MaxUnpool2d": _unpool,
    "Linear": _linear, "Flatten": _flatten,
    "BatchNorm1d": _batchnorm, "BatchNorm2d": _batchnorm,
    "RNN": _recurrent, "LSTM": _recurrent, "GRU": _recurrent, "Embedding": _embedding,
}


def _explainer_by_base(m):
    params = m.count_parameters()
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
        if row.type.startswith(("ConvTranspose", "MaxUnpool")):
            kind = "max unpooling" if row.type.startswith("MaxUnpool") else "transposed convolution"
            sec.derive(f"r_{i}", Num(row.size[0]), row.size[0], answer=True,
                       note=f"{kind}: it upsamples by s; outputs are j/s apart")
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
