"""Configuration: environment (or FunctionGraph user data) plus the timer's user_event overrides.

Every key is declared in schemas/config.schema.json, which says how its text is read (x-parse), its default
and its meaning; the whole result is validated against that schema before any call is made.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from .endpoints import default_endpoint
from .errors import ConfigError
from .jsontext import loads_strict
from .schema_files import describe_error, error_path, load_schema, validator
from .tasks import SERVICES, Target
from .timeutil import parse_duration

PREFIX = "TASKWATCH_"
# Every domain the SDK region tables and the OBS documents use (tests/test_endpoints.py checks the tables).
HUAWEI_DOMAINS = ("myhuaweicloud.com", "huaweicloud.com", "myhuaweicloud.eu", "huaweicloud.eu", "myhuaweicloud.cn")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class Config:
    """The validated configuration of one run."""

    targets: tuple[Target, ...]
    topic_urn: str | None
    state_uri: str
    endpoints: Mapping[str, str | None]
    obs_region: str
    dry_run: bool = False
    lookback: float = 2592000
    backfill: float = 3600
    alert_statuses: tuple[str, ...] = ("Failed",)
    include_tasks: tuple[str, ...] = ()
    exclude_tasks: tuple[str, ...] = ()
    include_instances: tuple[str, ...] = ()
    exclude_instances: tuple[str, ...] = ()
    stuck_after: float = 21600
    blind_after: int = 3
    heartbeat: float = 0
    give_up_after: float = 86400
    max_alerts_per_message: int = 10
    max_messages_per_run: int = 20
    taurusdb_offset_mode: str = "page"
    throttle_backoff: tuple[float, float] = (2.0, 5.0)
    http_timeout: float = 10
    concurrency: int = 8
    reserve: float = 15
    log_level: str = "INFO"
    allow_foreign_endpoints: bool = False
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)

    def endpoint(self, service: str, region: str) -> str:
        """The base URL of a service in a region (may carry a path prefix, e.g. the legacy /mysql): the
        TASKWATCH_ENDPOINT_* override if set, otherwise the host the SDK's region table gives (endpoints.py)."""
        override = self.endpoints.get(service)
        return override.replace("{region}", region) if override else default_endpoint(service, region)


def _properties() -> dict[str, Any]:
    return load_schema("config")["properties"]


def config_keys() -> list[str]:
    """Every configuration key (environment variable name) the schema declares."""
    return list(_properties())


def _parse_value(key: str, kind: str, value: Any) -> Any:
    """Read one value as its x-parse kind says; user_event values may already be typed JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(key, "expected a finite number")
    if kind == "json":
        if isinstance(value, str):
            try:
                value = loads_strict(value, allow_constants=True)
            except ValueError:
                raise ConfigError(key, "expected JSON text (not nested too deeply)") from None
        try:
            non_finite = _has_non_finite(value)
        except RecursionError:
            raise ConfigError(key, "expected JSON text (not nested too deeply)") from None
        if non_finite:
            raise ConfigError(key, "expected finite numbers only")
        return value
    if kind == "csv":
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, (int, str)) and str(value).strip().lower() in _TRUE | _FALSE:
            return str(value).strip().lower() in _TRUE
        raise ConfigError(key, "expected a boolean (1/0, true/false)")
    if kind == "integer":
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                raise ConfigError(key, "expected an integer") from None
        return value
    if kind == "duration":
        if isinstance(value, str):
            try:
                return parse_duration(value)
            except ValueError as exc:
                raise ConfigError(key, str(exc)) from None
        return value
    if kind == "range":
        if isinstance(value, str):
            try:
                low, high = (float(part) for part in value.split("-", 1))
            except ValueError:
                raise ConfigError(key, "expected a range such as 2-5") from None
            if not (math.isfinite(low) and math.isfinite(high)):
                raise ConfigError(key, "expected a range of finite numbers such as 2-5")
            if high < low:
                raise ConfigError(key, "expected min-max with min <= max")
            return [low, high]
        return value
    return value


def _has_non_finite(value: Any) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, dict):
        return any(_has_non_finite(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_non_finite(v) for v in value)
    return False


def _merge(environ: Mapping[str, str], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Environment first, then the trigger's user_event keys (full or short lower-case names)."""
    props = _properties()
    merged: dict[str, Any] = {k: v for k, v in environ.items() if k in props and v != ""}
    for key, value in overrides.items():
        name = key if key.upper().startswith(PREFIX) else PREFIX + str(key).upper()
        name = name.upper()
        if name not in props:
            raise ConfigError(str(key)[:64], "unknown key in user_event")
        merged[name] = value
    return merged


