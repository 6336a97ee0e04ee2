"""InfoGAN learns a categorical code that Q recovers (Chen et al. 2016, sec. 5.1), on a toy dataset."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo.models
from zoo.models.infogan import networks_dcgan, networks_mnist, norms
from zoo import losses
from zoo import noise as random_noise
from zoo.data.base import GroundTruthData


class Glyphs(GroundTruthData):
    """16x16 images of one of three glyphs (a discrete class) on a 3x3 grid of positions."""

    name = "glyphs"
    factor_names = ("glyph", "posX", "posY")
    factor_sizes = (3, 3, 3)
    observation_shape = (16, 16, 1)
    factor_values = (np.arange(3), np.arange(3.0), np.arange(3.0))

    def sample_observations_from_factors(self, factors, rng=None):
        glyph, x, y = self.check_factors(factors).T
        rows, cols = np.mgrid[0:16, 0:16]
        dx = np.abs(cols[None] - (5 + 3 * x)[:, None, None])
        dy = np.abs(rows[None] - (5 + 3 * y)[:, None, None])
        square = (dx < 3) & (dy < 3)
        plus = ((dx < 4) & (dy < 1)) | ((dy < 4) & (dx < 1))
        ring = (dx < 4) & (dy < 4) & ~((dx < 2) & (dy < 2))
        glyph = glyph[:, None, None]
        return np.where(glyph == 0, square, np.where(glyph == 1, plus, ring))[..., None].astype(np.float32)


@pytest.mark.parametrize("options", [{}, {"network": "dcgan", "separate_batches": False, "lambda_continuous": 1.0}],
                         ids=["paper", "first-zoo-model"])
def test_infogan_learns_a_recoverable_categorical_code(options):
    keras.utils.set_random_seed(0)
    data = Glyphs()
    model = zoo.models.InfoGAN(input_shape=(16, 16, 1), num_categorical=3, num_continuous=2, noise_dim=8, filters=16,
                               **options)
    model.compile()
    history = model.fit(data.as_tf_dataset(batch_size=64, seed=0), epochs=10, steps_per_epoch=25, shuffle=False,
                        verbose=0).history
    mi = history["mi_categorical"]  # H(c) + E[log Q(c|G(z, c))], a lower bound on I(c; G(z, c)) <= log 3
    assert np.isfinite([v for values in history.values() for v in values]).all()
    assert mi[-1] > mi[0] + 0.3 and mi[-1] > 0.6, mi
    # Q recovers the class fed to the generator far above chance (1/3), reading a batch of samples
    # as it does in training: with separate batches, D normalises generated images by their own
    # batch's statistics, while its moving statistics follow the real images.
    images, codes = model.sample(600, seed=7, return_codes=True)
    if model.separate_batches:
        logits = model.discriminator(images, training=True)["q_logits"].numpy()
    else:
        logits = model.representation(images.numpy())[:, :3]
    accuracy = np.mean(logits.argmax(axis=1) == codes.numpy()[:, :3].argmax(axis=1))
    assert accuracy > 0.9, accuracy


def test_instance_noise_blurs_only_what_d_sees_in_training():
    images = Glyphs().sample_observations(8, np.random.default_rng(0))
    clean = zoo.models.InfoGAN(input_shape=(16, 16, 1), num_categorical=3, num_continuous=2, noise_dim=8, filters=8)
    noisy = zoo.models.InfoGAN.from_config({**clean.get_config(), "instance_noise": 0.5})
    noisy.set_weights(clean.get_weights())
    assert noisy.hparams["instance_noise"] == 0.5 and clean.hparams["instance_noise"] == 0.0
    evaluation = [model._terms(images, training=False)["discriminator_loss"].numpy() for model in (clean, noisy)]
    assert evaluation[0] == pytest.approx(evaluation[1], rel=1e-6)  # off outside training
    training = [model._terms(images, training=True)["discriminator_loss"].numpy() for model in (clean, noisy)]
    assert abs(training[0] - training[1]) > 1e-3, training
    # The same step draws the same noise (stateless, seeded by seed and step).
    again = noisy._terms(images, training=True)["discriminator_loss"].numpy()
    assert again == pytest.approx(training[1], rel=1e-6)
    with pytest.raises(ValueError, match=r"instance_noise must be a finite number in \[0, inf\); got -0.1"):
        zoo.models.InfoGAN(instance_noise=-0.1)


# ----------------------------------------------------------------------------- the paper's setting and its options

SMALL = dict(input_shape=(16, 16, 1), num_categorical=2, num_continuous=2, noise_dim=4, filters=4, network="mnist")


def test_auto_network_is_the_papers_at_28x28_only():
    """`network="auto"` (the default) resolves by image size, and the config records the resolved name."""
    mnist = zoo.models.get("infogan", input_shape=(28, 28, 1), num_categorical=10, num_continuous=2, filters=4)
    sprites = zoo.models.get("infogan", input_shape=(64, 64, 1), num_categorical=3, num_continuous=7)
    assert (mnist.network, sprites.network) == ("mnist", "dcgan")
    assert sprites.get_config()["network"] == "dcgan" and sprites.filters == 16


def test_paper_mnist_networks_are_table_1():
    """Chen et al. 2016, app. C.1, table 1, at 28x28 with 1 ten-way categorical, 2 continuous codes, 62 noise."""
    model = zoo.models.get("infogan", input_shape=(28, 28, 1), num_categorical=10, num_continuous=2)
    assert (model.network, model.filters, model.noise_dim, model.latent_dim) == ("mnist", 64, 62, 12)
    assert (model.lambda_categorical, model.lambda_continuous, model.separate_batches) == (1.0, 0.1, True)
    g, d = model.generator, model.discriminator
    assert g.input.shape[1:] == (74,)
    shapes = {name: g.get_layer(name).output.shape[1:] for name in ("dense1", "dense2", "deconv1", "logits")}
    assert shapes == {"dense1": (1024,), "dense2": (7 * 7 * 128,), "deconv1": (14, 14, 64), "logits": (28, 28, 1)}
    shapes = {name: d.get_layer(name).output.shape[1:] for name in ("conv1", "conv2", "dense", "q_dense")}
    assert shapes == {"conv1": (14, 14, 64), "conv2": (7, 7, 128), "dense": (1024,), "q_dense": (128,)}
    assert d.get_layer("conv1").kernel.shape == (4, 4, 1, 64) and d.get_layer("conv2").strides == (2, 2)
    assert g.get_layer("deconv1").kernel.shape[:2] == (4, 4) and g.get_layer("deconv1").strides == (2, 2)
    # Batch norm where the table has it (not after D's first convolution), leaky ReLU 0.1 in D.
    bn = [layer.name for layer in d.layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert bn == ["bn2", "bn3", "q_bn"]
    assert {layer.negative_slope for layer in d.layers if isinstance(layer, keras.layers.LeakyReLU)} == {0.1}
    assert [layer.name for layer in g.layers if isinstance(layer, keras.layers.BatchNormalization)] == \
        ["bn1", "bn2", "bn3"]
    # The paper's learning rates: D 2e-4, G 1e-3, Adam beta_1 0.5.
    model.compile()
    assert float(model.optimizer.learning_rate) == pytest.approx(1e-3)
    assert float(model.discriminator_optimizer.learning_rate) == pytest.approx(2e-4)
    assert float(model.optimizer.beta_1) == float(model.discriminator_optimizer.beta_1) == 0.5
    with pytest.raises(ValueError, match="divisible by 4"):
        zoo.models.InfoGAN(input_shape=(30, 30, 1), network="mnist")


# The config infogan-dsprites was saved with (weights/infogan-dsprites/config.json, before the options).
SAVED_BEFORE_THE_OPTIONS = {
    "module": "zoo.models.infogan", "class_name": "InfoGAN", "registered_name": "zoo>InfoGAN",
    "config": {"name": "info_gan", "input_shape": [64, 64, 1], "latent_dim": 10, "seed": 0, "num_categorical": 3,
               "num_continuous": 7, "noise_dim": 62, "lambda_info": 1.0, "learn_scale": True, "filters": 16,
               "instance_noise": 0.3},
    "build_config": {"input_shape": [64, 64, 1]}}


def test_a_config_saved_before_the_options_rebuilds_the_old_model():
    """Absent keys mean the behaviour of the version that saved the config (LEGACY_HPARAMS)."""
    old = keras.saving.deserialize_keras_object(SAVED_BEFORE_THE_OPTIONS)
    assert {k: old.hparams[k] for k in zoo.models.InfoGAN.LEGACY_HPARAMS} == zoo.models.InfoGAN.LEGACY_HPARAMS
    assert (old.network, old.filters, old.separate_batches, old.lambda_continuous) == ("dcgan", 16, False, 1.0)
    assert old.generator.get_layer("reshape").output.shape[1:] == (4, 4, 128)
    assert old.count_params() == 768_484  # what the first infogan-dsprites held
    # A config saved today holds every key and rebuilds itself, whatever the legacy values are.
    new = zoo.models.InfoGAN(**SMALL)
    assert zoo.models.InfoGAN.from_config(new.get_config()).hparams == new.hparams
    assert new.hparams["network"] == "mnist" and new.hparams["separate_batches"] is True


def test_information_loss_weights_by_hand():
    """info = lambda_cat * CE + lambda_cont * Gaussian NLL, on Q outputs written by hand."""
    model = zoo.models.InfoGAN(**SMALL, lambda_categorical=2.0, lambda_continuous=0.5)
    onehot = np.array([[1.0, 0.0]], np.float32)
    continuous = np.array([[0.5, -1.0]], np.float32)
    outputs = {"q_logits": np.zeros((1, 2), np.float32), "q_mean": np.zeros((1, 2), np.float32),
               "q_log_scale": np.zeros((1, 2), np.float32)}
    # CE of uniform logits over 2 classes = log 2. Gaussian NLL at scale 1, mean 0, summed over the
    # two codes: 0.5 * (0.25 + 1) + 2 * 0.5 log(2 pi) = 0.625 + log(2 pi).
    info, mi, nll = (float(v) for v in model.info_terms(outputs, onehot, continuous))
    assert nll == pytest.approx(0.625 + np.log(2 * np.pi), rel=1e-6)
    assert info == pytest.approx(2.0 * np.log(2) + 0.5 * nll, rel=1e-6)
    assert mi == pytest.approx(np.log(2) - np.log(2), abs=1e-6)
    # min_scale: scale = min_scale + exp(raw). raw scale 0.1 and floor 0.2 give 0.3:
    # NLL per code = 0.5 (c / 0.3)^2 + log 0.3 + 0.5 log(2 pi).
    bounded = zoo.models.InfoGAN(**SMALL, min_scale=0.2)
    outputs["q_log_scale"] = np.full((1, 2), np.log(0.1), np.float32)
    _, _, nll = (float(v) for v in bounded.info_terms(outputs, onehot, continuous))
    expected = sum(0.5 * (c / 0.3) ** 2 + np.log(0.3) + 0.5 * np.log(2 * np.pi) for c in (0.5, -1.0))
    assert nll == pytest.approx(expected, rel=1e-5)
    # Without the floor the same outputs give scale 0.1; a huge raw scale does not overflow.
    _, _, nll = (float(v) for v in model.info_terms(outputs, onehot, continuous))
    assert nll == pytest.approx(sum(0.5 * (c / 0.1) ** 2 + np.log(0.1) + 0.5 * np.log(2 * np.pi)
                                    for c in (0.5, -1.0)), rel=1e-5)
    outputs["q_log_scale"] = np.full((1, 2), 200.0, np.float32)
    assert np.isfinite(float(bounded.info_terms(outputs, onehot, continuous)[2]))
    # Fixed scale 1 ignores Q's scale head.
    fixed = zoo.models.InfoGAN(**SMALL, learn_scale=False)
    _, _, nll = (float(v) for v in fixed.info_terms(outputs, onehot, continuous))
    assert nll == pytest.approx(0.625 + np.log(2 * np.pi), rel=1e-6)


def test_the_lambdas_scale_the_gradients_of_q():
    """Q's categorical head gets gradient only from the categorical term, its mean head only from the
    continuous term: one SGD(1) step of D moves each head by lambda_info * lambda_<type> * the same
    gradient."""
    images = Glyphs().sample_observations(8, np.random.default_rng(0))
    base = zoo.models.InfoGAN(**SMALL)

    def head_steps(**kwargs):
        model = zoo.models.InfoGAN.from_config({**base.get_config(), **kwargs})
        model.set_weights(base.get_weights())
        model.compile(optimizer=keras.optimizers.SGD(0.0), discriminator_optimizer=keras.optimizers.SGD(1.0))
        heads = [model.discriminator.get_layer(name).kernel for name in ("q_logits", "q_mean")]
        before = [h.numpy() for h in heads]
        model.train_on_batch(images)
        return [b - h.numpy() for b, h in zip(before, heads)]

    cat1, cont1 = head_steps(lambda_info=1.0, lambda_categorical=1.0, lambda_continuous=1.0)
    cat6, cont15 = head_steps(lambda_info=3.0, lambda_categorical=2.0, lambda_continuous=5.0)
    assert np.abs(cat1).max() > 0 and np.abs(cont1).max() > 0
    np.testing.assert_allclose(cat6, 6.0 * cat1, rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(cont15, 15.0 * cont1, rtol=1e-4, atol=1e-7)


def test_separate_batches_normalise_real_and_generated_images_apart():
    images = Glyphs().sample_observations(8, np.random.default_rng(0))
    keras.utils.set_random_seed(3)
    separate = zoo.models.InfoGAN(**SMALL)
    joint = zoo.models.InfoGAN.from_config({**separate.get_config(), "separate_batches": False})
    joint.set_weights(separate.get_weights())
    # By hand: the step's generated images (the same stateless draws), then D on each batch alone.
    noise, onehot, continuous = separate._prior(8, stream=0)
    fake = tf.sigmoid(separate.generate_logits(noise, tf.concat([onehot, continuous], 1), training=True))
    real_logits = separate.discriminator(images, training=True)["d_logits"]
    fake_logits = separate.discriminator(fake, training=True)["d_logits"]
    d_loss, _ = losses.sigmoid_gan_losses(real_logits, fake_logits)
    before = [v.numpy() for v in separate._discriminator_moving_statistics()]
    terms = separate._terms(images, training=True)
    assert float(terms["discriminator_loss"]) == pytest.approx(float(d_loss), rel=1e-5)
    # One batch pools the statistics: a different loss from the same weights.
    assert abs(float(joint._terms(images, training=True)["discriminator_loss"]) - float(d_loss)) > 1e-4
    # Outside training (moving statistics) the two modes agree.
    assert float(joint._terms(images, training=False)["discriminator_loss"]) == pytest.approx(
        float(separate._terms(images, training=False)["discriminator_loss"]), rel=1e-5)
    # The moving statistics (what reading real images uses) follow the real batch only: one more
    # update from the real batch, as D(images, training=True) alone makes it.
    reference = zoo.models.InfoGAN.from_config(separate.get_config())
    reference.set_weights(separate.get_weights())
    for variable, value in zip(reference._discriminator_moving_statistics(), before):
        variable.assign(value)
    reference.discriminator(images, training=True)
    for a, b in zip(separate._discriminator_moving_statistics(), reference._discriminator_moving_statistics()):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, atol=1e-7)


def test_noise_prior_is_the_authors_uniform_by_default():
    """z ~ U(-1, 1) by default (openai/InfoGAN's `Uniform(62)`), N(0, 1) as an option; both from the
    same uniform bits u: the uniform noise is 2u - 1 and the normal noise Phi^-1(u)."""
    uniform = zoo.models.InfoGAN(**{**SMALL, "noise_dim": 64})
    normal = zoo.models.InfoGAN(**{**SMALL, "noise_dim": 64, "noise_prior": "normal"})
    assert uniform.noise_prior == "uniform"
    u_noise, onehot, continuous = uniform._prior(256, stream=0)
    n_noise, onehot_n, continuous_n = normal._prior(256, stream=0)
    assert u_noise.shape == (256, 64) and float(tf.reduce_max(tf.abs(u_noise))) < 1.0
    assert float(tf.math.reduce_variance(u_noise)) == pytest.approx(1 / 3, abs=0.01)  # U(-1, 1): (b - a)^2 / 12
    np.testing.assert_allclose(n_noise.numpy(), tf.math.ndtri((u_noise + 1) / 2).numpy(), atol=2e-3)
    np.testing.assert_array_equal(onehot, onehot_n)  # the codes do not depend on the noise prior
    np.testing.assert_array_equal(continuous, continuous_n)
    # InfoGAN-CR's pairs share one draw from the same prior (the pairs are the contrastive variant's).
    contrastive = zoo.models.InfoGAN(**{**SMALL, "noise_dim": 64, "lambda_contrastive": 1.0})
    assert float(tf.reduce_max(tf.abs(contrastive.contrastive_pairs(64)[1]))) < 1.0
    # What pictures and benchmarks hold fixed is drawn from the prior too.
    drawn = uniform.draw_noise(np.random.default_rng(0), (4000, 3))
    assert drawn.dtype == np.float32 and np.abs(drawn).max() <= 1.0 and drawn.var() == pytest.approx(1 / 3, abs=0.02)
    np.testing.assert_array_equal(normal.draw_noise(np.random.default_rng(0), (5, 3)),
                                  np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32))
    assert zoo.models.InfoGAN.from_config(normal.get_config()).noise_prior == "normal"
    with pytest.raises(ValueError, match="noise_prior must be one of 'uniform', 'normal'; got 'gaussian'"):
        zoo.models.InfoGAN(**{**SMALL, "noise_prior": "gaussian"})


def test_update_order_and_leak_options():
    """Alternating updates (the authors' code) and the paper's leaky slope 0.1 by default; the
    authors' code's slope 0.01 reaches every leaky ReLU of D and Q; both survive the config."""
    model = zoo.models.InfoGAN(**SMALL)
    assert model.alternating is True and model.leak == 0.1
    authors = zoo.models.InfoGAN(**SMALL, leak=0.01, alternating=False)
    slopes = {layer.name: layer.negative_slope for layer in authors.discriminator.layers
              if isinstance(layer, keras.layers.LeakyReLU)}
    assert slopes == {"lrelu1": 0.01, "lrelu2": 0.01, "lrelu3": 0.01, "q_lrelu": 0.01}
    rebuilt = zoo.models.InfoGAN.from_config(authors.get_config())
    assert (rebuilt.alternating, rebuilt.leak) == (False, 0.01)
    assert not any(isinstance(layer, keras.layers.LeakyReLU) and layer.negative_slope != 0.01
                   for layer in rebuilt.discriminator.layers)


def test_code_readers():
    images = Glyphs().sample_observations(10, np.random.default_rng(1))
    model = zoo.models.InfoGAN(**SMALL)
    codes = model.representation(images)
    categorical = model.categorical_code(images)
    assert categorical.shape == (10,) and categorical.dtype == np.int64
    np.testing.assert_array_equal(categorical, codes[:, :2].argmax(axis=1))
    np.testing.assert_array_equal(model.categorical_code(images, batch_size=3), categorical)
    continuous = model.continuous_code(images)
    assert continuous.shape == (10, 2)
    np.testing.assert_allclose(continuous, model.encode(images).mean().numpy()[:, 2:], rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="no categorical code"):
        zoo.models.InfoGAN(**{**SMALL, "num_categorical": 0}).categorical_code(images)
    with pytest.raises(ValueError, match=r"shape \(N, 16, 16, 1\)"):
        model.categorical_code(np.zeros((2, 28, 28, 1), np.float32))


@pytest.mark.parametrize("kwargs, complaint", [
    ({"network": "resnet"}, "network must be one of 'auto', 'mnist', 'dcgan', 'cr'; got 'resnet'"),
    ({"lambda_continuous": -0.1}, r"lambda_continuous must be a finite number in \[0, inf\); got -0.1"),
    ({"min_scale": -1.0}, r"min_scale must be a finite number in \[0, inf\); got -1.0"),
    ({"learn_scale": False, "min_scale": 0.1}, "fixed at 1"),
    ({"network": "dcgan", "leak": 0.01}, "leak sets the slope of the 'mnist' networks' D and Q; network 'dcgan'"),
    ({"leak": 1.5}, r"leak must be a finite number in \[0, 1\]; got 1.5"),
])
def test_option_errors(kwargs, complaint):
    with pytest.raises(ValueError, match=complaint):
        zoo.models.InfoGAN(**{**SMALL, **kwargs})


# ----------------------------------------------------------------------------- InfoWGAN-GP (gan_loss="wgan_gp")

WGAN = dict(SMALL, gan_loss="wgan_gp")


def _critic_path(discriminator):
    """The layers between D's input and its score (Q's head is not among them)."""
    critic = keras.Model(discriminator.input, discriminator.get_layer("d_logits").output)
    return critic.layers


@pytest.mark.parametrize("network", ["mnist", "dcgan"])
def test_wgan_gp_critic_has_no_batch_norm(network):
    """Gulrajani et al. 2017, sec. 4: no batch norm on the path from an image to D's score (layer
    norm instead); Q's head keeps its batch norm. The paper's critic has batch norm there."""
    wgan = zoo.models.InfoGAN(**{**WGAN, "network": network})
    standard = zoo.models.InfoGAN(**{**SMALL, "network": network})
    path = _critic_path(wgan.discriminator)
    assert not [layer.name for layer in path if isinstance(layer, keras.layers.BatchNormalization)]
    layer_norms = [layer.name for layer in path if isinstance(layer, keras.layers.GroupNormalization)]
    assert layer_norms == (["ln2", "ln3"] if network == "mnist" else ["ln2"])
    assert all(wgan.discriminator.get_layer(name).groups == 1 for name in layer_norms)
    assert isinstance(wgan.discriminator.get_layer("q_bn"), keras.layers.BatchNormalization)
    assert [layer.name for layer in _critic_path(standard.discriminator)
            if isinstance(layer, keras.layers.BatchNormalization)] == (["bn2", "bn3"] if network == "mnist"
                                                                       else ["bn2"])
    # So each image's score, in training mode too, is its own: scored alone or in a batch alike.
    images = Glyphs().sample_observations(6, np.random.default_rng(0))
    together = wgan.discriminator(images, training=True)["d_logits"].numpy()
    alone = np.concatenate([wgan.discriminator(images[i:i + 1], training=True)["d_logits"].numpy()
                            for i in range(6)])
    np.testing.assert_allclose(together, alone, rtol=1e-5, atol=1e-6)
    batch_normed = standard.discriminator(images, training=True)["d_logits"].numpy()
    assert not np.allclose(batch_normed[:1], standard.discriminator(images[:1], training=True)["d_logits"].numpy(),
                           atol=1e-4)


@pytest.mark.parametrize("build", [networks_dcgan.dcgan_discriminator, networks_mnist.infogan_mnist_discriminator])
def test_discriminator_normalizations(build):
    """"batch" (the default) is the papers' body; "layer" swaps each body batch norm for a one-group
    normalisation (statistics over height, width and channels of each image, scale and offset per
    channel); "none" drops them and gives their layers biases. Q's head keeps its batch norm."""
    kinds = {}
    for normalization in norms.NORMALIZATIONS:
        d = build((16, 16, 1), 2, 2, filters=4, normalization=normalization)
        path = _critic_path(d)
        kinds[normalization] = [type(layer).__name__ for layer in path if "Normalization" in type(layer).__name__]
        biases = [layer.use_bias for layer in path if isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense))]
        assert all(biases) == (normalization == "none"), (normalization, biases)
        assert isinstance(d.get_layer("q_bn"), keras.layers.BatchNormalization)
    assert kinds["none"] == [] and len(kinds["batch"]) == len(kinds["layer"]) > 0
    assert set(kinds["batch"]) == {"BatchNormalization"} and set(kinds["layer"]) == {"GroupNormalization"}
    # Layer norm by hand on one feature map: (h - mean) / sqrt(var + 1e-5) over all of H, W, C.
    layer = norms._layer_norm("ln")
    h = np.random.default_rng(0).normal(2.0, 3.0, (2, 4, 4, 3)).astype(np.float32)
    mean, var = h.mean(axis=(1, 2, 3), keepdims=True), h.var(axis=(1, 2, 3), keepdims=True)
    np.testing.assert_allclose(layer(h).numpy(), (h - mean) / np.sqrt(var + 1e-5), rtol=1e-4, atol=1e-5)
    assert layer.gamma.shape == (3,)
    with pytest.raises(ValueError, match="normalization must be one of 'batch', 'layer', 'none'; got 'group'"):
        build((16, 16, 1), 2, 2, filters=4, normalization="group")


