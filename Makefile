# Everything a new user needs: `make demo` runs the main job on an embedded default,
# `make test` runs every test. Both create .venv and install the project on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test unit integration demo bench schemas clean

$(STAMP): setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest unit_tests integration_tests

unit: $(STAMP)
	$(BIN)/python -m pytest unit_tests

integration: $(STAMP)
	$(BIN)/python -m pytest integration_tests

demo: $(STAMP)
	$(BIN)/python -m sense_demo

bench: $(STAMP)
	$(BIN)/python bench/run.py

schemas: $(STAMP)
	$(BIN)/python scripts/generate_schemas.py

clean:
	rm -rf $(VENV) build *.egg-info demo-output
