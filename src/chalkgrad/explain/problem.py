"""Problem files: a small YAML format for exam-style problems, and their solutions.

A problem file describes a network with explicit weights, an input, a target, a loss
and an optimizer, and says what to show. The reference is docs/problem-files.md; in short::

    title: One backpropagation step of a 2-2-2 sigmoid network
    kind: dense                      # the only kind so far (more arrive with CNN/RNN problems)
    network:
      - linear: {weight: [[0.15, 0.20], [0.25, 0.30]], bias: [0.35, 0.35]}
        activation: sigmoid
        names: {weight: [[w1, w2], [w3, w4]], bias: [b1, b2], units: [h1, h2]}
      - linear: {weight: [[0.40, 0.45], [0.50, 0.55]], bias: [0.60, 0.60]}
        activation: sigmoid
    input: [0.05, 0.10]
    target: [0.01, 0.99]
    loss: {name: mse, reduction: half_sum}
    optimizer: {name: sgd, lr: 0.5}
    chain: [w5, w1]
    show: [forward, loss, backward, update]

Every error names the file, the line and the key (``problem.yaml:7: network[0].linear:
unknown key 'weights'; expected weight, bias``) and is a :class:`~chalkgrad.errors.ProblemError`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import ChalkgradError, ProblemError
from .expr import decimals_of

__all__ = ["load_problem", "solve_problem", "Problem", "SCHEMA", "MAX_FILE_BYTES", "MAX_NODES",
           "_Mapping", "_Validator", "_describe"]

_ACTIVATIONS = ("sigmoid", "tanh", "relu", "identity", "linear", "softmax")

#: The keys each part of a problem file accepts: (required, optional).
SCHEMA = {
    "problem": ({"network", "input", "target"},
                {"title", "kind", "loss", "optimizer", "chain", "show", "precision", "carry", "notation"}),
    # the other kinds live in problem_kinds.py and add their own entries
    "layer": ({"linear"}, {"activation", "names"}),
    "linear": ({"weight"}, {"bias"}),
    "names": (set(), {"weight", "bias", "units"}),
    "loss": ({"name"}, {"reduction"}),
    "optimizer": ({"name", "lr"}, set()),
}
#: Keys every kind accepts: ``expected`` holds published answers ({name: value}) to check the solution
#: against, within ``tolerance`` (absolute, default 0.5·10^-precision of the answers as written).
COMMON_KEYS = {"title", "kind", "precision", "carry", "expected", "tolerance"}
_LOSSES = ("mse", "cross_entropy", "bce")
_REDUCTIONS = ("half_sum", "sum", "mean")
_SHOW = ("forward", "loss", "backward", "update")
_MAX_SIZE = 4096  # a worked solution of more scalars than this is not readable
#: A problem file is refused unread above this size (the examples are 1 to 2 KB).
MAX_FILE_BYTES = 256 * 1024
#: At most this many YAML values (numbers, names, lists, mappings) once anchors and aliases are expanded:
#: counted while the YAML is composed, so ``&a [0, 0, ...]`` aliased 10 times 10 times ... is refused
#: before it is built.
MAX_NODES = 100_000
_MAX_FLOAT_DIGITS = 309  # an integer of more digits does not fit a float (at most about 1.8e308)


class _Mapping(dict):
    """A dict that remembers the line of each key (1-based) and its own line."""

    line = 0

    def __init__(self):
        super().__init__()
        self.lines = {}


def _loader():
    import yaml
    from yaml.composer import Composer
    from yaml.constructor import SafeConstructor
    from yaml.resolver import Resolver

    try:  # libyaml's parser makes the events 4 times faster; the nodes are composed here, to count them
        from yaml.cyaml import CParser as EventParser
    except ImportError:
        from yaml.parser import Parser
        from yaml.reader import Reader
        from yaml.scanner import Scanner

        class EventParser(Reader, Scanner, Parser):
            def __init__(self, stream):
                Reader.__init__(self, stream)
                Scanner.__init__(self)
                Parser.__init__(self)

    class LineLoader(Composer, EventParser, SafeConstructor, Resolver):
        """The safe loader, with the line of each key, and the limits on numbers and on expansion."""

        def __init__(self, stream):
            EventParser.__init__(self, stream)
            Composer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)
            self.expanded = 0  # values composed so far, each alias counting the values it stands for
            self.weights = {}  # id(anchored node) -> values in it, aliases expanded

        def compose_node(self, parent, index):
            event = self.peek_event()
            if isinstance(event, yaml.AliasEvent):
                node = super().compose_node(parent, index)
                self.count(self.weights.get(id(node), 1), event)
                return node
            before = self.expanded
            self.count(1, event)
            node = super().compose_node(parent, index)
            if event.anchor is not None:
                self.weights[id(node)] = self.expanded - before
            return node

        def count(self, values: int, event) -> None:
            self.expanded += values
            if self.expanded > MAX_NODES:
                raise ProblemError(f"{{file}}:{event.start_mark.line + 1}: the YAML expands to more than "
                                   f"{MAX_NODES} values (aliases of anchors included); a problem file holds fewer")

    def construct_mapping(loader, node, deep=False):
        mapping = _Mapping()
        mapping.line = node.start_mark.line + 1
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                raise ProblemError(f"{{file}}:{key_node.start_mark.line + 1}: keys must be names, got {key!r}")
            if key in mapping:
                raise ProblemError(f"{{file}}:{key_node.start_mark.line + 1}: the key {_key(key)} appears twice")
            mapping[key] = loader.construct_object(value_node, deep=True)
            mapping.lines[key] = key_node.start_mark.line + 1
        return mapping

    def construct_int(loader, node):
        """An integer that fits a float (Python's int-from-text limit, 4300 digits, is never reached)."""
        digits = sum(c.isdigit() for c in node.value)
        where = f"{{file}}:{node.start_mark.line + 1}:"
        if digits > _MAX_FLOAT_DIGITS:
            raise ProblemError(f"{where} an integer of {digits} digits is too large (numbers must fit a float, "
                               "at most about 1.8e308)")
        value = SafeConstructor.construct_yaml_int(loader, node)
        if abs(value) > _FLOAT_MAX:
            raise ProblemError(f"{where} the integer {node.value} is too large (numbers must fit a float, "
                               "at most about 1.8e308)")
        return value

    def construct_float(loader, node):
        """A float; one written out (not ``.inf``) that overflows to infinity is refused."""
        value = SafeConstructor.construct_yaml_float(loader, node)
        if value in (math.inf, -math.inf) and "inf" not in node.value.lower():
            raise ProblemError(f"{{file}}:{node.start_mark.line + 1}: the number {node.value} is too large "
                               "(numbers must fit a float, at most about 1.8e308)")
        return value

    LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    LineLoader.add_constructor("tag:yaml.org,2002:int", construct_int)
    LineLoader.add_constructor("tag:yaml.org,2002:float", construct_float)
    return LineLoader


_FLOAT_MAX = float(np.finfo(np.float64).max)


@dataclass
class Problem:
    """A parsed, validated problem file."""

    path: str
    data: dict
    title: str
    precision: int | None
    carry: str | None


def load_problem(path) -> Problem:
    """Read and validate a problem file; raises ProblemError naming the file, line and key."""
    import yaml

    path = str(path)
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_FILE_BYTES + 1)
    except OSError as e:
        raise ProblemError(f"{path}: cannot read the problem file ({e.strerror or e})") from None
    if len(raw) > MAX_FILE_BYTES:
        raise ProblemError(f"{path}: the file is larger than {MAX_FILE_BYTES // 1024} KiB, the most a problem "
                           "file may hold")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ProblemError(f"{path}: not UTF-8 text (byte 0x{raw[e.start]:02x} at offset {e.start}); "
                           "save the file as UTF-8") from None
    try:
        data = yaml.load(text, Loader=_loader())  # noqa: S506 - a SafeLoader subclass
    except ProblemError as e:
        raise ProblemError(str(e).replace("{file}", path)) from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f"{mark.line + 1}:" if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise ProblemError(f"{path}:{line} not valid YAML: {problem}") from None
    except RecursionError:
        raise ProblemError(f"{path}: the YAML is nested too deeply") from None
    if not isinstance(data, _Mapping):
        raise ProblemError(f"{path}:1: a problem file must be a mapping of keys (title, network, input, ...), "
                           f"got {type(data).__name__}")
    _Validator(path).problem(data)
    precision = data.get("precision")
    return Problem(path, data, str(data.get("title") or "Worked solution"), precision, data.get("carry"))


