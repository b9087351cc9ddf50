"""The command line: every bad number is a usage error found before any work, and `--version`.

A usage error is argparse's: exit status 2 and one line on stderr that names the option,
the value given and what the option accepts. "Before any work": before a factory module
is imported, a range test trains or a plot is drawn. Bad values are drawn for every
numeric option; the range test's settings are checked against what the library's own
`range_test` says of the same settings.
"""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import lrsched
from lrsched.__main__ import main

CONSTANT = ["plot", "constant", "--lr", "0.1"]


def _usage_error(argv, capsys):
    """The one stderr line of a usage error (exit status 2) from main(argv)."""
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    out, err = capsys.readouterr()
    assert stopped.value.code == 2, (argv, out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1, (argv, err)
    assert "Traceback" not in err
    return lines[0]


def _text(value):
    """A number as a user types it (Python's repr: "-5", "-2.5", "nan", "inf", "1e-300")."""
    return repr(value)


def _not_positive():
    """Numbers outside (0, inf): zero, negatives down to the float range's end, and the non-finite."""
    return st.one_of(
        st.sampled_from([0, 0.0, -0.0, -1, float("nan"), float("inf"), float("-inf"), -1e308]),
        st.integers(max_value=0),
        st.floats(max_value=0.0, allow_nan=False),
    )


def _not_count(low):
    """Values outside the whole numbers >= low (and below 2**31): below it, not whole, non-finite, too large."""
    return st.one_of(
        st.integers(max_value=low - 1),
        st.integers(min_value=2**31, max_value=2**60),
        st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: not x.is_integer()),
        st.sampled_from([float("nan"), float("inf"), float("-inf"), low - 0.5]),
    )


# -- plot ------------------------------------------------------------------------------------
@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(until=_not_positive())
def test_plot_until_outside_its_range_is_a_usage_error(until, capsys):
    line = _usage_error([*CONSTANT, "--until", _text(until)], capsys)
    assert "--until" in line and f"got {_text(until)}" in line and "(0, inf)" in line


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=_not_count(0))
def test_plot_table_outside_its_range_is_a_usage_error(table, capsys):
    line = _usage_error([*CONSTANT, "--table", _text(table)], capsys)
    assert "--table" in line and f"got {_text(table)}" in line and "whole numbers >= 0" in line


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    until=st.floats(min_value=0.0, exclude_min=True, allow_infinity=False) | st.integers(1, 2**53),
    table=st.integers(0, 5),
)
def test_plot_accepts_every_value_inside_the_ranges(until, table, capsys):
    assert main([*CONSTANT, "--until", _text(until), "--table", str(table)]) == 0
    rows = capsys.readouterr().out.strip().splitlines()
    assert rows[0] == "step\tlr" and len(rows) == table + 2


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(bad=st.sampled_from([float("nan"), float("inf"), -0.5, 1.5, -1]), which=st.sampled_from([0, 1]))
def test_plot_momentum_outside_its_range_names_the_option(bad, which, capsys):
    pair = [0.85, 0.95]
    pair[which] = bad
    line = _usage_error([*CONSTANT, "--table", "3", "--momentum", f"{_text(pair[0])},{_text(pair[1])}"], capsys)
    assert "--momentum" in line and _text(bad) in line


@pytest.mark.parametrize(
    "policy, option, value",
    [
        (["cosine_decay", "--decay-steps", "10"], "--initial-lr", -1),
        (["cosine_decay", "--initial-lr", "0.1"], "--decay-steps", float("nan")),
        (["one_cycle", "--total-steps", "100"], "--max-lr", float("inf")),
        (["cyclic", "--base-lr", "0.1", "--max-lr", "1"], "--step-size-up", 0),
    ],
)
def test_plot_policy_option_errors_name_the_option(policy, option, value, capsys):
    line = _usage_error(["plot", *policy, option, _text(value), "--table", "2"], capsys)
    assert f"argument {option}:" in line and f"got {_text(value)}" in line


@pytest.mark.parametrize(
    "argv",
    [
        [*CONSTANT, "-o", "{missing}/lr.png"],
        [*CONSTANT, "-o", "{folder}"],
        ["preview", "-o", "{missing}/preview.png"],
    ],
)
def test_an_output_into_a_missing_folder_is_a_usage_error_before_drawing(argv, tmp_path, capsys, monkeypatch):
    import lrsched.plotting

    monkeypatch.setattr(lrsched.plotting, "plot", lambda *a, **k: pytest.fail("drew before checking the path"))
    argv = [a.format(missing=tmp_path / "missing", folder=tmp_path) for a in argv]
    line = _usage_error(argv, capsys)
    assert "-o/--output" in line and str(tmp_path) in line


