"""SMN PublishMessage through the real SDK client: accepted and refused messages, SMS warnings."""

from __future__ import annotations

import json
from typing import Any

import pytest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdksmn.v2 import MessageAttribute, PublishMessageRequest, PublishMessageRequestBody

from tests.emulator import CloudEmulator

from .conftest import client


def publish(emu: CloudEmulator, topic: str | None = None, **fields: Any) -> Any:
    request = PublishMessageRequest(
        topic_urn=topic or emu.topic_urns[0], body=PublishMessageRequestBody(**fields)
    )
    return client(emu, "smn").publish_message(request)


def refused(emu: CloudEmulator, **fields: Any) -> ClientRequestException:
    with pytest.raises(ClientRequestException) as err:
        publish(emu, **fields)
    return err.value


def test_publish_is_accepted_and_recorded(emu: CloudEmulator) -> None:
    structure = json.dumps({"default": "task failed", "email": "long text", "sms": "short"})
    attrs = [
        MessageAttribute(name="service", type="STRING", value="taurus_db"),
        MessageAttribute(name="severity_level", type="STRING_ARRAY", value=["high", "严重"]),
        MessageAttribute(name="proto", type="PROTOCOL", value=["email", "sms"]),
    ]
    resp = publish(emu, subject="x" * 512, message_structure=structure, message_attributes=attrs)
    assert len(resp.message_id) == 32 and len(resp.request_id) == 32
    [message] = emu.smn_messages
    assert message["topic_urn"] == emu.topic_urns[0] and message["project_id"] == emu.project_id
    assert message["message_id"] == resp.message_id
    assert message["body"]["message_structure"] == structure
    assert message["body"]["message_attributes"][1]["value"] == ["high", "严重"]
    assert message["warnings"] == []
    assert emu.request_counts()["smn.publish"] == 1


def test_plain_message_and_template_are_accepted(emu: CloudEmulator) -> None:
    publish(emu, message="hello", time_to_live="3600")
    publish(emu, message_template_name="taskwatch_failure", tags={"task": "x"})
    assert len(emu.smn_messages) == 2


def test_unknown_topic_is_404(emu: CloudEmulator) -> None:
    with pytest.raises(ClientRequestException) as err:
        publish(emu, topic="urn:smn:xx-test-1:" + emu.project_id + ":nope", message="m")
    assert (err.value.status_code, err.value.error_code) == (404, "SMN.0006")
    assert emu.smn_messages == []


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"subject": "s"}, "SMN.0024"),
        ({"subject": "é" * 257, "message": "m"}, "SMN.0007"),
        ({"message": "x" * (256 * 1024 + 1)}, "SMN.0024"),
        ({"message_structure": "not json"}, "SMN.0021"),
        ({"message_structure": json.dumps({"email": "no default"})}, "SMN.0021"),
        ({"message_structure": json.dumps(["default"])}, "SMN.0021"),
        ({"message_structure": json.dumps({"default": "d" * (256 * 1024)})}, "SMN.0021"),
        ({"message_template_name": "t"}, "SMN.0024"),
        ({"message": "m", "time_to_live": "0"}, "SMN.0009"),
        ({"message": "m", "time_to_live": "86401"}, "SMN.0009"),
    ],
)
def test_invalid_messages_are_refused(emu: CloudEmulator, fields: dict[str, Any], code: str) -> None:
    err = refused(emu, **fields)
    assert (err.status_code, err.error_code) == (400, code)
    assert emu.smn_messages == []


@pytest.mark.parametrize(
    "attribute",
    [
        {"name": "Upper", "type": "STRING", "value": "v"},
        {"name": "_lead", "type": "STRING", "value": "v"},
        {"name": "a__b", "type": "STRING", "value": "v"},
        {"name": "a" * 33, "type": "STRING", "value": "v"},
        {"name": "ok", "type": "STRING", "value": ""},
        {"name": "ok", "type": "STRING", "value": "has space"},
        {"name": "ok", "type": "STRING", "value": "v" * 33},
        {"name": "ok", "type": "STRING_ARRAY", "value": []},
        {"name": "ok", "type": "STRING_ARRAY", "value": ["a", "a"]},
        {"name": "ok", "type": "STRING_ARRAY", "value": [str(i) for i in range(11)]},
        {"name": "ok", "type": "PROTOCOL", "value": ["carrier_pigeon"]},
        {"name": "ok", "type": "NUMBER", "value": "1"},
    ],
)
def test_invalid_message_attributes_are_refused(emu: CloudEmulator, attribute: dict[str, Any]) -> None:
    err = refused(emu, message="m", message_attributes=[MessageAttribute(**attribute)])
    assert (err.status_code, err.error_code) == (400, "SMN.0010")


def test_duplicate_attribute_names_are_refused(emu: CloudEmulator) -> None:
    attrs = [
        MessageAttribute(name="a", type="STRING", value="x"),
        MessageAttribute(name="a", type="STRING", value="y"),
    ]
    assert refused(emu, message="m", message_attributes=attrs).status_code == 400


def test_sms_advice_is_flagged_not_refused(emu: CloudEmulator) -> None:
    publish(emu, message_structure=json.dumps({"default": "ok", "sms": "s" * 490}))
    publish(emu, message_structure=json.dumps({"default": "ok", "sms": "fine 【tag】"}))
    publish(emu, message="plain [1]")
    publish(emu, message_structure=json.dumps({"default": "d" * 600, "sms": "short"}))
    warnings = [m["warnings"] for m in emu.smn_messages]
    assert warnings[0] and warnings[0][0].startswith("sms_too_long")
    assert warnings[1] and warnings[1][0].startswith("sms_brackets")
    assert warnings[2] and "message" in warnings[2][0]
    assert warnings[3] == []


def test_subscriptions_of_a_topic_are_listed_by_offset_and_limit(emu: CloudEmulator) -> None:
    from huaweicloudsdksmn.v2 import ListSubscriptionsByTopicRequest

    topic = emu.topic_urns[0]
    smn = client(emu, "smn")
    empty = smn.list_subscriptions_by_topic(ListSubscriptionsByTopicRequest(topic_urn=topic))
    assert empty.subscription_count == 0 and empty.subscriptions == []
    first = emu.smn_subscribe(topic, "email", "ops@example.com")
    emu.smn_subscribe(topic, "sms", "+8613800000000", status=0)
    both = smn.list_subscriptions_by_topic(ListSubscriptionsByTopicRequest(topic_urn=topic))
    assert both.subscription_count == 2
    assert [(s.protocol, s.status) for s in both.subscriptions] == [("email", 1), ("sms", 0)]
    assert both.subscriptions[0].subscription_urn == first
    second = smn.list_subscriptions_by_topic(ListSubscriptionsByTopicRequest(topic_urn=topic, offset=1, limit=1))
    assert second.subscription_count == 2 and [s.protocol for s in second.subscriptions] == ["sms"]
    with pytest.raises(ClientRequestException) as unknown:
        smn.list_subscriptions_by_topic(ListSubscriptionsByTopicRequest(topic_urn=topic + "x"))
    assert unknown.value.status_code == 404 and unknown.value.error_code == "SMN.0006"
    with pytest.raises(ClientRequestException) as bad_limit:
        smn.list_subscriptions_by_topic(ListSubscriptionsByTopicRequest(topic_urn=topic, limit=0))
    assert bad_limit.value.status_code == 400
    assert emu.smn_messages == [] and emu.request_counts()["smn.subscriptions"] == 5
