"""The range test: the core's analysis from the math, and the torch runner's restore."""

import importlib.util
import math
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, strategies as st

import lrsched as l
from lrsched.rangetest import RECOMMENDED, RangeTestResult


def _u_curve(n=100, best=1e-2):
    """A loss that falls, bottoms at `best` in log-LR, then climbs past 4x its minimum."""
    lrs = l.range_sweep(start_lr=1e-6, end_lr=10.0, num_steps=n - 1)(np.arange(n))
    x = np.log10(lrs) - math.log10(best)
    return lrs, 1.0 + x**2


def test_min_div_10_and_min_from_the_curve():
    lrs, losses = _u_curve()
    r = RangeTestResult(lrs=lrs, losses=losses, smoothing=0.0, smoother="ema")  # the raw curve itself
    i = int(np.argmin(losses))
    assert r.suggest("min") == ("min", lrs[i], i, "lowest smoothed loss", "ema")
    assert r.suggest("min_div_10").lr == pytest.approx(lrs[i] / 10, rel=1e-15)
    assert r.cyclic_bounds("min") == (pytest.approx(lrs[i] / 10), lrs[i])
    assert r.cyclic_bounds("min", ratio=5)[0] == pytest.approx(lrs[i] / 5)
    # The zero-phase curve of a symmetric bowl bottoms where the bowl does.
    local = RangeTestResult(lrs=lrs, losses=losses)
    assert abs(local.suggest("min").step - i) <= 1


def test_steepest_is_where_the_loss_falls_fastest_in_log_lr():
    lrs = l.range_sweep(start_lr=1e-6, end_lr=1.0, num_steps=199)(np.arange(200))
    x = np.log10(lrs)
    losses = 2.0 - np.tanh(2 * (x + 3))  # falls fastest at log10(lr) = -3
    r = RangeTestResult(lrs=lrs, losses=losses, smoothing=0.0)
    assert r.suggest("steepest").lr == pytest.approx(1e-3, rel=0.05)


def test_smoothing_is_a_bias_corrected_ema():
    losses = np.array([4.0, 2.0, 3.0, 1.0])
    r = RangeTestResult(lrs=np.array([1e-3, 1e-2, 1e-1, 1.0]), losses=losses, smoothing=0.9)
    avg, expect = 0.0, []
    for i, loss in enumerate(losses):
        avg = 0.9 * avg + 0.1 * loss
        expect.append(avg / (1 - 0.9 ** (i + 1)))
    np.testing.assert_allclose(r.smoothed, expect, rtol=1e-15)
    assert r.smoothed[0] == 4.0  # bias correction: the first value is the first loss


def test_divergence_and_non_finite_losses():
    lrs, losses = _u_curve()
    r = RangeTestResult(lrs=lrs, losses=losses, smoothing=0.0, diverge=4.0)
    d = r.divergence_index
    assert losses[d] > 4.0 * losses[:d].min() and losses[d - 1] <= 4.0 * losses[: d - 1].min()
    nan = losses.copy()
    nan[30] = np.nan
    r = RangeTestResult(lrs=lrs, losses=nan)
    assert r.divergence_index == 30 and np.isnan(r.smoothed[30:]).all()
    # Suggestions only look before divergence: the NaN never becomes the minimum.
    assert r.suggest("min").step < 30


def test_negative_losses_diverge_sensibly():
    lrs, losses = _u_curve()
    r = RangeTestResult(lrs=lrs, losses=losses - 10.0, smoothing=0.0, diverge=1.5)
    d = r.divergence_index
    best = (losses - 10.0)[:d].min()
    assert d is not None and (losses - 10.0)[d] - best > 0.5 * abs(best)
    assert r.suggest("min").lr == RangeTestResult(lrs=lrs, losses=losses, smoothing=0.0).suggest("min").lr


def test_valley_follows_fastai_rule():
    lrs = np.geomspace(1e-5, 1, 50)
    losses = np.concatenate([np.linspace(3, 1, 30), np.linspace(1.05, 2, 20)])
    r = RangeTestResult(lrs=lrs, losses=losses, smoothing=0.0, diverge=10, trim=0.0, smoother="ema")
    # Longest descent: indices 0..29 (length 30, end 29, start 29 - 30 = -1), then
    # -1 + int(10) + int(5) = 14.
    assert r.suggest("valley") == ("valley", lrs[14], 14, "fastai valley: 2/3 down the longest descent", "ema")


