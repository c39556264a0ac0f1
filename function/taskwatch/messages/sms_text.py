"""The SMS text: short (under 490 characters), plain, and without [] or 【】, which SMS refuses."""

from __future__ import annotations

from ..sanitize import one_line
from ..tasks import SERVICE_TITLES
from .model import Alert

MAX_SMS = 480  # SMN advises staying under 490 characters
_BRACKETS = str.maketrans({"[": "(", "]": ")", "【": "(", "】": ")"})


def sms_safe(text: str, limit: int = MAX_SMS) -> str:
    """One line, brackets replaced, within the SMS length."""
    value = one_line(text, limit * 2).translate(_BRACKETS)
    return value if len(value) <= limit else value[: limit - 3] + "..."


def alert_sms(alert: Alert) -> str:
    title = SERVICE_TITLES[alert.service]
    total = len(alert.all_items)
    first = alert.items[0]
    what = "stuck" if first.kind == "stuck" else "failed"
    where = first.instance_name or first.instance_id or "no instance"
    text = f"taskwatch {alert.region}: {title} {first.name} {what} on {where}"
    if first.kind == "failed" and first.fail_reason:
        text += f": {first.fail_reason.rstrip('. ')}"
    text += f". Task {first.id}."
    if total > 1:
        text += f" +{total - 1} more {title} task alerts, see email."
    return sms_safe(text)
