"""Run `fit` with `CyclicalMomentum` on one Keras backend (KERAS_BACKEND, set by the caller
before this interpreter starts) and print, as JSON, what each optimizer step really used.

The model is one weight w (zero at first) and the loss is the prediction itself, so every
gradient is exactly 1 and Adam's first moment follows m_k = beta_k * m_{k-1} + (1 - beta_k):
the beta_1 that step k used is 1 - (m_k - m_{k-1}) / (1 - m_{k-1}), read back from the
optimizer's own moment variable after each step. The LR each step used is read before it.
Nadam, which reads beta_1 outside its per-variable update too, trains with a driven
constant momentum exactly as with that beta_1 set directly.
"""

import json
import os
import sys

import keras  # KERAS_BACKEND is already in the environment
import numpy as np

import lrsched as l
from lrsched.adapters.keras import CyclicalMomentum, to_keras

STEPS = 12


def main() -> None:
    assert keras.backend.backend() == os.environ["KERAS_BACKEND"], keras.backend.backend()
    momentum = l.cyclic(base_lr=0.8, max_lr=0.95, step_size_up=3)
    lr = l.cyclic(base_lr=1e-4, max_lr=1e-3, step_size_up=4)

    def train(accumulation, steps_per_execution=1):
        """(beta_1 each update used, LR read before each batch, updating batches, optimizer,
        the first moment after each callback). With steps_per_execution > 1 callbacks see
        only the end of each execution: the moments there are what the test reads."""
        model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros")])
        optimizer = keras.optimizers.Adam(
            learning_rate=to_keras(lr), beta_1=0.9, gradient_accumulation_steps=accumulation
        )
        model.compile(
            optimizer=optimizer,
            loss=lambda y_true, y_pred: keras.ops.sum(y_pred),
            steps_per_execution=steps_per_execution,
        )
        moments, lrs = [0.0], []

        class Read(keras.callbacks.Callback):
            def on_train_batch_begin(self, batch, logs=None):
                lrs.append(float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)))

            def on_train_batch_end(self, batch, logs=None):
                (first_moment,) = [v for v in self.model.optimizer.variables if v.path.endswith("kernel_momentum")]
                moments.append(float(np.asarray(keras.ops.convert_to_numpy(first_moment)).ravel()[0]))

        x = np.ones((STEPS, 1), "float32")
        model.fit(x, np.zeros((STEPS, 1), "float32"), batch_size=1, epochs=1, verbose=0, shuffle=False,
                  callbacks=[CyclicalMomentum(momentum), Read()])  # fmt: skip
        raw = list(moments)
        m = np.array(moments)
        updated = np.flatnonzero(np.diff(m) != 0.0)  # the batches that applied an update
        m = m[np.concatenate([[0], updated + 1])]
        return (1.0 - np.diff(m) / (1.0 - m[:-1])).tolist(), lrs, updated.tolist(), optimizer, raw

    betas, lrs, _, optimizer, _ = train(None)
    # Accumulating gradients over 3 batches: an update every third batch, at the count of
    # batches Keras gives its own LR schedule (the optimizer's `_iterations`).
    accumulated_betas, accumulated_lrs, updates, _, _ = train(3)
    # Four steps an execution (Keras' torch trainer refuses more than one).
    execution_moments = train(None, 4)[4] if keras.backend.backend() != "torch" else None
    rng = np.random.default_rng(0)
    xs = rng.normal(size=(16, 3)).astype("float32")

    def nadam(beta_1, callbacks):
        keras.utils.set_random_seed(0)
        net = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        net.compile(optimizer=keras.optimizers.Nadam(learning_rate=0.01, beta_1=beta_1), loss="mse")
        net.fit(xs, xs[:, :1], batch_size=4, epochs=1, verbose=0, shuffle=False, callbacks=callbacks)
        return net.get_weights()

    driven, direct = nadam(0.9, [CyclicalMomentum(l.constant(lr=0.5))]), nadam(0.5, [])
    same = all(np.allclose(a, b, rtol=1e-5, atol=1e-7) for a, b in zip(driven, direct, strict=True))
    print(json.dumps({
        "backend": keras.backend.backend(),
        "betas": betas,
        "lrs": lrs,
        "accumulated_betas": accumulated_betas,
        "accumulated_lrs": accumulated_lrs,
        "accumulated_updates": updates,
        "execution_moments": execution_moments,
        "iterations": int(keras.ops.convert_to_numpy(optimizer.iterations)),
        "beta_1_after": optimizer.beta_1,
        "nadam_driven_is_direct": same,
    }))  # fmt: skip


if __name__ == "__main__":
    main()
    sys.stdout.flush()
