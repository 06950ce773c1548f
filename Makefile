# Everything a new user needs: `make demo` runs the main job on an embedded default,
# `make test` runs every test. Both create .venv and install the project on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYAIRBYTE_VENV ?= .venv-pyairbyte
PYAIRBYTE_STAMP := $(PYAIRBYTE_VENV)/.installed

.PHONY: install test unit integration demo bench schemas clean test-pyairbyte

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

# PyAirbyte gets its own virtualenv (see requirements-pyairbyte.txt); the connectors it drives are .venv's.
$(PYAIRBYTE_STAMP): setup.py requirements-pyairbyte.txt
	$(PYTHON) -m venv $(PYAIRBYTE_VENV)
	$(PYAIRBYTE_VENV)/bin/pip install --quiet --upgrade pip
	$(PYAIRBYTE_VENV)/bin/pip install --quiet -e '.[dev]' -r requirements-pyairbyte.txt
	touch $(PYAIRBYTE_STAMP)

test-pyairbyte: $(STAMP) $(PYAIRBYTE_STAMP)
	AIRBYTE_OFFLINE_MODE=1 DO_NOT_TRACK=1 PYAIRBYTE_REQUIRED=1 PYAIRBYTE_CONNECTOR_BIN=$(abspath $(BIN)) \
		$(PYAIRBYTE_VENV)/bin/python -m pytest -m pyairbyte integration_tests/test_pyairbyte_chain.py

demo: $(STAMP)
	$(BIN)/python -m sense_demo

bench: $(STAMP)
	$(BIN)/python bench/run.py

schemas: $(STAMP)
	$(BIN)/python -m sense_api.generate_schemas
	$(BIN)/python -m source_ats.generate_schemas

clean:
	rm -rf $(VENV) $(PYAIRBYTE_VENV) build *.egg-info demo-output
