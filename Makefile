# The course's commands. `make lab` opens the course; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FAST ?=

.PHONY: lab test unit browser book notebooks nav lint format clean

$(BIN)/activate: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python tools/book.py --fetch-mermaid  # the book's one download (npm); then offline
	touch $(BIN)/activate

## Set up (first time only) and open the course in JupyterLab.
lab: $(BIN)/activate
	$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root,) notebooks

## Set up (first time only), lint, then run the unit tests, the docstring examples, every
## notebook with nbval, and in headless Chromium (skipped when Chromium is missing) every
## notebook in JupyterLab, one notebook as slides and the offline book.
test: $(BIN)/activate lint
	GAN_COURSE_FAST=1 $(BIN)/python -m pytest --nbval-lax --nbval-current-env --doctest-modules \
		gan_helpers tests notebooks

## Unit, structure and docstring tests, without the slow ones (under a minute).
unit: $(BIN)/activate
	$(BIN)/python -m pytest -p no:nbval -m "not slow" --doctest-modules gan_helpers tests --ignore=tests/browser

## Build the offline HTML book in build/book/ from the stored outputs (seconds, no network:
## the set-up step fetched Mermaid with npm). Open build/book/index.html.
book: $(BIN)/activate
	$(BIN)/python tools/book.py

## Re-run every notebook top to bottom and store its outputs (FAST=1 for a quick run).
notebooks: $(BIN)/activate
	$(BIN)/python tools/execute.py $(if $(FAST),--fast,)

## Rewrite navigation bars, Colab badges, ModelScope links and the README course map, then
## the slide metadata (tools/slides.py).
nav: $(BIN)/activate
	$(BIN)/python tools/nav.py
	$(BIN)/python tools/slides.py

lint: $(BIN)/activate
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(BIN)/activate
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

## Only the browser tests: every notebook in real JupyterLab, the slides and the offline book
## (needs apt-get install chromium).
browser: $(BIN)/activate
	$(BIN)/python -m pytest tests/browser
