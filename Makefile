# cinepipe: `make run` and `make test` do all set-up on a fresh machine.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FASHION_MNIST := /usr/share/datasets/fashion-mnist

.PHONY: install system-deps test-deps run test test-fast serve bench clean help

help:
	@echo "make run       install, generate the sample, run the nightly flow on it (offline)"
	@echo "make test      install, then the whole test suite (fast and slow tests)"
	@echo "make test-fast install, then the fast default suite only"
	@echo "make serve     Prefect server + UI on 127.0.0.1:4200 with the deployments served"
	@echo "make bench     the benchmarks under benchmarks/"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,dask,s3]'
	touch $(STAMP)

# Debian packages: real Fashion-MNIST for the image branch (installed where missing, as root)
system-deps:
	@if [ ! -d $(FASHION_MNIST) ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist >/dev/null \
	      || echo "note: could not install dataset-fashion-mnist; Fashion-MNIST tests will skip"; \
	  else echo "note: $(FASHION_MNIST) missing and not root: run 'sudo apt-get install dataset-fashion-mnist'"; fi; \
	fi

install: $(STAMP) system-deps

# Debian's Chromium for the browser test of the Prefect UI (installed where missing, as root)
test-deps:
	@if ! command -v chromium >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
	      || echo "note: could not install chromium; the browser test will skip"; \
	  else echo "note: chromium missing and not root: run 'sudo apt-get install chromium' (the browser test skips)"; fi; \
	fi

run: install
	$(BIN)/cinepipe nightly --sample

test: install test-deps
	$(BIN)/pytest -m "not slow"
	$(BIN)/pytest -m slow

test-fast: install
	$(BIN)/pytest

serve: install
	$(BIN)/cinepipe serve

bench: install
	$(BIN)/python benchmarks/ingest_movielens.py
	$(BIN)/python benchmarks/topn.py
	$(BIN)/python benchmarks/nightly_cache.py

clean:
	rm -rf .cinepipe
