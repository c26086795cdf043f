# Every target sets itself up: the first use creates its venv and installs into it from the lock
# files in requirements/ (hashes checked; deploy/install.sh is the one install script).
#   .venv      development: the project editable plus linters, tests and devtools (make test, demo)
#   .venv-run  runtime only: what `make install` builds and `make run` / `make backup` use
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RUN_VENV := .venv-run
RUN_STAMP := $(RUN_VENV)/.installed
SOURCES := $(shell find bot storage -name '*.py' 2>/dev/null)
export PYTHON

.PHONY: test lint install run backup sandbox demo bench faults lock check-install clean

$(STAMP): pyproject.toml requirements/dev.txt deploy/install.sh
	@deploy/install.sh $(VENV) dev
	@touch $(STAMP)

$(RUN_STAMP): pyproject.toml requirements/runtime.txt deploy/install.sh $(SOURCES)
	@deploy/install.sh $(RUN_VENV) runtime
	@touch $(RUN_STAMP)

lint: $(STAMP)
	$(BIN)/ruff check bot storage devtools tests bench
	$(BIN)/ruff format --check bot storage devtools tests bench
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest -q $(ARGS)

faults: $(STAMP)
	$(BIN)/python -m pytest -q -m faults $(ARGS)

install: $(RUN_STAMP)

run: $(RUN_STAMP)
	$(RUN_VENV)/bin/python -m bot run $(ARGS)

backup: $(RUN_STAMP)
	$(RUN_VENV)/bin/python -m bot backup $(ARGS)

sandbox: $(STAMP)
	$(BIN)/python -m devtools sandbox serve $(ARGS)

demo: $(STAMP)
	$(BIN)/python -m devtools demo $(ARGS)

bench: $(STAMP)
	$(BIN)/python -m bench $(ARGS)

# Refresh the lock files from PyPI (only PyPI: this machine's pip settings are left out).
# runtime.txt: the single-shop bot; platform.txt: that plus the platform extra (psycopg,
# cryptography), compiled against runtime.txt; dev.txt: everything, against platform.txt. So a
# package has one version in all three.
# Upgrade one package: make lock ARGS='--upgrade-package starlette'; all: ARGS=--upgrade.
LOCK_FLAGS := -q --strip-extras --generate-hashes --allow-unsafe \
	--no-emit-index-url --no-emit-find-links
lock: $(STAMP)
	PIP_CONFIG_FILE=/dev/null PIP_FIND_LINKS= PIP_CONSTRAINT= \
		$(BIN)/pip-compile $(LOCK_FLAGS) $(ARGS) -o requirements/runtime.txt pyproject.toml
	PIP_CONFIG_FILE=/dev/null PIP_FIND_LINKS= PIP_CONSTRAINT= \
		$(BIN)/pip-compile $(LOCK_FLAGS) $(ARGS) --extra platform -c requirements/runtime.txt \
		-o requirements/platform.txt pyproject.toml
	PIP_CONFIG_FILE=/dev/null PIP_FIND_LINKS= PIP_CONSTRAINT= \
		$(BIN)/pip-compile $(LOCK_FLAGS) $(ARGS) --extra dev -c requirements/platform.txt \
		-o requirements/dev.txt pyproject.toml

# CI: the runtime and platform installs as the Dockerfile and the systemd unit do them, each in a
# fresh venv.
check-install:
	$(PYTHON) deploy/check_install.py

clean:
	rm -rf $(VENV) $(RUN_VENV) .pytest_cache .mypy_cache .ruff_cache
