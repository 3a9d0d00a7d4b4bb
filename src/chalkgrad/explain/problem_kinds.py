"""Problem kinds beyond dense networks: optimizer steps and architecture arithmetic.

``kind: optimizer``::

    kind: optimizer
    optimizer: {name: adam, lr: 0.01, betas: [0.5, 0.9], eps: 1.0e-8}
    params: {w1: 1.5, w2: -2.0}
    loss: 3*w1**2 + 1.5*w2**3        # or grads: [{w1: 9, w2: 18}], one mapping per step
    steps: 1

``kind: architecture``::

    kind: architecture
    input: [3, 32, 32]               # one sample: (channels, height, width), or (features,)
    layers:                          # input channels/features are inferred from the running shape
      - conv2d: {out_channels: 16, kernel_size: 3, padding: 1}
      - relu
      - maxpool2d: {kernel_size: 2}
      - flatten
      - linear: {out_features: 10}
    show: [shapes, receptive_field]  # default: shapes (with parameters and MACs)
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ChalkgradError, ProblemError
from .problem import SCHEMA, _describe, _Mapping

__all__ = ["KINDS", "LAYERS"]

SCHEMA["optimizer_problem"] = ({"kind", "optimizer", "params"}, {"title", "loss", "grads", "steps", "precision",
                                                                  "carry", "lr_schedule"})
SCHEMA["architecture_problem"] = ({"kind", "input"}, {"layers", "model", "num_classes", "title", "show", "precision",
                                                       "carry"})

#: Layer names accepted in ``layers`` and the chalkgrad.nn class each builds; the inferred argument
#: (``in_channels``/``in_features``/``num_features``) is filled from the running shape.
LAYERS = {
    "conv1d": ("Conv1d", "in_channels"), "conv2d": ("Conv2d", "in_channels"),
    "conv_transpose1d": ("ConvTranspose1d", "in_channels"), "conv_transpose2d": ("ConvTranspose2d", "in_channels"),
    "maxpool1d": ("MaxPool1d", None), "maxpool2d": ("MaxPool2d", None),
    "avgpool1d": ("AvgPool1d", None), "avgpool2d": ("AvgPool2d", None),
    "adaptive_avgpool2d": ("AdaptiveAvgPool2d", None), "adaptive_maxpool2d": ("AdaptiveMaxPool2d", None),
    "batchnorm1d": ("BatchNorm1d", "num_features"), "batchnorm2d": ("BatchNorm2d", "num_features"),
    "dropout": ("Dropout", None), "flatten": ("Flatten", None), "linear": ("Linear", "in_features"),
    "relu": ("ReLU", None), "sigmoid": ("Sigmoid", None), "tanh": ("Tanh", None), "softmax": ("Softmax", None),
    "leaky_relu": ("LeakyReLU", None), "gelu": ("GELU", None), "identity": ("Identity", None),
    "rnn": ("RNN", "input_size"), "lstm": ("LSTM", "input_size"), "gru": ("GRU", "input_size"),
    "embedding": ("Embedding", None),
}
#: Options the recurrent layers accept here (one sample is (seq_len, features): the batch comes first).
_RECURRENT_OPTIONS = {"hidden_size", "num_layers", "bias", "batch_first", "bidirectional", "bias_style",
                      "nonlinearity", "input_size"}
_EMBEDDING_OPTIONS = {"num_embeddings", "embedding_dim", "padding_idx"}
_SHOW_ARCH = ("shapes", "receptive_field")
_MAX_ARG = 65536  # no course layer has a bigger size argument; bigger ones would only exhaust memory
_MAX_PARAMS = 2_000_000_000


@dataclass
class _Kind:
    validate: object
    solve: object


# ----------------------------------------------------------------------------- optimizer
_BETA_ALIASES = {"beta1": 0, "beta2": 1, "beta_1": 0, "beta_2": 1}  # textbook and Keras names for betas[0], [1]


def _accepted_keys(name: str) -> list:
    """The hyperparameters optimizer ``name`` takes: its chalkgrad.optim class's arguments (and the aliases)."""
    import inspect

    from .. import optim
    from .optimizer import _CLASS

    sig = inspect.signature(getattr(optim, _CLASS[name]))
    keys = [k for k in sig.parameters if k not in ("params", "foreach", "capturable", "differentiable", "fused")]
    if "betas" in keys:
        keys += list(_BETA_ALIASES)
    return keys + (["bias_correction"] if name in ("adam", "adamw") else [])


