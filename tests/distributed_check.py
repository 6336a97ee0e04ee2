"""One training step under MirroredStrategy on two logical CPUs equals one step without it, for
every objective.

Run as a script (`python -m tests.distributed_check`): logical devices can only be configured
before TensorFlow initialises, so tests/test_distributed.py runs this in a fresh process. Prints one
JSON line: per case, each player's largest update and largest weight difference, the step counters
and the losses.
"""

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ["CUDA_VISIBLE_DEVICES"] = ""

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

import keras  # noqa: E402

import zoo.data  # noqa: E402
import zoo.models  # noqa: E402

SMALL_INFOGAN = {"num_categorical": 2, "num_continuous": 2, "noise_dim": 8, "filters": 8}
# case -> (objective, hyperparameters). Hyperparameters are set so each regulariser weighs in the
# update: a term computed per replica instead of over the global batch shows as a weight difference.
CASES = {
    "vae": ("vae", {}),
    "beta_vae": ("beta_vae", {"beta": 4.0}),
    "annealed_vae": ("annealed_vae", {"gamma": 10.0, "c_max": 5.0, "iteration_threshold": 1}),
    "dip_vae_i": ("dip_vae_i", {"lambda_od": 100.0, "lambda_d": 100.0}),
    "dip_vae_ii": ("dip_vae_ii", {"lambda_od": 100.0, "lambda_d": 100.0}),
    "beta_tcvae": ("beta_tcvae", {"beta": 50.0}),
    "factor_vae": ("factor_vae", {"gamma": 10.0}),
    "infogan": ("infogan", SMALL_INFOGAN),
    "infogan_instance_noise": ("infogan", {**SMALL_INFOGAN, "instance_noise": 0.3}),
    # The penalty's eps, drawn per image of the global batch, and the critic's extra update.
    "infogan_wgan_gp": ("infogan", {**SMALL_INFOGAN, "gan_loss": "wgan_gp", "n_critic": 2, "instance_noise": 0.3}),
    # InfoGAN-CR's pairs, drawn per pair of the global batch, and H on D's optimizer.
    "infogan_contrastive": ("infogan", {**SMALL_INFOGAN, "lambda_contrastive": 2.0}),
    "vae_adam": ("vae", {}),
}
PLAYERS = {
    "factor_vae": {"vae": lambda m: m.encoder.trainable_variables + m.decoder.trainable_variables,
                   "discriminator": lambda m: m.discriminator.trainable_variables},
    "infogan": {"generator": lambda m: m.generator.trainable_variables,
                "discriminator": lambda m: m.discriminator.trainable_variables,
                "batch_norm_statistics": lambda m: [v for v in m.non_trainable_variables if "moving" in v.path]},
}
PLAYERS["infogan_contrastive"] = {**PLAYERS["infogan"], "contrastive": lambda m: m.contrastive.trainable_variables}
VAE_PLAYERS = {"vae": lambda m: m.encoder.trainable_variables + m.decoder.trainable_variables}


def build(name, hparams, images):
    return zoo.models.get(name, input_shape=images.shape[1:], **({} if name == "infogan" else {"latent_dim": 4}),
                          seed=3, **hparams)


def spread_codes(model, images):
    """Scales the encoder's heads so the codes spread (std about 1, log-variances about +-1) over the
    batch: a fresh encoder's codes are nearly constant, and then a statistic of half the batch
    equals that of the whole batch, which would hide a per-replica statistic."""
    z_mean, z_logvar = model.encoder(images)
    for head, values, target in (("mean", z_mean, 1.0), ("logvar", z_logvar, 1.0)):
        layer = model.encoder.get_layer(head)
        scale = target / float(np.std(values.numpy(), axis=0).mean())
        layer.kernel.assign(layer.kernel * scale)


def one_step(name, hparams, images, weights, strategy, default_optimizers=False):
    with strategy.scope():
        model = build(name, hparams, images)
        model.set_weights(weights)
        if default_optimizers:  # FusedAdam without a strategy, Keras's Adam path under one
            model.compile()
        else:
            # SGD, not Adam: Adam's first step is invariant to the gradient's scale, so it would
            # hide a doubled gradient.
            two_players = name in ("factor_vae", "infogan")
            kwargs = {"discriminator_optimizer": keras.optimizers.SGD(0.1)} if two_players else {}
            model.compile(optimizer=keras.optimizers.SGD(1e-3 if name != "infogan" else 0.1), **kwargs)
    data = tf.data.Dataset.from_tensors(images)
    history = model.fit(data, epochs=1, verbose=0)
    return model, {k: float(v[-1]) for k, v in history.history.items()}


def main(cases=None):
    devices = [d.name for d in tf.config.list_logical_devices("CPU")]
    strategy = tf.distribute.MirroredStrategy(devices)
    images = zoo.data.load("tiny").sample_observations(16, rng=0)
    results = {"num_replicas": strategy.num_replicas_in_sync}
    for key in cases or CASES:
        name, hparams = CASES[key]
        keras.utils.set_random_seed(0)
        reference = build(name, hparams, images)
        if name != "infogan":
            spread_codes(reference, images)
        weights = reference.get_weights()
        adam = key.endswith("_adam")
        plain, plain_logs = one_step(name, hparams, images, weights, tf.distribute.get_strategy(), adam)
        mirrored, mirrored_logs = one_step(name, hparams, images, weights, strategy, adam)
        results[key] = {"plain_step": int(plain.step.numpy()), "mirrored_step": int(mirrored.step.numpy()),
                        "plain_logs": plain_logs, "mirrored_logs": mirrored_logs}
        for player, variables in PLAYERS.get(key, PLAYERS.get(name, VAE_PLAYERS)).items():
            before = [v.numpy() for v in variables(reference)]
            after_plain = [v.numpy() for v in variables(plain)]
            after_mirrored = [v.numpy() for v in variables(mirrored)]
            results[key][player] = {
                "max_update": max(float(np.abs(a - w).max()) for a, w in zip(after_plain, before)),
                "max_diff": max(float(np.abs(a - b).max()) for a, b in zip(after_plain, after_mirrored))}
    print(json.dumps(results))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or None))
