"""State in an OBS object (obs://bucket/key), over plain `requests` with the OBS header signature.

No OBS SDK at run time: two calls (GET, PUT) do not justify its import cost on every cold start.
"""

from __future__ import annotations

import base64
import hashlib
import os
from urllib.parse import quote

import requests

from ..credentials import Credentials
from ..deadline import Deadline
from ..errors import StateError
from ..sanitize import one_line
from ..warm import SHELF
from .obs_signature import authorization, http_date
from .store import StateStore, StoredObject

CONTENT_TYPE = "application/json"


class ObsStore(StateStore):
    def __init__(self, uri: str, credentials: Credentials, endpoint_template: str, region: str,
                 deadline: Deadline, timeout: float = 10.0) -> None:
        bucket, _, key = uri[len("obs://"):].partition("/")
        if not bucket or not key:
            raise StateError("an obs:// state URI needs a bucket and a key: obs://bucket/path/state.json")
        super().__init__(uri, key)
        self.bucket = bucket
        self.credentials = credentials
        self.deadline = deadline
        self.timeout = timeout
        self.base = endpoint_template.replace("{region}", region)
        # A warm instance's earlier session, with its open connection (warm.py): lent to this run only, and
        # only when the environment still says what it said when that session was built (proxy, CA bundle).
        # Keyed by a digest of those settings: a proxy URL may carry a login.
        settings = _environment_settings(self._url(""))
        digest = hashlib.sha256(repr(settings).encode("utf-8")).hexdigest()
        self.session = SHELF.borrow(("obs", self.base, digest), deadline, lambda: _session(settings))

    def _url(self, name: str) -> str:
        encoded = quote(name, safe="/~")
        if "{bucket}" in self.base:
            return f"{self.base.replace('{bucket}', self.bucket).rstrip('/')}/{encoded}"
        return f"{self.base.rstrip('/')}/{self.bucket}/{encoded}"

    def _send(self, method: str, name: str, data: bytes | None = None) -> requests.Response:
        headers = {"Date": http_date()}
        if data is not None:
            headers["Content-Type"] = CONTENT_TYPE
            headers["Content-MD5"] = base64.b64encode(hashlib.md5(data).digest()).decode("ascii")
        if self.credentials.security_token:
            headers["x-obs-security-token"] = self.credentials.security_token
        headers["Authorization"] = authorization(self.credentials.ak, self.credentials.sk, method,
                                                 self.bucket, name, headers)
        if self.deadline.time_left(self.deadline.store_keep) <= 0:
            raise StateError(f"OBS {method} {self.bucket}/{name}: no time left in this invocation")
        try:  # connect and read timeouts from the time left (deadline.call_timeouts)
            response = self.session.request(
                method, self._url(name), data=data, headers=headers, allow_redirects=False,
                timeout=self.deadline.call_timeouts(self.timeout, self.deadline.store_keep))
        except requests.RequestException as exc:
            raise StateError(f"OBS {method} {self.bucket}/{name}: {type(exc).__name__}") from None
        if 300 <= response.status_code < 400:
            # Never followed: requests would carry x-obs-security-token to whatever host Location names,
            # and a 404 there would read as "no state" (a fresh baseline). OBS does not redirect a signed
            # request to a correctly addressed bucket, so a redirect is an error, never "no state".
            raise StateError(f"OBS {method} {self.bucket}/{name}: HTTP {response.status_code} redirect refused "
                             "(check TASKWATCH_ENDPOINT_OBS and the bucket's region)")
        return response

    def get(self, name: str) -> StoredObject | None:
        response = self._send("GET", name)
        if response.status_code == 404:
            code = _error_code(response.text)
            if code == "NoSuchBucket":
                raise StateError(f"OBS GET {self.bucket}/{name}: bucket does not exist")
            return None
        if response.status_code != 200:
            raise StateError(f"OBS GET {self.bucket}/{name}: HTTP {response.status_code} "
                             f"{_error_code(response.text)}")
        try:
            data = response.content
        except requests.RequestException as exc:
            raise StateError(f"OBS GET {self.bucket}/{name}: {type(exc).__name__}") from None
        return StoredObject(data, response.headers.get("ETag", ""))

    def put(self, name: str, data: bytes) -> str:
        response = self._send("PUT", name, data)
        if response.status_code != 200:
            raise StateError(f"OBS PUT {self.bucket}/{name}: HTTP {response.status_code} "
                             f"{_error_code(response.text)}")
        # OBS checked the Content-MD5 sent with the body (400 BadDigest otherwise): a 200 means it stored these
        # bytes. The ETag is not compared with the MD5: with server-side encryption (SSE-KMS, SSE-OBS) it is
        # not the body's MD5. It is kept only as the version to compare on later reads. OBS answers every
        # stored PUT with one, so a 200 without it (a proxy's page) is not counted as saved.
        etag = response.headers.get("ETag", "")
        if not etag.strip('" '):
            raise StateError(f"OBS PUT {self.bucket}/{name}: answer without an ETag; not counted as saved")
        return etag


SessionSettings = tuple[tuple[tuple[str, str], ...], "str | None"]


def _environment_settings(url: str) -> SessionSettings:
    """What the environment says, now, for OBS's host: its proxies (HTTPS_PROXY, NO_PROXY...) and the CA
    bundle (REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE), as requests would read them. Read once per invocation and
    part of the kept session's key: a setting changed between invocations gets a session of its own."""
    proxies = tuple(sorted(requests.utils.get_environ_proxies(url).items()))
    return proxies, os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or None


def _session(settings: SessionSettings) -> requests.Session:
    """A session that takes the environment's settings as read by _environment_settings, not on every call
    (trust_env off). Never a ~/.netrc login: requests would put it into the Authorization header in place
    of the OBS signature."""
    proxies, bundle = settings
    session = requests.Session()
    session.trust_env = False
    session.proxies.update(dict(proxies))
    if bundle:
        session.verify = bundle
    return session


def _error_code(body: str) -> str:
    """The <Code> of an OBS XML error body (no XML parser needed for one element)."""
    start = body.find("<Code>")
    end = body.find("</Code>")
    # Outside text: cleaned to one line (one_line scrubs before it cuts).
    return one_line(body[start + 6:min(end, start + 6 + 1024)], 64) if 0 <= start < end else ""
