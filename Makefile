# The two commands a reader needs first:
#   make book   create .venv, install everything, build the HTML book
#   make test   lint, unit tests, notebook checks, the book, nbval, browser
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DATA_DIR := /usr/share/datasets/fashion-mnist
# Torch on one thread in every kernel (the book build sets the same in
# _ext/d2lbook.py): nbval, make seeds and make rerun then run the notebooks
# exactly as the build did, and a sum split over two threads cannot round
# differently from the build's.
export OMP_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1

.PHONY: book test unit nbval browser browser-pages jupyterlab colab-cells bench lint data env clean \
	seeds rerun \
	help

help:
	@echo "make book   build the HTML book into _build/html"
	@echo "make test   run every test (unit, notebooks, book, browser)"
	@echo "make bench  time data loading and one epoch of training"
	@echo "make seeds  run every notebook with 30 other seeds, print a table"
	@echo "make rerun  run every cell of every notebook twice in a row"
	@echo "make colab-cells  rewrite each notebook's Colab install cell"
	@echo "            from repository.url in _config.yml"

# -- environment ---------------------------------------------------------
env: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

# Fashion-MNIST, offline: Debian's dataset-fashion-mnist package. Without
# root or apt, d2lutils downloads the files on first use instead.
data:
	@if [ -d $(DATA_DIR) ]; then :; \
	elif command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    dataset-fashion-mnist >/dev/null; \
	else \
	  echo "note: $(DATA_DIR) missing and no root apt-get; d2lutils will"; \
	  echo "      download Fashion-MNIST on first use (see README)"; \
	fi

# -- the book ----------------------------------------------------------------
# The build cache is keyed on notebook code only: drop it when d2lutils
# changes so no page shows outputs of older library code.
_build/.d2lutils-stamp: $(shell find d2lutils -type f -not -path '*/__pycache__/*')
	rm -rf _build/.jupyter_cache _build/.doctrees
	mkdir -p _build && touch $@

# tools/build_book.py: a failed notebook fails this build and every later
# one until it is fixed (no stale cache hides it); no page may show a
# traceback.
# The book's Sphinx extension and its stylesheet and script: Sphinx does
# not copy a changed static file when no page changed, so re-read the
# pages (the executed notebooks stay cached).
_build/.ext-stamp: $(shell find _ext zh -type f -not -path '*/__pycache__/*')
	rm -rf _build/.doctrees _build/zh-src/_build/.doctrees
	mkdir -p _build && touch $@

book: $(STAMP) data _build/.d2lutils-stamp _build/.ext-stamp
	$(BIN)/python tools/build_book.py .
	@echo "open _build/html/index.html"

# -- tests ---------------------------------------------------------------
# The unit tests and the doctests of d2lutils (testpaths in pyproject.toml).
unit: $(STAMP) data
	$(BIN)/python -m pytest -m "not browser"

# nbval re-runs every notebook and compares each cell tagged
# nbval-check-output with the output of the book build's run (kept in
# its jupyter-cache): the numbers a reader sees must come out the same on
# every run. Needs `make book` first (`make test` does that).
nbval: $(STAMP) data
	$(BIN)/python tools/nbval_references.py _build
	$(BIN)/python -m pytest -p no:cacheprovider --nbval-lax \
	  --nbval-cell-timeout=600 -o addopts="" -o testpaths="" _build/nbval

# Every page of _build/html in Debian's chromium (Playwright), offline:
# console errors, maths typeset, images, links and anchors, Colab buttons,
# no test machinery, every static slider moved; screenshots go to
# _build/screenshots/. Then each slider section in a live JupyterLab
# (tests/test_jupyterlab.py): run all cells, move the slider, new figure.
# Two runs: test_browser.py keeps one Playwright session open for all the
# pages, and Playwright's sync API cannot start a second one beside it.
browser: browser-pages jupyterlab

browser-pages: $(STAMP)
	$(BIN)/python -m pytest tests -m browser --ignore=tests/test_jupyterlab.py

jupyterlab: $(STAMP)
	$(BIN)/python -m pytest tests/test_jupyterlab.py -m browser

# The first cell of every notebook installs d2lutils on Colab from the
# repository named in _config.yml (repository.url, the one place it is
# written). After changing that address run this and commit the notebooks;
# tests/test_colab.py fails while any notebook differs.
colab-cells: $(STAMP)
	$(BIN)/python tools/colab_cell.py --write

# Two lanes on two cores: the unit tests beside the book build (whose
# kernels use one thread), then nbval beside the browser tests (both only
# read the built book). Each job's output is printed whole when it ends.
test: lint
	$(MAKE) -j2 --output-sync=target unit book
	$(MAKE) -j2 --output-sync=target nbval browser

# ruff (configured in pyproject.toml) over the package, tests, benchmarks and
# the code cells of every notebook (lines <= 79 characters, as in the book).
lint: $(STAMP)
	$(BIN)/ruff check d2lutils tests benchmarks tools _ext chapters
	$(BIN)/ruff format --check d2lutils tests benchmarks tools _ext
	$(BIN)/actionlint

bench: $(STAMP) data
	$(BIN)/python benchmarks/bench_data.py

# Every notebook again with other values of its `parameters` cell, through
# papermill: 30 seeds (200-229) that no notebook commits and that the
# claims of the text were not tuned on (those sweeps used 100-129); prints
# a section x seed table and fails if any cell fails, so every assert on a
# page is checked over 30 draws. SEEDS="1 2 3" or
# NOTEBOOKS="chapters/.../x.ipynb" narrow it.
SEEDS ?= $(shell seq 200 229)
seeds: $(STAMP) data
	$(BIN)/python tools/seeds.py --seeds "$(SEEDS)" $(NOTEBOOKS)

# Every code cell run twice in a row, as a reader re-runs a cell after
# changing a hyperparameter (tools/rerun.py); NOTEBOOKS= narrows it.
rerun: $(STAMP) data
	$(BIN)/python tools/rerun.py $(NOTEBOOKS)

clean:
	rm -rf _build
