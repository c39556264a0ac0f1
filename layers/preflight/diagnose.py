"""From a failed call to a verdict: which IAM action is missing, or what to fix (host, DNS, bucket, keys).

The IAM actions are the ones each call needs. Where a call belongs to the function's own work (task lists, the
state object's GET and PUT) they match layers/agency-policy-regional.json and agency-policy-global.json; the
others are only needed by the preflight itself (bucket HEAD, probe DELETE, reading the topic's subscriptions),
as the services' API references name them (SMN: smn:topic:listSubscriptionsByTopic; TaurusDB's identity policies
call its task list gaussdbformysql:task:list, with gaussdb:instance:list as the role-based action the agency
policy uses; RDS's pages "Querying Instant Tasks" (rds_06_0138) and "Obtaining Information About a Task with a
Specified ID" (rds_08_0001) give rds:task:listAll, alias rds:task:list, for both of its calls).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from taskwatch.errors import SourceError
from taskwatch.retry import classify

from .rows import FAIL, WARN

IAM_ACTIONS = {
    "taurusdb.list": "gaussdb:instance:list",
    "gaussdb.list": "gaussdb:instance:list",
    "dds.list": "dds:task:list",
    "rds.list": "rds:task:list",  # RDS ListTasks and ListJobInfo: rds:task:listAll, alias rds:task:list
    "smn.subscriptions": "smn:topic:listSubscriptionsByTopic",
    "obs.head_bucket": "obs:bucket:HeadBucket",
    "obs.put": "obs:object:PutObject",
    "obs.get": "obs:object:GetObject",
    "obs.delete": "obs:object:DeleteObject",
}
# Calls only the preflight makes: the function itself does not need them, so a denial there is a warning.
PREFLIGHT_ONLY = frozenset({"smn.subscriptions", "obs.head_bucket", "obs.delete"})
_DNS = re.compile(r"name or service not known|nodename nor servname|getaddrinfo|failed to resolve|"
                  r"name resolution|no address associated", re.IGNORECASE)


@dataclass(frozen=True)
class Verdict:
    status: str
    detail: str
    fix: str


def _denied(call: str, detail: str) -> Verdict:
    action = IAM_ACTIONS[call]
    if call in PREFLIGHT_ONLY:
        return Verdict(WARN, detail, f"grant IAM action {action} to run this check (the function itself does "
                                     "not need it)")
    return Verdict(FAIL, detail, f"grant IAM action {action} (missing permission)")


def _transport(kind: str, text: str, endpoint_key: str) -> Verdict:
    if kind == "timeout":
        return Verdict(FAIL, text, f"no answer in time: check the host in {endpoint_key}, the network or a proxy")
    if _DNS.search(text):
        return Verdict(FAIL, text, f"the host name does not resolve: check the region, or {endpoint_key}")
    return Verdict(FAIL, text, f"cannot connect: check the host and port in {endpoint_key}, the network or a proxy")


def api_error(call: str, exc: BaseException, endpoint_key: str) -> Verdict:
    """A failed SDK call (task centers, SMN), classified as the function classifies it."""
    error = exc if isinstance(exc, SourceError) else classify(exc)
    text = str(error)
    if error.kind in ("timeout", "connection", "transport"):
        return _transport(error.kind, text, endpoint_key)
    if error.status == 403:
        return _denied(call, text)
    if error.status == 401:
        return Verdict(FAIL, text, "credentials refused: check CLOUD_SDK_AK / CLOUD_SDK_SK "
                                   "(and CLOUD_SDK_SECURITY_TOKEN, which expires) and the clock")
    if error.code == "APIG.0101" or (error.status == 404 and not error.code):
        return Verdict(FAIL, text, f"this host does not serve the API: wrong host or path in {endpoint_key}")
    if error.code == "SMN.0006":
        return Verdict(FAIL, text, "the topic does not exist in that project and region: check "
                                   "TASKWATCH_SMN_TOPIC_URN")
    if error.kind == "throttled":
        return Verdict(WARN, text, "throttled: run the preflight again in a minute")
    if error.kind == "server":
        return Verdict(FAIL, text, "the service failed: run the preflight again later")
    if error.kind == "bad_response":
        return Verdict(FAIL, text, f"the answer is not the API's JSON: wrong host in {endpoint_key}, or a proxy")
    return Verdict(FAIL, text, "the request was refused: see the detail")


def obs_error(call: str, status: int, code: str, endpoint_key: str = "TASKWATCH_ENDPOINT_OBS") -> Verdict:
    """A non-2xx OBS answer (status, and the <Code> of its XML body; a HEAD answer has no body)."""
    detail = f"HTTP {status} {code}".strip()
    if code == "SignatureDoesNotMatch":
        return Verdict(FAIL, detail, "CLOUD_SDK_SK does not belong to CLOUD_SDK_AK")
    if code in ("InvalidAccessKeyId", "InvalidSecurityToken", "ExpiredToken"):
        return Verdict(FAIL, detail, "credentials refused: check CLOUD_SDK_AK and CLOUD_SDK_SECURITY_TOKEN")
    if code == "RequestTimeTooSkewed":
        return Verdict(FAIL, detail, "this machine's clock is more than 15 minutes off")
    if status == 403:
        return _denied(call, detail)
    if code == "NoSuchBucket" or (status == 404 and call == "obs.head_bucket"):
        return Verdict(FAIL, detail, "the bucket does not exist: create it, or fix TASKWATCH_STATE_URI")
    if status in (301, 307) or code in ("PermanentRedirect", "TemporaryRedirect"):
        return Verdict(FAIL, detail, "the bucket is in another region: set TASKWATCH_OBS_REGION to it")
    if status in (400, 405) and code in ("", "MethodNotAllowed", "InvalidURI"):
        return Verdict(FAIL, detail, f"this host does not serve OBS as expected: check {endpoint_key}")
    if status >= 500:
        return Verdict(FAIL, detail, "OBS failed: run the preflight again later")
    return Verdict(FAIL, detail, "the request was refused: see the detail")


def obs_transport(text: str, endpoint_key: str = "TASKWATCH_ENDPOINT_OBS") -> Verdict:
    """The OBS request did not get an answer (the store raised before any status)."""
    kind = "timeout" if "Timeout" in text else "connection"
    return _transport(kind, text, endpoint_key)
