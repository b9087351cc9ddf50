"""Keras 3: a schedule as the optimizer's learning rate, Adam's beta_1 driven inverse to it,
and a .keras file that saves and loads the schedule.

    python examples/keras_fit.py
"""

import tempfile
from pathlib import Path

import keras
import numpy as np

import lrsched as l
from lrsched.adapters.keras import CyclicalMomentum, to_keras

steps_per_epoch, epochs = 25, 4
lr = l.one_cycle(max_lr=0.01, total_steps=steps_per_epoch * epochs)
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(1)])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=to_keras(lr)), loss="mse")
x = np.random.default_rng(0).random((800, 4)).astype("float32")
history = model.fit(
    x, x.sum(1), batch_size=32, epochs=epochs, verbose=0, callbacks=[CyclicalMomentum(l.inverse_momentum(schedule=lr))]
)
print("losses per epoch:", [round(v, 4) for v in history.history["loss"]])
with tempfile.TemporaryDirectory() as folder:
    path = Path(folder) / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
print("the loaded optimizer's schedule:", loaded.optimizer._learning_rate.schedule)
assert loaded.optimizer._learning_rate.schedule == lr
