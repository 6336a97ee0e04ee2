"""Imports run one way (README, Layout: "Layers"), recipes are thin and apart, benchmarks share one interface."""

import ast
import importlib
import inspect
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# What each part of the package may import from the package (README, Layout: "Layers"). Each part
# may import itself; models and metrics never import each other.
ALLOWED = {
    "files": set(), "names": set(), "study": set(), "noise": set(), "losses": {"noise"}, "augment": set(),
    "cards": set(),
    "data": {"files", "names"},
    "models": {"data", "losses", "augment", "noise", "names"},
    "metrics": {"data", "names"},
    "keras_registration": {"models"},
    "presets": {"files", "cards", "models", "keras_registration"},
    "manifest": {"files", "names", "presets"},
    "seed_rule": {"manifest"},
    "hub": {"files", "cards", "presets"},
    "api": {"files", "names", "cards", "keras_registration", "presets", "manifest", "seed_rule", "hub"},
    "visualize": {"files", "data"},
    "runs": {"files", "data", "losses", "models", "presets", "visualize"},
    "registry": {"files", "presets", "manifest", "seed_rule", "hub", "api", "metrics", "runs"},
    "__init__": {"api"},
}


# Rooms inside a part (README, Layout): what each may import from its own part besides itself. The
# InfoGAN family rests on the models' base and optimizers only (no other objective); DCI's boosting
# engines are leaves of the metrics, imported by `_dci` alone.
ROOMS = {
    "zoo.models.infogan": {"zoo.models.base", "zoo.models.optimizers"},
    "zoo.metrics._boosting": set(),
}
ROOM_USERS = {"zoo.metrics._boosting": {"zoo.metrics._dci"}}


def _imports(path: Path, module: str) -> set[str]:
    """Every module `path` imports, at the top or inside functions, relative imports resolved."""
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1] + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)
    return found


def _modules(top: str):
    for path in sorted((ROOT / top).rglob("*.py")):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        yield path, module.removesuffix(".__init__")


def test_package_imports_run_one_way():
    wrong = []
    for path, module in _modules("zoo"):
        part = module.split(".")[1] if "." in module else "__init__"
        for target in _imports(path, module):
            top, _, rest = target.partition(".")
            if top in ("recipes", "benchmarks", "tests"):
                wrong.append(f"{module} imports {target}")
            elif top == "zoo" and rest and rest.split(".")[0] not in ALLOWED[part] | {part}:
                wrong.append(f"{module} imports {target}")
    assert not wrong, "imports against the layers:\n" + "\n".join(wrong)


def test_rooms_import_only_what_their_table_allows():
    wrong = []
    for path, module in _modules("zoo"):
        part = ".".join(module.split(".")[:2])
        for target in _imports(path, module):
            if not target.startswith(part + "."):
                continue
            for room, allowed in ROOMS.items():
                inside, to_room = f"{module}.".startswith(room + "."), f"{target}.".startswith(room + ".")
                if inside and not to_room and not any(f"{target}.".startswith(a + ".") for a in allowed):
                    wrong.append(f"{module} imports {target} (the room {room} may import {sorted(allowed)})")
                if to_room and not inside and room in ROOM_USERS and module not in ROOM_USERS[room] \
                        and module != part:
                    wrong.append(f"{module} imports {target} (only {sorted(ROOM_USERS[room])} use {room})")
    assert not wrong, "\n".join(wrong)


def test_recipes_import_no_other_recipe_and_benchmarks_nothing_from_tests():
    wrong = []
    for path, module in _modules("recipes"):
        wrong += [f"{module} imports {t}" for t in _imports(path, module)
                  if t.startswith("recipes.") and t.split(".")[1] not in ("_flags", "_common")]
        wrong += [f"{module} defines define_flags()" for node in ast.walk(ast.parse(path.read_text()))
                  if isinstance(node, ast.FunctionDef) and node.name == "define_flags"]
    for path, module in _modules("benchmarks"):
        wrong += [f"{module} imports {t}" for t in _imports(path, module) if t.split(".")[0] in ("tests", "recipes")]
    assert not wrong, "\n".join(wrong)


def test_benchmarks_import_only_public_names_from_the_package():
    """Benchmarks are clients like a user's script: no `zoo.<...>._private` module (tools/ may patch the renderer)."""
    wrong = [f"{module} imports {t}" for path, module in _modules("benchmarks") if ".tools." not in f"{module}."
             for t in _imports(path, module)
             if t.split(".")[0] == "zoo" and any(part.startswith("_") for part in t.split(".")[1:])]
    assert not wrong, "\n".join(wrong)


# benchmarks/ by kind (README, Layout): in these folders a module without a leading underscore is a
# benchmark; references/ holds the reference implementations, run_all, _flags and _report the plumbing.
KINDS = ("speed", "papers", "infogan", "tools")
BENCHMARKS = sorted(f"{kind}.{p.stem}" for kind in KINDS for p in (ROOT / "benchmarks" / kind).glob("*.py")
                    if not p.stem.startswith("_"))


def test_benchmarks_live_in_their_kinds_folders():
    assert sorted(p.name for p in (ROOT / "benchmarks").glob("*.py")) == ["__init__.py", "_flags.py", "_report.py",
                                                                         "run_all.py"]
    assert sorted(p.name for p in (ROOT / "benchmarks").iterdir() if p.is_dir() and p.name != "__pycache__") == sorted(
        KINDS + ("references",))


@pytest.mark.parametrize("name", BENCHMARKS)
def test_every_benchmark_has_the_one_interface(name):
    module = importlib.import_module(f"benchmarks.{name}")
    assert isinstance(module.NAME, str) and isinstance(module.TITLE, str)
    params = list(inspect.signature(module.run).parameters.values())
    assert [p.name for p in params[:2]] == ["quick", "out"]
    # run(quick, out) alone runs it: every other option has a default.
    assert all(p.default is not p.empty for p in params[2:] if p.kind is p.KEYWORD_ONLY)
    assert len(inspect.signature(module.markdown).parameters) == 1


def test_importing_benchmarks_defines_no_flag():
    """Benchmarks define their flags only when run as programs, so they import beside any recipe."""
    from absl import flags

    for name in BENCHMARKS + ["run_all"]:
        importlib.import_module(f"benchmarks.{name}")
    assert not [m for m in flags.FLAGS.flags_by_module_dict() if "benchmarks" in m]


def test_run_all_steps_are_commands_of_the_same_shape(tmp_path):
    from benchmarks import run_all

    for name in run_all.STEPS:
        cmd = run_all.command(name, quick=True, out_dir=tmp_path, runs_dirs=["r"])
        module = run_all.module_name(name)
        assert module.removeprefix("benchmarks.") in BENCHMARKS and not module.startswith("benchmarks.tools.")
        assert cmd[1:5] == ["-m", module, "--out_dir", str(tmp_path)] and "--quick" in cmd
        takes_runs = "runs_dirs" in inspect.signature(importlib.import_module(module).run).parameters
        assert ("--runs_dir" in cmd) == takes_runs
