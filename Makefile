# taskwatch: every target creates the virtual environment it needs, so a fresh clone needs nothing else.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: venv run test lint faults soak bench layer package plan deploy rollback destroy clean lock audit doctor terraform state state-forget state-reset

## Installs exactly the locked files: every one is checked against its sha256 in requirements-dev.txt.
venv: $(STAMP)

$(STAMP): requirements-dev.txt layers/requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.txt
	touch $(STAMP)

## Rewrites the locks from the pins in layers/requirements.in and requirements-dev.in (needs the network).
## The layer's lock covers Python 3.10 and up (the runtimes), development's 3.11 and up; each lists the sha256
## of every file of every pinned release, so one lock serves every platform and Python it covers.
LOCK := $(VENV)/bin/uv pip compile --quiet --universal --generate-hashes --custom-compile-command "make lock"
lock: venv
	$(LOCK) --python-version 3.10 layers/requirements.in -o layers/requirements.txt
	$(LOCK) --python-version 3.11 requirements-dev.in -o requirements-dev.txt

## Known vulnerabilities in the locked releases, for each runtime's pins and for development (pip-audit asks
## PyPI's advisory service: needs the network, so it is not part of `make test`; fails when it cannot ask).
audit: venv
	$(PY) layers/audit_locks.py

## The main job: against the cloud when credentials are set, otherwise against the local emulator.
run: venv
	$(PY) -m tests.run_local

## Read-only preflight of a real account (same environment as `make run`): hosts, permissions, bucket, topic.
doctor: venv
	$(PY) layers/doctor.py

# The state tools use the environment of `make run`; SHARD=<label> or STATE=<uri> picks another state object.
STATE_ARGS = $(if $(SHARD),--shard "$(SHARD)") $(if $(STATE),--state "$(STATE)")

## What the state object holds: sources and their health, pending alerts, counts, size, version, last writer.
state: venv
	$(PY) layers/state_tool.py $(STATE_ARGS) show

## Makes one task alert again on the next run (TASK=<dedup key or task id>); takes the function's lease.
state-forget: venv
	@test -n "$(TASK)" || { echo "usage: make state-forget TASK=<dedup key or task id>"; exit 2; }
	$(PY) layers/state_tool.py $(STATE_ARGS) forget "$(TASK)"

## Keeps the state aside (<key>.reset-<time>) and removes it: the next run takes a new baseline; takes the lease.
## Refused while alerts never published are pending (DROP_PENDING=1 drops them).
state-reset: venv
	$(PY) layers/state_tool.py $(STATE_ARGS) reset $(if $(DROP_PENDING),--drop-pending)

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

## layers/terraform/*.tf (huaweicloud provider) rewritten from template.yaml, and build/terraform/taskwatch-terraform.zip
## for an RFS stack with the object keys to upload the code and layer zips under (layers/terraform/README.md).
terraform: venv
	$(PY) layers/terraform_gen.py --rfs

## Apply template.yaml with the FunctionGraph SDK (credentials: CLOUD_SDK_AK / CLOUD_SDK_SK). A plan line
## "replace" (new FuncName or Package) is refused unless REPLACE=1: the new function and its timers come first.
deploy: venv layer package
	$(PY) layers/deploy.py apply $(if $(filter 1 yes true,$(REPLACE)),--replace)

## Point the alias the timers fire through (x-taskwatch.Alias, `live`) back at the previous published version.
rollback: venv
	$(PY) layers/deploy.py rollback

## Remove everything deploy created (timers, function with versions and aliases, its dependency versions and
## uploaded zips, the alarm rule); lists it first and asks, unless CONFIRM=1. The bucket and topic stay.
destroy: venv
	$(PY) layers/deploy.py destroy $(if $(filter 1 yes true,$(CONFIRM)),--yes)
