"""The ``chalkgrad summary`` command: a model's shapes, parameters and MACs, optionally with formulas.

``chalkgrad summary vgg16 --input 3x224x224`` prints the table of a zoo model;
``chalkgrad summary examples/problems/conv_net_shapes.yaml`` the one of an architecture problem
file; ``--explain`` adds each layer's output-size, parameter and MAC formulas with the numbers
put in, and the receptive-field recurrence.
"""

from __future__ import annotations

import sys

__all__ = ["add_summary_parser", "run_summary"]


def add_summary_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "summary", help="shapes, parameters and MACs of a zoo model or an architecture problem file",
        description="Print a model's layer table (output shapes, parameters, MACs, memory) computed from "
                    "shapes alone. MODEL is a zoo name (lenet5, alexnet, vgg16, resnet18, ...) or an "
                    "architecture problem file (.yaml).")
    p.add_argument("model", help="a zoo model name or a problem file with kind: architecture")
    p.add_argument("--input", dest="input_shape", default=None,
                   help="shape of one sample, e.g. 3x224x224 or 3,32,32 (default: the model's usual input)")
    p.add_argument("--num-classes", type=int, default=None, help="classes of a zoo classifier (default 1000 or 10)")
    p.add_argument("--explain", action="store_true",
                   help="write each layer's formulas with the numbers put in, and the receptive field")
    p.add_argument("--depth", type=int, default=3, help="rows shown down to this nesting depth (default 3)")
    p.add_argument("--format", choices=("text", "md", "tex"), default="text", help="format of --explain output")
    p.set_defaults(func=run_summary)


#: Usual (channels, height, width) of each zoo model, used when --input is not given.
_DEFAULT_INPUT = {
    "lenet5": (1, 32, 32), "lenet5_relu": (1, 32, 32), "lenet_digits": (1, 8, 8), "alexnet": (3, 224, 224),
    "nin": (3, 224, 224), "mobilenet_like": (3, 32, 32), "fcn": (3, 64, 64), "segnet": (3, 64, 64),
}
_DEFAULT_CLASSES = {"lenet5": 10, "lenet5_relu": 10, "lenet_digits": 10, "nin": 10, "mobilenet_like": 10}


def _zoo_names() -> list[str]:
    from .. import models

    return sorted(n for n in models.__all__ if n[0].islower() and callable(getattr(models, n))
                  and not n.endswith("_num_parameters") and n not in ("make_vgg_features", "bilinear_kernel"))


def _parse_shape(text: str) -> tuple:
    from ..errors import ConfigError

    parts = text.replace("x", ",").replace("X", ",").replace("×", ",").split(",")
    try:
        shape = tuple(int(p) for p in parts if p.strip())
    except ValueError:
        raise ConfigError(f"--input must be sizes like 3x224x224, got {text!r}") from None
    if not shape or any(d < 1 for d in shape):
        raise ConfigError(f"--input must be positive sizes like 3x224x224, got {text!r}")
    return shape


def _build(args):
    from ..errors import ConfigError

    if args.model.endswith((".yaml", ".yml")):
        from .problem import load_problem
        from .problem_kinds import _build_architecture

        problem = load_problem(args.model)
        if problem.data.get("kind") != "architecture":
            raise ConfigError(f"{args.model}: summary needs a problem file with kind: architecture")
        from ..nn.init import skip_init

        with skip_init():
            model = _build_architecture(problem)
        shape = tuple(problem.data["input"])
        if args.input_shape:
            shape = _parse_shape(args.input_shape)
        return model, shape, problem.title
    from .. import models

    names = _zoo_names()
    if args.model not in names:
        raise ConfigError(f"unknown model {args.model!r}; expected a problem file (.yaml) or one of {', '.join(names)}")
    kwargs = {}
    if args.num_classes is not None:
        kwargs["num_classes"] = args.num_classes
    elif args.model in _DEFAULT_CLASSES:
        kwargs["num_classes"] = _DEFAULT_CLASSES[args.model]
    shape = _parse_shape(args.input_shape) if args.input_shape else _DEFAULT_INPUT.get(args.model, (3, 224, 224))
    from ..nn.init import skip_init

    with skip_init():  # only shapes and counts are needed: do not draw millions of random weights
        try:
            model = getattr(models, args.model)(in_channels=shape[0], **kwargs)
        except TypeError:
            model = getattr(models, args.model)(**kwargs)
    return model, shape, args.model


def run_summary(args) -> int:
    from ..errors import ChalkgradError

    try:
        model, shape, title = _build(args)
        from ..nn.summary import receptive_field, summary

        table = summary(model, (1, *shape), depth=args.depth)
        parts = [str(table)]
        has_spatial = len(shape) >= 2
        if has_spatial:
            try:
                parts.append(str(receptive_field(model, (1, *shape))))
            except ChalkgradError:
                pass  # e.g. models without spatial layers
        if args.explain:
            from .arch import explain_architecture, explain_receptive_field
            from .render import render

            parts.append(render(explain_architecture(model, shape, title=f"{title}: layer arithmetic"),
                                format=args.format))
            if has_spatial:
                parts.append(render(explain_receptive_field(model, shape, title=f"{title}: receptive field"),
                                    format=args.format))
    except ChalkgradError as e:
        print(f"chalkgrad summary: {e}", file=sys.stderr)
        return 2
    except (AssertionError, ArithmeticError, MemoryError) as e:  # a formula that disagrees, or a model too big
        print(f"chalkgrad summary: {args.model}: the arithmetic could not be written out "
              f"({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''})", file=sys.stderr)
        return 2
    sys.stdout.write("\n\n".join(p.rstrip("\n") for p in parts) + "\n")
    return 0
