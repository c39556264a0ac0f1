"""Configuration: the environment (or FunctionGraph user data), narrowed by the timer's user_event.

Every key is declared in schemas/config.schema.json, which says how its text is read (x-parse), its default
and its meaning; the whole result is validated against that schema before any call is made.

The environment is the authority. Anyone allowed to invoke the function can send any event, so a
user_event may only narrow what the environment allows (see narrow.py): which targets (a shard label),
which services, the heartbeat, and a topic picked by name from TASKWATCH_SMN_TOPICS. Endpoints, the
allowance for foreign endpoints, the topic URN, the state URI, dry run and credentials come from the
environment only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .endpoints import default_endpoint
from .errors import ConfigError
from .jsontext import loads_strict
from .schema_files import describe_error, error_path, load_schema, validator
from .state_uri import shard_uri, shared_uri
from .tasks import DEFAULT_SERVICES, SERVICES, Agency, Target
from .timeutil import parse_duration
from .urls import check_bucket_name, check_endpoint

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
    taurusdb_offset_mode: str = "auto"
    throttle_backoff: tuple[float, float] = (2.0, 5.0)
    http_timeout: float = 10
    concurrency: int = 8
    reserve: float = 15
    log_level: str = "INFO"
    allow_foreign_endpoints: bool = False
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)
    # Every target the environment configures, before a trigger's user_event narrowed them (None: unknown).
    # Runs forget per-source data only of sources outside it: a shard never erases another shard's.
    all_targets: tuple[Target, ...] | None = None
    shard: str | None = None  # the shard the trigger's user_event selected
    # The object the shards shared before each had its own (state/shards.py): a shard's first run starts from it.
    shared_state_uri: str | None = None

    def endpoint(self, service: str, region: str) -> str:
        """The base URL of a service in a region (may carry a path prefix, e.g. the legacy /mysql): the
        TASKWATCH_ENDPOINT_* override if set, otherwise the host the SDK's region table gives (endpoints.py)."""
        override = self.endpoints.get(service)
        return override.replace("{region}", region) if override else default_endpoint(service, region)


def schema_properties() -> dict[str, Any]:
    """The configuration keys the schema declares, with their x-parse, default and meaning."""
    return load_schema("config")["properties"]


def config_keys() -> list[str]:
    """Every configuration key (environment variable name) the schema declares."""
    return list(schema_properties())


def parse_value(key: str, kind: str, value: Any) -> Any:
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


def _environment_values(environ: Mapping[str, str]) -> dict[str, Any]:
    """The declared keys of the environment, each read as its x-parse kind says (empty means unset)."""
    props = schema_properties()
    return {key: parse_value(key, props[key].get("x-parse", "string"), value)
            for key, value in environ.items() if key in props and value != ""}


def validate_values(values: Mapping[str, Any], where: str = "") -> None:
    """The values against the configuration schema; the first error (in key order) names its key."""
    try:
        errors = sorted(validator("config").iter_errors(dict(values)),
                        key=lambda e: [str(p) for p in e.absolute_path])
    except RecursionError:
        raise ConfigError(where.strip() or "configuration", "values nested too deeply") from None
    for error in errors:
        raise ConfigError(where + error_path(error), describe_error(error))


def check_state_survives(state_uri: str, configured: bool, values: Mapping[str, Any]) -> None:
    """Inside FunctionGraph (RUNTIME_FUNC_NAME is set there) a file state lives in the instance's /tmp, which
    does not outlive it: every cold start would take a fresh baseline and the failures it baselines would go
    unreported, silently. Refused unless TASKWATCH_ALLOW_LOCAL_STATE says it is intended."""
    if not values.get("RUNTIME_FUNC_NAME") or not state_uri.startswith("file://"):
        return
    if values.get("TASKWATCH_ALLOW_LOCAL_STATE", False):
        return
    what = "a file:// state" if configured else "not set, so the default local file"
    raise ConfigError("TASKWATCH_STATE_URI", f"{what} inside FunctionGraph does not survive the instance (every cold "
                      "start would take a fresh baseline); set obs://bucket/key, or TASKWATCH_ALLOW_LOCAL_STATE=1 "
                      "if a local state is intended")


def load_config(environ: Mapping[str, str], overrides: Mapping[str, Any] | None = None) -> Config:
    """Build and validate the run's configuration from the environment, then narrow it by the trigger's
    user_event; raises ConfigError naming the first bad key."""
    from .narrow import Narrowing, read_user_event  # narrow reads this module's schema helpers

    props = schema_properties()
    values = _environment_values(environ)
    validate_values(values)
    narrowing = read_user_event(overrides) if overrides else Narrowing()

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
    watched = tuple(
        Target(t["region"], t["project_id"], tuple(t.get("services") or DEFAULT_SERVICES), t.get("shard"),
               Agency(t["agency"]["domain"], t["agency"]["name"]) if t.get("agency") else None)
        for t in targets_raw
    )
    if len({(t.region, t.project_id) for t in watched}) != len(watched):
        raise ConfigError("TASKWATCH_TARGETS", "each region/project_id pair at most once")
    targets = narrowing.narrow_targets(watched)

    dry_run = bool(get("TASKWATCH_DRY_RUN"))
    environment_topic = values.get("TASKWATCH_SMN_TOPIC_URN")
    topic = narrowing.pick_topic(values.get("TASKWATCH_SMN_TOPICS") or {}) or environment_topic
    if not topic and not dry_run:
        raise ConfigError("TASKWATCH_SMN_TOPIC_URN", "required unless TASKWATCH_DRY_RUN=1")

    allow_foreign = bool(get("TASKWATCH_ALLOW_FOREIGN_ENDPOINTS"))
    endpoints: dict[str, str | None] = {}
    for service in (*SERVICES, "smn", "obs", "iam"):
        key = f"{PREFIX}ENDPOINT_{service.upper()}"
        endpoints[service] = values.get(key)
        if endpoints[service]:
            check_endpoint(key, endpoints[service], allow_foreign)
    written_uri = get("TASKWATCH_STATE_URI")
    state_uri = shard_uri(written_uri, narrowing.shard)  # a shard's own object (state/shards.py)
    if state_uri.startswith("obs://"):
        check_bucket_name("TASKWATCH_STATE_URI", state_uri[len("obs://"):].split("/", 1)[0])
    check_state_survives(state_uri, "TASKWATCH_STATE_URI" in values, values)

    # The state's region comes from the environment alone: a topic picked by a user_event does not move it.
    obs_region = values.get("TASKWATCH_OBS_REGION") or (
        environment_topic.split(":")[2] if environment_topic else watched[0].region)
    heartbeat = narrowing.pick_heartbeat(float(get("TASKWATCH_HEARTBEAT")))
    all_targets = watched  # every source the environment configures, before the trigger narrowed them
    return Config(
        all_targets=all_targets,
        shard=narrowing.shard,
        shared_state_uri=shared_uri(written_uri, narrowing.shard),
        targets=targets,
        topic_urn=topic,
        state_uri=state_uri,
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
        heartbeat=float(heartbeat),
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
