"""IAM's agency exchange and member accounts (tests/emulator/iam.py), through the real IAM SDK client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkdds.v3 import DdsClient, ShowJobDetailRequest
from huaweicloudsdkiam.v3 import IamClient, model

from tests.emulator import CloudEmulator

MEMBER, PROJECT, AGENCY = "member-a", "a" * 32, "reader"


@pytest.fixture
def emu() -> Iterator[CloudEmulator]:
    with CloudEmulator(iam=True, seed_examples=False) as emulator:
        emulator.add_account(MEMBER, [PROJECT], {AGENCY: emulator.accounts.central})
        yield emulator
        assert emulator.errors == []


def iam(emu: CloudEmulator, sk: str | None = None) -> IamClient:
    return (IamClient.new_builder().with_credentials(BasicCredentials(emu.ak, sk or emu.sk))
            .with_endpoints([emu.endpoints["iam"]]).build())


def assume(client: IamClient, domain: str = MEMBER, agency: str = AGENCY, duration: int | None = 900,
           methods: list[str] | None = None) -> model.Credential:
    identity = model.AgencyAuthIdentity(methods=methods or ["assume_role"], assume_role=model.IdentityAssumerole(
        domain_name=domain, agency_name=agency, duration_seconds=duration))
    body = model.CreateTemporaryAccessKeyByAgencyRequestBody(auth=model.AgencyAuth(identity=identity))
    return client.create_temporary_access_key_by_agency(
        model.CreateTemporaryAccessKeyByAgencyRequest(body=body)).credential


def dds(emu: CloudEmulator, ak: str, sk: str, token: str | None, project: str) -> DdsClient:
    credentials = BasicCredentials(ak, sk, project)
    if token:
        credentials = credentials.with_security_token(token)
    return DdsClient.new_builder().with_credentials(credentials).with_endpoints([emu.endpoints["dds"]]).build()


def refused(call) -> int:
    with pytest.raises(ClientRequestException) as err:
        call()
    return err.value.status_code


def test_an_agency_that_trusts_the_caller_gives_credentials_for_its_account_s_projects_only(emu) -> None:
    issued = assume(iam(emu))
    assert issued.access and issued.secret and issued.securitytoken and issued.expires_at.endswith("Z")
    member = dds(emu, issued.access, issued.secret, issued.securitytoken, PROJECT)
    assert refused(lambda: member.show_job_detail(ShowJobDetailRequest(id="x"))) == 400  # in: no such job
    assert refused(lambda: dds(emu, issued.access, issued.secret, issued.securitytoken, emu.project_id)
                   .show_job_detail(ShowJobDetailRequest(id="x"))) == 403  # the central project: refused
    assert refused(lambda: dds(emu, issued.access, issued.secret, None, PROJECT)
                   .show_job_detail(ShowJobDetailRequest(id="x"))) == 401  # without its token
    assert refused(lambda: dds(emu, emu.ak, emu.sk, None, PROJECT)
                   .show_job_detail(ShowJobDetailRequest(id="x"))) == 403  # the central keys: not in a member
    emu.accounts.expire_all()
    assert refused(lambda: member.show_job_detail(ShowJobDetailRequest(id="x"))) == 401


@pytest.mark.parametrize(("change", "status"), [
    ({"domain": "nobody"}, 404), ({"agency": "other"}, 404), ({"duration": 60}, 400),
    ({"methods": ["token"]}, 400)])
def test_the_exchange_is_refused_for_what_iam_refuses(emu, change, status) -> None:
    assert refused(lambda: assume(iam(emu), **change)) == status


def test_an_agency_that_trusts_another_account_and_a_bad_signature_are_refused(emu) -> None:
    emu.add_account(MEMBER, [PROJECT], {AGENCY: "someone-else"})
    assert refused(lambda: assume(iam(emu))) == 403
    assert refused(lambda: assume(iam(emu, sk="WRONG" + emu.sk))) == 401