@pytest.mark.parametrize("options", [{}, {"separate_batches": False, "instance_noise": 0.3}],
                         ids=["separate", "joint-noisy"])
def test_wgan_gp_terms_by_hand(options):
    """Critic loss E[D(fake)] - E[D(real)] + 10 E[(||grad D(x_hat)|| - 1)^2] and generator loss
    -E[D(fake)] at the step's draws, each image's gradient taken by scoring it alone (what the
    penalty means, and what a critic with batch norm would not give)."""
    keras.utils.set_random_seed(6)
    model = zoo.models.InfoGAN(**{**WGAN, **options})
    images = Glyphs().sample_observations(8, np.random.default_rng(2))
    noise, onehot, continuous = model._prior(8, stream=0)
    fake = tf.sigmoid(model.generate_logits(noise, tf.concat([onehot, continuous], 1), training=True)).numpy()
    real = images
    if options.get("instance_noise"):
        real = real + 0.3 * model._draw(random_noise.normal, 8, [16, 16, 1], stream=3).numpy()
        fake = fake + 0.3 * model._draw(random_noise.normal, 8, [16, 16, 1], stream=4).numpy()
    eps = model._draw(random_noise.uniform, 8, [1, 1, 1], stream=5).numpy()
    assert eps.shape == (8, 1, 1, 1) and 0 < eps.min() and eps.max() < 1 and eps.std() > 0.1

    def score(x):
        return model.discriminator(x, training=True)["d_logits"][:, 0]

    norms = []
    for i in range(8):
        x_hat = tf.constant(eps[i] * real[i:i + 1] + (1 - eps[i]) * fake[i:i + 1])
        with tf.GradientTape() as tape:
            tape.watch(x_hat)
            s = score(x_hat)
        norms.append(float(tf.norm(tape.gradient(s, x_hat))))
    penalty = np.mean((np.array(norms) - 1.0) ** 2)
    d_real, d_fake = score(real).numpy(), score(fake).numpy()

    terms = model._terms(images, training=True)
    assert float(terms["gradient_penalty"]) == pytest.approx(penalty, rel=1e-4)
    assert float(terms["wasserstein_estimate"]) == pytest.approx(d_real.mean() - d_fake.mean(), rel=1e-4, abs=1e-6)
    assert float(terms["discriminator_loss"]) == pytest.approx(d_fake.mean() - d_real.mean() + 10.0 * penalty,
                                                               rel=1e-4, abs=1e-6)
    assert float(terms["generator_loss"]) == pytest.approx(-d_fake.mean(), rel=1e-4, abs=1e-6)
    assert penalty > 1e-3  # a fresh critic is far from 1-Lipschitz, so the check has something to check
    # The weight scales the penalty alone.
    heavier = zoo.models.InfoGAN.from_config({**model.get_config(), "gradient_penalty": 2.5})
    heavier.set_weights(model.get_weights())
    loss = float(heavier._terms(images, training=True)["discriminator_loss"])
    assert loss == pytest.approx(d_fake.mean() - d_real.mean() + 2.5 * penalty, rel=1e-4, abs=1e-6)


