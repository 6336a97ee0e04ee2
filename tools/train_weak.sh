#!/usr/bin/env bash
# The weakly supervised presets of issue 33 (Locatello et al. 2020): Ada-GVAE and Ada-ML-VAE on rendered
# dSprites, training seeds 0, 1 and 2 each, with the other dSprites presets' recipe (fused Adam, lr 1e-4,
# batch 64, 30,000 steps; a step is 64 pairs), k drawn per pair (k=0: uniform in 1..K-1, the paper's
# "k = rnd") and beta 1. Single-threaded, nice 19 (and its autogroup, see tools/train_seeds.sh).
# Resumable: rerun after a kill; finished seeds are skipped.
#
#   tools/train_weak.sh train ada_gvae     # one lane per objective: two lanes use the two cores
#   THREADS=2 SEEDS=1 tools/train_weak.sh train ada_gvae   # one seed on both cores (fits one sitting)
#   tools/train_weak.sh keep               # only for runs started before --snapshot_steps existed (both
#                                          # seed 0s): keeps their step-10,000 checkpoint, which the
#                                          # checkpoint manager (last 2 kept) would delete
#   tools/train_weak.sh same_steps         # each run's 10,000-step model (its snapshot, or for the seed 0s
#                                          # the kept checkpoint as a finished 10,000-step run), scored by
#                                          # the population's score step at its settings
#                                          # into docs/bench/weak_population.json (the same-steps comparison)
#   tools/train_weak.sh add                # each finished seed scored at the study's sizes and added to
#                                          # the zoo (the first seed makes the name, the rest --as_seed)
set -u
# (before the cd: "$0" may be relative to the caller's folder)
if [ -z "${ZOO_OWN_SESSION:-}" ]; then ZOO_OWN_SESSION=1 exec setsid --wait bash "$0" "$@"; fi
cd "$(dirname "$0")/.."
# THREADS=2 gives one seed both cores (train_bench, default threads: 3.4 steps/s; each of two single-threaded
# lanes ran 2.0-2.2), so a seed trains in about 2.5 hours, the only way one fits a 180-minute sitting
# (docs/seeds.md).
THREADS=${THREADS:-1}
export TF_NUM_INTRAOP_THREADS=$THREADS TF_NUM_INTEROP_THREADS=1 OMP_NUM_THREADS=$THREADS TF_CPP_MIN_LOG_LEVEL=3
# Niced group as in tools/train_seeds.sh, in a session of its own so that the caller's shell keeps its share.
echo 19 > /proc/self/autogroup 2>/dev/null || true
PY=.venv/bin/python
RUNS=runs/weak
SEEDS=${SEEDS:-"0 1 2"}
HPARAMS="beta=1,k=0,known_k=false"

zoo_state() { $PY -m tools.seed_state "$1" "$2"; }  # name seed -> new, in or seed (tools/seed_state.py)

train_args() {  # objective seed steps out
  echo --model="$1" --dataset=dsprites --hparams=$HPARAMS --steps="$3" --batch_size=64 --seed="$2" \
    --checkpoint_every=1000 --progress=false --out="$4"
}

case "${1:-}" in
train)
  objective=${2:?"give the objective: ada_gvae or ada_ml_vae"}
  for seed in $SEEDS; do
    out=$RUNS/${objective//_/}-dsprites/seed$seed
    [ -f "$out/preset/metadata.json" ] && continue
    # A seed added in an earlier sitting may have no run folder here (runs/ outlives a sitting only on the same machine).
    [ "$(zoo_state "${objective//_/}-dsprites" "$seed")" = in ] && { echo "${objective//_/}-dsprites seed $seed: in the zoo"; continue; }
    # shellcheck disable=SC2046
    # The model at 10,000 steps (the population's) is written as a snapshot preset on the way.
    nice -n 19 $PY -m recipes.train $(train_args "$objective" "$seed" 30000 "$out") --snapshot_steps=10000 \
      || { echo "$out: exit $? (rerun to resume)" >&2; exit 1; }
  done ;;
keep)
  while true; do
    for index in $RUNS/*/seed*/checkpoints/ckpt-10000.index; do
      [ -f "$index" ] || continue
      run=$(dirname "$(dirname "$index")"); keep="$run/step10000"
      [ -f "$keep/checkpoint" ] && continue
      mkdir -p "$keep.tmp" && cp "$run"/checkpoints/ckpt-10000.* "$keep.tmp/" \
        && printf 'model_checkpoint_path: "ckpt-10000"\nall_model_checkpoint_paths: "ckpt-10000"\n' > "$keep.tmp/checkpoint" \
        && rm -rf "$keep" && mv "$keep.tmp" "$keep" && echo "$(date -u +%FT%TZ) kept $keep"
    done
    sleep 60
  done ;;
same_steps)
  mkdir -p runs/weak10k
  for snapshot in $RUNS/*/seed*/snapshots/step10000; do
    [ -f "$snapshot/preset/metadata.json" ] || continue
    run=$(dirname "$(dirname "$snapshot")"); name=$(basename "$(dirname "$run")")
    ln -sfn "$(realpath "$snapshot")" "runs/weak10k/$name-seed${run##*seed}"
  done
  for keep in $RUNS/*/seed*/step10000; do
    [ -f "$keep/checkpoint" ] || continue
    run=$(dirname "$keep"); name=$(basename "$(dirname "$run")"); seed=${run##*seed}
    objective=$($PY -c "import json,sys; print(json.load(open(sys.argv[1]))['model'])" "$run/run.json")
    out=runs/weak10k/$name-seed$seed
    if [ ! -f "$out/preset/metadata.json" ]; then
      # The run's settings at 10,000 steps, resumed at its last step: writes the preset, trains nothing.
      mkdir -p "$out/checkpoints" && cp "$keep"/* "$out/checkpoints/"
      sed 's/"steps": 30000/"steps": 10000/' "$run/run.json" > "$out/run.json"
      # shellcheck disable=SC2046
      $PY -m recipes.train $(train_args "$objective" "$seed" 10000 "$out") || exit 1
    fi
  done
  nice -n 19 $PY -m benchmarks.papers.population --step=score --runs_dir=runs/weak10k \
    --population_file=docs/bench/weak_population.json ;;
add)
  for run in $RUNS/*/seed*; do
    [ -f "$run/preset/metadata.json" ] || { echo "$run: not finished"; continue; }
    name=$(basename "$(dirname "$run")"); seed=${run##*seed}
    state=$(zoo_state "$name" "$seed")
    [ -n "$state" ] || { echo "$name seed $seed: could not read the manifest; not added"; continue; }
    [ "$state" = in ] && { echo "$name seed $seed: in the zoo"; continue; }
    nice -n 19 $PY -m recipes.evaluate --model="$run" --add_to_zoo="$name" $([ "$state" = seed ] && echo --as_seed) \
      --json="out/seeds/$name-seed$seed.json" || echo "$name seed $seed: not added (exit $?)"
  done ;;
*) echo "usage: $0 train OBJECTIVE | keep | same_steps | add" >&2; exit 2 ;;
esac
