"""A zoo name over training seeds (issue 31) on a small fixture manifest of tiny models in tmp:
`zoo.seeds`, `zoo.load(name, seed=)` (default, explicit, missing, scores-only, failed), the served-seed
rule of docs/seeds_rule.md (odd and even counts, ties, the unshipped fallback), adding a seed only with
the name's recipe, the card's seed section, and the tables' mean ± sd and "met by k of n seeds"."""

from __future__ import annotations

import json

import numpy as np
import pytest

import zoo
from zoo import manifest, presets, registry, seed_rule
from zoo.runs.settings import optimizer_kind, recipe_differences, recipe_of, recipe_stages, stage_seeds

# Real processes, wheels, browsers or many small trainings: `make test-slow` (run by CI after `make test`).
pytestmark = pytest.mark.slow

NAME = "betavae-tiny"
ADAM = {"optimizer": {"name": "fused_adam", "learning_rate": 9.999999747378752e-05, "beta_1": 0.9, "beta_2": 0.999,
                      "epsilon": 1e-07}}
SETTINGS = {"metrics": ["mig"], "num_train": 100, "num_test": 50, "seed": 0, "dataset": "dsprites"}


def tiny_preset(directory, seed, mig, *, epsilon=1e-07, steps=3, name=NAME):
    """A 16x16 beta-VAE preset trained (nominally) at `seed` with the recipe above, scored `mig`."""
    import keras

    import zoo.models

    keras.utils.set_random_seed(seed)
    model = zoo.models.get("beta_vae", input_shape=(16, 16, 1), latent_dim=4, beta=4.0, seed=seed)
    optimizer = {"optimizer": {**ADAM["optimizer"], "epsilon": epsilon}}
    metadata = {"dataset": {"name": "dsprites", "source": "rendered", "observation_shape": [16, 16, 1]},
                "training": {"steps": steps, "batch_size": 8, "seed": seed, "optimizer": optimizer,
                             "hparams": {"beta": 4.0}, "latent_dim": 4}}
    return presets.save_preset(model, directory, objective="beta_vae", metadata=metadata,
                               scores={"mig.mig": mig, "beta_vae_score.eval_accuracy": 0.5 + mig},
                               score_settings=SETTINGS, name=name)


@pytest.fixture
def repo(tmp_path):
    """A repository holding one name with one seed (seed 0, MIG 0.3), as every entry is today."""
    folder = tiny_preset(tmp_path / "weights" / NAME, 0, 0.3)
    path = tmp_path / manifest.MANIFEST_NAME
    manifest.write_manifest({"schema_version": 1, "models": {
        NAME: manifest.entry_from_preset(folder, root=tmp_path)}}, path)
    return path


def _codes(model):
    return np.asarray(model.representation(np.full((2, 16, 16, 1), 0.5, np.float32)))


def _add(repo, seed, mig, **kw):
    run = tiny_preset(repo.parent / "runs" / f"seed{seed}" / "preset", seed, mig, **kw)
    return registry.add_to_zoo(run, NAME, seed=seed, manifest_path=repo)


def test_an_entry_of_today_is_one_seed_and_loads_as_before(repo):
    assert zoo.seeds(NAME, manifest_path=repo) == [0]
    card = (repo.parent / "weights" / NAME / "README.md").read_text()
    np.testing.assert_array_equal(_codes(zoo.load(NAME, manifest_path=repo)),
                                  _codes(zoo.load(NAME, seed=0, manifest_path=repo)))
    assert seed_rule.seed_spread(manifest.load_manifest(repo)["models"][NAME]) is None
    assert "Over training seeds" not in card