@pytest.mark.parametrize(
    "losses, reason",
    [
        ([1.0, 2.0], "need >= 10"),
        ([np.nan, np.nan, np.nan, np.nan], "need >= 10"),
        ([3.0, 2.0, 1.0, np.nan], "need >= 10"),
        ([2.0] * 20, "never fell"),
        (list(np.linspace(1, 1.5, 30)), "never fell"),
    ],
)
def test_no_suggestion_says_why(losses, reason):
    r = RangeTestResult(lrs=np.geomspace(1e-4, 1, len(losses)), losses=np.array(losses))
    for rule in ("steepest", "min", "min_div_10", "valley"):
        found = r.suggest(rule)
        assert found.lr is None and reason in found.reason
    with pytest.raises(ValueError, match="no cyclic bounds"):
        r.cyclic_bounds()


def test_rising_curve_has_no_steepest_descent():
    r = RangeTestResult(lrs=np.geomspace(1e-4, 1, 20), losses=np.linspace(1, 1.5, 20))
    assert r.suggest("steepest").lr is None and "never fell" in r.suggest("steepest").reason


def test_bad_records_are_rejected():
    with pytest.raises(ValueError, match="same length"):
        RangeTestResult(lrs=np.ones(3), losses=np.ones(2))
    with pytest.raises(ValueError, match="strictly increasing"):
        RangeTestResult(lrs=np.array([1.0, 0.5]), losses=np.ones(2))
    with pytest.raises(ValueError, match="smoothing"):
        RangeTestResult(lrs=np.ones(1), losses=np.ones(1), smoothing=1.0)
    with pytest.raises(ValueError, match="diverge"):
        RangeTestResult(lrs=np.ones(1), losses=np.ones(1), diverge=1.0)
    with pytest.raises(ValueError, match="rule"):
        RangeTestResult(lrs=np.ones(1), losses=np.ones(1)).suggest("best")


def test_json_and_csv_round_trip_with_nan_and_inf():
    lrs, losses = _u_curve(40)
    losses = losses.copy()
    losses[35], losses[36] = np.inf, np.nan
    r = RangeTestResult(lrs=lrs, losses=losses, stopped="non-finite loss at step 35")
    assert RangeTestResult.from_json(r.to_json()) == r
    assert RangeTestResult.from_csv(r.to_csv()) == r


@given(
    st.lists(
        st.one_of(
            st.floats(allow_nan=True, allow_infinity=True),
            st.floats(-1e300, 1e300),
            st.sampled_from([1.7e308, -1.7e308, 1e300, 5e-324]),  # the float range's edges, often
        ),
        max_size=60,
    )
)
def test_any_curve_gives_a_suggestion_or_a_reason(losses):
    lrs = np.geomspace(1e-6, 10, max(len(losses), 1))[: len(losses)]
    r = RangeTestResult(lrs=lrs, losses=np.array(losses, dtype=float))
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # losses near the float range too
        found_all = r.suggestions()
    for found in found_all.values():
        assert (found.lr is None and found.reason) or (found.lr > 0 and math.isfinite(found.lr))


def _sigmoid_fall(n=100, seed=0, noise=0.05, center=-2.0):
    """A loss that falls from 2 to 1 around log10(lr) = center (steepest there), with noise."""
    lrs = l.range_sweep(start_lr=1e-6, end_lr=1.0, num_steps=n - 1)(np.arange(n))
    clean = 2.0 - 1.0 / (1.0 + np.exp(-3.0 * (np.log10(lrs) - center)))
    return lrs, clean + noise * np.random.default_rng(seed).normal(size=n)


