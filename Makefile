# The anklet: two commands for a new user (`make demo`, `make test`); everything they need is installed into the
# checkout (.venv, node_modules, build/). See README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
export PATH := $(CURDIR)/$(BIN):$(CURDIR)/node_modules/.bin:$(PATH)
export PYTHONDONTWRITEBYTECODE := 1

BOARD ?=
PORT ?=

.PHONY: all setup test lint typecheck fmt demo bench budget deploy boards sim clean distclean help
all: test

help:
	@echo "make demo    set up, then run the main job on the virtual anklet"
	@echo "make test    set up, then run every check and test"
	@echo "make bench   detector speed and allocation figures"
	@echo "make budget  the firmware's heap, native code and FIFO headroom per board, as an ESP32 has them (~5 min)"
	@echo "make train   re-fit the detector's stride classifier and print its accuracy table (~5 min)"
	@echo "make deploy BOARD=<name> PORT=<serial port>   put the firmware on a board"

# ------------------------------------------------------------------------------------------------------------- set-up
setup: $(VENV)/.stamp node_modules/.stamp build/typings/.stamp

$(VENV)/.stamp: pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "anklet needs Python 3.11 or newer, found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $@

node_modules/.stamp: package.json package-lock.json
	@command -v node >/dev/null || { echo "anklet needs Node.js 20 or newer (node not found on PATH)"; exit 1; }
	@node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' \
	  || { echo "anklet needs Node.js 20 or newer, found $$(node --version)"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

build/typings/.stamp: requirements-stubs.lock $(VENV)/.stamp
	rm -rf build/typings
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --target build/typings -r requirements-stubs.lock
	@touch $@

# --------------------------------------------------------------------------------------------------------------- checks
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: setup
	$(BIN)/mypy
	node_modules/.bin/pyright --project pyrightconfig.json

# The suite compiles every firmware file with mpy-cross (bytecode and native for each board architecture) and runs the
# firmware under the real MicroPython; see tests/conftest.py.
test: lint typecheck
	$(BIN)/pytest

# ----------------------------------------------------------------------------------------------------------- main jobs
demo: setup
	$(BIN)/anklet demo

bench: setup
	$(BIN)/anklet bench

# The firmware as deployed, per board file, on the virtual anklet in budget mode (heap measured between steps).
budget: setup
	$(BIN)/python -m anklet_host.budget $(BOARD)

# Re-fit the detector's stride classifier and print its figures (~5 min). It writes build/train_detector/mlp_weights/;
# adopt it by copying its files over firmware/anklet/mlp_weights/ (or run: python -m tools.train_detector) when its
# figures are no worse than the README's.
train: setup
	$(BIN)/python -m tools.train_detector --out build/train_detector/mlp_weights

boards: setup
	$(BIN)/anklet boards

# The virtual anklet: prints its console ports (pty and socket://) and runs until Ctrl-C.
sim: setup
	$(BIN)/anklet sim $(if $(BOARD),--board $(BOARD)) --socket 0

deploy: setup
	@test -n "$(BOARD)" || { echo "usage: make deploy BOARD=<name> PORT=<serial port>  (boards: make boards)"; exit 2; }
	@test -n "$(PORT)" || { echo "usage: make deploy BOARD=<name> PORT=<serial port>"; exit 2; }
	$(BIN)/anklet deploy --board $(BOARD) --port $(PORT)

clean:
	rm -rf build/mpy .pytest_cache .mypy_cache .ruff_cache .hypothesis

distclean: clean
	rm -rf $(VENV) node_modules build
