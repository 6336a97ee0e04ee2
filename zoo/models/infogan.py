"""InfoGAN (Chen et al. 2016): a GAN whose generator codes are made recoverable by a Q network."""

from __future__ import annotations

import math

import keras
import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from zoo import augment, losses
from zoo import noise as random_noise
from zoo.models import networks
from zoo.models.base import HParam, RepresentationModel, scale_for_replicas
from zoo.models.optimizers import FusedAdam

tfd = tfp.distributions

GAN_LOSSES = ("standard", "wgan_gp")
NOISE_PRIORS = ("uniform", "normal")
# Noise streams per forward pass (codes 0-2, instance noise 3-4, the penalty's eps 5); pass k of a
# step draws from streams 8k .. 8k + 7, so pass 0 draws what a step always drew.
_STREAMS_PER_DRAW = 8
# The contrastive regulariser's pairs draw from streams 1000 .. 1005, clear of any pass's.
_CONTRASTIVE_STREAM = 1000


@keras.saving.register_keras_serializable(package="zoo")
class InfoGAN(RepresentationModel):
    """InfoGAN (Chen et al. 2016, eq. 6): min_{G,Q} max_D V(D, G) - lambda_info * L_I(G, Q).

    The generator G gets noise z ~ U(-1, 1) `[noise_dim]` and codes c: one categorical code with
    `num_categorical` classes (uniform, one-hot) and `num_continuous` codes ~ U(-1, 1). Q shares
    the discriminator's body and models Q(c | x): a softmax over the classes and a Gaussian per
    continuous code (learned scale, optionally bounded below by `min_scale`, or scale 1 with
    `learn_scale=False`). L_I = H(c) + E[log Q(c | G(z, c))] is the variational lower bound on
    I(c; G(z, c)) (sec. 5); the loss adds

        lambda_info * (lambda_categorical * -E[log Q(c_cat | x)] + lambda_continuous * -E[log Q(c_cont | x)])

    to both players (H(c) is a constant). The paper sets lambda to 1 for discrete codes and
    "smaller" for continuous ones, so that a term holding a differential entropy stays on the GAN
    losses' scale (sec. 6); the defaults are 1 and 0.1. The GAN losses are the non-saturating ones
    (`gan_loss="standard"`).

    The paper's MNIST setting (appendix C.1) is `num_categorical=10, num_continuous=2,
    noise_dim=62` on 28x28 images with `network="mnist"` (its table 1 networks, `filters=64`), Adam
    at 2e-4 for D and 1e-3 for G (beta_1 0.5): `zoo.models.get("infogan", input_shape=(28, 28, 1),
    num_categorical=10, num_continuous=2)`.

    Departures from that setting are options, with the paper's behaviour (or its authors' code,
    openai/InfoGAN, where the paper is silent) by default:
      - `network="dcgan"`: the narrower DCGAN networks of the first zoo model. The default
        `network="auto"` takes the paper's MNIST networks for 28x28 images and these for any other
        size (at 64x64 the MNIST networks' FC 1024 layers would hold 33M weights); the resolved
        name is what the config records.
      - `lambda_continuous=1`: both code types weighted alike.
      - `min_scale`: a floor on Q's learned continuous scale (0: none, the paper's).
      - `separate_batches=False`: real and generated images through D in one batch, so D's batch
        norm pools their statistics (the authors' code calls D on each separately; here D's
        moving statistics then follow the real batches only).
      - `instance_noise`: Gaussian noise on what D sees in training.
      - `translation`: DiffAugment's translation (Zhao et al. 2020) of the real and the generated
        images D (and so Q) sees in training, each shifted by whole pixels up to that fraction of
        its side, zeros entering; G's gradients pass through the shift. For few training images,
        where D memorises them (the 4,500 built-in MNIST digits).
      - `gan_loss="wgan_gp"` (InfoWGAN-GP, Kim & Mnih 2018, sec. 4): D is a Wasserstein critic
        (Arjovsky et al. 2017) with the gradient penalty of Gulrajani et al. 2017 (eq. 3). The
        critic minimises E[D(G(z, c))] - E[D(x)] + gradient_penalty * E[(||grad D(x_hat)||_2 - 1)^2]
        at x_hat = eps * x + (1 - eps) * G(z, c), eps ~ U(0, 1) per image (drawn like the other
        training noise, so XLA and replicas agree); G minimises -E[D(G(z, c))]; the information
        term is added to both as above. D's output is then an unbounded score, not a logit. The
        body D and Q share has layer normalisation instead of batch norm (Gulrajani et al. sec.
        4 and their code: batch norm makes each score depend on the whole batch, so the
        per-image gradient the penalty constrains is not D's); Q's head keeps its batch norm, as it
        is not on the path from an image to D's score. `separate_batches` then only decides how
        Q's batch norm pools generated images; `instance_noise` blurs what the critic sees,
        interpolates included (the penalty's lines run between the blurred images). The
        optimizers default to Gulrajani et al.'s Adam(1e-4, beta_1=0, beta_2=0.9) for both
        players (their Algorithm 1 and 64x64 code), and `n_critic` to their 5.
      - `n_critic`: critic (D and Q) updates per generator update. Each `train_step` makes
        `n_critic - 1` updates of D and Q alone, each from its own draw of codes, noise (and
        eps) with the step's real batch (as keras-io's WGAN-GP example does; Gulrajani et al.
        draw a fresh real batch for each), then the step's main update (D and Q, then G; see
        `alternating`), as with `n_critic=1`. `step` counts generator updates; the trackers
        report the main pass that moved D and Q. Default 1 (the paper's) under "standard".
      - `lambda_contrastive` (InfoGAN-CR, Lin et al. 2020, eq. 5 with their alpha): a contrastive
        regulariser. Each step also draws pairs of codes that agree in one code I, drawn uniformly
        (the categorical code counts as one), and are drawn independently in every other, with one
        noise z for both images of a pair (as the authors' code draws them); a classifier H
        (`networks.contrastive_classifier`) reads the pair (G(z, c), G(z, c')) stacked on the
        channel axis and is trained to name I, and G lowers the same cross-entropy weighted by
        `lambda_contrastive`: G is pushed to let each code make a change of its own, one H can
        tell from the others' (their eq. 5: min over G, Q, H of L_GAN - lambda I(c; G) + alpha
        L_c). `contrastive_start` is the generator step from which G's term counts (their
        progressive schedule on dSprites: InfoGAN alone for 288,000 of 322,000 steps, then
        alpha = 2); H trains from the start, so it can already tell codes apart when G's term
        counts. H shares D's optimizer (theirs are the same Adam, 2e-3, beta_1 0.5), is trained
        only in the step's main pass (with D and Q), and, needed in training only, is left out of
        presets (`TRAINING_ONLY`). Their spectral norm and two generator updates are the options
        below; their "gap" option (off on dSprites) is not taken. Default 0: off.
      - `network="cr"`: Lin et al. 2020's dSprites networks (their code, fjxmlzn/InfoGAN-CR:
        `networks.infogan_cr_generator` and `infogan_cr_discriminator`; no normalisation in D or
        Q), with H as theirs (32-32-64-64 convolutions). Their dSprites setting, the "modified
        InfoGAN" their InfoGAN-CR starts from, is `network="cr", num_categorical=0,
        num_continuous=5, noise_dim=5, learn_scale=False, lambda_info=0.05, lambda_continuous=1,
        generator_updates=2, discriminator_learning_rate=2e-3` (G's Adam 1e-3, beta_1 0.5, the
        default; their 5 unregularised inputs are U(-1, 1), the default `noise_prior`).
      - `spectral_norm` (Miyato et al. 2018): every layer of D's path (and of H) computes with
        its kernel divided by its largest singular value (`networks.SpectralNorm`); on by default
        for `network="cr"`, as Lin et al. train, off otherwise.
      - `generator_updates`: G updates per step, each on the step's draw against the updated D
        and Q (Lin et al. run G's update twice on one batch: 2). Default 1.
      - `discriminator_learning_rate`: Adam's rate for D and Q (and H); Lin et al. use 2e-3.
      - `noise_prior="normal"`: z ~ N(0, I). The paper does not say; the authors' code draws
        z ~ U(-1, 1) (openai/InfoGAN's MNIST experiment: `Uniform(62)`), as do Lin et al., the
        default. Every zoo model trained before the option existed drew N(0, I).
      - `alternating=False`: one simultaneous update of both players, each from its own gradient
        of one forward pass taken before either moves. The paper does not say; the authors' code
        (openai/InfoGAN's `InfoGANTrainer.train`: the discriminator's op, then the generator's, in
        two `sess.run` calls), Lin et al.'s and Goodfellow et al.'s Algorithm 1 alternate: D and Q
        move first, then G against the moved D and Q, the default. G's pass reuses the step's draw
        of noise and codes (Lin et al. feed one draw to every op of a step; openai/InfoGAN's graph
        draws again from the same prior) and, with separate batches, D sees only the generated
        images in it. Every zoo model trained before the option existed updated simultaneously.
      - `leak`: the slope of the leaky ReLUs in D and Q of the MNIST networks; the paper gives 0.1
        (appendix C.1), the authors' code uses 0.01 (`custom_ops.leaky_rectify`'s default).
    Configs saved before an option existed rebuild the model they were saved from
    (`LEGACY_HPARAMS`: the DCGAN networks, one lambda, one batch, the standard losses, normal
    noise, simultaneous updates).

    Two players: the generator (`optimizer`, default Adam(1e-3, beta_1=0.5)) and the
    discriminator with the Q head (`discriminator_optimizer`, default Adam(2e-4, beta_1=0.5)), the
    paper's learning rates (under "wgan_gp" both Adam(1e-4, beta_1=0, beta_2=0.9)). Each
    `train_step` makes `n_critic - 1` updates of D and Q alone, then one of D and Q from a forward
    pass, then `generator_updates` of G, each from a pass of its own against the updated D and Q
    (`alternating=False`: G's first update from D's pass); each player has its own tape and
    weights. Under tf.distribute the batch-norm
    statistics are synchronised across replicas (those of the global batch), so an update does not
    depend on the number of replicas.

    `encode(x)` is Q's estimate of the codes, a `tfd.Blockwise` of a one-hot categorical and
    Gaussians; its mean (class probabilities, then continuous means) is the representation, so
    the metrics score InfoGAN like the VAEs. `latent_dim` = num_categorical + num_continuous.
    `categorical_code(x)` and `continuous_code(x)` read the two parts of real images.

    Args:
      num_categorical: classes of the categorical code (0 for none); default 3 (dSprites' shapes).
      num_continuous: number of continuous codes; default `latent_dim - num_categorical`.
      noise_dim: size of the incompressible noise z; default 62 (the paper's MNIST setting).
      lambda_info: eq. 6's lambda, multiplying the whole mutual-information term; default 1.
      lambda_categorical: weight of the categorical code's term; default 1 (the paper's).
      lambda_continuous: weight of the continuous codes' term; default 0.1 (the paper: smaller).
      learn_scale: whether Q learns the continuous codes' scale (else fixed at 1).
      min_scale: lower bound on the learned scale, `scale = min_scale + exp(raw)`; default 0 (none).
      network: "mnist" (Chen et al. 2016, table 1; sides divisible by 4) or "dcgan" (sides 4 * 2^n).
      filters: width: for "mnist" the first convolution's channels (64 in the paper; FC 16x, Q 2x);
        for "dcgan" D's first convolution, doubling per layer (64x64: 16-32-64-128); default
        64 and 16 respectively.
      separate_batches: real and generated images through D in separate batches; default True.
      instance_noise: standard deviation of Gaussian noise added to the real and the generated
        images D sees in training (instance noise: Arjovsky & Bottou 2017, sec. 3; Sonderby et al.
        2017). Binary dSprites frames and sigmoid outputs have nearly disjoint supports, so without
        it D separates them perfectly and G collapses; default 0 (off, the paper's setting).
      translation: the largest shift of DiffAugment's translation as a fraction of the image's side
        (`augment.max_shift`: 1/8 of 28 px is 4 px; Zhao et al.'s default ratio), applied before
        instance noise (which then blurs the zeros it lets in too). Default 0 (off, the paper's).
      gan_loss: "standard" (non-saturating, Goodfellow et al. 2014; the paper's) or "wgan_gp"
        (Wasserstein critic with gradient penalty: InfoWGAN-GP, Kim & Mnih 2018).
      gradient_penalty: eq. 3's lambda in Gulrajani et al. 2017, the weight of the penalty; default
        10 (theirs). Only under "wgan_gp".
      n_critic: D and Q updates per generator update; default 5 under "wgan_gp" (Gulrajani et al.
        2017, Algorithm 1), 1 under "standard".
      lambda_contrastive: InfoGAN-CR's alpha, the weight of the contrastive regulariser in G's loss
        (Lin et al. 2020 use 2 on dSprites); default 0 (off: InfoGAN).
      contrastive_start: the generator step from which the regulariser counts in G's loss; default 0.
      spectral_norm: spectral normalisation of D's and H's layers; default on for network "cr" only.
      generator_updates: G updates per step; default 1 (Lin et al. 2020: 2).
      discriminator_learning_rate: D's (and Q's, H's) Adam rate; default None: 2e-4, or 1e-4 under
        "wgan_gp".
      noise_prior: the noise's distribution, "uniform" (U(-1, 1), the authors' code) or "normal".
      alternating: D and Q update before G, G against the updated players (the authors' code);
        default True. False: one simultaneous update of both.
      leak: the leaky ReLU slope of the MNIST networks' D and Q; default 0.1 (the paper's).
      input_shape: `(H, W, C)`; default `(64, 64, 1)`.
      latent_dim: default 10; must equal num_categorical + num_continuous when both are given.
      seed: seeds the generator's inputs (with the step counter).
    """

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
    LEGACY_HPARAMS = {"network": "dcgan", "lambda_categorical": 1.0, "lambda_continuous": 1.0, "min_scale": 0.0,
                      "separate_batches": False, "gan_loss": "standard", "gradient_penalty": 10.0, "n_critic": 1,
                      "noise_prior": "normal", "alternating": False}
    NETWORKS = ("mnist", "dcgan", "cr")
    TRAINING_ONLY = ("contrastive",)
    METRIC_NAMES = ("discriminator_loss", "generator_loss", "info_loss", "mi_categorical", "continuous_nll")
    # Under "wgan_gp" also: the unweighted penalty, and E[D(x)] - E[D(G(z, c))], the critic's
    # estimate of the Wasserstein-1 distance (the critic's loss without the penalty, negated).
    WGAN_METRIC_NAMES = METRIC_NAMES + ("gradient_penalty", "wasserstein_estimate")
    # With the contrastive regulariser also: H's cross-entropy and how often it names the shared code.
    CONTRASTIVE_METRIC_NAMES = ("contrastive_loss", "contrastive_accuracy")

    def __init__(self, num_categorical=3, num_continuous=None, noise_dim=62, lambda_info=1.0, lambda_categorical=1.0,
                 lambda_continuous=0.1, learn_scale=True, min_scale=0.0, network="auto", filters=None,
                 separate_batches=True, instance_noise=0.0, translation=0.0, gan_loss="standard", gradient_penalty=10.0,
                 n_critic=None, lambda_contrastive=0.0, contrastive_start=0, spectral_norm=None, generator_updates=1,
                 discriminator_learning_rate=None, noise_prior="uniform", alternating=True, leak=0.1,
                 input_shape=(64, 64, 1), latent_dim=None, seed=0, **kwargs):
        num_categorical = self._hparam("num_categorical", num_categorical)
        if num_continuous is None:
            num_continuous = (10 if latent_dim is None else int(latent_dim)) - num_categorical
        num_continuous = self._hparam("num_continuous", num_continuous)
        if latent_dim is None:
            latent_dim = num_categorical + num_continuous
        if num_categorical < 0 or num_continuous < 0 or num_categorical == 1:
            raise ValueError("InfoGAN needs num_categorical = 0 or >= 2 and num_continuous >= 0; got "
                             f"{num_categorical} and {num_continuous}.")
        if int(latent_dim) != num_categorical + num_continuous:
            raise ValueError(f"InfoGAN's latent_dim ({latent_dim}) must equal num_categorical + num_continuous "
                             f"({num_categorical} + {num_continuous}).")
        network = self._hparam("network", network)
        if network == "auto":  # the paper's MNIST networks where its images are; a 64x64 FC 1024 is 33M weights
            network = "mnist" if tuple(input_shape)[:2] == (28, 28) else "dcgan"
        lambda_info, lambda_categorical, lambda_continuous, min_scale, instance_noise, learn_scale = (
            self._hparam(name, value) for name, value in (
                ("lambda_info", lambda_info), ("lambda_categorical", lambda_categorical),
                ("lambda_continuous", lambda_continuous), ("min_scale", min_scale),
                ("instance_noise", instance_noise), ("learn_scale", learn_scale)))
        if not learn_scale and min_scale > 0:
            raise ValueError("InfoGAN's min_scale bounds a learned scale; with learn_scale=False the scale is fixed "
                             f"at 1 (got min_scale={min_scale}).")
        gan_loss = self._hparam("gan_loss", gan_loss)
        gradient_penalty = self._hparam("gradient_penalty", gradient_penalty)
        if gan_loss != "wgan_gp" and gradient_penalty != 10.0:
            raise ValueError(f"InfoGAN's gradient_penalty weighs the WGAN-GP critic's penalty; it needs "
                             f"gan_loss='wgan_gp' (got gan_loss={gan_loss!r}, gradient_penalty={gradient_penalty}).")
        if n_critic is None:
            n_critic = 5 if gan_loss == "wgan_gp" else 1
        n_critic = self._hparam("n_critic", n_critic)
        filters = self._hparam("filters", filters)
        if network == "cr" and filters is not None:
            raise ValueError(f"InfoGAN's network 'cr' has Lin et al.'s fixed widths; filters applies to 'mnist' and "
                             f"'dcgan' only (got filters={filters}).")
        if spectral_norm is None:
            spectral_norm = network == "cr"
        spectral_norm = self._hparam("spectral_norm", spectral_norm)
        discriminator_learning_rate = self._hparam("discriminator_learning_rate", discriminator_learning_rate)
        leak = self._hparam("leak", leak)
        if network != "mnist" and leak != 0.1:
            raise ValueError(f"InfoGAN's leak sets the slope of the 'mnist' networks' D and Q; network {network!r} "
                             f"has its own (got leak={leak}). Use network='mnist' or leave leak at 0.1.")
        if discriminator_learning_rate is not None and not discriminator_learning_rate > 0:
            raise ValueError("InfoGAN's discriminator_learning_rate must be positive (or unset for the default); got "
                             f"{discriminator_learning_rate}.")
        super().__init__(input_shape=input_shape, latent_dim=latent_dim, seed=seed, **kwargs)
        self.num_categorical = num_categorical
        self.num_continuous = num_continuous
        self.noise_dim = self._hparam("noise_dim", noise_dim)
        self.lambda_info = lambda_info
        self.lambda_categorical = lambda_categorical
        self.lambda_continuous = lambda_continuous
        self.learn_scale = learn_scale
        self.min_scale = min_scale
        self.network = network
        self.filters = filters or {"mnist": 64, "dcgan": 16, "cr": None}[network]
        self.spectral_norm = spectral_norm
        self.generator_updates = self._hparam("generator_updates", generator_updates)
        self.discriminator_learning_rate = discriminator_learning_rate
        self.noise_prior = self._hparam("noise_prior", noise_prior)
        self.alternating = self._hparam("alternating", alternating)
        self.leak = leak
        self.separate_batches = self._hparam("separate_batches", separate_batches)
        self.instance_noise = instance_noise
        self.translation = self._hparam("translation", translation)
        self.gan_loss = gan_loss
        self.gradient_penalty = gradient_penalty
        self.n_critic = n_critic
        self.lambda_contrastive = self._hparam("lambda_contrastive", lambda_contrastive)
        self.contrastive_start = self._hparam("contrastive_start", contrastive_start)
        if gan_loss == "wgan_gp":
            self.METRIC_NAMES = self.WGAN_METRIC_NAMES
        self.contrastive = None
        if self.lambda_contrastive > 0:
            self.METRIC_NAMES = self.METRIC_NAMES + self.CONTRASTIVE_METRIC_NAMES
            h, w, c = self.observation_shape
            # Lin et al.'s H on their networks (32-32-64-64 convolutions); the narrower default elsewhere.
            channels = (32, 32, 64, 64) if network == "cr" else None
            self.contrastive = networks.contrastive_classifier((h, w, 2 * c), self._num_codes, filters=16,
                                                               channels=channels, spectral_norm=spectral_norm)
        # Layer norm in the critic's body under WGAN-GP (Gulrajani et al. 2017, sec. 4), else the
        # papers' batch norm.
        normalization = "layer" if gan_loss == "wgan_gp" else "batch"
        if network == "mnist":
            self.generator = networks.infogan_mnist_generator(self.noise_dim + self.latent_dim, self.observation_shape,
                                                              filters=self.filters)
            self.discriminator = networks.infogan_mnist_discriminator(
                self.observation_shape, self.num_categorical, self.num_continuous, filters=self.filters,
                learn_scale=self.learn_scale, normalization=normalization, spectral_norm=spectral_norm, leak=leak)
        elif network == "cr":
            self.generator = networks.infogan_cr_generator(self.noise_dim + self.latent_dim, self.observation_shape)
            self.discriminator = networks.infogan_cr_discriminator(
                self.observation_shape, self.num_categorical, self.num_continuous, learn_scale=self.learn_scale,
                spectral_norm=spectral_norm)
        else:
            self.generator = networks.dcgan_generator(self.noise_dim + self.latent_dim, self.observation_shape,
                                                      filters=self.filters)
            self.discriminator = networks.dcgan_discriminator(self.observation_shape, self.num_categorical,
                                                              self.num_continuous, filters=self.filters,
                                                              learn_scale=self.learn_scale, normalization=normalization,
                                                              spectral_norm=spectral_norm)
        self._finish_init()

    # ----------------------------------------------------------------- codes and their posterior

    @property
    def _num_codes(self):
        """Codes the contrastive regulariser tells apart: the categorical one (if any) and each continuous one."""
        return int(self.num_categorical > 0) + self.num_continuous

    def _noise_sampler(self, shape, seed):
        """The noise prior's stateless sampler (`zoo.noise`)."""
        if self.noise_prior == "normal":
            return random_noise.normal(shape, seed)
        return random_noise.uniform(shape, seed, -1.0, 1.0)

    def draw_noise(self, rng: np.random.Generator, shape) -> np.ndarray:
        """Noise z from its prior `noise_prior` as float32 `shape` (last axis `noise_dim`), drawn by
        `rng`: for pictures and benchmarks that hold z fixed while they sweep a code."""
        if self.noise_prior == "normal":
            return rng.standard_normal(shape).astype(np.float32)
        return rng.uniform(-1.0, 1.0, shape).astype(np.float32)

    def _prior(self, batch, stream):
        """(noise [batch, noise_dim], one-hot [batch, k], continuous [batch, m]) for this step."""
        noise = self._draw(self._noise_sampler, batch, [self.noise_dim], stream=stream)
        classes = self._draw(lambda shape, seed: random_noise.integers(shape, seed, max(self.num_categorical, 1)),
                             batch, [], stream=stream + 1)
        onehot = tf.one_hot(classes, self.num_categorical)
        continuous = self._draw(lambda shape, seed: random_noise.uniform(shape, seed, -1.0, 1.0),
                                batch, [self.num_continuous], stream=stream + 2)
        return noise, onehot, continuous

    def _q_heads(self, outputs):
        logits = outputs["q_logits"][:, :self.num_categorical]
        mean = outputs["q_mean"][:, :self.num_continuous]
        if not self.learn_scale:
            log_scale = tf.zeros_like(mean)
        elif self.min_scale > 0:
            # log(min_scale + exp(raw)) = logaddexp(raw, log min_scale): the scale stays above
            # min_scale, smoothly (and exp(raw) never overflows).
            raw = outputs["q_log_scale"][:, :self.num_continuous]
            floor = math.log(self.min_scale)
            log_scale = tf.maximum(raw, floor) + tf.math.log1p(tf.exp(-tf.abs(raw - floor)))
        else:
            log_scale = outputs["q_log_scale"][:, :self.num_continuous]
        return logits, mean, log_scale

    def info_terms(self, outputs, onehot, continuous):
        """The weighted information loss lambda_categorical * -E[log Q(c_cat | x)] +
        lambda_continuous * -E[log Q(c_cont | x)], the categorical MI lower bound
        H(c) + E[log Q(c_cat | x)] = log k - cross-entropy (nats), and -E[log Q(c_cont | x)]."""
        logits, mean, log_scale = self._q_heads(outputs)
        info = tf.constant(0.0)
        mi = tf.constant(0.0)
        continuous_nll = tf.constant(0.0)
        if self.num_categorical:
            nll = tf.reduce_mean(losses.categorical_nll(logits, onehot))
            info += self.lambda_categorical * nll
            mi = math.log(self.num_categorical) - nll
        if self.num_continuous:
            continuous_nll = tf.reduce_mean(losses.gaussian_nll(continuous, mean, log_scale))
            info += self.lambda_continuous * continuous_nll
        return info, mi, continuous_nll

    def contrastive_pairs(self, batch):
        """This step's pairs for InfoGAN-CR's regulariser: `(shared [batch], noise [batch,
        noise_dim], codes_a, codes_b [batch, latent_dim])`. Code `shared` (0 the categorical one if
        any, then each continuous one) has one value in both codes of a pair, every other code is
        drawn independently for each, and the noise is one draw for both images."""
        stream = _CONTRASTIVE_STREAM
        shared = self._draw(lambda shape, seed: random_noise.integers(shape, seed, self._num_codes), batch, [],
                            stream=stream)
        same = tf.cast(tf.one_hot(shared, self._num_codes), tf.bool)  # [batch, codes]: the code kept
        noise = self._draw(self._noise_sampler, batch, [self.noise_dim], stream=stream + 1)
        pair = []
        for k in range(2):
            classes = self._draw(lambda shape, seed: random_noise.integers(shape, seed, max(self.num_categorical, 1)),
                                 batch, [], stream=stream + 2 + k)
            continuous = self._draw(lambda shape, seed: random_noise.uniform(shape, seed, -1.0, 1.0),
                                    batch, [self.num_continuous], stream=stream + 4 + k)
            pair.append((classes, continuous))
        (classes_a, continuous_a), (classes_b, continuous_b) = pair
        if self.num_categorical:
            classes_b = tf.where(same[:, 0], classes_a, classes_b)
        continuous_b = tf.where(same[:, self._num_codes - self.num_continuous:], continuous_a, continuous_b)

        def codes(classes, continuous):
            return tf.concat([tf.one_hot(classes, self.num_categorical), continuous], axis=1)

        return shared, noise, codes(classes_a, continuous_a), codes(classes_b, continuous_b)

    def contrastive_terms(self, batch, training=True):
        """InfoGAN-CR's regulariser on this step's pairs: H's cross-entropy in naming the code the two
        images share (Lin et al. 2020, eq. 4), and its accuracy."""
        shared, noise, codes_a, codes_b = self.contrastive_pairs(batch)
        images = tf.sigmoid(self.generate_logits(tf.concat([noise, noise], 0), tf.concat([codes_a, codes_b], 0),
                                                 training=training))
        logits = self.contrastive(tf.concat(tf.split(images, 2, axis=0), axis=-1), training=training)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=shared, logits=logits))
        accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, 1, output_type=tf.int32), shared), tf.float32))
        return loss, accuracy

    def generate_logits(self, noise, codes, training=False):
        return self.generator(tf.concat([noise, codes], axis=1), training=training)

    # ----------------------------------------------------------------- two players

    def compile(self, optimizer=None, discriminator_optimizer=None, **kwargs):
        """Compiles both players: `optimizer` for G (default Adam(1e-3, beta_1=0.5)) and
        `discriminator_optimizer` for D and Q (default Adam(2e-4, beta_1=0.5)), the paper's; under
        "wgan_gp" both default to Adam(1e-4, beta_1=0, beta_2=0.9) (Gulrajani et al. 2017,
        Algorithm 1)."""
        wgan = self.gan_loss == "wgan_gp"
        if optimizer is None:
            optimizer = (FusedAdam(learning_rate=1e-4, beta_1=0.0, beta_2=0.9) if wgan
                         else FusedAdam(learning_rate=1e-3, beta_1=0.5))
        super().compile(optimizer=optimizer, **kwargs)
        if discriminator_optimizer is None:
            discriminator_optimizer = (FusedAdam(learning_rate=1e-4, beta_1=0.0, beta_2=0.9) if wgan
                                       else FusedAdam(learning_rate=2e-4, beta_1=0.5))
            if self.discriminator_learning_rate is not None:
                discriminator_optimizer.learning_rate = self.discriminator_learning_rate
        self._compile_discriminator(discriminator_optimizer)

    @property
    def main_trainable_variables(self):
        return self.generator.trainable_variables

    @property
    def _second_player_variables(self):
        """What D's optimizer trains: D with Q, and H when the contrastive regulariser is on."""
        h = self.contrastive.trainable_variables if self.contrastive is not None else []
        return self.discriminator.trainable_variables + h

    def _compile_discriminator(self, optimizer):
        self.discriminator_optimizer = optimizer
        optimizer.build(self._second_player_variables)

    def _terms(self, images, training, draw=0, discriminator=True):
        """The loss terms of one forward pass, from draw `draw` of the step's random numbers (0 for
        the step's main pass and G's passes; 1 .. n_critic - 1 for the critic's extra updates).
        `discriminator=False`: G's terms only (its GAN loss and the information terms), for G's
        update; with separate batches D then sees only the generated images."""
        batch = tf.shape(images)[0]
        first = _STREAMS_PER_DRAW * draw
        noise, onehot, continuous = self._prior(batch, stream=first)
        fake = tf.sigmoid(self.generate_logits(noise, tf.concat([onehot, continuous], 1), training=training))
        if training and self.translation > 0:
            # DiffAugment: one draw of shifts per half, D(T(x)) and D(T(G(z, c))).
            images, fake = (self._translated(half, stream) for half, stream in ((images, first + 6), (fake, first + 7)))
        seen = tf.concat([images, fake], axis=0)
        if training and self.instance_noise > 0:
            # One draw per half (real, generated), each of the global batch's shape, so every image
            # gets the same noise whatever the number of replicas.
            noise = [self._draw(random_noise.normal, batch, list(self.observation_shape), stream=stream)
                     for stream in (first + 3, first + 4)]
            seen += self.instance_noise * tf.concat(noise, axis=0)
        if self.separate_batches:
            # Two calls: in training, D's batch norm normalises real and generated images each by
            # their own batch's statistics (as the authors' code does), not by pooled ones. The
            # moving statistics, which inference uses (reading the codes of real images), follow
            # the real batches only, so a real image is normalised as in training (updated by
            # both kinds, as in the authors' code, they would match neither).
            real_outputs = self.discriminator(seen[:batch], training=training) if discriminator else None
            moving = self._discriminator_moving_statistics() if training else []
            kept = [tf.identity(v.value) for v in moving]
            fake_outputs = self.discriminator(seen[batch:], training=training)
            for variable, value in zip(moving, kept):
                variable.assign(value)
            logits_fake = fake_outputs["d_logits"]
            logits_real = real_outputs["d_logits"] if discriminator else None
        else:
            outputs = self.discriminator(seen, training=training)
            logits_real, logits_fake = tf.split(outputs["d_logits"], 2, axis=0)
            fake_outputs = {k: v[batch:] for k, v in outputs.items()}
        info, mi, continuous_nll = self.info_terms(fake_outputs, onehot, continuous)
        terms = {"info_loss": info, "mi_categorical": mi, "continuous_nll": continuous_nll}
        if self.gan_loss == "wgan_gp":
            terms["generator_loss"] = losses.wasserstein_generator_loss(logits_fake)
            if discriminator:
                d_loss, _ = losses.wasserstein_gan_losses(logits_real, logits_fake)
                eps = self._draw(random_noise.uniform, batch, [1] * len(self.observation_shape), stream=first + 5)
                penalty = losses.gradient_penalty(self._critic, seen[:batch], seen[batch:], eps)
                terms.update(gradient_penalty=penalty, wasserstein_estimate=-d_loss)
                terms["discriminator_loss"] = d_loss + self.gradient_penalty * penalty
        else:
            terms["generator_loss"] = losses.sigmoid_generator_loss(logits_fake)
            if discriminator:
                terms["discriminator_loss"] = losses.sigmoid_gan_losses(logits_real, logits_fake)[0]
        return terms

    def _generator_loss(self, terms):
        """G's loss from a pass's terms: its GAN loss, the weighted information term and, from
        `contrastive_start` on, the weighted contrastive loss (Lin et al. 2020, eq. 5)."""
        g_loss = terms["generator_loss"] + self.lambda_info * terms["info_loss"]
        if self.contrastive is not None:
            counts = tf.cast(self.step >= self.contrastive_start, tf.float32)
            g_loss += counts * self.lambda_contrastive * terms["contrastive_loss"]
        return g_loss

    def _translated(self, images, stream):
        """`images` shifted by DiffAugment's random translation: integers uniform in
        [-m, m] for each axis, m = `augment.max_shift(side, translation)`."""
        most = tf.constant([augment.max_shift(side, self.translation) for side in self.observation_shape[:2]],
                           tf.float32)
        u = self._draw(random_noise.uniform, tf.shape(images)[0], [2], stream=stream)
        shifts = tf.cast(tf.floor(u * (2.0 * most + 1.0)), tf.int32) - tf.cast(most, tf.int32)
        return augment.translate(images, shifts[:, 0], shifts[:, 1])

    def _critic(self, images):
        """D's score `[batch, 1]` for the gradient penalty. Inference mode: under "wgan_gp" the path
        from an image to its score holds no batch norm (nor anything else that trains differently),
        so this is what training mode computes, and Q's batch norm, which training mode would run
        on the interpolates too, keeps its moving statistics."""
        return self.discriminator(images, training=False)["d_logits"]

    def _discriminator_moving_statistics(self):
        """D's state that training calls move: batch norm's moving statistics and spectral norm's
        power-iteration vectors (both then follow the real batches, as in Lin et al.'s code, whose
        vectors move with the real images' pass only)."""
        return [v for layer in self.discriminator.layers
                for v in ((layer.moving_mean, layer.moving_variance)
                          if isinstance(layer, keras.layers.BatchNormalization)
                          else (layer.vector_u,) if isinstance(layer, networks.SpectralNorm) else ())]

    def train_step(self, data):
        images = self._images(data)
        d_variables = self.discriminator.trainable_variables
        for draw in range(1, self.n_critic):  # the critic's extra updates, each on its own draw
            with tf.GradientTape() as d_tape:
                terms = self._terms(images, training=True, draw=draw)
                d_loss = scale_for_replicas(terms["discriminator_loss"] + self.lambda_info * terms["info_loss"])
            self.discriminator_optimizer.apply(d_tape.gradient(d_loss, d_variables), d_variables)
        g_variables, d_variables = self.main_trainable_variables, self._second_player_variables
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            terms = self._terms(images, training=True)
            d_loss = terms["discriminator_loss"] + self.lambda_info * terms["info_loss"]
            if self.contrastive is not None:
                terms.update(zip(self.CONTRASTIVE_METRIC_NAMES, self.contrastive_terms(tf.shape(images)[0])))
                d_loss += terms["contrastive_loss"]  # reaches H only: D and Q do not see the pairs
            d_loss = scale_for_replicas(d_loss)
            if not self.alternating:
                g_loss = scale_for_replicas(self._generator_loss(terms))
        # Alternating, D and Q (and H) move first and every G update is a pass of its own against
        # them; simultaneous, G's first update comes from the pass that moves D, both gradients
        # taken before either player moves.
        d_gradients = d_tape.gradient(d_loss, d_variables)
        if not self.alternating:
            self.optimizer.apply(g_tape.gradient(g_loss, g_variables), g_variables)
        self.discriminator_optimizer.apply(d_gradients, d_variables)
        for _ in range(self.generator_updates - (0 if self.alternating else 1)):
            # G on the step's draw against the updated D and Q (Lin et al. feed one draw to every op
            # of a step; the trackers keep the pass that updated D).
            with tf.GradientTape() as g_tape:
                again = self._terms(images, training=True, discriminator=False)
                if self.contrastive is not None:
                    again["contrastive_loss"] = self.contrastive_terms(tf.shape(images)[0])[0]
                g_loss = scale_for_replicas(self._generator_loss(again))
            self.optimizer.apply(g_tape.gradient(g_loss, g_variables), g_variables)
        self.step.assign_add(1)
        return self._update_trackers(terms)

    def test_step(self, data):
        images = self._images(data)
        terms = self._terms(images, training=False)
        if self.contrastive is not None:
            terms.update(zip(self.CONTRASTIVE_METRIC_NAMES, self.contrastive_terms(tf.shape(images)[0], training=False)))
        return self._update_trackers(terms)

    # ----------------------------------------------------------------- the interface

    def encode(self, images):
        """Q(c | x): `tfd.Blockwise([OneHotCategorical, Independent(Normal)])` over `[latent_dim]`."""
        outputs = self.discriminator(self._checked(images), training=False)
        logits, mean, log_scale = self._q_heads(outputs)
        parts = []
        if self.num_categorical:
            parts.append(tfd.OneHotCategorical(logits=logits, dtype=tf.float32))
        if self.num_continuous:
            parts.append(tfd.Independent(tfd.Normal(mean, tf.exp(log_scale)), 1))
        return tfd.Blockwise(parts)

    def encode_mean(self, images, training=False):
        logits, mean, _ = self._q_heads(self.discriminator(images, training=training))
        return tf.concat([tf.nn.softmax(logits), mean], axis=1)

    def categorical_code(self, images, batch_size: int = 256) -> np.ndarray:
        """Q's most likely class for each image: `[N]` int64, argmax of the categorical head.

        Args:
          images: `[N, H, W, C]` float in [0, 1] or uint8.
          batch_size: images per forward pass.
        """
        if not self.num_categorical:
            raise ValueError(f"{self.name} has no categorical code (num_categorical=0).")
        return self.representation(images, batch_size)[:, :self.num_categorical].argmax(axis=1).astype(np.int64)

    def continuous_code(self, images, batch_size: int = 256) -> np.ndarray:
        """Q's mean of the continuous codes for each image: `[N, num_continuous]` float32."""
        return self.representation(images, batch_size)[:, self.num_categorical:]

    def decode(self, codes, noise=None):
        """G(noise, codes) in [0, 1]; `codes` `[batch, latent_dim]` (one-hot or probabilities, then
        continuous values), noise zero unless given `[batch, noise_dim]`."""
        codes = tf.convert_to_tensor(codes, tf.float32)
        if noise is None:
            noise = tf.zeros([tf.shape(codes)[0], self.noise_dim])
        return tf.sigmoid(self.generate_logits(noise, codes, training=False))

    def reconstruct(self, images):
        """G(0, c) with c Q's most likely class (one-hot) and continuous means."""
        codes = self.encode_mean(self._checked(images))
        onehot = tf.one_hot(tf.argmax(codes[:, :self.num_categorical], axis=1), self.num_categorical)
        return self.decode(tf.concat([onehot, codes[:, self.num_categorical:]], axis=1))

    def sample(self, n: int, seed: int = 0, return_codes: bool = False):
        """`n` images G(z, c) with z and c drawn from their priors; optionally also c `[n, latent_dim]`."""
        n = int(n)
        if self.noise_prior == "normal":
            noise = tf.random.stateless_normal([n, self.noise_dim], seed=[int(seed), 0])
        else:
            noise = tf.random.stateless_uniform([n, self.noise_dim], [int(seed), 0], -1.0, 1.0)
        classes = tf.random.stateless_uniform([n], [int(seed), 1], maxval=max(self.num_categorical, 1), dtype=tf.int32)
        continuous = tf.random.stateless_uniform([n, self.num_continuous], [int(seed), 2], -1.0, 1.0)
        codes = tf.concat([tf.one_hot(classes, self.num_categorical), continuous], axis=1)
        images = self.decode(codes, noise=noise)
        return (images, codes) if return_codes else images