def test_the_zero_phase_curve_has_no_lag_where_the_ema_has():
    # The EMA (beta 0.98) reads the fall tens of steps late, at a higher LR; the zero-phase
    # curve reads it where it is (within a tenth of a decade here, over 5 noise draws).
    for seed in range(5):
        lrs, losses = _sigmoid_fall(seed=seed)
        local = RangeTestResult(lrs=lrs, losses=losses).suggest("steepest").lr
        ema = RangeTestResult(lrs=lrs, losses=losses, smoother="ema").suggest("steepest").lr
        assert abs(math.log10(local) + 2.0) < 0.25
        assert math.log10(ema) + 2.0 > 0.5  # the lag: more than 3x too high


def test_a_fall_within_the_noise_gives_no_lr():
    lrs = np.geomspace(1e-6, 1.0, 100)
    losses = 2.0 + 0.1 * np.random.default_rng(1).normal(size=100) - 0.02 * np.linspace(0, 1, 100)
    for found in RangeTestResult(lrs=lrs, losses=losses).suggestions().values():
        assert found.lr is None and ("noise" in found.reason or "never fell" in found.reason), found


def test_a_blow_up_the_ema_misses_ends_the_analysis():
    # The loss falls, blows up to 30x and comes back: the causal EMA never sees 4x its
    # best, the zero-phase curve does, and no rule reads past it.
    lrs, losses = _sigmoid_fall(noise=0.01)
    losses = losses.copy()
    losses[70:78] = [5.0, 12.0, 30.0, 14.0, 9.0, 6.0, 4.0, 3.0]
    r = RangeTestResult(lrs=lrs, losses=losses)
    assert r.divergence_index is None  # what the causal EMA saw
    assert r.curve.size < 72
    for found in r.suggestions().values():
        assert found.lr is not None and found.lr < lrs[70], found


def test_below_start_lr_and_still_falling_are_said():
    lrs = np.geomspace(1e-3, 1.0, 40)
    losses = 2.0 - np.linspace(0, 1, 40) ** 0.5  # falls to the very end of the sweep
    for stopped in ("completed", "data ran out after 40 steps"):
        r = RangeTestResult(lrs=lrs, losses=losses, stopped=stopped)
        assert (
            "still falling at the end of the sweep" in r.suggest("min").reason
            and "raise end_lr" in r.suggest("min").reason
        )
    # A loss that fell until it blew up: its lowest point is before the blow-up, not
    # beyond it, and no suggestion says otherwise (the note contradicted "diverged").
    for stopped in ("diverged at step 40", "non-finite loss at step 40"):
        r = RangeTestResult(lrs=lrs, losses=losses, stopped=stopped)
        assert not any("still falling" in found.reason for found in r.suggestions().values()), stopped
    early = RangeTestResult(lrs=lrs[:15], losses=np.concatenate([[2.0, 1.0, 0.9], np.linspace(1.0, 3.0, 12)]))
    found = early.suggest("min_div_10")
    assert found.lr is None and ("below start_lr" in found.reason or "never fell" in found.reason)


def test_recommendations_and_the_schedules_they_give():
    lrs, losses = _sigmoid_fall(noise=0.01)
    r = RangeTestResult(lrs=lrs, losses=losses)
    ema = RangeTestResult(lrs=lrs, losses=losses, smoother="ema")
    for (use, family), (rule, smoother, factor) in RECOMMENDED.items():
        found = r.recommend(use, optimizer=family)
        read = (r if smoother == "local" else ema).suggest(rule)
        assert (found.rule, found.smoother, found.step) == (read.rule, smoother, read.step)
        assert found.lr == read.lr * factor and f"for {use} with {family} optimizers" in found.reason
        # The family the runner recorded is the default; none recorded is SGD, said so.
        recorded = RangeTestResult(lrs=lrs, losses=losses, optimizer=family)
        assert recorded.recommend(use) == found
        if family == "sgd":
            assert r.recommend(use).lr == found.lr and "SGD assumed" in r.recommend(use).reason
    with pytest.raises(ValueError, match="optimizer must be None or one of"):
        r.recommend("constant", optimizer="adam")
    with pytest.raises(ValueError, match="optimizer must be None or one of"):
        RangeTestResult(lrs=lrs, losses=losses, optimizer="Adam")
    assert r.cyclic_bounds() == (r.recommend("cyclic").lr / 10, r.recommend("cyclic").lr)
    assert r.one_cycle(total_steps=100).max_lr == r.recommend("one_cycle").lr
    assert r.cyclic(step_size_up=10).max_lr == r.recommend("cyclic").lr
    with pytest.raises(ValueError, match="use must be one of"):
        r.recommend("adam")