def _optimizer_options(opt) -> dict:
    """The hyperparameters of an ``optimizer:`` mapping, with beta1/beta2 (or beta_1/beta_2) folded into betas."""
    import inspect

    from .. import optim
    from .optimizer import _CLASS

    options = {k: v for k, v in opt.items() if k != "name"}
    given = {i: options.pop(k) for k, i in _BETA_ALIASES.items() if k in options}
    if given:
        betas = list(options.get("betas") or
                     inspect.signature(getattr(optim, _CLASS[opt["name"]])).parameters["betas"].default)
        for i, value in given.items():
            betas[i] = value
        options["betas"] = betas
    return options


def _validate_optimizer(v, d):
    from .optimizer import OPTIMIZERS

    v.keys(d, "optimizer_problem", "problem", d.line)
    opt = d["optimizer"]
    if not isinstance(opt, _Mapping) or "name" not in opt:
        v.fail(d.lines["optimizer"], "optimizer", f"expected a mapping with a name and hyperparameters, "
               f"got {_describe(opt)}")
    if opt["name"] not in OPTIMIZERS:
        v.fail(opt.lines["name"], "optimizer.name", f"unknown optimizer {opt['name']!r}; expected one of "
               f"{', '.join(OPTIMIZERS)}")
    accepted = _accepted_keys(opt["name"])
    for k, val in opt.items():
        if k == "name":
            continue
        if k not in accepted and k != "bias_correction":  # that one has its own message below
            v.fail(opt.lines[k], f"optimizer.{k}", f"{opt['name']} takes no hyperparameter {k!r}; "
                   f"the accepted keys are {', '.join(accepted)}")
        ok = isinstance(val, (int, float)) and not isinstance(val, bool) or isinstance(val, bool) and k in (
            "nesterov", "amsgrad", "centered", "maximize", "bias_correction") or isinstance(val, list) and len(
            val) == 2 and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in val)
        if not ok:
            v.fail(opt.lines[k], f"optimizer.{k}", f"expected a number (or a pair for betas/etas/step_sizes), "
                   f"got {_describe(val)}")
    if "bias_correction" in opt and not isinstance(opt["bias_correction"], bool):
        v.fail(opt.lines["bias_correction"], "optimizer.bias_correction", f"expected true or false, "
               f"got {_describe(opt['bias_correction'])}")
    if "bias_correction" in opt and opt["name"] not in ("adam", "adamw"):
        v.fail(opt.lines["bias_correction"], "optimizer.bias_correction", f"bias_correction is an Adam/AdamW option; "
               f"{opt['name']} has no bias correction")
    if "lr_schedule" in d:
        _validate_lr_schedule(v, d, opt["name"])
    params = d["params"]
    if not isinstance(params, _Mapping) or not params:
        v.fail(d.lines["params"], "params", f"expected a mapping of names to starting values, got {_describe(params)}")
    for k, val in params.items():
        if isinstance(val, bool) or not isinstance(val, (int, float)):
            v.fail(params.lines[k], f"params.{k}", f"expected a number, got {_describe(val)}")
    if ("loss" in d) == ("grads" in d):
        v.fail(d.line, "problem", "give either 'loss' (an expression of the parameters) or 'grads' (one mapping "
               "per step), not both or neither")
    steps = d.get("steps", len(d["grads"]) if isinstance(d.get("grads"), list) else 1)
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= 100:
        v.fail(d.lines.get("steps", d.line), "steps", f"expected an integer from 1 to 100, got {steps!r}")
    if "grads" in d:
        grads = d["grads"]
        if not isinstance(grads, list) or len(grads) < steps:
            v.fail(d.lines["grads"], "grads", f"expected a list of {steps} mapping(s) {{name: gradient}}, "
                   f"got {_describe(grads)}")
        for i, g in enumerate(grads):
            if not isinstance(g, _Mapping) or set(g) != set(params) or any(
                    isinstance(x, bool) or not isinstance(x, (int, float)) for x in g.values()):
                v.fail(getattr(g, "line", d.lines["grads"]), f"grads[{i}]",
                       f"expected a gradient (a number) for each of {', '.join(params)}, got {_describe(g)}")
    else:
        from .formula_parser import parse_loss

        try:
            parse_loss(d["loss"], list(params))
        except ChalkgradError as e:
            v.fail(d.lines["loss"], "loss", str(e))


