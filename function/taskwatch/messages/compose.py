"""Turn decisions into SMN messages, each format rendered by its own module."""

from __future__ import annotations

from .attributes import message_attributes
from .email_text import alert_text
from .http_json import alert_document
from .model import Alert, Message
from .sms_text import alert_sms
from .subject import alert_subject


def alert_message(alert: Alert) -> Message:
    names = [item.name for item in alert.all_items]
    return Message(
        kind="alert",
        subject=alert_subject(alert),
        text=alert_text(alert),
        sms=alert_sms(alert),
        http=alert_document(alert),
        attributes=message_attributes("alert", alert.service, alert.region, names),
        keys=tuple(item.key for item in alert.all_items),
    )
