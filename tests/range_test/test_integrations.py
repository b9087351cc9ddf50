"""The range test where users train: a PyTorch Lightning callback, and Hugging Face's
Trainer with the range test's schedule as its scheduler. Real libraries, tiny models."""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="torch is not installed; CI installs it")

import lrsched as l  # noqa: E402


def _regression(n=256, seed=0):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 4, generator=gen)
    return x, x.sum(1, keepdim=True)


def _lightning_regression(pl):
    """A LightningModule on `_regression`'s data: SGD with momentum at `lr` (its hparam),
    the weights it starts `fit` from kept in `first_weights`."""

    class Regression(pl.LightningModule):
        def __init__(self, lr=1e-3):
            super().__init__()
            self.save_hyperparameters()
            self.net = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
            self.first_weights = None

        def training_step(self, batch, batch_idx):
            loss = torch.nn.functional.mse_loss(self.net(batch[0]), batch[1])
            self.log("train_loss", loss)  # Lightning's logging: dropped during the range test
            return loss

        def on_train_start(self):
            self.first_weights = [p.detach().clone() for p in self.parameters()]

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=self.hparams.lr, momentum=0.9)

    return Regression()


def test_lightning_callback_runs_the_test_restores_and_applies_the_recommendation():
    pl = pytest.importorskip("pytorch_lightning", reason="pytorch-lightning is not installed; CI installs it")
    from lrsched.adapters.lightning import RangeTestCallback

    x, y = _regression()
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=32)

    torch.manual_seed(0)
    model = _lightning_regression(pl)
    initial = [p.detach().clone() for p in model.parameters()]
    callback = RangeTestCallback(use="constant", start_lr=1e-6, end_lr=10.0, num_steps=60)
    trainer = pl.Trainer(
        max_epochs=8, callbacks=[callback], logger=False, enable_checkpointing=False, enable_progress_bar=False,
        enable_model_summary=False, accelerator="cpu",
    )  # fmt: skip
    trainer.fit(model, loader)

    assert callback.result is not None and len(callback.result.lrs) >= 20
    lr = callback.result.recommend("constant").lr
    assert lr is not None and callback.applied_lr == lr and model.hparams.lr == lr
    assert trainer.optimizers[0].param_groups[0]["lr"] == lr
    # Training started from the untouched weights: the range test restored them.
    for before, after in zip(initial, model.first_weights, strict=True):
        assert torch.equal(before, after)
    with torch.no_grad():
        assert torch.nn.functional.mse_loss(model.net(x), y) < 0.05 * y.var()
    with pytest.raises(ValueError, match="use must be one of"):
        RangeTestCallback(use="adam")


def test_lightning_callback_applies_the_lr_to_the_group_the_curve_was_read_on():
    # Discriminative LRs, the backbone's group first at a tenth of the head's (the module's
    # `lr`): the curve is the backbone group's, so the backbone takes the recommendation
    # and the head ten times it, as they ran in the sweep.
    pl = pytest.importorskip("pytorch_lightning", reason="pytorch-lightning is not installed; CI installs it")
    from lrsched.adapters.lightning import RangeTestCallback

    class TwoGroups(pl.LightningModule):
        def __init__(self, lr=1e-2):
            super().__init__()
            self.save_hyperparameters()
            self.body = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU())
            self.head = torch.nn.Linear(16, 1)

        def training_step(self, batch, batch_idx):
            return torch.nn.functional.mse_loss(self.head(self.body(batch[0])), batch[1])

        def configure_optimizers(self):
            return torch.optim.SGD(
                [
                    {"params": self.body.parameters(), "lr": self.hparams.lr * 0.1},
                    {"params": self.head.parameters(), "lr": self.hparams.lr},
                ],
                lr=self.hparams.lr,
            )

    x, y = _regression()
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=32)
    torch.manual_seed(0)
    model = TwoGroups()
    callback = RangeTestCallback(use="constant", start_lr=1e-5, end_lr=10.0, num_steps=60)
    trainer = pl.Trainer(
        max_steps=1, callbacks=[callback], logger=False, enable_checkpointing=False, enable_progress_bar=False,
        enable_model_summary=False, accelerator="cpu",
    )  # fmt: skip
    trainer.fit(model, loader)
    lr = callback.applied_lr
    assert lr is not None and lr == callback.result.recommend("constant").lr
    assert callback.result.lrs[0] == pytest.approx(1e-5)  # the first group swept from start_lr
    body, head = (group["lr"] for group in trainer.optimizers[0].param_groups)
    assert body == pytest.approx(lr, rel=1e-12) and head == pytest.approx(10 * lr, rel=1e-12)
    assert model.hparams.lr == pytest.approx(10 * lr, rel=1e-12)  # configure_optimizers would rebuild the same


