# KIM API: the two everyday commands are `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

CARGO ?= cargo
# Settings from .env (see .env.example), when present, for run and bench.
ifneq (,$(wildcard .env))
include .env
export $(shell sed -n 's/^\([A-Z_][A-Z0-9_]*\)=.*/\1/p' .env)
endif
KIM := target/debug/kim
# A development-only signing key, used when KIM_JWT_SECRET is not set. Never use it in production.
DEV_JWT_SECRET := dev-only-secret-change-me-0123456789abcdef
# `kim serve` refuses this published key unless started for development explicitly, which is
# what KIM_DEVELOPMENT=true says (make run and make bench on a developer machine).
ifeq ($(strip $(KIM_JWT_SECRET)),)
KIM_JWT_SECRET := $(DEV_JWT_SECRET)
KIM_DEVELOPMENT := true
export KIM_DEVELOPMENT
endif
export KIM_JWT_SECRET

.PHONY: help run build test lint fmt openapi openapi-lint bench deps clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-15s %s\n", $$1, $$2}'

deps: ## Install the system packages the build needs, if missing (libpq for PostgreSQL)
	@if ! pkg-config --exists libpq 2>/dev/null && [ ! -e /usr/include/postgresql/libpq-fe.h ]; then \
		echo "installing libpq-dev"; \
		apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q libpq-dev pkg-config >/dev/null; \
	fi

build: deps ## Build the kim binary (debug)
	$(CARGO) build -p kim-api --bin kim

run: build ## Build, migrate, seed the demo county and serve on 127.0.0.1:8080
	@if [ "$$KIM_JWT_SECRET" = "$(DEV_JWT_SECRET)" ]; then echo "note: development mode (KIM_DEVELOPMENT=true) with the published development JWT secret; kim serve refuses it otherwise: set KIM_JWT_SECRET (openssl rand -hex 32) for anything real"; fi
	$(KIM) migrate
	$(KIM) seed --demo
	@echo "Swagger UI: http://$${KIM_BIND:-127.0.0.1:8080}/swagger-ui/  (Authorize: oauth2 with a demo login below, or bearer with a token from POST /api/v1/auth/login)"
	@echo "Demo logins: admin, ki_lead, coordinator, cm_coordinator, case_manager, steering_member,"
	@echo "             project_group_member, analyst, immigration_officer, data_protection_officer"
	@echo "             password for all: demo-password"
	$(KIM) serve

test: deps ## Unit, store and black-box tests: SQLite always, PostgreSQL when KIM_TEST_POSTGRES_URL is set
	$(CARGO) test --workspace

lint: ## rustfmt and clippy as CI runs them
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

fmt: ## Format the code
	$(CARGO) fmt --all

openapi: ## Regenerate openapi/openapi.json and openapi/partner.json from the code
	$(CARGO) run -q -p kim-api --bin kim -- openapi --output openapi/openapi.json --partner-output openapi/partner.json

openapi-lint: ## Lint the committed spec with Redocly (downloads the CLI with npx)
	npx --yes @redocly/cli@2.77.0 lint openapi/openapi.json openapi/partner.json

bench: deps ## Load-test the release build with wrk on SQLite and PostgreSQL; writes docs/BENCHMARKS.md
	KIM_LOGIN_PER_ADDRESS_PER_MINUTE=$${KIM_LOGIN_PER_ADDRESS_PER_MINUTE:-1000000} scripts/bench/run.sh
	KIM_LOGIN_PER_ADDRESS_PER_MINUTE=$${KIM_LOGIN_PER_ADDRESS_PER_MINUTE:-1000000} scripts/bench/reports.sh
	KIM_LOGIN_PER_ADDRESS_PER_MINUTE=$${KIM_LOGIN_PER_ADDRESS_PER_MINUTE:-1000000} scripts/bench/casework.sh

clean: ## Remove build output and the local SQLite database
	$(CARGO) clean
	rm -f kim.db kim.db-wal kim.db-shm