def _validate_lr_schedule(v, d, optimizer_name):
    """``lr_schedule: {name: StepLR, step_size: 2, gamma: 0.5}``: a supported scheduler with number arguments
    (milestones: a list of integers), built once on a stand-in optimizer so its own checks run here."""
    from .optimizer import SCHEDULERS, check_schedule

    sch = d["lr_schedule"]
    line = d.lines["lr_schedule"]
    if not isinstance(sch, _Mapping) or "name" not in sch:
        v.fail(line, "lr_schedule", f"expected a mapping with a name ({', '.join(SCHEDULERS)}) and its arguments, "
               f"e.g. {{name: StepLR, step_size: 2, gamma: 0.5}}; got {_describe(sch)}")
    if optimizer_name == "rprop":
        v.fail(line, "lr_schedule", "a learning-rate schedule does not apply to rprop (Rprop uses the learning rate "
               "only as its first step size)")
    for k, val in sch.items():
        if k == "name":
            continue
        number = isinstance(val, (int, float)) and not isinstance(val, bool)
        integers = isinstance(val, list) and 0 < len(val) <= 100 and all(
            isinstance(x, int) and not isinstance(x, bool) for x in val)
        if not (number and abs(val) <= 1e6 or k == "milestones" and integers):
            v.fail(sch.lines[k], f"lr_schedule.{k}", f"expected a number (milestones: a list of integers), "
                   f"got {_describe(val)}")
    try:
        check_schedule(_schedule_spec(sch))
    except ChalkgradError as e:
        v.fail(line, "lr_schedule", str(e).removeprefix("explain_optimizer: "))


def _schedule_spec(sch) -> dict:
    return {k: list(val) if isinstance(val, list) else val for k, val in sch.items()}


def _solve_optimizer(problem):
    from .formula_parser import parse_loss
    from .optimizer import ScheduleError, explain_optimizer

    d = problem.data
    name = d["optimizer"]["name"]
    opt = _optimizer_options(d["optimizer"])
    for k in ("betas", "etas", "step_sizes"):
        if k in opt:
            opt[k] = tuple(opt[k])
    params = {k: float(v) for k, v in d["params"].items()}
    loss = parse_loss(d["loss"], list(params)) if "loss" in d else None
    grads = [dict(g) for g in d["grads"]] if "grads" in d else None
    schedule = _schedule_spec(d["lr_schedule"]) if "lr_schedule" in d else None
    try:
        return explain_optimizer(name, params, loss=loss, grads=grads, steps=d.get("steps"), title=problem.title,
                                 scheduler=schedule, **opt)
    except ScheduleError as e:
        raise ProblemError(f"{problem.path}:{d.lines['lr_schedule']}: lr_schedule: "
                           f"{str(e).removeprefix('explain_optimizer: ')}") from None
    except (OverflowError, ZeroDivisionError, ValueError) as e:
        if isinstance(e, ChalkgradError):
            raise ProblemError(f"{problem.path}:{d.lines['optimizer']}: optimizer: {e}") from None
        raise ProblemError(f"{problem.path}:{d.line}: the computation failed ({e})") from None
    except TypeError as e:  # an unexpected hyperparameter name
        raise ProblemError(f"{problem.path}:{d.lines['optimizer']}: optimizer: {e}") from None


