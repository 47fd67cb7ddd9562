# Two commands for a fresh machine: `make demo` and `make test`. Each builds the virtual
# environment it needs in .venv (Python 3.11 or newer as $(PYTHON)).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_DB := examples/chat/chat.db

.PHONY: demo test lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	@rm -f $(DEMO_DB)
	@$(BIN)/python examples/chat/make_database.py sqlite:///$(DEMO_DB)
	@echo "$$ schemadoctor check --models examples/chat/models.py --db sqlite:///$(DEMO_DB)"
	@$(BIN)/schemadoctor check --models examples/chat/models.py --db sqlite:///$(DEMO_DB); \
	  status=$$?; echo "schemadoctor exited with $$status (0 in sync, 1 drift found, 2 error)"

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) $(DEMO_DB) .pytest_cache .ruff_cache .mypy_cache