def test_the_first_seed_keeps_its_evaluation_seeds_and_the_card_shows_their_sd(tmp_path):
    """A new name added with `eval_scores` (recipes.evaluate --add_to_zoo scores the sampled scores at
    evaluation seeds 1 and 2) keeps them on its own entry; with a second seed the card's seed section
    shows the evaluation-seed sd, the mean over the seeds scored so, beside the training-seed sd."""
    import statistics

    key = "beta_vae_score.eval_accuracy"
    path = tmp_path / manifest.MANIFEST_NAME
    manifest.write_manifest(manifest.empty_manifest(), path)
    first = {"0": {key: 0.8}, "1": {key: 0.7}, "2": {key: 0.9}}  # sd 0.1
    registry.add_to_zoo(tiny_preset(tmp_path / "runs" / "seed0", 0, 0.3), NAME, eval_scores=first, manifest_path=path)
    assert manifest.load_manifest(path)["models"][NAME]["eval_scores"] == first
    second = {"0": {key: 0.6}, "1": {key: 0.6}, "2": {key: 0.9}}  # sd 0.1732
    registry.add_to_zoo(tiny_preset(tmp_path / "runs" / "seed1", 1, 0.5), NAME, seed=1, eval_scores=second,
                        manifest_path=path)
    entry = manifest.load_manifest(path)["models"][NAME]
    records = seed_rule.seed_records(entry)
    assert records[0]["eval_scores"] == first and records[1]["eval_scores"] == second  # whichever is served
    row = seed_rule.seed_spread(entry, NAME)["scores"][key]
    expected = statistics.fmean([statistics.stdev([0.8, 0.7, 0.9]), statistics.stdev([0.6, 0.6, 0.9])])
    assert row["eval_sd"] == pytest.approx(expected) and row["eval_sd_seeds"] == 2
    card = (tmp_path / "weights" / NAME / "README.md").read_text()
    assert "evaluation-seed sd" in card and f"{expected:.4f} (2 training seeds)" in card


def test_eval_seeds_are_recorded_for_a_seed_already_in_the_zoo(repo):
    """`record_eval_seeds` scores an added seed's sampled scores at evaluation seeds 1 and 2 with its
    recorded sizes: the first value is the recorded score, the others the metric at those seeds."""
    import zoo.data

    data = zoo.data.load("tiny")
    with pytest.raises(seed_rule.UnknownSeedError, match="no shipped training seed 5"):
        registry.record_eval_seeds(NAME, data, 5, manifest_path=repo)
    _add(repo, 1, 0.5)
    key = "beta_vae_score.eval_accuracy"
    entry = manifest.load_manifest(repo)["models"][NAME]
    settings = {**SETTINGS, "metrics": ["mig", "beta_vae_score"]}
    for record in entry["seeds"].values():  # as if scored with the sampled score (the fixture's MIG-only)
        record["score_settings"] = settings
    entry["score_settings"] = settings
    manifest.write_manifest(manifest.load_manifest(repo) | {"models": {NAME: entry}}, repo)
    other = next(s for s in zoo.seeds(NAME, manifest_path=repo) if s != entry["training"]["seed"])
    recorded = registry.record_eval_seeds(NAME, data, other, manifest_path=repo)
    assert sorted(recorded) == ["0", "1", "2"]
    record = seed_rule.seed_records(manifest.load_manifest(repo)["models"][NAME])[other]
    assert record["eval_scores"] == recorded and recorded["0"][key] == record["scores"][key]
    again = zoo.metrics.evaluate(zoo.load(NAME, seed=other, manifest_path=repo).representation, data,
                                 metrics=["beta_vae_score"], seed=1, num_train=100, num_test=50)
    assert recorded["1"][key] == pytest.approx(again[key])


def test_eval_seeds_keep_a_seed_added_while_they_were_scored(repo, monkeypatch):
    """`record_eval_seeds` scores for half an hour; a seed that `tools/train_seeds.sh add` adds in the
    meantime (another process) must stay. Reading the manifest before scoring and writing that copy
    back afterwards lost it: it is read again under `manifest.locked` once the scores are in."""
    recorded = {"0": {"mig.mig": 0.3}, "1": {"mig.mig": 0.25}, "2": {"mig.mig": 0.35}}

    def scoring_while_a_seed_is_added(model, data, scores, settings, seeds):
        _add(repo, 1, 0.5)  # what the other process does, mid-scoring
        return recorded

    monkeypatch.setattr(registry.api, "load", lambda *args, **kwargs: None)
    monkeypatch.setattr(registry, "score_eval_seeds", scoring_while_a_seed_is_added)
    registry.record_eval_seeds(NAME, None, 0, manifest_path=repo)
    records = seed_rule.seed_records(manifest.load_manifest(repo)["models"][NAME])
    assert sorted(records) == [0, 1]
    assert records[0]["eval_scores"] == recorded and "eval_scores" not in records[1]


