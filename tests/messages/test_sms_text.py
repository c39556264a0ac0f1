from __future__ import annotations

from taskwatch.messages.sms_text import MAX_SMS, alert_sms, sms_safe

from tests.messages.samples import alert, item


def test_sms_is_short_and_actionable() -> None:
    text = alert_sms(alert(item(1), item(2)))
    assert text == ("taskwatch ap-southeast-1: GaussDB CreateGaussDBV5Instance failed on gauss-6568-zzh: 500000. "
                    "Task job-1. +1 more GaussDB task alerts, see email.")


def test_sms_has_no_brackets_and_stays_under_490() -> None:
    hostile = item(name="[Restore]【实例】", fail_reason="reason [x] 【y】 " + "z" * 2000)
    text = alert_sms(alert(hostile))
    assert not set("[]【】") & set(text)
    assert len(text) <= MAX_SMS < 490


def test_sms_safe_folds_lines_and_controls() -> None:
    assert sms_safe("a\nb\x00c\u202ed") == "a bcd"
