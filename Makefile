# The README's two commands: `make mock` and `make test`. Both install on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# The browser test needs Debian's chromium; without it, `make test` says so and leaves that one
# file out (CI installs chromium and sets REQUIRE_BROWSER=1, so there it always runs).
CHROMIUM := $(shell command -v chromium 2>/dev/null)
BROWSER_ARGS := $(if $(CHROMIUM)$(REQUIRE_BROWSER),,--ignore=tests/browser)
# The TypeScript client recipe needs Node.js and npm; likewise left out with a note where npm is
# missing (CI installs them and sets REQUIRE_NODE=1).
NPM := $(shell command -v npm 2>/dev/null)
NODE_ARGS := $(if $(NPM)$(REQUIRE_NODE),,--ignore=tests/examples/test_typescript_client.py)

# `make test` runs in parallel processes (pytest-xdist): most of its time is waiting (subprocesses,
# servers, timeouts), not CPU. `slow` tests go first (tests/conftest.py) and each worker takes the
# next test when it is done. ARGS come last, so ARGS="-n 0" runs serially and ARGS="-k foo" selects;
# TEST_WORKERS=N changes the number of processes (docs/testing.md).
TEST_WORKERS ?= 4
PARALLEL_ARGS := -n $(TEST_WORKERS) --dist loadgroup
# pytest rewrites the asserts of the tests and of every pytest plugin's whole distribution
# (hypothesis, schemathesis...) and caches the result as bytecode, unless PYTHONDONTWRITEBYTECODE
# is set (this machine, many CI images): then each of the run's pytest processes (workers, the
# suite runs it starts) rewrote them anew, ~8 s of CPU each. The test targets write bytecode
# (into .venv/ and __pycache__/, both git-ignored); see docs/testing.md.
PYTEST := PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest

# Two processes: about 40 s of CPU, a tenth of it waiting for subprocess mocks (docs/testing.md).
FAST_WORKERS ?= 2
# The suite without its two modules that build their tests at collection: tests/selections.py says
# which (read when the target runs, from the venv's Python).
FAST_ARGS = -n $(FAST_WORKERS) --dist loadgroup tests/mock tests/test_openapi.py contract_tests \
	$(shell $(BIN)/python -c 'from tests.selections import WITHOUT_GENERATED as w; print(*w)')

.PHONY: install mock proxy test test-fast lint lint-spec examples fuzz bench load soak mutation clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required (found " + sys.version.split()[0] + ")")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@# pip compiles the packages' bytecode; pytest keeps its own copy of every module it rewrites
	@# (the tests, and the whole distribution of each pytest plugin: schemathesis, hypothesis, faker...).
	@# Written once here, by one collection, instead of by each of `make test`'s five processes at once
	@# on its first run (~4 s of CPU each, docs/testing.md). Collected against the in-process mock
	@# (no CONTRACT_* variable); a failure here is `make test`'s to report.
	@env $(addprefix -u ,$(filter CONTRACT_%,$(.VARIABLES))) $(PYTEST) --collect-only -q -p no:cacheprovider \
		$(BROWSER_ARGS) $(NODE_ARGS) > /dev/null 2>&1 || true
	@touch $(STAMP)

install: $(STAMP)

## make mock: serve the mock on 127.0.0.1:4010 (extra options: make mock ARGS="--port 4011")
mock: $(STAMP)
	$(BIN)/contacts-mock $(ARGS)

## make proxy: the validating proxy on 127.0.0.1:4011 (make proxy ARGS="--upstream https://staging.example.com")
proxy: $(STAMP)
	$(BIN)/contacts-proxy $(ARGS)

## make test: every test (unit, self-tests, hardening, the contract suite in-process and over HTTP)
test: $(STAMP)
	@$(if $(BROWSER_ARGS),echo "NOTE: chromium not found: tests/browser is not run (apt-get install -y chromium)")
	@$(if $(NODE_ARGS),echo "NOTE: npm not found: the TypeScript client recipe is not run (apt-get install -y nodejs npm)")
	$(PYTEST) $(PARALLEL_ARGS) $(BROWSER_ARGS) $(NODE_ARGS) $(ARGS)

## make examples: the generated-client recipes (examples/), generated, type-checked and run against the mock
examples: $(STAMP)
	$(PYTEST) tests/examples $(NODE_ARGS) $(ARGS)

## make test-fast: the edit-run loop (< 30 s, 2 processes): the mock's unit tests and the contract suite in-process,
## without the schemathesis and state-machine modules, the subprocess suites and the planted bugs
test-fast: $(STAMP)
	$(PYTEST) $(FAST_ARGS) $(ARGS)

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

## make load: the contract under load (Locust) against a mock it starts; 20 users for 30 s by default
## (ARGS="--users 50 --time 60s --workers 2"; see docs/load.md)
load: $(STAMP)
	$(BIN)/python scripts/load.py $(ARGS)

## make bench: the benchmarks (throughput, latency, scale, suite wall time); not part of `make test`
bench: $(STAMP)
	$(BIN)/python -m benchmarks $(ARGS)

## make soak: the quick profile 200 times against correct-but-different servers (ARGS="--runs 20 --jobs 2")
soak: $(STAMP)
	$(BIN)/python -m soak $(ARGS)

## make mutation: mutmut over the mock's contract logic, the contract suite as the test; writes
## reports/mutation.json (ARGS="--jobs 1", "--report-only"; see docs/mutation.md)
mutation: $(STAMP)
	$(BIN)/python -m mutation $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis reports mutants
