"""The ``chalkgrad graph`` command: a problem file in, its computation graph out.

``chalkgrad graph FILE [-o out.svg|png|pdf|dot|gv|mmd|txt] [--level scalars|ops] [--precision N]``;
without ``-o`` the graph is printed as a text tree. Kept free of heavy imports at module
level so the command line starts fast.
"""

from __future__ import annotations

import sys

__all__ = ["add_graph_parser", "run_graph"]


def add_graph_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "graph", help="draw the computation graph of a problem file (YAML)",
        description="Draw the computation graph of a problem file with each node's value and gradient: "
                    "as Graphviz DOT (.dot, .gv), Mermaid (.mmd), a text tree (.txt, or the terminal "
                    "without -o), or a picture (.svg, .png, .pdf; needs Graphviz's dot program). "
                    "See docs/graphs.md.")
    p.add_argument("file", help="the problem file (.yaml), as for 'chalkgrad solve'")
    p.add_argument("-o", "--output", help="write to this file; the format follows its extension")
    p.add_argument("--level", choices=("scalars", "ops"), default="scalars",
                   help="scalars: one node per quantity of the worked solution (net_h1, out_h1, E...; default); "
                        "ops: one node per tensor of the library's autograd graph (Linear, Sigmoid, Sub...)")
    p.add_argument("--precision", type=int, default=None,
                   help="decimals shown (default: the file's 'precision', else 4)")
    p.set_defaults(func=run_graph)


def run_graph(args) -> int:
    from ..errors import ChalkgradError
    from .graph import IMAGE_FORMATS, find_dot, format_for_path, graph_of_problem, render_graph
    from .problem import load_problem

    output = getattr(args, "output", None)
    try:
        fmt = format_for_path(output) if output else "text"
        if fmt in IMAGE_FORMATS.values():
            find_dot(fmt)  # a missing Graphviz is reported before any work is done
        problem = load_problem(args.file)
        precision = args.precision if args.precision is not None else (problem.precision or 4)
        if not 0 <= precision <= 17:
            raise ChalkgradError(f"--precision must be from 0 to 17, got {precision}")
        graph = graph_of_problem(problem, getattr(args, "level", "scalars") or "scalars", precision)
        data = render_graph(graph, fmt, precision)
    except ChalkgradError as e:
        print(f"chalkgrad graph: {e}", file=sys.stderr)
        return 2
    if not output:
        sys.stdout.write(data)
        return 0
    try:
        if isinstance(data, bytes):
            with open(output, "wb") as f:
                f.write(data)
        else:
            with open(output, "w", encoding="utf-8") as f:
                f.write(data)
    except OSError as e:
        print(f"chalkgrad graph: cannot write {output}: {e.strerror or e}", file=sys.stderr)
        return 2
    return 0
