"""Messages out to SMN through the official SDK (publish_message with message_structure per protocol).

SMN has no idempotency key, so a publish is retried inside a run only when SMN said it was throttled
(nothing was delivered); any other failure leaves the alert pending for the next run.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from .config import Config
from .credentials import Credentials
from .deadline import SAVE_RESERVE, Deadline
from .errors import OutOfTime, PublishError, SourceError
from .messages import Message
from .retry import RetryPolicy, call_with_retry
from .sdk import build_client, invoke, split_endpoint
from .sdk_loader import sdk_class
from .secrets_scrub import SCRUBBER

SMN = "huaweicloudsdksmn.v2"
MAX_MESSAGE_BYTES = 256 * 1024


def scrubbed(message: Message) -> Message:
    """The message with every text scrubbed of secrets (before message_structure cuts anything)."""
    return replace(message, subject=SCRUBBER(message.subject), text=SCRUBBER(message.text),
                   sms=SCRUBBER(message.sms), http=SCRUBBER.data(message.http),
                   attributes=SCRUBBER.data(message.attributes))


def message_structure(message: Message) -> str:
    """The JSON string SMN fans out by protocol; `default` is required. Scrubbed first, and once more as a
    whole (what is sent is what was checked)."""
    message = scrubbed(message)
    return SCRUBBER(_structure(message))


def _structure(message: Message) -> str:
    http = json.dumps(message.http, ensure_ascii=False, separators=(",", ":"), default=str)
    structure = {"default": message.text, "email": message.text, "sms": message.sms, "http": http,
                 "https": http}
    text = json.dumps(structure, ensure_ascii=False)
    if _size(text) > MAX_MESSAGE_BYTES:
        # The HTTP document is the largest part: keep its summary, drop per-task entities first.
        trimmed = dict(message.http)
        trimmed["tasks"] = [{k: v for k, v in t.items() if k != "entities"} for t in trimmed.get("tasks", [])]
        trimmed["truncated"] = True
        http = json.dumps(trimmed, ensure_ascii=False, separators=(",", ":"), default=str)
        structure.update(http=http, https=http, default=message.text[:60000], email=message.text[:60000])
        text = json.dumps(structure, ensure_ascii=False)
    if _size(text) > MAX_MESSAGE_BYTES:
        # Still too large (enormous field values): a minimal document and a cut text, always within the limit.
        keys = [t.get("dedup_key", "")[:300] for t in message.http.get("tasks", [])][:100]
        http = json.dumps({"schema": message.http.get("schema"), "kind": message.http.get("kind"),
                           "service": message.http.get("service"), "region": message.http.get("region"),
                           "truncated": True, "dedup_keys": keys}, ensure_ascii=False, default=str)
        structure.update(http=http, https=http, default=message.text[:30000], email=message.text[:30000])
        text = json.dumps(structure, ensure_ascii=False)
    return text


def _size(text: str) -> int:
    return len(text.encode("utf-8", "replace"))


class SmnPublisher:
    """Publishes to the one topic of the configuration."""

    def __init__(self, config: Config, credentials: Credentials, deadline: Deadline, policy: RetryPolicy) -> None:
        if not config.topic_urn:
            raise PublishError("no topic configured")
        self.topic_urn = config.topic_urn
        _, _, region, project_id, _ = config.topic_urn.split(":", 4)
        endpoint, self.path_prefix = split_endpoint(config.endpoint("smn", region))
        self.client = build_client(sdk_class(SMN, "SmnClient"), endpoint, project_id, credentials,
                                   config.http_timeout, deadline=deadline, keep=SAVE_RESERVE)
        self.deadline = deadline
        self.policy = policy

    def publish(self, message: Message) -> str:
        """Publish; returns SMN's message_id, or raises PublishError."""
        MessageAttribute = sdk_class(SMN, "MessageAttribute")
        PublishMessageRequest = sdk_class(SMN, "PublishMessageRequest")
        PublishMessageRequestBody = sdk_class(SMN, "PublishMessageRequestBody")

        message = scrubbed(message)
        body = PublishMessageRequestBody(
            subject=message.subject,
            message_structure=message_structure(message),
            message_attributes=[MessageAttribute(**a) for a in message.attributes] or None,
        )
        request = PublishMessageRequest(topic_urn=self.topic_urn, body=body)

        def once() -> Any:
            return invoke(self.client, "publish_message", request, self.path_prefix)

        try:
            response = call_with_retry(once, self.policy, self.deadline, "SMN publish", retry_server_errors=False,
                                       keep=SAVE_RESERVE)
        except SourceError as exc:
            raise PublishError(str(exc)) from None
        except OutOfTime as exc:
            raise PublishError(str(exc)) from None
        message_id = getattr(response, "message_id", None)
        if not isinstance(message_id, str) or not message_id:
            # A 2xx without a message_id is not SMN's answer (a proxy page, a cut-off body): not accepted.
            raise PublishError("SMN answered without a message_id; not counted as published")
        return message_id
