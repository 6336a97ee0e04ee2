"""What every model of the zoo shares: the interface the metrics and recipes rely on.

`RepresentationModel` is a `keras.Model` with
  - a fixed image shape and latent size, and hyperparameters listed per class (`hparam_names()`),
    all in `get_config()`, so `keras.saving.serialize_keras_object(model)` is plain JSON and
    `deserialize_keras_object` rebuilds it;
  - all weights created in `__init__` (a fresh instance can `load_weights` at once);
  - a step counter `model.step`: a non-trainable int64 weight, advanced once per `train_step`,
    saved with the weights, so schedules (AnnealedVAE's capacity) and the noise survive a resume;
  - randomness drawn with stateless ops seeded by `(seed, step)`: training is reproducible, a
    resumed run draws the same noise as an uninterrupted one, and under `tf.distribute` each
    replica takes its slice of the noise of the *global* batch; statistics of the batch
    (DIP-VAE's covariance, beta-TCVAE's aggregate posterior, FactorVAE's permutation, InfoGAN's
    batch norm) are those of the global batch too (`gather_replicas`), so the update does not
    depend on the number of replicas (tests/test_distributed.py: every objective, one replica
    against two);
  - `compile(jit_compile="auto")`: Keras's "auto" (XLA when a GPU is visible, plain `tf.function`
    on CPU-only machines and under tf.distribute strategies);
  - `representation(images)`: the codes the metrics score, as numpy `[N, latent_dim]`.

Images, at every entry point (`fit`, `evaluate`, `predict`, `model(x)`, `representation`,
`encode`, `reconstruct`), follow one rule (`zoo.data.check_images`): float images must lie in
[0, 1] (within half an 8-bit grey level); uint8 images are grey levels 0..255 and are divided by
255; a uint8 batch whose largest value is 1 holds 0/1 masks (DeepMind's dSprites file stores its
frames so) and is refused rather than turned nearly black; a float batch in 0..255 is refused
rather than rescaled by guess. Inside `train_step`, `test_step` and `call` the check is two cheap
tf ops per batch (an elementwise compare and a reduction). XLA compiles assert ops away, so a
model compiled with `jit_compile=True` (the default on GPUs) checks the inputs of `fit`,
`evaluate`, `predict` and the `*_on_batch` methods before Keras sees them instead: numpy arrays
at once, a `tf.data.Dataset` by one `map` in its pipeline (Python generators and `PyDataset`s are
not checked under XLA).
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import tensorflow as tf

from zoo.data import check_images
from zoo.data.base import FLOAT_RANGE_MESSAGE, IMAGE_TOLERANCE, UINT8_MASK_MESSAGE, check_count, image_problem
from zoo.models.optimizers import FusedAdam
# Re-exported: the objectives import them from here.
from zoo.models.hparams import HParam  # noqa: F401
from zoo.models.replicas import _multi_worker, gather_replicas, replica_context, scale_for_replicas  # noqa: F401


# Batches per `representation` call (one compiled loop each): 16 x 256 images of 64x64x1 are 64 MiB.
REPRESENTATION_CALL_BATCHES = 16
# The largest seed numpy (`np.random.seed`) and Keras (`keras.utils.set_random_seed`) take.
MAX_SEED = 2**32 - 1


class RepresentationModel(keras.Model):
    """Base of every objective: shapes, hyperparameters, step counter, seeded noise, trackers.

    Subclasses build their networks in `__init__` (before calling `_finish_init`), implement
    `encode`, `encode_mean`, `decode`, `train_step`, `test_step`, and list their hyperparameters in
    `HPARAMS`.

    Args:
      input_shape: `(H, W, C)` of the images.
      latent_dim: size of the representation.
      seed: seeds the training noise (with the step counter) and nothing else; weights are
        initialised by Keras's global seed (`keras.utils.set_random_seed`).
    """

    HPARAMS: tuple[HParam, ...] = ()
    # Hyperparameters added after configs of the class were first saved, with the value that
    # reproduces those models: a saved config without the key predates the option (`from_config`).
    LEGACY_HPARAMS: dict[str, Any] = {}
    METRIC_NAMES: tuple[str, ...] = ("loss",)
    # Sub-networks (attribute names) that only training needs; presets may leave their weights out.
    TRAINING_ONLY: tuple[str, ...] = ()
    # The smallest batch whose statistics the objective's loss means something on (a covariance,
    # a total correlation or a permutation over the batch needs two samples); `zoo.runs.train` refuses less.
    MIN_BATCH_SIZE: int = 1

    def __init__(self, input_shape=(64, 64, 1), latent_dim=10, seed=0, **kwargs):
        super().__init__(**kwargs)
        if (isinstance(input_shape, (str, bytes)) or not hasattr(input_shape, "__iter__")
                or len(tuple(input_shape)) != 3):
            raise ValueError(f"input_shape must be (H, W, C); got {input_shape!r}.")
        self.observation_shape = tuple(check_count(d, "input_shape (each of H, W, C)", minimum=1)
                                       for d in input_shape)
        self.latent_dim = check_count(latent_dim, "latent_dim", minimum=1)
        self.seed = check_count(seed, "seed")
        if self.seed > MAX_SEED:  # numpy's and Keras's seeds are 32-bit: later it would fail inside them
            raise ValueError(f"seed must be an integer in [0, 2**32 - 1]; got {seed!r}.")
        # Read by every train_step before its update and advanced after it. ONLY_FIRST_REPLICA:
        # under tf.distribute each replica adds 1, and the step must advance once, not per replica.
        self.step = self.add_weight(name="step", shape=(), dtype="int64", initializer="zeros",
                                    trainable=False, aggregation="only_first_replica")

    def _finish_init(self):
        """Checks the hyperparameters, creates the trackers and marks the model built (call at the
        end of `__init__`)."""
        for spec in self.HPARAMS:
            spec.check(getattr(self, spec.name), type(self).__name__)
        self._trackers = [keras.metrics.Mean(name=name) for name in self.METRIC_NAMES]
        self.build(self.observation_shape)

    def build(self, input_shape=None):
        # Networks are functional models built in __init__; nothing is deferred.
        pass

    # ----------------------------------------------------------------- hyperparameters and config

    @classmethod
    def hparam_names(cls) -> tuple[str, ...]:
        """Names of the objective's hyperparameters (the papers' symbols), e.g. `("beta",)`."""
        return tuple(h.name for h in cls.HPARAMS)

    @classmethod
    def hparam_specs(cls) -> dict[str, HParam]:
        """`{name: HParam(...)}` for validating and parsing `--hparams`."""
        return {h.name: h for h in cls.HPARAMS}

    @classmethod
    def _hparam(cls, name: str, value):
        """`value` checked and converted by the `HParam` called `name` (for `__init__`)."""
        return cls.hparam_specs()[name].check(value, cls.__name__)

    @property
    def hparams(self) -> dict[str, Any]:
        """The hyperparameters this instance was built with."""
        return {name: getattr(self, name) for name in self.hparam_names()}

    def get_config(self):
        return {"name": self.name, "input_shape": list(self.observation_shape), "latent_dim": self.latent_dim,
                "seed": self.seed, **self.hparams}

    @classmethod
    def complete_config(cls, config: dict) -> dict:
        """`config` with `LEGACY_HPARAMS` filled in where a key is absent (a config saved before the
        hyperparameter existed rebuilds the model it was saved from, not today's default)."""
        return {**cls.LEGACY_HPARAMS, **config}

    @classmethod
    def from_config(cls, config):
        config = cls.complete_config(dict(config))
        config.pop("trainable", None)
        config.pop("dtype", None)
        return cls(**config)

    # ----------------------------------------------------------------- compile and training helpers

    @property
    def metrics(self):
        return list(self._trackers)

    def compile(self, optimizer=None, *, jit_compile="auto", **kwargs):
        """Compiles for `fit`. `optimizer` defaults to the study's Adam(1e-4) (as `FusedAdam`).

        Args:
          optimizer: the (main player's) optimizer.
          jit_compile: "auto" (XLA when a GPU is visible, else plain `tf.function`), True or False.
          **kwargs: passed to `keras.Model.compile` (`steps_per_execution`, `run_eagerly`, ...).
        """
        if optimizer is None:
            optimizer = FusedAdam(learning_rate=1e-4)
        super().compile(optimizer=optimizer, jit_compile=jit_compile, **kwargs)
        # Keras records the resolved value; keep "auto" so a model saved on a CPU uses XLA on a GPU.
        self._compile_config.config["jit_compile"] = jit_compile
        # Build the optimizer now on exactly this player's weights (Keras would otherwise build it
        # lazily on all trainable weights, giving a two-player model's optimizer the other's slots).
        self.optimizer.build(self.main_trainable_variables)

    def _compile_discriminator(self, optimizer):
        """Sets the second player's optimizer (two-player models) and builds it on exactly the
        discriminator's weights, so neither optimizer holds slots for the other's."""
        self.discriminator_optimizer = optimizer
        optimizer.build(self.discriminator.trainable_variables)

    def get_compile_config(self):
        config = super().get_compile_config()
        if config and getattr(self, "discriminator_optimizer", None) is not None:
            config["discriminator_optimizer"] = keras.saving.serialize_keras_object(self.discriminator_optimizer)
        return config

    def compile_from_config(self, config):
        self.compile(**keras.saving.deserialize_keras_object(config))

    @property
    def main_trainable_variables(self):
        """The weights that `self.optimizer` trains (all of them for a one-player model)."""
        return self.trainable_variables

    def _images(self, data):
        """The image batch of a `fit`/`evaluate` element: `x`, `(x,)` or `(x, y)`, checked and scaled."""
        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        return self._as_images(x)

    def _as_images(self, x):
        """A batch checked by the image rule (module docstring) with tf ops, as float32 in [0, 1].

        Static problems (shape, dtype) raise `ValueError` when traced; the values are checked by
        one elementwise compare and one reduction, which raise `InvalidArgumentError` when run.
        """
        x = tf.convert_to_tensor(x)
        if tuple(x.shape[1:]) != self.observation_shape:
            raise ValueError(f"{self.name} expects images of shape (N, {', '.join(map(str, self.observation_shape))}); "
                             f"got {tuple(x.shape)}.")
        if x.dtype == tf.uint8:
            check = tf.debugging.Assert(tf.not_equal(tf.reduce_max(x), 1), [f"{self.name}: {UINT8_MASK_MESSAGE}"])
            with tf.control_dependencies([check]):
                return tf.cast(x, tf.float32) / 255.0
        if not x.dtype.is_floating:
            raise ValueError(f"{self.name} expects float images in [0, 1] or uint8; got {x.dtype.name}.")
        x = tf.cast(x, tf.float32)
        # |x - 1/2| <= 1/2 + tolerance, false for NaN too.
        inside = tf.reduce_all(tf.abs(x - 0.5) <= 0.5 + IMAGE_TOLERANCE)
        check = tf.debugging.Assert(inside, [f"{self.name}: {FLOAT_RANGE_MESSAGE}"])
        with tf.control_dependencies([check]):
            return tf.identity(x)

    # ----------------------------------------------------------------- inputs under XLA

    def _check_for_xla(self, x):
        """Checks `fit`/`evaluate`/`predict` inputs outside the step when it is XLA-compiled.

        XLA drops assert ops, so the checks in `_as_images` would not run; numpy arrays are checked
        here at once and a `tf.data.Dataset` gets one `map` that runs them in its pipeline.
        """
        if x is None or not self.jit_compile:
            return x
        if isinstance(x, tf.data.Dataset):
            return x.map(self._checked_element)
        if isinstance(x, (np.ndarray, tf.Tensor)):
            images = x.numpy() if isinstance(x, tf.Tensor) else x
            if images.ndim == 4 and (images.dtype == np.uint8 or np.issubdtype(images.dtype, np.floating)):
                problem = image_problem(images)
                if problem:
                    raise ValueError(f"{self.name}: {problem}")
        return x

    def _checked_element(self, *element):
        """A dataset element passed on unchanged once its images have passed `_as_images`."""
        with tf.control_dependencies([self._as_images(element[0])]):
            first = tf.identity(element[0])
        return (first, *element[1:]) if len(element) > 1 else first

    def fit(self, x=None, *args, validation_data=None, **kwargs):
        return super().fit(self._check_for_xla(x), *args, validation_data=self._check_for_xla(validation_data),
                           **kwargs)

    def evaluate(self, x=None, *args, **kwargs):
        return super().evaluate(self._check_for_xla(x), *args, **kwargs)

    def predict(self, x, *args, **kwargs):
        return super().predict(self._check_for_xla(x), *args, **kwargs)

    def train_on_batch(self, x, *args, **kwargs):
        return super().train_on_batch(self._check_for_xla(x), *args, **kwargs)

    def test_on_batch(self, x, *args, **kwargs):
        return super().test_on_batch(self._check_for_xla(x), *args, **kwargs)

    def predict_on_batch(self, x):
        return super().predict_on_batch(self._check_for_xla(x))

    def _seed(self, stream: int):
        """A stateless-RNG seed `[2]` for `stream` at the current step (before its update)."""
        return tf.stack([tf.constant(self.seed * 1000003 + stream, tf.int64), tf.cast(self.step.value, tf.int64)])

    def _draw(self, sampler, batch, tail, stream: int):
        """This replica's share of a `[global_batch, *tail]` random tensor.

        `sampler(shape, seed)` is a stateless op (`zoo.noise`: the same numbers with and without
        XLA). Drawing for the global batch and slicing keeps
        each example's noise the same whatever the number of replicas (MirroredStrategy gives
        replica r the r-th contiguous slice of the global batch).
        """
        num_replicas, replica_id = replica_context()
        seed = self._seed(stream)
        if num_replicas == 1:
            return sampler([batch, *tail], seed)
        full = sampler([batch * num_replicas, *tail], seed)
        return full[replica_id * batch:(replica_id + 1) * batch]

    def _update_trackers(self, terms: dict):
        for tracker in self._trackers:
            tracker.update_state(terms[tracker.name])
        results = {tracker.name: tracker.result() for tracker in self._trackers}
        if _multi_worker():
            # Keras 3 reduces a multi-worker step's logs with strategy.reduce(MEAN, v, axis=0), which
            # fails on scalars (tensorflow/tensorflow#72388; every fit under MultiWorkerMirroredStrategy
            # died there): hand it [1] tensors, which that reduction turns into scalars.
            results = {name: tf.reshape(value, [1]) for name, value in results.items()}
        return results

    # ----------------------------------------------------------------- the interface

    def build_for_inference(self):
        """Returns self: every weight already exists after `__init__`, so a fresh instance can
        `load_weights(...)` directly. Kept so recipes can call it without knowing that."""
        return self

    def load_own_variables(self, store):
        """Keras' hook, called on the model before its parts whenever weights load (`load_weights`,
        `keras.saving.load_model` of a preset folder or `hf://` copy): the `TRAINING_ONLY`
        networks a preset leaves out of its weights file (`zoo.presets.save_inference_weights`)
        keep their fresh values, as under `zoo.load`, where plain Keras would fail on their
        missing entries; a file that holds them (a training checkpoint) still loads them."""
        for name in self.TRAINING_ONLY:
            network = getattr(self, name, None)
            if network is not None:
                for layer in network._flatten_layers(include_self=True):
                    _keep_fresh_when_absent(layer)
        super().load_own_variables(store)

    def call(self, inputs, training=False):
        """The model's forward pass is its representation: `predict(x)` and `model(x)` give
        `encode_mean(x)` of the images checked and scaled as `representation` does (uint8 0..255
        is divided by 255, out-of-range images raise)."""
        return self.encode_mean(self._as_images(inputs), training=training)

    def encode(self, images):
        """The posterior (or Q's estimate) of the codes, a `tfp.distributions.Distribution`."""
        raise NotImplementedError

    def encode_mean(self, images, training=False):
        """The mean of `encode(images)`: `[batch, latent_dim]`."""
        raise NotImplementedError

    def decode(self, codes):
        """Images `[batch, H, W, C]` in [0, 1] (the Bernoulli means) for codes `[batch, latent_dim]`."""
        raise NotImplementedError

    def reconstruct(self, images):
        """`decode(encode_mean(images))`: `[batch, H, W, C]` in [0, 1]."""
        return self.decode(self.encode_mean(self._checked(images)))

    def _checked(self, images):
        """Validates eager/numpy images by the image rule and returns a float32 tensor."""
        if isinstance(images, tf.Tensor) and not tf.executing_eagerly():
            return self._images(images)
        if isinstance(images, tf.Tensor):
            images = images.numpy()
        return tf.convert_to_tensor(check_images(images, self.observation_shape))

    def representation(self, images, batch_size: int = 256) -> np.ndarray:
        """The codes the metrics score: `encode_mean` as numpy `[N, latent_dim]`, in batches.

        The batches run in one compiled loop (a `tf.function` over `REPRESENTATION_CALL_BATCHES`
        batches per call, so there is no Python per batch), the last one padded to `batch_size`.
        Every image is therefore encoded in a batch of the same shape, and its code does not
        depend on what else was passed: on CPU a network's dense layers take another kernel for a
        lone image, which rounds differently (~1e-6), so before the padding a call whose last
        batch held one image gave that image another code. The metrics rely on this to encode each
        distinct image once (`zoo/metrics/_sampling.py`).

        Throughput against the batch size and against a training step of the same network:
        `python -m benchmarks.speed.inference_bench`. On CPU the best batch is a few hundred images
        (larger batches fall out of cache); a GPU wants thousands.

        Args:
          images: `[N, H, W, C]` float in [0, 1] or uint8 in [0, 255].
          batch_size: images per forward pass (>= 2).
        """
        if isinstance(images, tf.Tensor):
            images = images.numpy()
        images = check_images(images, self.observation_shape)
        batch_size = int(batch_size)
        if batch_size < 2:
            raise ValueError(f"batch_size must be >= 2 (a lone image takes other kernels); got {batch_size}.")
        cache = self.__dict__.get("_representation_fns")
        if cache is None:
            cache = {}
            # Bypass Keras's attribute tracking: a cache, not state.
            object.__setattr__(self, "_representation_fns", cache)
        if batch_size not in cache:
            cache[batch_size] = self._batched_encoder(batch_size)
        per_call = batch_size * REPRESENTATION_CALL_BATCHES
        out = [cache[batch_size](images[i:i + per_call]).numpy() for i in range(0, len(images), per_call)]
        if not out:
            return np.zeros((0, self.latent_dim), np.float32)
        return np.concatenate(out, axis=0)

    def representation_function(self, precision: str = "float32"):
        """`images -> codes` (numpy float32 `[N, latent_dim]`) encoded in `precision`.

        "float32" is `self.representation`, the reference every card's scores use. "bfloat16" is
        the same weights in a copy of this model built under Keras' `mixed_bfloat16` policy: the
        networks compute in bfloat16 (8 bits of mantissa; float32 weights, float32 codes out),
        which CPUs with AMX or AVX-512 BF16 units and GPUs run faster, and which moves codes in
        their third significant digit. `zoo.metrics.evaluate(..., precision="bfloat16")` asks a
        model's `representation` for this function; its score differences from float32 are
        measured by `benchmarks.speed.precision_bench`.
        """
        if precision == "float32":
            return self.representation
        if precision != "bfloat16":
            raise ValueError(f"precision must be 'float32' or 'bfloat16'; got {precision!r}.")
        cache = self.__dict__.get("_precision_copies")
        if cache is None:
            cache = {}
            object.__setattr__(self, "_precision_copies", cache)  # a cache, not state Keras tracks
        if precision not in cache:
            previous = keras.mixed_precision.global_policy()
            keras.mixed_precision.set_global_policy("mixed_bfloat16")
            try:
                copy = type(self).from_config(self.get_config())
            finally:
                keras.mixed_precision.set_global_policy(previous)
            copy.build_for_inference()
            copy.set_weights(self.get_weights())
            cache[precision] = copy
        copy = cache[precision]

        def representation(images, batch_size: int = 256):
            return copy.representation(images, batch_size)

        representation.precision = precision
        return representation

    def _batched_encoder(self, batch_size: int):
        """A `tf.function`: images `[n, H, W, C]` -> `encode_mean` `[n, D]`, `batch_size` at a time."""
        shape = tuple(self.observation_shape)

        def encode_all(images):
            n = tf.shape(images)[0]
            num_batches = (n + batch_size - 1) // batch_size
            codes = tf.TensorArray(tf.float32, size=num_batches, infer_shape=False,
                                   element_shape=tf.TensorShape([None, None]))
            for i in tf.range(num_batches):
                # One batch at a time: iterations in flight would multiply the activations' memory.
                tf.autograph.experimental.set_loop_options(parallel_iterations=1)
                batch = images[i * batch_size:(i + 1) * batch_size]
                size = tf.shape(batch)[0]
                batch = tf.pad(batch, [[0, batch_size - size], [0, 0], [0, 0], [0, 0]])
                batch = tf.ensure_shape(batch, (batch_size, *shape))
                codes = codes.write(i, tf.cast(self.encode_mean(batch), tf.float32)[:size])
            return codes.concat()

        return tf.function(encode_all, input_signature=[tf.TensorSpec([None, *shape], tf.float32)])


def _keep_fresh_when_absent(layer) -> None:
    """Makes `layer.load_own_variables` keep the layer's values when the file has no entry for it."""
    if getattr(layer, "_zoo_keeps_fresh", False):
        return
    load = layer.load_own_variables

    def load_unless_absent(store):
        if len(store):
            load(store)

    # object.__setattr__: Keras' own __setattr__ would try to track the function.
    object.__setattr__(layer, "load_own_variables", load_unless_absent)
    object.__setattr__(layer, "_zoo_keeps_fresh", True)
