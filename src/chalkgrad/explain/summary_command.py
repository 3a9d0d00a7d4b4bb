"""The ``chalkgrad summary`` command: a model's shapes, parameters and MACs, optionally with formulas.

``chalkgrad summary vgg16 --input 3x224x224`` prints the table of a zoo model;
``chalkgrad summary examples/problems/conv_net_shapes.yaml`` the one of an architecture problem
file; ``--explain`` adds each layer's output-size, parameter and MAC formulas with the numbers
put in, and the receptive-field recurrence. ``--format md`` fences the tables as code;
``--format tex`` prints one complete LaTeX document (the tables as long tables, then the
formulas). ``-o FILE`` writes the output to FILE atomically instead of printing it.
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
    p.add_argument("--format", choices=("text", "md", "tex"), default="text",
                   help="text, md (Markdown) or tex (one LaTeX document) (default: text)")
    p.add_argument("-o", "--output", default=None, metavar="FILE",
                   help="write to FILE (atomically) instead of the terminal")
    p.set_defaults(func=run_summary)


#: Usual (channels, height, width) of each zoo model, used when --input is not given.
_DEFAULT_INPUT = {
    "lenet5": (1, 32, 32), "lenet5_relu": (1, 32, 32), "lenet_digits": (1, 8, 8), "alexnet": (3, 224, 224),
    "nin": (3, 224, 224), "mobilenet_like": (3, 32, 32), "fcn": (3, 64, 64), "segnet": (3, 64, 64),
}
_DEFAULT_CLASSES = {"lenet5": 10, "lenet5_relu": 10, "lenet_digits": 10, "nin": 10, "mobilenet_like": 10}


def _zoo_names() -> list[str]:
    """The zoo's model builders: the functions of ``chalkgrad.models`` wrapped by ``recorded`` (the ones
    ``load_model`` can rebuild), which leaves out helpers such as ``save_model`` and ``make_vgg_features``."""
    from .. import models

    return sorted(n for n in models.__all__ if n[0].islower() and hasattr(getattr(models, n), "__wrapped__"))


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


def _tex_table(headers: list[str], body: list[list[str]], align: str, indents=None) -> str:
    """A ``longtable`` (it breaks across pages) of already formatted cells; ``indents`` (em) shift the first column."""
    from .render import tex_text

    lines = [r"{\footnotesize", r"\begin{longtable}{" + align + "}",
             " & ".join(r"\textbf{" + tex_text(h) + "}" for h in headers) + r" \\", r"\hline", r"\endhead"]
    for i, row in enumerate(body):
        cells = [tex_text(c) for c in row]
        if indents is not None and indents[i]:
            cells[0] = rf"\hspace*{{{indents[i]}em}}" + cells[0]
        lines.append(" & ".join(cells) + r" \\")
    lines += [r"\end{longtable}", "}"]
    return "\n".join(lines)


def _tables_tex(table, rf) -> list[str]:
    """The summary table with its totals, and the receptive-field table, in LaTeX."""
    from .render import tex_text

    headers, body = table.cells()
    out = [_tex_table(headers, body, "lllrr", [r.depth for r in table.rows])
           + "".join("\n" + tex_text(line) + r"\\" for group in table.totals() for line in group)]
    if rf is not None:
        headers, body = rf.cells()
        out.append(_tex_table(headers, body, "l" * len(headers))
                   + "".join("\n" + tex_text(line) + r"\\" for line in rf.totals()))
    return out


def _latex_document(title: str, tables: list[str], explanations: list) -> str:
    """One LaTeX document: the preamble render() writes (plus longtable), the tables, then each explanation's body."""
    from .render import render
    from .steps import Solution

    head = render(Solution(title), format="tex").rsplit(r"\end{document}", 1)[0]
    head = head.replace(r"\begin{document}", "\\usepackage{longtable}\n\\begin{document}", 1)
    parts = [head.rstrip("\n"), *tables]
    for solution in explanations:
        body = render(solution, format="tex").split("\\begin{document}\n", 1)[1]
        parts.append(body.rsplit(r"\end{document}", 1)[0].rstrip("\n"))
    parts.append(r"\end{document}")
    return "\n\n".join(parts) + "\n"


def _write(text: str, output) -> None:
    """Print ``text``, or write it to ``output`` atomically (the old file stays whole if writing fails)."""
    if output is None:
        sys.stdout.write(text)
        return
    from ..serialization import atomic_write_bytes

    atomic_write_bytes(output, lambda f: f.write(text.encode("utf-8")))


def run_summary(args) -> int:
    from ..errors import ChalkgradError

    fmt = args.format
    try:
        model, shape, title = _build(args)
        from ..nn.summary import receptive_field, summary

        table = summary(model, (1, *shape), depth=args.depth)
        rf = None
        if len(shape) >= 2:
            try:
                rf = receptive_field(model, (1, *shape))
            except ChalkgradError:
                pass  # e.g. models without spatial layers
        explanations = []
        if args.explain:
            from .arch import explain_architecture, explain_receptive_field

            explanations.append(explain_architecture(model, shape, title=f"{title}: layer arithmetic"))
            if len(shape) >= 2:
                explanations.append(explain_receptive_field(model, shape, title=f"{title}: receptive field"))
    except ChalkgradError as e:
        print(f"chalkgrad summary: {e}", file=sys.stderr)
        return 2
    except (AssertionError, ArithmeticError, MemoryError) as e:  # a formula that disagrees, or a model too big
        print(f"chalkgrad summary: {args.model}: the arithmetic could not be written out "
              f"({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''})", file=sys.stderr)
        return 2
    if fmt == "tex":
        text = _latex_document(f"{title}: summary", _tables_tex(table, rf), explanations)
    else:
        from .render import render

        fence = (lambda t: "```\n" + t + "\n```") if fmt == "md" else (lambda t: t)
        parts = [fence(str(table))] + ([] if rf is None else [fence(str(rf))])
        parts += [render(e, format=fmt) for e in explanations]
        text = "\n\n".join(p.rstrip("\n") for p in parts) + "\n"
    try:
        _write(text, args.output)
    except OSError as e:
        print(f"chalkgrad summary: cannot write {args.output}: {e.strerror or e}", file=sys.stderr)
        return 2
    return 0