def test_lightning_callback_applies_the_confirmed_lr_of_its_use():
    pl = pytest.importorskip("pytorch_lightning", reason="pytorch-lightning is not installed; CI installs it")
    from lrsched.adapters.lightning import RangeTestCallback

    x, y = _regression()
    held_x, held_y = _regression(64, seed=1)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=32)

    torch.manual_seed(0)
    model = _lightning_regression(pl)
    callback = RangeTestCallback(
        use="one_cycle", num_steps=60, confirm=3, confirm_steps=20, confirm_data=[(held_x, held_y)]
    )
    trainer = pl.Trainer(
        max_epochs=1, callbacks=[callback], logger=False, enable_checkpointing=False, enable_progress_bar=False,
        enable_model_summary=False, accelerator="cpu",
    )  # fmt: skip
    trainer.fit(model, loader)
    confirmed = callback.result.confirmation
    assert confirmed is not None and confirmed.use == "one_cycle"
    assert callback.applied_lr == confirmed.lr == callback.result.recommend("one_cycle").lr


def test_hugging_face_trainer_runs_with_the_range_tests_schedule(tmp_path):
    # The README's recipe: the range test on the model, then Trainer(optimizers=(optimizer,
    # lambda_lr(optimizer, result.one_cycle(...)))): the Trainer steps lrsched's schedule.
    transformers = pytest.importorskip("transformers", reason="transformers is not installed; CI installs it")
    pytest.importorskip("accelerate", reason="accelerate is not installed; CI installs it")
    from lrsched.adapters.torch import lambda_lr, range_test

    x, y = _regression()

    class Regression(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.net = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))

        def forward(self, inputs, labels=None):
            out = self.net(inputs)
            return {"loss": torch.nn.functional.mse_loss(out, labels), "logits": out}

    torch.manual_seed(0)
    model = Regression()
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    batches = [{"inputs": x[i : i + 32], "labels": y[i : i + 32]} for i in range(0, len(x), 32)]
    result = range_test(model, optimizer, lambda m, b: m(**b)["loss"], batches, start_lr=1e-6, end_lr=10.0)
    steps = 64
    schedule = result.one_cycle(total_steps=steps)
    scheduler = lambda_lr(optimizer, schedule)

    rows = [{"inputs": x[i], "labels": y[i]} for i in range(len(x))]
    args = transformers.TrainingArguments(
        output_dir=str(tmp_path), max_steps=steps, per_device_train_batch_size=32, learning_rate=1.0, report_to=[],
        save_strategy="no", logging_strategy="no", use_cpu=True, disable_tqdm=True, dataloader_num_workers=0,
    )  # fmt: skip
    trainer = transformers.Trainer(model=model, args=args, train_dataset=rows, optimizers=(optimizer, scheduler))
    trainer.train()

    assert trainer.lr_scheduler is scheduler and scheduler.last_epoch == steps
    np.testing.assert_allclose(optimizer.param_groups[0]["lr"], schedule(steps), rtol=1e-12)
    with torch.no_grad():
        assert torch.nn.functional.mse_loss(model.net(x), y) < 0.1 * y.var()
    assert isinstance(schedule, l.OneCycle)


