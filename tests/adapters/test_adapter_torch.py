"""The torch adapter against torch's own schedulers, run side by side, plus resume."""

import dataclasses
import io
import math
import warnings

import pytest

import lrsched as l

torch = pytest.importorskip("torch", reason="torch is not installed; CI installs it")
from lrsched.adapters.torch import ScheduleLR, lambda_lr  # noqa: E402

LR = 0.1


def _optimizer(kind="sgd", lr=LR, groups=1):
    params = [torch.nn.Parameter(torch.zeros(2)) for _ in range(groups)]
    param_groups = [{"params": [p]} for p in params]
    if kind == "sgd":
        return torch.optim.SGD(param_groups, lr=lr, momentum=0.9)
    if kind == "adam":
        return torch.optim.Adam(param_groups, lr=lr, betas=(0.9, 0.999))
    if kind == "adagrad":
        return torch.optim.Adagrad(param_groups, lr=lr)
    raise AssertionError(kind)


def _run_side_by_side(make_peer, ours, steps, momentum=None, rel=1e-9):
    """Step the peer and our scheduler `steps` times; compare lr (and momentum) each step."""
    peer_opt, our_opt = _optimizer(), _optimizer()
    peer = make_peer(peer_opt)
    mine = lambda_lr(our_opt, ours, momentum=momentum)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the usual order raises no warning
        for k in range(steps):
            for group_p, group_m in zip(peer_opt.param_groups, our_opt.param_groups, strict=True):
                assert group_m["lr"] == pytest.approx(group_p["lr"], rel=rel, abs=1e-15), k
                assert group_m["lr"] == pytest.approx(ours(k), rel=1e-15)
                if momentum is not None:
                    assert group_m["momentum"] == pytest.approx(group_p["momentum"], rel=rel), k
            peer_opt.step()
            our_opt.step()
            peer.step()
            mine.step()


def torch_one_cycle(max_lr, total_steps, pct_start, anneal, div_factor, final_div_factor, three_phase):
    """The lrsched call that reproduces torch's OneCycleLR: torch's knots sit one step
    earlier (at pct_start*T - 1, [2*pct_start*T - 2,] T - 1)."""
    return l.one_cycle(
        max_lr=max_lr,
        total_steps=total_steps - 1,
        pct_start=(pct_start * total_steps - 1) / (total_steps - 1),
        div_factor=div_factor,
        final_div_factor=final_div_factor,
        anneal=anneal,
        three_phase=three_phase,
    )


@pytest.mark.parametrize("three_phase", [False, True])
@pytest.mark.parametrize("anneal", ["cos", "linear"])
def test_one_cycle_lr_and_momentum_match_onecyclelr(anneal, three_phase):
    total, pct = 200, 0.3
    ours = torch_one_cycle(1.0, total, pct, anneal, 25.0, 1e4, three_phase)
    momentum = l.inverse_momentum(schedule=ours, base_momentum=0.85, max_momentum=0.95)

    def peer(opt):
        return torch.optim.lr_scheduler.OneCycleLR(
            opt,
            max_lr=1.0,
            total_steps=total,
            pct_start=pct,
            anneal_strategy=anneal,
            three_phase=three_phase,
            cycle_momentum=True,
            base_momentum=0.85,
            max_momentum=0.95,
        )

    # OneCycleLR raises past total_steps; lrsched holds the final value from there on.
    _run_side_by_side(peer, ours, total, momentum=momentum)
    assert ours(total - 1) == ours(10 * total) == pytest.approx(1.0 / 25 / 1e4)


