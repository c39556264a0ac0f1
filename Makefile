# taskwatch: every target creates the virtual environment it needs, so a fresh clone needs nothing else.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: venv run test lint faults soak bench layer package plan deploy clean

venv: $(STAMP)

$(STAMP): requirements-dev.txt layers/requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

## The main job: against the cloud when credentials are set, otherwise against the local emulator.
run: venv
	$(PY) -m tests.run_local

## The whole test suite (lint included).
test: venv
	$(PY) -m ruff check function tests layers
	$(PY) -m pytest

lint: venv
	$(PY) -m ruff check function tests layers

clean:
	rm -rf $(VENV) build .pytest_cache .ruff_cache .hypothesis

## The failure-handling matrix (also part of `make test`).
faults: venv
	$(PY) -m tests.faults.matrix

## A simulated month: 8,640 five-minute runs with random faults; prints the ledger (SOAK_ARGS: --seed N ...).
soak: venv
	$(PY) -m tests.soak $(SOAK_ARGS)

## Benchmarks against the emulator; writes build/bench/results.json and results.md.
bench: venv layer
	$(PY) -m tests.bench

## The dependency layer zip for the runtime in template.yaml.
layer: venv
	$(PY) layers/build_layer.py

## The function code zip (function/ only).
package: venv
	$(PY) layers/package_function.py

## What a deploy of template.yaml would change (changes nothing).
plan: venv layer package
	$(PY) layers/deploy.py plan

## Apply template.yaml with the FunctionGraph SDK (credentials: CLOUD_SDK_AK / CLOUD_SDK_SK).
deploy: venv layer package
	$(PY) layers/deploy.py apply