def test_seeds_load_by_number_and_the_rule_picks_the_served_one(repo):
    _add(repo, 1, 0.5)
    _add(repo, 2, 0.1)
    entry = manifest.load_manifest(repo)["models"][NAME]
    assert zoo.seeds(NAME, manifest_path=repo) == [0, 1, 2]
    assert entry["training"]["seed"] == 0  # MIG 0.1, 0.3, 0.5: the median is seed 0's
    _add(repo, 3, 0.2)  # 0.1, 0.2, 0.3, 0.5: the lower middle value, seed 3's
    data = manifest.load_manifest(repo)
    entry = data["models"][NAME]
    assert entry["training"]["seed"] == 3 and sorted(entry["seeds"]) == ["0", "1", "2"]
    assert entry["files"][0]["path"].startswith(f"weights/seeds/{NAME}/seed3/")
    served = _codes(zoo.load(NAME, manifest_path=repo))
    np.testing.assert_array_equal(served, _codes(zoo.load(NAME, seed=3, manifest_path=repo)))
    assert not np.array_equal(served, _codes(zoo.load(NAME, seed=1, manifest_path=repo)))
    # Every seed's files are pinned: a changed byte in a non-served seed is refused.
    weights = repo.parent / f"weights/seeds/{NAME}/seed1/model.weights.h5"
    weights.write_bytes(weights.read_bytes()[:-1] + bytes([weights.read_bytes()[-1] ^ 1]))
    with pytest.raises(manifest.IntegrityError):
        zoo.load(NAME, seed=1, manifest_path=repo)

    # The served seed's card carries the spread; the seed no longer served has no seed section.
    body, header = zoo.model_card(NAME, manifest_path=repo)
    assert "## Over training seeds" in body and "trained at 4 training seeds" in body
    assert "0.2750 ± 0.1708 (n=4)" in body  # MIG 0.3, 0.5, 0.1, 0.2: mean 0.275, sd 0.1708
    assert "| 0.1000 – 0.5000 | 0.2000 | 0.3000 | 0.5000 | 0.1000 | 0.2000 |" in body  # range, served, seeds 0..3
    assert "median" in body and "lowest seed" in body
    from zoo import cards

    assert cards.scores_from_card(repo.parent / f"weights/seeds/{NAME}/seed3/README.md")["mig.mig"] == 0.2
    assert "Over training seeds" not in (repo.parent / "weights" / NAME / "README.md").read_text()
    # The manifest's sha256s are the files' own after the card rewrites.
    for seed in (0, 2, 3):
        zoo.load(NAME, seed=seed, manifest_path=repo)


def test_a_missing_seed_names_the_seeds_there_are(repo):
    _add(repo, 1, 0.5)
    with pytest.raises(seed_rule.UnknownSeedError, match=r"no training seed 7; its seeds are 0, 1"):
        zoo.load(NAME, seed=7, manifest_path=repo)
    with pytest.raises(TypeError):
        zoo.load(NAME, seed="1", manifest_path=repo)


def test_a_seed_over_the_size_limit_is_recorded_by_scores_and_names_its_command(repo, monkeypatch):
    monkeypatch.setattr(seed_rule, "MAX_SHIPPED_WEIGHTS", 10)
    assert _add(repo, 1, 0.3) is None
    entry = manifest.load_manifest(repo)["models"][NAME]
    assert "files" not in entry["seeds"]["1"] and not (repo.parent / f"weights/seeds/{NAME}/seed1").exists()
    assert zoo.seeds(NAME, manifest_path=repo) == [0, 1]
    with pytest.raises(seed_rule.SeedNotShippedError,
                       match=rf"recipes.train --recipe_of={NAME} --seed=1 .*--out=runs/seeds/{NAME}/seed1"):
        zoo.load(NAME, seed=1, manifest_path=repo)
    assert "recorded by scores, config and training command alone" in zoo.model_card(NAME, manifest_path=repo)[0]


