"""Targets in other accounts, read through an agency (function/taskwatch/agencies.py).

The emulator's member account answers only the temporary credentials its IAM issued for its agency (and
refuses the central credentials), so a failure read there proves the function used the agency's
credentials. An exchange that fails (refused, unknown agency, throttled, timed out) fails only that
target's sources, which go blind like any unreadable source; the other targets are untouched. The issued
credentials reach no log line, summary, state object, message or exception.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest

from tests.conftest import alerted_keys, emulator_with, invoke, published
from tests.emulator import CloudEmulator, Fault
from tests.faults.observe import capture_logs
from tests.fixtures import (
    BUCKET,
    CENTRAL_DOMAIN,
    MEMBER_AGENCY,
    MEMBER_DOMAIN,
    MEMBER_PROJECT,
    PROJECT,
    REGION,
)

SERVICES = ("taurusdb", "gaussdb", "dds")
MEMBER_SOURCES = {f"{REGION}/{MEMBER_PROJECT}/{s}" for s in SERVICES}
CENTRAL_SOURCES = {f"{REGION}/{PROJECT}/{s}" for s in SERVICES}


def targets(agency: dict[str, str] | None) -> str:
    member = {"region": REGION, "project_id": MEMBER_PROJECT}
    if agency is not None:
        member["agency"] = agency
    return json.dumps([{"region": REGION, "project_id": PROJECT}, member])


AGENCY = {"domain": MEMBER_DOMAIN, "name": MEMBER_AGENCY}


@pytest.fixture
def fleet(env, monkeypatch) -> Iterator[CloudEmulator]:
    """The central account (the emulator's own credentials) and a member account whose agency trusts it."""
    with emulator_with(monkeypatch, iam=True, domain_name=CENTRAL_DOMAIN) as emu:
        emu.add_account(MEMBER_DOMAIN, [MEMBER_PROJECT], {MEMBER_AGENCY: CENTRAL_DOMAIN})
        monkeypatch.delenv("TASKWATCH_REGION")
        monkeypatch.delenv("TASKWATCH_PROJECT_ID")
        monkeypatch.setenv("TASKWATCH_TARGETS", targets(AGENCY))
        monkeypatch.setenv("TASKWATCH_BLIND_AFTER", "2")
        yield emu


def member_failure(emu: CloudEmulator, service: str = "dds") -> str:
    created = emu.now() - timedelta(minutes=10)
    task_id = emu.add_task(service, MEMBER_PROJECT, name="Create_MongoDB", status="Failed", created=created,
                           ended=created + timedelta(minutes=2), instance_id="member-inst",
                           instance_name="member-db", fail_reason="no capacity")
    return f"{service}:{MEMBER_PROJECT}:{task_id}"


def by_source(summary: dict) -> dict[str, dict]:
    return {s["source"]: s for s in summary["sources"]}


def test_a_member_account_s_failure_is_read_with_its_agency_s_credentials(fleet) -> None:
    key = member_failure(fleet)
    summary = invoke()
    assert summary["outcome"] == "ok", summary["errors"]
    assert key in alerted_keys(fleet)
    # One exchange for the agency in the run, used by all three of the member target's services.
    assert fleet.request_counts()["iam.assume"] == 1
    member_calls = [r for r in fleet.requests if MEMBER_PROJECT in r["path"]]
    assert {r["call"] for r in member_calls} >= {"taurusdb.list", "gaussdb.list", "dds.list"}
    assert all(r["status"] == 200 for r in member_calls)
    # The credentials are the run's: the next run obtains its own.
    invoke()
    assert fleet.request_counts()["iam.assume"] == 2


def test_without_the_agency_the_member_s_project_refuses_the_central_credentials(fleet, monkeypatch) -> None:
    """The check the test above relies on: the central credentials cannot read the member's project."""
    monkeypatch.setenv("TASKWATCH_TARGETS", targets(None))
    summary = invoke()
    sources = by_source(summary)
    assert all(not sources[s]["ok"] and "403" in sources[s]["error"] for s in MEMBER_SOURCES)
    assert all(sources[s]["ok"] for s in CENTRAL_SOURCES)
    assert fleet.request_counts()["iam.assume"] == 0


def test_the_agency_s_credentials_are_refused_outside_the_member_s_projects(fleet) -> None:
    """Emulator: a session of the member account reads its project only, not the central one."""
    invoke()
    session = fleet.accounts.sessions()[0]
    assert session.domain == MEMBER_DOMAIN and not session.expired
    from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
    from taskwatch.credentials import Credentials
    from taskwatch.sdk import build_client
    from taskwatch.sources import SPECS

    spec = SPECS["dds"]
    issued = Credentials(session.access, session.secret, session.token)
    now = fleet.now()
    for project, allowed in ((MEMBER_PROJECT, True), (PROJECT, False)):
        client = build_client(spec.client_class(), fleet.endpoints["dds"], project, issued, 5)
        request = spec.list_request("Failed", now - timedelta(days=1), now, 0, 10)
        if allowed:
            assert client.list_tasks(request).total_count is not None
        else:
            with pytest.raises(ClientRequestException) as refused:
                client.list_tasks(request)
            assert refused.value.status_code == 403


FAILURES = {
    "refused": ({MEMBER_AGENCY: "someone-else"}, None),  # the agency trusts another account: 403
    "unknown agency": ({"another-agency": CENTRAL_DOMAIN}, None),  # 404
    "throttled": ({MEMBER_AGENCY: CENTRAL_DOMAIN}, Fault(call="iam.assume", kind="429", times=None)),
    "timeout": ({MEMBER_AGENCY: CENTRAL_DOMAIN}, Fault(call="iam.assume", kind="timeout", delay=2.0, times=None)),
}


@pytest.mark.parametrize("failure", list(FAILURES))
def test_a_failed_exchange_fails_only_that_target_s_sources_which_go_blind(fleet, monkeypatch, failure) -> None:
    agencies, fault = FAILURES[failure]
    fleet.add_account(MEMBER_DOMAIN, [MEMBER_PROJECT], agencies)
    if fault is not None:
        fleet.faults.add(fault)
    monkeypatch.setenv("TASKWATCH_HTTP_TIMEOUT", "0.5")
    summaries = [invoke(), invoke()]
    for summary in summaries:
        sources = by_source(summary)
        assert all(not sources[s]["ok"] and "agency" in sources[s]["error"] for s in MEMBER_SOURCES), summary
        assert all(sources[s]["ok"] and sources[s]["complete"] for s in CENTRAL_SOURCES), summary
        assert summary["outcome"] == "degraded"
    # The central account's seeded failures are alerted; the member's sources go blind after 2 runs.
    assert alerted_keys(fleet)
    blind = [m for m in published(fleet) if m["http"]["kind"] == "blind"]
    assert {m["http"]["source"] for m in blind} == MEMBER_SOURCES, [m["subject"] for m in blind]
    # One exchange per run, however many sources need it (retries of a throttled or timed-out call aside).
    calls = fleet.request_counts()["iam.assume"]
    assert calls == 2 if failure in ("refused", "unknown agency") else 2 <= calls <= 8


def test_the_agency_s_credentials_reach_no_output(fleet, monkeypatch) -> None:
    """A member task center that echoes the request's headers and security token in its error and in a
    task's fields: the issued credentials appear in no log line, summary, state, message or exception."""
    member_failure(fleet, "gaussdb")

    def echo(request) -> bytes:
        token, authorization = request.header("X-Security-Token"), request.header("Authorization")
        return json.dumps({"error_code": "DBS.280001", "error_msg": f"denied: {token} {authorization}"}).encode()

    fleet.faults.add(Fault(call="dds.list", kind="answer", status=400, body=echo, times=None))
    with capture_logs() as output:
        summaries = [invoke(), invoke(), invoke()]
    sessions = fleet.accounts.sessions()
    assert len(sessions) == 3
    secrets = [value for s in sessions for value in (s.access, s.secret, s.token)]
    texts = [output.text, json.dumps(summaries)]
    texts += [data.decode("utf-8", "replace") for (_bucket, _key), data in fleet.obs_objects.items()]
    texts += [json.dumps(m["body"]) for m in fleet.smn_messages]
    member_dds = by_source(summaries[0])[f"{REGION}/{MEMBER_PROJECT}/dds"]
    assert "denied" in member_dds["error"] and "***" in member_dds["error"], member_dds  # echoed, then scrubbed
    for text in texts:
        for secret in secrets:
            assert secret[:12] not in text and secret[-12:] not in text
    assert (BUCKET, "taskwatch/state.json") in fleet.obs_objects


def test_an_exception_text_never_holds_the_issued_credentials(fleet) -> None:
    """An IAM answer whose credential lacks a field: the error names the field, never the values it got."""
    body = json.dumps({"credential": {"access": "TMPAKLEAKCHECK000001", "secret": "SECRETleakcheck0123456789",
                                      "securitytoken": "TOKENleakcheck0123456789abcdef"}}).encode()
    fleet.faults.add(Fault(call="iam.assume", kind="answer", status=201, body=body, times=None))
    summary = invoke()
    errors = json.dumps(summary)
    assert "expires_at" in errors
    for secret in ("TMPAKLEAKCHECK000001", "SECRETleakcheck0123456789", "TOKENleakcheck0123456789abcdef"):
        assert secret[:10] not in errors


def test_credentials_are_kept_for_their_lifetime_and_exchanged_again_near_its_end(fleet) -> None:
    from taskwatch.agencies import RENEW_MARGIN, AgencyCredentials
    from taskwatch.credentials import Credentials
    from taskwatch.deadline import Deadline
    from taskwatch.retry import RetryPolicy
    from taskwatch.tasks import Agency

    from tests.fixtures import AK, SK

    now = [1000.0]
    exchanges = AgencyCredentials(Credentials(AK, SK), fleet.endpoints["iam"], RetryPolicy(), Deadline(None, 0.0), 5,
                                  clock=lambda: now[0])
    agency = Agency(MEMBER_DOMAIN, MEMBER_AGENCY)
    first = exchanges.for_agency(agency)
    now[0] = exchanges.expiry(agency) - RENEW_MARGIN - 1  # still valid: kept
    assert exchanges.for_agency(agency) is first and fleet.request_counts()["iam.assume"] == 1
    now[0] += 2  # within the margin of its expiry: a new exchange
    assert exchanges.for_agency(agency) != first and fleet.request_counts()["iam.assume"] == 2
    assert exchanges.for_agency(None) == Credentials(AK, SK)  # a target without an agency: the own credentials


@pytest.mark.parametrize("agency", [{"domain": MEMBER_DOMAIN}, {"domain": "a b", "name": MEMBER_AGENCY},
                                    {"domain": MEMBER_DOMAIN, "name": "*"},
                                    {"domain": MEMBER_DOMAIN, "name": MEMBER_AGENCY, "duration": 60}])
def test_a_malformed_agency_stops_the_run_naming_the_key_before_any_call(fleet, monkeypatch, agency) -> None:
    monkeypatch.setenv("TASKWATCH_TARGETS", targets(agency))
    summary = invoke()
    assert summary["outcome"] == "failed" and "TASKWATCH_TARGETS" in summary["errors"][0], summary
    assert fleet.requests == []


def test_the_iam_sdk_is_imported_only_when_a_target_names_an_agency() -> None:
    """Cold starts without other accounts pay nothing for them: the run's modules do not import the IAM SDK."""
    import subprocess
    import sys
    from pathlib import Path

    function = Path(__file__).resolve().parents[2] / "function"
    code = ("import sys; import index, taskwatch.run, taskwatch.agencies, taskwatch.state.shards; "
            "assert not [m for m in sys.modules if m.startswith('huaweicloudsdkiam')], 'IAM SDK imported'")
    done = subprocess.run([sys.executable, "-c", code], cwd=function, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
