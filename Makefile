# One target per task; `make` alone lists them. Recipes call .venv/bin/... directly.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# aws-sam-cli gets its own venv: its boto3 range conflicts with the pin in requirements-dev.txt.
SAM_VENV := .venv-sam
SAM := $(SAM_VENV)/bin/sam
SAM_CLI_VERSION := 1.170.0
SAM_STAMP := $(SAM_VENV)/.installed-$(SAM_CLI_VERSION)
export SAM_CLI_TELEMETRY ?= 0
# The browser tests drive Debian's Chromium (playwright cannot download its own build here).
CHROMIUM := /usr/bin/chromium
# ... and load axe-core into the page, pinned in tests/e2e/package-lock.json (npm ci installs it).
E2E_NODE := tests/e2e/node_modules/.installed
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# MNIST: the shared copy beside the repository when there is one; empty means download and cache.
export MNIST_DIR ?= $(wildcard $(abspath ../shared/data/mnist))

.DEFAULT_GOAL := help
.PHONY: help dev test quick lint format model bench images retrain deploy destroy clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-8s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): functions/requirements.txt functions/requirements-local.txt requirements-dev.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt -e .
	touch $@

$(SAM_STAMP):
	test -x $(SAM_VENV)/bin/python || $(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(SAM_VENV)/bin/python -m pip install --quiet aws-sam-cli==$(SAM_CLI_VERSION)
	touch $@

$(CHROMIUM):
	@command -v apt-get >/dev/null || { echo "install Chromium at $(CHROMIUM) for the browser tests"; exit 1; }
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

$(E2E_NODE): tests/e2e/package.json tests/e2e/package-lock.json
	@command -v npm >/dev/null || { echo "install Node.js and npm for the browser tests (axe-core)"; exit 1; }
	npm ci --prefix tests/e2e --ignore-scripts --no-audit --no-fund
	touch $@

dev: $(STAMP) ## run the whole app locally: S3 emulated, the function and the page on loopback
	$(BIN)/python -m infra.local_stack

# Two workers (pytest-xdist), each given whole files: a module's fixtures (trained models, the
# package) are built once, and each worker runs its own session stack.
test: $(STAMP) $(SAM_STAMP) $(CHROMIUM) $(E2E_NODE) lint ## install what the tests need and run every test, on both cores
	$(BIN)/python -m pytest -n 2 --dist loadfile

quick: $(STAMP) ## while working: unit tests and the in-process API tests, on both cores
	$(BIN)/python -m pytest -q -n 2 tests/unit tests/integration/test_api.py

lint: $(STAMP) ## check style with ruff
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP) ## fix style with ruff
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

model: $(STAMP) ## train the served model on MNIST (MNIST_DIR; MODEL=forest: the forest alone), write artifact and card
	$(BIN)/python -m model.train $(TRAIN_ARGS)

bench: $(STAMP) ## measure accuracy, speed and memory: bench/results.json, RESULTS.md, README figures
	$(BIN)/python -m bench.run

images: $(STAMP) ## list collected images, newest first, with labels (beside make dev, or deployed)
	$(BIN)/python -m infra.images $(IMAGES_ARGS)

retrain: $(STAMP) ## fine-tune on labelled images; promote if the guard agrees (exit 0; 3 refused, 2 error)
	$(BIN)/python -m model.retrain $(RETRAIN_ARGS)

deploy: $(STAMP) $(SAM_STAMP) ## deploy to AWS (guided the first time) and publish the page
	$(BIN)/python -m infra.deploy deploy --sam $(SAM)

destroy: $(STAMP) $(SAM_STAMP) ## empty the buckets and delete the AWS stack
	$(BIN)/python -m infra.deploy destroy --sam $(SAM)

clean: ## remove the virtualenv, caches and build output
	rm -rf $(VENV) $(SAM_VENV) .aws-sam .pytest_cache .ruff_cache .hypothesis test-artifacts tests/e2e/node_modules
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
