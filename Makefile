# Everything a new user needs: `make demo` runs the main job on an embedded default,
# `make test` runs every test. Both create .venv and install the project on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYAIRBYTE_VENV ?= .venv-pyairbyte
PYAIRBYTE_STAMP := $(PYAIRBYTE_VENV)/.installed

.PHONY: install test unit integration demo bench schemas clean test-pyairbyte image image-test

# First use: a virtualenv and the project in it (a minute or two; pip reports each step).
$(STAMP): setup.py
	@echo "==> Creating $(VENV) and installing the project into it (first use only)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	-$(BIN)/pip uninstall --quiet --yes destination-sense 2>/dev/null  # the distribution's name before 0.1.0's rename
	$(BIN)/pip install --progress-bar on -e '.[dev]'
	@echo "==> Installed; the console scripts are in $(BIN) (source $(BIN)/activate to use them by name)"
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
	-$(PYAIRBYTE_VENV)/bin/pip uninstall --quiet --yes destination-sense 2>/dev/null
	$(PYAIRBYTE_VENV)/bin/pip install --quiet -e '.[dev]' -r requirements-pyairbyte.txt
	touch $(PYAIRBYTE_STAMP)

test-pyairbyte: $(STAMP) $(PYAIRBYTE_STAMP)
	AIRBYTE_OFFLINE_MODE=1 DO_NOT_TRACK=1 PYAIRBYTE_REQUIRED=1 PYAIRBYTE_CONNECTOR_BIN=$(abspath $(BIN)) \
		$(PYAIRBYTE_VENV)/bin/python -m pytest -m pyairbyte integration_tests/test_pyairbyte_chain.py

demo: $(STAMP)
	$(BIN)/python -m sense_demo

# Connector images (needs a Docker daemon): the pinned bases, else the stand-ins of
# scripts/build_stand_in_base.sh; BASE=pinned or BASE=stand-in forces one. See README "Docker images".
image: $(STAMP)
	$(BIN)/python scripts/build_images.py --base $(or $(BASE),auto)

# Builds the images and runs them against the emulators; skips (with the reason) without a daemon or a base.
image-test: $(STAMP)
	$(BIN)/python -m pytest -m image integration_tests/test_images.py

bench: $(STAMP)
	$(BIN)/python bench/run.py

schemas: $(STAMP)
	$(BIN)/python -m sense_api.generate_schemas
	$(BIN)/python -m source_ats.generate_schemas

clean:
	rm -rf $(VENV) $(PYAIRBYTE_VENV) build *.egg-info demo-output
