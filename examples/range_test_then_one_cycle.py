"""The LR range test on scikit-learn's digits (no download), then 1cycle at the recommended
peak: the model and optimizer come back from the range test unchanged.

    python examples/range_test_then_one_cycle.py
"""

import torch
from sklearn.datasets import load_digits

from lrsched.adapters.torch import lambda_lr, range_test

torch.manual_seed(0)
digits = load_digits()
x = torch.tensor(digits.data / 16.0, dtype=torch.float32)
y = torch.tensor(digits.target)
train, test = slice(0, 1400), slice(1400, None)
batches = [(x[train][i : i + 64], y[train][i : i + 64]) for i in range(0, 1400, 64)]

model = torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)


def loss_fn(model, batch):
    inputs, targets = batch
    return torch.nn.functional.cross_entropy(model(inputs), targets)


result = range_test(model, optimizer, loss_fn, batches * 5, progress=False)
found = result.recommend("one_cycle")
print(result.stopped, "->", found)
epochs = 8
scheduler = lambda_lr(optimizer, result.one_cycle(total_steps=epochs * len(batches)))
for _epoch in range(epochs):
    for batch in batches:
        loss = loss_fn(model, batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
with torch.no_grad():
    accuracy = float((model(x[test]).argmax(1) == y[test]).float().mean())
print(f"test accuracy after {epochs} epochs of 1cycle: {accuracy:.3f}")
assert accuracy > 0.8, accuracy  # chance is 0.1
