"""InfoGAN's options in one place: the hyperparameters (`HPARAMS`), the values that rebuild configs
saved before an option existed (`LEGACY_HPARAMS`), and how the options resolve and must agree.

Every InfoGAN variant takes the same options (so one config, registered as "infogan", names any of
them): `gan_loss` and `lambda_contrastive` choose the variant's class (`zoo.models.infogan`), the
others configure the game (`game.py`), each with the behaviour of the paper (Chen et al. 2016) or,
where it is silent, of its authors' code (openai/InfoGAN) by default. Where they depart from it:
  - `network`: "mnist" (the paper's table 1 networks), "dcgan" (the narrower DCGAN networks of the
    first zoo model), "cr" (Lin et al. 2020's dSprites networks: no normalisation in D or Q, spectral
    norm by default), "auto" (mnist for 28x28, else dcgan: at 64x64 the MNIST networks' FC 1024
    layers would hold 33M weights); the config records the resolved name.
  - `lambda_continuous=1`: both code types weighted alike (the paper: "smaller", default 0.1).
  - `min_scale`: a floor on Q's learned continuous scale (0: none, the paper's).
  - `separate_batches=False`: real and generated images through D in one batch, so D's batch norm
    pools their statistics (the authors' code calls D on each separately; here D's moving
    statistics then follow the real batches only).
  - `instance_noise`: Gaussian noise on what D sees in training (Arjovsky & Bottou 2017, sec. 3):
    binary dSprites frames and sigmoid outputs have nearly disjoint supports.
  - `translation`: DiffAugment's translation (Zhao et al. 2020) of the real and the generated images
    D (and so Q) sees in training, whole pixels up to that fraction of the side, zeros entering; G's
    gradients pass through the shift. For few training images, which D memorises.
  - `n_critic`: D and Q updates per generator update: `n_critic - 1` updates of D and Q alone, each
    from its own draw with the step's real batch (keras-io's WGAN-GP example), then the main update.
  - `spectral_norm` (Miyato et al. 2018): every layer of D's path (and of H) divides its kernel by
    its largest singular value (`norms.SpectralNorm`); on by default for `network="cr"`.
  - `generator_updates`: G updates per step, each on the step's draw against the updated D and Q
    (Lin et al. run G's update twice on one batch: 2). `discriminator_learning_rate`: D's Adam rate.
  - `noise_prior="normal"`: z ~ N(0, I). The paper does not say; the authors' code draws
    z ~ U(-1, 1) (`Uniform(62)`), as do Lin et al., the default.
  - `alternating=False`: one simultaneous update of both players, each from its own gradient of
    one pass taken before either moves. The authors' code (`InfoGANTrainer.train`: D's op, then
    G's, in two `sess.run` calls), Lin et al.'s and Goodfellow et al.'s Algorithm 1 alternate: D and
    Q move first, then G against the moved D and Q, the default. G's pass reuses the step's draw of
    noise and codes and, with separate batches, D sees only the generated images in it.
  - `leak`: the leaky ReLU slope of the MNIST networks' D and Q; the paper gives 0.1 (app. C.1),
    the authors' code 0.01.
Configs saved before an option existed rebuild the model they were saved from
(`options.LEGACY_HPARAMS`).
"""

from __future__ import annotations

from zoo.models.base import HParam

GAN_LOSSES = ("standard", "wgan_gp")
NOISE_PRIORS = ("uniform", "normal")
NETWORKS = ("mnist", "dcgan", "cr")
OWNER = "InfoGAN"  # the name error messages give, whichever variant checks

