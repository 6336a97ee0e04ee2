"""The population figures as Markdown: each section puts the paper's claim beside what our data say.

Every sentence about our data is generated from the numbers of `_population_figures.compute`, so
the text cannot claim what the numbers do not show.
"""

from __future__ import annotations

import math
from pathlib import Path

from benchmarks.papers import _impossibility
from benchmarks.papers._population_figures import CAPTIONS
from benchmarks import _report
from benchmarks.papers import _population_stats as stats

# A score "falls" under the rotation when it drops by more than this (sampling noise is smaller).
FALL = 0.01


def paper_tc(objective: str, which: str) -> str | None:
    """What Locatello et al. 2019 (Sec. 5.1, Fig. 1) report as regularisation grows: the sampled
    representation's TC falls, the mean's rises except under DIP-VAE-I; AnnealedVAE is not in the figure."""
    if objective == "annealed_vae":
        return None
    if which == "sampled":
        return "falls"
    return "falls" if objective == "dip_vae_i" else "rises"


def _f(value, digits=3) -> str:
    return "n/a" if value is None or (isinstance(value, float) and not math.isfinite(value)) else f"{value:.{digits}f}"


def _pc(value) -> str:
    return "n/a" if value is None or (isinstance(value, float) and not math.isfinite(value)) else f"{100 * value:.0f}"


def header(result: dict) -> str:
    counts = ", ".join(f"{stats.LABELS.get(o, o)} {n}" for o, n in result["counts"].items())
    s = result.get("settings") or {}
    sizes = (f"MIG, DCI ({s.get('dci_backend')}), SAP, Modularity, IRS and the unsupervised scores on "
             f"{s.get('num_train')} / {s.get('num_test')} points; BetaVAE and FactorVAE scores on "
             f"{s.get('intervention_train')} / {s.get('intervention_eval')} points of {s.get('batch_size')} pairs; "
             f"reconstruction, KL and total correlations on {s.get('probe_points')} images"
             ) if s else "unknown settings"
    return (f"{result['num_models']} trained models ({counts}), {', '.join(map(str, result['steps']))} steps each, "
            f"on rendered dSprites, one evaluation seed; {sizes}. Every number below is computed from "
            f"`{result.get('population_file', 'population.json')}` by `benchmarks/papers/population.py`. The study trained "
            "for 300,000 steps on the real dSprites file with 50 seeds per setting: fewer steps, rendered hearts "
            "and 3 seeds at one setting per objective may each move our numbers away from the paper's.")


def agreement(result: dict) -> str:
    a = result["agreement"]
    labels, ours, paper = a["metrics"], a["ours"], a["paper"]
    cells = [[labels[i]] + [f"{_pc(ours[i][j])} ({_pc(paper[i][j])})" for j in range(len(labels))]
             for i in range(len(labels))]
    c = a["comparison"]
    pattern = "n/a" if c["pattern_spearman"] is None else f"{c['pattern_spearman']:.2f}"
    mad = "n/a" if c["mean_abs_difference"] is None else f"{100 * c['mean_abs_difference']:.0f} points"
    return "\n".join([
        "**Paper** (Locatello et al. 2019, Sec. 5.2, Fig. 3): the metrics agree only in part: BetaVAE with "
        "FactorVAE (80) and MIG with DCI (76) correlate strongly, the other pairs moderately, and Modularity weakly "
        "with all but BetaVAE (46). Their matrix is over about 1,800 models "
        "on Noisy-dSprites (the one transcribed in `benchmarks/papers/paper_tables.json`; their dSprites matrix is not).", "",
        f"**Ours**: Spearman rank correlation (%) over {a['num_models']} trained models"
        + (f" ({a['left_out']} left out for a missing score)" if a["left_out"] else "")
        + ", the paper's in brackets.", "",
        _report.markdown_table(["ours (paper)"] + labels, cells), "",
        f"Over the {c['pairs']} metric pairs: mean absolute difference {mad}, "
        f"same sign in {c['same_sign']}/{c['pairs']}, "
        f"rank correlation of the two patterns {pattern}."])


