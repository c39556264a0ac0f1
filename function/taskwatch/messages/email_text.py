"""The readable text for email subscribers (and SMN's `default`): every fact an operator needs to act."""

from __future__ import annotations

import json

from ..sanitize import clean, one_line
from ..tasks import SERVICE_TITLES
from .model import Alert, AlertItem

ENTITIES_LIMIT = 600


def _item_block(number: int, item: AlertItem) -> list[str]:
    # Fields from the task center are folded onto their own line: a newline in a name must not forge a line.
    status = one_line(item.status, 64)
    label = f"status {status}" if item.kind == "failed" else f"STUCK, still {status}"
    lines = [f"{number}. {one_line(item.name, 400)} ({label})"]
    instance = one_line(item.instance_name, 400) or "(no name)"
    if item.instance_id or item.instance_name:
        lines.append(f"   Instance:  {instance} ({one_line(item.instance_id, 400) or 'no ID'})")
    lines.append(f"   Task ID:   {one_line(item.id, 400)}")
    lines.append(f"   Created:   {item.created or 'unknown'}" + (f"    Ended: {item.ended}" if item.ended else ""))
    if item.kind == "failed":
        reason = clean(item.fail_reason, 3000).strip() or "(the task center gave no reason)"
        lines.append("   Reason:    " + "\n              ".join(reason.splitlines()))
    if item.entities:
        # json escapes controls and newlines; clean() drops what it leaves (bidi controls, U+2028/9), also
        # from entities a state written by an older version kept uncleaned.
        entities = clean(json.dumps(item.entities, ensure_ascii=False, sort_keys=True, default=str),
                         ENTITIES_LIMIT * 4)
        if len(entities) > ENTITIES_LIMIT:
            entities = entities[: ENTITIES_LIMIT - 1] + "…"
        lines.append(f"   Details:   {entities}")
    if item.schema_errors:
        lines.append("   Note:      this record did not match the API's schema: " + "; ".join(item.schema_errors[:3]))
    lines.append(f"   Dedup key: {one_line(item.key, 400)}")
    return lines


def alert_text(alert: Alert) -> str:
    title = SERVICE_TITLES[alert.service]
    failed, stuck = alert.count("failed"), alert.count("stuck")
    counts = ", ".join(part for part in (
        f"{failed} failed" if failed else "", f"{stuck} stuck" if stuck else "") if part)
    lines = [f"{title} task center, region {alert.region}, project {alert.project_id}: {counts}.", ""]
    for number, item in enumerate(alert.items, 1):
        lines.extend(_item_block(number, item))
        lines.append("")
    if alert.overflow:
        summary = ", ".join(f"{count} x {name}" for name, count in alert.overflow_by_name())
        lines.append(f"... and {len(alert.overflow)} more, not listed here: {summary}.")
        lines.append("")
    lines.append(f"Task center: {alert.console_url}")
    lines.append("")
    lines.append("Sent by taskwatch" + (f" (run {alert.run_id})" if alert.run_id else "") +
                 ". Each task is reported once; a repeat carries the same dedup key.")
    return "\n".join(lines)
