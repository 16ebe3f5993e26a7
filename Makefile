# One command surface for developers. The README's two commands and .ci/run do not need make.
.DEFAULT_GOAL := help
UV ?= uv

.PHONY: help install test test-slow lint format bench bench-settlement demo

help: ## Show this help
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

install: ## Install the locked dependencies (dev group)
	$(UV) sync --frozen

test: ## Run the test suite (fast; slow suites excluded)
	$(UV) run --frozen pytest

test-slow: ## Run the slow suites too (large populations, long property runs)
	$(UV) run --frozen pytest -m "slow or not slow" --hypothesis-profile ci

lint: ## ruff and mypy --strict
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check src tests benchmarks
	$(UV) run --frozen mypy

format: ## Format the code
	$(UV) run --frozen ruff format src tests benchmarks

bench: ## Engine benchmark against OpenFisca (100k, 1M, 5M persons)
	$(UV) run --frozen --group bench python -m benchmarks.run

bench-settlement: ## Settlement benchmarks: 1M round, 5M simulation, self-check latency
	$(UV) run --frozen python -m benchmarks.bench_settlement_rank --size 1M
	$(UV) run --frozen python -m benchmarks.bench_settlement_round_db --size 100k --assessments empty
	$(UV) run --frozen python -m benchmarks.bench_settlement_simulate
	$(UV) run --frozen python -m benchmarks.bench_selfcheck --requests 200

demo: ## Generate the demo population and simulate it
	$(UV) run --frozen liudong simulate --demo