def test_a_failed_seed_is_counted_but_not_loadable(repo):
    registry.add_failed_seed(NAME, 5, "NaN loss at step 2", manifest_path=repo)
    assert zoo.seeds(NAME, manifest_path=repo) == [0]
    with pytest.raises(seed_rule.UnknownSeedError, match="trained but failed"):
        zoo.load(NAME, seed=5, manifest_path=repo)
    body = zoo.model_card(NAME, manifest_path=repo)[0]
    assert "trained at 2 training seeds" in body and "seed 5: failed" in body


def _records(migs, shipped=None):
    return {seed: {"status": "ok", "scores": {"mig.mig": mig},
                   "files": [{"path": "x"}] if shipped is None or seed in shipped else None}
            for seed, mig in migs.items()}


@pytest.mark.parametrize("migs, served", [
    ({0: 0.3, 1: 0.1, 2: 0.2}, 2),                  # odd: the median
    ({0: 0.4, 1: 0.1, 2: 0.3, 3: 0.2}, 3),          # even: the lower middle value
    ({0: 0.2, 1: 0.2, 2: 0.2, 3: 0.5}, 0),          # the median value held by three: the lowest seed
    ({4: 0.1, 2: 0.3, 1: 0.3}, 1),                   # ties at the median: the lowest seed
    ({0: 0.5}, 0),
])
def test_the_rule_of_docs_seeds_rule(migs, served):
    assert seed_rule.choose_served(_records(migs), "mig.mig") == served


def test_the_rule_passes_over_an_unshipped_seed_and_a_failed_one():
    records = _records({0: 0.1, 1: 0.3, 2: 0.5, 3: 0.35}, shipped={0, 2, 3})  # the median 0.3 is seed 1's
    assert seed_rule.choose_served(records, "mig.mig") == 3  # the shipped one closest to 0.3
    records = _records({0: 0.1, 1: 0.2, 2: 0.3})
    records[1] = {"status": "failed"}
    assert seed_rule.choose_served(records, "mig.mig") == 0  # 0.1, 0.3: the lower middle
    with pytest.raises(manifest.ManifestError, match="none of the seeds"):
        seed_rule.choose_served(_records({0: 0.1}, shipped=set()), "mig.mig")
    assert seed_rule.rule_score({"dataset": {"name": "mnist"}}) == "infogan_codes.train_cluster_accuracy"


def test_a_run_of_another_recipe_is_refused_with_the_differences(repo):
    before = repo.read_bytes()
    run = tiny_preset(repo.parent / "runs" / "eps", 1, 0.4, epsilon=1e-08, steps=4)
    with pytest.raises(registry.RecipeMismatchError) as e:
        registry.add_to_zoo(run, NAME, seed=1, manifest_path=repo)
    assert "optimizer.epsilon: 1e-07 recorded, 1e-08 here" in str(e.value)
    assert "steps: 3 recorded, 4 here" in str(e.value)
    assert repo.read_bytes() == before and not (repo.parent / "weights" / "seeds").exists()
    with pytest.raises(ValueError, match="has training seed 0 already"):
        registry.add_to_zoo(tiny_preset(repo.parent / "runs" / "again", 0, 0.4), NAME, seed=0, manifest_path=repo)
    with pytest.raises(ValueError, match="trained at seed 2, not 1"):
        registry.add_to_zoo(tiny_preset(repo.parent / "runs" / "two", 2, 0.4), NAME, seed=1, manifest_path=repo)
    # A name with several seeds is not replaced whole by a plain add (its seeds would be lost).
    _add(repo, 2, 0.4)
    with pytest.raises(ValueError, match="has 2 training seeds"):
        registry.add_to_zoo(tiny_preset(repo.parent / "runs" / "plain", 0, 0.4), NAME, manifest_path=repo)