@pytest.mark.parametrize("mode", ["triangular", "triangular2", "exp_range"])
def test_cyclic_lr_and_momentum_match_cycliclr(mode):
    gamma = 0.995 if mode == "exp_range" else 1.0
    ours = l.cyclic(base_lr=0.01, max_lr=0.1, step_size_up=7, step_size_down=13, mode=mode, gamma=gamma)
    momentum = l.inverse_momentum(schedule=ours, base_momentum=0.8, max_momentum=0.9)

    def peer(opt):
        return torch.optim.lr_scheduler.CyclicLR(
            opt,
            base_lr=0.01,
            max_lr=0.1,
            step_size_up=7,
            step_size_down=13,
            mode=mode,
            gamma=gamma,
            cycle_momentum=True,
            base_momentum=0.8,
            max_momentum=0.9,
        )

    _run_side_by_side(peer, ours, 200, momentum=momentum)


@pytest.mark.parametrize("t_mult", [1, 2])
def test_cosine_restarts_match_cosineannealingwarmrestarts(t_mult):
    ours = l.cosine_restarts(max_lr=LR, first_cycle_steps=10, min_lr=0.001, cycle_mult=t_mult)

    def peer(opt):
        return torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=10, T_mult=t_mult, eta_min=0.001)

    _run_side_by_side(peer, ours, 320)


def test_cosine_decay_matches_cosineannealinglr_within_t_max():
    ours = l.cosine_decay(initial_lr=LR, decay_steps=50, final_lr=0.001)

    def peer(opt):
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=50, eta_min=0.001)

    _run_side_by_side(peer, ours, 51)
    # Past T_max torch's cosine climbs back towards the initial LR; lrsched holds eta_min.
    opt = _optimizer()
    peer_after = peer(opt)
    for _ in range(75):
        opt.step()
        peer_after.step()
    assert opt.param_groups[0]["lr"] > 0.01 and ours(75) == pytest.approx(0.001)


@pytest.mark.parametrize(
    "ours, make_peer",
    [
        (
            l.step_decay(initial_lr=LR, drop=0.5, every=7),
            lambda opt: torch.optim.lr_scheduler.StepLR(opt, step_size=7, gamma=0.5),
        ),
        (
            l.multi_step(initial_lr=LR, milestones=[5, 20, 20, 60], gamma=0.3),
            lambda opt: torch.optim.lr_scheduler.MultiStepLR(opt, milestones=[5, 20, 20, 60], gamma=0.3),
        ),
        (l.exponential(initial_lr=LR, gamma=0.97), lambda opt: torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.97)),
    ],
    ids=["StepLR", "MultiStepLR", "ExponentialLR"],
)
def test_decays_match_torch(ours, make_peer):
    _run_side_by_side(make_peer, ours, 150)


def test_adam_betas_group_factors_and_per_epoch_stepping():
    schedule = l.one_cycle(max_lr=0.01, total_steps=10)
    momentum = l.inverse_momentum(schedule=schedule)
    opt = _optimizer("adam", groups=2)
    sched = lambda_lr(opt, schedule, momentum=momentum, group_factors=[1.0, 0.1])
    assert isinstance(sched, torch.optim.lr_scheduler.LambdaLR)
    for epoch in range(15):
        assert opt.param_groups[0]["lr"] == schedule(epoch)
        assert opt.param_groups[1]["lr"] == pytest.approx(schedule(epoch) * 0.1, rel=1e-15)
        assert opt.param_groups[0]["betas"] == (momentum(epoch), 0.999)
        assert sched.get_last_lr()[0] == schedule(epoch)
        opt.step()
        sched.step()