def test_the_readme_torch_example_suggests_an_lr_that_trains():
    # The README's torch range test, then a constant LR from recommend("constant") and
    # 1cycle from recommend("one_cycle"): both must train the model, from the suggestion alone.
    torch = pytest.importorskip("torch", reason="torch is not installed; CI installs it")
    from lrsched.adapters.torch import lambda_lr, range_test

    torch.manual_seed(0)
    x = torch.randn(512, 4)
    data = [(x[i : i + 32], x[i : i + 32].sum(1, keepdim=True)) for i in range(0, 512, 32)]

    def loss_fn(model, batch):
        inputs, targets = batch
        return torch.nn.functional.mse_loss(model(inputs), targets)

    def fresh():
        torch.manual_seed(1)
        model = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
        return model, torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    model, optimizer = fresh()
    result = range_test(model, optimizer, loss_fn, data, start_lr=1e-6, end_lr=10, num_steps=100)
    for use in ("constant", "one_cycle", "cyclic"):
        found = result.recommend(use)
        assert found.lr is not None and found.step >= 10, found  # not the first trimmed stretch

    def mean_loss(model):
        with torch.no_grad():
            return float(sum(loss_fn(model, b) for b in data)) / len(data)

    start = mean_loss(model)
    for schedule in (l.constant(lr=result.recommend("constant").lr), result.one_cycle(total_steps=20 * len(data))):
        model, optimizer = fresh()
        scheduler = lambda_lr(optimizer, schedule)
        for _ in range(20):
            for batch in data:
                optimizer.zero_grad()
                loss_fn(model, batch).backward()
                optimizer.step()
                scheduler.step()
        end = mean_loss(model)
        assert end < 0.05 * start, (schedule, start, end)


def test_the_readme_jax_example_suggests_where_the_loss_falls():
    # The README's JAX example (linear regression, SGD with momentum): the loss falls
    # between 1e-3 and 1e-1. lrsched 0.1's steepest read early noise at 6e-6.
    jnp = pytest.importorskip("jax.numpy", reason="jax is not installed; CI installs it")
    optax = pytest.importorskip("optax", reason="optax is not installed; CI installs it")
    from lrsched.adapters.optax import inject_schedules, range_test as jax_range_test

    x = np.random.default_rng(0).normal(size=(512, 4)).astype("float32")
    y = x.sum(1)

    def loss_fn(params, batch):
        inputs, targets = batch
        return jnp.mean((inputs @ params["w"] - targets) ** 2)

    batches = [(x[i : i + 32], y[i : i + 32]) for i in range(0, 512, 32)]
    optimizer = inject_schedules(optax.sgd, learning_rate=0.0, momentum=0.9)
    result = jax_range_test(loss_fn, {"w": jnp.zeros(4)}, optimizer, batches, start_lr=1e-6, end_lr=10)
    for use in ("constant", "one_cycle"):
        assert 1e-4 < result.recommend(use).lr < 0.3, result.recommend(use)


@pytest.mark.parametrize("scale", [1e-300, 1e-6, 1e6, 1e306])
def test_suggestions_do_not_depend_on_the_losses_unit(scale):
    # Every test of the analysis is unchanged by a positive scale of the losses, up to
    # the float range's edges (sums of losses near 1e308 used to overflow).
    lrs, losses = _sigmoid_fall(noise=0.02)
    reference = RangeTestResult(lrs=lrs, losses=losses).suggestions()
    with np.errstate(over="raise", invalid="raise"):
        scaled = RangeTestResult(lrs=lrs, losses=losses * scale).suggestions()
    for rule, found in reference.items():
        assert scaled[rule].step == found.step and scaled[rule].lr == found.lr, (rule, scaled[rule], found)


