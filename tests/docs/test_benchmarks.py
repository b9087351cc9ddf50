"""A smoke run of each benchmark: the scripts run, and print what the README quotes.
(The numbers themselves come from full runs: the machines here are noisy and slow.)"""

import subprocess
import sys

import pytest

from tests.support import ROOT


@pytest.mark.slow
def test_finder_quality_smoke_run_prints_the_regret_tables():
    pytest.importorskip("sklearn", reason="scikit-learn is not installed; CI installs it")
    pytest.importorskip("torch", reason="torch is not installed; CI installs it")
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "finder_quality.py"), "--smoke"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    for heading in ("### constant (sgd): regret", "### one_cycle (sgd): regret"):
        assert heading in done.stdout
    for row in (
        "| lrsched recommend(",
        "| fastai valley |",
        "| lightning |",
        "| torch-lr-finder |",
        "| grid: standard error",
    ):
        assert row in done.stdout, row


@pytest.mark.slow
def test_finder_heldout_smoke_run_prints_held_out_regret_per_use_and_optimizer():
    pytest.importorskip("sklearn", reason="scikit-learn is not installed; CI installs it")
    pytest.importorskip("torch", reason="torch is not installed; CI installs it")
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "finder_heldout.py"),
            "--smoke",
            "--jobs",
            "1",
            "--confirm",
            "3,20,3.1623",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    for optimizer in ("sgd", "adam"):
        for use in ("constant", "one_cycle", "cyclic"):
            assert f"### {use} ({optimizer}): held-out regret" in done.stdout
    assert done.stdout.count("| worst / mean / within 1 point |") == 6
    assert "### Confirmation stage (k=3, 20 steps, spread 3.16; 0.6x the sweep's steps)" in done.stdout
    for optimizer in ("sgd", "adam"):
        for use in ("constant", "one_cycle", "cyclic"):
            assert f"| {optimizer}, {use} |" in done.stdout
