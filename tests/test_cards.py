"""Model cards: huggingface_hub's ModelCard round trip gives back every held-out score; the body says
what it must; every shipped card parses and indexes scores only."""

import copy
from pathlib import Path

import pytest
from huggingface_hub import ModelCard

import zoo
from zoo import cards
from zoo_testing import METADATA, NAME, SCORE_SETTINGS, SCORES

META = {**copy.deepcopy(METADATA), "name": NAME, "objective": "beta_vae",
        "config": {"input_shape": [16, 16, 1], "latent_dim": 4, "seed": 0, "beta": 4.0},
        "scores": SCORES, "score_settings": SCORE_SETTINGS, "date": "2026-11-28T00:00:00+00:00"}


# The scores a hub indexes: SCORES less the BetaVAE classifier's accuracy on its own training split.
INDEXED = {k: v for k, v in SCORES.items() if k != "beta_vae_score.train_accuracy"}


def _card(tmp_path, meta=META, images=("traversal.png",)):
    path = tmp_path / "README.md"
    cards.make_card(meta, repo_id="zoo-test/betavae-tiny", images=images).save(path)
    return path


def test_round_trip_gives_back_every_held_out_score(tmp_path):
    loaded = ModelCard.load(_card(tmp_path))
    assert cards.scores_from_card(loaded) == INDEXED
    assert cards.scores_from_card(tmp_path / "README.md") == INDEXED
    data = loaded.data
    assert data.library_name == "keras" and data.license == "apache-2.0" and data.datasets == ["dsprites"]
    assert {"keras", "disentanglement", "beta_vae", "dsprites"} <= set(data.tags)
    assert data.model_name == NAME
    by_key = {r.metric_type: r for r in data.eval_results}
    mig = by_key["mig.mig"]
    # Every setting once, as the dataset's args; the metrics carry none.
    assert mig.metric_name == "MIG" and mig.dataset_args == {"num_train": 100, "num_test": 50, "seed": 0,
                                                             "beta_vae_score": {"batch_size": 16},
                                                             "mig": {"num_bins": 20}}
    assert by_key["beta_vae_score.eval_accuracy"].metric_name == "BetaVAE score (eval_accuracy)"
    assert all(r.metric_args is None for r in data.eval_results)
    assert mig.dataset_type == "dsprites" and "rendered" in mig.dataset_name
    # ...and the training-split accuracy stays in the card's table.
    assert "`beta_vae_score.train_accuracy` | 0.9100" in loaded.text


def test_body_says_what_how_limits_traversal_and_loading(tmp_path):
    text = ModelCard.load(_card(tmp_path)).text.lstrip()
    assert text.startswith(f"# {NAME}")
    assert "β-VAE" in text and "Higgins et al." in text  # what it is
    assert "| steps | 3 |" in text and "| batch_size | 8 |" in text  # how it was trained
    assert "not DeepMind's file" in text  # rendered dSprites
    assert "![latent traversal](traversal.png)" in text
    assert f'zoo.load("{NAME}")' in text and 'zoo.load("hf://zoo-test/betavae-tiny")' in text
    assert "np.zeros((8, 16, 16, 1), np.float32)" in text
    for key in SCORES:
        assert f"`{key}`" in text


def test_undefined_scores_and_no_scores(tmp_path):
    meta = {**META, "scores": {**SCORES, "sap_score.sap_score": None}}
    path = _card(tmp_path, meta)
    assert cards.scores_from_card(path) == INDEXED  # null scores stay out of the model-index...
    assert "n/a (undefined)" in ModelCard.load(path).text  # ...and show in the table
    path = _card(tmp_path, {**META, "scores": {}}, images=())
    card = ModelCard.load(path)
    assert cards.scores_from_card(card) == {} and "Not evaluated yet." in card.text
    assert "traversal" not in card.text


def test_zoo_model_card_returns_text_and_metadata(tmp_path):
    _card(tmp_path)
    text, meta = zoo.model_card(str(tmp_path))
    assert text.startswith(f"# {NAME}") and "---" not in text.splitlines()[0]
    assert meta["library_name"] == "keras"
    metrics = meta["model-index"][0]["results"][0]["metrics"]
    assert {m["type"]: m["value"] for m in metrics} == INDEXED


def test_update_scores_rewrites_card_and_metadata(tmp_path):
    from zoo import presets
    from zoo_testing import save_tiny_preset

    folder = save_tiny_preset(tmp_path / NAME)
    assert cards.scores_from_card(folder / "README.md") == INDEXED
    new = {"mig.mig": 0.33, "beta_vae_score.eval_accuracy": 0.9}
    presets.update_scores(folder, new, {"num_train": 10000, "num_test": 5000, "seed": 1})
    assert cards.scores_from_card(folder / "README.md") == new
    assert presets.check_preset(folder)["scores"] == new
    assert "![latent traversal](traversal.png)" in (folder / "README.md").read_text()


