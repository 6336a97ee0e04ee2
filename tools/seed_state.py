"""Where a training seed stands in the zoo, for the seed scripts (tools/train_seeds.sh, tools/train_weak.sh).

    .venv/bin/python -m tools.seed_state NAME SEED

Prints `new` (no such name in weights_manifest.json), `in` (the seed is recorded under the name) or
`seed` (the name exists and this seed is not in it yet). Reads the manifest as `zoo.seed_rule` does.
"""

import sys

from zoo import manifest, seed_rule


def state(name: str, seed: int) -> str:
    entry = manifest.load_manifest()["models"].get(name)
    if entry is None:
        return "new"
    return "in" if seed in seed_rule.seed_records(entry) else "seed"


if __name__ == "__main__":
    if len(sys.argv) != 3 or not sys.argv[2].isdigit():
        sys.exit("usage: python -m tools.seed_state NAME SEED")
    print(state(sys.argv[1], int(sys.argv[2])))
