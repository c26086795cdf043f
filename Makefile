# Every target sets itself up: the first use creates .venv and installs the project into it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test lint run sandbox demo bench faults clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --upgrade pip >/dev/null
	@$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check bot storage devtools tests bench
	$(BIN)/ruff format --check bot storage devtools tests bench
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest -q $(ARGS)

faults: $(STAMP)
	$(BIN)/python -m pytest -q -m faults $(ARGS)

run: $(STAMP)
	$(BIN)/python -m bot run $(ARGS)

sandbox: $(STAMP)
	$(BIN)/python -m devtools sandbox serve $(ARGS)

demo: $(STAMP)
	$(BIN)/python -m devtools demo $(ARGS)

bench: $(STAMP)
	$(BIN)/python -m bench $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
