"""`make doctor` with a target in another account: the agency exchange is tried, its row says whether it worked
(never the credentials), and that target's task centers are checked with what it gave."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from tests.conftest import emulator_with
from tests.doctor.conftest import Outcome
from tests.fixtures import (
    AK,
    CENTRAL_DOMAIN,
    MEMBER_AGENCY,
    MEMBER_DOMAIN,
    MEMBER_PROJECT,
    PROJECT,
    REGION,
    SK,
)

AGENCY_ROW = f"agency {MEMBER_DOMAIN}/{MEMBER_AGENCY}  "  # the check column (padded), not a detail naming it


@pytest.fixture
def fleet_env(env, monkeypatch) -> None:
    monkeypatch.delenv("TASKWATCH_REGION")
    monkeypatch.delenv("TASKWATCH_PROJECT_ID")
    monkeypatch.setenv("TASKWATCH_TARGETS", json.dumps([
        {"region": REGION, "project_id": PROJECT, "services": ["dds"]},
        {"region": REGION, "project_id": MEMBER_PROJECT, "services": ["dds", "gaussdb"],
         "agency": {"domain": MEMBER_DOMAIN, "name": MEMBER_AGENCY}}]))


def test_the_agency_is_exchanged_and_the_member_s_task_centers_read_with_it(
        fleet_env, monkeypatch: pytest.MonkeyPatch, run_doctor: Callable[[], Outcome]) -> None:
    with emulator_with(monkeypatch, iam=True, domain_name=CENTRAL_DOMAIN) as emu:
        emu.add_account(MEMBER_DOMAIN, [MEMBER_PROJECT], {MEMBER_AGENCY: CENTRAL_DOMAIN})
        outcome = run_doctor()
        [row] = outcome.rows(AGENCY_ROW)
        assert row.startswith("OK") and "valid until" in row, outcome.text
        for service in ("dds", "gaussdb"):
            assert outcome.status(f"{service} {REGION}/{MEMBER_PROJECT}: list") == "OK", outcome.text
        assert outcome.status(f"dds {REGION}/{PROJECT}: list") == "OK"
        assert emu.request_counts()["iam.assume"] == 1
        [session] = emu.accounts.sessions()
        for secret in (session.access, session.secret, session.token, AK, SK):
            assert secret[:10] not in outcome.text


@pytest.mark.parametrize(("agencies", "says"), [({MEMBER_AGENCY: "another-account"}, "must trust this account"),
                                                ({"other-agency": CENTRAL_DOMAIN}, "has no agency")])
def test_a_failed_exchange_is_a_clear_failure_of_that_target_only(
        fleet_env, monkeypatch: pytest.MonkeyPatch, run_doctor: Callable[[], Outcome], agencies, says) -> None:
    with emulator_with(monkeypatch, iam=True, domain_name=CENTRAL_DOMAIN) as emu:
        emu.add_account(MEMBER_DOMAIN, [MEMBER_PROJECT], agencies)
        outcome = run_doctor()
        [row] = outcome.rows(AGENCY_ROW)
        assert row.startswith("FAIL") and says in row, row
        for service in ("dds", "gaussdb"):
            [member] = outcome.rows(f"{service} {REGION}/{MEMBER_PROJECT}: list")
            assert member.startswith("FAIL") and "not checked" in member
        assert outcome.status(f"dds {REGION}/{PROJECT}: list") == "OK"
        assert outcome.code == 1