def _formats():
    """The endings matplotlib's savefig writes."""
    pytest.importorskip("matplotlib", reason="matplotlib is not installed; CI installs it")
    from matplotlib.figure import Figure

    return sorted(Figure().canvas.get_supported_filetypes())


@pytest.mark.parametrize("name", ["lr.csv", "lr.txt", "run_lr0.1"])
@pytest.mark.parametrize("command", [CONSTANT, ["preview"], ["find", "{factory}"]])
def test_an_output_format_matplotlib_cannot_write_is_a_usage_error_before_the_work(
    command, name, probe, tmp_path, capsys, monkeypatch
):
    import lrsched.plotting
    import lrsched.preview

    formats = _formats()
    factory, module = probe
    monkeypatch.setattr(lrsched.plotting, "plot", lambda *a, **k: pytest.fail("drew before checking the format"))
    monkeypatch.setattr(lrsched.preview, "plot", lambda *a, **k: pytest.fail("drew before checking the format"))
    target = tmp_path / name
    line = _usage_error([*(a.format(factory=factory) for a in command), "-o", str(target)], capsys)
    assert "argument -o/--output:" in line and repr(str(target)) in line
    assert all(f".{f}" in line for f in formats)  # what it accepts: matplotlib's own list
    assert module not in sys.modules and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["lr", "lr."])
def test_an_output_without_an_ending_is_a_png_and_the_command_says_so(name, tmp_path, capsys):
    _formats()
    import matplotlib

    matplotlib.use("Agg")
    assert main([*CONSTANT, "-o", str(tmp_path / name)]) == 0
    assert [p.name for p in tmp_path.iterdir()] == ["lr.png"]  # as matplotlib's savefig names it
    assert capsys.readouterr().out == f"plot saved to {tmp_path / 'lr.png'}\n"


def test_preview_reports_the_file_it_writes(tmp_path, capsys, monkeypatch):
    _formats()
    import lrsched.preview

    written = []
    monkeypatch.setattr(lrsched.preview, "plot", lambda path: written.append(path) or True)
    assert main(["preview", "--steps", "0", "-o", str(tmp_path / "shapes")]) == 0
    assert written == [str(tmp_path / "shapes.png")]
    assert capsys.readouterr().out.endswith(f"plot saved to {tmp_path / 'shapes.png'}\n")


@pytest.mark.parametrize(
    "argv, option, says",
    [
        (["plot", "multi_step", "--initial-lr", "0.1", "--milestones", "10,x"], "--milestones", "'x'"),
        (["plot", "multi_step", "--initial-lr", "0.1", "--milestones", "10,-1"], "--milestones", "got -1"),
        ([*CONSTANT, "--momentum", "0.85,high"], "--momentum", "'high'"),
        (
            ["plot", "cosine_decay", "--initial-lr", "0.1", "--decay-steps", "9", "--periodic", "yes"],
            "--periodic",
            "true or false",
        ),
        (["plot", "cosine_decay", "--initial-lr", "x", "--decay-steps", "9"], "--initial-lr", "expected a number"),
        (["preview", "--steps", "0", "x"], "--steps", "expected a whole number"),
        (["find", "m:f", "--num-steps", "many"], "--num-steps", "expected a whole number"),
    ],
)
def test_an_unreadable_value_is_a_usage_error_in_the_users_words(argv, option, says, capsys):
    line = _usage_error([*argv, "--table", "2"] if argv[0] == "plot" else argv, capsys)
    assert f"argument {option}:" in line and says in line
    assert "_text" not in line and "invalid" not in line  # no names from inside the command


def _restarts(*options):
    return ["plot", "restarts", "--decay", "cosine_decay:initial_lr=0.1,decay_steps=10", *options, "--table", "40"]


@pytest.mark.parametrize(
    "written, same_as", [("2.0", ["--cycles", "2"]), ("2e0", ["--cycles", "2"]), ("None", []), ("none", [])]
)
def test_a_count_option_takes_a_whole_number_written_as_a_float(written, same_as, capsys):
    # A whole float is that count; None (no limit, as --cycles documents) is its default.
    assert main(_restarts(*same_as)) == 0
    table = capsys.readouterr().out
    assert main(_restarts("--cycles", written)) == 0
    assert capsys.readouterr().out == table


@pytest.mark.parametrize("written", ["2.5", "0", "nan", "two"])
def test_a_count_option_refuses_what_is_not_a_whole_number(written, capsys):
    line = _usage_error(_restarts("--cycles", written), capsys)
    assert "argument --cycles:" in line and written in line and "invalid" not in line


