"""How a resolved endpoint is shown: host[:port] and any path prefix, never credentials or a query."""

from __future__ import annotations

from urllib.parse import urlsplit


def shown(url: str) -> str:
    parts = urlsplit(url)
    return (parts.netloc + parts.path.rstrip("/")) or url
