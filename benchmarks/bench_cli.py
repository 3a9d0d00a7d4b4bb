"""Command-line start-up: wall time of short commands in a fresh process, imports included.

Run by hand:  python benchmarks/bench_cli.py [--quick]
Prints the median wall time of each command (blocks of fresh processes, see common.py).
Targets: `chalkgrad solve` on the 2-2-2 problem under 0.5 s end to end; `chalkgrad summary vgg16`
(138M parameters, built without drawing weights) in well under a second.
"""

from __future__ import annotations

import functools
import subprocess
import sys
from pathlib import Path

import common as harness

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = {
    "python -c 'import numpy' (floor)": [sys.executable, "-c", "import numpy"],
    "python -c 'import chalkgrad'": [sys.executable, "-c", "import chalkgrad"],
    "chalkgrad solve backprop_2_2_2.yaml": [sys.executable, "-m", "chalkgrad", "solve",
                                            str(ROOT / "examples" / "problems" / "backprop_2_2_2.yaml")],
    "chalkgrad summary vgg16": [sys.executable, "-m", "chalkgrad", "summary", "vgg16"],
    "chalkgrad graph backprop_2_2_2.yaml": [sys.executable, "-m", "chalkgrad", "graph",
                                            str(ROOT / "examples" / "problems" / "backprop_2_2_2.yaml")],
}


WORKLOADS = [
    harness.Workload(f"cli-{i}", name, {"fresh process": lambda cmd=cmd: functools.partial(
        subprocess.run, cmd, check=True, capture_output=True)}, reference=None)
    for i, (name, cmd) in enumerate(COMMANDS.items())
]


def main(argv=None) -> int:
    return harness.main(WORKLOADS, __doc__, __file__, argv, imports=())


if __name__ == "__main__":
    sys.exit(main())
