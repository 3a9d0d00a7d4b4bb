"""The ``chalkgrad solve`` command: a problem file in, a worked solution out.

Kept free of heavy imports at module level so the command starts fast.
"""

from __future__ import annotations

import sys

__all__ = ["add_solve_parser", "run_solve"]


def add_solve_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "solve", help="print the worked solution of a problem file (YAML)",
        description="Print the worked solution of a problem file: every quantity with its formula, "
                    "the numbers put in, and its value. See docs/problem-files.md for the format.")
    p.add_argument("file", help="the problem file (.yaml)")
    p.add_argument("--format", choices=("text", "md", "tex"), default="text",
                   help="plain text (default), Markdown, or a LaTeX document")
    p.add_argument("--precision", type=int, default=None,
                   help="decimals shown (default: the file's 'precision', else 6)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--answer-key", action="store_true", help="only the given values and the answers")
    mode.add_argument("--problem-only", action="store_true", help="the problem with every derived value blanked")
    p.add_argument("--carry", choices=("exact", "displayed"), default=None,
                   help="exact: full precision carried (default); displayed: each intermediate rounded "
                        "before it is used, as by hand, with the answers that change reported")
    p.add_argument("--notation", choices=("framework", "textbook"), default=None,
                   help="names in dense-network solutions: framework (net_h1, out_h1, w5; default) or textbook "
                        "(z[1]_1, a[1]_1, W[2]_11, δ[l]_j)")
    p.add_argument("-o", "--output", help="write to this file instead of the terminal")
    p.add_argument("--variants", type=int, default=0, metavar="N",
                   help="print N variants of the problem (new random numbers), each with its answer key")
    p.add_argument("--seed", type=int, default=0, help="seed of the first variant (default 0)")
    p.add_argument("--check", action="store_true",
                   help="exit with status 1 when an answer under 'expected:' in the file disagrees")
    p.set_defaults(func=run_solve)


def _variants(problem, args, precision, carry) -> str:
    """N variants, each as a problem sheet followed by its answer key (or only one of the two)."""
    from ..errors import ConfigError
    from .problem import solve_problem
    from .render import render
    from .variants import make_variant

    if not 1 <= args.variants <= 100:
        raise ConfigError(f"--variants must be from 1 to 100, got {args.variants}")
    modes = ["key"] if args.answer_key else ["problem"] if args.problem_only else ["problem", "key"]
    parts = []
    for k in range(args.variants):
        variant = make_variant(problem, args.seed + k)
        solution = solve_problem(variant).carried(carry, precision)
        parts += [render(solution, format=args.format, precision=precision, mode=m) for m in modes]
    return "\n".join(parts)


def run_solve(args) -> int:
    from ..errors import ChalkgradError
    from .problem import load_problem, solve_problem
    from .render import render

    try:
        problem = load_problem(args.file)
        precision = args.precision if args.precision is not None else (problem.precision or 6)
        if not 0 <= precision <= 17:
            raise ChalkgradError(f"--precision must be from 0 to 17, got {precision}")
        carry = args.carry or problem.carry or "exact"
        if getattr(args, "notation", None):
            if problem.data.get("kind", "dense") != "dense":
                raise ChalkgradError("--notation applies to dense-network problems (kind: dense)")
            problem.data["notation"] = args.notation
        if args.variants:
            text = _variants(problem, args, precision, carry)
            solution = None
        else:
            solution = solve_problem(problem).carried(carry, precision)
            mode = "key" if args.answer_key else "problem" if args.problem_only else "full"
            text = render(solution, format=args.format, precision=precision, mode=mode)
    except ChalkgradError as e:
        print(f"chalkgrad solve: {e}", file=sys.stderr)
        return 2
    except (ArithmeticError, MemoryError, RecursionError) as e:  # e.g. a problem whose numbers overflow
        print(f"chalkgrad solve: {args.file}: the computation failed ({type(e).__name__}: {e}); "
              "check the sizes and magnitudes in the file", file=sys.stderr)
        return 2
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8") as f:
                f.write(text)
        except OSError as e:
            print(f"chalkgrad solve: cannot write {args.output}: {e.strerror or e}", file=sys.stderr)
            return 2
    else:
        sys.stdout.write(text)
    if solution is not None and solution.mismatches:
        names = ", ".join(name for name, _, _ in solution.mismatches)
        print(f"chalkgrad solve: {len(solution.mismatches)} expected answer(s) disagree with the computation: "
              f"{names}", file=sys.stderr)
        return 1 if args.check else 0
    return 0
