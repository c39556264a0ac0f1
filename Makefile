# taskwatch: every target creates the virtual environment it needs, so a fresh clone needs nothing else.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: venv run test lint faults bench layer package plan deploy clean doctor

venv: $(STAMP)

$(STAMP): requirements-dev.txt layers/requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

## The main job: against the cloud when credentials are set, otherwise against the local emulator.
run: venv
	$(PY) -m tests.run_local

## Read-only preflight of a real account (same environment as `make run`): hosts, permissions, bucket, topic.
doctor: venv
	$(PY) layers/doctor.py

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
