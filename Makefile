# One-command entry points. Everything runs from a virtualenv this Makefile creates.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# make test runs the suite in parallel processes (pytest-xdist, whole modules each): most of
# its time is spent waiting on terraform and the local cloud, not on the CPU.
TEST_WORKERS ?= 4
ENV ?= dev
TARGET ?= auto
ORCH := $(PY) orchestrate.py

# Offline machines keep a filesystem mirror of the Terraform providers; find it when the
# environment does not name one. With none found, terraform uses the public registry.
TF_PROVIDER_MIRROR ?= $(patsubst %/registry.terraform.io,%,$(firstword $(shell find / -maxdepth 3 -type d -name registry.terraform.io -path '*plugins*' 2>/dev/null)))
export TF_PROVIDER_MIRROR

.PHONY: help venv demo test test-fast test-aws lint fmt bench deploy-inventory deploy-todo plan-inventory \
	plan-todo destroy local-up local-down lock

# The platforms whose provider hashes the lock files carry, so that init on any of them leaves
# the committed lock file as it is.
LOCK_PLATFORMS := linux_amd64 linux_arm64 darwin_amd64 darwin_arm64 windows_amd64

help:
	@echo "make demo              both stacks on the local cloud with the sample data (ENV=dev)"
	@echo "make test              the whole test suite (make test-fast: without the end-to-end tests)"
	@echo "make test-aws          acceptance on the real AWS account of the environment (costs money)"
	@echo "make deploy-inventory  deploy the inventory stack (TARGET=auto|local|aws ENV=dev)"
	@echo "make deploy-todo       deploy the TODO stack (TARGET=auto|local|aws ENV=dev)"
	@echo "make plan-inventory    save a plan of the inventory stack for review (plan-todo: the TODO's)"
	@echo "make destroy           destroy every stack on the target (TARGET=... ENV=...)"
	@echo "make local-up          start the local cloud (local-down: stop it and the local TODO task)"
	@echo "make lint | fmt        ruff, mypy, terraform fmt (fmt rewrites)"
	@echo "make bench             the benchmarks (they print figures)"
	@echo "make lock              refresh the lock files' hashes for every platform (needs the registry)"
	@echo "Without a Docker engine: TODO_LOCAL_RUNNER=uvicorn make demo (the TODO app on SQLite)"

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

venv: $(VENV)/.installed

demo: venv
	$(ORCH) demo --env $(ENV)

test: venv
	status=0; \
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile --durations=25 -m "not aws and not alone" || status=1; \
	$(PY) -m pytest -m "alone and not aws" || status=1; \
	exit $$status

test-fast: venv
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile -m "not integration and not aws"

# Deploys both stacks to the AWS account whose credentials resolve (LAB_ROLE_ARN=... for Learner
# Lab), smoke-tests, re-plans, prints the cost, and always destroys. Never part of 'make test'.
test-aws: venv
	ORCHESTRATE_TEST_AWS=1 $(PY) -m pytest -m aws tests/aws -s -rs

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	terraform fmt -recursive -check terraform

fmt: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .
	terraform fmt -recursive terraform

bench: venv
	$(PY) -m bench.ingest
	$(PY) -m bench.todo
	$(PY) -m bench.lambda_redeploy

deploy-inventory: venv
	$(ORCH) deploy inventory --target $(TARGET) --env $(ENV)

deploy-todo: venv
	$(ORCH) deploy todo --target $(TARGET) --env $(ENV)

plan-inventory: venv
	$(ORCH) plan inventory --target $(TARGET) --env $(ENV)

plan-todo: venv
	$(ORCH) plan todo --target $(TARGET) --env $(ENV)

destroy: venv
	$(ORCH) destroy all --target $(TARGET) --env $(ENV)

local-up: venv
	$(ORCH) local up

local-down: venv
	$(ORCH) local down

# Needs registry.terraform.io: a provider mirror holds one platform only, and the h1: hashes of
# the others can only be computed from their packages.
lock:
	for stack in terraform/stacks/*/; do \
		terraform -chdir=$$stack providers lock $(addprefix -platform=,$(LOCK_PLATFORMS)) || exit 1; \
	done
