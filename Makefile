# The README's two commands: `make mock` and `make test`. Both install on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install mock test lint lint-spec clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required (found " + sys.version.split()[0] + ")")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

## make mock: serve the mock on 127.0.0.1:4010 (extra options: make mock ARGS="--port 4011")
mock: $(STAMP)
	$(BIN)/contacts-mock $(ARGS)

## make test: every test (unit, self-tests, the contract suite in-process and over HTTP)
test: $(STAMP)
	$(BIN)/python -m pytest $(ARGS)

## make lint: ruff and mypy
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis

## make lint-spec: Spectral (spectral:oas) and Redocly (recommended) on openapi.yaml; needs Node.js
lint-spec:
	npx --yes @stoplight/spectral-cli lint --ruleset .spectral.yaml --fail-severity error openapi.yaml
	npx --yes @redocly/cli lint --extends=recommended openapi.yaml
