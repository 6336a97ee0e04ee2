"""A training run that cannot start fails before it writes anything: every flag, the dataset options,
the model's hyperparameters and the strategy are checked first, so the corrected command is never
refused as "a different run"; and a NaN in a run's settings still equals itself."""

import json
import math

import pytest
from zoo_testing import run_main


def _main(recipe, argv, capsys):
    """Runs a recipe's `main` in this process with `argv`; returns (exit code, stderr)."""
    code = run_main(recipe, argv)
    return code, capsys.readouterr().err


def _train(out, *extra):
    return ["--model=beta_vae", "--dataset=tiny", "--batch_size=4", "--latent_dim=2", "--steps=2",
            "--checkpoint_every=2", "--noprogress", "--nopreset", f"--out={out}", *extra]


@pytest.mark.parametrize("bad, message", [
    ("--latent_dim=0", "--latent_dim must be at least 1; got 0"),
    ("--seed=-1", "--seed must be a non-negative integer; got -1"),
    ("--keep_checkpoints=0", "--keep_checkpoints must be at least 1; got 0"),
    ("--dataset_options=bogus=1", "--dataset_options=bogus=1 does not fit dataset 'tiny'"),
    # Hyperparameters are checked against their declared range (zoo.models.HParam.check) as the
    # flags are resolved: NaN, inf and negative weights alike.
    ("--beta=nan", "beta_vae: beta must be a finite number in [0, inf); got nan"),
    ("--beta=-1", "beta_vae: beta must be a finite number in [0, inf); got -1.0"),
    ("--learning_rate=inf", "--learning_rate must be a positive finite number; got inf"),
])
def test_a_bad_start_writes_nothing_and_the_corrected_command_runs(tmp_path, capsys, bad, message):
    from recipes import train

    out = tmp_path / "run"
    code, err = _main(train, _train(out, bad), capsys)
    assert code == 2, err
    assert message in err and "Traceback" not in err, err
    assert not (out / "run.json").exists() and not (out.exists() and any(out.iterdir())), \
        sorted(p.name for p in out.iterdir())
    code, err = _main(train, _train(out), capsys)  # the corrected command
    assert code == 0, err
    assert json.loads((out / "run.json").read_text())["steps"] == 2


@pytest.mark.parametrize("args, message", [
    # Both trained the source's vae with its 10 latents without a word.
    (["--model=beta_vae"], "--model=beta_vae differs from the pretrained model's model (vae)"),
    (["--latent_dim=5"], "--latent_dim=5 differs from the pretrained model's latent_dim (10)"),
    (["--dataset=tiny"], "--dataset=tiny has 16x16 images, but vae-dsprites was trained on 64x64 images"),
    (["--out={file}"], "is a file, not a folder"),
])
def test_finetune_refuses_what_the_source_fixes(tmp_path, capsys, args, message):
    """In this process (each case in a process of its own cost 9 s of TensorFlow's import); the recipes'
    real-process refusals (absl's exit code 2, no traceback) are tests/test_recipes_flags.py's."""
    from recipes import finetune

    (tmp_path / "file").write_text("x")
    out = [] if any(a.startswith("--out") for a in args) else [f"--out={tmp_path / 'o'}"]
    code, err = _main(finetune, ["--from=vae-dsprites", "--steps=2", "--noprogress",
                                 *([] if any(a.startswith("--dataset") for a in args) else ["--dataset=color_dsprites"]),
                                 *out, *[a.format(file=tmp_path / "file") for a in args]], capsys)
    assert code == 2 and err.startswith("error: ") and message in err and "Traceback" not in err, err
    assert not (tmp_path / "o").exists()


def test_an_unknown_strategy_leaves_no_run_behind(tmp_path):
    """`zoo.runs.train` itself checks the settings (and builds the strategy, the data and the model)
    before run.json, which would otherwise pin the folder to a run that never trained."""
    import zoo.runs

    settings = zoo.runs.RunSettings(model="beta_vae", dataset="tiny", batch_size=4, latent_dim=2, steps=2,
                                    hparams={"beta": 1.0}, strategy="no_such_strategy")
    with pytest.raises(ValueError, match="unknown --strategy='no_such_strategy'"):
        zoo.runs.train(settings, tmp_path / "run", progress=False, write_preset=False)
    assert not (tmp_path / "run" / "run.json").exists()


def test_nan_in_the_settings_equals_itself(tmp_path):
    """NaN != NaN in Python: the identity check compares the values as run.json writes them."""
    import zoo.runs

    settings = zoo.runs.RunSettings(model="beta_vae", dataset="tiny", hparams={"beta": math.nan})
    out = tmp_path / "run"
    out.mkdir()
    (out / "run.json").write_text(json.dumps(settings.to_json(), allow_nan=True))
    assert zoo.runs.check_run_folder(out, settings, resume=True) is True
    other = settings.replace(hparams={"beta": 4.0})
    with pytest.raises(ValueError, match=r"beta.: nan} there, \{.beta.: 4.0} now"):
        zoo.runs.check_run_folder(out, other, resume=True)


