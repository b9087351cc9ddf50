"""The demo (main job) in a tiny configuration, and the CLI's argument errors."""

import io
import subprocess
import sys

import pytest


def test_tiny_demo_runs_and_reports_every_arm(tmp_path):
    pytest.importorskip("torch", reason="torch is not installed; CI installs it")
    pytest.importorskip("sklearn", reason="scikit-learn is not installed; CI installs it")
    from lrsched import demo

    out = io.StringIO()
    curves = demo.run(epochs=2, seeds=(0, 1), output_dir=tmp_path, range_steps=40, out=out)
    text = out.getvalue()
    assert "LR range test" in text and "base_lr" in text and "took" in text
    assert len(curves) == 4 and all(len(runs) == 2 and len(runs[0]) == 2 for runs in curves.values())
    for name in ("(a) constant 0.01", "(c) 1cycle + inverse momentum", "(d) triangular CLR"):
        assert name in text
    assert (tmp_path / "range_test.png").stat().st_size > 0
    assert (tmp_path / "demo_accuracy.png").stat().st_size > 0


@pytest.mark.parametrize("args", [["demo", "--epochs", "0"], ["demo", "--bounds-rule", "best"],
                                  ["preview", "--steps", "-1"], ["nonsense"]])
def test_cli_bad_arguments_give_usage_not_traceback(args):
    done = subprocess.run([sys.executable, "-m", "lrsched", *args], capture_output=True, text=True)
    assert done.returncode == 2 and "usage:" in done.stderr and "Traceback" not in done.stderr


def test_preview_prints_the_seed_table(tmp_path):
    done = subprocess.run([sys.executable, "-m", "lrsched", "-o", str(tmp_path / "p.png")],
                          capture_output=True, text=True)
    assert done.returncode == 0 and "one_cycle 3-phase (seed 004)" in done.stdout
    assert "0.008" in done.stdout
