# The whole set-up on a fresh machine is `make run` or `make test`; both bootstrap
# the pinned toolchain (uv, then the locked virtual environment) on first use.
SHELL := /bin/bash
PYTHON ?= python3.11
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin

export UV_PROJECT_ENVIRONMENT := $(abspath $(VENV))
# The app connects as a role without DDL rights; migrations run as the owner (README, Security).
export DATABASE_URL ?= postgresql+psycopg://loyalty_service@127.0.0.1:5432/loyalty
export LOYALTY_MIGRATION_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/loyalty

.PHONY: bootstrap run test lint format bench faults clean

$(UV):
	@echo "==> installing uv $(UV_VERSION) into $(TOOLS)/"
	@$(PYTHON) -m venv $(TOOLS)
	@$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.installed: uv.lock pyproject.toml | $(UV)
	@echo "==> syncing $(VENV)/ from uv.lock"
	@$(UV) sync --frozen --quiet
	@touch $@

bootstrap: $(VENV)/.installed

lint: bootstrap
	@echo "==> ruff"
	@$(BIN)/ruff check src tests bench
	@$(BIN)/ruff format --check --quiet src tests bench
	@echo "==> mypy"
	@$(BIN)/mypy src

test: lint
	@echo "==> pytest"
	@$(BIN)/pytest

run: bootstrap
	@$(BIN)/loyalty up

format: bootstrap
	@$(BIN)/ruff check --fix --quiet src tests bench
	@$(BIN)/ruff format --quiet src tests bench

bench: bootstrap
	@$(BIN)/python -m bench

# Sagas through the API of a `loyalty up` stack on free ports while it is broken (bench/faults/).
faults: bootstrap
	@$(BIN)/python -m bench.faults $(FAULTS_ARGS)

clean:
	rm -rf $(VENV) $(TOOLS) .mypy_cache .ruff_cache .pytest_cache
