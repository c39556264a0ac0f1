"""An agency in another account: the exchange the function makes (taskwatch/agencies.py), then the task-center
rows of its targets are checked with the credentials it gave (taskcenter.py). Nothing of the credentials is
shown: the row says whether they were obtained and until when."""

from __future__ import annotations

from datetime import datetime, timezone

from taskwatch.agencies import AgencyCredentials
from taskwatch.config import Config
from taskwatch.credentials import Credentials
from taskwatch.deadline import Deadline
from taskwatch.errors import SourceError, TaskwatchError
from taskwatch.retry import RetryPolicy
from taskwatch.tasks import Agency

from .hosts import shown
from .rows import FAIL, OK, WARN, Row

ENDPOINT_KEY = "TASKWATCH_ENDPOINT_IAM"
ASSUME = "iam:tokens:assume (layers/agency-policy-assume.json)"


def check_agency(config: Config, credentials: Credentials, agency: Agency) -> tuple[Row, Credentials | None]:
    """One row for the exchange, and the agency's credentials when it worked (None otherwise)."""
    endpoint = config.endpoint("iam", config.obs_region)
    exchanges = AgencyCredentials(credentials, endpoint, RetryPolicy(throttle_retries=0, server_retries=0),
                                  Deadline(None, 0.0), config.http_timeout)
    name = f"agency {agency.label}"
    host = shown(endpoint)
    try:
        issued = exchanges.for_agency(agency)
    except SourceError as exc:
        status, fix = _verdict(exc, agency)
        return Row(status, name, host, str(exc), fix), None
    except TaskwatchError as exc:
        return Row(FAIL, name, host, str(exc), "run the preflight again"), None
    until = datetime.fromtimestamp(exchanges.expiry(agency), timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return Row(OK, name, host, f"temporary credentials obtained (valid until {until}); its targets' task "
                               "centers are checked with them below"), issued


def _verdict(error: SourceError, agency: Agency) -> tuple[str, str]:
    if error.status == 403:
        return FAIL, (f"in account {agency.domain}, agency {agency.name} must trust this account (IAM -> Agencies "
                      f"-> delegated party); this account's identity needs {ASSUME}")
    if error.status == 404:
        return FAIL, (f"account {agency.domain} has no agency {agency.name}: check the names in TASKWATCH_TARGETS "
                      "(the account name, not its ID)")
    if error.status == 401:
        return FAIL, "IAM refused this account's credentials: check CLOUD_SDK_AK / CLOUD_SDK_SK and the token"
    if error.kind == "throttled":
        return WARN, "IAM throttled the call: run the preflight again in a minute"
    if error.kind in ("timeout", "connection", "transport"):
        return FAIL, f"IAM did not answer: check {ENDPOINT_KEY}, the network or a proxy"
    return FAIL, "IAM refused the exchange: see the detail"


def agency_missing_rows(agency: Agency, services: list[str], label: str) -> list[Row]:
    """The task-center rows of a target whose agency gave no credentials: not checked, and why."""
    return [Row(FAIL, f"{service} {label}: list", "-", f"not checked: no credentials for agency {agency.label}",
                "fix the agency row above") for service in services]
