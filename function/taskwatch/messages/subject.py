"""The subject line: what failed and where, within SMN's 512 bytes, on one line."""

from __future__ import annotations

from ..sanitize import one_line
from ..tasks import SERVICE_TITLES
from .model import Alert

MAX_SUBJECT_BYTES = 512


def fit_bytes(text: str, limit: int = MAX_SUBJECT_BYTES) -> str:
    """Cut to at most `limit` UTF-8 bytes without splitting a character."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[: limit - 3].decode("utf-8", "ignore") + "..."


def alert_subject(alert: Alert) -> str:
    title = SERVICE_TITLES[alert.service]
    failed, stuck = alert.count("failed"), alert.count("stuck")
    parts = []
    if failed:
        parts.append(f"{failed} failed {title} task{'s' if failed != 1 else ''}")
    if stuck:
        parts.append(f"{stuck} stuck {title} task{'s' if stuck != 1 else ''}")
    first = alert.items[0]
    where = first.instance_name or first.instance_id or first.id
    text = f"taskwatch: {' and '.join(parts)} in {alert.region}: {first.name} on {where}"
    if len(alert.all_items) > 1:
        text += f" (+{len(alert.all_items) - 1} more)"
    return fit_bytes(one_line(text, 600))
