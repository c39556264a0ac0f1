"""The SMN topic: read its subscriptions (ListSubscriptionsByTopic), never publish.

Publishing is the only way to prove smn:topic:publish, and it would deliver a message to every subscriber,
so the preflight proves the topic exists and someone receives what it publishes, and says that publish
itself is not tried.
"""

from __future__ import annotations

from typing import Any

from taskwatch.config import Config
from taskwatch.credentials import Credentials
from taskwatch.jsontext import loads_strict
from taskwatch.sdk import build_client, invoke, split_endpoint

from .diagnose import api_error
from .hosts import shown
from .rows import FAIL, OK, WARN, Row

DELIVERING = {1: "confirmed", 2: "no confirmation needed"}  # SMN subscription status codes that receive


def check_topic(config: Config, credentials: Credentials) -> list[Row]:
    if not config.topic_urn:
        return [Row(WARN, "smn topic", "-", "no topic configured (TASKWATCH_DRY_RUN=1): alerts are only logged",
                    "set TASKWATCH_SMN_TOPIC_URN before deploying")]
    parts = config.topic_urn.split(":")
    if len(parts) != 5 or parts[0:2] != ["urn", "smn"]:
        return [Row(FAIL, "smn topic", "-", "TASKWATCH_SMN_TOPIC_URN is not urn:smn:<region>:<project>:<name>",
                    "copy the topic URN from the SMN console")]
    _, _, region, project_id, topic = parts
    endpoint = config.endpoint("smn", region)
    name = f"smn topic {topic} ({region})"
    try:
        from huaweicloudsdksmn.v2.model.list_subscriptions_by_topic_request import ListSubscriptionsByTopicRequest
        from huaweicloudsdksmn.v2.smn_client import SmnClient

        base, prefix = split_endpoint(endpoint)
        client = build_client(SmnClient, base, project_id, credentials, config.http_timeout)
        request = ListSubscriptionsByTopicRequest(topic_urn=config.topic_urn, offset=0, limit=100)
        document = loads_strict(invoke(client, "list_subscriptions_by_topic", request, prefix).raw_content or b"")
    except Exception as exc:  # SDK and transport errors, classified as the function classifies them
        verdict = api_error("smn.subscriptions", exc, "TASKWATCH_ENDPOINT_SMN")
        return [Row(verdict.status, name, shown(endpoint), verdict.detail, verdict.fix)]
    return [_verdict(name, shown(endpoint), document)]


def _verdict(name: str, host: str, document: Any) -> Row:
    subscriptions = document.get("subscriptions") if isinstance(document, dict) else None
    if not isinstance(subscriptions, list):
        return Row(FAIL, name, host, "the answer has no subscriptions list",
                   "this host does not serve SMN as expected: check TASKWATCH_ENDPOINT_SMN")
    count = document.get("subscription_count", len(subscriptions))
    receiving = [s for s in subscriptions if isinstance(s, dict) and s.get("status") in DELIVERING]
    protocols = ", ".join(sorted({str(s.get("protocol")) for s in receiving})) or "none"
    detail = (f"topic found; {count} subscription(s), {len(receiving)} receiving ({protocols}); "
              "publish itself is not tried (it would deliver a message)")
    if not receiving:
        return Row(WARN, name, host, detail, "nobody receives the alerts: add a subscription and confirm it")
    return Row(OK, name, host, detail)
