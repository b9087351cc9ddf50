"""The confirmation stage: candidates, schedules and the choice (framework-free), and the
torch runner's short trainings checked against the same trainings done by hand."""

import dataclasses
import json
import math

import numpy as np
import pytest

from lrsched.rangetest import (
    Confirmation,
    RangeTestResult,
    RangeTestSettings,
    candidate_lrs,
    short_schedule,
)


# -- framework-free ---------------------------------------------------------------------
@pytest.mark.parametrize("k", [2, 3, 4, 5])
@pytest.mark.parametrize("spread", [math.sqrt(10.0), 2.0, 1.25])
def test_candidates_are_k_lrs_a_spread_apart_centred_on_the_lr(k, spread):
    lrs = candidate_lrs(0.02, k, spread)
    assert len(lrs) == k
    np.testing.assert_allclose(np.diff(np.log(lrs)), math.log(spread), rtol=1e-12)
    # Centred on a log axis: the geometric mean of the candidates is the LR itself.
    assert math.exp(np.mean(np.log(lrs))) == pytest.approx(0.02, rel=1e-12)
    if k % 2:
        assert lrs[k // 2] == pytest.approx(0.02, rel=1e-15)


def test_three_candidates_by_default_half_a_decade_apart():
    assert candidate_lrs(0.1) == pytest.approx((0.1 / math.sqrt(10), 0.1, 0.1 * math.sqrt(10)), rel=1e-12)


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: candidate_lrs(0.1, 1), "confirm"),
        (lambda: candidate_lrs(0.1, True), "confirm"),
        (lambda: candidate_lrs(0.1, 2.0), "confirm"),
        (lambda: candidate_lrs(0.1, 3, 1.0), "spread must be"),
        (lambda: candidate_lrs(0.1, 3, math.inf), "spread must be"),
        (lambda: candidate_lrs(0.0, 3), "lr"),
        (lambda: candidate_lrs(math.nan, 3), "lr"),
        (lambda: short_schedule("warmup", 0.1, 10), "use"),
    ],
)
def test_bad_confirmation_settings_are_named(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_short_schedules_follow_each_use_at_the_candidate():
    steps = 100
    flat = short_schedule("constant", 0.3, steps)
    assert [flat(i) for i in (0, 50, 99)] == [0.3, 0.3, 0.3]
    cycle = short_schedule("one_cycle", 0.3, steps)
    values = np.array([cycle(i) for i in range(steps)])
    assert values.max() == pytest.approx(0.3, rel=1e-12)  # peaks at the candidate
    assert values[0] == pytest.approx(0.3 / 25, rel=1e-12)  # torch's div_factor 25
    clr = short_schedule("cyclic", 0.3, steps)
    values = np.array([clr(i) for i in range(steps + 1)])
    assert values.min() == pytest.approx(0.03, rel=1e-12)
    assert values.max() == pytest.approx(0.3, rel=1e-12)
    # Two whole cycles: the top at a quarter and three quarters, the base at 0, 1/2, 1.
    assert [values[i] for i in (0, 25, 50, 75, 100)] == pytest.approx([0.03, 0.3, 0.03, 0.3, 0.03], rel=1e-12)


def _confirmation(scores, lrs=(0.01, 0.03, 0.1)):
    return Confirmation("constant", lrs, scores, steps=50, sweep_steps=100, recommended=0.03)


def test_the_lowest_held_out_loss_wins_a_tie_goes_to_the_lower_lr_and_nothing_finite_gives_none():
    assert _confirmation((0.5, 0.4, 0.45)).lr == 0.03
    assert _confirmation((0.5, 0.6, 0.2)).lr == 0.1
    assert _confirmation((0.4, 0.4, math.inf)).lr == 0.01
    assert _confirmation((math.nan, 0.7, math.inf)).lr == 0.03
    assert _confirmation((math.nan, math.inf, -math.inf)).lr is None
    assert _confirmation((0.5, 0.4, 0.45)).cost == 3 * 50 / 100


@pytest.mark.parametrize(
    ("changes", "name"),
    [
        ({"use": "warmup"}, "use"),
        ({"scores": (0.1, 0.2)}, "lrs and scores"),
        ({"lrs": (0.1,), "scores": (0.1,)}, "lrs and scores"),
        ({"lrs": (0.1, -0.1, 0.2)}, "lrs"),
        ({"steps": 0}, "steps"),
        ({"sweep_steps": 1.5}, "sweep_steps"),
    ],
)
def test_a_confirmation_out_of_range_is_named(changes, name):
    fields = {
        "use": "constant",
        "lrs": (0.01, 0.03, 0.1),
        "scores": (0.5, 0.4, 0.45),
        "steps": 50,
        "sweep_steps": 100,
        "recommended": 0.03,
    }
    with pytest.raises(ValueError, match=name):
        Confirmation(**(fields | changes))


def _result(confirmation):
    settings = RangeTestSettings()
    lrs = np.array([settings.schedule(i) for i in range(settings.num_steps)])
    losses = 1.0 + (np.log10(lrs) + 2.5) ** 2
    return RangeTestResult(lrs=lrs, losses=losses, sweep=settings.sweep, optimizer="sgd", confirmation=confirmation)


def test_recommend_gives_the_confirmed_lr_for_the_confirmed_use_only_and_says_how():
    confirmed = _confirmation((0.5, 0.6, 0.2))
    result, plain = _result(confirmed), _result(None)
    found = result.recommend("constant")
    assert found.lr == 0.1 and found.rule == "confirmed"
    for words in ("3 short trainings of 50 steps", "0.03", "0.2", "1.5x the sweep"):
        assert words in found.describe()
    # Other uses, and another optimizer family than the one confirmed, read the curve.
    assert result.recommend("one_cycle") == plain.recommend("one_cycle")
    assert result.recommend("constant", optimizer="adaptive") == plain.recommend("constant", optimizer="adaptive")
    assert result.recommend("constant", optimizer="sgd").rule == "confirmed"
    nothing = _result(_confirmation((math.inf, math.nan, math.inf))).recommend("constant")
    assert nothing.lr is None and "no candidate kept a finite loss" in nothing.reason


def test_a_confirmation_survives_json_csv_and_pickle():
    import pickle

    result = _result(_confirmation((0.5, math.inf, 0.45)))
    for back in (
        RangeTestResult.from_json(result.to_json()),
        RangeTestResult.from_csv(result.to_csv()),
        pickle.loads(pickle.dumps(result)),
    ):
        assert back.record == result.record
        assert back.confirmation == result.confirmation
        assert back.recommend("constant") == result.recommend("constant")
    assert json.loads(result.to_json())["confirmation"]["scores"] == [0.5, "inf", 0.45]
    assert result.record != _result(None).record


# -- the torch runner ---------------------------------------------------------------------
torch = pytest.importorskip("torch", reason="torch is not installed; CI installs it")


def _task(seed=0):
    """A model and optimizer in the middle of training (state, gradients), the training
    batches and held-out batches of a 3-class problem."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(448, 10, generator=gen)
    y = (x @ torch.randn(10, 3, generator=gen)).argmax(1)
    model = torch.nn.Sequential(
        torch.nn.Linear(10, 16), torch.nn.BatchNorm1d(16), torch.nn.ReLU(), torch.nn.Linear(16, 3)
    )
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    torch.nn.functional.cross_entropy(model(x[:32]), y[:32]).backward()
    optimizer.step()
    torch.nn.functional.cross_entropy(model(x[32:64]), y[32:64]).backward()
    train = [(x[i : i + 32], y[i : i + 32]) for i in range(0, 320, 32)]
    held = [(x[320:384], y[320:384]), (x[384:], y[384:])]
    return model, optimizer, train, held


def _loss(model, batch):
    return torch.nn.functional.cross_entropy(model(batch[0]), batch[1])


def _by_hand(use, lr, steps, seed=0):
    """The short training a confirmation runs, written out: from the same state, the
    schedule of `use` at `lr`, the training batches cycled, then the mean held-out loss."""
    model, optimizer, train, held = _task(seed)
    model.train()
    schedule = short_schedule(use, lr, steps)
    for step in range(steps):
        for group in optimizer.param_groups:
            group["lr"] = float(schedule(step))
        optimizer.zero_grad()
        _loss(model, train[step % len(train)]).backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        return float(np.mean([float(_loss(model, batch)) for batch in held]))


@pytest.mark.parametrize(("use", "cache"), [("constant", "device"), ("one_cycle", "cpu"), ("cyclic", "disk")])
def test_each_short_training_starts_from_the_sweeps_start_and_scores_as_by_hand(use, cache):
    from lrsched.adapters.torch import range_test

    model, optimizer, train, held = _task()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    grads = [p.grad.clone() for p in model.parameters()]
    state = {k: v.clone() for k, v in optimizer.state_dict()["state"][0].items()}
    result = range_test(
        model, optimizer, _loss, train, confirm=3, confirm_use=use, confirm_steps=40, confirm_data=held, cache=cache
    )
    confirmed = result.confirmation
    assert confirmed is not None and confirmed.use == use and confirmed.steps == 40
    plain = RangeTestResult.of(dataclasses.replace(result.record, confirmation=None))
    assert confirmed.recommended == pytest.approx(plain.recommend(use).lr, rel=1e-12)
    assert confirmed.lrs == pytest.approx(candidate_lrs(confirmed.recommended), rel=1e-12)
    expected = [_by_hand(use, lr, 40) for lr in confirmed.lrs]
    assert confirmed.scores == pytest.approx(expected, rel=1e-5)
    assert result.recommend(use).lr == confirmed.lrs[int(np.argmin(expected))]
    assert confirmed.cost == 3 * 40 / 100
    # Everything back as it was before the sweep.
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())
    assert all(torch.equal(p.grad, g) for p, g in zip(model.parameters(), grads, strict=True))
    assert all(torch.equal(v, state[k]) for k, v in optimizer.state_dict()["state"][0].items())
    assert optimizer.param_groups[0]["lr"] == 0.05


def test_a_candidate_whose_loss_blows_up_is_out_of_the_running():
    from lrsched.adapters.torch import range_test

    torch.manual_seed(0)
    x = torch.randn(256, 4) * 10
    batches = [(x[i : i + 32], x[i : i + 32].sum(1, keepdim=True) * 100) for i in range(0, 192, 32)]
    held = [(x[192:], x[192:].sum(1, keepdim=True) * 100)]
    model = torch.nn.Linear(4, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)

    def mse(m, b):
        return torch.nn.functional.mse_loss(m(b[0]), b[1])

    found = range_test(model, optimizer, mse, batches, start_lr=1e-6, end_lr=1.0, confirm=5, confirm_data=held)
    confirmed = found.confirmation
    assert confirmed is not None
    # A linear least-squares step diverges once lr exceeds 2 / the largest Hessian eigenvalue.
    hessian_top = float(torch.linalg.eigvalsh(2 * x[:192].T @ x[:192] / 192).max())
    for lr, score in zip(confirmed.lrs, confirmed.scores, strict=True):
        if lr > 2.5 / hessian_top:
            assert score == math.inf
    assert found.recommend("constant").lr is not None
    assert found.recommend("constant").lr < 2 / hessian_top


@pytest.mark.parametrize(
    ("options", "error", "name"),
    [
        ({"confirm": 1}, ValueError, "confirm"),
        ({"confirm": True}, ValueError, "confirm"),
        ({"confirm": 3, "confirm_data": None}, ValueError, "confirm_data"),
        ({"confirm": 3, "confirm_steps": 0}, ValueError, "confirm_steps"),
        ({"confirm": 3, "confirm_use": "warmup"}, ValueError, "confirm_use"),
        ({"confirm": 3, "confirm_data": iter([])}, TypeError, "confirm_data"),
    ],
)
def test_bad_confirmation_options_are_refused_before_any_training(options, error, name):
    from lrsched.adapters.torch import check_range_test_options, range_test

    model, optimizer, train, held = _task()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    calls = []

    def counted(m, b):
        calls.append(1)
        return _loss(m, b)

    options = {"confirm_data": held} | options
    with pytest.raises(error, match=name):
        range_test(model, optimizer, counted, train, **options)
    with pytest.raises(error, match=name):
        check_range_test_options(**options)
    assert not calls
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())


def test_one_shot_training_data_is_refused_with_confirmation():
    from lrsched.adapters.torch import range_test

    model, optimizer, train, held = _task()
    with pytest.raises(TypeError, match="data must be re-iterable"):
        range_test(model, optimizer, _loss, iter(train), confirm=3, confirm_data=held)


def test_no_recommendation_no_confirmation():
    from lrsched.adapters.torch import range_test

    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    batches = [(torch.zeros(4, 2), torch.zeros(4, 1))]
    result = range_test(
        model,
        optimizer,
        lambda m, b: torch.nn.functional.mse_loss(m(b[0]) * 0, b[1]),
        batches,
        confirm=3,
        confirm_data=batches,
    )
    assert result.confirmation is None
    assert result.recommend("constant").lr is None


def test_the_confirmation_is_off_by_default():
    from lrsched.adapters.torch import range_test

    model, optimizer, train, held = _task()
    assert range_test(model, optimizer, _loss, train, val_data=held).confirmation is None


def test_the_search_goes_below_while_every_candidate_blew_up_up_to_k_more():
    from lrsched.rangetest.confirm import search

    tried = []

    def score(lr):
        tried.append(lr)
        return math.inf if lr > 1.001e-3 else (math.log10(lr) + 4) ** 2

    lrs, scores = search(0.1, 3, score)
    # 0.0316, 0.1, 0.316 blew up; then 0.01, 0.00316 and 0.001, the first that stays finite.
    assert lrs == pytest.approx([1e-3, 10**-2.5, 1e-2, 10**-1.5, 0.1, 10**-0.5], rel=1e-12)
    assert sorted(tried) == pytest.approx(list(lrs), rel=1e-15)
    assert scores[0] == pytest.approx(1.0) and all(v == math.inf for v in scores[1:])
    # No more than k below, finite or not.
    assert len(search(0.1, 2, lambda lr: math.inf)[0]) == 4
    # A finite candidate: nothing more is tried.
    tried.clear()
    assert len(search(1e-3, 3, score)[0]) == 3 and len(tried) == 3
