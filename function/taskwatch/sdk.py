"""Building the official SDK clients and calling them, with endpoint overrides that may carry a path.

The SDK keeps only scheme and host of an endpoint. The legacy TaurusDB API lives under a /mysql path
prefix (seed 003), so when an override has a path, the call is described by the client's own generated
request description (the `_<operation>_http_info` class method every generated client has) with the prefix
put in front of its resource path, and sent through the SDK's SyncInvoker: signing, transport and error
handling stay the SDK's.
"""

from __future__ import annotations

import logging
import weakref
from typing import Any, ClassVar
from urllib.parse import urlsplit

from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkcore.invoker.invoker import SyncInvoker
from huaweicloudsdkcore.sdk_response import SdkResponse

from .credentials import Credentials
from .deadline import Deadline
from .warm import SHELF, credentials_digest


class DeadlineHttpConfig(HttpConfig):
    """An HttpConfig whose `timeout` is worked out from the run's time left each time it is read.

    huaweicloudsdkcore's HttpClient reads `config.timeout` on every request (HttpClient.do_request_sync
    passes `timeout=self._config.timeout` to requests), so a property here gives every call, on every
    thread, the connect and read timeouts of the moment it is sent, with no lock and no SDK internals
    touched: the client is built with this config through the public ClientBuilder.with_http_config.
    tests/guarantees/test_call_timeouts.py checks that the installed SDK still reads it per request."""

    def __init__(self, deadline: Deadline, wanted: float, keep: float | None = None) -> None:
        self.bind(deadline)
        self._wanted = wanted
        self._keep = keep
        super().__init__()

    def bind(self, deadline: Deadline) -> None:
        """The invocation this (kept) client now works for: its calls take their timeouts from its time.
        Held weakly: the shelf keeps what a borrower holds in a weak mapping keyed by that borrower, and a
        strong reference from the client back to it would keep a borrower never given back (a tool's)
        alive for good, with its clients."""
        self._deadline = weakref.ref(deadline)

    @property  # type: ignore[override]
    def timeout(self) -> tuple[float, float]:
        deadline = self._deadline()
        if deadline is None:  # no one holds the invocation any more: the most a call may wait
            return Deadline(None).call_timeouts(self._wanted, self._keep)
        return deadline.call_timeouts(self._wanted, self._keep)

    @timeout.setter
    def timeout(self, value: Any) -> None:
        """HttpConfig.__init__ sets a default; the time left decides instead."""


def split_endpoint(url: str) -> tuple[str, str]:
    """'https://host:443/mysql/' -> ('https://host:443', '/mysql')."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}", parts.path.rstrip("/")


def build_client(client_class: Any, endpoint: str, project_id: str, credentials: Credentials,
                 read_timeout: float, pool_size: int = 10, *, deadline: Deadline | None = None,
                 keep: float | None = None) -> Any:
    """A client bound to one endpoint and project; the SDK's own retries are off (we retry with backoff).
    With a deadline, each call's timeouts come from the time left before `keep` (DeadlineHttpConfig);
    `read_timeout` is then the most a call may wait. The SDK's own logger is quietened: it logs every
    HTTP 429 at ERROR level, although the call's error is raised, classified and reported by the run
    anyway (one readable line, not two).

    With a deadline the client is borrowed from the warm instance's shelf (warm.py) and lent to that run
    until run.run gives it back: a later invocation reuses it, and its open connections."""
    if deadline is not None:
        key = (client_class, endpoint, project_id, credentials_digest(credentials), read_timeout, pool_size, keep)
        config, client = SHELF.borrow(key, deadline, lambda: _build(client_class, endpoint, project_id, credentials,
                                                                    DeadlineHttpConfig(deadline, read_timeout, keep),
                                                                    pool_size))
        config.bind(deadline)
        return client
    config = HttpConfig.get_default_config()
    config.timeout = (5, read_timeout)
    return _build(client_class, endpoint, project_id, credentials, config, pool_size)[1]


def _build(client_class: Any, endpoint: str, project_id: str, credentials: Credentials, config: HttpConfig,
           pool_size: int) -> tuple[Any, Any]:
    logging.getLogger(f"HuaweiCloud-SDK-{client_class.__name__}").setLevel(logging.CRITICAL)
    config.retry_times = 0
    config.pool_maxsize = pool_size
    config.pool_connections = pool_size
    basic = BasicCredentials(credentials.ak, credentials.sk, project_id)
    if credentials.security_token:
        basic = basic.with_security_token(credentials.security_token)
    return config, (
        client_class.new_builder()
        .with_credentials(basic)
        .with_endpoints([endpoint])
        .with_http_config(config)
        .build()
    )


class RawResponse(SdkResponse):
    """The response of a call whose body the caller reads itself (raw_content), validated by its own
    schemas: the SDK builds no model object per listed task for it (with no openapi_types the SDK's
    deserializer returns an empty instance; status_code and raw_content are set as on any response)."""

    openapi_types: ClassVar[dict[str, str]] = {}
    attribute_map: ClassVar[dict[str, str]] = {}


def invoke(client: Any, operation: str, request: Any, path_prefix: str = "", *, models: bool = True) -> Any:
    """Call `operation` on the client; returns the SDK response (its raw_content is the body as sent).
    models=False: a RawResponse, for a caller that parses raw_content only (the task listings, each of
    whose items the SDK would otherwise turn into a model object, unused)."""
    if not path_prefix and models:
        return getattr(client, operation)(request)
    http_info = getattr(client, f"_{operation}_http_info")(request)
    http_info["resource_path"] = path_prefix + http_info["resource_path"]
    if not models:
        http_info["response_type"] = RawResponse
    return SyncInvoker(client, http_info).invoke()
