.DEFAULT_GOAL := help
VENV ?= .venv
BIN := $(VENV)/bin

help: ## Show this help
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  %-12s %s\n", $$1, $$2}'

$(BIN)/ctn:
	python3 -m venv $(VENV)
	$(BIN)/pip install -e '.[dev]'

install: $(BIN)/ctn ## Create .venv and install the project with the dev extras

demo: install ## Run everything locally (embedded PostgreSQL, demo data) on :8000
	$(BIN)/ctn demo

test: install ## Run the whole test suite
	$(BIN)/pytest -n auto

lint: install ## ruff (lint + format check) and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install ## Format the code
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migration: install ## New auto migration for one Piccolo app: make migration APP=geo DESC="..."
	PICCOLO_CONF=backend.piccolo_conf $(BIN)/piccolo migrations new $(APP) --auto --desc="$(DESC)"

ci: ## What CI runs, on this checkout
	bash .ci/run

.PHONY: help install demo test lint format migration ci