def variance(result: dict) -> str:
    rows, seed_or_hp_wins = [], 0
    for label, v in result["variance"].items():
        s, n, df = v["shares"], v["null_shares"], v["df"]
        biggest = "n/a" if math.isnan(s["objective"]) else max(("objective", "setting", "seed"), key=s.get)
        seed_or_hp_wins += int(not math.isnan(s["objective"]) and s["setting"] + s["seed"] > s["objective"])
        rows.append([label, _pc(s["objective"]), _pc(s["setting"]), _pc(s["seed"]),
                     f"{_pc(n['objective'])} / {_pc(n['setting'])} / {_pc(n['seed'])}",
                     f"{df['objective']} / {df['setting']} / {df['seed']}", _f(v["seed_sd"]), biggest])
    return "\n".join([
        "**Paper** (Locatello et al. 2019, Sec. 5.3): the random seed and the hyperparameters matter more than the "
        "choice of objective; a good seed with a poor setting often beats a poor seed with a good one.", "",
        "**Ours**: share of each score's variance (%) explained by the objective, by the setting within the "
        "objective and by the seed within the setting (nested sums of squares, "
        "`_population_stats.variance_shares`). The shares expected if only seeds mattered are the degrees of "
        "freedom over N - 1; the seed share comes from the settings trained with several seeds only.", "",
        _report.markdown_table(["score", "objective", "setting", "seed", "if only seeds mattered", "df",
                                "seed s.d.", "largest"], rows), "",
        f"Setting and seed together explain more than the objective for {seed_or_hp_wins} of {len(rows)} scores."])


def mean_vs_sampled(result: dict) -> str:
    rows, agree, total = [], 0, 0
    for objective, e in result["mean_vs_sampled"].items():
        verdicts = []
        for which, expected in (("sampled", paper_tc(objective, "sampled")), ("mean", paper_tc(objective, "mean"))):
            got = e[f"trend_{which}"]["direction"]
            if expected is not None and got != "n/a":
                total += 1
                agree += int(got == expected)
                verdicts.append(f"{which}: {'as the paper' if got == expected else 'unlike the paper'}")
        hp = e["mean"][0]["hparam"]
        rows.append([stats.LABELS.get(objective, objective), f"{hp} " + ", ".join(f"{s['value']:g}" for s in e["mean"]),
                     " -> ".join(_f(s["mean"], 2) for s in e["sampled"]) + f" ({e['trend_sampled']['direction']})",
                     " -> ".join(_f(s["mean"], 2) for s in e["mean"]) + f" ({e['trend_mean']['direction']})",
                     "; ".join(verdicts) or ("not in the paper's figure" if objective == "annealed_vae"
                                             else "fewer than two settings")])
    return "\n".join([
        "**Paper** (Locatello et al. 2019, Sec. 5.1, Fig. 1): as the regularisation grows, the total correlation "
        "of the *sampled* representation falls, while that of the *mean* representation, the one the metrics "
        "score, rises, for every objective but DIP-VAE-I, which penalises the covariance of the mean itself.", "",
        "**Ours**: Gaussian total correlation (nats) of z ~ q(z|x) and of its mean, weakest to strongest setting "
        "(mean over seeds).", "",
        _report.markdown_table(["objective", "settings", "TC sampled", "TC mean", "against the paper"], rows,
                               align="lllll"), "",
        f"{agree} of {total} trends go the paper's way."])