def test_recipe_of_a_shipped_preset_reproduces_its_optimizers_and_chain():
    import keras

    import zoo.models
    from zoo.runs.training import recorded_optimizers

    data = manifest.load_manifest()["models"]
    factor = recipe_of(data["factorvae-dsprites"])
    (run,) = recipe_stages(factor, 1)
    assert (run.seed, run.steps, run.batch_size, run.hparams["gamma"]) == (1, 30000, 64, 40.0)
    model = zoo.models.get("factor_vae", input_shape=(16, 16, 1), latent_dim=2)
    made = recorded_optimizers(model, run.optimizer)
    assert type(made["optimizer"]) is keras.optimizers.Adam  # Keras's own, as the preset was trained
    assert made["optimizer"].epsilon == 1e-07 and made["discriminator_optimizer"].beta_1 == 0.5
    assert made["discriminator_optimizer"].beta_2 == 0.9
    assert recipe_differences(factor, recipe_of(data["factorvae-dsprites"])) == []
    beta = recipe_of(data["betavae-dsprites"])
    assert [s["steps"] for s in beta["stages"]] == [30000] * 3 and stage_seeds(beta, 1) == [201, 101, 1]
    assert [r.optimizer["optimizer"]["epsilon"] for r in recipe_stages(beta, 0)] == [1e-07] * 3
    assert recipe_of(data["infogan-mnist"])["stages"][0]["optimizer"]["optimizer"]["epsilon"] == 1e-08


def test_tables_show_mean_sd_and_met_by_k_of_n():
    from benchmarks.papers import zoo_scores

    entry = json.loads(json.dumps(manifest.load_manifest()["models"]["betavae-dsprites"]))
    other = {k: entry[k] for k in ("config", "training", "scores", "score_settings")}
    low = {**other, "training": {**other["training"], "seed": 0},
           "scores": {**other["scores"], "mig.mig": 0.05, "beta_vae_score.eval_accuracy": 0.70}}
    entry["seeds"] = {"0": low, "1": {**other, "training": {**other["training"], "seed": 1}}}
    rows = zoo_scores.rows({"models": {"betavae-dsprites": entry}})
    mig = entry["scores"]["mig.mig"]
    values = [0.05, mig, mig]
    assert zoo_scores.cell(rows[0], "mig.mig") == f"{np.mean(values):.3f} ± {np.std(values, ddof=1):.3f}"
    text = zoo_scores.tables_markdown(rows, zoo_scores.target_checks(rows))
    assert "met by 2 of 3 seeds" in text


def test_a_recipe_trains_to_a_run_that_matches_it(tmp_path):
    """A two-run chain with a recorded Keras Adam at epsilon 1e-7 on the tiny data (2 steps each) gives a
    preset whose recipe equals the one asked for, so `add_seed` accepts it; seeds per run as documented."""
    import zoo.runs
    from zoo.runs.training import chain_folders

    stage = {"steps": 2, "batch_size": 4, "optimizer": {"optimizer": {
        "name": "adam", "learning_rate": 9.999999747378752e-05, "beta_1": 0.8, "beta_2": 0.999, "epsilon": 1e-07}}}
    recipe = {"objective": "beta_vae", "latent_dim": 3, "hparams": zoo.runs.resolve_hparams("beta_vae", {"beta": 2.0}),
              "dataset": {"name": "tiny", "source": "rendered", "observation_shape": [16, 16, 1]},
              "stages": [stage, {**stage, "steps": 3}]}
    out = tmp_path / "seed5"
    zoo.runs.train_chain(recipe_stages(recipe, 5), out, progress=False, preset_name="tiny-chain")
    meta = presets.read_metadata(out / "preset")
    assert meta["training"]["seed"] == 5 and meta["training"]["init_from_training"]["seed"] == 105
    assert meta["training"]["optimizer"]["optimizer"]["epsilon"] == 1e-07
    assert optimizer_kind(meta["training"]["optimizer"]["optimizer"]["name"]) == "adam"  # Keras's, not fused
    assert recipe_differences(recipe, recipe_of(meta)) == []
    assert chain_folders(out, 2)[0].name == "seed5.run1"
    # Rerunning skips the finished runs (nothing is trained or rewritten).
    before = (out / "preset" / "metadata.json").read_bytes()
    zoo.runs.train_chain(recipe_stages(recipe, 5), out, progress=False, preset_name="tiny-chain")
    assert (out / "preset" / "metadata.json").read_bytes() == before


