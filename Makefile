# The README's two commands: `make mock` and `make test`. Both install on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# The browser test needs Debian's chromium; without it, `make test` says so and leaves that one
# file out (CI installs chromium and sets REQUIRE_BROWSER=1, so there it always runs).
CHROMIUM := $(shell command -v chromium 2>/dev/null)
BROWSER_ARGS := $(if $(CHROMIUM)$(REQUIRE_BROWSER),,--ignore=tests/browser)

.PHONY: install mock test lint lint-spec fuzz bench soak clean

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

## make test: every test (unit, self-tests, hardening, the contract suite in-process and over HTTP)
test: $(STAMP)
	@$(if $(BROWSER_ARGS),echo "NOTE: chromium not found: tests/browser is not run (apt-get install -y chromium)")
	$(BIN)/python -m pytest $(BROWSER_ARGS) $(ARGS)

## make lint: ruff and mypy
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## make lint-spec: Spectral (spectral:oas) and Redocly (recommended) on openapi.yaml; needs Node.js
lint-spec:
	npx --yes @stoplight/spectral-cli lint --ruleset .spectral.yaml --fail-severity error openapi.yaml
	npx --yes @redocly/cli lint --extends=recommended openapi.yaml

## make fuzz: schemathesis (all phases incl. stateful, all checks, ~3,000 examples) against the mock over HTTP
fuzz: $(STAMP)
	$(BIN)/python scripts/fuzz.py $(ARGS)

## make bench: the benchmarks (throughput, latency, scale, suite wall time); not part of `make test`
bench: $(STAMP)
	$(BIN)/python -m benchmarks $(ARGS)

## make soak: the quick profile 200 times against correct-but-different servers (ARGS="--runs 20 --jobs 2")
soak: $(STAMP)
	$(BIN)/python -m soak $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis reports
