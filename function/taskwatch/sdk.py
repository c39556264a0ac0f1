"""Building the official SDK clients and calling them, with endpoint overrides that may carry a path.

The SDK keeps only scheme and host of an endpoint. The legacy TaurusDB API lives under a /mysql path
prefix (seed 003), so when an override has a path, the call is described by the client's own generated
request description (the `_<operation>_http_info` class method every generated client has) with the prefix
put in front of its resource path, and sent through the SDK's SyncInvoker: signing, transport and error
handling stay the SDK's.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkcore.invoker.invoker import SyncInvoker

from .credentials import Credentials


def split_endpoint(url: str) -> tuple[str, str]:
    """'https://host:443/mysql/' -> ('https://host:443', '/mysql')."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}", parts.path.rstrip("/")


def build_client(client_class: Any, endpoint: str, project_id: str, credentials: Credentials,
                 read_timeout: float, pool_size: int = 10) -> Any:
    """A client bound to one endpoint and project; the SDK's own retries are off (we retry with backoff).
    The SDK's own logger is quietened: it logs every HTTP 429 at ERROR level, although the call's error is
    raised, classified and reported by the run anyway (one readable line, not two)."""
    logging.getLogger(f"HuaweiCloud-SDK-{client_class.__name__}").setLevel(logging.CRITICAL)
    config = HttpConfig.get_default_config()
    config.timeout = (5, read_timeout)
    config.retry_times = 0
    config.pool_maxsize = pool_size
    config.pool_connections = pool_size
    basic = BasicCredentials(credentials.ak, credentials.sk, project_id)
    if credentials.security_token:
        basic = basic.with_security_token(credentials.security_token)
    return (
        client_class.new_builder()
        .with_credentials(basic)
        .with_endpoints([endpoint])
        .with_http_config(config)
        .build()
    )


def invoke(client: Any, operation: str, request: Any, path_prefix: str = "") -> Any:
    """Call `operation` on the client; returns the SDK response (its raw_content is the body as sent)."""
    if not path_prefix:
        return getattr(client, operation)(request)
    http_info = getattr(client, f"_{operation}_http_info")(request)
    http_info["resource_path"] = path_prefix + http_info["resource_path"]
    return SyncInvoker(client, http_info).invoke()
