# Hookline: `make run` starts the local stack, `make test` runs every test tier. Both set themselves up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export PYTHONPATH := functions:.
LAYER_DIR := layers/build

.PHONY: install run test test-unit test-integration test-infra test-e2e test-browser screenshots lint synth layer deploy bench chaos clean

$(VENV)/.installed: pyproject.toml layers/requirements.txt
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11+ is required"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json
	npm install --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed node_modules/.installed

$(LAYER_DIR)/.built: layers/requirements.txt layers/build.sh
	bash layers/build.sh $(LAYER_DIR)
	touch $@

layer: $(LAYER_DIR)/.built

run: $(VENV)/.installed
	$(BIN)/python -m infra.local

test: install layer
	$(BIN)/python -m tests.browser.chromium
	$(BIN)/python -m pytest tests

test-unit: $(VENV)/.installed
	$(BIN)/python -m pytest tests/unit

test-integration: $(VENV)/.installed
	$(BIN)/python -m pytest tests/integration

test-infra: install layer
	$(BIN)/python -m pytest tests/infra

test-e2e: $(VENV)/.installed
	$(BIN)/python -m pytest tests/e2e

test-browser: $(VENV)/.installed
	$(BIN)/python -m tests.browser.chromium
	$(BIN)/python -m pytest tests/browser

screenshots: $(VENV)/.installed
	HOOKLINE_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest tests/browser/test_story.py -k whole_story

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

synth: install layer
	PATH="$(CURDIR)/$(BIN):$$PATH" npx cdk synth --quiet

deploy: install layer
	PATH="$(CURDIR)/$(BIN):$$PATH" npx cdk deploy --require-approval never

bench: install
	$(BIN)/python -m bench $(ARGS)

chaos: $(VENV)/.installed
	$(BIN)/python -m infra.local.chaos $(ARGS)

clean:
	rm -rf $(VENV) node_modules cdk.out $(LAYER_DIR)
