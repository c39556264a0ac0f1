from __future__ import annotations

import re

from taskwatch.messages.attributes import attribute_value, message_attributes

VALUE = re.compile(r"^[0-9A-Za-z_\u4e00-\u9fff]{1,32}$")
NAME = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)*$")


def test_attributes_for_filtering_by_service_and_task_name() -> None:
    attributes = message_attributes("alert", "taurusdb", "ap-southeast-1",
                                    ["UpgradeGaussDBforMySQLDatabaseVersion", "Create-Instance", "Create_Instance"])
    by_name = {a["name"]: a for a in attributes}
    assert by_name["service"] == {"name": "service", "type": "STRING", "value": "taurusdb"}
    assert by_name["region"]["value"] == "ap_southeast_1"
    assert by_name["task_name"]["type"] == "STRING_ARRAY"
    assert by_name["task_name"]["value"] == ["UpgradeGaussDBforMySQLDatabaseVe", "Create_Instance"]


def test_every_attribute_fits_smn_rules() -> None:
    names = [f"Task {n} [x]" for n in range(30)] + ["恢复实例"]
    for attribute in message_attributes("blind", "dds", "cn-north-4", names):
        assert NAME.match(attribute["name"])
        values = attribute["value"] if isinstance(attribute["value"], list) else [attribute["value"]]
        assert 1 <= len(values) <= 10 and len(set(values)) == len(values)
        assert all(VALUE.match(v) for v in values)


def test_attribute_value_keeps_cjk_and_drops_the_rest() -> None:
    assert attribute_value("恢复-实例 x") == "恢复_实例_x"
