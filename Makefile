# Two commands on a fresh machine: `make demo` and `make test`. Each does its own set-up in .venv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The CPU build of torch; GPU users may set TORCH_SPEC to a CUDA build (any 2.x the pyproject range admits).
TORCH_SPEC ?= torch==2.13.0
STAMP := $(VENV)/.installed

.PHONY: setup demo test lint bench validity clean

$(STAMP): pyproject.toml clients/python/pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "HireLens needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip wheel
	$(BIN)/python -m pip install --quiet "$(TORCH_SPEC)"
	$(BIN)/python -m pip install --quiet -e clients/python -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(BIN)/hirelens demo

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python protos/generate.py --check

test: lint
	$(BIN)/pytest

bench: setup
	$(BIN)/pytest bench --benchmark-enable --benchmark-columns=min,mean,max,rounds

# Not part of `make test`: scores the labelled corpora in ../shared/data (about 30 minutes on 2 cores; the
# analyses are cached in .validity-cache/) and writes docs/VALIDITY.md.
validity: setup
	$(BIN)/python -m bench.validity

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .benchmarks .validity-cache