# A card that cannot be read names its file (huggingface_hub's errors did not, and a missing path
# was taken for a Hub repository id and looked up online).
BROKEN_CARDS = {
    "invalid YAML": "---\nlicense: [mit\nfoo: : bar\n---\n\nbody\n",
    "a model-index that is not a list": "---\nmodel-index: 3\n---\n\nbody\n",
}


def test_unreadable_cards_name_the_file_and_the_fix(tmp_path):
    import pytest

    for case, text in BROKEN_CARDS.items():
        path = tmp_path / case.replace(" ", "_") / "README.md"
        path.parent.mkdir()
        path.write_text(text)
        for read in (cards.read_card, cards.scores_from_card):
            with pytest.raises(cards.CardError, match=rf"{path}: the model card's YAML header .*cannot be read.*"
                                                      r"--update_card"):
                read(path)
    missing = tmp_path / "nowhere" / "README.md"
    for read in (cards.read_card, cards.scores_from_card):
        with pytest.raises(cards.CardError, match=rf"{missing}: no model card there"):
            read(missing)
    assert issubclass(cards.CardError, ValueError)


def test_the_card_says_the_adam_epsilon_and_whether_it_is_the_studys(tmp_path):
    """The study's Adam epsilon is TF1's 1e-8 (zoo.models.optimizers.STUDY_EPSILON, the default for new
    training); presets trained before used Keras's 1e-7. The card says which, from metadata.json."""
    from zoo.models.optimizers import STUDY_EPSILON

    assert cards.STUDY_ADAM_EPSILON == STUDY_EPSILON == 1e-8
    adam = {"name": "adam", "learning_rate": 1e-4, "beta_1": 0.9, "beta_2": 0.999}
    study = {**META, "training": {**META["training"], "optimizer": {
        "optimizer": {**adam, "epsilon": 1e-8}, "discriminator_optimizer": {**adam, "beta_1": 0.5, "epsilon": 1e-8}}}}
    text = ModelCard.load(_card(tmp_path, study)).text
    assert "| Adam epsilon | 1e-08 (the study's: TF1's AdamOptimizer default, as in disentanglement_lib) |" in text
    older = {**META, "training": {**META["training"], "optimizer": {"optimizer": {**adam, "epsilon": 1e-7}}}}
    text = ModelCard.load(_card(tmp_path, older)).text
    assert "| Adam epsilon | 1e-07 (not the study's 1e-08, TF1's AdamOptimizer default" in text
    mixed = {**META, "training": {**META["training"], "optimizer": {
        "optimizer": {**adam, "epsilon": 1e-8}, "discriminator_optimizer": {**adam, "epsilon": 1e-7}}}}
    assert "| Adam epsilon | optimizer 1e-08, discriminator 1e-07 (not the study's" in \
        ModelCard.load(_card(tmp_path, mixed)).text


def test_a_trained_preset_records_and_shows_the_studys_epsilon(tmp_path):
    import zoo.runs

    run = zoo.runs.train({"model": "factor_vae", "dataset": "tiny", "batch_size": 4, "latent_dim": 2,
                          "hparams": {"gamma": 10.0}, "steps": 1}, tmp_path / "run", progress=False)
    optimizers = zoo.presets.read_metadata(run / "preset")["training"]["optimizer"]
    assert {name: opt["epsilon"] for name, opt in optimizers.items()} == {"optimizer": 1e-8,
                                                                          "discriminator_optimizer": 1e-8}
    assert "| Adam epsilon | 1e-08 (the study's" in (run / "preset" / "README.md").read_text()


def test_update_scores_adds_pictures_with_their_digests(tmp_path):
    import numpy as np
    import pytest

    from zoo import files, presets
    from zoo_testing import save_tiny_preset

    folder = save_tiny_preset(tmp_path / NAME)
    picture = tmp_path / "made.png"
    presets._write_image(np.full((4, 6), 200, np.uint8), picture)
    presets.update_scores(folder, {"mig.mig": 0.1}, images={"infogan_c1.png": picture,
                                                           "grid.png": np.zeros((3, 3), np.uint8)})
    meta = presets.check_preset(folder)  # every recorded file, the new ones included, matches its sha256
    assert meta["files"]["infogan_c1.png"]["sha256"] == files.file_digest(picture)[1]
    assert {"traversal.png", "infogan_c1.png", "grid.png"} <= set(meta["files"])
    text = (folder / "README.md").read_text()
    assert "infogan_c1.png" in text and "grid.png" in text and "traversal.png" in text
    with pytest.raises(ValueError, match="plain name"):
        presets.update_scores(folder, {}, images={"../escape.png": picture})