def test_lightning_callback_checks_its_range_test_options_at_construction():
    pytest.importorskip("pytorch_lightning", reason="pytorch-lightning is not installed; CI installs it")
    from lrsched.adapters.lightning import RangeTestCallback

    with pytest.raises(TypeError, match=r"no option 'num_step' \(did you mean 'num_steps'\?\)"):
        RangeTestCallback(num_step=50)
    with pytest.raises(ValueError, match=r"cache must be one of 'device', 'cpu', 'disk'; got 'gpu'"):
        RangeTestCallback(cache="gpu")
    with pytest.raises(ValueError, match=r"num_steps must be a whole number >= 2; got 1"):
        RangeTestCallback(num_steps=1)
    with pytest.raises(ValueError, match="end_lr"):
        RangeTestCallback(start_lr=1.0, end_lr=0.1)
    with pytest.raises(ValueError, match="accumulation_steps"):
        RangeTestCallback(accumulation_steps=0)
    with pytest.raises(TypeError, match="val_data must be re-iterable"):
        RangeTestCallback(val_data=(b for b in range(3)))
    RangeTestCallback(use="one_cycle", start_lr=1e-6, end_lr=1.0, num_steps=50, cache="cpu", max_grad_norm=1.0)


def _one_cycle_closed_form(k, max_lr, total, pct=0.3, div=25.0, final_div=1e4):
    """Smith's two-phase 1cycle with cosine annealing, written out: initial max_lr / div up
    to max_lr over pct * total steps, then down to the initial / final_div at total."""
    initial = max_lr / div
    peak = pct * total
    if k <= peak:
        start, end, x = initial, max_lr, k / peak
    else:
        start, end, x = max_lr, initial / final_div, (min(k, total) - peak) / (total - peak)
    return end + (start - end) * 0.5 * (1 + np.cos(np.pi * x))


def _lightning_one_cycle_fit(make_scheduler, steps=24):
    """fit with RangeTestCallback(use="one_cycle") and the scheduler configure_optimizers
    builds; the LR the optimizer holds at the start of every training step."""
    pl = pytest.importorskip("pytorch_lightning", reason="pytorch-lightning is not installed; CI installs it")
    from lrsched.adapters.lightning import RangeTestCallback

    x, y = _regression()
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=32)

    class Regression(pl.LightningModule):
        def __init__(self, lr=1e-3):
            super().__init__()
            self.save_hyperparameters()
            self.net = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))

        def training_step(self, batch, batch_idx):
            return torch.nn.functional.mse_loss(self.net(batch[0]), batch[1])

        def configure_optimizers(self):
            optimizer = torch.optim.SGD(self.parameters(), lr=self.hparams.lr, momentum=0.9)
            scheduler = make_scheduler(optimizer, self.hparams.lr)
            return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}

    class Lrs(pl.Callback):
        def __init__(self):
            self.seen = []

        def on_train_batch_start(self, trainer, module, batch, batch_idx):
            self.seen.append(trainer.optimizers[0].param_groups[0]["lr"])

    torch.manual_seed(0)
    callback, lrs = RangeTestCallback(use="one_cycle", start_lr=1e-6, end_lr=10.0, num_steps=40), Lrs()
    trainer = pl.Trainer(
        max_steps=steps, callbacks=[callback, lrs], logger=False, enable_checkpointing=False,
        enable_progress_bar=False, enable_model_summary=False, accelerator="cpu",
    )  # fmt: skip
    module = Regression()
    trainer.fit(module, loader)
    return callback, lrs.seen, module


def _triangular_closed_form(k, base_lr, max_lr, up):
    """Triangular CLR, written out: base_lr up to max_lr over `up` steps and back, repeated."""
    position = k % (2 * up)
    return base_lr + (max_lr - base_lr) * (1 - abs(position - up) / up)