@pytest.mark.parametrize(
    "argv, key",
    [
        (["plot", "warmup", "--schedule", "cosine_decay:initial_lr=0.1,initial_lr=0.2,decay_steps=10"], "initial_lr"),
        (["plot", "warmup", "--schedule", "constant:lr=0.1,lr=0.1"], "lr"),
        (["plot", "warmup", "--schedule", "cosine_decay:policy=constant,initial_lr=0.1,decay_steps=10"], "policy"),
        (["plot", "warmup", "--schedule", '{"policy": "constant", "lr": 0.1, "lr": 0.2}'], "lr"),
        (["plot", "config", '{"policy": "constant", "lr": 0.1, "lr": 0.2}'], "lr"),
        (
            [
                "plot",
                "config",
                '{"policy": "warmup", "steps": 5, "steps": 6, "schedule": {"policy": "constant", "lr": 0.1}}',
            ],
            "steps",
        ),
        (
            [
                "plot",
                "config",
                '{"policy": "warmup", "steps": 5, "schedule": {"policy": "constant", "lr": 0.1, "lr": 0.3}}',
            ],
            "lr",
        ),
    ],
)
def test_a_key_given_twice_in_a_schedule_is_a_usage_error(argv, key, capsys):
    if argv[1] == "warmup":
        argv = [*argv, "--steps", "5"]
    line = _usage_error([*argv, "--table", "3"], capsys)
    assert repr(key) in line
    if argv[1] == "warmup":
        assert "argument --schedule:" in line


def test_a_flag_given_as_a_bool_is_that_bool():
    import argparse

    import numpy as np

    from lrsched.__main__ import flag_text

    assert flag_text(np.True_) is True and flag_text(np.False_) is False and flag_text(True) is True
    assert flag_text("TRUE") is True and flag_text("false") is False
    for other in (np.float64(1.0), 1, None):
        with pytest.raises(argparse.ArgumentTypeError, match="expected true or false"):
            flag_text(other)


# -- preview and demo ------------------------------------------------------------------------
@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(step=_not_count(0))
def test_preview_steps_outside_their_range_are_usage_errors(step, capsys):
    line = _usage_error(["preview", "--steps", "0", _text(step)], capsys)
    assert "--steps" in line and f"got {_text(step)}" in line and "whole numbers >= 0" in line


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(option=st.sampled_from(["--epochs", "--seeds"]), value=_not_count(1))
def test_demo_counts_outside_their_range_are_usage_errors_before_training(option, value, capsys, monkeypatch):
    import lrsched.demo

    monkeypatch.setattr(lrsched.demo, "run", lambda **kw: pytest.fail("the demo ran"))
    line = _usage_error(["demo", option, _text(value)], capsys)
    assert option in line and f"got {_text(value)}" in line and "whole numbers >= 1" in line


def test_demo_output_dir_that_is_a_file_is_a_usage_error_before_training(tmp_path, capsys, monkeypatch):
    import lrsched.demo

    monkeypatch.setattr(lrsched.demo, "run", lambda **kw: pytest.fail("the demo ran"))
    (tmp_path / "taken").write_text("")
    line = _usage_error(["demo", "--output-dir", str(tmp_path / "taken")], capsys)
    assert "--output-dir" in line and str(tmp_path / "taken") in line


# -- find --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    """A factory module whose import raises: reaching it means the CLI began the work."""
    folder = tmp_path_factory.mktemp("factory")
    name = f"cli_probe_{uuid.uuid4().hex}"
    (folder / f"{name}.py").write_text("raise RuntimeError('the factory module was imported')\n")
    sys.path.insert(0, str(folder))
    yield f"{name}:make", name
    sys.path.remove(str(folder))


def _library_refusal(start_lr, end_lr, num_steps):
    """What the library's own torch range test says of these settings (None: it accepts them).
    The loss function raises at once, so no step is ever trained."""
    torch = pytest.importorskip("torch", reason="torch is not installed; CI installs it")
    from lrsched.adapters.torch import range_test

    model = torch.nn.Linear(1, 1)

    class ReachedTrainingError(Exception):
        pass

    def loss_fn(model, batch):
        raise ReachedTrainingError

    try:
        range_test(
            model,
            torch.optim.SGD(model.parameters(), lr=0.1),
            loss_fn,
            [torch.zeros(1, 1)],
            start_lr=start_lr,
            end_lr=end_lr,
            num_steps=num_steps,
            progress=False,
        )
    except ReachedTrainingError:
        return None
    except (ValueError, TypeError) as error:
        return str(error)
    raise AssertionError("the range test neither refused nor trained")