def test_an_infowgan_gp_card_cites_its_critic():
    meta = {**META, "objective": "infogan", "config": {"latent_dim": 10, "gan_loss": "wgan_gp"}}
    text = str(cards.make_card(meta))
    assert "Chen et al., InfoGAN" in text and "Kim & Mnih" in text and "Gulrajani et al." in text
    plain = str(cards.make_card({**meta, "config": {"latent_dim": 10, "gan_loss": "standard"}}))
    assert "Gulrajani" not in plain


@pytest.mark.parametrize("objective, pretty", [("ada_gvae", "An **Ada-GVAE**"), ("ada_ml_vae", "An **Ada-ML-VAE**")])
def test_a_weakly_supervised_card_says_it_learned_from_pairs_and_cites_locatello_2020(objective, pretty):
    text = str(cards.make_card({**META, "objective": objective}))
    assert pretty in text and "trained on pairs of images that share an unknown subset" in text
    assert "Weakly-Supervised Disentanglement Without Compromises" in text and "without labels" not in text
    assert "Weak supervision makes disentanglement identifiable" in text and "not identifiable" not in text
    unsupervised = str(cards.make_card({**META, "objective": "beta_vae"}))
    assert "A **β-VAE** encoder/decoder trained without labels" in unsupervised and "not identifiable" in unsupervised


def test_a_card_shows_options_added_after_its_config_at_the_values_the_model_has(tmp_path):
    """An InfoGAN saved before `noise_prior` existed is rebuilt with N(0, 1) noise (LEGACY_HPARAMS):
    its card says so, not today's default, while metadata.json keeps the config as it was saved."""
    import json

    import zoo.models
    from zoo import presets

    model = zoo.models.InfoGAN(input_shape=(16, 16, 1), num_categorical=2, num_continuous=2, noise_dim=4, filters=4,
                               network="mnist")
    folder = presets.save_preset(model, tmp_path / "infogan-tiny", objective="infogan",
                                 metadata={"dataset": {"name": "tiny", "source": "rendered"}})
    assert '| `noise_prior` | `"uniform"` |' in (folder / "README.md").read_text()
    meta = json.loads((folder / "metadata.json").read_text())
    del meta["config"]["noise_prior"]  # as every InfoGAN preset saved before the option
    (folder / "metadata.json").write_text(json.dumps(meta))
    presets.update_scores(folder, {"mig.mig": 0.1})
    card = (folder / "README.md").read_text()
    assert '| `noise_prior` | `"normal"` |' in card and '| `network` | `"mnist"` |' in card
    assert "noise_prior" not in presets.read_metadata(folder)["config"]


SHIPPED = sorted((Path(__file__).resolve().parents[1] / "weights").glob("*/README.md"))


@pytest.mark.parametrize("card", SHIPPED, ids=lambda p: p.parent.name)
def test_every_shipped_card_indexes_its_held_out_scores_once(card):
    """What a hub reads: huggingface_hub's ModelCard and metadata_load parse the card; its model-index
    holds one entry per score on held-out data (no seconds, counts or training-split fits), the
    settings once; the card is what the project's card code writes from metadata.json today."""
    from huggingface_hub import metadata_load

    from zoo import presets

    meta = presets.read_metadata(card.parent)
    loaded = ModelCard.load(card)
    header = metadata_load(card)
    assert header == loaded.data.to_dict() and header["library_name"] == "keras"
    (index,) = header["model-index"]
    (result,) = index["results"]
    types = [m["type"] for m in result["metrics"]]
    assert len(types) == len(set(types))
    expected = {k: v for k, v in meta["scores"].items() if v is not None and cards.in_model_index(k)}
    assert dict(zip(types, (m["value"] for m in result["metrics"]))) == expected and expected
    assert not [t for t in types if t.startswith("timing.") or t.endswith(("num_active_dims", "train_accuracy",
                                                                            "_train"))]
    assert all("args" not in m for m in result["metrics"])
    assert result["dataset"].get("args") == (cards.index_settings(meta["score_settings"], types) or None)
    for key in meta["scores"]:  # the full table stays in the text
        assert f"`{key}`" in loaded.text
    images = [n for n in meta.get("files", {}) if n.lower().endswith((".png", ".gif", ".jpg"))]
    assert card.read_text() == str(cards.make_card(presets._card_metadata(meta), images=images))