class _Validator:
    def __init__(self, path: str):
        self.path = path

    def fail(self, line: int, where: str, message: str):
        raise ProblemError(f"{self.path}:{line}: {where}: {message}")

    def keys(self, m, kind: str, where: str, line: int):
        if not isinstance(m, _Mapping):
            allowed = ", ".join(sorted(SCHEMA[kind][0] | SCHEMA[kind][1]))
            self.fail(line, where, f"expected a mapping with keys {allowed}, got {_describe(m)}")
        required, optional = SCHEMA[kind]
        if kind.endswith("problem"):
            optional = optional | COMMON_KEYS
        for k in m:
            if k not in required and k not in optional:
                self.fail(m.lines[k], where, f"unknown key {_key(k)}; expected one of "
                          f"{', '.join(sorted(required | optional))}")
        for k in sorted(required):
            if k not in m:
                self.fail(m.line, where, f"missing key '{k}'")

    def matrix(self, value, where: str, line: int, ndim: int) -> np.ndarray:
        try:
            arr = np.array(value, dtype=np.float64)
        except (TypeError, ValueError):
            self.fail(line, where, f"expected {'a list of numbers' if ndim == 1 else 'rows of numbers'}, "
                      f"got {_describe(value)}")
        if arr.ndim != ndim or arr.size == 0:
            self.fail(line, where, f"expected {'a list of numbers' if ndim == 1 else 'a list of rows (a matrix)'}, "
                      f"got {_describe(value)}")
        if arr.size > _MAX_SIZE:
            self.fail(line, where, f"{arr.size} numbers is too many for a worked solution (at most {_MAX_SIZE})")
        if not np.all(np.isfinite(arr)):
            self.fail(line, where, "all numbers must be finite")
        return arr

    def problem(self, d):
        from .problem_kinds import KINDS

        kind = d.get("kind", "dense")
        if not isinstance(kind, str) or (kind != "dense" and kind not in KINDS):
            self.fail(d.lines["kind"], "kind", f"unknown kind {kind!r}; expected one of {', '.join(_all_kinds())}")
        self.common(d)
        if kind == "dense":
            self.dense(d)
        else:
            KINDS[kind].validate(self, d)

    def common(self, d):
        for key in ("title",):
            if key in d and not isinstance(d[key], (str, int, float)):
                self.fail(d.lines[key], key, f"expected text, got {_describe(d[key])}")
        if "precision" in d and (not isinstance(d["precision"], int) or isinstance(d["precision"], bool)
                                 or not 0 <= d["precision"] <= 17):
            self.fail(d.lines["precision"], "precision", f"expected an integer from 0 to 17, got {d['precision']!r}")
        if "carry" in d and d["carry"] not in ("exact", "displayed"):
            self.fail(d.lines["carry"], "carry", f"expected exact or displayed, got {d['carry']!r}")
        if "expected" in d:
            exp = d["expected"]
            if not isinstance(exp, _Mapping) or not exp:
                self.fail(d.lines["expected"], "expected", f"expected a mapping of quantity names to values, "
                          f"got {_describe(exp)}")
            for k, v in exp.items():
                if isinstance(v, bool) or not isinstance(v, (int, float)):
                    self.fail(exp.lines[k], f"expected.{_key(k)[1:-1]}", f"expected a number, got {_describe(v)}")
        if "tolerance" in d:
            tol = d["tolerance"]
            if isinstance(tol, bool) or not isinstance(tol, (int, float)) or not tol >= 0:
                self.fail(d.lines["tolerance"], "tolerance", f"expected a non-negative number, got {tol!r}")

    def dense(self, d):
        self.keys(d, "problem", "problem", d.line)
        net = d["network"]
        if not isinstance(net, list) or not net:
            self.fail(d.lines["network"], "network", f"expected a list of layers, got {_describe(net)}")
        if len(net) > 16:
            self.fail(d.lines["network"], "network",
                      f"{len(net)} layers is too many for a worked solution (at most 16)")
        width = None
        for i, layer in enumerate(net):
            where = f"network[{i}]"
            self.keys(layer, "layer", where, d.lines["network"])
            lin = layer["linear"]
            self.keys(lin, "linear", f"{where}.linear", layer.lines["linear"])
            w = self.matrix(lin["weight"], f"{where}.linear.weight", lin.lines["weight"], 2)
            if width is not None and w.shape[1] != width:
                self.fail(lin.lines["weight"], f"{where}.linear.weight",
                          f"has {w.shape[1]} columns (inputs) but the layer before has {width} outputs; "
                          f"expected shape ({w.shape[0]}, {width})")
            width = w.shape[0]
            if "bias" in lin and lin["bias"] is not None:
                b = self.matrix(lin["bias"], f"{where}.linear.bias", lin.lines["bias"], 1)
                if b.shape != (w.shape[0],):
                    self.fail(lin.lines["bias"], f"{where}.linear.bias",
                              f"has {b.shape[0]} values, expected {w.shape[0]} (one per row of the weight)")
            act = layer.get("activation", "identity")
            if act not in _ACTIVATIONS:
                self.fail(layer.lines["activation"], f"{where}.activation",
                          f"unknown activation {act!r}; expected one of {', '.join(_ACTIVATIONS)}")
            if act == "softmax" and i != len(net) - 1:
                self.fail(layer.lines["activation"], f"{where}.activation", "softmax is only allowed on the last layer")
            if "names" in layer:
                names = layer["names"]
                self.keys(names, "names", f"{where}.names", layer.lines["names"])
                expected = {"weight": w.shape, "bias": (w.shape[0],), "units": (w.shape[0],)}
                if "bias" in names and lin.get("bias") is None:
                    self.fail(names.lines["bias"], f"{where}.names.bias", "names a bias, but the layer has none")
                for k, v in names.items():
                    arr = np.array(v, dtype=object)
                    if arr.shape != expected[k] or not all(isinstance(x, str) for x in arr.ravel()):
                        self.fail(names.lines[k], f"{where}.names.{k}",
                                  f"expected names (text) in the shape {expected[k]}, got {_describe(v)}")
        n_in = np.array(net[0]["linear"]["weight"]).shape[1]
        x = self.matrix(d["input"], "input", d.lines["input"], 1)
        if x.shape[0] != n_in:
            self.fail(d.lines["input"], "input", f"has {x.shape[0]} values, the first layer expects {n_in}")
        loss = d.get("loss", "mse")
        loss_name, reduction = loss, "half_sum"
        if isinstance(loss, _Mapping):
            self.keys(loss, "loss", "loss", d.lines["loss"])
            loss_name, reduction = loss["name"], loss.get("reduction", "half_sum")
            if reduction not in _REDUCTIONS:
                self.fail(loss.lines.get("reduction", loss.line), "loss.reduction",
                          f"unknown reduction {reduction!r}; expected one of {', '.join(_REDUCTIONS)}")
            if loss_name != "mse" and "reduction" in loss and reduction not in ("mean", "sum"):
                self.fail(loss.lines["reduction"], "loss.reduction",
                          f"{loss_name} takes reduction mean or sum, got {reduction!r} (half_sum is an mse convention)")
        if loss_name not in _LOSSES:
            self.fail(d.lines.get("loss", d.line), "loss",
                      f"unknown loss {loss_name!r}; expected one of {', '.join(_LOSSES)}")
        target = d["target"]
        if loss_name == "cross_entropy" and isinstance(target, int) and not isinstance(target, bool):
            if not 0 <= target < width:
                self.fail(d.lines["target"], "target", f"class {target} is outside [0, {width})")
        else:
            t = self.matrix(target, "target", d.lines["target"], 1)
            if t.shape[0] != width:
                self.fail(d.lines["target"], "target", f"has {t.shape[0]} values, the last layer has {width} outputs")
        if "optimizer" in d:
            opt = d["optimizer"]
            self.keys(opt, "optimizer", "optimizer", d.lines["optimizer"])
            if opt["name"] != "sgd":
                self.fail(opt.lines["name"], "optimizer.name", f"unknown optimizer {opt['name']!r}; expected sgd")
            lr = opt["lr"]
            if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not lr > 0:
                self.fail(opt.lines["lr"], "optimizer.lr", f"expected a positive number, got {lr!r}")
        show = d.get("show", list(_SHOW) if "optimizer" in d else list(_SHOW[:3]))
        if not isinstance(show, list) or any(s not in _SHOW for s in show):
            self.fail(d.lines.get("show", d.line), "show", f"expected a list from {', '.join(_SHOW)}, got {show!r}")
        if "update" in show and "optimizer" not in d:
            self.fail(d.lines["show"], "show", "'update' needs an optimizer (optimizer: {name: sgd, lr: ...})")
        if "notation" in d and d["notation"] not in ("framework", "textbook"):
            self.fail(d.lines["notation"], "notation", f"expected framework or textbook, got {d['notation']!r}")
        if "chain" in d and (not isinstance(d["chain"], list) or not all(isinstance(c, str) for c in d["chain"])):
            self.fail(d.lines["chain"], "chain", f"expected a list of weight names, got {_describe(d['chain'])}")


