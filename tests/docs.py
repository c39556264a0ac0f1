"""Documentation sections generated from the sources of truth: `python -m tests.docs` rewrites them, and
tests/test_readme.py (tests/faults for the fault table) fails when a document and its source disagree.

- README.md: the essential configuration keys, from function/taskwatch/schemas/config.schema.json;
- docs/configuration.md: every configuration key, from the same schema;
- tests/faults/README.md: the failure-handling table, from the fault matrix (build/faults/matrix.md, written by
  `make faults`).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
CONFIG_DOC = ROOT / "docs" / "configuration.md"
FAULTS_DOC = ROOT / "tests" / "faults" / "README.md"
README_LIMIT = 15_000  # bytes: the operator's README stays short; the detail lives in the linked documents
# The keys most deployments set: the README's table (the full one is in docs/configuration.md).
ESSENTIAL_KEYS = ("TASKWATCH_TARGETS", "TASKWATCH_REGION", "TASKWATCH_PROJECT_ID", "TASKWATCH_SERVICES",
                  "TASKWATCH_SMN_TOPIC_URN", "TASKWATCH_STATE_URI", "TASKWATCH_DRY_RUN", "TASKWATCH_BACKFILL",
                  "TASKWATCH_BLIND_AFTER", "TASKWATCH_HEARTBEAT")
CONFIG_SCHEMA = ROOT / "function" / "taskwatch" / "schemas" / "config.schema.json"
FAULT_TABLE = ROOT / "build" / "faults" / "matrix.md"


def _default(spec: dict) -> str:
    if "default" not in spec:
        return ""
    value = spec["default"]
    if spec.get("x-parse") == "duration":
        seconds = float(value)
        for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
            if seconds and seconds % size == 0:
                return f"`{int(seconds // size)}{unit}`"
        return f"`{seconds:g}s`" if seconds else "`0` (off)"
    if isinstance(value, list):
        return "`" + ("-" if spec.get("x-parse") == "range" else ",").join(str(v) for v in value) + "`" if value \
            else "(none)"
    if isinstance(value, bool):
        return "`1`" if value else "`0`"
    return f"`{value}`"


def config_table() -> str:
    """One row per environment variable (with what a timer's user_event may do to it, x-user-event), then
    one row per user_event-only key (x-user-event-only)."""
    schema = json.loads(CONFIG_SCHEMA.read_text(encoding="utf-8"))
    rows = ["| Variable | Read as | Default | Meaning |", "|---|---|---|---|"]
    for name, spec in schema["properties"].items():
        meaning = spec["description"]
        if "x-user-event" in spec:
            meaning += f" user_event: {spec['x-user-event']}"
        meaning = meaning.replace("|", "\\|")
        rows.append(f"| `{name}` | {spec.get('x-parse', 'string')} | {_default(spec)} | {meaning} |")
    for name, spec in schema.get("x-user-event-only", {}).items():
        meaning = spec["description"].replace("|", "\\|")
        rows.append(f"| user_event `{name}` | string |  | {meaning} |")
    return "\n".join(rows)


def first_sentence(text: str) -> str:
    """A description's first sentence: the README keeps its table short; the full text is in the full table."""
    return re.split(r"(?<=[.)])\s+(?=[A-Za-z])", text, maxsplit=1)[0]


def essential_table() -> str:
    """The README's short table: the essential keys, their default and the first sentence of their meaning."""
    properties = json.loads(CONFIG_SCHEMA.read_text(encoding="utf-8"))["properties"]
    rows = ["| Variable | Default | Meaning |", "|---|---|---|"]
    for name in ESSENTIAL_KEYS:
        spec = properties[name]
        meaning = first_sentence(spec["description"]).replace("|", chr(92) + "|")
        rows.append(f"| `{name}` | {_default(spec)} | {meaning} |")
    return "\n".join(rows)


def section(text: str, name: str, body: str) -> str:
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
    if not pattern.search(text):
        raise SystemExit(f"no {name} markers")
    return pattern.sub(lambda _: f"{start}\n{body}\n{end}", text)


def rendered() -> dict[Path, str]:
    """Each generated document as it should read now (the fault table only once `make faults` wrote it)."""
    out = {README: section(README.read_text(encoding="utf-8"), "config-essentials", essential_table()),
           CONFIG_DOC: section(CONFIG_DOC.read_text(encoding="utf-8"), "config-table", config_table())}
    if FAULT_TABLE.exists():
        out[FAULTS_DOC] = section(FAULTS_DOC.read_text(encoding="utf-8"), "fault-table",
                                  FAULT_TABLE.read_text(encoding="utf-8").strip())
    return out


def main() -> int:
    for path, text in rendered().items():
        path.write_text(text, encoding="utf-8")
        print(f"{path.relative_to(ROOT)}: sections regenerated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
