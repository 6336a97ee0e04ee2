"""What the recipes share besides flags: quiet TensorFlow, error exits, the score table."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from absl import app, logging


class UsageError(ValueError):
    """A bad flag, found before any work is done."""


def start(argv) -> None:
    """Refuses stray arguments and quiets TensorFlow's start-up logging (before it is imported)."""
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    logging.set_verbosity(logging.WARNING)


def run_app(main, module: str, help_sections=None) -> None:
    """`app.run(main)` for a recipe started as a console script (`zoo-train`, ...) or with `python -m`.

    absl's `--help` lists the key flags of the module that `sys.argv[0]` names: the recipe's file
    under `python -m`, but the script itself under a console script, whose module (`module`,
    `zoo.recipes.train`) owns the flags; they are declared key flags of the script too.

    `help_sections`, `[(title, [flag names])]`, replaces that one alphabetical list under `--help`
    (`-h`, `--helpshort`) by titled groups in order (the common flags first, then each objective's);
    flags in no section are left out there and stay in `--helpfull`.
    """
    from absl import flags

    if module != "__main__":
        for flag in flags.FLAGS.get_key_flags_for_module(module):
            flags.FLAGS.register_key_flag_for_module(sys.argv[0], flag)
    if help_sections is None:
        app.run(main)
        return

    def parse(argv):
        if any(arg in _HELP_ARGS for arg in argv[1:]):
            print(_grouped_help(help_sections))
            print("\nTry --helpfull to get a list of all flags.")
            sys.exit(1)  # as absl's --help
        return app.parse_flags_with_usage(argv)

    app.run(main, flags_parser=parse)


_HELP_ARGS = ("--help", "-help", "-h", "-?", "--helpshort", "-helpshort")


def _grouped_help(sections) -> str:
    """The main module's docstring and the flags of each section under its title, in absl's format
    (each section's flags are registered as the key flags of a pseudo-module named by its title)."""
    from absl import flags

    doc = (sys.modules["__main__"].__doc__ or "").rstrip()
    parts = [doc, "\nflags:"]
    for title, names in sections:
        for name in names:
            flags.FLAGS.register_key_flag_for_module(title, flags.FLAGS[name])
        parts.append(flags.FLAGS.module_help(title))
    return "\n".join(parts)


def fail(error, code: int = 2) -> int:
    """Prints `error: <message>` to stderr; returns the exit code."""
    print(f"error: {error}", file=sys.stderr)
    return code


def check_output_file(path, flag: str) -> Path:
    """Refuses, before any work, an output file that could not be written: a folder, a path under a
    file, or a folder without write permission. Returns the path."""
    path = Path(path)
    if path.is_dir():
        raise UsageError(f"{flag}={path} is a folder; name a file (e.g. {path / 'scores.json'}).")
    _check_writable_parent(path, flag)
    if path.exists() and not os.access(path, os.W_OK):
        raise UsageError(f"{flag}={path} cannot be written (no permission); choose another path.")
    return path


def check_output_folder(path, flag: str) -> Path:
    """Refuses, before any work, an output folder that could not be made or written: a file, a path
    under a file, or a folder without write permission. Returns the path."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise UsageError(f"{flag}={path} is a file, not a folder; choose another {flag}.")
    if path.is_dir():
        if not os.access(path, os.W_OK | os.X_OK):
            raise UsageError(f"{flag}={path} cannot be written (no permission); choose another {flag}.")
        return path
    _check_writable_parent(path, flag)
    return path


def _check_writable_parent(path: Path, flag: str) -> None:
    """The nearest existing folder above `path` is a folder this process may write."""
    for parent in path.absolute().parents:
        if parent.exists():
            if not parent.is_dir():
                raise UsageError(f"{flag}={path} lies under {parent}, which is a file; choose another {flag}.")
            if not os.access(parent, os.W_OK | os.X_OK):
                raise UsageError(f"{flag}={path} cannot be created: {parent} is not writable; choose another {flag}.")
            return


def parse_options(text: str, flag: str) -> dict:
    """`k=v,...` as a dict of strings (`--dataset_options`)."""
    options = {}
    for item in filter(None, (s.strip() for s in (text or "").split(","))):
        if "=" not in item:
            raise UsageError(f"{flag} takes k=v pairs separated by commas; got {item!r}.")
        key, value = (s.strip() for s in item.split("=", 1))
        options[key] = value
    return options


def print_table(scores: dict, reference: dict | None = None, file=None) -> None:
    """Prints `metric | value [| card]` rows (timings last)."""
    file = file or sys.stdout
    keys = sorted(k for k in scores if not _is_timing(k)) + sorted(k for k in scores if _is_timing(k))
    width = max(len(k) for k in keys) if keys else 10
    head = f"{'metric':<{width}}  {'value':>10}" + ("  {:>10}".format("card") if reference else "")
    print(head, file=file)
    print("-" * len(head), file=file)
    for key in keys:
        line = f"{key:<{width}}  {_fmt(scores[key]):>10}"
        if reference:
            line += f"  {_fmt(reference.get(key)):>10}"
        print(line, file=file)


def _is_timing(key: str) -> bool:
    return key.endswith("seconds") or key.startswith("timing.")


def _fmt(value) -> str:
    if value is None:
        return "-"
    return f"{value:.4f}" if isinstance(value, float) else str(value)
