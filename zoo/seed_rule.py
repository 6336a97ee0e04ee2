"""The training seeds of a name: which seed `zoo.load(name)` serves, each seed's record, the spread.

A name is one setting (objective, hyperparameters, steps, batch, optimizer, data) trained at one or
more training seeds. The entry's own fields (config, training, files, scores, score_settings) are
the *served* seed's, the one `zoo.load(name)` gives, so an entry written before seeds existed is
a name with one seed (its `training.seed`) and reads as before. The other seeds sit under
`"seeds": {"<seed>": record}`, each record shaped like an entry's own fields:

    {"status": "ok" | "collapsed" | "failed",        # failed: no model came out (no scores)
     "config": {...}, "training": {...}, "scores": {...}, "score_settings": {...},
     "eval_scores": {"<evaluation seed>": {"beta_vae_score.eval_accuracy": ...}, ...},  # optional
     "files": [{"path", "size", "sha256"}, ...],      # absent: recorded by scores alone (weights > 10 MB)
     "command": "python -m recipes.train --recipe_of=<name> --seed=<seed> ..."}  # how to rebuild it

Which seed is served is fixed by docs/seeds_rule.md (written before the extra seeds trained):
`choose_served` is that rule as code. The schema-level checks of the
"seeds" records are `zoo.manifest`'s (`SEED_STATUSES`).
"""

from __future__ import annotations

import statistics

from zoo.manifest import ManifestError, dataset_name, get_entry

SEEDS_RULE = ("the seed whose {score} ({where}) is the median over the "
              "setting's seeds (with an even count the lower of the two middle values, ties to the lowest seed "
              "number); a seed whose weights are not shipped (over 10 MB) is passed over for the next closest to "
              "the median, then the lowest number (docs/seeds_rule.md, written 2026-12-06 before any extra seed "
              "trained)")
# Weights above this are recorded by scores, config and training command alone (the repository's size).
MAX_SHIPPED_WEIGHTS = 10 * 1000 * 1000
# The score the rule ranks seeds by: MIG for the dSprites presets, cluster accuracy for MNIST's InfoGAN.
# (docs/seeds_rule.md: on the 60,000 training digits, the score infogan-mnist's own pick was made by.)
RULE_SCORES = {"mnist": "infogan_codes.train_cluster_accuracy"}
RULE_SCORE = "mig.mig"
# Where the rule's score is measured, as the card says it.
RULE_WHERE = {"mig.mig": "num_train=10000, num_test=5000, evaluation seed 0",
              "infogan_codes.train_cluster_accuracy": "c1's cluster accuracy on the model's training digits, all "
                                                      "60,000 for MNIST's files"}
# Bars a card counts the seeds against ("met by k of n seeds"): the cluster accuracy infogan-mnist is held to.
SEED_BARS = {"infogan_codes.cluster_accuracy": 0.90}
# infogan-mnist's continuous codes (docs/seeds_rule.md, fixed before the extra seeds trained): a code is a
# slant code when |rho(code, slant)| >= 0.7, a width code when |rho(code, width)| >= 0.7 and
# |rho(code, slant)| < 0.5 (so that a code which slants digits, and widens them by slanting, is no width code).
CODE_RHO = 0.7
WIDTH_MAX_SLANT_RHO = 0.5
_CODE_PREFIX = "infogan_codes."
_SEED_FIELDS = ("config", "training", "files", "scores", "score_settings", "eval_scores", "command", "status")


class UnknownSeedError(LookupError):
    """A training seed a name does not have; the message lists the seeds it has."""


class SeedNotShippedError(LookupError):
    """A seed recorded by its scores alone (weights over 10 MB); the message names the command that rebuilds it."""


def rule_score(entry: dict) -> str:
    """The flat score key the served-seed rule ranks an entry's seeds by."""
    return RULE_SCORES.get(dataset_name(entry), RULE_SCORE)


def seed_records(entry: dict) -> dict[int, dict]:
    """`{seed: record}` for every training seed of an entry, the served one (the entry's own fields)
    included, failed seeds included."""
    served = {k: entry[k] for k in _SEED_FIELDS if k in entry}
    served.setdefault("status", "ok")
    records = {int(entry["training"]["seed"]): served}
    for key, record in (entry.get("seeds") or {}).items():
        records[int(key)] = {"status": "ok", **record}
    return dict(sorted(records.items()))


