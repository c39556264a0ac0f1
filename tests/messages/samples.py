"""Alerts to render in the message tests."""

from __future__ import annotations

from taskwatch.messages import Alert, AlertItem

PROJECT = "0611f1bd8b00d5d32f17c017f15b599f"


def item(n: int = 1, **overrides: object) -> AlertItem:
    fields = dict(
        key=f"gaussdb:{PROJECT}:job-{n}", kind="failed", service="gaussdb", region="ap-southeast-1",
        project_id=PROJECT, id=f"job-{n}", name="CreateGaussDBV5Instance", status="Failed",
        created="2022-08-05T00:15:07Z", ended="2022-08-08T19:06:52Z",
        instance_id="ce2dce50f365430abe161bab79495a6ein14", instance_name="gauss-6568-zzh", fail_reason="500000",
        entities=None, schema_errors=(),
    )
    fields.update(overrides)
    return AlertItem(**fields)  # type: ignore[arg-type]


def alert(*items: AlertItem, overflow: tuple[AlertItem, ...] = ()) -> Alert:
    return Alert(service="gaussdb", region="ap-southeast-1", project_id=PROJECT, items=items or (item(),),
                 overflow=overflow, console_url="https://console.example/taskCenter", run_id="run1")