def _key(k) -> str:
    """A key quoted for a one-line message (control characters and line breaks escaped)."""
    k = str(k)
    return f"'{k}'" if k.isprintable() else ascii(k)


def _describe(value) -> str:
    if isinstance(value, (dict, list)):
        text = repr(dict(value) if isinstance(value, dict) else value)
        return text if len(text) <= 60 else text[:57] + "..."
    return f"{value!r} ({type(value).__name__})"


def _all_kinds():
    from .problem_kinds import KINDS

    return ["dense", *KINDS]


def solve_problem(problem: Problem, check: bool = True):
    """The worked solution of a validated problem (a :class:`~.steps.Solution`).

    With ``expected`` answers in the file (and ``check``), a last section compares each with the
    computed value (``solution.mismatches`` lists those that differ by more than the tolerance).
    """
    kind = problem.data.get("kind", "dense")
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # _check_finite reports overflows
        if kind != "dense":
            from .problem_kinds import KINDS

            try:
                solution = KINDS[kind].solve(problem)
            except ProblemError:
                raise
            except ChalkgradError as e:
                raise ProblemError(f"{problem.path}:{problem.data.line}: {e}") from None
        else:
            solution = _solve_dense(problem)
    _check_finite(problem, solution)
    if check and "expected" in problem.data:
        _check_expected(problem, solution)
    return solution


