"""Torch training setups drawn by Hypothesis (frozen groups, eval-mode blocks, non-persistent
buffers, outside parameters), and how to compare everything a range test must restore:
shared by the torch state tests and the strategy tests that put old bugs back."""

import copy

import torch
from hypothesis import strategies as st


class Net(torch.nn.Module):
    """Three blocks; any of them may be in eval mode, and one holds a non-persistent buffer."""

    def __init__(self, eval_blocks, non_persistent):
        super().__init__()
        self.blocks = torch.nn.ModuleList(
            [torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.BatchNorm1d(4)) for _ in range(3)]
        )
        self.head = torch.nn.Linear(4, 1)
        if non_persistent:
            self.register_buffer("calls", torch.zeros(1), persistent=False)
        self.non_persistent = non_persistent
        for i in eval_blocks:
            self.blocks[i].eval()

    def forward(self, x):
        if self.non_persistent:
            self.calls += 1
        for block in self.blocks:
            x = torch.relu(block(x))
        return self.head(x)


@st.composite
def training_setups(draw):
    """A model, an optimizer and data of the kinds that broke the range test's restore:
    param groups at lr 0 (a frozen part), submodules in eval inside a model in train
    mode, non-persistent buffers, a parameter trained outside the model, single-pass
    data shorter than the sweep."""
    torch.manual_seed(draw(st.integers(0, 2**16)))
    model = Net(draw(st.sets(st.integers(0, 2))), draw(st.booleans()))
    model.train(draw(st.booleans()))
    temperature = torch.nn.Parameter(torch.ones(1))  # a learnable loss temperature
    lrs = draw(st.lists(st.sampled_from([0.0, 1e-3, 1e-2]), min_size=4, max_size=4).filter(any))
    parts = [model.blocks[0], model.blocks[1], model.blocks[2], model.head]
    groups = [{"params": p.parameters(), "lr": lr} for p, lr in zip(parts, lrs, strict=True)]
    outside = draw(st.booleans())
    if outside:
        groups.append({"params": [temperature], "lr": 1e-3})
    kind = draw(st.sampled_from(["sgd", "adam"]))
    optimizer = torch.optim.SGD(groups, momentum=0.9) if kind == "sgd" else torch.optim.Adam(groups)
    batches = [(torch.randn(8, 4), torch.randn(8, 1)) for _ in range(draw(st.integers(2, 12)))]
    single_pass = draw(st.booleans())
    frozen = [p for p, lr in zip(parts, lrs, strict=True) if lr == 0]
    return {
        "model": model,
        "optimizer": optimizer,
        "temperature": temperature,
        "outside": outside,
        "batches": batches,
        "single_pass": single_pass,
        "frozen": frozen,
    }


def loss_fn_for(setup):
    temperature = setup["temperature"]

    def loss(model, batch):
        x, y = batch
        return torch.mean((model(x) - y) ** 2) * temperature.abs()

    return loss


def everything(setup):
    """All state a range test may touch, copied."""
    model, optimizer, temperature = setup["model"], setup["optimizer"], setup["temperature"]
    return {
        "tensors": [t.detach().clone() for t in [*model.parameters(), *model.buffers(), temperature]],
        "modes": [m.training for m in model.modules()],
        "optimizer": copy.deepcopy(optimizer.state_dict()),
    }


def assert_same(before, after):
    assert before["modes"] == after["modes"]
    assert len(before["tensors"]) == len(after["tensors"])
    for a, b in zip(before["tensors"], after["tensors"], strict=True):
        assert torch.equal(a, b)
    assert str(before["optimizer"]) == str(after["optimizer"])