HPARAMS = (
    HParam("num_categorical", int, 3, "classes of the categorical code (0 for none)", low=0),
    HParam("num_continuous", int, None, "number of uniform continuous codes (default latent_dim - num_categorical)",
           low=0),
    HParam("noise_dim", int, 62, "size of the incompressible noise", low=0),
    HParam("lambda_info", float, 1.0, "weight of the whole mutual-information term (eq. 6's lambda)", low=0.0),
    HParam("lambda_categorical", float, 1.0, "weight of the categorical code's information term", low=0.0),
    HParam("lambda_continuous", float, 0.1, "weight of the continuous codes' information term", low=0.0),
    HParam("learn_scale", bool, True, "Q learns the continuous codes' scale (else 1)"),
    HParam("min_scale", float, 0.0, "lower bound on Q's learned continuous scale (0: none)", low=0.0),
    HParam("network", str, "auto", "'mnist' (Chen et al. 2016, table 1), 'dcgan', 'cr' (Lin et al. 2020's "
           "dSprites networks), or 'auto' (mnist for 28x28, else dcgan)", choices=("auto", "mnist", "dcgan", "cr")),
    HParam("filters", int, None, "network width (default 64 for 'mnist', 16 for 'dcgan')", low=1),
    HParam("separate_batches", bool, True, "real and generated images through D in separate batches"),
    HParam("instance_noise", float, 0.0, "std of Gaussian noise on D's inputs in training", low=0.0),
    HParam("translation", float, 0.0, "DiffAugment translation of D's inputs, as a fraction of the side",
           low=0.0, high=0.5),
    HParam("gan_loss", str, "standard", "'standard' (non-saturating) or 'wgan_gp' (Wasserstein critic with "
           "gradient penalty: InfoWGAN-GP)", choices=GAN_LOSSES),
    HParam("gradient_penalty", float, 10.0, "weight of WGAN-GP's gradient penalty (wgan_gp only)", low=0.0),
    HParam("n_critic", int, None, "D and Q updates per generator update (default 5 for wgan_gp, else 1)",
           low=1),
    HParam("lambda_contrastive", float, 0.0, "InfoGAN-CR's alpha: weight of the contrastive regulariser in G's "
           "loss (0: off)", low=0.0),
    HParam("contrastive_start", int, 0, "generator step from which the contrastive regulariser counts", low=0),
    HParam("spectral_norm", bool, None, "spectral normalisation of D's layers (and H's) (default: on for "
           "network 'cr', else off)"),
    HParam("generator_updates", int, 1, "generator updates per step (Lin et al. 2020: 2)", low=1),
    HParam("discriminator_learning_rate", float, None, "Adam learning rate of D and Q (default 2e-4, 1e-4 "
           "under wgan_gp)", low=0.0),
    HParam("noise_prior", str, "uniform", "distribution of the noise z: 'uniform' (U(-1, 1), the authors' "
           "code) or 'normal' (N(0, 1))", choices=NOISE_PRIORS),
    HParam("alternating", bool, True, "D and Q update first, then G against them (the authors' code); else "
           "one simultaneous update of both from one pass"),
    HParam("leak", float, 0.1, "leaky ReLU slope in D and Q of the 'mnist' networks (the paper's 0.1; the "
           "authors' code 0.01)", low=0.0, high=1.0),
)
# The one place the legacy values live: a config saved before an option existed lacks its key, and
# `RepresentationModel.complete_config` fills it in with the value that rebuilds the saved model (the DCGAN
# networks, one lambda, one batch, the standard losses, normal noise, simultaneous updates), before
# the config picks its variant.
LEGACY_HPARAMS = {"network": "dcgan", "lambda_categorical": 1.0, "lambda_continuous": 1.0, "min_scale": 0.0,
                  "separate_batches": False, "gan_loss": "standard", "gradient_penalty": 10.0, "n_critic": 1,
                  "noise_prior": "normal", "alternating": False}


def check(name: str, value):
    """`value` checked and converted by the `HParam` called `name`."""
    return SPECS[name].check(value, OWNER)


SPECS = {spec.name: spec for spec in HPARAMS}