@pytest.mark.parametrize("kind", ["one_cycle", "cyclic"])
def test_lightning_callback_rescales_an_lrsched_schedule_from_configure_optimizers(kind):
    # configure_optimizers' schedule peaks at the module's LR; the callback's recommendation
    # must become the schedule's peak for the whole run (a 1cycle's max_lr, a CLR's top,
    # its floor kept in ratio), not the LR of step 0 alone.
    from lrsched.adapters.torch import lambda_lr

    total, up = 40, 5

    def make(optimizer, lr):
        if kind == "one_cycle":
            return lambda_lr(optimizer, l.one_cycle(max_lr=lr, total_steps=total))
        return lambda_lr(optimizer, l.cyclic(base_lr=lr / 10, max_lr=lr, step_size_up=up))

    callback, seen, module = _lightning_one_cycle_fit(make)
    peak = callback.applied_lr
    assert peak is not None and peak == callback.result.recommend("one_cycle").lr and peak != 1e-3
    # The module's lr is the schedule's peak, as configure_optimizers reads it (not the
    # peak times the schedule's peak over its value at step 0).
    assert module.hparams.lr == peak
    if kind == "one_cycle":
        expected = [_one_cycle_closed_form(k, peak, total) for k in range(len(seen))]
    else:
        expected = [_triangular_closed_form(k, peak / 10, peak, up) for k in range(len(seen))]
    np.testing.assert_allclose(seen, expected, rtol=1e-9)


def test_lightning_callback_refuses_a_scheduler_it_cannot_rescale_before_the_sweep():
    # torch's OneCycleLR sets the LR from its own max_lr at its next step: applying the
    # recommendation to the param groups would last one step. Refused, with what to do.
    def torch_one_cycle(optimizer, lr):
        return torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=40)

    with pytest.raises(ValueError, match=r"OneCycleLR .*lambda_lr.*range_test before fit"):
        _lightning_one_cycle_fit(torch_one_cycle)


def test_the_schedulers_the_lightning_callback_leaves_alone_follow_the_lr_it_applies():
    # The callback lets these torch schedulers be: each multiplies the group's current LR,
    # so an LR scaled by c at step 0 stays c times the unscaled run at every later step.
    pytest.importorskip("pytorch_lightning", reason="pytorch-lightning is not installed; CI installs it")
    from lrsched.adapters.lightning import _FOLLOWING

    sched = torch.optim.lr_scheduler
    build = {
        sched.StepLR: lambda o: sched.StepLR(o, step_size=2, gamma=0.5),
        sched.MultiStepLR: lambda o: sched.MultiStepLR(o, milestones=[2, 3], gamma=0.5),
        sched.ExponentialLR: lambda o: sched.ExponentialLR(o, gamma=0.5),
        sched.MultiplicativeLR: lambda o: sched.MultiplicativeLR(o, lr_lambda=lambda epoch: 0.5),
        sched.ReduceLROnPlateau: lambda o: sched.ReduceLROnPlateau(o, factor=0.5, patience=0),
    }
    assert set(build) == set(_FOLLOWING)
    for kind, make in build.items():
        runs = []
        for scale in (1.0, 3.0):
            optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
            scheduler = make(optimizer)
            optimizer.param_groups[0]["lr"] *= scale  # what the callback applies at step 0
            lrs = []
            for _ in range(6):
                lrs.append(optimizer.param_groups[0]["lr"])
                optimizer.step()
                scheduler.step(1.0) if kind is sched.ReduceLROnPlateau else scheduler.step()
            runs.append(lrs)
        assert len(set(runs[0])) > 1, kind  # the scheduler moved the LR
        np.testing.assert_allclose(runs[1], [3.0 * lr for lr in runs[0]], rtol=1e-12, err_msg=kind.__name__)