def test_wgan_gp_options_and_defaults():
    model = zoo.models.InfoGAN(**WGAN)
    assert (model.gan_loss, model.gradient_penalty, model.n_critic) == ("wgan_gp", 10.0, 5)
    assert zoo.models.InfoGAN(**SMALL).n_critic == 1 and zoo.models.InfoGAN(**WGAN, n_critic=2).n_critic == 2
    assert model.METRIC_NAMES[-2:] == ("gradient_penalty", "wasserstein_estimate")
    assert "gradient_penalty" not in zoo.models.InfoGAN(**SMALL).METRIC_NAMES
    assert zoo.models.InfoGAN.from_config(model.get_config()).hparams == model.hparams
    # Gulrajani et al. 2017, Algorithm 1: Adam(1e-4, beta_1=0, beta_2=0.9) for both players.
    model.compile()
    for optimizer in (model.optimizer, model.discriminator_optimizer):
        assert (float(optimizer.learning_rate), float(optimizer.beta_1), float(optimizer.beta_2)) == \
            pytest.approx((1e-4, 0.0, 0.9))
    with pytest.raises(ValueError, match="gan_loss must be one of 'standard', 'wgan_gp'; got 'wgan'"):
        zoo.models.InfoGAN(**{**SMALL, "gan_loss": "wgan"})
    with pytest.raises(ValueError, match="needs gan_loss='wgan_gp'"):
        zoo.models.InfoGAN(**SMALL, gradient_penalty=5.0)
    with pytest.raises(ValueError, match=r"n_critic must be an integer in \[1, inf\); got 0"):
        zoo.models.InfoGAN(**WGAN, n_critic=0)