def _train(model, opt, sched, steps, seed=0):
    gen = torch.Generator().manual_seed(seed)
    record = []
    for _ in range(steps):
        x = torch.randn(8, 4, generator=gen)
        loss = (model(x) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        record.append((opt.param_groups[0]["lr"], opt.param_groups[0]["momentum"]))
    return record


def test_resume_from_weights_only_checkpoint_gives_identical_sequence_and_weights():
    schedule = l.one_cycle(max_lr=0.5, total_steps=40, three_phase=True, pct_start=0.25)
    momentum = l.inverse_momentum(schedule=schedule)

    def fresh():
        torch.manual_seed(0)
        model = torch.nn.Linear(4, 1)
        opt = torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
        return model, opt, lambda_lr(opt, schedule, momentum=momentum)

    model, opt, sched = fresh()
    straight = _train(model, opt, sched, 20, seed=1) + _train(model, opt, sched, 30, seed=2)
    final = [p.detach().clone() for p in model.parameters()]

    model, opt, sched = fresh()
    first = _train(model, opt, sched, 20, seed=1)
    buffer = io.BytesIO()
    torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict()}, buffer)
    buffer.seek(0)
    checkpoint = torch.load(buffer, weights_only=True)
    # Fresh objects, built with a different schedule: the checkpoint's config wins.
    torch.manual_seed(123)
    model2 = torch.nn.Linear(4, 1)
    opt2 = torch.optim.SGD(model2.parameters(), lr=0.5, momentum=0.9)
    sched2 = lambda_lr(opt2, l.constant(lr=0.5), momentum=l.constant(lr=0.9))
    model2.load_state_dict(checkpoint["model"])
    opt2.load_state_dict(checkpoint["opt"])
    with pytest.warns(UserWarning, match="the checkpoint's schedules replace"):  # built as a placeholder
        sched2.load_state_dict(checkpoint["sched"])
    assert sched2.schedule == schedule and sched2.momentum == momentum
    resumed = first + _train(model2, opt2, sched2, 30, seed=2)
    assert resumed == straight
    for a, b in zip(final, model2.parameters(), strict=True):
        assert torch.equal(a, b)


def test_state_dict_is_plain_data():
    opt = _optimizer()
    state = lambda_lr(opt, l.constant(lr=0.1)).state_dict()
    assert state["schedule"] == {"policy": "constant", "lr": 0.1}
    assert "lr_lambdas" not in state


def test_bad_input_is_rejected_clearly():
    opt = _optimizer()
    with pytest.raises(TypeError, match="schedule must be an lrsched schedule"):
        lambda_lr(opt, lambda step: 0.1)
    with pytest.raises(TypeError, match="optimizer must be a torch.optim.Optimizer"):
        lambda_lr(object(), l.constant(lr=0.1))
    with pytest.raises(ValueError, match="neither 'momentum'.*nor 'betas'"):
        lambda_lr(_optimizer("adagrad"), l.constant(lr=0.1), momentum=l.constant(lr=0.9))
    with pytest.raises(ValueError, match="group_factors"):
        lambda_lr(opt, l.constant(lr=0.1), group_factors=[1.0, 2.0])

    class Negative(l.Constant):
        policy = "test_negative"

        @property
        def bounds(self):
            return (-1.0, 0.1)

    with pytest.raises(ValueError, match="negative"):
        lambda_lr(opt, Negative(lr=0.1))
    sched = ScheduleLR(opt, l.constant(lr=0.1))
    with pytest.raises(ValueError, match="format"):
        sched.load_state_dict({"last_epoch": 3})
    assert math.isfinite(opt.param_groups[0]["lr"])


