"""`make doctor`: a read-only preflight of a real account, before (or after) a deploy.

    python layers/doctor.py

Configuration and credentials come from the environment exactly as for `make run` (CLOUD_SDK_AK, CLOUD_SDK_SK,
optional CLOUD_SDK_SECURITY_TOKEN, and the TASKWATCH_* keys), read by the function's own loader. For every
target and service it shows the host it resolved and lists a page of tasks; it reads the SMN topic's
subscriptions; it HEADs the state bucket and writes, reads back and deletes a probe object beside the state
object. It never publishes and never reads or writes the state object. One row per check: OK, WARN, SKIP or
FAIL, with the missing IAM action or the fix under a problem. Exit code 1 when any check failed.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TextIO

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ship.paths import import_function_package
from ship.redact import Redactor

import_function_package()

from preflight.agency import agency_missing_rows, check_agency  # noqa: E402
from preflight.bucket import check_state_bucket  # noqa: E402
from preflight.offsets import __doc__ as OFFSET_METHOD  # noqa: E402
from preflight.rows import FAIL, OK, Row, exit_code, render  # noqa: E402
from preflight.taskcenter import check_task_center  # noqa: E402
from preflight.topic import check_topic  # noqa: E402
from taskwatch.config import load_config  # noqa: E402
from taskwatch.credentials import Credentials, resolve_credentials  # noqa: E402
from taskwatch.errors import TaskwatchError  # noqa: E402
from taskwatch.sanitize import one_line  # noqa: E402
from taskwatch.secrets_scrub import SCRUBBER  # noqa: E402
from taskwatch.tasks import Agency  # noqa: E402

SECRET_KEYS = ("CLOUD_SDK_AK", "CLOUD_SDK_SK", "CLOUD_SDK_SECURITY_TOKEN")
HEADER = ("taskwatch doctor: read-only preflight with the configuration of `make run`. Nothing is published; "
          "the state object is neither read nor written.")


def guarded(name: str, check: Callable[[], list[Row]]) -> list[Row]:
    """A defect in one check becomes its FAIL row; the other checks still run."""
    try:
        return check()
    except Exception as exc:  # report, never crash half-way
        last = traceback.format_exception_only(type(exc), exc)[-1]
        return [Row(FAIL, name, "-", f"internal error: {one_line(last, 300)}", "report this as a defect")]


def collect(environ: Mapping[str, str]) -> list[Row]:
    """Every check's rows, in the order a run meets them: configuration, credentials, sources, topic, state."""
    try:
        config = load_config(environ)
    except TaskwatchError as exc:
        return [Row(FAIL, "configuration", "-", str(exc), "fix the named key (see README, Configuration)")]
    try:
        credentials = resolve_credentials(None, environ)
    except TaskwatchError as exc:
        return [Row(OK, "configuration", "-", f"{len(config.targets)} target(s)"),
                Row(FAIL, "credentials", "-", str(exc), "export CLOUD_SDK_AK and CLOUD_SDK_SK")]
    token = ", with a security token" if credentials.security_token else ""
    rows = [Row(OK, "configuration", "-", f"{len(config.targets)} target(s), state {config.state_uri}"),
            Row(OK, "credentials", "-", f"CLOUD_SDK_AK and CLOUD_SDK_SK set{token} (tested by the calls below)")]
    issued: dict[Agency, Credentials | None] = {}
    for agency in dict.fromkeys(t.agency for t in config.targets if t.agency is not None):
        rows += guarded(f"agency {agency.label}", lambda a=agency: _exchange(config, credentials, a, issued))
    for target in config.targets:
        reader = credentials if target.agency is None else issued.get(target.agency)
        if reader is None and target.agency is not None:
            rows += agency_missing_rows(target.agency, list(target.services), target.label)
            continue
        for service in target.services:
            rows += guarded(f"{service} {target.label}",
                            lambda t=target, s=service, c=reader: check_task_center(config, c, t, s))
    rows += guarded("smn topic", lambda: check_topic(config, credentials))
    rows += guarded("state bucket", lambda: check_state_bucket(config, credentials))
    return rows


def _exchange(config: Any, credentials: Credentials, agency: Agency,
              issued: dict[Agency, Credentials | None]) -> list[Row]:
    row, issued[agency] = check_agency(config, credentials, agency)
    return [row]


def main(environ: Mapping[str, str] | None = None, out: TextIO | None = None) -> int:
    environ = os.environ if environ is None else environ
    out = out or sys.stdout
    redact = Redactor(environ.get(key) for key in SECRET_KEYS)

    def scrub(text: str) -> str:  # an agency's temporary credentials are known to the function's scrubber only
        return SCRUBBER(redact(text))

    rows = collect(environ)
    print(scrub(HEADER), file=out)
    for line in render(rows, scrub):
        print(line, file=out)
    counts = {status: sum(1 for r in rows if r.status == status) for status in ("OK", "WARN", "SKIP", FAIL)}
    print("\n" + ", ".join(f"{n} {status}" for status, n in counts.items()), file=out)
    if any(r.check.endswith(": offset") and r.status != "SKIP" for r in rows):
        print("\nHow the offset reading is told:" + (OFFSET_METHOD or "").split(":", 1)[1].rstrip(), file=out)
    return exit_code(rows)


if __name__ == "__main__":
    sys.exit(main())
