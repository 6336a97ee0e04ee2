"""zoo.runs: run folders written before zoo.runs existed are read and resumed; settings round-trip.

The fixtures in tests/fixtures/runs_v1/ were written by the recipes of commit c118d2d (see its
README): a training run's run.json and KL trace, the variables of its checkpoint, a population
sweep job's run.json and a fine-tuning run's run.json.
"""

import json
from pathlib import Path

import pytest

import zoo.runs
from zoo import study
from zoo.files import write_json
from zoo.runs import RunSettings

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "runs_v1"


def _literal(name):
    return (FIXTURES / name).read_text()


@pytest.mark.parametrize("name", ["train_run.json", "sweep_population_run.json", "finetune_run.json"])
def test_old_run_json_reads_and_writes_back_byte_for_byte(tmp_path, name):
    settings = RunSettings.from_json(json.loads(_literal(name)))
    # run.json is written with sorted keys, as before: the same key set gives the same bytes.
    write_json(tmp_path / "run.json", settings.to_json(), sort_keys=True, allow_nan=True)
    assert (tmp_path / "run.json").read_text() == _literal(name)


def test_population_job_settings_are_the_ones_its_run_folder_holds(tmp_path):
    """A population job started by the old sweep resumes under the new one: same identity, same steps."""
    job = study.jobs("population")[0]
    assert job["name"] == "beta_vae-beta1-seed0"
    settings = zoo.runs.job_settings(job, study.default_steps("population"))
    assert settings.to_json() == json.loads(_literal("sweep_population_run.json"))
    run = tmp_path / job["name"]
    run.mkdir()
    (run / "run.json").write_text(_literal("sweep_population_run.json"))
    assert zoo.runs.check_run_folder(run, settings, resume=True) is True
    assert study.checkpoint_every(settings.steps) == 500  # 20 checkpoints, as the old sweep took


def test_finetune_settings_match_an_old_finetune_run():
    old = RunSettings.from_json(json.loads(_literal("finetune_run.json")))
    metadata = {"objective": "beta_vae", "config": {"latent_dim": 3, "beta": 4.0, "input_shape": [16, 16, 1]},
                "training": {**old.init_from_training, "versions": {"zoo": "0.1.0"}}}
    base = RunSettings(dataset="tiny", batch_size=8, seed=1, steps=3)
    assert zoo.runs.finetune_settings(base, old.init_from, metadata) == old


def test_unknown_run_json_field_is_named():
    with pytest.raises(ValueError, match="no field 'colour'"):
        RunSettings.from_json({"model": "beta_vae", "colour": 1})


def test_old_run_folder_resumes_with_the_same_checkpoint_layout(tmp_path, capsys):
    import tensorflow as tf

    run = tmp_path / "run"
    run.mkdir()
    (run / "run.json").write_text(_literal("train_run.json"))
    (run / "kl_trace.json").write_text(_literal("train_kl_trace.json"))
    settings = zoo.runs.read_settings(run)
    zoo.runs.train(settings, run, progress=False, write_preset=False, checkpoint_every=5)
    assert (run / "run.json").read_text() == _literal("train_run.json")
    layout = json.loads(_literal("checkpoint_keys.json"))
    assert [[n, s] for n, s in tf.train.list_variables(str(run / "checkpoints" / "ckpt-5"))] == layout["beta_vae"]

    zoo.runs.train(settings.replace(steps=10), run, progress=False, write_preset=False, checkpoint_every=5)
    assert f"Resuming {run} at step 5 of 10" in capsys.readouterr().out
    assert [step for step, _ in zoo.runs.checkpoints_of(run)] == [5, 10]
    trace = json.loads((run / "kl_trace.json").read_text())
    assert trace["steps"] == [0, 5, 10] and trace["image_seed"] == 7 and len(trace["kl_per_latent"][0]) == 3


def test_two_optimizer_checkpoint_layout_is_unchanged(tmp_path):
    import tensorflow as tf

    settings = RunSettings.from_json({**json.loads(_literal("train_run.json")), "model": "factor_vae",
                                      "hparams": zoo.runs.resolve_hparams("factor_vae", {})})
    zoo.runs.train(settings, tmp_path / "run", progress=False, write_preset=False, checkpoint_every=5)
    layout = json.loads(_literal("checkpoint_keys.json"))["factor_vae"]
    found = tf.train.list_variables(str(tmp_path / "run" / "checkpoints" / "ckpt-5"))
    assert [[n, s] for n, s in found] == layout


def test_resolve_hparams_fills_defaults_and_names_the_unknown():
    # lambda_d's default is None: the model takes the variant's (DIP-VAE-II: lambda_od).
    assert zoo.runs.resolve_hparams("dip_vae_ii", {"lambda_od": 5}) == {"variant": "ii", "lambda_od": 5.0,
                                                                         "lambda_d": None}
    with pytest.raises(ValueError, match="beta_vae has no hyperparameter 'gamma'; it takes beta"):
        zoo.runs.resolve_hparams("beta_vae", {"gamma": 1.0})
