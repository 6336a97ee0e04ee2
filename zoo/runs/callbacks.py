"""What the training loop (`zoo.runs.train`) runs beside `model.fit`: the non-finite guard, the stop on
SIGTERM / SIGINT, a progress bar, the test-only kill switch, and the KL-per-latent trace."""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

import keras
import numpy as np

import zoo.losses
from zoo.files import write_json


class NonFiniteLossError(RuntimeError):
    """A loss term became NaN or inf."""


class Guard(keras.callbacks.Callback):
    """Stops at the first non-finite loss term, naming the step and the term. Checkpoints are
    written only after a finite segment, so the latest one on disk is the last good one."""

    def __init__(self, manager):
        super().__init__()
        self._manager = manager

    def on_train_batch_end(self, batch, logs=None):
        for name, value in (logs or {}).items():
            if not np.isfinite(float(value)):
                self.model.stop_training = True
                raise NonFiniteLossError(
                    f"loss term {name!r} is {float(value)} at step {int(self.model.step.numpy())}; training stopped. "
                    f"The last good checkpoint is {self._manager.latest_checkpoint or 'none (none was written yet)'}. "
                    "Lower the learning rate or check the data.")


class StopOnSignal(keras.callbacks.Callback):
    """Ends `fit` after the current step once a SIGTERM or SIGINT was recorded in `requested`
    (`zoo.runs.signals.stop_requests`); the loop then checkpoints and stops."""

    def __init__(self, requested: list):
        super().__init__()
        self._requested = requested

    def on_train_batch_begin(self, batch, logs=None):
        if self._requested:
            self.model.stop_training = True

    on_train_batch_end = on_train_batch_begin


class Progress(keras.callbacks.Callback):
    """A tqdm bar over the whole run with the loss terms and the ETA."""

    def __init__(self, total, initial):
        super().__init__()
        from tqdm.auto import tqdm

        self.bar = tqdm(total=total, initial=initial, unit="step", dynamic_ncols=True, mininterval=1.0)

    def on_train_batch_end(self, batch, logs=None):
        self.bar.update(int(self.model.step.numpy()) - self.bar.n)  # one call per execution
        if logs and self.bar.n % 25 == 0:
            self.bar.set_postfix({k: f"{float(v):.4g}" for k, v in logs.items()}, refresh=False)

    def close(self):
        self.bar.close()


class KillAt(keras.callbacks.Callback):
    """Testing only: SIGKILLs the process once the model has taken `step` steps."""

    def __init__(self, step):
        super().__init__()
        self._step = step

    def on_train_batch_end(self, batch, logs=None):
        if int(self.model.step.numpy()) >= self._step:
            sys.stdout.flush()
            os.kill(os.getpid(), signal.SIGKILL)


class KLTrace:
    """KL(q(z|x) || p(z)) per latent through training, on a fixed set of images (`kl_trace.json`).

    Burgess et al. 2018 (Fig. 3) follow each latent's KL as the capacity grows; the trace records it
    at every checkpoint, averaged over `num_images` images drawn once with a fixed seed. An entry
    is keyed by its step, so a resumed run overwrites the steps it repeats.
    """

    def __init__(self, path: Path, data, num_images: int = 1000, seed: int = 7):
        self.path = Path(path)
        _, self._images = data.sample(num_images, rng=seed)
        self._entries = {}
        if self.path.exists():
            self._entries = _read_trace(self.path)
        self._header = {"num_images": num_images, "image_seed": seed}

    def record(self, model):
        z_mean, z_logvar = model.encoder(self._images, training=False)
        kl = zoo.losses.gaussian_kl_per_latent(z_mean, z_logvar).numpy().mean(axis=0)
        self._entries[int(model.step.numpy())] = [round(float(v), 6) for v in kl]
        steps = sorted(self._entries)
        write_json(self.path, {**self._header, "steps": steps, "kl_per_latent": [self._entries[s] for s in steps]},
                   sort_keys=True, allow_nan=True)


class TraceEvery(keras.callbacks.Callback):
    """Records `trace` (a `KLTrace`) whenever the model's step reaches a multiple of `every`, between
    the checkpoints (which record it too), for a finer trace than the checkpoints give."""

    def __init__(self, trace: KLTrace, every: int):
        super().__init__()
        self._trace, self._every = trace, every

    def on_train_batch_end(self, batch, logs=None):
        if int(self.model.step.numpy()) % self._every == 0:
            self._trace.record(self.model)


def _read_trace(path: Path) -> dict:
    """`{step: KL per latent}` of a run's `kl_trace.json`; a damaged file is a `RunFolderError` naming it."""
    from zoo.runs.folder import RunFolderError

    try:
        previous = json.loads(path.read_text(encoding="utf-8"))
        steps, kls = previous["steps"], previous["kl_per_latent"]
        if not (isinstance(steps, list) and isinstance(kls, list) and len(steps) == len(kls)
                and all(isinstance(s, int) for s in steps)):
            raise ValueError("'steps' and 'kl_per_latent' must be lists of equal length")
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as e:
        raise RunFolderError(f"{path} is damaged ({type(e).__name__}: {e}). It holds only the KL-per-latent trace: "
                             "delete it (or restore it) and rerun; the trace continues from the next checkpoint.") \
            from None
    return dict(zip(steps, kls))
