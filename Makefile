# The project's commands. Each target sets up what it needs (idempotently): a fresh clone needs only
# Python >= 3.11, make and network access to the package registries.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=
# make demo EMULATOR=localstack: LocalStack in Docker (localstack/docker-compose.yml, LOCALSTACK_AUTH_TOKEN).
EMULATOR ?= moto
# LocalStack's open-source core on the host (Python 3.13, no Docker) for the tests of the LocalStack path.
LOCALSTACK_VENV := .venv-localstack
LOCALSTACK_STAMP := $(LOCALSTACK_VENV)/.installed
LOCALSTACK_PYTHON ?= $(shell for p in python3.13 "$$(pyenv root 2>/dev/null)"/versions/3.13*/bin/python3.13; do \
	"$$p" -c 'import sys; assert sys.version_info[:2] == (3, 13)' 2>/dev/null && { echo "$$p"; break; }; done)
NPM_STAMP := node_modules/.installed

export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export CDK_DISABLE_CLI_TELEMETRY := true
# cdk.json runs `python -m infra.app`: the venv's python and the pinned CDK CLI come first on PATH.
export PATH := $(CURDIR)/$(VENV)/bin:$(CURDIR)/node_modules/.bin:$(PATH)

.PHONY: help setup test test-future lint typecheck unit integration demo demo-corpus campaign bench layers synth evaluate web localstack-host clean

help: ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade 'pip>=25.1'
	$(BIN)/python -m pip install --quiet -e . --group dev --group infra --group local
	touch $@

setup: $(STAMP) ## create or update the virtualenv (.venv) with every dependency group

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

web: $(NPM_STAMP) ## build the nurses' page (web/, TypeScript + esbuild) into build/web (docs/web.md)
	npm run --silent build:web

layers: $(STAMP) ## build the Lambda dependency layers into build/layers (pip, no Docker; offline after the first run)
	$(BIN)/python layers/build.py

synth: layers $(NPM_STAMP) ## cdk synth with cdk-nag; lists the stacks (one per tenant + the shared one)
	cdk synth --quiet --no-notices
	cdk list --app cdk.out --no-notices

lint: $(STAMP) ## ruff over the whole tree
	$(BIN)/ruff check .

typecheck: $(STAMP) ## mypy: strict on the core package (dho), checked everywhere else
	$(BIN)/mypy layers/core/python/dho functions localstack/localcloud infra layers/build.py evaluation tests

test: lint typecheck layers $(NPM_STAMP) web localstack-host ## lint, type-check and run every test (unit, infra, integration, e2e, browser)
	$(BIN)/pytest $(PYTEST_ARGS)

# No test may depend on today's date: the same tests with the clock moved ahead (libfaketime, Debian's faketime).
FUTURE ?= +90d
test-future: $(STAMP) layers $(NPM_STAMP) ## unit and integration tests with the clock moved 90 days ahead (apt-get install faketime)
	@command -v faketime >/dev/null || { echo "test-future needs faketime (apt-get install faketime)" >&2; exit 1; }
	faketime -f '$(FUTURE)' $(BIN)/pytest tests/unit tests/integration $(PYTEST_ARGS)

unit: $(STAMP) ## only the unit tests (no emulator)
	$(BIN)/pytest tests/unit $(PYTEST_ARGS)

integration: $(STAMP) ## only the tests that go through the moto server
	$(BIN)/pytest tests/integration $(PYTEST_ARGS)

demo: $(STAMP) layers $(NPM_STAMP) web ## the local cloud end to end: real CDK app on moto (EMULATOR=localstack: LocalStack), ~100 patients over MQTT, alerts to nurses
	PYTHONPATH=localstack $(BIN)/python -m localcloud.demo --emulator $(EMULATOR)

# make campaign READINGS=2000: a shorter load part (the full campaign publishes 20,000 readings).
READINGS ?= 20000
campaign: $(STAMP) layers $(NPM_STAMP) ## reliability campaign: hostile input, forgery, load, faults, privacy; table + build/campaign.json
	PYTHONPATH=localstack $(BIN)/python -m localcloud.campaign --readings $(READINGS)

demo-corpus: $(STAMP) ## the events/ corpus through process_readings on a plain moto server (quick)
	$(BIN)/python localstack/corpus_demo.py

# make evaluate PATIENTS=300: a smaller cohort (the issue's measure is 1,000 patients x 90 days).
PATIENTS ?= 1000
DAYS ?= 90
SEED ?= 1
evaluate: $(STAMP) ## cohort from the literature -> python -m dho.replay -> metrics + baselines; EVALUATION.md, plot, build/evaluation.json
	PYTHONPATH=layers/core/python:localstack:. $(BIN)/python -m evaluation run --patients $(PATIENTS) --days $(DAYS) --seed $(SEED)

bench: $(STAMP) layers $(NPM_STAMP) ## scoring kernel, replay, the worklist's latency on the local cloud; writes bench/results/
	$(BIN)/python -m bench.scoring
	PYTHONPATH=localstack:. $(BIN)/python -m bench.replay
	PYTHONPATH=localstack $(BIN)/python -m bench.worklist

localstack-host: $(LOCALSTACK_STAMP) ## LocalStack's core in .venv-localstack (Python 3.13) for the LocalStack path's tests

$(LOCALSTACK_STAMP): localstack/requirements-host.txt
	@if [ -z "$(LOCALSTACK_PYTHON)" ]; then \
	  echo "no Python 3.13 (set LOCALSTACK_PYTHON): the tests against LocalStack's core will be skipped"; \
	else \
	  test -x $(LOCALSTACK_VENV)/bin/python || $(LOCALSTACK_PYTHON) -m venv $(LOCALSTACK_VENV); \
	  $(LOCALSTACK_VENV)/bin/python -m pip install --quiet -r localstack/requirements-host.txt && touch $@; \
	fi

clean: ## remove the virtualenv, build output and caches
	rm -rf $(VENV) $(LOCALSTACK_VENV) build cdk.out .local .pytest_cache .mypy_cache .ruff_cache .hypothesis *.egg-info