def tradeoff(result: dict) -> str:
    lines = ["**Paper** (Kim & Mnih 2018, Fig. 5): FactorVAE reaches higher disentanglement than beta-VAE at the "
             "same reconstruction error: its points lie further along the trade-off.", "",
             "**Ours**: Bernoulli NLL per image at z ~ q(z|x) against the FactorVAE score and MIG; a model is on "
             "the front when no other model of the two objectives has both a lower error and a higher score.", ""]
    by_name = {}
    for key in ("factor_vae_score", "mig"):
        for m in result["tradeoff"][key]["models"]:
            by_name.setdefault(m["name"], dict(m))[key] = (m["score"], m["on_front"])
    rows = [[stats.LABELS[m["objective"]], f"{m['hparam']} {m['value']:g}", m["seed"], _f(m["error"], 1),
             _f(m["factor_vae_score"][0]) + (" *" if m["factor_vae_score"][1] else ""),
             _f(m["mig"][0]) + (" *" if m["mig"][1] else "")]
            for m in sorted(by_name.values(), key=lambda m: (m["objective"], m["value"], m["seed"]))]
    header = ["objective", "setting", "seed", "recon. NLL", "FactorVAE score", "MIG"]
    lines += [_report.markdown_table(header, rows), ""]
    for key, label in (("factor_vae_score", "FactorVAE score"), ("mig", "MIG")):
        t = result["tradeoff"][key]
        lines.append(f"On the front of reconstruction vs {label} (* above): FactorVAE {t['on_front']['factor_vae']} of "
                     f"{t['count']['factor_vae']}, beta-VAE {t['on_front']['beta_vae']} of {t['count']['beta_vae']}.")
    return "\n".join(lines)


def capacity(result: dict) -> str:
    lines = ["**Paper** (Burgess et al. 2018, Sec. 4, Fig. 3): as the capacity C grows, latents start to carry "
             "information one after another, the factors that matter most to the reconstruction first: position, "
             "then scale, then shape and orientation.", "",
             f"**Ours**: for each AnnealedVAE run, the latents in the order their KL passed {stats.ACTIVE_NATS} nats, "
             "each named by the factor it shares the most information with, I(z; v) / H(v) in brackets.", ""]
    rows = []
    for t in result["capacity"]:
        on = [t["latents"][j] for j in t["order"] if t["latents"][j]["on_step"] is not None]
        first = ", ".join(f"{g} {'-' if v is None else v}" for g, v in t["first_on"].items())
        rows.append([t["name"], ", ".join(f"{l['factor']} ({_f(l['normalised_mi'], 2)}) @ {l['on_step']}" for l in on)
                     or "none", str(len(t["latents"]) - len(on)), first])
    if not rows:
        lines.append("No AnnealedVAE run with a KL trace in the population.")
        return "\n".join(lines)
    lines.append(_report.markdown_table(["run", "latents switching on (factor, step)", "inactive",
                                         "first on per factor"], rows, align="llll"))
    s = stats.capacity_summary(result["capacity"])
    capacity_at = [(t["name"], t["capacity"][1]) for t in result["capacity"] if t["capacity"] and len(t["steps"]) > 1]
    lines += ["", f"Position switches on first (or tied first) in {s['position_first']} of {s['runs']} runs; scale "
              f"owns an active latent in {s['scale_on']} of {s['runs']} runs ({s['scale_after_position']} of them at or "
              f"after position); shape or orientation own one in {s['shape_or_orientation']} of {s['runs']}. The KL is "
              f"traced every {s['resolution']} steps"
              + (", and by the first traced step the capacity is already "
                 + ", ".join(f"{c:.1f} nats ({name})" for name, c in capacity_at) if capacity_at else "")
              + ": latents that switch on at the same traced step are not ordered."]
    return "\n".join(lines)