def resolve(*, num_categorical, num_continuous, noise_dim, lambda_info, lambda_categorical, lambda_continuous,
            learn_scale, min_scale, network, filters, separate_batches, instance_noise, translation, gan_loss,
            gradient_penalty, n_critic, lambda_contrastive, contrastive_start, spectral_norm, generator_updates,
            discriminator_learning_rate, noise_prior, alternating, leak, input_shape, latent_dim) -> dict:
    """Every option checked, its default resolved (`network="auto"`, `n_critic`, `spectral_norm`,
    `filters`) and the options that depend on each other checked together; returns `{name: value}`
    with `latent_dim` (an explicit one must equal num_categorical + num_continuous)."""
    num_categorical = check("num_categorical", num_categorical)
    if num_continuous is None:
        num_continuous = (10 if latent_dim is None else int(latent_dim)) - num_categorical
    num_continuous = check("num_continuous", num_continuous)
    if latent_dim is None:
        latent_dim = num_categorical + num_continuous
    if num_categorical < 0 or num_continuous < 0 or num_categorical == 1:
        raise ValueError("InfoGAN needs num_categorical = 0 or >= 2 and num_continuous >= 0; got "
                         f"{num_categorical} and {num_continuous}.")
    if int(latent_dim) != num_categorical + num_continuous:
        raise ValueError(f"InfoGAN's latent_dim ({latent_dim}) must equal num_categorical + num_continuous "
                         f"({num_categorical} + {num_continuous}).")
    network = check("network", network)
    if network == "auto":  # the paper's MNIST networks where its images are; a 64x64 FC 1024 is 33M weights
        network = "mnist" if tuple(input_shape)[:2] == (28, 28) else "dcgan"
    lambda_info, lambda_categorical, lambda_continuous, min_scale, instance_noise, learn_scale = (
        check(name, value) for name, value in (
            ("lambda_info", lambda_info), ("lambda_categorical", lambda_categorical),
            ("lambda_continuous", lambda_continuous), ("min_scale", min_scale),
            ("instance_noise", instance_noise), ("learn_scale", learn_scale)))
    if not learn_scale and min_scale > 0:
        raise ValueError("InfoGAN's min_scale bounds a learned scale; with learn_scale=False the scale is fixed "
                         f"at 1 (got min_scale={min_scale}).")
    gan_loss = check("gan_loss", gan_loss)
    gradient_penalty = check("gradient_penalty", gradient_penalty)
    if gan_loss != "wgan_gp" and gradient_penalty != 10.0:
        raise ValueError(f"InfoGAN's gradient_penalty weighs the WGAN-GP critic's penalty; it needs "
                         f"gan_loss='wgan_gp' (got gan_loss={gan_loss!r}, gradient_penalty={gradient_penalty}).")
    if n_critic is None:
        n_critic = 5 if gan_loss == "wgan_gp" else 1
    n_critic = check("n_critic", n_critic)
    filters = check("filters", filters)
    if network == "cr" and filters is not None:
        raise ValueError(f"InfoGAN's network 'cr' has Lin et al.'s fixed widths; filters applies to 'mnist' and "
                         f"'dcgan' only (got filters={filters}).")
    if spectral_norm is None:
        spectral_norm = network == "cr"
    spectral_norm = check("spectral_norm", spectral_norm)
    discriminator_learning_rate = check("discriminator_learning_rate", discriminator_learning_rate)
    leak = check("leak", leak)
    if network != "mnist" and leak != 0.1:
        raise ValueError(f"InfoGAN's leak sets the slope of the 'mnist' networks' D and Q; network {network!r} "
                         f"has its own (got leak={leak}). Use network='mnist' or leave leak at 0.1.")
    if discriminator_learning_rate is not None and not discriminator_learning_rate > 0:
        raise ValueError("InfoGAN's discriminator_learning_rate must be positive (or unset for the default); got "
                         f"{discriminator_learning_rate}.")
    return {
        "num_categorical": num_categorical, "num_continuous": num_continuous, "latent_dim": latent_dim,
        "noise_dim": check("noise_dim", noise_dim), "lambda_info": lambda_info,
        "lambda_categorical": lambda_categorical, "lambda_continuous": lambda_continuous,
        "learn_scale": learn_scale, "min_scale": min_scale, "network": network,
        "filters": filters or {"mnist": 64, "dcgan": 16, "cr": None}[network], "spectral_norm": spectral_norm,
        "generator_updates": check("generator_updates", generator_updates),
        "discriminator_learning_rate": discriminator_learning_rate, "noise_prior": check("noise_prior", noise_prior),
        "alternating": check("alternating", alternating), "leak": leak,
        "separate_batches": check("separate_batches", separate_batches), "instance_noise": instance_noise,
        "translation": check("translation", translation), "gan_loss": gan_loss, "gradient_penalty": gradient_penalty,
        "n_critic": n_critic, "lambda_contrastive": check("lambda_contrastive", lambda_contrastive),
        "contrastive_start": check("contrastive_start", contrastive_start),
    }
