"""Credentials: the function's agency (temporary AK/SK/token from the context) or CLOUD_SDK_* locally."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import CredentialsError
from .secrets_scrub import SCRUBBER


@dataclass(frozen=True)
class Credentials:
    ak: str
    sk: str
    security_token: str | None = None

    def __repr__(self) -> str:  # never show a secret, even in a traceback
        token = "***" if self.security_token else None
        return f"Credentials(ak=***, sk=***, security_token={token})"

    __str__ = __repr__

    def secrets(self) -> tuple[str, ...]:
        """Every secret value, so logs and messages can be scrubbed of them."""
        return tuple(s for s in (self.ak, self.sk, self.security_token) if s)


def _call(context: Any, name: str) -> str | None:
    method = getattr(context, name, None)
    if not callable(method):
        return None
    value = method()
    return value or None


def registered(credentials: Credentials) -> Credentials:
    """Tell the scrubber these secrets the moment they are known (any credentials obtained later, such as
    another account's through an agency, go through here too)."""
    SCRUBBER.register(*credentials.secrets())
    return credentials


def resolve_credentials(context: Any, environ: Mapping[str, str]) -> Credentials:
    """Agency credentials from the FunctionGraph context win; otherwise the CLOUD_SDK_* environment."""
    ak = _call(context, "getSecurityAccessKey")
    sk = _call(context, "getSecuritySecretKey")
    if ak and sk:
        return registered(Credentials(ak, sk, _call(context, "getSecurityToken")))
    ak, sk = environ.get("CLOUD_SDK_AK"), environ.get("CLOUD_SDK_SK")
    if ak and sk:
        return registered(Credentials(ak, sk, environ.get("CLOUD_SDK_SECURITY_TOKEN") or None))
    raise CredentialsError(
        "no credentials: give the function an agency (context security keys) or set CLOUD_SDK_AK and CLOUD_SDK_SK"
    )
