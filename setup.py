"""Builds the package as setup.cfg says, with the weights manifest copied into it.

`weights_manifest.json` lives at the repository root (the registry, beside `weights/`); a wheel
ships a copy as `zoo/weights_manifest.json`, so that an installed zoo knows its models and loads
them from the Hugging Face cache or hub at their pinned revisions (`zoo.manifest`). An editable
install reads the root file itself.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

MANIFEST = Path(__file__).resolve().parent / "weights_manifest.json"


class BuildWithManifest(build_py):
    def run(self):
        super().run()
        if not self.editable_mode:
            target = Path(self.build_lib) / "zoo" / MANIFEST.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(MANIFEST, target)


setup(cmdclass={"build_py": BuildWithManifest})
