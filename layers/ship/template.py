"""template.yaml: load, validate against template.schema.json, resolve parameters into a Deployment.

Every refusal names the field path, e.g. "Resources.taskwatch.Properties.MemorySize: expected one of 128,
256, ...; got 100", and happens before any cloud call.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from . import paths, schedule

MAX_USER_EVENT = 2048  # FunctionGraph: a timer's user_event stays under 2 KB
MAX_ENVIRONMENT = 4096  # FunctionGraph: all environment variables together, at most 4 KB
_REFERENCE = re.compile(r"\$\{([A-Za-z][A-Za-z0-9]*)\}")
_PLACEHOLDER_PROJECT = "0" * 32
ALT_SUFFIX = "-r"  # a changed timer's replacement is created under <name>-r (or back under <name>) first


class TemplateError(Exception):
    """The template is refused; each problem is 'field.path: what is wrong'."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Timer:
    name: str
    schedule_type: str
    schedule: str
    user_event: str
    enabled: bool


@dataclass(frozen=True)
class Deployment:
    """What the template asks for, parameters resolved. `encrypted` holds secret values: never print it."""

    region: str
    project_id: str
    parameters: Mapping[str, str]
    resource: str
    func_name: str
    package: str
    description: str
    handler: str
    runtime: str
    memory_size: int
    timeout: int
    code_zip: Path
    variables: Mapping[str, str]
    encrypted: Mapping[str, str] = field(repr=False)
    agency: str | None
    max_instances: int
    layer_name: str
    layer_zip: Path
    log: Mapping[str, Any]
    timers: tuple[Timer, ...]
    error_alarm: Mapping[str, Any] | None = None  # x-taskwatch.ErrorAlarm (layers/ship/alarm.py)
    alias: str = "live"  # x-taskwatch.Alias: the alias the timers fire through (rollback moves it)
    keep_versions: int = 3  # x-taskwatch.KeepVersions: function and dependency versions kept after a deploy
    async_retries: int = 0  # x-taskwatch.Async.RetryAttempts
    async_max_age: int = 300  # x-taskwatch.Async.MaxEventAge, default: the shortest timer period
    async_failure_to_topic: bool = False  # x-taskwatch.Async.OnFailureToTopic
    enterprise_project_id: str | None = None  # x-taskwatch.EnterpriseProjectId (empty: none sent)
    tags: Mapping[str, str] = field(default_factory=dict)  # x-taskwatch.Tags (function tags)

    @property
    def alias_urn(self) -> str:
        return f"{self.function_urn}:{self.alias}"

    @property
    def state_bucket(self) -> str:
        return self.parameters.get("StateBucket", "")

    @property
    def function_urn(self) -> str:
        return f"urn:fss:{self.region}:{self.project_id}:function:{self.package}:{self.func_name}"


def load_raw(path: Path) -> dict[str, Any]:
    """The YAML document, schema-checked (no parameters resolved)."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise TemplateError([f"{path.name}: cannot be read as YAML: {exc}"]) from None
    if not isinstance(document, dict):
        raise TemplateError([f"{path.name}: expected a mapping at the top level"])
    problems = [f"{_path(error)}: {_describe(error)}" for error in _validator().iter_errors(document)]
    if problems:
        raise TemplateError(sorted(set(problems)))
    return document


def function_runtime(path: Path) -> str:
    """The Runtime of the template's function (what `make layer` builds for)."""
    document = load_raw(path)
    (resource,) = document["Resources"].values()
    return resource["Properties"]["Runtime"]