def check_endpoint(key: str, url: str, allow_foreign: bool) -> None:
    """No credentialed request to arbitrary hosts from configuration: https, Huawei domains or loopback."""
    host = (urlsplit(url.replace("{region}", "x").replace("{bucket}", "x")).hostname or "").lower()
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if loopback:
        return
    if not url.startswith("https://"):
        raise ConfigError(key, "expected an https:// endpoint (plain http is only allowed for loopback)")
    in_huawei = any(host == d or host.endswith("." + d) for d in HUAWEI_DOMAINS)
    if not in_huawei and not allow_foreign:
        raise ConfigError(key, "host outside the Huawei Cloud domains; set TASKWATCH_ALLOW_FOREIGN_ENDPOINTS=1 "
                               "to allow it")


def load_config(environ: Mapping[str, str], overrides: Mapping[str, Any] | None = None) -> Config:
    """Build and validate the run's configuration; raises ConfigError naming the first bad key."""
    props = _properties()
    merged = _merge(environ, overrides or {})
    values: dict[str, Any] = {}
    for key, value in merged.items():
        values[key] = _parse_value(key, props[key].get("x-parse", "string"), value)
    try:
        errors = sorted(validator("config").iter_errors(values), key=lambda e: [str(p) for p in e.absolute_path])
    except RecursionError:
        raise ConfigError("user_event", "values nested too deeply") from None
    for error in errors:
        raise ConfigError(error_path(error), describe_error(error))

    def get(key: str) -> Any:
        return values.get(key, props[key].get("default"))

    targets_raw = values.get("TASKWATCH_TARGETS")
    if targets_raw is None:
        region = values.get("TASKWATCH_REGION")
        if not region:
            raise ConfigError("TASKWATCH_REGION", "required (or TASKWATCH_TARGETS)")
        project = values.get("TASKWATCH_PROJECT_ID") or values.get("RUNTIME_PROJECT_ID")
        if not project:
            raise ConfigError("TASKWATCH_PROJECT_ID", "required (or RUNTIME_PROJECT_ID, or TASKWATCH_TARGETS)")
        targets_raw = [{"region": region, "project_id": project, "services": get("TASKWATCH_SERVICES")}]
    targets = tuple(
        Target(t["region"], t["project_id"], tuple(t.get("services") or SERVICES)) for t in targets_raw
    )
    if len({(t.region, t.project_id) for t in targets}) != len(targets):
        raise ConfigError("TASKWATCH_TARGETS", "each region/project_id pair at most once")

    dry_run = bool(get("TASKWATCH_DRY_RUN"))
    topic = values.get("TASKWATCH_SMN_TOPIC_URN")
    if not topic and not dry_run:
        raise ConfigError("TASKWATCH_SMN_TOPIC_URN", "required unless TASKWATCH_DRY_RUN=1")

    allow_foreign = bool(get("TASKWATCH_ALLOW_FOREIGN_ENDPOINTS"))
    endpoints: dict[str, str | None] = {}
    for service in (*SERVICES, "smn", "obs"):
        key = f"{PREFIX}ENDPOINT_{service.upper()}"
        endpoints[service] = values.get(key)
        if endpoints[service]:
            check_endpoint(key, endpoints[service], allow_foreign)

    obs_region = values.get("TASKWATCH_OBS_REGION") or (topic.split(":")[2] if topic else targets[0].region)
    return Config(
        targets=targets,
        topic_urn=topic,
        state_uri=get("TASKWATCH_STATE_URI"),
        endpoints=endpoints,
        obs_region=obs_region,
        dry_run=dry_run,
        lookback=float(get("TASKWATCH_LOOKBACK")),
        backfill=float(get("TASKWATCH_BACKFILL")),
        alert_statuses=tuple(get("TASKWATCH_ALERT_STATUSES")),
        include_tasks=tuple(get("TASKWATCH_INCLUDE_TASKS")),
        exclude_tasks=tuple(get("TASKWATCH_EXCLUDE_TASKS")),
        include_instances=tuple(get("TASKWATCH_INCLUDE_INSTANCES")),
        exclude_instances=tuple(get("TASKWATCH_EXCLUDE_INSTANCES")),
        stuck_after=float(get("TASKWATCH_STUCK_AFTER")),
        blind_after=int(get("TASKWATCH_BLIND_AFTER")),
        heartbeat=float(get("TASKWATCH_HEARTBEAT")),
        give_up_after=float(get("TASKWATCH_GIVE_UP_AFTER")),
        max_alerts_per_message=int(get("TASKWATCH_MAX_ALERTS_PER_MESSAGE")),
        max_messages_per_run=int(get("TASKWATCH_MAX_MESSAGES_PER_RUN")),
        taurusdb_offset_mode=get("TASKWATCH_TAURUSDB_OFFSET_MODE"),
        throttle_backoff=tuple(float(x) for x in get("TASKWATCH_THROTTLE_BACKOFF")),
        http_timeout=float(get("TASKWATCH_HTTP_TIMEOUT")),
        concurrency=int(get("TASKWATCH_CONCURRENCY")),
        reserve=float(get("TASKWATCH_RESERVE")),
        log_level=get("TASKWATCH_LOG_LEVEL"),
        allow_foreign_endpoints=allow_foreign,
        raw=values,
    )
