"""torch stays optional: importing chalkgrad (and chalkgrad.interop) does not import it, and without it
the conversions say how to install it."""

import os
import subprocess
import sys
from pathlib import Path

SRC = str(Path(__file__).resolve().parents[2] / "src")


def _python(code: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([SRC, os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)


def test_import_does_not_load_torch():
    run = _python("import sys, chalkgrad, chalkgrad.interop\n"
                  "t = chalkgrad.ones(2); import numpy as np; np.from_dlpack(t); np.asarray(t)\n"
                  "print('torch' in sys.modules)")
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "False"


def test_missing_torch_gives_an_install_hint():
    run = _python("import sys; sys.modules['torch'] = None\n"
                  "import chalkgrad\n"
                  "from chalkgrad.interop import to_torch\n"
                  "to_torch(chalkgrad.nn.Linear(2, 2))")
    assert run.returncode != 0
    assert "ImportError" in run.stderr and "pip install 'chalkgrad[torch]'" in run.stderr