def test_lightning_callback_sweeps_over_the_trainers_accumulation_and_clipping():
    # Each sweep step is one of fit's optimizer steps: over accumulate_grad_batches
    # batches, clipped as the trainer clips. It stepped on every batch, unclipped (a
    # recommendation for a batch a quarter of fit's, as Lightning's own LR finder does not).
    pl = pytest.importorskip("pytorch_lightning", reason="pytorch-lightning is not installed; CI installs it")
    from lrsched.adapters.lightning import RangeTestCallback
    from lrsched.adapters.torch import range_test

    x, y = _regression()
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=8)
    sweep = {"start_lr": 1e-5, "end_lr": 1.0, "num_steps": 12}

    def curve_from_fit(callback_options=None, **trainer_options):
        torch.manual_seed(0)
        model = _lightning_regression(pl)
        callback = RangeTestCallback(use="constant", **sweep, **(callback_options or {}))
        trainer = pl.Trainer(
            max_steps=1, callbacks=[callback], logger=False, enable_checkpointing=False, enable_progress_bar=False,
            enable_model_summary=False, accelerator="cpu", **trainer_options,
        )  # fmt: skip
        trainer.fit(model, loader)
        return callback.result

    def curve_of_range_test(**options):
        torch.manual_seed(0)
        model = _lightning_regression(pl)
        optimizer = model.configure_optimizers()

        def loss_fn(module, batch):
            return torch.nn.functional.mse_loss(module.net(batch[0]), batch[1])

        return range_test(model, optimizer, loss_fn, loader, **sweep, **options)

    fitted = curve_from_fit(accumulate_grad_batches=4, gradient_clip_val=0.05)
    expected = curve_of_range_test(accumulation_steps=4, max_grad_norm=0.05)
    np.testing.assert_allclose(fitted.losses, expected.losses, rtol=1e-6)
    assert not np.allclose(fitted.losses, curve_of_range_test().losses[: len(fitted.losses)], rtol=1e-3)
    # An option given to the callback wins over the trainer's.
    own = curve_from_fit({"accumulation_steps": 2}, accumulate_grad_batches=4)
    np.testing.assert_allclose(own.losses, curve_of_range_test(accumulation_steps=2).losses, rtol=1e-6)
    with pytest.raises(ValueError, match="clips gradients by norm only; the trainer clips by value"):
        curve_from_fit(gradient_clip_val=0.5, gradient_clip_algorithm="value")


def test_lightning_callback_sweeps_under_a_schedule_that_starts_at_zero():
    # Hugging Face's warmup from 0: the scheduler holds every group at 0 when fit starts,
    # and the sweep refused ("every param group has lr=0"), which the user cannot change.
    from lrsched import compat
    from lrsched.adapters.torch import lambda_lr

    def warmup_from_zero(optimizer, lr):
        return lambda_lr(optimizer, compat.transformers.get_linear_schedule_with_warmup(lr, 4, 40))

    callback, seen, module = _lightning_one_cycle_fit(warmup_from_zero)
    peak = callback.applied_lr
    assert peak is not None and peak == callback.result.recommend("one_cycle").lr
    assert len(callback.result.lrs) > 10 and callback.result.lrs[0] == pytest.approx(1e-6)
    expected = compat.transformers.get_linear_schedule_with_warmup(peak, 4, 40)
    np.testing.assert_allclose(seen, [expected(k) for k in range(len(seen))], rtol=1e-9)
    assert seen[0] == 0.0


def test_lightning_callback_does_not_sweep_again_on_a_resumed_fit(tmp_path):
    # Lightning restores the optimizer and the schedulers after on_fit_start: a resumed
    # fit ran 60 more sweep steps and reported an applied LR that training never used.
    pl = pytest.importorskip("pytorch_lightning", reason="pytorch-lightning is not installed; CI installs it")
    from lrsched.adapters.lightning import RangeTestCallback

    x, y = _regression()
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=32)

    def trainer(callback, steps):
        return pl.Trainer(
            max_steps=steps, callbacks=[callback], logger=False, enable_checkpointing=False,
            enable_progress_bar=False, enable_model_summary=False, accelerator="cpu",
        )  # fmt: skip

    torch.manual_seed(0)
    first = RangeTestCallback(use="constant", start_lr=1e-6, end_lr=10.0, num_steps=60)
    run = trainer(first, 4)
    run.fit(_lightning_regression(pl), loader)
    assert first.applied_lr is not None
    run.save_checkpoint(tmp_path / "mid.ckpt")

    again = RangeTestCallback(use="constant", start_lr=1e-6, end_lr=10.0, num_steps=60)
    resumed = trainer(again, 8)
    with pytest.warns(UserWarning, match="the range test is not run again"):
        resumed.fit(_lightning_regression(pl), loader, ckpt_path=tmp_path / "mid.ckpt")
    assert again.result is None and again.applied_lr is None
    assert resumed.optimizers[0].param_groups[0]["lr"] == pytest.approx(first.applied_lr)  # the checkpoint's
