# The two commands of the README: `make run` and `make test`. Everything else is for developers.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DB     ?= var/exposure.duckdb
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test check lint typecheck bench openapi review-queue clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "exposure-screen needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

## run: build the database from the bundled data if absent (or bring it up to date when the bundled data or the
## schema is newer: init adds and updates, keeping what it holds), score it, and serve on http://$(HOST):$(PORT)
run: $(VENV)/.installed
	@if [ ! -f "$(DB)" ] || [ -n "$$(find datasets/data datasets/schema.sql -newer "$(DB)" -print -quit)" ]; then \
		$(BIN)/exposure --db $(DB) init && $(BIN)/exposure --db $(DB) score; fi
	@# Anyone on this machine may read; screening needs a key, made once for local use and kept in var/.
	@if [ ! -f var/local-screen-key.txt ]; then \
		$(BIN)/exposure --db $(DB) keys create --name local --scopes read,screen \
			| sed -n 's/^token (shown once; only its hash is kept): //p' > var/local-screen-key.txt; fi
	@echo "screening key for local use (var/local-screen-key.txt): $$(cat var/local-screen-key.txt)"
	EXPOSURE_ANONYMOUS_SCOPES=read $(BIN)/exposure --db $(DB) serve --host $(HOST) --port $(PORT)

## test: set up and run the test suite (CI runs exactly this)
test: $(VENV)/.installed
	$(BIN)/python -m pytest -q -n auto --dist loadfile

## check: lint and type-check
check: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy service scoring datasets bench tests

## bench: the benchmarks, each printing ratios against a baseline measured in the same run
bench: $(VENV)/.installed
	$(BIN)/python -m bench

## review-queue: load the real ICE/CBP files of $(REAL) into a scratch store, score it and print the top 50 candidates
REAL ?= ../shared/data/real
review-queue: $(VENV)/.installed
	@test -d "$(REAL)/usaspending_cbp_ice_fy2021_2026" || { echo "no real files under $(REAL) (set REAL=...)"; exit 1; }
	@rm -f var/review-queue.duckdb var/review-queue.duckdb.wal
	@$(BIN)/exposure --db var/review-queue.duckdb init > /dev/null
	@$(BIN)/exposure --db var/review-queue.duckdb ingest "$(REAL)"/usaspending_cbp_ice_fy2021_2026/*.csv \
		"$(REAL)"/usaspending_ice_*.csv > /dev/null
	@$(BIN)/exposure --db var/review-queue.duckdb score > /dev/null
	$(BIN)/exposure --db var/review-queue.duckdb candidates --limit 50

## openapi: regenerate the committed OpenAPI contract
openapi: $(VENV)/.installed
	$(BIN)/exposure export-openapi openapi/openapi.json

clean:
	rm -rf $(VENV) var build *.egg-info
