"""Test setup: quiet frameworks, Hypothesis profiles (CI draws more examples)."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# One compute thread per test process: xdist runs a worker per core, and each framework
# would start a pool of one thread per core in every worker, oversubscribing the cores
# (spinning OpenMP threads: a torch test took 20 s beside another worker, 0.1 s alone).
# Set before any framework is imported; subprocesses the tests start inherit it.
for _threads in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "TF_NUM_INTRAOP_THREADS"):
    os.environ.setdefault(_threads, "1")
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")

from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile("dev", max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# CI draws more examples, derandomized: a run's verdict does not depend on luck, and a
# failure reproduces exactly. Development runs keep exploring new random examples.
settings.register_profile(
    "ci",
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
    derandomize=True,
    database=None,
)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

import pytest  # noqa: E402


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI every framework is installed: a skipped test is a failure there."""
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI") and report.skipped:
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where nothing may be skipped: {report.longrepr}"


# Tests that start several processes of their own (DDP ranks, accelerate, forced JAX
# devices) run one after another in a single xdist worker: side by side they would
# oversubscribe the cores and their collectives' timeouts.
MANY_PROCESSES = {"test_distributed.py", "test_scale.py", "test_accelerate.py"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.name in MANY_PROCESSES:
            item.add_marker(pytest.mark.xdist_group("many-processes"))
