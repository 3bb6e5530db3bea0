# symcause: a fresh clone needs `make repro` (install + pipeline) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NATIVE := $(VENV)/.native
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: install repro test test-fast lint bench report release exp spread clean help

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*##/ -/'

install: $(STAMP) $(NATIVE)  ## build .venv from the pinned requirements.lock, then compile the extraction modules (mypyc)

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

# the extraction modules compiled with mypyc (symcause/devtools/native.py); again whenever one of them changes.
# A failed build warns and leaves pure Python (same results); imports never load a build older than its sources.
$(NATIVE): $(STAMP) symcause/devtools/native.py symcause/core/vocab.py $(wildcard symcause/extraction/*.py)
	$(BIN)/python -m symcause.devtools.native build
	touch $(NATIVE)

repro: install  ## run the DVC pipeline (dvc repro)
	$(BIN)/dvc repro

lint: install  ## static checks: ruff, mypy, import-linter layers, every stage's code in its dvc.yaml deps
	$(BIN)/ruff check symcause pipeline tests
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m symcause.devtools.dvc_deps
	$(BIN)/mypy

test: lint  ## the full suite CI runs: static checks, then unit, data, model and end-to-end tests
	$(BIN)/python -m pytest

test-fast: install  ## the edit-test loop: every test not marked slow (no pipeline runs)
	$(BIN)/python -m pytest -m "not slow"

bench: install  ## throughput figures -> reports/benchmark.json (BENCH_ARGS=--no-repro: no dvc repro timings)
	$(BIN)/python -m symcause.devtools.bench $(BENCH_ARGS)

report: install  ## reports/benchmark.md: metrics/params diff vs REPORT_REV (default: latest dataset-v* tag, else HEAD~1), plots, dataset stats, stage timings
	$(BIN)/python -m symcause.devtools.report $(if $(REPORT_REV),--rev $(REPORT_REV))

release: install  ## tag and push a dataset release: make release VERSION=X.Y.Z (checks clean tree, dvc.lock, SHA256SUMS)
	@test -n "$(VERSION)" || { echo "make release: VERSION is not set: make release VERSION=X.Y.Z (= publish.version in params.yaml)" >&2; exit 2; }
	$(BIN)/python -m symcause.devtools.release --version $(VERSION)

spread: install  ## how much the hand-written scores move with the seed alone (4 seeds, a few minutes; nothing changed)
	$(BIN)/python -m symcause.devtools.seed_spread $(if $(SEEDS),--seeds $(SEEDS))

EXP_KEEP = Experiment|model\.handwritten\.macro_f1|model\.handwritten\.top2_accuracy|model\.handwritten\.ece|model\.handwritten_dev\.macro_f1|model\.test\.macro_f1|train\.C$$|generate\.n$$

exp: install  ## experiments with the headline metrics and the params that matter, in under 200 columns
	COLUMNS=200 $(BIN)/dvc exp show --no-pager --drop '.*' --keep '$(EXP_KEEP)' --precision 3

clean:  ## remove the virtual environment, the compiled extraction modules and DVC outputs
	find symcause -name '*.so' -delete; rm -f symcause/_native.json
	rm -rf $(VENV) data/facts data/knowledge data/vignettes data/models data/published reports/validation reports/vignettes/validation
