"""zoo.runs.train's snapshots (a longer run's model at an earlier step, as a preset) and its finer KL
trace; the population_long grid that uses both; the population scorer finding the snapshots."""

import json

import numpy as np
import pytest

import zoo
import zoo.runs
from benchmarks.papers import _population_score
from zoo import study
from zoo.runs.folder import snapshot_folder, snapshots_of


def _settings(steps):
    return {"model": "beta_vae", "dataset": "tiny", "batch_size": 8, "latent_dim": 3, "steps": steps, "seed": 2,
            "hparams": {"beta": 4.0}, "deterministic": True}


def _weights(preset):
    return [w.copy() for w in zoo.load(str(preset)).get_weights()]


def test_a_snapshot_is_the_model_a_run_of_that_many_steps_ends_with(tmp_path):
    long = zoo.runs.train(_settings(6), tmp_path / "long", progress=False, checkpoint_every=4, snapshot_steps=(3,),
                          kl_trace_every=2)
    short = zoo.runs.train(_settings(3), tmp_path / "short", progress=False, checkpoint_every=4)
    [(step, folder)] = snapshots_of(long)
    assert step == 3 and folder == snapshot_folder(long, 3) == long / "snapshots" / "step3"
    metadata = json.loads((folder / "preset" / "metadata.json").read_text())
    assert metadata["training"]["steps"] == 3 and metadata["training"]["seed"] == 2
    for a, b in zip(_weights(folder / "preset"), _weights(short / "preset")):
        np.testing.assert_array_equal(a, b)
    # The run itself ends at 6 as it would without the snapshot.
    assert json.loads((long / "preset" / "metadata.json").read_text())["training"]["steps"] == 6
    # The trace: every 2 steps, and at each segment's end (the snapshot at 3, the checkpoint at 4, the end).
    assert json.loads((long / "kl_trace.json").read_text())["steps"] == [0, 2, 3, 4, 6]
    assert json.loads((short / "kl_trace.json").read_text())["steps"] == [0, 3]


def test_a_run_started_from_a_dict_without_hyperparameters_resumes(tmp_path):
    """run.json records the defaults the model trained with, so the same dict resumes the run."""
    settings = {k: v for k, v in _settings(4).items() if k != "hparams"}
    run = zoo.runs.train({**settings, "steps": 2}, tmp_path / "run", progress=False, write_preset=False,
                         checkpoint_every=2)
    assert json.loads((run / "run.json").read_text())["hparams"] == {"beta": 4.0}  # beta-VAE's default
    zoo.runs.train(settings, run, progress=False, write_preset=False, checkpoint_every=2)  # resumes at 2
    with pytest.raises(zoo.runs.RunSettingsError, match="beta_vae has no hyperparameter 'gamma'"):
        zoo.runs.train({**settings, "hparams": {"gamma": 1.0}}, tmp_path / "other", progress=False)
    assert not (tmp_path / "other").exists()


def test_a_run_resumed_past_its_snapshot_keeps_it(tmp_path):
    run = tmp_path / "run"
    zoo.runs.train(_settings(4), run, progress=False, write_preset=False, checkpoint_every=2, snapshot_steps=(1,))
    before = (snapshot_folder(run, 1) / "preset" / "model.weights.h5").read_bytes()
    zoo.runs.train(_settings(4), run, progress=False, checkpoint_every=2, snapshot_steps=(1,))  # resumes at 4
    assert (snapshot_folder(run, 1) / "preset" / "model.weights.h5").read_bytes() == before


@pytest.mark.parametrize("options, message", [
    ({"snapshot_steps": (6,)}, "between 1 and --steps - 1"),
    ({"snapshot_steps": (0,)}, "between 1 and --steps - 1"),
    ({"kl_trace_every": 0}, "--kl_trace_every must be at least 1"),
])
def test_bad_snapshot_or_trace_options_are_refused_before_anything_is_written(tmp_path, options, message):
    with pytest.raises(zoo.runs.RunSettingsError, match=message):
        zoo.runs.train(_settings(6), tmp_path / "run", progress=False, **options)
    assert not (tmp_path / "run").exists()


def test_population_long_grid():
    jobs = study.jobs("population_long")
    middle = {(j["model"], json.dumps(j["hparams"], sort_keys=True)) for j in study.jobs("population") if j["seed"] == 1}
    longer = [j for j in jobs if "ramp" not in j["name"]]
    # Every middle setting of the population, with its very hyperparameters, at seeds 3, 4 and 5.
    assert {(j["model"], json.dumps(j["hparams"], sort_keys=True)) for j in longer} == middle
    assert sorted(j["seed"] for j in longer) == sorted([3, 4, 5] * len(middle))
    ramps = [j for j in jobs if "ramp" in j["name"]]
    assert [j["hparams"]["iteration_threshold"] for j in ramps] == [30000, 30000] and [j["seed"] for j in ramps] == [0, 1]
    assert all(j["snapshot_steps"] == (10000,) and j["kl_trace_every"] == 100 for j in jobs)
    assert len({j["name"] for j in jobs}) == len(jobs) == 20
    assert study.default_steps("population_long") == 30000


def test_the_scorer_finds_snapshots_of_finished_and_unfinished_runs(tmp_path):
    def fake(path):
        (path / "preset").mkdir(parents=True)
        (path / "preset" / "metadata.json").write_text("{}")

    fake(tmp_path / "a")
    fake(snapshot_folder(tmp_path / "a", 10))
    fake(snapshot_folder(tmp_path / "b", 10))  # b still training: its snapshot counts already
    (snapshot_folder(tmp_path / "b", 20) / "preset").mkdir(parents=True)  # a snapshot write killed half-way
    found = _population_score.scorable(tmp_path)
    assert found == [("a", tmp_path / "a", None), ("a@10", snapshot_folder(tmp_path / "a", 10), 10),
                     ("b@10", snapshot_folder(tmp_path / "b", 10), 10)]


def test_the_snapshot_flag_takes_step_numbers_inside_the_run():
    from recipes import _flags

    assert _flags.parse_snapshot_steps(["10000", "20000"], 30000) == (10000, 20000)
    assert _flags.parse_snapshot_steps([], 30000) == ()
    with pytest.raises(_flags.UsageError, match="takes step numbers such as 10000,20000; got '10k'"):
        _flags.parse_snapshot_steps(["10k"], 30000)
    with pytest.raises(_flags.UsageError, match="--snapshot_steps=30000 is not between 1 and --steps - 1"):
        _flags.parse_snapshot_steps(["30000"], 30000)