def load(path: Path, environ: Mapping[str, str] | None = None, project_id: str | None = None) -> Deployment:
    """Validate, resolve parameters from the environment, check the function's configuration: a Deployment."""
    environ = os.environ if environ is None else environ
    document = load_raw(path)
    parameters = _parameters(document.get("Parameters") or {}, environ)
    (name, resource), = document["Resources"].items()
    base = f"Resources.{name}.Properties"
    props = resource["Properties"]
    parameters["Runtime"] = props["Runtime"].lower()
    problems: list[str] = []
    props = _substitute(props, parameters, base, problems)
    extensions = props["x-taskwatch"]
    variables = dict((props.get("Environment") or {}).get("Variables") or {})
    encrypted, missing = {}, []
    for variable, source in (extensions.get("EncryptedVariables") or {}).items():
        value = environ.get(source, "")
        if value:
            encrypted[variable] = value
        else:
            missing.append(f"{base}.x-taskwatch.EncryptedVariables.{variable}: set the deploy environment variable "
                           f"{source} (its value is never written in the template)")
    problems += missing
    both = set(variables) & set(encrypted)
    problems += [f"{base}.Environment.Variables.{key}: also an encrypted variable" for key in sorted(both)]
    timers = tuple(_timer(timer_name, timer, f"{base}.x-taskwatch.Timers.{timer_name}", problems)
                   for timer_name, timer in extensions["Timers"].items())
    async_block = extensions.get("Async") or {}
    periods = [p for p in (schedule.period_seconds(t.schedule_type, t.schedule) for t in timers
                           if not _bad_schedule(t)) if p]
    shortest = int(min(periods)) if periods else 3600
    max_age = async_block.get("MaxEventAge", min(max(shortest, 1), 86400))
    if periods and max_age > shortest:
        problems.append(f"{base}.x-taskwatch.Async.MaxEventAge: {max_age} s is longer than the shortest timer "
                        f"period ({shortest} s): a stale event would run after the next timer run")
    names = {t.name for t in timers}
    problems += [f"{base}.x-taskwatch.Timers.{t.name}: {t.name}{ALT_SUFFIX} is also a timer here; deploy uses that "
                 "name for this timer's replacement" for t in timers if t.name + ALT_SUFFIX in names]
    size = len(json.dumps(variables)) + (len(json.dumps(encrypted)) if encrypted else 0)
    if size > MAX_ENVIRONMENT:
        problems.append(f"{base}.Environment: {size} bytes of variables, over FunctionGraph's {MAX_ENVIRONMENT}")
    if problems:
        raise TemplateError(problems)
    region = parameters.get("Region") or ""
    project = project_id or _PLACEHOLDER_PROJECT
    _check_bucket(parameters)
    _check_configuration(variables, encrypted, project, f"{base}.Environment.Variables")
    _check_user_events(variables, encrypted, project, timers, f"{base}.x-taskwatch.Timers")
    folder = path.resolve().parent
    return Deployment(
        region=region, project_id=project, parameters=dict(parameters), resource=name,
        func_name=props["FuncName"], package=props.get("Package", "default"),
        description=props.get("Description", ""), handler=props["Handler"], runtime=props["Runtime"],
        memory_size=props["MemorySize"], timeout=props["Timeout"], code_zip=folder / props["CodeUri"],
        variables=variables, encrypted=encrypted, agency=extensions.get("Agency"),
        max_instances=extensions["MaxInstances"], layer_name=extensions["Layer"]["Name"],
        layer_zip=folder / extensions["Layer"]["Zip"], log=dict(extensions.get("Log") or {"Enabled": False}),
        timers=timers, error_alarm=extensions.get("ErrorAlarm"), alias=extensions.get("Alias", "live"),
        keep_versions=extensions.get("KeepVersions", 3), async_retries=async_block.get("RetryAttempts", 0),
        async_max_age=max_age, async_failure_to_topic=bool(async_block.get("OnFailureToTopic", False)),
        enterprise_project_id=extensions.get("EnterpriseProjectId") or None, tags=dict(extensions.get("Tags") or {}),
    )


# ---- internals ---------------------------------------------------------------------------------------------
def _validator() -> Draft202012Validator:
    schema = json.loads(paths.TEMPLATE_SCHEMA.read_text(encoding="utf-8"))
    return Draft202012Validator(schema)


def _path(error: ValidationError) -> str:
    parts = [str(part) for part in error.absolute_path]
    if error.validator == "required":
        missing = re.match(r"'([^']+)' is a required property", error.message)
        if missing:
            parts.append(missing.group(1))
    if error.validator == "additionalProperties":
        extra = re.findall(r"'([^']+)'", error.message)
        if extra:
            parts.append(extra[0])
    return ".".join(parts) or "(template)"


def _describe(error: ValidationError) -> str:
    value = error.instance
    kind = error.validator
    if kind == "required":
        return "required field is missing"
    if kind == "additionalProperties":
        return "unknown field (see layers/template.schema.json)"
    if kind == "enum":
        return f"expected one of {', '.join(map(str, error.validator_value))}; got {value!r}"
    if kind == "const":
        return f"expected {error.validator_value!r}; got {value!r}"
    if kind == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        return f"expected {'an' if expected[0] in 'aeiou' else 'a'} {expected}; got {type(value).__name__} {value!r}"
    if kind == "pattern":
        return f"expected text matching {error.validator_value}; got {value!r}"
    if kind in {"minimum", "maximum"}:
        return f"expected {'at least' if kind == 'minimum' else 'at most'} {error.validator_value}; got {value!r}"
    if kind in {"minProperties", "maxProperties"}:
        return f"expected {'at least' if kind == 'minProperties' else 'at most'} {error.validator_value} entries"
    if kind == "maxLength":
        return f"expected at most {error.validator_value} characters; got {len(value)}"
    return error.message