def test_a_fractional_epoch_is_refused():
    # step(2.5) (torch's deprecated epoch argument) set the LR of step 2, the next step()
    # that of 3.5, and the state_dict then failed to load (last_epoch must be whole).
    p = torch.nn.Parameter(torch.zeros(2))
    opt = torch.optim.SGD([p], lr=0.1)
    scheduler = lambda_lr(opt, l.cosine_decay(initial_lr=0.1, decay_steps=10))
    opt.step()
    for epoch in (2.5, -1, True):
        with pytest.raises(ValueError, match="epoch must be a whole number"):
            scheduler.step(epoch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's deprecation of the epoch argument
        scheduler.step(3)
    assert opt.param_groups[0]["lr"] == pytest.approx(l.cosine_decay(initial_lr=0.1, decay_steps=10)(3))
    lambda_lr(torch.optim.SGD([p], lr=0.1), l.cosine_decay(initial_lr=0.1, decay_steps=10)).load_state_dict(
        scheduler.state_dict()
    )


def test_group_factors_over_one_shared_lr_tensor_are_refused():
    # torch gives every group of Adam([...], lr=torch.tensor(0.1)) the same tensor: filled
    # once per group, each group ended with the last group's LR (0.01, 0.01 for 1.0, 0.1).
    p1, p2 = torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(2))
    opt = torch.optim.Adam([{"params": [p1]}, {"params": [p2]}], lr=torch.tensor(0.1))
    assert opt.param_groups[0]["lr"] is opt.param_groups[1]["lr"]
    with pytest.raises(ValueError, match=r"groups 0 and 1 different LRs .* share one LR tensor"):
        lambda_lr(opt, l.constant(lr=0.1), group_factors=[1.0, 0.1])
    lambda_lr(opt, l.constant(lr=0.1))  # equal factors (the default) share it rightly
    own = torch.optim.Adam(
        [{"params": [p1], "lr": torch.tensor(0.1)}, {"params": [p2], "lr": torch.tensor(0.1)}], lr=0.1
    )
    scheduler = lambda_lr(own, l.constant(lr=0.1), group_factors=[1.0, 0.1])
    own.step()
    scheduler.step()
    assert [float(g["lr"]) for g in own.param_groups] == pytest.approx([0.1, 0.01])


@pytest.mark.parametrize("tensor_lr", [False, True])
@pytest.mark.parametrize("factors", [None, [1.0, 0.5]])
@pytest.mark.parametrize("with_momentum", [False, True])
def test_lean_step_does_what_lambdalr_step_does(tensor_lr, factors, with_momentum):
    # ScheduleLR.step skips LambdaLR's per-call machinery: every observable must stay the
    # same as torch's own LambdaLR.step on the same lambdas (LRs, momentum, _last_lr,
    # counters, tensor LRs filled in place and never aliased).
    schedule = l.one_cycle(max_lr=0.1, total_steps=50)
    momentum = l.inverse_momentum(schedule=l.one_cycle(max_lr=0.1, total_steps=50)) if with_momentum else None

    def optimizer():
        # a tensor LR per group: groups sharing one cannot follow different factors (refused)
        groups = [
            {"params": [torch.nn.Parameter(torch.zeros(2))], "lr": torch.tensor(0.1) if tensor_lr else 0.1}
            for _ in range(2)
        ]
        return torch.optim.Adam(groups, lr=0.1, betas=(0.9, 0.99), capturable=tensor_lr)

    ours_opt, peer_opt = optimizer(), optimizer()
    ours = lambda_lr(ours_opt, schedule, momentum=momentum, group_factors=factors)
    assert ours.momentum is None or ours.momentum.schedule is ours.schedule  # the shape is shared
    peer = torch.optim.lr_scheduler.LambdaLR(peer_opt, list(ours.lr_lambdas))
    peer.base_lrs = [1.0, 1.0]  # the lambdas give absolute LRs
    for step in range(60):
        ours_opt.step()
        peer_opt.step()
        ours.step()
        peer.step()
        for a, b in zip(ours_opt.param_groups, peer_opt.param_groups, strict=True):
            assert type(a["lr"]) is type(b["lr"]) if not tensor_lr else isinstance(a["lr"], torch.Tensor)
            assert float(a["lr"]) == pytest.approx(float(b["lr"]) * 1.0, rel=1e-15, abs=0)
        if momentum is not None:
            assert ours_opt.param_groups[0]["betas"][0] == momentum(step + 1)
        assert [float(v) for v in ours.get_last_lr()] == pytest.approx([float(v) for v in peer.get_last_lr()])
        assert (ours.last_epoch, ours._step_count) == (peer.last_epoch, peer._step_count)
        if tensor_lr:
            assert all(v is not g["lr"] for v, g in zip(ours.get_last_lr(), ours_opt.param_groups, strict=True))


