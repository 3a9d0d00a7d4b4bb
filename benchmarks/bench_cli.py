"""Command-line start-up: wall time of short commands in a fresh process, imports included.

Run by hand:  python benchmarks/bench_cli.py
Targets: `chalkgrad solve` on the 2-2-2 problem under 0.5 s end to end; `chalkgrad summary vgg16`
(138M parameters, built without drawing weights) in well under a second.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import environment

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


def main(rounds: int = 5) -> None:
    print(environment())
    print()
    times = {name: [] for name in COMMANDS}
    for _ in range(rounds):  # interleaved rounds
        for name, cmd in COMMANDS.items():
            start = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True)
            times[name].append(time.perf_counter() - start)
    print(f"{'command (fresh process)':48s} {'median':>9s} {'min':>9s}")
    for name, ts in times.items():
        print(f"{name:48s} {statistics.median(ts):8.3f}s {min(ts):8.3f}s")


if __name__ == "__main__":
    main()
