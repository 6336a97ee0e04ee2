"""Builds the package as setup.cfg says, with the recipes inside it and the weights manifest copied into it.

The checkout keeps its recipes at the top level (`python -m recipes.train`); an install ships them
as `zoo.recipes` (the console scripts `zoo-train`, ... run them), so that `zoo` is the only
top-level name it adds to site-packages, where a top-level `recipes` would collide with any other
project's. The recipes import each other relatively (`from . import _common`), which works under
both names.

`weights_manifest.json` lives at the repository root (the registry, beside `weights/`); a wheel
ships a copy as `zoo/weights_manifest.json`, so that an installed zoo knows its models and loads
them from the Hugging Face cache or hub at their pinned revisions (`zoo.manifest`). An editable
install reads the root file itself.
"""

import shutil
from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

MANIFEST = Path(__file__).resolve().parent / "weights_manifest.json"


class BuildWithManifest(build_py):
    def run(self):
        super().run()
        if not self.editable_mode:
            target = Path(self.build_lib) / "zoo" / MANIFEST.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(MANIFEST, target)


setup(packages=find_packages(include=["zoo", "zoo.*"]) + ["zoo.recipes"], package_dir={"zoo.recipes": "recipes"},
      cmdclass={"build_py": BuildWithManifest})