def seeds_of(entry: dict) -> list[int]:
    """The training seeds of an entry that gave a model (every status but "failed"), ascending."""
    return [seed for seed, record in seed_records(entry).items() if record["status"] != "failed"]


def is_shipped(record: dict) -> bool:
    """Whether a seed's weights are in the zoo (else it is recorded by scores, config and command)."""
    return bool(record.get("files"))


def choose_served(records: dict[int, dict], score: str) -> int:
    """The seed the rule (docs/seeds_rule.md, `SEEDS_RULE`) serves among `records` ({seed: record}).

    The median of `score` over the seeds that have it (failed seeds have none): with an even count
    the lower middle value; among the seeds at that value the lowest number. A seed without shipped
    weights cannot be served: then the shipped seed closest to the median value, then the lowest number.

    Raises:
      ManifestError: no seed has the score, or none with it has shipped weights.
    """
    scored = {seed: float(r["scores"][score]) for seed, r in records.items()
              if r.get("status") != "failed" and isinstance((r.get("scores") or {}).get(score), (int, float))
              and (r["scores"][score] == r["scores"][score])}  # NaN is no score
    if not scored:
        raise ManifestError(f"no seed has the score {score!r} the served-seed rule ranks by; score the seeds "
                            "(recipes.evaluate) first.")
    median = sorted(scored.values())[(len(scored) - 1) // 2]
    for seed in sorted(scored, key=lambda s: (abs(scored[s] - median), s)):
        if is_shipped(records[seed]):
            return seed
    raise ManifestError(f"none of the seeds scored by {score!r} ({', '.join(map(str, sorted(scored)))}) has shipped "
                        "weights, so none can be served; ship one seed's weights.")


def arrange_seeds(entry: dict, records: dict[int, dict]) -> dict:
    """The entry holding `records` with the rule's seed as its own fields and the others under "seeds";
    the entry's other fields (description, objective, dataset, hub) are kept."""
    served = choose_served(records, rule_score(entry))
    out = {k: v for k, v in entry.items() if k not in _SEED_FIELDS and k != "seeds"}
    record = records[served]
    out.update({k: record[k] for k in _SEED_FIELDS if k in record and k != "status"})
    if record.get("status", "ok") != "ok":
        out["status"] = record["status"]
    others = {str(seed): records[seed] for seed in sorted(records) if seed != served}
    if others:
        out["seeds"] = others
    return out


def seed_folder(name: str, seed: int) -> str:
    """Where a seed's preset folder goes, relative to the root, when it is not the name's first folder."""
    return f"weights/seeds/{name}/seed{seed}"


def get_seed(manifest: dict, name: str, seed: int) -> dict:
    """The record of one training seed of `name` (`seed_records`).

    Raises:
      UnknownModelError: the name is unknown. UnknownSeedError: the seed is not one of the name's
      (the message lists those it has). SeedNotShippedError: the seed is recorded by scores alone
      (the message names the command that rebuilds it).
    """
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be a training seed (an int, one of zoo.seeds({name!r})); "
                        f"got {type(seed).__name__}.")
    entry = get_entry(manifest, name)
    records = seed_records(entry)
    have = seeds_of(entry)
    if seed not in have:
        why = " (it was trained but failed: no model came out)" if seed in records else ""
        raise UnknownSeedError(f"{name!r} has no training seed {seed}{why}; its seeds are "
                               f"{', '.join(map(str, have))} (zoo.seeds({name!r})). zoo.load({name!r}) serves seed "
                               f"{entry['training']['seed']}.")
    record = records[seed]
    if not is_shipped(record):
        command = record.get("command") or "(no command recorded)"
        raise SeedNotShippedError(f"seed {seed} of {name!r} is recorded by its scores, config and training command "
                                  f"alone (its weights exceed {MAX_SHIPPED_WEIGHTS // 1000000} MB, too large for the "
                                  f"repository). Rebuild it with: {command}")
    return record


def _is_code_rho(key: str) -> bool:
    parts = key.split(".")
    return key.startswith(_CODE_PREFIX) and len(parts) == 3 and parts[2] in ("slant_rho", "width_rho")


