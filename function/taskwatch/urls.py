"""Which hosts may receive a signed request: endpoint URLs and OBS bucket names checked before any call.

Every request carries the agency's access key and security token, so an endpoint is checked on the host the
HTTP stack will really connect to. requests hands the URL to urllib3 (`urllib3.util.parse_url`), while the
SDKs split endpoints with `urllib.parse.urlsplit`; the two disagree on odd text (urllib3 ends the host of
`https://evil.example\\@smn.x.myhuaweicloud.com` at the backslash, urlsplit reads it after the `@`). So:
characters that let them disagree are refused outright (backslash, `@` and any user info, whitespace,
controls, anything outside printable ASCII, query and fragment), then the host is read both ways, and both
readings must agree and be allowed. The deploy tool uses the same functions for its own endpoints and bucket.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

from .errors import ConfigError

MAX_URL = 2048
PLACEHOLDERS = {"{region}": "region-x", "{bucket}": "bucket-x"}  # endpoint templates, filled for the check
_PRINTABLE_ASCII = re.compile(r"^[\x21-\x7e]*$")
_REFUSED = {"\\": "a backslash", "@": "user info (@)", "?": "a query (?)", "#": "a fragment (#)"}
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def allowed_domains() -> tuple[str, ...]:
    """The Huawei Cloud domains (config.HUAWEI_DOMAINS, the one list to extend); imported here lazily
    because config imports this module."""
    from .config import HUAWEI_DOMAINS

    return tuple(HUAWEI_DOMAINS)


def endpoint_host(key: str, url: str) -> str:
    """The host a request to `url` connects to, read as urllib3 and as urlsplit read it; refused (naming
    `key`, never echoing the URL) when the text is odd or the two readings differ."""
    if not isinstance(url, str) or not url:
        raise ConfigError(key, "expected an endpoint URL")
    if len(url) > MAX_URL:
        raise ConfigError(key, f"expected an endpoint URL of at most {MAX_URL} characters")
    text = url
    for placeholder, sample in PLACEHOLDERS.items():
        text = text.replace(placeholder, sample)
    if not _PRINTABLE_ASCII.match(text):
        raise ConfigError(key, "expected an endpoint URL of printable ASCII only (no whitespace or control "
                               "characters; placeholders only {region} and {bucket})")
    for character, what in _REFUSED.items():
        if character in text:
            raise ConfigError(key, f"an endpoint URL may not contain {what}")
    if "{" in text or "}" in text:
        raise ConfigError(key, "only {region} and {bucket} may appear in braces")
    try:
        by_urllib3 = parse_url(text)
        by_urlsplit = urlsplit(text)
        split_port = by_urlsplit.port
    except (LocationParseError, ValueError):
        raise ConfigError(key, "expected an endpoint URL such as https://host[:port][/path]") from None
    scheme = (by_urlsplit.scheme or "").lower()
    if scheme not in ("http", "https") or (by_urllib3.scheme or "").lower() != scheme:
        raise ConfigError(key, "expected an https:// endpoint (plain http is only allowed for loopback)")
    if by_urllib3.auth is not None or by_urlsplit.username is not None:
        raise ConfigError(key, "an endpoint URL may not carry user info")
    host_urllib3 = (by_urllib3.host or "").lower().strip("[]")
    host_urlsplit = (by_urlsplit.hostname or "").lower()
    if not host_urllib3 or host_urllib3 != host_urlsplit or by_urllib3.port != split_port:
        raise ConfigError(key, "the endpoint's host is ambiguous (HTTP libraries would read it differently)")
    return host_urllib3


def is_loopback(host: str) -> bool:
    """localhost or a loopback address (local runs and the tests' emulator)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def in_domains(host: str, domains: tuple[str, ...]) -> bool:
    """The host is one of the domains or a subdomain of one (a label boundary, not a mere suffix)."""
    return any(host == domain or host.endswith("." + domain) for domain in domains)


def check_endpoint(key: str, url: str, allow_foreign: bool) -> None:
    """No credentialed request to arbitrary hosts: https to the Huawei Cloud domains, loopback (http or
    https), or, only with allow_foreign, https to another host. Raises ConfigError naming `key`."""
    host = endpoint_host(key, url)
    if is_loopback(host):
        return
    if not url.lower().startswith("https://"):
        raise ConfigError(key, "expected an https:// endpoint (plain http is only allowed for loopback)")
    if not in_domains(host, allowed_domains()) and not allow_foreign:
        raise ConfigError(key, "host outside the Huawei Cloud domains; set TASKWATCH_ALLOW_FOREIGN_ENDPOINTS=1 "
                               "to allow it")


def check_bucket_name(key: str, name: str) -> None:
    """OBS bucket naming rules: 3-63 characters of lowercase letters, digits, hyphens and periods, starting
    and ending with a letter or digit, no two periods in a row, no period next to a hyphen, and not an IP
    address. The name becomes part of a host name (virtual-host style), so nothing else may pass."""
    if not isinstance(name, str) or not _BUCKET.match(name):
        raise ConfigError(key, "expected an OBS bucket name: 3-63 lowercase letters, digits, hyphens and periods, "
                               "starting and ending with a letter or digit")
    if ".." in name or ".-" in name or "-." in name:
        raise ConfigError(key, "expected an OBS bucket name without '..', '.-' or '-.'")
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        return
    raise ConfigError(key, "an OBS bucket name may not look like an IP address")