def _two_groups(lrs=(0.01, 0.001), lr=None):
    groups = [{"params": [torch.nn.Parameter(torch.zeros(2))], "lr": v} for v in lrs]
    return torch.optim.SGD(groups, lr=0.1 if lr is None else lr, momentum=0.9)


@pytest.mark.parametrize("lrs", [(0.01, 0.001), (0.001, 0.01), (0.01, 0.0), (0.0, 0.003)])
def test_param_groups_keep_their_ratio_as_torch_lambdalr_keeps_it(lrs):
    # torch's LambdaLR gives group i base_lr_i * f(k); lambda_lr without group_factors gives
    # the first group with a nonzero LR schedule(k) and every group its ratio to it, so the
    # peer with f(k) = schedule(k) / that group's LR gives the same LRs.
    schedule = l.one_cycle(max_lr=0.05, total_steps=40)
    reference = next(v for v in lrs if v)
    ours_opt, peer_opt = _two_groups(lrs), _two_groups(lrs)
    ours = lambda_lr(ours_opt, schedule)
    peer = torch.optim.lr_scheduler.LambdaLR(peer_opt, lambda k: float(schedule(k)) / reference)
    for _ in range(45):
        for a, b in zip(ours_opt.param_groups, peer_opt.param_groups, strict=True):
            assert a["lr"] == pytest.approx(b["lr"], rel=1e-12, abs=0)
        ours_opt.step()
        peer_opt.step()
        ours.step()
        peer.step()
    assert ours_opt.param_groups[0]["lr"] != ours_opt.param_groups[1]["lr"]


def test_the_same_absolute_lr_in_every_group_is_an_explicit_choice():
    schedule = l.one_cycle(max_lr=0.05, total_steps=40)
    opt = _two_groups()
    sched = lambda_lr(opt, schedule, group_factors=[1.0, 1.0])
    for k in range(10):
        assert opt.param_groups[0]["lr"] == opt.param_groups[1]["lr"] == schedule(k)
        opt.step()
        sched.step()
    # Every group at lr 0: there is no ratio to keep, each group follows the schedule.
    zero = _two_groups((0.0, 0.0))
    lambda_lr(zero, schedule)
    assert [g["lr"] for g in zero.param_groups] == [schedule(0)] * 2


def test_group_ratios_survive_a_resume_into_fresh_objects():
    schedule = l.one_cycle(max_lr=0.05, total_steps=40)
    opt = _two_groups()
    sched = lambda_lr(opt, schedule)
    for _ in range(15):
        opt.step()
        sched.step()
    buffer = io.BytesIO()
    torch.save({"opt": opt.state_dict(), "sched": sched.state_dict()}, buffer)
    buffer.seek(0)
    checkpoint = torch.load(buffer, weights_only=True)
    opt2 = _two_groups((0.5, 0.5))  # rebuilt with other LRs: the checkpoint's ratios win
    opt2.load_state_dict(checkpoint["opt"])
    sched2 = lambda_lr(opt2, l.constant(lr=0.1))
    with pytest.warns(UserWarning, match="the checkpoint's schedules replace"):  # built as a placeholder
        sched2.load_state_dict(checkpoint["sched"])
    for _ in range(20):
        opt.step()
        sched.step()
        opt2.step()
        sched2.step()
        assert [g["lr"] for g in opt2.param_groups] == [g["lr"] for g in opt.param_groups]
    assert opt2.param_groups[1]["lr"] == pytest.approx(opt2.param_groups[0]["lr"] / 10, rel=1e-12)


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_a_tensor_lr_schedulers_state_dict_loads_back(optimizer):
    # Adam(lr=torch.tensor(0.01)): base_lrs and _last_lr were tensors, which the load refused.
    schedule = l.one_cycle(max_lr=0.05, total_steps=40)

    def build():
        params = [torch.nn.Parameter(torch.zeros(2))]
        lr = torch.tensor(0.01)
        opt = torch.optim.Adam(params, lr=lr) if optimizer == "adam" else torch.optim.SGD(params, lr=lr)
        return opt, lambda_lr(opt, schedule)

    opt, sched = build()
    for _ in range(7):
        opt.step()
        sched.step()
    buffer = io.BytesIO()
    torch.save(sched.state_dict(), buffer)
    buffer.seek(0)
    opt2, sched2 = build()
    sched2.load_state_dict(torch.load(buffer, weights_only=True))
    sched.load_state_dict(sched.state_dict())  # its own state, in place
    for _ in range(5):
        sched.step()
        sched2.step()
        assert (
            float(opt2.param_groups[0]["lr"])
            == float(opt.param_groups[0]["lr"])
            == pytest.approx(schedule(sched.last_epoch), rel=1e-6)
        )


