# One target per task; `make` alone lists them. Recipes call .venv/bin/... directly.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export FUNCTION_PORT ?= 8080
export SITE_PORT ?= 8000
# MNIST: the shared copy beside the repository when there is one; empty means download and cache.
export MNIST_DIR ?= $(wildcard $(abspath ../shared/data/mnist))

.DEFAULT_GOAL := help
.PHONY: help dev test lint format model bench deploy destroy clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-8s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): functions/requirements.txt requirements-dev.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt -e .
	touch $@

dev: $(STAMP) ## run the whole app locally: S3 emulated, function on :8080, site on :8000
	$(BIN)/python -m infra.local_stack

test: $(STAMP) lint ## install what the tests need and run every test
	$(BIN)/python -m pytest

lint: $(STAMP) ## check style with ruff
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP) ## fix style with ruff
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

model: $(STAMP) ## train the forest on MNIST (MNIST_DIR or --data-dir) and write the artifact
	$(BIN)/python -m model.train $(TRAIN_ARGS)

bench: $(STAMP) ## measure accuracy, speed and memory; writes bench/results.json
	$(BIN)/python -m bench.run

clean: ## remove the virtualenv, caches and build output
	rm -rf $(VENV) .aws-sam .pytest_cache .ruff_cache .hypothesis test-artifacts
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