def impossibility(demo: dict | None) -> str:
    if not demo:
        return "Not computed in this run."
    labels = list(demo["rows"][0]["scores"])
    supervised = [label for label, _ in _impossibility.SUPERVISED]
    rows = [[f"{r['angle_degrees']:g}", f"{r['max_abs_log_prior_change']:.1e}", _f(r["mean_log_prior"], 6),
             _f(r["max_ks_statistic"], 3), _f(r["gaussian_total_correlation"], 4)]
            + [_f(r["scores"][k], 2) for k in labels] for r in demo["rows"]]
    first, last = demo["rows"][0]["scores"], demo["rows"][-1]["scores"]
    fell = [k for k in supervised if last[k] < first[k] - FALL]
    change = max(r["max_abs_log_prior_change"] for r in demo["rows"])
    max_tc = max(abs(r["gaussian_total_correlation"]) for r in demo["rows"])
    info = [f"{k} {_f(first[k], 2)} -> {_f(last[k], 2)}" for k, _ in _impossibility.INFORMATION]
    return "\n".join([
        "**Paper** (Locatello et al. 2019, Thm. 1): with a factorised prior, infinitely many bijections keep the "
        "distribution of the code and entangle it, so a likelihood cannot prefer the disentangled code.", "",
        f"**Ours** (`benchmarks/papers/_impossibility.py`, exact, no training): the dSprites factors "
        f"({', '.join(demo['factors'])}) mapped to exactly standard-normal marginals, z ~ N(0, I), then rotated, "
        f"R(t) = expm(tA); {demo['num_train']} / {demo['num_test']} points, DCI {demo['dci_backend']}. "
        "Rotation angle of the principal plane, largest change of log N(Rz; 0, I) over the points, its mean, the "
        "largest Kolmogorov-Smirnov distance of a coordinate of Rz from N(0, 1), the Gaussian TC of Rz and every "
        "score of Rz:", "",
        _report.markdown_table(["angle", "max abs change log p", "mean log p", "KS", "TC"] + labels, rows), "",
        f"The largest change of the prior log-likelihood over all points and angles is {change:.1e} nats "
        f"({'rounding' if change < 1e-9 else 'NOT rounding: the rotation is broken'}), while {len(fell)} of "
        f"{len(supervised)} disentanglement scores fall by more than {FALL} ({', '.join(fell) or 'none'}); the "
        f"unsupervised Gaussian total correlation of Rz stays at most {max_tc:.4f} nats. The two measures of "
        f"information rather than disentanglement: {'; '.join(info)} "
        "(a rotation keeps the information; the trees behind DCI's informativeness split one coordinate at a "
        "time, which a rotated code makes harder, while explicitness is a linear classifier)."])


SECTIONS = [("agreement", "1. Metric agreement over the trained models", agreement),
            ("variance", "2. What decides the score: objective, hyperparameter or seed", variance),
            ("mean_vs_sampled", "3. Mean vs sampled representation", mean_vs_sampled),
            ("tradeoff", "4. Reconstruction vs disentanglement", tradeoff),
            ("capacity", "5. Capacity: one factor after another", capacity),
            ("impossibility", "6. Impossibility without supervision", None)]


def markdown(result: dict) -> str:
    parts = [header(result)]
    for key, title, fn in SECTIONS:
        body = impossibility(result.get("impossibility")) if fn is None else fn(result)
        parts += ["", f"### {title}", "", body]
        png = result.get("figures", {}).get(key)
        if png:
            parts += ["", f"![{title}]({png})", "", f"*What to see:* {CAPTIONS[key]}"]
    return "\n".join(parts) + "\n"


BEGIN = "<!-- population: written by `python -m benchmarks.papers.population --readme=...`; do not edit by hand -->"
END = "<!-- population: end -->"


def with_section(readme: str, section: str, title: str) -> str:
    """`readme` with the text between BEGIN and END replaced by `## title` and `section` (appended,
    markers and all, where the file has none yet), so rerunning the figures replaces, never repeats."""
    block = f"{BEGIN}\n## {title}\n\n{section.strip()}\n{END}"
    if (BEGIN in readme) != (END in readme) or readme.count(BEGIN) > 1:
        raise ValueError(f"the README holds a broken population section (one of {BEGIN!r} / {END!r} without the "
                         "other, or twice); delete it and rerun.")
    if BEGIN not in readme:
        return readme.rstrip("\n") + "\n\n" + block + "\n"
    head, rest = readme.split(BEGIN, 1)
    return head + block + rest.split(END, 1)[1]


def publish(readme_path, section: str, title: str) -> None:
    """Writes the section into the Markdown file `readme_path` (atomically; the file must exist)."""
    from zoo import files

    readme_path = Path(readme_path)
    if not readme_path.is_file():
        raise FileNotFoundError(f"--readme {readme_path} does not exist; give the benchmarks README "
                                "(docs/bench/README.md), beside the plots the figures step wrote.")
    files.write_text(readme_path, with_section(readme_path.read_text(), section, title))