def test_a_resume_onto_a_changed_schedule_warns_and_follows_the_checkpoint():
    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    saved = l.one_cycle(max_lr=0.1, total_steps=100)
    scheduler = lambda_lr(optimizer, saved, momentum=l.inverse_momentum(schedule=saved))
    optimizer.step()
    scheduler.step()
    state = scheduler.state_dict()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the same schedules: a silent resume
        lambda_lr(optimizer, saved, momentum=l.inverse_momentum(schedule=saved)).load_state_dict(state)
    changed = l.one_cycle(max_lr=0.2, total_steps=100)
    resumed = lambda_lr(optimizer, changed, momentum=l.inverse_momentum(schedule=changed))
    with pytest.warns(UserWarning, match="the checkpoint's schedules replace") as caught:
        resumed.load_state_dict(state)
    assert "max_lr=0.2" in str(caught[0].message) and "momentum" in str(caught[0].message)
    assert resumed.schedule == saved


@pytest.mark.parametrize("momentum", [None, l.inverse_momentum(schedule=l.one_cycle(max_lr=LR, total_steps=20))])
def test_a_group_added_after_the_scheduler_is_named_as_torch_refuses_it(momentum):
    # torch's LambdaLR refuses a group added after it (its per-group lambdas no longer
    # match the groups); ours raised IndexError from inside its step.
    optimizer = _optimizer()
    scheduler = lambda_lr(optimizer, l.one_cycle(max_lr=LR, total_steps=20), momentum=momentum)
    optimizer.step()
    scheduler.step()
    optimizer.add_param_group({"params": [torch.nn.Parameter(torch.zeros(2))], "lr": LR})
    peer_optimizer = _optimizer()
    peer = torch.optim.lr_scheduler.LambdaLR(peer_optimizer, lambda step: 1.0)
    peer_optimizer.add_param_group({"params": [torch.nn.Parameter(torch.zeros(2))], "lr": LR})
    peer_optimizer.step()
    with pytest.raises(ValueError):
        peer.step()
    optimizer.step()
    with pytest.raises(ValueError, match="2 param groups; the scheduler was made for 1: make it after add_param_group"):
        scheduler.step()
    with pytest.raises(ValueError, match="make it after add_param_group"):
        scheduler.get_lr()


def test_a_plateau_cut_beside_lambda_lr_is_overwritten_at_the_next_step_as_the_docs_say():
    # docs/adapters.md: each step sets the LR from the schedule, as torch's LambdaLR does.
    seen = {}
    for name in ("lrsched", "torch"):
        model = torch.nn.Linear(2, 1)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        if name == "lrsched":
            scheduler = lambda_lr(optimizer, l.constant(lr=0.1))
        else:
            scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda k: 1.0)
        plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=0)
        lrs = []
        for _ in range(4):
            optimizer.step()
            scheduler.step()
            plateau.step(1.0)  # no improvement after the first: a cut at every later step
            lrs.append(optimizer.param_groups[0]["lr"])
        seen[name] = lrs
    assert seen["lrsched"] == seen["torch"] == [0.1, 0.05, 0.05, 0.05]


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class _UnregisteredFlat(l.Schedule):
    """A user's policy with no `policy` name and no registration: from_config cannot build it."""

    lr: float = 0.1

    def _value(self, t, xp):
        return self.lr + t * 0.0

    @property
    def bounds(self):
        return (self.lr, self.lr)

    @property
    def max_slope(self):
        return 0.0

    def breakpoints(self, until, since=0.0):
        return ()

    def pieces(self, until):
        return (l.base.Piece(0.0, until, 0),)


