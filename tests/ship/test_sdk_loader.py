"""The SDK loader on the layer, in the runtime's interpreter: every operation the function uses still works, each
response the function reads as a model is the SDK's own model type (the task centers' come back raw), and no
SDK's package-wide model imports ran.

A child of python3.10 / python3.12 (-I -S -B: no site-packages, nothing written), sys.path = the unpacked code zip,
the unpacked layer zip and the standard library, runs one timer invocation against the emulator with a new
failure in every service, so each service's list and detail call and the SMN publish happen. The function's
own `taskwatch.sdk.invoke` (the one place every SDK call goes through) is wrapped before the function is
imported, to keep each response for inspection; nothing of the SDK is touched. After the run the child
also executes each SDK's real `__init__.py` files (by path, into a scratch namespace) and checks that the
loader gives the very same object for every name they export: a new SDK release whose packages the loader
no longer understands fails here.
"""

from __future__ import annotations

import json
import subprocess
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from taskwatch.sources import SPECS  # the services the function queries (the child checks the same)

from tests.emulator import CloudEmulator
from tests.fixtures import (
    AK,
    BUCKET,
    CENTRAL_DOMAIN,
    MEMBER_AGENCY,
    MEMBER_DOMAIN,
    MEMBER_PROJECT,
    PROJECT,
    REGION,
    SK,
    TOPIC,
)

from .conftest import TIMER_INVOCATION, interpreter_or_skip
from .conftest import runtimes as rt

RUNNER = r"""
import json, re, sys, time
code, layer = sys.argv[1], sys.argv[2]
sys.path[:0] = [code, layer]
assert not any("site-packages" in p or "dist-packages" in p for p in sys.path), sys.path

import taskwatch.sdk
calls = []
_invoke = taskwatch.sdk.invoke
def recording_invoke(client, operation, request, path_prefix="", **options):
    response = _invoke(client, operation, request, path_prefix, **options)
    calls.append((client, operation, request, response, options.get("models", True)))
    return response
taskwatch.sdk.invoke = recording_invoke  # before the modules that import it by name are loaded

""" + TIMER_INVOCATION + r"""

from taskwatch import sdk_loader
from taskwatch.sources import SPECS

def conforms(value, declared, models, seen):
    # Problems of `value` against the SDK's declared type string ('str', 'list[JobInfo]', 'dict(str, X)', 'X').
    if value is None:
        return []
    inner = re.fullmatch(r"list\[(.*)\]", declared)
    if inner:
        if not isinstance(value, list):
            return [f"{declared}: {type(value).__name__}"]
        return [p for item in value for p in conforms(item, inner.group(1), models, seen)]
    inner = re.fullmatch(r"dict\(([^,]*), (.*)\)", declared)
    if inner:
        if not isinstance(value, dict):
            return [f"{declared}: {type(value).__name__}"]
        return [p for item in value.values() for p in conforms(item, inner.group(2), models, seen)]
    if not declared[:1].isupper():  # str, int, object, datetime, ...: primitives, not models
        return []
    expected = getattr(models, declared)
    if not expected.openapi_types and (isinstance(value, expected) or value in vars(expected).values()):
        return []  # an enum-like model: the SDK gives one of its constants
    if type(value) is not expected:
        return [f"{declared}: {type(value).__module__}.{type(value).__name__}"]
    seen.append(f"{expected.__module__}.{declared}")
    return [p for attr, sub in expected.openapi_types.items()
            for p in conforms(getattr(value, attr), sub, models, seen)]

responses, problems, seen = [], [], []
for client, operation, request, response, with_models in calls:
    wanted = getattr(client, f"_{operation}_http_info")(request)["response_type"]  # the client's own answer
    models = client.model_package
    found = type(response)
    if with_models:
        problems += [f"{operation}: {p}" for p in conforms(response, wanted, models, seen)]
    else:  # read from raw_content by the function: the SDK built no model, only the bytes and the status
        wanted = "RawResponse"
        body = getattr(response, "raw_content", None)
        if not isinstance(body, bytes) or not isinstance(json.loads(body), dict):
            problems.append(f"{operation}: raw_content {type(body).__name__}")
    responses.append({"operation": operation, "client": type(client).__name__, "response_type": wanted,
                      "models": with_models, "got": f"{found.__module__}.{found.__name__}",
                      "status": getattr(response, "status_code", None)})

packages = sorted({type(c).__module__.rsplit(".", 1)[0] for c, *_ in calls})
loaded = {}
for package in packages:
    model = sys.modules[package + ".model"]
    loaded[package] = {
        "light": [type(sys.modules[n].__spec__.loader).__name__
                  for n in (package.split(".")[0], package, model.__name__)],
        "model_modules": sorted(n for n in sys.modules if n.startswith(model.__name__ + ".")),
        "sdk_modules": sum(1 for n in sys.modules if n.split(".")[0] == package.split(".")[0]),
        "exports": len(model.__all__),
    }
misses = sdk_loader.misses()

# Every name the SDK's own __init__.py files export, executed for real into a scratch namespace: the loader must
# give the same object (this imports every model, so it comes after the counts above).
different, compared = [], 0
for package in packages:
    for name in (package, package + ".model"):
        light = sys.modules[name]
        namespace = {"__name__": name, "__package__": name, "__path__": list(light.__path__)}
        with open(light.__file__, encoding="utf-8") as handle:
            exec(compile(handle.read(), light.__file__, "exec"), namespace)
        exported = {k: v for k, v in namespace.items() if not k.startswith("_") and isinstance(v, type)}
        compared += len(exported)
        different += [f"{name}.{k}" for k, v in exported.items() if getattr(light, k, None) is not v]
        if len(exported) < 10:
            different.append(f"{name}: only {len(exported)} exports read: not the generated SDK layout")

print(json.dumps({
    "summary": summary, "version": "%d.%d" % sys.version_info[:2], "responses": responses, "problems": problems,
    "models_checked": len(seen), "loaded": loaded, "misses": misses, "compared": compared, "different": different,
    "wanted_operations": sorted([s.client_class().__name__, op] for s in SPECS.values()
                                for op in (s.list_operation, s.detail_operation))
                         + [["SmnClient", "publish_message"], ["IamClient", "create_temporary_access_key_by_agency"]],
    "services": sorted(SPECS),
}))
"""