def test_the_plot_marks_the_recommended_lr_and_names_each_rules_curve(tmp_path):
    pytest.importorskip("matplotlib", reason="matplotlib is not installed; CI installs it")
    import matplotlib

    matplotlib.use("Agg")
    lrs, losses = _sigmoid_fall(noise=0.01)
    r = RangeTestResult(lrs=lrs, losses=losses)
    ax = r.plot(str(tmp_path / "r.png")).axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    for use in ("constant", "one_cycle", "cyclic"):
        lr = r.recommend(use).lr
        assert any(label.startswith("recommended for") and use in label and f"{lr:.3g}" in label for label in labels)
        assert any(list(line.get_xdata()) == [lr, lr] for line in ax.lines), use  # a vertical line at the LR
    # Each suggestion says which curve it read: no two labels share a rule name alone.
    assert "min_div_10 on the zero-phase curve" in " ".join(labels)
    assert r.suggest("min_div_10", "ema").describe().startswith("min_div_10 on the EMA: ")
    assert r.suggest("min_div_10").describe().startswith("min_div_10 on the zero-phase curve: ")


def test_the_runners_record_the_optimizer_family_recommend_reads():
    torch = pytest.importorskip("torch", reason="torch is not installed; CI installs it")
    from lrsched.adapters.torch import range_test

    x = torch.randn(64, 3)
    data = [(x[i : i + 16], x[i : i + 16].sum(1, keepdim=True)) for i in range(0, 64, 16)]

    def loss_fn(model, batch):
        return torch.nn.functional.mse_loss(model(batch[0]), batch[1])

    for make, family in ((torch.optim.SGD, "sgd"), (torch.optim.Adam, "adaptive"), (torch.optim.AdamW, "adaptive")):
        model = torch.nn.Linear(3, 1)
        result = range_test(model, make(model.parameters(), lr=0.1), loss_fn, data, num_steps=20, progress=False)
        assert result.optimizer == family
        assert RangeTestResult.from_json(result.to_json()).optimizer == family
        found = result.recommend("constant")
        assert found.lr is None or f"with {family} optimizers" in found.reason


def test_the_jax_runner_records_the_optimizer_family():
    jnp = pytest.importorskip("jax.numpy", reason="jax is not installed; CI installs it")
    optax = pytest.importorskip("optax", reason="optax is not installed; CI installs it")
    from lrsched.adapters.optax import inject_schedules, range_test

    x = np.random.default_rng(0).normal(size=(64, 3)).astype("float32")
    data = [(x[i : i + 16], x[i : i + 16].sum(1)) for i in range(0, 64, 16)]

    def loss_fn(params, batch):
        return jnp.mean((batch[0] @ params["w"] - batch[1]) ** 2)

    for make, family in ((optax.sgd, "sgd"), (optax.adam, "adaptive"), (optax.lion, "adaptive")):
        optimizer = inject_schedules(make, learning_rate=0.0)
        result = range_test(loss_fn, {"w": jnp.zeros(3)}, optimizer, data, num_steps=20, progress=False)
        assert result.optimizer == family, make


def test_a_recommendation_off_the_default_sweep_says_what_was_measured_there():
    # The rules were chosen on sweeps from 1e-7 to 10 over 100 steps (every runner's
    # default): another sweep gets the same reading, and the reason says so, with what
    # the benchmark measured at other sweeps for the optimizer family.
    lrs, losses = _sigmoid_fall(noise=0.01)
    default = RangeTestResult(lrs=lrs, losses=losses, sweep=(1e-7, 10.0, 100))
    other = RangeTestResult(lrs=lrs, losses=losses, sweep=(1e-5, 10.0, 100))
    for use in ("constant", "one_cycle", "cyclic"):
        assert "not at this one" not in default.recommend(use).reason
        assert "not at this one (1e-05 to 10, 100 steps" in other.recommend(use).reason
        assert "worst regret at 8-116 points" in other.recommend(use, optimizer="sgd").reason
        assert "within 3.3 points" in other.recommend(use, optimizer="adaptive").reason
        assert other.recommend(use).lr == default.recommend(use).lr
    assert RangeTestResult.from_json(other.to_json()) == other
    assert RangeTestResult.from_csv(other.to_csv()).sweep == (1e-5, 10.0, 100)
    with pytest.raises(ValueError, match="sweep must be"):
        RangeTestResult(lrs=lrs, losses=losses, sweep=(10.0, 1.0, 100))


