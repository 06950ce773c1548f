# Everything a new user needs: `make demo` runs the main job on an embedded default,
# `make test` runs every suite. Both create .venv and install every distribution in it on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(abspath $(BIN))/python
STAMP := $(VENV)/.installed
PYAIRBYTE_VENV ?= .venv-pyairbyte
PYAIRBYTE_STAMP := $(PYAIRBYTE_VENV)/.installed

# The distributions, one per deliverable (the repository root is destination-sense), in dependency order.
# Each has its own setup.py and its own unit_tests/ and integration_tests/; `make test SUITES=source-ats`
# runs one of them.
DISTRIBUTIONS := sense-api dev-tools source-ats . sense-writeback source-sense-writebacks
SUITES ?= $(DISTRIBUTIONS)
SETUPS := $(foreach d,$(DISTRIBUTIONS),$(d)/setup.py)
# every distribution editable with its test extras, in one pip run (so each finds the others here)
EDITABLES := $(foreach d,$(DISTRIBUTIONS),-e '$(d)[tests]')

.PHONY: install test unit integration demo bench schemas clean test-pyairbyte image image-test

# First use: a virtualenv and every distribution in it (a minute or two; pip reports each step).
$(STAMP): $(SETUPS)
	@echo "==> Creating $(VENV) and installing the distributions into it (first use only): $(DISTRIBUTIONS)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	-$(BIN)/pip uninstall --quiet --yes destination-sense 2>/dev/null  # the one distribution of before 0.1.0
	$(BIN)/pip install --progress-bar on $(EDITABLES)
	@echo "==> Installed; the console scripts are in $(BIN) (source $(BIN)/activate to use them by name)"
	touch $(STAMP)

install: $(STAMP)

# Each suite runs in its own directory (its tests are the packages unit_tests and integration_tests
# there), one pytest process each, the test directories in the order given (unit before integration)
# and one header line per suite; every suite runs, and the target fails if any failed.
define run_suites
	@failed=""; for d in $(SUITES); do \
	  dirs=""; for t in $(1); do [ -e "$$d/$$t" ] && dirs="$$dirs $$t"; done; [ -n "$$dirs" ] || continue; \
	  echo "==> $$d:$$dirs"; \
	  (cd $$d && $(PY) -m pytest $$dirs) || failed="$$failed $$d"; \
	done; \
	if [ -n "$$failed" ]; then echo "==> FAILED suites:$$failed"; exit 1; fi; echo "==> all suites passed: $(SUITES)"
endef

test: $(STAMP)
	$(call run_suites,unit_tests integration_tests)

unit: $(STAMP)
	$(call run_suites,unit_tests)

integration: $(STAMP)
	$(call run_suites,integration_tests)

# PyAirbyte gets its own virtualenv (see requirements-pyairbyte.txt); the connectors it drives are .venv's.
$(PYAIRBYTE_STAMP): $(SETUPS) requirements-pyairbyte.txt
	$(PYTHON) -m venv $(PYAIRBYTE_VENV)
	$(PYAIRBYTE_VENV)/bin/pip install --quiet --upgrade pip
	-$(PYAIRBYTE_VENV)/bin/pip uninstall --quiet --yes destination-sense 2>/dev/null
	$(PYAIRBYTE_VENV)/bin/pip install --quiet $(EDITABLES) -r requirements-pyairbyte.txt
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
	$(call run_suites,integration_tests/test_image.py)

bench: $(STAMP)
	$(BIN)/python bench/run.py

schemas: $(STAMP)
	$(BIN)/python -m sense_api.generate_schemas
	$(BIN)/python -m source_ats.generate_schemas

clean:
	rm -rf $(VENV) $(PYAIRBYTE_VENV) build *.egg-info demo-output