# ----------------------------------------------------------------------------- architecture
def _validate_architecture(v, d):
    v.keys(d, "architecture_problem", "problem", d.line)
    inp = d["input"]
    if not isinstance(inp, list) or not 1 <= len(inp) <= 4 or any(
            isinstance(x, bool) or not isinstance(x, int) or not 1 <= x <= 100_000 for x in inp):
        v.fail(d.lines["input"], "input", f"expected the shape of one sample, e.g. [3, 32, 32], got {_describe(inp)}")
    if ("layers" in d) == ("model" in d):
        v.fail(d.line, "problem", "give either 'layers' (a list of layers) or 'model' (a zoo model such as "
               "resnet18), not both or neither")
    if "model" in d:
        from .summary_command import _zoo_names

        names = _zoo_names()
        if d["model"] not in names:
            v.fail(d.lines["model"], "model", f"unknown model {d['model']!r}; expected one of {', '.join(names)}")
        nc = d.get("num_classes", 10)
        if isinstance(nc, bool) or not isinstance(nc, int) or not 1 <= nc <= 100_000:
            v.fail(d.lines.get("num_classes", d.line), "num_classes", f"expected a positive integer, got {nc!r}")
        _validate_show(v, d)
        return
    layers = d["layers"]
    if not isinstance(layers, list) or not layers or len(layers) > 200:
        v.fail(d.lines["layers"], "layers", f"expected a list of layers (at most 200), got {_describe(layers)}")
    for i, layer in enumerate(layers):
        name, args = _layer_entry(v, layer, i, d.lines["layers"])
        if name not in LAYERS:
            v.fail(getattr(layer, "line", d.lines["layers"]), f"layers[{i}]",
                   f"unknown layer {name!r}; expected one of {', '.join(sorted(LAYERS))}")
        for k, val in args.items():
            if not (isinstance(val, (int, float, str, bool)) or val is None or
                    isinstance(val, list) and all(isinstance(x, int) and not isinstance(x, bool) for x in val)):
                v.fail(args.lines[k], f"layers[{i}].{name}.{k}", f"expected a number, text or a list of integers, "
                       f"got {_describe(val)}")
            sizes = val if isinstance(val, list) else [val]
            if any(isinstance(x, (int, float)) and not isinstance(x, bool) and abs(x) > _MAX_ARG for x in sizes):
                v.fail(args.lines[k], f"layers[{i}].{name}.{k}", f"{val!r} is too large (at most {_MAX_ARG})")
    _validate_show(v, d)


def _validate_show(v, d):
    show = d.get("show", ["shapes"])
    if not isinstance(show, list) or not show or any(s not in _SHOW_ARCH for s in show):
        v.fail(d.lines.get("show", d.line), "show", f"expected a list from {', '.join(_SHOW_ARCH)}, got {show!r}")


def _layer_entry(v, layer, i, line):
    if isinstance(layer, str):
        return layer, _Mapping()
    if isinstance(layer, _Mapping) and len(layer) == 1:
        name, args = next(iter(layer.items()))
        if args is None:
            args = _Mapping()
        if not isinstance(args, _Mapping):
            v.fail(layer.line, f"layers[{i}].{name}", f"expected the layer's arguments as a mapping, "
                   f"got {_describe(args)}")
        return name, args
    v.fail(getattr(layer, "line", line), f"layers[{i}]", "expected a layer name (relu) or one mapping "
           f"name: {{arguments}} (conv2d: {{out_channels: 16, kernel_size: 3}}), got {_describe(layer)}")


