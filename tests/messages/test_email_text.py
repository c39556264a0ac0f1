from __future__ import annotations

from taskwatch.messages.email_text import alert_text

from tests.messages.samples import PROJECT, alert, item


def test_email_has_everything_needed_to_act() -> None:
    text = alert_text(alert())
    for expected in ("GaussDB task center, region ap-southeast-1", "1. CreateGaussDBV5Instance (status Failed)",
                     "gauss-6568-zzh (ce2dce50f365430abe161bab79495a6ein14)", "Task ID:   job-1",
                     "Reason:    500000", f"Dedup key: gaussdb:{PROJECT}:job-1",
                     "Task center: https://console.example/taskCenter"):
        assert expected in text


def test_overflow_is_counted_by_task_name() -> None:
    overflow = (item(2, name="RestartInstance"), item(3, name="RestartInstance"), item(4, name="Backup"))
    text = alert_text(alert(item(1), overflow=overflow))
    assert "... and 3 more, not listed here: 2 x RestartInstance, 1 x Backup." in text
    assert "job-2" not in text


def test_missing_reason_and_schema_mismatch_are_said() -> None:
    text = alert_text(alert(item(fail_reason=None, schema_errors=("tasks[0].created_at: expected text",))))
    assert "(the task center gave no reason)" in text
    assert "did not match the API's schema: tasks[0].created_at" in text


def test_stuck_task_is_labelled_and_entities_are_capped() -> None:
    text = alert_text(alert(item(kind="stuck", status="Running", entities={"blob": "x" * 5000})))
    assert "(STUCK, still Running)" in text and "Reason:" not in text
    details = next(line for line in text.splitlines() if "Details:" in line)
    assert len(details) < 700