def test_evaluate_adds_a_seed_and_refuses_a_run_of_another_recipe(tmp_path):
    """`recipes.evaluate --add_to_zoo=NAME --as_seed`, end to end on tiny runs: a run of the name's recipe
    is scored and added as its seed; one with another beta is refused before scoring, naming it."""
    import os
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    import zoo.data
    import zoo.runs

    path = tmp_path / "repo" / manifest.MANIFEST_NAME
    path.parent.mkdir()
    manifest.write_manifest(manifest.empty_manifest(), path)
    base = {"model": "beta_vae", "dataset": "tiny", "batch_size": 8, "latent_dim": 3, "steps": 2}
    runs = {label: zoo.runs.train({**base, "seed": seed, "hparams": {"beta": 1.0}}, tmp_path / label,
                                  progress=False, checkpoint_every=2) for label, seed in (("s0", 0), ("s1", 1))}
    # A run of another beta: the record is what the check reads (training it would only cost time).
    runs["other"] = tmp_path / "other"
    shutil.copytree(runs["s1"], runs["other"])
    meta = json.loads((runs["other"] / "preset" / "metadata.json").read_text())
    meta["training"]["hparams"]["beta"] = 2.0
    (runs["other"] / "preset" / "metadata.json").write_text(json.dumps(meta))
    preset = runs["s0"] / "preset"
    scores, settings = registry.score(presets.load_preset(preset), zoo.data.load("tiny"), metrics="mig",
                                      num_train=100, num_test=50)
    registry.rescore(preset, scores, settings)
    registry.add_to_zoo(preset, "betavae-tiny", manifest_path=path)

    def evaluate(run, *extra):
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": "", "ZOO_MANIFEST": str(path)}
        return subprocess.run([sys.executable, "-m", "recipes.evaluate", f"--model={run}", "--metrics=mig",
                               "--num_train=100", "--num_test=50", "--add_to_zoo=betavae-tiny", "--as_seed", *extra],
                              cwd=Path(__file__).resolve().parents[1], env=env, capture_output=True, text=True,
                              timeout=300)

    bad = evaluate(runs["s1"], "--eval_seeds=1,0", f"--json={tmp_path / 'bad.json'}")
    assert bad.returncode == 2 and "differ from --seed=0" in bad.stderr, bad.stderr[-2000:]
    refused = evaluate(runs["other"], f"--json={tmp_path / 'other.json'}")
    assert refused.returncode == 2 and "hparams.beta: 1.0 recorded, 2.0 here" in refused.stderr, refused.stderr[-2000:]
    assert not (tmp_path / "other.json").exists()  # refused before scoring
    # One sampled score beside the name's MIG: it is also scored at evaluation seeds 1 and 2 (the default).
    added = evaluate(runs["s1"], "--metrics=mig,factor_vae_score", f"--json={tmp_path / 's1.json'}")
    assert added.returncode == 0, added.stderr[-3000:]
    assert zoo.seeds("betavae-tiny", manifest_path=path) == [0, 1]
    zoo.load("betavae-tiny", seed=1, manifest_path=path)
    record = seed_rule.seed_records(manifest.load_manifest(path)["models"]["betavae-tiny"])[1]
    key = "factor_vae_score.eval_accuracy"
    assert sorted(record["eval_scores"]) == ["0", "1", "2"]
    assert record["eval_scores"]["0"][key] == record["scores"][key]  # the scoring's own seed, not scored twice
    assert all(set(e) == {k for k in record["scores"] if k.startswith("factor_vae_score.")}
               for e in record["eval_scores"].values())
    # The other seeds are the metric at those seeds, at the scoring's sizes.
    again = zoo.metrics.evaluate(zoo.load("betavae-tiny", seed=1, manifest_path=path).representation,
                                 zoo.data.load("tiny"), metrics=["factor_vae_score"], seed=2, num_train=100,
                                 num_test=50)
    assert record["eval_scores"]["2"][key] == pytest.approx(again[key])


