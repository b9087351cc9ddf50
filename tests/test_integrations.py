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


def test_lightning_callback_runs_the_test_restores_and_applies_the_recommendation():
    pl = pytest.importorskip("pytorch_lightning", reason="pytorch-lightning is not installed; CI installs it")
    from lrsched.adapters.lightning import RangeTestCallback

    x, y = _regression()
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=32)

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

    torch.manual_seed(0)
    model = Regression()
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
