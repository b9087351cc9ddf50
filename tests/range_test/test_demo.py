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
    assert len(curves) == 5 and all(len(runs) == 2 and len(runs[0]) == 2 for runs in curves.values())
    for name in (
        "(a) constant 0.01",
        "(c) 1cycle + inverse momentum",
        "(d) triangular CLR",
        "(e) SGDR, its final model",
        "(e) SGDR, ensemble of 4 snapshots",
    ):
        assert name in text
    assert (tmp_path / "range_test.png").stat().st_size > 0
    assert (tmp_path / "demo_accuracy.png").stat().st_size > 0


@pytest.mark.parametrize(
    "args", [["demo", "--epochs", "0"], ["demo", "--bounds-rule", "best"], ["preview", "--steps", "-1"], ["nonsense"]]
)
def test_cli_bad_arguments_give_usage_not_traceback(args):
    done = subprocess.run([sys.executable, "-m", "lrsched", *args], capture_output=True, text=True)
    assert done.returncode == 2 and "usage:" in done.stderr and "Traceback" not in done.stderr


def test_preview_prints_the_policy_table(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "lrsched", "-o", str(tmp_path / "p.png")], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    # The seeds' worked example: 1cycle over 95 steps from 0.08 up to 0.8 at step 41, down
    # to 0.08 at step 82, then to 0.008 at step 95 (the default --steps: 0 10 20 41 60 82 90 95 120).
    row = next(line for line in done.stdout.splitlines() if line.startswith("one_cycle "))
    values = [float(v) for v in row.split("|")[1].split()]
    assert [values[i] for i in (0, 3, 5, 7, 8)] == [0.08, 0.8, 0.08, 0.008, 0.008]


def _cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "lrsched", *args], capture_output=True, text=True, cwd=cwd)


def test_cli_table_equals_the_schedule():
    import lrsched as l

    done = _cli(
        "plot",
        "one_cycle",
        "--max-lr",
        "0.8",
        "--total-steps",
        "95",
        "--pct-start",
        str(41 / 95),
        "--div-factor",
        "10",
        "--final-div-factor",
        "10",
        "--anneal",
        "linear",
        "--three-phase",
        "true",
        "--table",
        "95",
        "--momentum",
        "0.85,0.95",
    )
    assert done.returncode == 0, done.stderr
    s = l.OneCycle.example()  # the seed's three phases, the numbers the command line gave
    m = l.inverse_momentum(schedule=s)
    header, *rows = [line.split("\t") for line in done.stdout.strip().splitlines()]
    assert header == ["step", "lr", "momentum"]
    assert len(rows) == 96
    for step, lr, mom in rows:
        assert float(lr) == pytest.approx(s(int(step)), rel=1e-5)
        assert float(mom) == pytest.approx(m(int(step)), rel=1e-5)


def test_cli_plot_every_primitive_policy_and_a_config(tmp_path):
    pytest.importorskip("matplotlib", reason="matplotlib is not installed; CI installs it")
    calls = {
        "range_sweep": ["--start-lr", "1e-7", "--end-lr", "10", "--num-steps", "100", "--log"],
        "cyclic": ["--base-lr", "0.1", "--max-lr", "1", "--step-size-up", "10", "--mode", "triangular2"],
        "one_cycle": ["--max-lr", "0.8", "--total-steps", "95"],
        "cosine_decay": ["--initial-lr", "0.1", "--decay-steps", "50"],
        "cosine_restarts": ["--max-lr", "0.1", "--first-cycle-steps", "10", "--cycle-mult", "2"],
        "step_decay": ["--initial-lr", "0.1", "--drop", "0.5", "--every", "10"],
        "multi_step": ["--initial-lr", "0.1", "--milestones", "10,20"],
        "exponential": ["--initial-lr", "0.1", "--gamma", "0.97"],
        "constant": ["--lr", "0.1"],
    }
    from lrsched.__main__ import main

    # The command's own function, in this process (matplotlib starts once); the entry
    # point itself runs as `python -m lrsched` below.
    for policy, args in calls.items():
        assert main(["plot", policy, *args, "-o", str(tmp_path / f"{policy}.png")]) == 0, policy
        assert (tmp_path / f"{policy}.png").stat().st_size > 0
    config = (
        '{"policy": "join", "schedules": [{"policy": "constant", "lr": 0.1}, '
        '{"policy": "cosine_decay", "initial_lr": 0.1, "decay_steps": 10}], "boundaries": [5]}'
    )
    done = _cli("plot", "config", config, "-o", str(tmp_path / "join.png"))
    assert done.returncode == 0 and (tmp_path / "join.png").stat().st_size > 0


@pytest.mark.parametrize(
    "args",
    [
        ["plot", "cyclic", "--base-lr", "1", "--max-lr", "0.5", "--step-size-up", "3"],
        ["plot", "cyclic", "--base-lr", "0.1"],
        ["plot", "one_cycle", "--max-lr", "x", "--total-steps", "5"],
        ["plot", "one_cycle", "--max-lr", "1", "--total-steps", "5", "--three-phase", "maybe"],
        ["plot", "config", "{not json"],
        ["plot", "no_such_policy"],
    ],
)
def test_cli_plot_bad_arguments_give_usage(args):
    done = _cli(*args)
    assert done.returncode == 2 and "usage:" in done.stderr and "Traceback" not in done.stderr


def test_lrsched_plot_returns_a_figure(tmp_path):
    pytest.importorskip("matplotlib", reason="matplotlib is not installed; CI installs it")
    import lrsched as l

    s = l.cyclic(base_lr=0.1, max_lr=1.0, step_size_up=5)
    fig = l.plot(s, 40, momentum=l.inverse_momentum(schedule=s), path=str(tmp_path / "s.png"))
    assert len(fig.axes) == 2 and (tmp_path / "s.png").stat().st_size > 0
    line = fig.axes[0].lines[0]
    assert list(line.get_ydata()) == pytest.approx(list(s(line.get_xdata())))


def test_accuracy_plot_shows_every_arm_and_the_ensemble(tmp_path):
    pytest.importorskip("matplotlib", reason="matplotlib is not installed; CI installs it")
    from lrsched.demo import _plot_curves

    curves = {"slow starter": [[0.3, 0.7, 0.9], [0.5, 0.8, 0.92]], "fast": [[0.9, 0.95, 0.97], [0.91, 0.96, 0.97]]}
    fig = _plot_curves(curves, tmp_path / "acc.png", [0.975, 0.98], "a title")
    ax = fig.axes[0]
    assert ax.get_title() == "a title" and (tmp_path / "acc.png").stat().st_size > 0
    low, high = ax.get_ylim()
    assert low <= 0.4 and high == 1.0  # the slow starter's first epoch (mean 0.4) is in view
    assert all(float(t).is_integer() for t in ax.get_xticks())
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("ensemble" in label for label in labels) and "slow starter" in labels


def test_a_cyclical_plot_shows_its_first_four_cycles_by_default():
    pytest.importorskip("matplotlib", reason="matplotlib is not installed; CI installs it")
    import matplotlib

    import lrsched as l

    matplotlib.use("Agg")
    s = l.cyclic(base_lr=0.01, max_lr=0.1, step_size_up=100)  # a cycle is 200 steps
    line = l.plot(s).axes[0].lines[0]
    assert max(line.get_xdata()) == 800.0  # it drew 10,000 steps (50 cycles) before
    one = l.one_cycle(max_lr=0.1, total_steps=1000)  # no cycles: the whole shape and its tail
    assert max(l.plot(one).axes[0].lines[0].get_xdata()) >= 1000.0
