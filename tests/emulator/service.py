"""What every emulated cloud service provides to the dispatcher, plus the API-gateway flavour.

Why: the dispatcher runs one pipeline for all five hosts (route, authenticate, latency, faults,
handle, record); a service only says how it routes, authenticates, answers and spells its errors.
TaurusDB, openGauss, DDS and SMN sit behind the API gateway (SDK-HMAC-SHA256, JSON errors); OBS does not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .auth import SdkHmacVerifier
from .wire import Request, Response, api_error, html_page

if TYPE_CHECKING:
    from .emulator import CloudEmulator


@dataclass(frozen=True)
class Route:
    """A recognised API call: its call name (e.g. 'dds.list') and path parameters."""

    call: str
    params: dict[str, str] = field(default_factory=dict)


# Fault kinds that answer with an error status, and the API gateway's body for each.
_GATEWAY_FAULTS = {
    "429": (429, "APIG.0308", "The request is throttled."),
    "500": (500, "APIG.0203", "Internal server error."),
    "503": (503, "APIG.0202", "Backend unavailable."),
    "401": (401, "APIG.0301", "Incorrect IAM authentication information: verify aksk signature fail"),
    "403": (403, "APIG.0302", "The IAM user is forbidden in the currently selected region."),
}


class Service:
    """Base class; subclasses implement route() and handle()."""

    name = ""

    def __init__(self, emu: CloudEmulator) -> None:
        self.emu = emu

    def route(self, req: Request) -> Route | None:
        raise NotImplementedError

    def authenticate(self, req: Request, route: Route) -> Response | None:
        raise NotImplementedError

    def handle(self, req: Request, route: Route) -> Response:
        raise NotImplementedError

    def is_list(self, call: str) -> bool:
        return call.endswith(".list")

    def unknown_api(self, req: Request) -> Response:
        raise NotImplementedError

    def fault_error(self, kind: str) -> Response:
        raise NotImplementedError

    def malformed_body(self, route: Route) -> bytes:
        return b'{"jobs": [' if self.is_list(route.call) else b'{"job": {"id": '

    def html_error(self) -> Response:
        return html_page(200, "502 Bad Gateway")

    def decorate(self, response: Response, request_id: str) -> None:
        """Add the headers every answer of this service carries."""
        response.headers.append(("X-Request-Id", request_id))


class GatewayService(Service):
    """A service behind the API gateway: AK/SK signature, security token, X-Project-Id, JSON errors."""

    @staticmethod
    def access_key(req: Request) -> str | None:
        match = ACCESS.search(str(req.header("Authorization") or ""))
        return match.group(1) if match else None

    def authenticate(self, req: Request, route: Route) -> Response | None:
        # Temporary credentials IAM issued for another account's agency (iam.py): that account's projects only.
        session = self.emu.accounts.session(self.access_key(req))
        ak, sk = (session.access, session.secret) if session is not None else (self.emu.ak, self.emu.sk)
        # Built per request so a test may change emu.ak / emu.sk (key rotation) at any time.
        verifier = SdkHmacVerifier(ak, sk, self.emu.max_skew.total_seconds())
        verdict = verifier.verify(req.method, req.raw_path, req.query_items(), req.headers, req.body)
        if not verdict.ok:
            if verdict.reason == "signature mismatch":
                return api_error(401, "APIG.0301", _MISMATCH)
            return api_error(401, "APIG.0301", f"{_BAD_AUTH}: {verdict.reason}")
        token = req.header("X-Security-Token")
        path_project = route.params.get("project_id")
        owner = self.emu.accounts.owner_of(path_project) if path_project else None
        if session is not None:
            if token != session.token:
                return api_error(401, "APIG.0301", f"{_BAD_AUTH}: invalid or missing security token")
            if session.expired:
                return api_error(401, "APIG.0301", f"{_BAD_AUTH}: the token has expired")
            if path_project is not None and owner != session.domain:
                return api_error(403, "APIG.0302", "The agency's credentials are not valid in this project.")
        else:
            if self.emu.security_token is not None and token != self.emu.security_token:
                return api_error(401, "APIG.0301", f"{_BAD_AUTH}: invalid or missing security token")
            if self.emu.security_token is None and token is not None:
                return api_error(401, "APIG.0301", f"{_BAD_AUTH}: unexpected security token")
            if owner is not None:  # another account's project: only its agency's credentials reach it
                return api_error(403, "APIG.0302", "The IAM user is forbidden in this project of another account.")
        header_project = req.header("X-Project-Id")
        if header_project is not None and path_project is not None and header_project != path_project:
            return api_error(401, "APIG.0301", f"{_BAD_AUTH}: X-Project-Id does not match the URI project")
        return None

    def unknown_api(self, req: Request) -> Response:
        return api_error(
            404, "APIG.0101", "The API does not exist or has not been published in the environment."
        )

    def fault_error(self, kind: str) -> Response:
        status, code, message = _GATEWAY_FAULTS[kind]
        return api_error(status, code, message)


ACCESS = re.compile(r"Access=([^,\s]+)")
_BAD_AUTH = "Incorrect IAM authentication information"
_MISMATCH = f"{_BAD_AUTH}: verify aksk signature fail"
