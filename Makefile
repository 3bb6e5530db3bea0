# symcause: a fresh clone needs `make repro` (install + pipeline) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install repro test bench report clean help

help:  ## list the targets
	@grep -E '^[a-z]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*##/ -/'

install: $(STAMP)  ## build .venv from the pinned requirements.lock

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

repro: install  ## run the DVC pipeline (dvc repro)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/dvc repro

test: install  ## run the tests (code, data, model, end-to-end)
	$(BIN)/python -m pytest

bench: install  ## throughput figures -> reports/benchmark.json
	$(BIN)/python -m pipeline.bench

report: install  ## reports/benchmark.md: metrics/params diff vs REPORT_REV (default: latest dataset-v* tag, else HEAD~1), plots, dataset stats, stage timings
	$(BIN)/python -m pipeline.report $(if $(REPORT_REV),--rev $(REPORT_REV))

clean:  ## remove the virtual environment and DVC outputs
	rm -rf $(VENV) data/facts data/vignettes data/models data/published reports/validation reports/vignettes/validation