def _parameters(declared: Mapping[str, Any], environ: Mapping[str, str]) -> dict[str, str]:
    values: dict[str, str] = {}
    problems = []
    for name, spec in declared.items():
        source = spec.get("x-env")
        value = environ.get(source, "") if source else ""
        if not value and "Default" in spec:
            value = spec["Default"]
        if value or "Default" in spec:
            values[name] = value
        else:
            hint = f"set {source}" if source else "give it a Default"
            problems.append(f"Parameters.{name}: required: {hint} (no Default)")
    if problems:
        raise TemplateError(problems)
    if "Region" in values and not values["Region"]:
        topic = values.get("TopicUrn", "").split(":")
        values["Region"] = topic[2] if len(topic) == 5 and topic[0:2] == ["urn", "smn"] else ""
        if not values["Region"]:
            raise TemplateError(["Parameters.Region: empty and TopicUrn is not an SMN topic URN to take it from"])
    return values


def _substitute(value: Any, parameters: Mapping[str, str], where: str, problems: list[str]) -> Any:
    if isinstance(value, str):
        def replace(match: re.Match[str]) -> str:
            if match.group(1) not in parameters:
                problems.append(f"{where}: unknown parameter ${{{match.group(1)}}}")
                return match.group(0)
            return parameters[match.group(1)]

        return _REFERENCE.sub(replace, value)
    if isinstance(value, dict):
        return {key: _substitute(item, parameters, f"{where}.{key}", problems) for key, item in value.items()}
    if isinstance(value, list):
        return [_substitute(item, parameters, f"{where}.{i}", problems) for i, item in enumerate(value)]
    return value


def _timer(name: str, spec: Mapping[str, Any], where: str, problems: list[str]) -> Timer:
    event = spec.get("UserEvent", {})
    text = event if isinstance(event, str) else json.dumps(event, sort_keys=True, separators=(",", ":"))
    try:
        schedule.check(spec["ScheduleType"], spec["Schedule"])
    except schedule.ScheduleError as exc:
        problems.append(f"{where}.Schedule: {exc}")
    if len(text.encode("utf-8")) >= MAX_USER_EVENT:
        problems.append(f"{where}.UserEvent: {len(text.encode('utf-8'))} bytes as JSON; FunctionGraph takes under "
                        f"{MAX_USER_EVENT}")
    return Timer(name, spec["ScheduleType"], spec["Schedule"], text, bool(spec.get("Enabled", True)))


def _bad_schedule(timer: Timer) -> bool:
    try:
        schedule.check(timer.schedule_type, timer.schedule)
    except schedule.ScheduleError:
        return True
    return False


def _check_configuration(variables: Mapping[str, str], encrypted: Mapping[str, str], project: str,
                         where: str) -> None:
    """The function's own loader must accept the environment it will get (names and values)."""
    paths.import_function_package()
    from taskwatch.config import config_keys, load_config
    from taskwatch.errors import ConfigError

    known = set(config_keys())
    unknown = [f"{where}.{key}: not a taskwatch configuration key (function/taskwatch/schemas/config.schema.json)"
               for key in variables if key not in known]
    if unknown:
        raise TemplateError(unknown)
    try:
        load_config({**variables, **encrypted, "RUNTIME_PROJECT_ID": project})
    except ConfigError as exc:
        if exc.key in encrypted:
            where = where.replace("Environment.Variables", "x-taskwatch.EncryptedVariables")
        raise TemplateError([f"{where}.{exc.key}: {exc.expected}"]) from None


def _check_bucket(parameters: Mapping[str, str]) -> None:
    """StateBucket becomes part of a host name (the OBS upload, virtual-host style): OBS naming rules only,
    checked by the function's own rule before any request."""
    if "StateBucket" not in parameters:
        return
    paths.import_function_package()
    from taskwatch.errors import ConfigError
    from taskwatch.urls import check_bucket_name

    try:
        check_bucket_name("Parameters.StateBucket", parameters["StateBucket"])
    except ConfigError as exc:
        raise TemplateError([f"{exc.key}: {exc.expected}"]) from None


def _check_user_events(variables: Mapping[str, str], encrypted: Mapping[str, str], project: str,
                       timers: tuple[Timer, ...], where: str) -> None:
    """Each timer's user_event must be one the function accepts (it may only narrow the environment)."""
    paths.import_function_package()
    from taskwatch.config import load_config
    from taskwatch.errors import ConfigError, EventError
    from taskwatch.event import parse_event

    problems = []
    for timer in timers:
        try:
            overrides = parse_event({"user_event": timer.user_event}).overrides
            load_config({**variables, **encrypted, "RUNTIME_PROJECT_ID": project}, overrides)
        except (ConfigError, EventError) as exc:
            problems.append(f"{where}.{timer.name}.UserEvent: {exc}")
    if problems:
        raise TemplateError(problems)