def test_the_torch_runner_records_its_sweep():
    torch = pytest.importorskip("torch", reason="torch is not installed; CI installs it")
    from lrsched.adapters.torch import range_test

    model = torch.nn.Linear(3, 1)
    x = torch.randn(32, 3)
    data = [(x, x.sum(1, keepdim=True))]
    result = range_test(
        model,
        torch.optim.SGD(model.parameters(), lr=0.1),
        lambda m, b: torch.nn.functional.mse_loss(m(b[0]), b[1]),
        data,
        start_lr=1e-4,
        num_steps=12,
        progress=False,
    )
    assert result.sweep == (1e-4, 10.0, 12)


def test_suggest_without_a_rule_is_the_recommendation_with_a_deprecation_warning():
    lrs, losses = _u_curve()
    result = RangeTestResult(lrs=lrs, losses=losses, optimizer="sgd")
    with pytest.warns(DeprecationWarning, match=r"recommend\(use\)"):
        found = result.suggest()
    assert found == result.recommend("constant")
    assert found.lr != result.suggest("steepest").lr


# Adam's kin by other libraries' names and by subclassing; LARS and LBFGS keep no
# per-coordinate statistics and are SGD's.
ADAPTIVE_NAMES = (
    "AdamW8bit",
    "PagedAdamW8bit",
    "FusedAdam",
    "DeepSpeedCPUAdam",
    "AdaBelief",
    "AdamP",
    "Adan",
    "MADGRAD",
    "LaProp",
    "RMSpropTF",
    "AdafactorBigVision",
    "NAdamLegacy",
    "Lamb",
)
SGD_NAMES = ("SGD", "Lars", "LBFGS", "ASGD", "SGDW", "Muon")


@pytest.mark.parametrize("name", ADAPTIVE_NAMES + SGD_NAMES)
def test_the_optimizer_family_reads_variants_of_adam_by_their_names(name):
    from lrsched.rangetest import optimizer_family

    assert optimizer_family(name) == ("adaptive" if name in ADAPTIVE_NAMES else "sgd")


# timm's optimizers, each from its own file: `import timm` imports torchvision, which CI
# leaves out (its compiled ops need a CUDA build of torch); the optimizers need torch alone.
_TIMM_FAMILIES = """
import importlib, importlib.util, sys, types, torch
from lrsched.rangetest import optimizer_family
spec = importlib.util.find_spec("timm")
for package in ("timm", "timm.optim"):
    module = types.ModuleType(package)
    module.__path__ = [spec.submodule_search_locations[0] + package[4:].replace(".", "/")]
    sys.modules[package] = module
params = [torch.nn.Parameter(torch.zeros(2))]
for file, name in [("adabelief", "AdaBelief"), ("adamp", "AdamP"), ("adan", "Adan"), ("madgrad", "MADGRAD"),
                   ("rmsprop_tf", "RMSpropTF"), ("laprop", "LaProp"), ("lars", "Lars")]:
    optimizer = getattr(importlib.import_module("timm.optim." + file), name)(params, lr=0.1)
    print(name, optimizer_family(optimizer))
"""


def test_the_torch_runner_reads_the_family_through_subclasses_and_other_libraries_optimizers():
    torch = pytest.importorskip("torch", reason="torch is not installed; CI installs it")
    if importlib.util.find_spec("timm") is None:
        pytest.skip("timm is not installed; CI installs it")
    from lrsched.adapters.torch import range_test
    from lrsched.rangetest import optimizer_family

    class MyAdam(torch.optim.Adam):
        pass

    model = torch.nn.Linear(3, 1)
    assert optimizer_family(MyAdam(model.parameters(), lr=0.1)) == "adaptive"
    x = torch.randn(64, 3)
    data = [(x[i : i + 16], x[i : i + 16].sum(1, keepdim=True)) for i in range(0, 64, 16)]

    def loss_fn(model, batch):
        return torch.nn.functional.mse_loss(model(batch[0]), batch[1])

    result = range_test(model, MyAdam(model.parameters(), lr=0.1), loss_fn, data, num_steps=20, progress=False)
    assert result.optimizer == "adaptive"

    found = subprocess.run(
        [sys.executable, "-c", _TIMM_FAMILIES], capture_output=True, text=True, timeout=120, check=True
    ).stdout.split()
    families = dict(zip(found[::2], found[1::2], strict=True))
    assert families == {
        "AdaBelief": "adaptive",
        "AdamP": "adaptive",
        "Adan": "adaptive",
        "MADGRAD": "adaptive",
        "RMSpropTF": "adaptive",
        "LaProp": "adaptive",
        "Lars": "sgd",
    }