@pytest.mark.parametrize("runtime", ["Python3.10", "Python3.12"])
def test_every_sdk_operation_runs_through_the_loader_on_the_layer(runtime, build_layer, code_zip,
                                                                  tmp_path: Path) -> None:
    interpreter = interpreter_or_skip(runtime)
    code_dir, layer_dir = tmp_path / "code", tmp_path / "layer"
    with zipfile.ZipFile(code_zip) as archive:
        archive.extractall(code_dir)
    with zipfile.ZipFile(build_layer(runtime)) as archive:
        archive.extractall(layer_dir)

    with CloudEmulator(ak=AK, sk=SK, project_id=PROJECT, region=REGION, topic_urns=[TOPIC],
                       buckets=[BUCKET], iam=True, domain_name=CENTRAL_DOMAIN) as emu:
        # every service (RDS is opt-in), and a member account read through its agency: IAM's exchange too
        emu.add_account(MEMBER_DOMAIN, [MEMBER_PROJECT], {MEMBER_AGENCY: CENTRAL_DOMAIN})
        for service in SPECS:  # new failures everywhere, one without a reason: every service's detail call
            emu.generate(service, 2, failure_rate=1.0, span=timedelta(minutes=3), seed=7)
            created = emu.now() - timedelta(minutes=2)
            emu.add_task(service, name="NoReasonGiven", status="Failed", created=created,
                         ended=created + timedelta(minutes=1), instance_id="loader-inst", instance_name="loader-db",
                         fail_reason=None)
        targets = [{"region": REGION, "project_id": PROJECT, "services": sorted(SPECS)},
                   {"region": REGION, "project_id": MEMBER_PROJECT, "services": ["dds"],
                    "agency": {"domain": MEMBER_DOMAIN, "name": MEMBER_AGENCY}}]
        env = {**emu.env(), "CLOUD_SDK_AK": AK, "CLOUD_SDK_SK": SK, "TASKWATCH_TARGETS": json.dumps(targets),
               "TASKWATCH_SMN_TOPIC_URN": TOPIC,
               "TASKWATCH_STATE_URI": f"obs://{BUCKET}/taskwatch/state.json", "TASKWATCH_THROTTLE_BACKOFF": "0.05-0.1"}
        result = subprocess.run([str(interpreter), "-I", "-S", "-B", "-c", RUNNER, str(code_dir), str(layer_dir)],
                                env=env, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr[-4000:]
        report = json.loads(result.stdout.strip().splitlines()[-1])
        published = len(emu.smn_messages)
        assert emu.errors == []

    print({package: f"{len(seen['model_modules'])} of {seen['exports']} models, {seen['sdk_modules']} modules"
           for package, seen in report["loaded"].items()}, f"{report['models_checked']} models checked")
    assert report["version"] == rt.python_version(runtime)
    assert report["summary"]["outcome"] == "ok", report["summary"]
    assert report["services"] == sorted(SPECS)
    assert published >= 1
    called = {(r["client"], r["operation"]) for r in report["responses"]}
    assert {tuple(w) for w in report["wanted_operations"]} <= called, sorted(called)  # list + detail everywhere

    # each response the function reads as a model (SMN's, IAM's) is the model the client declares, down to
    # every nested model; the task centers' come back raw (sdk.RawResponse: the function validates the
    # bytes with its own schemas), with their bytes and status
    assert report["problems"] == [], report["problems"][:10]
    assert all(r["got"].rsplit(".", 1)[1] == r["response_type"] for r in report["responses"]), report["responses"]
    assert all(200 <= r["status"] < 300 for r in report["responses"]), report["responses"]
    with_models = [r for r in report["responses"] if r["models"]]
    assert {r["client"] for r in with_models} == {"SmnClient", "IamClient"}, with_models
    assert {r["client"] for r in report["responses"] if not r["models"]} == {
        s.client_class().__name__ for s in SPECS.values()}
    assert report["models_checked"] > len(with_models), "no nested model was deserialized"
    assert report["misses"] == []

    # the package-wide imports did not run: three light package levels, a handful of model modules each
    assert len(report["loaded"]) == len(SPECS) + 2, report["loaded"].keys()  # every service SDK, SMN and IAM
    for package, seen in report["loaded"].items():
        assert seen["light"] == ["_LightPackageLoader"] * 3, (package, seen["light"])
        assert seen["exports"] > 100, package
        assert 2 <= len(seen["model_modules"]) <= 12, (package, seen["model_modules"])

    # and the loader gives the very object the SDK's own __init__ files export, for every name
    assert report["different"] == [], report["different"][:10]
    assert report["compared"] > 1000
