"""Architecture arithmetic: ``summary(model, input_size)`` and ``receptive_field(model, input_size)``.

Where every module answers ``output_shape`` and ``macs`` from an input shape (every chalkgrad layer
and zoo model does), nothing is run and no activation is allocated. The same validation as
``forward`` happens here, so a layer that would reject its input raises an error naming its path
(``'features.3'``), the shape it received and the constraint.

How the module tree is walked:

* ``Sequential`` containers are chained: each child gets the previous child's output shape.
* A module without children is a layer: one row from its ``output_shape``/``macs``/parameters.
* A module with children and a custom ``forward`` that defines ``output_shape``: if its children,
  chained in registration order, give that output shape (and its ``macs``, when defined), and it does
  not define its own ``receptive_field`` (as blocks with a skip connection do), it is shown like a
  Sequential. Otherwise it is one row (a *block*), counted by its own ``output_shape``/``macs``; its
  descendants are listed under it (kind ``'inner'``, not added to the totals) with the shapes they see:
  along its ``main_path()`` (the zoo's residual blocks; a side branch such as a shortcut gets the first
  shape on the path from which it reaches a later one), else from a traced forward pass.
  A block that does not define ``macs`` shows ``--`` and is left out of the MACs total (a note says so).
* A module that does not define ``output_shape`` (a custom model or block) is measured by running the
  model once on zeros of ``input_size`` (as torchinfo does: hooks on every module, evaluation mode, no
  gradient; see :mod:`chalkgrad.nn.shape_trace`). It is shown like a container, its children below it
  with the shapes of their first call; a layer's MACs (its static ``macs`` at each call's input) add up
  every call, so a layer applied twice counts twice. A module forward never calls shows ``--``.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import asdict, dataclass, field

import numpy as np

from ..errors import ChalkgradError, ConfigError, DTypeError, ShapeError
from ..tensor import canonical_dtype
from .containers import Sequential
from .module import Module

__all__ = ["summary", "Summary", "LayerRow", "receptive_field", "ReceptiveField", "ReceptiveFieldRow"]

_MB = 1e6  # "MB" in the tables are 10⁶ bytes, as torchinfo


# ----------------------------------------------------------------------------- helpers
def _fmt_shape(shape) -> str:
    return "--" if shape is None else "[" + ", ".join(str(s) for s in shape) + "]"


def _fmt_int(n) -> str:
    return "--" if n is None else f"{n:,}"


def _fmt_macs(n: int) -> str:
    for unit, scale in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if n >= scale:
            return f"{n / scale:.2f} {unit}"
    return str(n)


def _tabulate(body, headers, colalign=None) -> str:
    """tabulate with leading whitespace kept (it indents the layer tree)."""
    import tabulate as tabulate_module  # imported here: it costs ~0.1 s, and only tables need it
    from tabulate import tabulate

    try:  # tabulate >= 0.10 takes a keyword; 0.9 reads a module-level flag
        return tabulate(body, headers=headers, disable_numparse=True, colalign=colalign, preserve_whitespace=True)
    except TypeError:
        pass
    keep = tabulate_module.PRESERVE_WHITESPACE
    tabulate_module.PRESERVE_WHITESPACE = True
    try:
        return tabulate(body, headers=headers, disable_numparse=True, colalign=colalign)
    finally:
        tabulate_module.PRESERVE_WHITESPACE = keep


def _tree_prefixes(depths: list[int]) -> list[str]:
    """Tree-drawing prefixes ("├─", "└─", "│  ") for rows listed depth-first with these depths."""
    out = []
    for i, d in enumerate(depths):
        parts = []
        for level in range(1, d + 1):
            # Does a later row continue this level (a sibling at `level` before any shallower row)?
            more = False
            for later in depths[i + 1:]:
                if later < level:
                    break
                if later == level:
                    more = True
                    break
            if level == d:
                parts.append("├─" if more else "└─")
            else:
                parts.append("│  " if more else "   ")
        out.append("".join(parts))
    return out


def _static(method: str, module: Module, path: str, shape: tuple, *, op: str = "summary"):
    """``module.<method>(shape)``, its errors re-raised with the layer path and the shape received."""
    where = f"layer '{path}'" if path else "the model"
    try:
        return getattr(module, method)(shape)
    except NotImplementedError as err:
        raise ConfigError(f"{op}: {where} ({type(module).__name__}) does not define {method}(input_shape); a module "
                          "with a custom forward must define output_shape (usually by composing its children's) "
                          "so that shapes can be computed without running it") from err
    except ChalkgradError as err:
        try:
            new = type(err)(f"{op}: {where} ({type(module).__name__}) received an input of shape {shape}: {err}")
        except TypeError:  # an error class with another constructor: keep it as it is
            raise err from None
        raise new from err


def _resolve_input(input_size, batch_size, op: str) -> tuple:
    if input_size is None:
        raise ConfigError(f"{op}: input_size is required, e.g. (1, 3, 224, 224) (batch included), "
                          "or (3, 224, 224) with batch_size=1")
    if isinstance(input_size, (int, np.integer)):
        input_size = (input_size,)
    input_size = tuple(input_size)
    if input_size and isinstance(input_size[0], (tuple, list)):
        raise ConfigError(f"{op}: models with several inputs are not supported, got input_size {input_size}")
    try:
        shape = tuple(int(s) for s in input_size)
    except (TypeError, ValueError):
        raise ConfigError(f"{op}: input_size must be a tuple of integers, got {input_size!r}") from None
    if batch_size is not None:
        if int(batch_size) <= 0:
            raise ConfigError(f"{op}: batch_size must be positive, got {batch_size}")
        shape = (int(batch_size),) + shape
    if not shape or any(s <= 0 for s in shape):
        raise ConfigError(f"{op}: input_size must be a non-empty tuple of positive sizes, got {shape}")
    return shape


def _count(module: Module) -> tuple[int, int]:
    """(parameters, trainable parameters) of ``module`` and its descendants, shared ones once."""
    total = trainable = 0
    for p in module.parameters():
        n = p.numel()
        total += n
        if p.requires_grad:
            trainable += n
    return total, trainable


def _is_block(module: Module) -> bool:
    return not isinstance(module, Sequential) and any(True for _ in module.children())


# ----------------------------------------------------------------------------- summary
@dataclass
class LayerRow:
    """One row of a summary.

    ``kind``: ``'container'`` (a Sequential, a custom module whose children, chained in registration
    order, give its output shape and MACs, or a traced custom module: its children are shown with shapes),
    ``'layer'`` (no children), ``'block'`` (children and a custom forward, one row from its own
    output_shape) or ``'inner'`` (a descendant of a block: shapes and MACs where its ``main_path()`` or a
    traced run gives them, else parameters only; never added to the totals).
    ``params`` counts the module's and its descendants' parameters; ``macs`` is None when unknown.
    """

    path: str
    type: str
    depth: int
    kind: str
    input_shape: tuple | None
    output_shape: tuple | None
    params: int
    trainable_params: int
    macs: int | None

    @property
    def non_trainable_params(self) -> int:
        return self.params - self.trainable_params


@dataclass
class Summary:
    """What :func:`summary` returns: the rows (as data), the totals, and ``str()`` as a table.

    Counting conventions: ``trainable_params`` are parameters with ``requires_grad``;
    ``non_trainable_params`` are frozen parameters only (as torchinfo). Buffers such as
    BatchNorm's running mean/variance are counted apart in ``buffer_elements`` (Keras would
    count them as non-trainable parameters). Memory: ``activation_bytes`` sums the output
    sizes of the layers and blocks (not containers) × the itemsize of ``dtype``;
    ``param_bytes``/``buffer_bytes`` use each tensor's own dtype.
    """

    model_name: str
    input_size: tuple
    output_size: tuple
    dtype: str
    depth: int
    rows: list[LayerRow]
    total_params: int
    trainable_params: int
    non_trainable_params: int
    buffer_elements: int
    total_macs: int
    input_bytes: int
    activation_bytes: int
    param_bytes: int
    buffer_bytes: int
    notes: list[str] = field(default_factory=list)

    @property
    def total_bytes(self) -> int:
        """Estimated memory of one forward pass: input + activations + parameters + buffers."""
        return self.input_bytes + self.activation_bytes + self.param_bytes + self.buffer_bytes

    def as_dicts(self) -> list[dict]:
        """The rows as plain dicts (for JSON, pandas or the worked-solution explainer)."""
        return [asdict(r) for r in self.rows]

    def cells(self) -> tuple[list[str], list[list[str]]]:
        """(headers, rows) of the layer table as formatted strings, the layer names without tree prefixes."""
        body = []
        for r in self.rows:
            params = _fmt_int(r.params)
            if r.non_trainable_params and r.params:
                params += f" ({r.non_trainable_params:,} frozen)" if r.trainable_params else " (frozen)"
            body.append([f"{r.path}: {r.type}" if r.path else r.type, _fmt_shape(r.input_shape),
                         _fmt_shape(r.output_shape), params, _fmt_int(r.macs)])
        return ["Layer (path: type)", "Input shape", "Output shape", "Param #", "MACs"], body

    def table(self) -> str:
        """The layer table alone."""
        headers, body = self.cells()
        for row, prefix in zip(body, _tree_prefixes([r.depth for r in self.rows])):
            row[0] = prefix + row[0]
        return _tabulate(body, headers=headers, colalign=("left", "left", "left", "right", "right"))

    def totals(self) -> list[list[str]]:
        """The lines under the table, in groups: parameters and MACs; memory; notes."""
        counts = [f"Total params: {self.total_params:,}",
                  f"Trainable params: {self.trainable_params:,}",
                  f"Non-trainable params: {self.non_trainable_params:,} (frozen parameters)"]
        if self.buffer_elements:
            counts.append(f"Buffers: {self.buffer_elements:,} (running statistics; not parameters here, "
                          "Keras counts them as non-trainable params)")
        counts.append(f"Total MACs: {self.total_macs:,} ({_fmt_macs(self.total_macs)})")
        memory = [f"Input size (MB): {self.input_bytes / _MB:.2f}",
                  f"Forward pass activations (MB): {self.activation_bytes / _MB:.2f}",
                  f"Params size (MB): {self.param_bytes / _MB:.2f}"]
        if self.buffer_bytes:
            memory.append(f"Buffers size (MB): {self.buffer_bytes / _MB:.2f}")
        memory.append(f"Estimated total size (MB): {self.total_bytes / _MB:.2f}")
        return [counts, memory, [f"Note: {n}" for n in self.notes]]

    def __str__(self) -> str:
        table = self.table()
        rule = "=" * max(len(line) for line in table.splitlines())
        counts, memory, notes = self.totals()
        return "\n".join([rule, table, rule, *counts, rule, *memory, rule, *notes])

    def __repr__(self) -> str:
        return str(self)


def _has_static_shape(module: Module) -> bool:
    return isinstance(module, Sequential) or type(module).output_shape is not Module.output_shape


class _Trace:
    """The module calls of one forward pass of the whole model, run the first time they are asked for."""

    def __init__(self, model: Module, input_shape: tuple) -> None:
        self.model, self.input_shape = model, input_shape
        self._calls = None

    def calls_of(self, module: Module) -> list:
        if self._calls is None:
            from .shape_trace import trace_calls

            self._calls = trace_calls(self.model, self.input_shape)
        return [c for c in self._calls if c.module is module]


class _Walker:
    def __init__(self, itemsize: int, trace: _Trace | None = None) -> None:
        self.rows: list[LayerRow] = []
        self.activations = 0
        self.itemsize = itemsize
        self.notes: list[str] = []
        self.trace = trace

    def row(self, module, path, depth, kind, shape, out, macs) -> LayerRow:
        total, trainable = _count(module)
        r = LayerRow(path, type(module).__name__, depth, kind, shape, out, total, trainable, macs)
        self.rows.append(r)
        return r

    def visit(self, module: Module, path: str, depth: int, shape: tuple):
        """Add the rows of ``module`` for an input of ``shape``; return (output shape, MACs or None)."""
        if isinstance(module, Sequential):
            r = self.row(module, path, depth, "container", shape, None, None)
            out, macs = shape, 0
            for name, child in module._modules.items():
                if child is None:
                    continue
                out, m = self.visit(child, f"{path}.{name}" if path else name, depth + 1, out)
                macs = None if macs is None or m is None else macs + m
            r.output_shape, r.macs = out, macs
            return out, macs
        if not _has_static_shape(module) and self.trace is not None:
            return self.traced(module, path, depth)
        out = tuple(_static("output_shape", module, path, shape))
        block = _is_block(module)
        if block and type(module).receptive_field is Module.receptive_field:
            composed = self.compose(module, path, depth, shape, out)
            if composed is not None:
                return composed
        if block and type(module).macs is Module.macs:
            macs = None
            self.notes.append(f"'{path or type(module).__name__}' ({type(module).__name__}) defines no macs(); "
                              "its MACs are not in the total")
        else:
            macs = int(_static("macs", module, path, shape))
        self.activations += math.prod(out) * self.itemsize
        self.row(module, path, depth, "block" if block else "layer", shape, out, macs)
        if block:
            self.open_block(module, path, depth + 1, shape, out)
        return out, macs

    def traced(self, module: Module, path: str, depth: int, parent_calls: int = 1):
        """Rows for ``module`` from the traced forward pass: (output shape of its first call, MACs of all calls).

        A module called once that has static arithmetic is walked statically from the input it received.
        A layer's MACs add up every call (a layer applied twice computes twice); a module with children is
        shown like a container: its children below it, its MACs theirs.
        """
        calls = self.trace.calls_of(module)
        name = path or type(module).__name__
        if not calls:
            self.row(module, path, depth, "inner", None, None, None)
            self.inner(module, path, depth + 1)
            self.notes.append(f"'{name}' ({type(module).__name__}) is not called by the forward pass")
            return None, 0
        first = calls[0]
        if len(calls) == 1 and _has_static_shape(module):
            return self.visit(module, path, depth, first.input_shape)
        if len(calls) > parent_calls:
            self.notes.append(f"'{name}' is called {len(calls)} times; its row shows the first call's shapes, "
                              "its MACs count every call")
        if not _is_block(module):
            macs = sum(int(_static("macs", module, path, c.input_shape)) for c in calls)
            self.activations += sum(math.prod(c.output_shape or ()) for c in calls) * self.itemsize
            self.row(module, path, depth, "layer", first.input_shape, first.output_shape, macs)
            return first.output_shape, macs
        r = self.row(module, path, depth, "container", first.input_shape, first.output_shape, 0)
        for child_name, child in module.named_children():
            _, m = self.traced(child, f"{path}.{child_name}" if path else child_name, depth + 1, len(calls))
            r.macs = None if r.macs is None or m is None else r.macs + m
        return first.output_shape, r.macs

    def open_block(self, module: Module, path: str, depth: int, shape: tuple, out: tuple) -> None:
        """Rows (kind ``'inner'``, not in the totals) for the descendants of a block with the shapes they see:
        along its ``main_path()`` when it lists one, else from the traced forward pass; without either,
        parameters only."""
        sub = _Walker(self.itemsize, self.trace)
        try:
            if callable(getattr(module, "main_path", None)):
                sub.along_main_path(module, path, depth, shape, out)
            elif self.trace is not None and self.trace.calls_of(module):
                for name, child in module.named_children():
                    sub.traced(child, f"{path}.{name}" if path else name, depth)
            else:
                raise ConfigError("no shapes")
        except _TRIAL_ERRORS:
            self.inner(module, path, depth)
            return
        for r in sub.rows:
            r.kind = "inner"
        self.rows.extend(sub.rows)

    def along_main_path(self, module: Module, path: str, depth: int, shape: tuple, out: tuple) -> None:
        """Rows for the children of ``module``: those on ``main_path()`` get the shape the path brings them
        (their first use); a side branch (a shortcut) the first shape on the path, the block's input first,
        from which it reaches a shape the path reaches later."""
        inputs: dict[int, tuple] = {}
        chain = [shape]
        for m in module.main_path():
            inputs.setdefault(id(m), chain[-1])
            chain.append(tuple(m.output_shape(chain[-1])))

        def branch_input(child):
            for i, s in enumerate(chain):
                try:
                    o = tuple(child.output_shape(s))
                except _TRIAL_ERRORS:
                    continue
                if o == out or o in chain[i + 1:]:
                    return s
            return None

        def place(parent: Module, parent_path: str, d: int) -> None:
            for name, child in parent.named_children():
                p = f"{parent_path}.{name}" if parent_path else name
                if id(child) in inputs:
                    self.visit(child, p, d, inputs[id(child)])
                elif (first := next((inputs[id(m)] for m in child.modules() if id(m) in inputs), None)) is not None:
                    # A container of main-path layers: walked from the input of its first one, if that works.
                    trial = _Walker(self.itemsize, self.trace)
                    try:
                        trial.visit(child, p, d, first)
                    except _TRIAL_ERRORS:
                        self.row(child, p, d, "inner", None, None, None)
                        place(child, p, d + 1)
                    else:
                        self.rows.extend(trial.rows)
                elif (s := branch_input(child)) is not None:
                    self.visit(child, p, d, s)
                else:
                    self.row(child, p, d, "inner", None, None, None)
                    self.inner(child, p, d + 1)

        place(module, path, depth)

    def compose(self, module: Module, path: str, depth: int, shape: tuple, out: tuple):
        """Rows for a custom module whose children, chained in registration order, give its output shape
        (and its MACs, when it defines them): it is shown like a Sequential. None if they do not.

        A child that rejects an (N, C, *spatial) input but accepts it flattened gets it flattened
        (a ``flatten`` call in forward before a classifier); a note says so.
        """
        sub = _Walker(self.itemsize, self.trace)
        s, macs, flattened = shape, 0, []
        for name, child in module.named_children():
            p = f"{path}.{name}" if path else name
            try:
                s, m = sub.visit(child, p, depth + 1, s)
            except _TRIAL_ERRORS:
                if len(s) <= 2:
                    return None
                s = (s[0], math.prod(s[1:]))
                try:
                    s, m = sub.visit(child, p, depth + 1, s)
                except _TRIAL_ERRORS:
                    return None
                flattened.append(p)
            macs = None if macs is None or m is None else macs + m
        if s != out:
            return None
        if type(module).macs is not Module.macs:
            own = int(_static("macs", module, path, shape))
            if own != macs:
                return None
        r = self.row(module, path, depth, "container", shape, out, macs)
        self.rows.extend(sub.rows)
        self.activations += sub.activations
        self.notes += sub.notes
        self.notes += [f"'{p}' receives its input flattened (a flatten in {type(module).__name__}.forward is "
                       "assumed)" for p in flattened]
        return out, r.macs

    def inner(self, module: Module, path: str, depth: int) -> None:
        for name, child in module.named_children():
            p = f"{path}.{name}" if path else name
            self.row(child, p, depth, "inner", None, None, None)
            self.inner(child, p, depth + 1)


def summary(model: Module, input_size=None, *, batch_size: int | None = None, dtype="float32",
            depth: int = 3, verbose: bool = False) -> Summary:
    """A table of the layers of ``model`` for one input: path and type, input and output shapes,
    parameters, MACs, and totals (parameters, MACs, memory estimates). Computed from shapes only where
    every module defines ``output_shape``; otherwise from one traced forward pass on zeros (see above).

    ``input_size`` includes the batch dimension, as torchinfo: ``summary(model, (1, 3, 224, 224))``;
    or give the per-sample shape and ``batch_size``: ``summary(model, (3, 224, 224), batch_size=1)``.
    ``dtype`` sets the bytes per activation element. ``depth`` limits the rows shown (the model is
    depth 0); the totals always cover the whole model.
    ``print(summary(...))`` (or ``verbose=True``) prints the table; the returned :class:`Summary`
    also holds the rows as data.
    """
    if not isinstance(model, Module):
        raise DTypeError(f"summary: expected a Module, got {type(model).__name__}")
    shape = _resolve_input(input_size, batch_size, "summary")
    dt = canonical_dtype(dtype)
    walker = _Walker(dt.itemsize, _Trace(model, shape))
    out, macs = walker.visit(model, "", 0, shape)
    total, trainable = _count(model)
    buffers = [b for b in model.buffers()]
    param_bytes = sum(p.numel() * p.dtype.itemsize for p in model.parameters())
    result = Summary(
        model_name=type(model).__name__, input_size=shape, output_size=out, dtype=str(dt), depth=depth,
        rows=[r for r in walker.rows if r.depth <= depth],
        total_params=total, trainable_params=trainable, non_trainable_params=total - trainable,
        buffer_elements=sum(b.numel() for b in buffers if b.dtype.kind == "f"),
        total_macs=sum(r.macs for r in walker.rows if r.kind in ("layer", "block") and r.macs is not None),
        input_bytes=math.prod(shape) * dt.itemsize, activation_bytes=walker.activations,
        param_bytes=int(param_bytes), buffer_bytes=int(sum(b.numel() * b.dtype.itemsize for b in buffers)),
        notes=walker.notes,
    )
    if verbose:
        print(result)
    return result


# ----------------------------------------------------------------------------- receptive field
@dataclass
class ReceptiveFieldRow:
    """One layer of the receptive-field recurrence, per spatial dim (tuples).

    ``kernel``/``stride``/``padding``/``dilation`` are None for pointwise layers (k = 1, s = 1).
    ``size`` r, ``jump`` j (the distance in input pixels between neighbouring outputs, the
    effective stride) and ``start`` (the input coordinate of the centre of the first output's
    field; pixel centres are at 0, 1, 2, ...) after this layer. ``is_global``: the layer mixes
    every position, the field is the whole input.
    """

    path: str
    type: str
    output_shape: tuple | None
    kernel: tuple | None
    stride: tuple | None
    padding: tuple | None
    dilation: tuple | None
    size: tuple | None
    jump: tuple | None
    start: tuple | None
    is_global: bool = False


@dataclass
class ReceptiveField:
    """What :func:`receptive_field` returns: rows (data), the final ``size``/``jump``/``start``,
    and ``str()`` as a table. ``branched`` is True when the model has modules with several paths
    (residual or parallel branches); then the rows follow the path with the largest field
    (the main branch) and ``note`` says which blocks were reduced that way.

    How branches are found from shapes: the main path is the largest subset of the block's
    children, in registration order, that chains from the block's input shape to its output
    shape (a block without a shortcut module keeps all of them; a ResNet block leaves out its
    ``downsample``). Each other child starts a branch from the block's input if it accepts
    that shape, else extends the latest branch it fits. When no subset reaches the output shape
    (e.g. concatenated branches), all children are placed that way. The rows follow the path with the largest field.
    """

    input_size: tuple | None
    rows: list[ReceptiveFieldRow]
    size: tuple | None
    jump: tuple
    start: tuple | None
    branched: bool = False
    note: str = ""

    def cells(self) -> tuple[list[str], list[list[str]]]:
        """(headers, rows) of the table as formatted strings."""
        def dims(t, sep="x"):
            if t is None:
                return "--"
            return sep.join(f"{v:g}" if isinstance(v, float) else str(v) for v in t)

        body = [[f"{r.path}: {r.type}" if r.path else r.type, _fmt_shape(r.output_shape), dims(r.kernel),
                 dims(r.stride), dims(r.padding), dims(r.dilation),
                 ("global " + dims(r.size)).strip() if r.is_global and r.size is not None else
                 ("global" if r.is_global else dims(r.size)), dims(r.jump), dims(r.start, ", ")]
                for r in self.rows]
        return ["Layer (path: type)", "Output shape", "Kernel", "Stride", "Padding", "Dilation", "Field size r",
                "Jump j", "Start"], body

    def table(self) -> str:
        headers, body = self.cells()
        return _tabulate(body, headers=headers)

    def totals(self) -> list[str]:
        """The lines under the table: the final field, and the note on branches."""
        fmt = ("global" if self.size is None else "x".join(str(v) for v in self.size))
        lines = [f"Receptive field: {fmt}  (jump {'x'.join(f'{v:g}' for v in self.jump)})"]
        if self.note:
            lines.append(f"Note: {self.note}")
        return lines

    def __str__(self) -> str:
        return "\n".join([self.table(), *self.totals()])

    def __repr__(self) -> str:
        return str(self)


def _per_dim(value, nd: int, name: str, path: str, module: Module) -> tuple:
    if isinstance(value, (int, np.integer, float)):
        return (value,) * nd
    value = tuple(value)
    if len(value) != nd:
        raise ShapeError(f"receptive_field: layer '{path}' ({type(module).__name__}) gives {name} {value} for "
                         f"{len(value)} spatial dims, but the input has {nd}")
    return value


def _mark_branched(ctx: dict, module: Module, path: str, skipped=()) -> None:
    name = path or type(module).__name__
    if name not in ctx["branched"]:
        ctx["branched"].append(name)
    for p in skipped:
        if p not in ctx["skipped"]:
            ctx["skipped"].append(p)


#: What a layer may raise when tried on a shape it does not accept (while searching for branches).
_TRIAL_ERRORS = (ChalkgradError, NotImplementedError, ValueError, TypeError, IndexError)


def _try_chain(children, shape, ctx, flatten: bool = True):
    """(layers, output shape) of ``children`` chained from ``shape``, or None if one rejects its input.

    With ``flatten``, a child that rejects an (N, C, *spatial) shape but accepts it flattened to
    (N, C·∏spatial) gets it flattened: a ``flatten`` call in forward (before a classifier) is assumed.
    """
    layers: list = []
    for p, child in children:
        trial: list = []
        try:
            new = _flatten_chain(child, p, shape, trial, ctx)
        except _TRIAL_ERRORS:
            if not (flatten and shape is not None and len(shape) > 2):
                return None
            trial = []
            try:
                new = _flatten_chain(child, p, (shape[0], math.prod(shape[1:])), trial, ctx)
            except _TRIAL_ERRORS:
                return None
        layers += trial
        shape = new
    return layers, shape


def _main_chain(children, shape, block_out, ctx, max_children: int = 10):
    """The largest subset of ``children`` (kept in order) that chains from ``shape`` to ``block_out``.

    Returns (chosen indices, layers), or None when no subset does (e.g. branches that are concatenated).
    Subsets are tried from the largest down, so a block whose children all chain (no shortcut module)
    keeps them all, and a ResNet block leaves out exactly its ``downsample``.
    """
    n = len(children)
    for size in range(n, max(n - max_children, 0), -1):
        for chosen in itertools.combinations(range(n), size):
            trial = _try_chain([children[i] for i in chosen], shape, ctx)
            if trial is not None and trial[1] == block_out:
                return set(chosen), trial[0]
    return None


def _follow_main_path(module: Module, path: str, shape, out: list, ctx: dict):
    """Chain the layers a module lists in ``main_path()``; the modules it leaves out are side branches."""
    names = {id(m): n for n, m in module.named_modules(prefix=path)}
    covered = set()
    for m in module.main_path():
        covered.update(id(d) for d in m.modules())
        shape = _flatten_chain(m, names.get(id(m), type(m).__name__), shape, out, ctx)
    skipped = [n for n, m in module.named_modules(prefix=path) if id(m) not in covered and m is not module
               and not any(True for _ in m.children()) and (any(True for _ in m.parameters())
                                                            or m.receptive_field() is not None)]
    # A left-out leaf's enclosing module names the branch (e.g. 'layer2.0.downsample', not its '.0').
    branches = []
    for n in skipped:
        parent = n.rpartition(".")[0]
        name = parent if parent and parent != path and id(module.get_submodule(
            parent[len(path) + 1:] if path else parent)) not in covered else n
        if name not in branches:
            branches.append(name)
    rf = module.receptive_field()
    if branches or (isinstance(rf, dict) and rf.get("residual")):
        _mark_branched(ctx, module, path, branches)
    return shape


def _flatten_chain(module: Module, path: str, shape, out: list, ctx: dict):
    """Append (path, module, input shape, output shape) for the layers along ``module``; return the output shape.

    Sequential: its children in order. A module listing its layers in ``main_path()`` (as the model zoo
    does): those layers. A module without children, or one defining its own ``receptive_field()``: one
    row. Any other module with children: its branches are found from shapes (see :class:`ReceptiveField`).
    """
    if isinstance(module, Sequential):
        for name, child in module._modules.items():
            if child is not None:
                shape = _flatten_chain(child, f"{path}.{name}" if path else name, shape, out, ctx)
        return shape
    block_out = None if shape is None else tuple(_static("output_shape", module, path, shape, op="receptive_field"))
    if _is_block(module) and callable(getattr(module, "main_path", None)):
        _follow_main_path(module, path, shape, out, ctx)
        return block_out
    own_rf = type(module).receptive_field is not Module.receptive_field
    if not _is_block(module) or own_rf:
        rf = module.receptive_field() if own_rf else None
        if isinstance(rf, dict) and rf.get("residual"):
            _mark_branched(ctx, module, path)
        out.append((path, module, shape, block_out))
        return block_out
    # A module with children and a custom forward: find its branches from shapes.
    if shape is None:
        raise ConfigError(f"receptive_field: '{path or type(module).__name__}' ({type(module).__name__}) has a "
                          "custom forward; give input_size so that its branches can be found from shapes")
    children = [(f"{path}.{name}" if path else name, child) for name, child in module.named_children()]
    paths: list[tuple[list, tuple]] = []  # (layers, current shape)
    rest = children
    main = _main_chain(children, shape, block_out, ctx)
    if main is not None:
        chosen, layers = main
        paths.append((layers, block_out))
        rest = [c for i, c in enumerate(children) if i not in chosen]
    first = len(paths)  # the main path, when found, is complete: the others are side branches
    for p, child in rest:
        # A windowed child that fits the block's input starts a branch there; a pointwise one
        # (norm, activation) and one that does not fit the input extend the latest branch they fit.
        tries = [(i, paths[i][1]) for i in range(len(paths) - 1, first - 1, -1)]
        tries = [(None, shape)] + tries if _window_like(child) or not tries else tries + [(None, shape)]
        for i, s in tries:
            trial = _try_chain([(p, child)], s, ctx, flatten=i is not None)
            if trial is None:
                continue
            if i is None:
                paths.append(trial)
            else:
                paths[i] = (paths[i][0] + trial[0], trial[1])
            break
    nd = ctx["nd"]
    best, best_size = [], -1.0
    for layers, _ in paths:
        r = _run_recurrence(layers, None, nd)[1]
        size = math.prod(r) if r is not None else math.inf
        if size > best_size:
            best, best_size = layers, size
    followed = {e[0] for e in best}
    skipped = [c for c, _ in children if not any(f == c or f.startswith(c + ".") for f in followed)]
    _mark_branched(ctx, module, path, skipped)  # its forward may add a skip connection we cannot see
    out.extend(best)
    return block_out


def _window_like(module: Module) -> bool:
    """Does ``module`` (or a descendant) mix neighbouring positions (a non-None receptive_field)?"""
    return any(m.receptive_field() is not None for m in module.modules())


def _num(v):
    """An integral float as an int (sizes and jumps print as 8, not 8.0)."""
    return int(v) if float(v).is_integer() else float(v)


def _run_recurrence(layers, input_size, nd: int):
    """Rows and the final (size, jump, start) for a chain of (path, module, output shape)."""
    spatial = tuple(input_size[2:]) if input_size is not None and len(input_size) - 2 == nd else None
    r, j, start = (1,) * nd, (1,) * nd, (0.0,) * nd
    is_global = False
    rows = []
    for path, module, inp, out in layers:
        rf = module.receptive_field()
        k = s = p = d = None
        lost = out is not None and len(out) < 2 + nd and nd > 0
        if rf == "global" and not is_global and not lost and inp is not None and out is not None:
            # Adaptive pooling from n to m positions with m dividing n (m > 1) is a pool with k = s = n/m.
            n_in, n_out = inp[len(inp) - nd:], out[len(out) - nd:]
            if all(o > 0 and i % o == 0 for i, o in zip(n_in, n_out)) and any(o > 1 for o in n_out):
                rf = {"kernel": tuple(i // o for i, o in zip(n_in, n_out)),
                      "stride": tuple(i // o for i, o in zip(n_in, n_out))}
        if rf == "global" or lost or is_global:
            is_global = True
            if spatial is not None:
                r, j, start = spatial, spatial, tuple((n - 1) / 2 for n in spatial)
            else:
                r, start = None, None
        elif rf is not None:
            k = _per_dim(rf["kernel"], nd, "kernel", path, module)
            s = _per_dim(rf.get("stride", 1), nd, "stride", path, module)
            d = _per_dim(rf.get("dilation", 1), nd, "dilation", path, module)
            pad = rf.get("padding", 0)
            if isinstance(pad, str):
                pad = tuple(0 if pad == "valid" else (kk - 1) * dd // 2 for kk, dd in zip(k, d))
            p = _per_dim(pad, nd, "padding", path, module)
            if rf.get("transposed"):
                # Upsampling by s: outputs are j/s apart; each sees at most ⌊(k − 1)·d/s⌋ + 1 inputs.
                r = tuple(_num(ri + ((ki - 1) * di // si) * ji) for ri, ki, di, si, ji in zip(r, k, d, s, j))
                start = tuple(st + (pi - (ki - 1) / 2 * di) / si * ji for st, ki, di, pi, si, ji
                              in zip(start, k, d, p, s, j))
                j = tuple(_num(ji / si) for ji, si in zip(j, s))
            else:
                r = tuple(ri + (ki - 1) * di * ji for ri, ki, di, ji in zip(r, k, d, j))
                start = tuple(st + ((ki - 1) / 2 * di - pi) * ji for st, ki, di, pi, ji in zip(start, k, d, p, j))
                j = tuple(ji * si for ji, si in zip(j, s))
        rows.append(ReceptiveFieldRow(path, type(module).__name__, out, k, s, p, d, r, j,
                                      None if start is None else tuple(float(v) for v in start), is_global))
    return rows, r, j, start


def receptive_field(model: Module, input_size=None, *, batch_size: int | None = None) -> ReceptiveField:
    """The receptive field after each layer of a (mostly) sequential conv net, per spatial dim.

    Recurrence, starting from r = 1, j = 1, start = 0 on the input, for a layer with kernel k,
    stride s, padding p and dilation d:

        r_out = r_in + (k − 1)·d·j_in,   j_out = j_in·s,   start_out = start_in + ((k − 1)/2·d − p)·j_in

    Layers whose ``receptive_field()`` is None are pointwise (k = 1, s = 1: nothing changes);
    ``"global"`` layers (and flattening the spatial dims) make the field the whole input.
    ``input_size`` (batch included, or per sample with ``batch_size``) gives output shapes, the size of
    a global field, and is needed for modules with branches: their children are arranged into paths
    from their shapes, and the path with the largest field (the main branch) is followed
    (``branched=True`` and a ``note`` in the result).
    """
    if not isinstance(model, Module):
        raise DTypeError(f"receptive_field: expected a Module, got {type(model).__name__}")
    shape = None if input_size is None else _resolve_input(input_size, batch_size, "receptive_field")
    if shape is not None:
        nd = len(shape) - 2
        if nd < 1:
            raise ConfigError(f"receptive_field: input_size {shape} has no spatial dimensions; expected "
                              "(N, C, L), (N, C, H, W) or (N, C, D, H, W)")
    else:
        nd = 2
        for m in model.modules():
            rf = m.receptive_field()
            if isinstance(rf, dict):
                nd = len(tuple(rf["kernel"])) if not isinstance(rf["kernel"], (int, np.integer)) else 2
                break
    ctx = {"nd": nd, "branched": [], "skipped": []}
    layers: list = []
    _flatten_chain(model, "", shape, layers, ctx)
    rows, r, j, start = _run_recurrence(layers, shape, nd)
    note = ""
    if ctx["branched"]:
        names = ", ".join(f"'{b}'" for b in ctx["branched"])
        note = (f"{names} {'has' if len(ctx['branched']) == 1 else 'have'} several paths (residual or parallel "
                "branches); the rows follow the path with the largest receptive field (the main branch)")
        if ctx["skipped"]:
            note += "; branches not followed: " + ", ".join(f"'{p}'" for p in ctx["skipped"])
    return ReceptiveField(shape, rows, r, j, start, bool(ctx["branched"]), note)
