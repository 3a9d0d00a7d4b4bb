"""examples/distributed_ddp.py runs as a user runs it (a fresh interpreter: torch.multiprocessing.spawn
re-imports the script) and the model it brings back into chalkgrad has learned."""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_distributed_ddp_example_trains_on_two_processes_and_comes_back():
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    run = subprocess.run([sys.executable, str(ROOT / "examples" / "distributed_ddp.py"), "--small"],
                         capture_output=True, text=True, env=env, timeout=180, cwd=ROOT)
    assert run.returncode == 0, run.stderr[-3000:]
    out = run.stdout
    assert "DistributedDataParallel on 2 CPU processes" in out
    assert len(re.findall(r"epoch +\d/3", out)) == 3
    before = float(re.search(r"accuracy before training ([\d.]+)", out).group(1))
    after = float(re.search(r"back in chalkgrad as Sequential: test accuracy ([\d.]+)", out).group(1))
    assert before < 0.3 and after > 0.7  # chance is 0.1
