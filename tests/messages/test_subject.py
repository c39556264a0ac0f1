from __future__ import annotations

from taskwatch.messages.subject import MAX_SUBJECT_BYTES, alert_subject, fit_bytes

from tests.messages.samples import alert, item


def test_subject_says_what_failed_where() -> None:
    subject = alert_subject(alert())
    assert subject == "taskwatch: 1 failed GaussDB task in ap-southeast-1: CreateGaussDBV5Instance on gauss-6568-zzh"


def test_subject_counts_failed_and_stuck_and_more() -> None:
    subject = alert_subject(alert(item(1), item(2, kind="stuck", status="Running"), overflow=(item(3),)))
    assert "2 failed GaussDB tasks and 1 stuck GaussDB task" in subject
    assert subject.endswith("(+2 more)")


def test_subject_stays_on_one_line_within_512_bytes() -> None:
    hostile = item(name="Task\nwith\x1b[31m red\r\n" + "名" * 400)
    subject = alert_subject(alert(hostile))
    assert "\n" not in subject and "\x1b" not in subject
    assert len(subject.encode("utf-8")) <= MAX_SUBJECT_BYTES


def test_fit_bytes_never_splits_a_character() -> None:
    text = fit_bytes("é" * 400, 100)
    assert len(text.encode()) <= 100 and text.endswith("...")
    text.encode("utf-8").decode("utf-8")