def test_a_run_from_before_an_option_was_added_resumes(tmp_path):
    """A run.json written before InfoGAN's `translation` existed lacks it; the option was off then,
    so today's command (translation 0, the default) resumes the run. A recorded value that differs,
    or the option turned on now, is still a different run; a missing option whose old behaviour
    is not today's default reads as its LEGACY_HPARAMS value."""
    import zoo.runs
    from zoo.runs.settings import recorded_hparams, resolve_hparams

    hparams = resolve_hparams("infogan", {"num_categorical": 3, "gan_loss": "wgan_gp", "n_critic": 2})
    settings = zoo.runs.RunSettings(model="infogan", dataset="tiny", hparams=hparams)
    old = settings.to_json()
    old["hparams"] = {k: v for k, v in old["hparams"].items() if k != "translation"}
    out = tmp_path / "run"
    out.mkdir()
    (out / "run.json").write_text(json.dumps(old))
    assert zoo.runs.check_run_folder(out, settings, resume=True) is True
    turned_on = r"holds a different run \(hparams: .*'translation': 0.0.*'translation': 0.125"
    with pytest.raises(ValueError, match=turned_on):
        zoo.runs.check_run_folder(out, settings.replace(hparams={**hparams, "translation": 0.125}), resume=True)
    with pytest.raises(ValueError, match="holds a different run"):
        zoo.runs.check_run_folder(out, settings.replace(hparams={**hparams, "n_critic": 5}), resume=True)
    legacy = recorded_hparams("infogan", {"num_categorical": 3})
    assert (legacy["network"], legacy["lambda_continuous"], legacy["translation"]) == ("dcgan", 1.0, 0.0)
    assert recorded_hparams("no_such_model", {"a": 1}) == {"a": 1}


def test_run_settings_check_names_every_bad_field():
    import zoo.runs

    good = zoo.runs.RunSettings(hparams={"beta": 1.0})
    good.check()
    for changes, message in [({"batch_size": 0}, "--batch_size must be at least 1; got 0"),
                             ({"steps": -3}, "--steps must be at least 1; got -3"),
                             ({"seed": 1.5}, "--seed must be a non-negative integer; got 1.5"),
                             ({"hparams": {"beta": math.inf}}, "hyperparameter beta must be a finite number; got inf"),
                             ({"learning_rate": -1e-4}, "--learning_rate must be a positive finite number"),
                             ({"strategy": "nope"}, "unknown --strategy='nope'")]:
        with pytest.raises(ValueError, match=message.replace("(", r"\(").replace("+", r"\+")):
            good.replace(**changes).check()


def test_a_garbled_kl_trace_is_a_clean_error_on_resume(tmp_path, capsys):
    """It raised json's JSONDecodeError with a traceback (issue 32)."""
    from recipes import train

    out = tmp_path / "run"
    code, err = _main(train, _train(out), capsys)
    assert code == 0, err
    (out / "kl_trace.json").write_text('{"steps": [0, 2], "kl_per')
    code, err = _main(train, _train(out, "--steps=4"), capsys)
    assert code == 2 and "kl_trace.json is damaged" in err and "delete it" in err and "Traceback" not in err, err
    (out / "kl_trace.json").unlink()
    code, err = _main(train, _train(out, "--steps=4"), capsys)  # the fix the message gives
    assert code == 0, err


@pytest.mark.slow  # a real process (make test-slow)
def test_help_shows_common_flags_first_and_each_objective_in_its_group():
    """`recipes.train --help` listed 52 flags alphabetically, 27 of them InfoGAN-only, with a debug
    flag among them (issue 35): the common flags come first, then one titled group per objective
    with its hyperparameters; the debug flag is only in --helpfull."""
    import subprocess
    import sys
    from pathlib import Path

    import zoo.models

    def run(flag):
        return subprocess.run([sys.executable, "-m", "recipes.train", flag], cwd=Path(__file__).resolve().parents[1],
                              capture_output=True, text=True, timeout=300).stdout

    text = run("--help")
    common = text.index("\ncommon flags:\n")
    groups = [text.index(f"\n{name} hyperparameters (or --hparams=name=value,...):\n") for name in zoo.models.names()
              if zoo.models.hparams(name)]
    assert common < min(groups) and groups == sorted(groups)
    first_group = text[common:min(groups)]
    assert "--model:" in first_group and "--out:" in first_group and "--steps:" in first_group
    assert "--filters" not in first_group and "--beta:" not in first_group  # objectives' flags are in their groups
    infogan = text[text.index("\ninfogan hyperparameters"):]
    assert "--filters:" in infogan
    assert "debug_kill_at_step" not in text and "debug_kill_at_step" in run("--helpfull")
