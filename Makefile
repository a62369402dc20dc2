# The README's commands. Everything installs into .venv from the committed lock.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock | md5sum | cut -c1-12)
export PYTHONPATH := $(CURDIR)

TOOLS := .venv-tools
TOOLS_STAMP := $(TOOLS)/.installed-$(shell cat requirements-tools.lock | md5sum | cut -c1-12)

.PHONY: setup tools demo test reliability lint luigid k8s lock clean

setup: $(STAMP)

$(STAMP): requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	rm -f $(VENV)/.installed-* && touch $@

## checkov and hadolint for tests/ops/test_manifests.py and tests/test_dockerfile.py, in their own venv (checkov's pins clash with requirements.lock).
tools: $(TOOLS_STAMP)

$(TOOLS_STAMP): requirements-tools.lock
	test -x $(TOOLS)/bin/python || $(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check -r requirements-tools.lock
	rm -f $(TOOLS)/.installed-* && touch $@

## Generate a week of sample data and run the whole pipeline on the embedded warehouse.
demo: setup
	$(BIN)/python -m devdata.demo

## Lint and run every test (what CI runs).
test: setup tools lint
	$(BIN)/pytest

## The reliability suite alone (also part of make test): crashes, bad input, failing dependencies, concurrency, security.
reliability: setup
	$(BIN)/pytest tests/reliability

## ruff, and the import-linter contracts of pyproject.toml: layers go one way (docs/architecture.md).
lint: setup
	$(BIN)/ruff check .
	$(BIN)/lint-imports

## A local central scheduler with the visualiser on http://localhost:8082
luigid: setup
	mkdir -p data/luigid
	$(BIN)/luigid --port 8082 --state-path data/luigid/state.pickle --logdir data/luigid

## Regenerate k8s/ from config/schedules.py and config/secrets.py (make test fails while k8s/ is stale).
k8s: setup
	$(BIN)/python -m ops.manifests generate

## Re-resolve the pinned dependencies from pyproject.toml into requirements.lock.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet --disable-pip-version-check '.[dev]'
	.lock-venv/bin/pip freeze --exclude bizops-pipeline > requirements.lock
	rm -rf .lock-venv

clean:
	rm -rf data dbt/target dbt/logs