def _check_finite(problem: Problem, solution) -> None:
    """Refuse a solution with an infinite or NaN quantity (numbers in the file that overflow), whatever its kind."""
    for step in solution.steps():
        if not math.isfinite(step.value):
            formula = f" = {step.formula.text()}" if step.formula is not None else ""
            raise ProblemError(f"{problem.path}:{problem.data.line}: {step.name}{formula} is not finite "
                               f"({step.value}): the numbers overflow; check the magnitudes in the file")


def _check_expected(problem: Problem, solution) -> None:
    """Add a section comparing the file's expected answers with the computed values."""
    import difflib

    d = problem.data
    values = solution.values()
    sec = solution.section("Checked against the expected answers",
                           "each answer given in the problem file, compared with the value computed above")
    solution.mismatches = []
    for name, expected in d["expected"].items():
        if name not in values and solution.rename is not None:
            name = solution.rename(name)
        if name not in values:
            close = difflib.get_close_matches(name, list(values), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise ProblemError(f"{problem.path}:{d['expected'].lines[name]}: expected.{_key(name)[1:-1]}: the solution "
                               f"has no quantity named {_key(name)}{hint}")
        tol = d.get("tolerance", 0.5 * 10.0 ** -decimals_of(expected) * 1.000001)
        got = values[name]
        ok = abs(got - expected) <= tol
        note = (f"✓ matches the expected {expected!r}" if ok else
                f"✗ the problem expects {expected!r}; the difference {got - expected:.3g} exceeds "
                f"the tolerance {tol:g}")
        sec.given(name, got, note=note)
        if not ok:
            solution.mismatches.append((name, expected, got))


def _solve_dense(problem: Problem):
    from .. import nn
    from .dense import explain_dense

    d = problem.data
    layers, names = [], {}
    for layer in d["network"]:
        lin = layer["linear"]
        w = np.array(lin["weight"], dtype=np.float64)
        has_bias = lin.get("bias") is not None
        linear = nn.Linear(w.shape[1], w.shape[0], bias=has_bias, dtype=np.float64)
        with_bias = {"weight": w}
        if has_bias:
            with_bias["bias"] = np.array(lin["bias"], dtype=np.float64)
        linear.load_state_dict(with_bias)
        layers.append(linear)
        act = layer.get("activation", "identity")
        index = len(layers) - 1
        for k, v in layer.get("names", {}).items():
            names[f"{index}.{k}"] = v
        if act not in ("identity", "linear"):
            layers.append({"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU,
                           "softmax": lambda: nn.Softmax(dim=-1)}[act]())
    loss = d.get("loss", "mse")
    if isinstance(loss, dict):
        loss_name, reduction = loss["name"], loss.get("reduction")
    else:
        loss_name, reduction = loss, None
    opt = d.get("optimizer")
    show = d.get("show", ["forward", "loss", "backward", "update"] if opt else ["forward", "loss", "backward"])
    try:
        return explain_dense(nn.Sequential(*layers), d["input"], d["target"], loss=loss_name, reduction=reduction,
                             lr=opt["lr"] if opt else None, names=names, chain=d.get("chain", ()),
                             title=problem.title, show=show, notation=d.get("notation", "framework"))
    except ChalkgradError as e:  # e.g. a chain weight that does not exist, a duplicated name
        line = d.lines.get("chain", d.line) if "chain" in str(e) else d.line
        raise ProblemError(f"{problem.path}:{line}: {str(e).removeprefix('explain_dense: ')}") from None
