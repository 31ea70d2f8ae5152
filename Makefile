# Two entry points on a fresh machine: `make demo` (main job) and `make test` (lint + tests).
# Both bootstrap .venv first. torch is installed as the pinned local CPU wheel before the package,
# so the package's own range (torch>=2.2) is already satisfied and no CUDA build is downloaded.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test bench mutate

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/mmrepro --jobs 2 leaderboard
	@# the results site (results/site/index.html) and every paper's verdict counts
	$(BIN)/mmrepro --quiet --jobs 2 report

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q --cov=harness --cov-report=term-missing:skip-covered

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_default_suite.py

# Mutation score of claims/runs/metrics/train/split handling (benchmarks/mutation_score.py): long, not in `make test`.
# Resumable: each group works in mutants/<group>/ and a rerun tests only mutants without a result (mutmut at nice 19).
# One module: $(BIN)/python benchmarks/mutation_score.py harness.metrics.msa; after adding tests: add --recheck.
mutate: $(STAMP)
	nice -n 19 $(BIN)/python benchmarks/mutation_score.py