def test_a_checkpoint_of_a_users_unregistered_policy_resumes_into_the_same_scheduler():
    # The saved config named no registered policy, so load_state_dict raised after the
    # run: a checkpoint that could not resume. The scheduler's own schedule is the saved one.
    schedule = _UnregisteredFlat(lr=0.05)
    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = lambda_lr(optimizer, schedule)
    for _ in range(3):
        optimizer.step()
        scheduler.step()
    buffer = io.BytesIO()
    torch.save(scheduler.state_dict(), buffer)
    buffer.seek(0)
    resumed = lambda_lr(optimizer, _UnregisteredFlat(lr=0.05))
    resumed.load_state_dict(torch.load(buffer, weights_only=True))
    assert resumed.last_epoch == scheduler.last_epoch and resumed.schedule == schedule
    # A different schedule in the checkpoint still has to be rebuilt from its config.
    buffer.seek(0)
    other = lambda_lr(optimizer, _UnregisteredFlat(lr=0.07))
    with pytest.raises(ValueError, match="registered with @lrsched.register"):
        other.load_state_dict(torch.load(buffer, weights_only=True))


def test_rmsprop_momentum_from_zero_is_refused_where_torch_would_fail_later():
    # torch's RMSprop makes a parameter's momentum buffer only if momentum is above 0 at
    # its first step: a momentum warm-up from 0 failed at the second step with
    # KeyError 'momentum_buffer' (SGD makes its buffer whenever momentum is used).
    rising = l.warmup(schedule=l.constant(lr=0.9), steps=5, start_lr=0.0)
    lr = l.constant(lr=0.01)

    def run(optimizer_class, momentum, steps=6, **options):
        p = torch.nn.Parameter(torch.ones(3))
        opt = optimizer_class([p], lr=0.01, **options)
        scheduler = lambda_lr(opt, lr, momentum=momentum)
        used = []
        for _ in range(steps):
            p.sum().backward()
            used.append(opt.param_groups[0]["momentum"])
            opt.step()
            opt.zero_grad()
            scheduler.step()
        return used

    assert run(torch.optim.SGD, rising) == pytest.approx([rising(k) for k in range(6)])
    with pytest.raises(ValueError, match="momentum is 0 at step 0.*momentum_buffer"):
        run(torch.optim.RMSprop, rising)
    # From above 0: the buffer is made at the first step, and later zeros are fine.
    dipping = l.cyclic(base_lr=0.0, max_lr=0.9, step_size_up=2)  # 0.0 at step 0
    shifted = l.warmup(schedule=dipping, steps=1, start_lr=0.5)  # 0.5, then the cycle from 0
    assert run(torch.optim.RMSprop, shifted) == pytest.approx([shifted(k) for k in range(6)])
    # State made with momentum 0 (a step before the scheduler): refused too.
    p = torch.nn.Parameter(torch.ones(3))
    opt = torch.optim.RMSprop([p], lr=0.01)
    p.sum().backward()
    opt.step()
    with pytest.raises(ValueError, match="state was made with momentum 0"):
        lambda_lr(opt, lr, momentum=l.constant(lr=0.9))
    # A constant momentum of 0 drives nothing that needs a buffer: allowed.
    assert run(torch.optim.RMSprop, l.constant(lr=0.0)) == [0.0] * 6
