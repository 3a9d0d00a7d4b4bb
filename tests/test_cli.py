"""The command line and the worked-backprop demo."""

import re
import subprocess
import sys

import pytest

from chalkgrad import __version__
from chalkgrad.cli import main
from chalkgrad.demo import worked_backprop


def value(text, label):
    """The number at the end of the line that starts with ``label``."""
    for line in text.splitlines():
        if line.strip().startswith(label):
            return float(re.findall(r"-?\d+\.\d+", line)[-1])
    raise AssertionError(f"no line starts with {label!r}")


def test_demo_matches_the_hand_computed_textbook_answer():
    # The classic 2-2-2 example: published values, computed independently by hand.
    text = worked_backprop(9)
    assert value(text, "net_h1 =") == pytest.approx(0.3775, abs=1e-9)
    assert value(text, "out_h1 =") == pytest.approx(0.593269992, abs=1e-9)
    assert value(text, "out_h2 =") == pytest.approx(0.596884378, abs=1e-9)
    assert value(text, "out_o1 =") == pytest.approx(0.75136507, abs=1e-8)
    assert value(text, "out_o2 =") == pytest.approx(0.772928465, abs=1e-9)
    assert value(text, "E = E_o1 + E_o2") == pytest.approx(0.298371109, abs=1e-9)
    assert value(text, "∂E/∂w5") == pytest.approx(0.082167041, abs=1e-9)
    assert value(text, "w5⁺") == pytest.approx(0.35891648, abs=1e-8)
    assert value(text, "w6⁺") == pytest.approx(0.408666186, abs=1e-9)
    assert value(text, "w7⁺") == pytest.approx(0.511301270, abs=1e-9)
    assert value(text, "w8⁺") == pytest.approx(0.561370121, abs=1e-9)
    assert value(text, "w1⁺") == pytest.approx(0.149780716, abs=1e-9)
    assert value(text, "w2⁺") == pytest.approx(0.19956143, abs=1e-8)
    assert value(text, "w3⁺") == pytest.approx(0.24975114, abs=1e-8)
    assert value(text, "w4⁺") == pytest.approx(0.29950229, abs=1e-8)


def test_demo_digits_option(capsys):
    assert main(["demo", "--digits", "3"]) == 0
    out = capsys.readouterr().out
    assert "E = E_o1 + E_o2 = 0.275 + 0.024 = 0.298" in out


def test_bad_digits_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as e:
        main(["demo", "--digits", "40"])
    assert e.value.code == 2
    assert "--digits must be between 0 and 17, got 40" in capsys.readouterr().err


def test_version_and_help_from_a_real_process():
    out = subprocess.run([sys.executable, "-m", "chalkgrad", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == f"chalkgrad {__version__}"
    out = subprocess.run([sys.executable, "-m", "chalkgrad", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "demo" in out.stdout


def test_subcommands_from_a_real_process(tmp_path):
    problem = "examples/problems/backprop_2_2_2.yaml"
    out = subprocess.run([sys.executable, "-m", "chalkgrad", "solve", problem, "--answer-key", "--check"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "w5⁺ = 0.35891648" in out.stdout and "✓ matches" in out.stdout
    out = subprocess.run([sys.executable, "-m", "chalkgrad", "summary", "lenet5"], capture_output=True, text=True)
    assert out.returncode == 0 and "Total params: 61,706" in out.stdout
    out = subprocess.run([sys.executable, "-m", "chalkgrad", "graph", problem, "-o", str(tmp_path / "g.dot")],
                         capture_output=True, text=True)
    assert out.returncode == 0 and (tmp_path / "g.dot").read_text(encoding="utf-8").startswith("digraph")
    bad = tmp_path / "bad.yaml"
    bad.write_text("network: [\n", encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "chalkgrad", "solve", str(bad)], capture_output=True, text=True)
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "not valid YAML" in out.stderr


def test_top_level_conveniences():
    import chalkgrad as cg

    assert cg.keras is cg.fit and callable(cg.save) and callable(cg.load)
    assert callable(cg.summary) and callable(cg.explain.explain_dense)
