"""SMN message attributes, so subscribers can filter (e.g. only DDS, only CreateMongoDB failures).

SMN accepts attribute names of [a-z0-9_] and STRING values of letters (CJK included), digits and
underscores, 1-32 characters; STRING_ARRAY holds 1-10 distinct such values. Anything else is mapped into
that alphabet (ap-southeast-1 -> ap_southeast_1) and cut to 32 characters.
"""

from __future__ import annotations

import re
from typing import Any

_OUTSIDE = re.compile(r"[^0-9A-Za-z_\u4e00-\u9fff]")


def attribute_value(text: str) -> str:
    return _OUTSIDE.sub("_", text)[:32]


def string(name: str, value: str) -> dict[str, Any] | None:
    clean = attribute_value(value)
    return {"name": name, "type": "STRING", "value": clean} if clean else None


def string_array(name: str, values: list[str]) -> dict[str, Any] | None:
    clean: list[str] = []
    for value in values:
        item = attribute_value(value)
        if item and item not in clean:
            clean.append(item)
    return {"name": name, "type": "STRING_ARRAY", "value": clean[:10]} if clean else None


def message_attributes(kind: str, service: str | None = None, region: str | None = None,
                       task_names: list[str] | None = None) -> list[dict[str, Any]]:
    attributes = [
        string("kind", kind),
        string("service", service) if service else None,
        string("region", region) if region else None,
        string_array("task_name", task_names) if task_names else None,
    ]
    return [a for a in attributes if a]
