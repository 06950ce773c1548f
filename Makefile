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

.PHONY: install lock test unit integration demo bench schemas clean test-pyairbyte image image-test

# Locks (docs: README "Locked dependencies"): requirements/NAME.lock is made by `make lock` from
# requirements/NAME.in and pins every third-party package, with its hashes: dev (this virtualenv), build
# (pip, setuptools, wheel), tools (uv, what `make lock` runs), destination and receiver (the images),
# pyairbyte (.venv-pyairbyte). Our own distributions are not in them: they are this checkout, installed
# with --no-deps after the locked packages, so every package that comes from an index is hash-checked.
LOCKS := build tools dev destination receiver pyairbyte
OURS := sense-api sense-dev-tools airbyte-source-ats airbyte-destination-sense sense-writeback airbyte-source-sense-writebacks
LOCK_VENV ?= .venv-lock
# Python 3.11 (the images' and CI's), markers for every platform; pins already in a lock are kept unless
# UPGRADE=1 (then the newest versions the ranges allow).
UV_COMPILE = $(LOCK_VENV)/bin/uv pip compile --quiet --generate-hashes --universal --python-version 3.11 \
	--custom-compile-command "make lock" $(foreach p,$(OURS),--no-emit-package $(p)) $(if $(UPGRADE),--upgrade)

# A locked virtualenv: the build tools, then the lock NAME ($(2)), then our distributions without their
# dependencies (all in the lock), then pip check (the lock satisfies every setup.py).
define locked_venv
	$(PYTHON) -m venv $(1)
	$(1)/bin/pip install --quiet --require-hashes -r requirements/build.lock
	-$(1)/bin/pip uninstall --quiet --yes destination-sense 2>/dev/null  # the one distribution of before 0.1.0
	$(1)/bin/pip install --progress-bar on --require-hashes -r requirements/$(2).lock
	rm -rf $(foreach d,$(DISTRIBUTIONS),$(d)/*.egg-info)  # left by older installs, they would shadow the installed metadata
	$(1)/bin/pip install --quiet --no-deps --no-build-isolation $(EDITABLES)
	$(1)/bin/pip check
endef

# First use: a virtualenv and every distribution in it (a minute or two; pip reports each step).
$(STAMP): $(SETUPS) requirements/build.lock requirements/dev.lock
	@echo "==> Creating $(VENV) and installing the distributions into it (first use only): $(DISTRIBUTIONS)"
	$(call locked_venv,$(VENV),dev)
	@echo "==> Installed; the console scripts are in $(BIN) (source $(BIN)/activate to use them by name)"
	touch $(STAMP)

# Refresh the locks after a change of a setup.py or a .in file (one command; ~30 s with uv's cache).
lock:
	@test -x $(LOCK_VENV)/bin/uv || { $(PYTHON) -m venv $(LOCK_VENV) && \
	  $(LOCK_VENV)/bin/pip install --quiet --require-hashes -r requirements/tools.lock; }
	@pids=""; for name in $(LOCKS); do \
	  $(UV_COMPILE) requirements/$$name.in -o requirements/$$name.lock & pids="$$pids $$!"; done; \
	  failed=0; for pid in $$pids; do wait $$pid || failed=1; done; [ $$failed = 0 ] || { echo "==> make lock failed"; exit 1; }
	@echo "==> locked: $(foreach n,$(LOCKS),requirements/$(n).lock)"

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

# PyAirbyte gets its own virtualenv and lock (requirements/pyairbyte.in says why); the connectors it drives are .venv's.
$(PYAIRBYTE_STAMP): $(SETUPS) requirements/build.lock requirements/pyairbyte.lock
	$(call locked_venv,$(PYAIRBYTE_VENV),pyairbyte)
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
	rm -rf $(VENV) $(PYAIRBYTE_VENV) $(LOCK_VENV) build *.egg-info demo-output
