# corridor: the two commands of the README, and the steps they need.
#   make demo       build the Luzon network, compare the portfolios and write the maps
#   make test       run the whole test suite (installs what it needs first)
#   make test-fast  the fast tier for the working loop: every module, no test marked slow

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.corridor-installed

.PHONY: demo test test-fast lint install assets browser clean

demo: $(STAMP)
	$(BIN)/corridor map --out maps/luzon_base.html
	$(BIN)/corridor map --portfolio portfolios/lec_core.yaml --out maps/lec_core.html
	$(BIN)/corridor compare portfolios/committed.yaml portfolios/lec_core.yaml portfolios/lec_full.yaml --map maps/compare.html
	$(BIN)/corridor route "Clark International Airport" "Port of Manila" --mode road

test: $(STAMP) assets browser
	$(BIN)/python -m pytest -n auto

test-fast: $(STAMP) assets browser
	$(BIN)/python -m pytest -n auto -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

install: $(STAMP)

$(STAMP): pyproject.toml
	PYTHON=$(PYTHON) VENV=$(VENV) bash scripts/bootstrap-python
	@touch $@

assets: node_modules/.corridor-installed

node_modules/.corridor-installed: package.json package-lock.json
	bash scripts/bootstrap-assets
	@touch $@

browser:
	bash scripts/ensure-chromium

clean:
	rm -rf $(VENV) node_modules maps/*.html
