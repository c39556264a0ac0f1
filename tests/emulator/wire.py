"""Transport-neutral request and response records.

Why: the services decide what to answer; only server.py touches sockets. Faults that break the
transport itself ("reset", "truncated") are expressed as a response `action` the HTTP layer carries out.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote


@dataclass
class Request:
    """One HTTP request as received (target still percent-encoded, headers case-insensitive)."""

    method: str
    target: str
    headers: Any  # http.client.HTTPMessage: case-insensitive .get()
    body: bytes = b""

    @property
    def raw_path(self) -> str:
        return self.target.split("?", 1)[0]

    @property
    def raw_query(self) -> str:
        parts = self.target.split("?", 1)
        return parts[1] if len(parts) == 2 else ""

    @property
    def path(self) -> str:
        """The decoded path (what request records show)."""
        return unquote(self.raw_path)

    @property
    def segments(self) -> list[str]:
        """Decoded path segments, split before decoding so an encoded '/' stays inside its segment."""
        return [unquote(part) for part in self.raw_path.split("/")[1:]]

    def query_items(self) -> list[tuple[str, str | None]]:
        """Query pairs in order; a bare key ('?acl') has the value None. No '+'-to-space folding."""
        items: list[tuple[str, str | None]] = []
        for part in self.raw_query.split("&"):
            if not part:
                continue
            if "=" in part:
                key, value = part.split("=", 1)
                items.append((unquote(key), unquote(value)))
            else:
                items.append((unquote(part), None))
        return items

    def query(self) -> dict[str, Any]:
        """Query as a dict: one value -> str, repeated key -> list of str."""
        result: dict[str, Any] = {}
        for key, value in self.query_items():
            text = "" if value is None else value
            if key in result:
                previous = result[key]
                result[key] = [*previous, text] if isinstance(previous, list) else [previous, text]
            else:
                result[key] = text
        return result

    def header(self, name: str) -> str | None:
        value = self.headers.get(name)
        return None if value is None else str(value)


@dataclass
class Response:
    """What to send back. `payload`/`array_key` keep a list answer editable by list-shaping faults."""

    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    action: str | None = None  # None, "reset" (no answer, connection dropped) or "truncate"
    payload: dict[str, Any] | None = None
    array_key: str | None = None

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def set_payload(self, payload: dict[str, Any]) -> None:
        """Replace the JSON payload and re-serialize the body."""
        self.payload = payload
        self.body = dump_json(payload)


def dump_json(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode("utf-8")


def new_request_id() -> str:
    return uuid.uuid4().hex


def json_response(status: int, obj: dict[str, Any], array_key: str | None = None) -> Response:
    return Response(
        status=status,
        body=dump_json(obj),
        headers=[("Content-Type", "application/json;charset=UTF-8")],
        payload=obj,
        array_key=array_key,
    )


def api_error(status: int, code: str, message: str) -> Response:
    """The API-gateway / task-center error body: {"error_code", "error_msg"}."""
    return json_response(status, {"error_code": code, "error_msg": message})


def html_page(status: int, title: str) -> Response:
    page = (
        f"<!DOCTYPE html><html><head><title>{title}</title></head><body><h1>{title}</h1>"
        "<p>The server is temporarily unable to service your request.</p></body></html>"
    )
    return Response(status=status, body=page.encode("utf-8"), headers=[("Content-Type", "text/html")])
