"""Print the README's benchmark table in Markdown from saved runs.

    python benchmarks/bench_core.py --json benchmarks/results/core.json
    python benchmarks/bench_conv.py --blas both --json benchmarks/results/conv.json
    python benchmarks/report.py benchmarks/results/core.json benchmarks/results/conv.json

Each row: the workload, chalkgrad's median (the median of its block medians), the reference library's, and the
median and best ratio chalkgrad / reference over the block pairs. With runs taken under several BLAS settings
(``--blas both``) a column says which. Every bench_*.py also prints this table itself with ``--markdown``.
"""

from __future__ import annotations

import argparse
import json
import sys

from common import format_environment, markdown_table


def load_runs(paths: list[str]) -> list[dict]:
    runs = []
    for path in paths:
        with open(path) as f:
            runs.extend(json.load(f)["runs"])
    return runs


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+", help="JSON files written by a bench script's --json")
    ap.add_argument("--environment", action="store_true", help="also print each run's environment (BLAS, threads)")
    args = ap.parse_args(argv)
    runs = load_runs(args.files)
    if args.environment:
        for run in runs:
            print(f"{run['script']}:\n{format_environment(run['environment'])}\n")
    print(markdown_table(runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
