# The course's commands. `make lab` opens the course; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FAST ?=

.PHONY: lab test unit browser notebooks nav lint format clean

$(BIN)/activate: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(BIN)/activate

## Set up (first time only) and open the course in JupyterLab.
lab: $(BIN)/activate
	$(BIN)/jupyter lab notebooks

## Set up (first time only), lint, then run the unit tests, every notebook with nbval, and
## every notebook in JupyterLab in headless Chromium (skipped when Chromium is missing).
test: $(BIN)/activate lint
	GAN_COURSE_FAST=1 $(BIN)/python -m pytest --nbval-lax --nbval-current-env tests notebooks

## Unit and structure tests only (seconds).
unit: $(BIN)/activate
	$(BIN)/python -m pytest tests --ignore=tests/browser

## Re-run every notebook top to bottom and store its outputs (FAST=1 for a quick run).
notebooks: $(BIN)/activate
	$(BIN)/python tools/execute.py $(if $(FAST),--fast,)

## Rewrite navigation bars, Colab badges and the README course map.
nav: $(BIN)/activate
	$(BIN)/python tools/nav.py

lint: $(BIN)/activate
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(BIN)/activate
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

## Only the browser test: every notebook in real JupyterLab (needs apt-get install chromium).
browser: $(BIN)/activate
	$(BIN)/python -m pytest tests/browser
