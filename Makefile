# Two commands: `make demo` and `make test`. Both create .venv and install labctl on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

export QT_QPA_PLATFORM ?= offscreen
export XDG_RUNTIME_DIR ?= /tmp/labctl-runtime
export MPLBACKEND ?= Agg

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	@mkdir -p $(XDG_RUNTIME_DIR) && chmod 700 $(XDG_RUNTIME_DIR)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[gui,dev]"
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/labctl demo

test: $(STAMP)
	@mkdir -p $(XDG_RUNTIME_DIR) && chmod 700 $(XDG_RUNTIME_DIR)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

bench: $(STAMP)
	cd benchmarks && ../$(BIN)/python run_all.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
