"""The readable text for email subscribers (and SMN's `default`): every fact an operator needs to act."""

from __future__ import annotations

import json

from ..tasks import SERVICE_TITLES
from .model import Alert, AlertItem

ENTITIES_LIMIT = 600


def _item_block(number: int, item: AlertItem) -> list[str]:
    label = f"status {item.status}" if item.kind == "failed" else f"STUCK, still {item.status}"
    lines = [f"{number}. {item.name} ({label})"]
    instance = item.instance_name or "(no name)"
    if item.instance_id or item.instance_name:
        lines.append(f"   Instance:  {instance} ({item.instance_id or 'no ID'})")
    lines.append(f"   Task ID:   {item.id}")
    lines.append(f"   Created:   {item.created or 'unknown'}" + (f"    Ended: {item.ended}" if item.ended else ""))
    if item.kind == "failed":
        lines.append(f"   Reason:    {item.fail_reason or '(the task center gave no reason)'}")
    if item.entities:
        entities = json.dumps(item.entities, ensure_ascii=False, sort_keys=True)
        if len(entities) > ENTITIES_LIMIT:
            entities = entities[: ENTITIES_LIMIT - 1] + "…"
        lines.append(f"   Details:   {entities}")
    if item.schema_errors:
        lines.append("   Note:      this record did not match the API's schema: " + "; ".join(item.schema_errors[:3]))
    lines.append(f"   Dedup key: {item.key}")
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
