"""Messages about the monitor itself: blind, recovered, baseline taken, state kept aside, given up,
heartbeat. Without them an operator cannot tell silence from blindness."""

from __future__ import annotations

from .attributes import message_attributes
from .model import Message
from .sms_text import sms_safe
from .subject import fit_bytes

SCHEMA = "taskwatch.notice/v1"


def notice_message(kind: str, headline: str, text: str, *, source: str | None = None,
                   service: str | None = None, region: str | None = None, run_id: str = "",
                   notice_index: int | None = None) -> Message:
    body = f"{text}\n\nSent by taskwatch" + (f" (run {run_id})" if run_id else "") + "."
    return Message(
        kind=kind,
        subject=fit_bytes(f"taskwatch: {headline}"),
        text=body,
        sms=sms_safe(f"taskwatch: {headline}"),
        http={"schema": SCHEMA, "kind": kind, "headline": headline, "text": text, "source": source,
              "service": service, "region": region, "run_id": run_id},
        attributes=message_attributes(kind, service, region),
        source=source,
        notice_index=notice_index,
    )