def code_roles(scores: dict) -> dict | None:
    """The rule of docs/seeds_rule.md applied to one seed's InfoGAN code correlations.

    Args:
      scores: flat scores with `infogan_codes.<code>.slant_rho` and `.width_rho` per continuous code
        (`benchmarks.infogan.infogan_codes`).

    Returns:
      `{"slant": [codes], "width": [codes], "both": bool, "rho": {code: (slant_rho, width_rho)}}`, where
      `both` says that the seed has a slant code and a width code (the paper's fig. 2: different codes,
      which the slant bound guarantees, a width code's |rho| with slant being under 0.7); None when the
      scores hold no code correlations.

    >>> code_roles({"infogan_codes.c2.slant_rho": 0.99, "infogan_codes.c2.width_rho": 0.89,
    ...             "infogan_codes.c3.slant_rho": -0.2, "infogan_codes.c3.width_rho": 0.75})["width"]
    ['c3']
    """
    rho = {}
    for key, value in scores.items():
        if _is_code_rho(key):
            _, code, which = key.split(".")
            rho.setdefault(code, {})[which] = float(value)
    rho = {code: (r["slant_rho"], r["width_rho"]) for code, r in sorted(rho.items())
           if "slant_rho" in r and "width_rho" in r}
    if not rho:
        return None
    slant = [code for code, (s, _) in rho.items() if abs(s) >= CODE_RHO]
    width = [code for code, (s, w) in rho.items() if abs(w) >= CODE_RHO and abs(s) < WIDTH_MAX_SLANT_RHO]
    return {"slant": slant, "width": width, "both": bool(slant and width), "rho": rho}


def seed_spread(entry: dict, name: str | None = None) -> dict | None:
    """What a card's seed section shows (`zoo.cards`): every score over the training seeds (mean, sd,
    per-seed values), the served seed, the evaluation-seed sd of the sampled scores where recorded,
    the rule and how many seeds were ever trained. None for a name with one seed (its card is as before)."""
    records = seed_records(entry)
    if len(records) < 2:
        return None
    served = int(entry["training"]["seed"])
    scored = {seed: r.get("scores") or {} for seed, r in records.items() if r["status"] != "failed"}
    # A continuous InfoGAN code's correlation with slant or width is left to the code table: its sign is
    # arbitrary and the code that turns slant differs between seeds, so a mean over seeds of "c2's rho"
    # says nothing (seeds 0 and 2 of infogan-mnist: -0.95 and +1.00, "mean 0.03").
    keys = [k for k in (entry.get("scores") or {}) if not k.startswith("timing.") and not _is_code_rho(k)]
    scores = {}
    for key in keys:
        values = {seed: s[key] for seed, s in scored.items()
                  if isinstance(s.get(key), (int, float)) and s[key] == s[key]}
        if not values:
            continue
        row = {"mean": statistics.fmean(values.values()),
               "sd": statistics.stdev(values.values()) if len(values) > 1 else None,
               "min": min(values.values()), "max": max(values.values()),
               "n": len(values), "per_seed": {str(seed): value for seed, value in values.items()}}
        if key in SEED_BARS:
            row["bar"] = SEED_BARS[key]
            row["met_by"] = sum(value >= SEED_BARS[key] for value in values.values())
        eval_sds = []
        for seed in values:
            draws = [e[key] for e in (records[seed].get("eval_scores") or {}).values()
                     if isinstance(e.get(key), (int, float))]
            if len(draws) > 1:
                eval_sds.append(statistics.stdev(draws))
        if eval_sds:
            row["eval_sd"] = statistics.fmean(eval_sds)
            row["eval_sd_seeds"] = len(eval_sds)
        scores[key] = row
    roles = {str(seed): code_roles(s) for seed, s in scored.items()}
    roles = {seed: r for seed, r in roles.items() if r is not None}
    score = rule_score(entry)
    return {"name": name, "rule": SEEDS_RULE.format(score=score, where=RULE_WHERE[score]), "rule_score": score,
            "served_seed": served, "seeds": sorted(scored), "trained": len(records),
            **({"code_roles": roles, "code_rule": {"rho": CODE_RHO, "width_max_slant_rho": WIDTH_MAX_SLANT_RHO}}
               if roles else {}),
            "status": {str(seed): r["status"] for seed, r in records.items() if r["status"] != "ok"},
            "scores_only": [seed for seed in sorted(scored) if not is_shipped(records[seed])],
            "scores": scores}
