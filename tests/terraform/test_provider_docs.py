"""layers/terraform/provider_docs.py reads the provider's docs pages the way they are written: arguments with
Required/Optional, nested blocks tied by anchor link or by name (in each heading style the pages use), the
exported attributes. The page below follows docs/resources/*.md of huaweicloud/terraform-provider-huaweicloud."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from .conftest import TERRAFORM

_spec = importlib.util.spec_from_file_location("provider_docs", TERRAFORM / "provider_docs.py")
provider_docs = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
sys.modules[_spec.name] = provider_docs  # its dataclasses look their module up
_spec.loader.exec_module(provider_docs)  # type: ignore[union-attr]

PAGE = """# huaweicloud_example

## Argument Reference

The following arguments are supported:

* `name` - (Required, String, ForceNew) Specifies the name.
  Changing this will create a new resource.

* `rule` - (Optional, List) Specifies the rules.
  The [rule](#example_rule) structure is documented below.

* `metric` - (Required, List, ForceNew) Specifies the metric. The structure is described below.

* `tags` - (Optional, Map) Specifies the tags.

-> A note that is not an argument.

<a name="example_rule"></a>
The `rule` block supports:

* `days` - (Required, Int) Specifies the days.

* `action` - (Optional, List) Specifies the action (documented below).

The `action` object supports the following:

* `type` - (Required, String) Specifies the type.

the `metric` block supports:

* `namespace` - (Required, String) Specifies the namespace.

## Attribute Reference

In addition to all arguments above, the following attributes are exported:

* `id` - The resource ID.

* `status` - The status.
  The [object](#example_status_attr) structure is documented below.

<a name="example_status_attr"></a>
The `status` block supports:

* `code` - A nested attribute, not a top-level one.

## Import
"""


def test_arguments_and_nested_blocks_are_read_with_required_and_type() -> None:
    lines = provider_docs.between(PAGE, "## Argument Reference", ("## Attribute Reference",))
    tree = provider_docs.tree(provider_docs.sections(lines))
    assert tree["arguments"] == {"name": {"required": True, "type": "String"},
                                 "tags": {"required": False, "type": "Map"}}
    assert set(tree["blocks"]) == {"rule", "metric"}
    rule = tree["blocks"]["rule"]
    assert rule["required"] is False and rule["arguments"] == {"days": {"required": True, "type": "Int"}}
    assert rule["blocks"]["action"]["arguments"] == {"type": {"required": True, "type": "String"}}
    assert tree["blocks"]["metric"]["required"] is True
    assert tree["blocks"]["metric"]["arguments"] == {"namespace": {"required": True, "type": "String"}}


def test_only_top_level_attributes_are_exported() -> None:
    lines = provider_docs.between(PAGE, "## Attribute Reference", ("## Timeouts", "## Import"))
    assert provider_docs.attributes(lines) == ["id", "status"]


SHARED = """* `on_success` - (Optional, List) Where to go on success.
  The [object](#destination_config) structure is documented below.

* `on_failure` - (Optional, List) Where to go on failure.
  The [object](#destination_config) structure is documented below.

<a name="destination_config"></a>
The `on_success` and the `on_failure` blocks support:

* `destination` - (Required, String) The object type.
"""


def test_a_section_shared_by_two_blocks_belongs_to_both() -> None:
    tree = provider_docs.tree(provider_docs.sections(SHARED.splitlines()))
    assert tree["arguments"] == {}
    for name in ("on_success", "on_failure"):
        assert tree["blocks"][name]["arguments"] == {"destination": {"required": True, "type": "String"}}


def test_a_block_heading_it_does_not_know_stops_the_reading() -> None:
    with pytest.raises(SystemExit, match="does not know"):
        provider_docs.sections(["* `a` - (Optional, List) x.", "", "The `a` thing supports these:"])