_lr = st.one_of(
    st.floats(min_value=1e-12, max_value=1e3),
    st.sampled_from([0, 0.0, -1, -1e-7, float("nan"), float("inf"), float("-inf"), 1e-300, 1e300]),
    st.floats(max_value=0.0, allow_nan=False),
)
_steps = st.one_of(st.integers(-3, 6), st.sampled_from([100, 1.5, -2.5]))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start_lr=_lr, end_lr=_lr, num_steps=_steps)
def test_find_checks_the_sweep_as_the_range_test_does_before_importing_the_factory(
    start_lr, end_lr, num_steps, probe, capsys
):
    factory, module = probe
    refusal = _library_refusal(start_lr, end_lr, num_steps)
    argv = ["find", factory, "--start-lr", _text(start_lr), "--end-lr", _text(end_lr), "--num-steps", _text(num_steps)]
    if refusal is None:  # accepted: the CLI goes on to import the factory
        with pytest.raises(RuntimeError, match="factory module was imported"):
            main([*argv, "-o", os.devnull])
        sys.modules.pop(module, None)
        return
    line = _usage_error(argv, capsys)
    assert refusal in line  # the library's words: the parameter, the value and the range
    option = "--" + refusal.split(" ", 1)[0].replace("_", "-")
    assert f"argument {option}:" in line
    assert module not in sys.modules


@pytest.mark.parametrize("option", ["-o", "--json"])
def test_find_output_into_a_missing_folder_is_refused_before_importing_the_factory(option, probe, tmp_path, capsys):
    factory, module = probe
    target = tmp_path / "no" / "such" / "folder" / "out.file"
    line = _usage_error(["find", factory, option, str(target)], capsys)
    assert option in line and str(target) in line and "does not exist" in line
    assert module not in sys.modules


@pytest.mark.slow
def test_the_real_command_refuses_before_the_factory_runs(tmp_path):
    # A fresh interpreter, as a user runs it: exit 2, one line, and the factory module never
    # imported (its import would leave a file).
    marker = tmp_path / "imported"
    (tmp_path / "task.py").write_text(f"open({str(marker)!r}, 'w').close()\ndef make():\n    raise SystemExit(7)\n")
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    for args in (
        ["find", "task:make", "--num-steps", "1"],
        ["find", "task:make", "--start-lr", "-1"],
        ["find", "task:make", "--end-lr", "nan"],
        ["find", "task:make", "-o", str(tmp_path / "missing" / "curve.png")],
        ["plot", "constant", "--lr", "0.1", "--until", "-5"],
    ):
        done = subprocess.run(
            [sys.executable, "-m", "lrsched", *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 2, (args, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr, done.stderr
        assert not marker.exists(), args
    done = subprocess.run(
        [sys.executable, "-m", "lrsched", "find", "task:make"], cwd=tmp_path, env=env, capture_output=True, timeout=120
    )
    assert done.returncode == 7 and marker.exists()  # with good settings, the factory is reached
    command = Path(sys.executable).parent / "lrsched"
    if command.exists():  # the installed command finds a factory module in the current folder
        marker.unlink()
        env.pop("PYTHONPATH")
        argv = [str(command), "find", "task:make"]
        done = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, timeout=120)
        assert done.returncode == 7 and marker.exists(), done.stderr


# -- --version ---------------------------------------------------------------------------------
def test_version_prints_the_package_version(capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["--version"])
    assert stopped.value.code == 0
    assert capsys.readouterr().out == f"lrsched {lrsched.__version__}\n"


@pytest.mark.slow
def test_the_installed_command_prints_the_version():
    from importlib.metadata import packages_distributions, version

    # The installed distribution that provides `import lrsched` has the same version.
    assert lrsched.__version__ in {version(name) for name in packages_distributions()["lrsched"]}
    command = Path(sys.executable).parent / "lrsched"
    runs = [[sys.executable, "-m", "lrsched", "--version"]]
    if command.exists():  # the console script of pyproject's [project.scripts]
        runs.append([str(command), "--version"])
    for argv in runs:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0 and done.stdout == f"lrsched {lrsched.__version__}\n", (argv, done.stderr)


def test_plot_without_matplotlib_says_so_in_one_line_and_fails(tmp_path, capsys, monkeypatch):
    # It ended in a traceback (preview and find say "not installed").
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib raises ImportError
    path = tmp_path / "lr.png"
    code = main(["plot", "cosine_decay", "--initial-lr", "0.1", "--decay-steps", "100", "-o", str(path)])
    err = capsys.readouterr().err
    assert code == 1 and not path.exists()
    assert "matplotlib is not installed" in err and "Traceback" not in err