def test_the_keras_runner_reads_the_family_through_the_loss_scale_wrapper():
    keras = pytest.importorskip("keras", reason="keras is not installed; CI installs it")
    from lrsched.rangetest import optimizer_family

    assert optimizer_family(keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam())) == "adaptive"
    assert optimizer_family(keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD())) == "sgd"


def test_the_jax_runner_reads_the_family_from_the_state_however_it_is_chained():
    jnp = pytest.importorskip("jax.numpy", reason="jax is not installed; CI installs it")
    optax = pytest.importorskip("optax", reason="optax is not installed; CI installs it")
    from lrsched.adapters.optax import inject_schedules, range_test

    x = np.random.default_rng(0).normal(size=(64, 3)).astype("float32")
    data = [(x[i : i + 16], x[i : i + 16].sum(1)) for i in range(0, 64, 16)]

    def loss_fn(params, batch):
        return jnp.mean((batch[0] @ params["w"] - batch[1]) ** 2)

    chained = optax.chain(
        optax.scale_by_adam(), optax.inject_hyperparams(optax.scale_by_learning_rate)(learning_rate=0.0)
    )
    for optimizer, family in (
        (chained, "adaptive"),
        (inject_schedules(optax.lars, learning_rate=0.0), "sgd"),
        (inject_schedules(optax.adagrad, learning_rate=0.0), "adaptive"),
        (inject_schedules(optax.rmsprop, learning_rate=0.0), "adaptive"),
        (inject_schedules(optax.adafactor, learning_rate=0.0), "adaptive"),
        (inject_schedules(optax.sgd, learning_rate=0.0, momentum=0.9), "sgd"),
    ):
        result = range_test(loss_fn, {"w": jnp.zeros(3)}, optimizer, data, num_steps=20, progress=False)
        assert result.optimizer == family, optimizer


def test_the_torch_sweep_trains_in_the_modes_it_was_given():
    # A BatchNorm frozen with .eval() inside a model in training mode stays frozen through
    # the sweep and its validation passes, as in the user's training; a model handed over
    # in eval mode as a whole is trained.
    torch = pytest.importorskip("torch", reason="torch is not installed; CI installs it")
    from lrsched.adapters.torch import range_test

    x = torch.randn(64, 3)
    data = [(x[i : i + 16], x[i : i + 16].sum(1, keepdim=True)) for i in range(0, 64, 16)]

    def loss_fn(model, batch):
        return torch.nn.functional.mse_loss(model(batch[0]), batch[1])

    for frozen, val_data in ((True, None), (True, data[:2]), (False, None)):
        model = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.BatchNorm1d(8), torch.nn.Linear(8, 1))
        if frozen:
            model[1].eval()
        else:
            model.eval()
        seen = []
        model[1].register_forward_hook(
            lambda module, args, out, seen=seen: seen.append((module.training, torch.is_grad_enabled()))
        )
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        range_test(model, optimizer, loss_fn, data, val_data=val_data, num_steps=8, progress=False)
        trained = [training for training, grad in seen if grad]  # the sweep's training forwards
        assert trained and all(t is (not frozen) for t in trained)
        assert all(not training for training, grad in seen if not grad)  # validation: eval mode
        assert model[1].training is False and model.training is frozen  # handed back as given


def test_the_optimizer_family_of_an_object_answering_every_attribute_is_read_in_finite_time():
    # A mock (or any object that makes up attributes) wraps another at every name: the
    # walk through wrappers stops a few levels deep.
    from unittest import mock

    from lrsched.rangetest import optimizer_family

    assert optimizer_family(mock.MagicMock()) == "sgd"
    assert optimizer_family(mock.MagicMock(spec=["optimizer"], optimizer="Adam")) == "sgd"  # a string held is no class