def _build_architecture(problem):
    import chalkgrad.nn as nn

    d = problem.data
    if "model" in d:  # a zoo model, built without drawing its weights
        from .. import models

        with nn.init.skip_init():
            try:
                return getattr(models, d["model"])(num_classes=d.get("num_classes", 10), in_channels=d["input"][0])
            except TypeError:
                return getattr(models, d["model"])(num_classes=d.get("num_classes", 10))
            except ChalkgradError as e:
                raise ProblemError(f"{problem.path}:{d.lines['model']}: model: {e}") from None
    shape = (1, *d["input"])
    layers = []
    for i, layer in enumerate(d["layers"]):
        name, args = _layer_entry(None, layer, i, 0)
        cls_name, inferred = LAYERS[name]
        kwargs = dict(args)
        if inferred and inferred not in kwargs:
            kwargs[inferred] = shape[-1] if inferred in ("in_features", "input_size") else shape[1]
        if name == "softmax":
            kwargs.setdefault("dim", 1)
        line = getattr(layer, "line", d.lines["layers"])
        allowed = _RECURRENT_OPTIONS if inferred == "input_size" else _EMBEDDING_OPTIONS if name == "embedding" \
            else None
        unknown = [k for k in kwargs if k not in allowed] if allowed is not None else []
        if unknown:
            raise ProblemError(f"{problem.path}:{args.lines.get(unknown[0], line)}: layers[{i}].{name}: unknown "
                               f"option {ascii(unknown[0])}; expected {', '.join(sorted(allowed - {'input_size'}))}")
        if inferred == "input_size":
            if kwargs.get("batch_first", True) is not True:
                raise ProblemError(f"{problem.path}:{args.lines.get('batch_first', line)}: layers[{i}].{name}."
                                   "batch_first: shapes here are one sample (seq_len, features) with the batch "
                                   "in front, so batch_first must be true")
            kwargs["batch_first"] = True
            if len(shape) != 3:
                raise ProblemError(f"{problem.path}:{line}: layers[{i}].{name}: expects a sequence "
                                   f"(seq_len, features) per sample, got {_fmt(shape[1:])}")
        try:
            with nn.init.skip_init():  # only shapes and counts are needed
                module = getattr(nn, cls_name)(**kwargs)
            shape = tuple(module.output_shape(shape))
            if module.count_parameters() > _MAX_PARAMS:
                raise ProblemError(f"{problem.path}:{line}: layers[{i}].{name}: {module.count_parameters():,} "
                                   f"parameters is more than this tool handles ({_MAX_PARAMS:,})")
        except MemoryError:
            raise ProblemError(f"{problem.path}:{line}: layers[{i}].{name}: the layer is too large to build") from None
        except TypeError as e:
            raise ProblemError(f"{problem.path}:{line}: layers[{i}].{name}: {e}") from None
        except ChalkgradError as e:
            raise ProblemError(f"{problem.path}:{line}: layers[{i}].{name}: {e}") from None
        layers.append(module)
    return nn.Sequential(*layers)


def _fmt(shape):
    return "(" + ", ".join(str(x) for x in shape) + ")"


def _solve_architecture(problem):
    from .arch import explain_architecture, explain_receptive_field

    d = problem.data
    model = _build_architecture(problem)
    show = d.get("show", ["shapes"])
    parts = []
    if "shapes" in show:
        parts.append(explain_architecture(model, tuple(d["input"]), title=problem.title))
    if "receptive_field" in show:
        parts.append(explain_receptive_field(model, tuple(d["input"]),
                                             title=problem.title if not parts else "Receptive field"))
    solution = parts[0]
    for extra in parts[1:]:
        for sec in extra.sections:
            sec.title = f"Receptive field · {sec.title}"
        solution.sections += extra.sections
        solution.conventions += extra.conventions
    return solution


KINDS = {
    "optimizer": _Kind(_validate_optimizer, _solve_optimizer),
    "architecture": _Kind(_validate_architecture, _solve_architecture),
}

#: Modules that add more kinds by calling ``register(name, validate, solve, required_keys, optional_keys)``.
_EXTENSIONS = ("problem_layers", "problem_sequences", "problem_expression", "problem_logic")


def register(name: str, validate, solve, required: set, optional: set) -> None:
    """Add a problem kind: ``validate(validator, data)`` raises through ``validator.fail``;
    ``solve(problem)`` returns a Solution. The keys are checked with ``validator.keys(d, name + '_problem', ...)``."""
    SCHEMA[f"{name}_problem"] = (set(required) | {"kind"}, set(optional) | {"title", "precision", "carry"})
    KINDS[name] = _Kind(validate, solve)


def _load_extensions() -> None:
    import importlib

    for module in _EXTENSIONS:
        full = f"{__package__}.{module}"
        try:
            importlib.import_module(full)
        except ModuleNotFoundError as e:
            if e.name != full:
                raise


_load_extensions()
