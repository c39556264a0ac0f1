"""The messages the function publishes, one module per output format (subject, email text, SMS text,
HTTP JSON, attributes), composed in compose.py and notices.py."""

from .compose import alert_message
from .model import Alert, AlertItem, Message
from .notices import notice_message

__all__ = ["Alert", "AlertItem", "Message", "alert_message", "notice_message"]
