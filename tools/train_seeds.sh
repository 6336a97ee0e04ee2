#!/usr/bin/env bash
# Trains every missing training seed of the zoo's presets (issue 31; which seeds: docs/seeds_rule.md,
# the commands: docs/seeds.md), each with exactly its preset's recorded recipe (recipes.train
# --recipe_of), one after another, single-threaded and at nice 19. Resumable: rerun it after a kill or
# a reboot; a finished seed is skipped, an unfinished one resumes from its last checkpoint.
#
#   tools/train_seeds.sh            # train the missing seeds (hours of CPU each: 30,000 steps)
#   tools/train_seeds.sh add        # score each finished dSprites seed at the study's sizes and add it
#                                   # to the zoo under its name (recipes.evaluate --add_to_zoo --as_seed);
#                                   # infogan-mnist's by benchmarks.infogan.infogan_codes --add_seed
#                                   # (its training digits need `make mnist-data`)
#   tools/train_seeds.sh eval_seeds # the sampled scores at evaluation seeds 1 and 2 of every shipped seed
#                                   # added before recipes.evaluate scored them itself
#   JOBS="vae-dsprites:1 vae-dsprites:2" tools/train_seeds.sh   # only these name:seed pairs
#
# A sitting on this machine ends after 180 minutes and its runs/ folder does not outlive it, so only a
# job that finishes inside one sitting counts: see docs/seeds.md, "What fits in one sitting", for each
# job's measured time, and give JOBS a list that fits.
set -u
# (before the cd: "$0" may be relative to the caller's folder)
if [ -z "${ZOO_OWN_SESSION:-}" ]; then ZOO_OWN_SESSION=1 exec setsid --wait bash "$0" "$@"; fi
cd "$(dirname "$0")/.."
export TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1 OMP_NUM_THREADS=1 TF_CPP_MIN_LOG_LEVEL=3
# `nice` alone does not yield here: with the kernel's autogroup scheduling (Debian's default) a
# script started from its own session (setsid, nohup from a terminal) is a group of its own that
# gets an equal share beside every other group, whatever its processes' nice. Measured: two
# "nice 19" trainings took 65% of a core each beside a nice-0 benchmark at 68%; with the group's
# nice set to 19, 12-18% each and the benchmark 168%. So the group is niced too (best effort).
# The autogroup is the whole session's: the script first moves into a session of its own (setsid
# --wait keeps the caller waiting for its exit status), so the shell that started it keeps its share.
echo 19 > /proc/self/autogroup 2>/dev/null || true
PY=.venv/bin/python
DEFAULT_JOBS="
vae-dsprites:1 vae-dsprites:2
betavae-dsprites:0 betavae-dsprites:1
annealedvae-dsprites:1 annealedvae-dsprites:2
annealedvae-color-dsprites:2
dipvae1-dsprites:1 dipvae1-dsprites:2
dipvae2-dsprites:1 dipvae2-dsprites:2
betatcvae-dsprites:1 betatcvae-dsprites:2
factorvae-dsprites:1 factorvae-dsprites:2
infogan-dsprites:0 infogan-dsprites:1 infogan-dsprites:3 infogan-dsprites:4
infogan-mnist:0 infogan-mnist:1 infogan-mnist:3 infogan-mnist:4
"
JOBS=${JOBS:-$DEFAULT_JOBS}
PHASE=${1:-train}

finished() { [ -f "runs/seeds/$1/seed$2/preset/metadata.json" ]; }

in_zoo() { [ "$($PY -m tools.seed_state "$1" "$2")" = in ]; }

case "$PHASE" in
train)
  for job in $JOBS; do
    name=${job%%:*}; seed=${job##*:}
    if finished "$name" "$seed"; then echo "$name seed $seed: trained"; continue; fi
    # A seed added in an earlier sitting may have no run folder here (runs/ outlives a sitting only on the same machine).
    if in_zoo "$name" "$seed"; then echo "$name seed $seed: in the zoo"; continue; fi
    echo "$(date -u +%FT%TZ) $name seed $seed: training"
    if [ "$name" = infogan-mnist ]; then  # it trains on MNIST's files (source=file): installed once, checked
      $PY -m recipes.get_data --dataset=mnist || { echo "$name seed $seed: no MNIST files (exit $?)"; continue; }
    fi
    nice -n 19 $PY -m recipes.train --recipe_of="$name" --seed="$seed" --progress=false \
      --out="runs/seeds/$name/seed$seed" || echo "$name seed $seed: exit $? (rerun to resume; a NaN loss is exit 3: record it with zoo.registry.add_failed_seed)"
  done ;;
add)
  for job in $JOBS; do
    name=${job%%:*}; seed=${job##*:}
    finished "$name" "$seed" || { echo "$name seed $seed: not finished"; continue; }
    if in_zoo "$name" "$seed"; then echo "$name seed $seed: in the zoo"; continue; fi
    if [ "$name" = infogan-mnist ]; then  # its own measures (cluster accuracy, the codes' slant and width)
      nice -n 19 $PY -m benchmarks.infogan.infogan_codes --model="runs/seeds/$name/seed$seed/preset" --update_card \
        --add_seed="$name" --out="out/seeds/$name-seed$seed" || echo "$name seed $seed: not added (exit $?)"
      continue
    fi
    nice -n 19 $PY -m recipes.evaluate --model="runs/seeds/$name/seed$seed" --add_to_zoo="$name" --as_seed \
      --json="out/seeds/$name-seed$seed.json" || echo "$name seed $seed: not added (exit $?)"
  done ;;
eval_seeds)
  # The sampled scores (BetaVAE, FactorVAE) of every shipped seed added before recipes.evaluate scored
  # them at evaluation seeds 1 and 2 itself (zoo.registry.record_eval_seeds), one seed at a time; each
  # is written to the manifest when it is done, so a kill loses only the seed being scored. Single-threaded
  # like the rest of this script. A seed's two evaluation seeds share one code cache (zoo.metrics.CodeCache):
  # on this 2-core EPYC (2026-12-07, beside one training) a dSprites seed took 306-340 s; colour dSprites'
  # images are random given the factors (no code table, no cache): one evaluation seed of
  # annealedvae-color-dsprites took 763 s on both cores for its BetaVAE score alone.
  $PY - <<'PY'
import zoo.data
from zoo import manifest, registry, seed_rule

for name, entry in manifest.load_manifest()["models"].items():
    for seed, record in seed_rule.seed_records(entry).items():
        if record.get("eval_scores") or not seed_rule.is_shipped(record):
            continue
        if not any(k.split(".")[0] in registry.SAMPLED_METRICS for k in record.get("scores") or {}):
            continue  # no sampled score to draw again (infogan-mnist's are its own measures)
        scores = registry.record_eval_seeds(name, zoo.data.load(manifest.dataset_name(entry)), seed)
        print(f"{name} seed {seed}:", {s: {k: round(v, 4) for k, v in d.items() if "eval_accuracy" in k}
                                       for s, d in scores.items()}, flush=True)
PY
  ;;
*) echo "usage: $0 [train|add|eval_seeds]" >&2; exit 2 ;;
esac