def test_infogan_mnist_seeds_are_counted_against_its_bar():
    entry = {"dataset": {"name": "mnist"}, "training": {"seed": 2},
             "scores": {"infogan_codes.cluster_accuracy": 0.95}, "files": [{"path": "w/x/config.json"}],
             "seeds": {str(seed): {"training": {"seed": seed}, "scores": {"infogan_codes.cluster_accuracy": acc},
                                   "command": "python -m recipes.train ..."}
                       for seed, acc in ((0, 0.76), (1, 0.91), (3, 0.88))}}
    spread = seed_rule.seed_spread(entry, "infogan-mnist")
    row = spread["scores"]["infogan_codes.cluster_accuracy"]
    assert (row["min"], row["max"], row["met_by"], row["n"]) == (0.76, 0.95, 2, 4)
    assert spread["scores_only"] == [0, 1, 3] and spread["rule_score"] == "infogan_codes.train_cluster_accuracy"
    assert "on the model's training digits" in spread["rule"]
    from zoo import cards

    text = "\n".join(cards._seed_section(spread))
    assert ">= 0.9: met by 2 of 4 seeds" in text and "0.7600 – 0.9500" in text


def test_infogan_mnist_code_rule_is_applied_to_every_seed():
    # docs/seeds_rule.md: slant |rho_s| >= 0.7; width |rho_w| >= 0.7 and |rho_s| < 0.5.
    def codes(c2, c3):
        return {"infogan_codes.cluster_accuracy": 0.9, "infogan_codes.c2.slant_rho": c2[0],
                "infogan_codes.c2.width_rho": c2[1], "infogan_codes.c3.slant_rho": c3[0],
                "infogan_codes.c3.width_rho": c3[1]}

    shipped = codes((0.998, 0.891), (-0.900, 0.550))  # the shipped seed's values: c2 slants (and widens), no width code
    entry = {"dataset": {"name": "mnist"}, "training": {"seed": 2}, "scores": shipped,
             "files": [{"path": "w/x/config.json"}],
             "seeds": {"0": {"training": {"seed": 0}, "scores": codes((0.2, 0.8), (-0.75, 0.1))},
                       "1": {"training": {"seed": 1}, "scores": codes((0.1, 0.69), (0.70, 0.72))},
                       "3": {"training": {"seed": 3}, "scores": codes((0.49, 0.71), (0.71, 0.2))}}}
    roles = seed_rule.seed_spread(entry, "infogan-mnist")["code_roles"]
    assert {seed: (r["slant"], r["width"], r["both"]) for seed, r in roles.items()} == {
        "0": (["c3"], ["c2"], True),    # c3 slants, c2 widens
        "1": (["c3"], [], False),       # c2's width rho below 0.7; c3 slants too much to count as width
        "2": (["c2", "c3"], [], False),  # both slant; c2's width rho 0.89 comes with slant 0.998
        "3": (["c3"], ["c2"], True)}    # c2's slant 0.49 is under the 0.5 bound
    assert seed_rule.code_roles({"infogan_codes.cluster_accuracy": 0.9}) is None
    # A code's signed correlation is no score to average over seeds (its sign is arbitrary, and which code
    # slants differs between seeds): the mean ± sd rows keep the accuracy, the code table the correlations.
    assert list(seed_rule.seed_spread(entry, "infogan-mnist")["scores"]) == ["infogan_codes.cluster_accuracy"]
    from zoo import cards

    text = "\n".join(cards._seed_section(seed_rule.seed_spread(entry, "infogan-mnist")))
    assert "| 2 (served) | c2: +1.00, +0.89, c3: -0.90, +0.55 | c2, c3 | none | no |" in text
    assert "Slant and width each on a code of its own: 2 of 4 seeds." in text
    assert "|rho(code, slant)| < 0.5" in text
