"""`make mutation`'s harness (tests/mutation_run.py): the sampled runs' draw and their interval."""

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import mutation_run  # noqa: E402


def test_wilson_interval_by_hand():
    # 8 of 10: p = 0.8, z^2/n = 0.38416; centre (0.8 + 0.19208) / 1.38416 = 0.71674,
    # half 1.96 * sqrt(0.016 + 0.009604) / 1.38416 = 0.22658.
    low, high = mutation_run.interval(8, 10)
    assert (low, high) == pytest.approx((0.71674 - 0.22658, 0.71674 + 0.22658), abs=1e-4)
    assert mutation_run.interval(0, 0) == (0.0, 1.0)
    assert mutation_run.interval(40, 40)[1] == 1.0 and mutation_run.interval(40, 40)[0] > 0.9


def test_sample_is_a_fixed_uniform_draw_that_resumes(tmp_path):
    meta = tmp_path / "mutants" / "zoo" / "a.py.meta"
    meta.parent.mkdir(parents=True)
    names = [f"zoo.a.x_f__mutmut_{i}" for i in range(1, 41)]
    meta.write_text(json.dumps({"exit_code_by_key": dict.fromkeys(names)}))
    first = mutation_run.sampled_mutants(tmp_path, Path("/no/mutmut"), {}, 10, seed=3)
    assert len(first) == 10 and set(first) <= set(names)
    assert first == mutation_run.sampled_mutants(tmp_path, Path("/no/mutmut"), {}, 10, seed=3)
    assert first != mutation_run.sampled_mutants(tmp_path, Path("/no/mutmut"), {}, 10, seed=4)
    # A resumed run skips the sampled mutants that already have a verdict, and draws no others.
    codes = dict.fromkeys(names)
    codes[first[0]], codes[first[1]] = 1, 0
    meta.write_text(json.dumps({"exit_code_by_key": codes}))
    assert mutation_run.sampled_mutants(tmp_path, Path("/no/mutmut"), {}, 10, seed=3) == first[2:]
    # A sample larger than the group runs the whole group.
    assert len(mutation_run.sampled_mutants(tmp_path, Path("/no/mutmut"), {}, 99, seed=0)) == 38


def test_sampled_table_row_gives_the_estimate_and_its_interval():
    row = mutation_run.markdown([{"group": "models", "sample": {"size": 10, "seed": 0},
                                  "files": {"zoo/models/vae.py": {"killed": 8, "survived": 2}}}])
    assert "| models | all files, a uniform sample of 10 (seed 0) | 8 | 2 | 0 | | 80.0% (95% interval 49%-94%) |" in row
