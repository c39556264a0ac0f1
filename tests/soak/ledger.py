"""The soak's ledger: what the fake task centers produced and what reached a person, and the final check.

Definitions (the README's `make soak` paragraph repeats them):

- A *failure* is a task the soak made Failed in a task center (created Failed, or a Running task that
  ended Failed). It becomes *visible* at the simulated time the soak put it there (the emulator serves it
  from then on; the soak's visibility delay is 0).
- *Published*: SMN accepted an alert whose HTTP document lists the failure's dedup key as "failed"
  (listed or counted), at any time up to the end of the soak.
- *Covered by blind*: not published, and its source (region/project/service) was declared blind around its
  visibility: SMN accepted a "blind" notice for that source at time b, and the failure became visible
  within [b - TASKWATCH_BLIND_AFTER x 5 min, r], where r is the time SMN accepted the next "recovered"
  notice for that source (or the end of the soak). The notice's lead covers the failing runs that raised it.
- *Covered by a failed invocation*: not published, not covered by blind, and an invocation that the
  platform counts as an error (the handler raised, so FunctionGraph's error count and its Cloud Eye alarm
  see it) ran within [visible, visible + TASKWATCH_BLIND_AFTER x 5 min], the delay blind is allowed. A run
  that only *returns* outcome "failed" is recorded but covers nothing: the platform counts it as a success.
- *Lost*: neither published nor covered. Must be 0.
- *Late*: published, but more than TASKWATCH_BLIND_AFTER + 1 runs after it became visible (runs while SMN
  itself was down do not count: nothing can reach a person then). A late failure must have been signalled
  meanwhile, by a blind window of its source or a raised invocation overlapping [visible, published];
  a "silent delay" fails the check like a lost failure.
- A *duplicate* is a second (third...) acceptance of a failure's key. Its cause is read from the invocation
  that made the previous acceptance: "smn answer lost" if SMN's answer was lost in that run (the
  emulator accepted the message but the answer never reached the function: a truncated or late answer),
  "not saved" if that invocation did not save its state after the publish (state not saved, or the
  handler raised, or the invocation left no summary). Those are the two windows README Guarantee 2
  allows. Anything else is "unexplained" (and named "after state reset" when a state_reset notice was
  accepted in between); any of those fails the check.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tests.simulation import RUN_EVERY, alert_items, http_document

DOCUMENTED_CAUSES = ("smn answer lost", "not saved")
CLASSES = ("published", "published late, signalled", "published late, silent", "covered by blind",
           "covered by failed invocation", "lost")


@dataclass(frozen=True)
class Failure:
    key: str
    source: str
    visible: datetime
    run: int


@dataclass(frozen=True)
class Acceptance:
    run: int
    at: datetime
    run_id: str


@dataclass
class Invocation:
    """One handler call: its summary (None when it raised) and whether the platform counts an error."""

    run: int
    at: datetime
    summary: dict[str, Any] | None
    raised: str | None = None

    @property
    def outcome(self) -> str:
        return "raised" if self.raised else str((self.summary or {}).get("outcome"))

    @property
    def saved(self) -> bool:
        return bool(self.summary and self.summary.get("state", {}).get("written"))


@dataclass
class Ledger:
    blind_after: int
    failures: dict[str, Failure] = field(default_factory=dict)
    accepted: dict[str, list[Acceptance]] = field(default_factory=lambda: defaultdict(list))
    notices: list[tuple[str, str | None, datetime, int]] = field(default_factory=list)  # kind, source, at, run
    invocations: list[Invocation] = field(default_factory=list)
    answer_lost_runs: set[int] = field(default_factory=set)
    smn_down_runs: set[int] = field(default_factory=set)  # nothing can reach a person: not counted as delay
    bad_records: dict[str, int] = field(default_factory=dict)  # task id -> run it was injected in
    bad_reported: set[str] = field(default_factory=set)
    other_keys: set[str] = field(default_factory=set)  # tasks the soak made that never failed
    runs: int = 0
    fault_counts: Counter[str] = field(default_factory=Counter)
    fault_by_run: dict[int, str] = field(default_factory=dict)  # to read a finding back (run -> fault drawn)

    # ---- recording ----------------------------------------------------------------------------------
    def failure(self, key: str, source: str, visible: datetime, run: int) -> None:
        self.failures.setdefault(key, Failure(key, source, visible, run))
        self.other_keys.discard(key)

    def messages(self, run: int, at: datetime, messages: list[dict[str, Any]]) -> None:
        for message in messages:
            doc = http_document(message)
            kind = doc.get("kind")
            if kind == "alert":
                for key, alert, _status in alert_items(doc):
                    if alert == "failed":
                        self.accepted[key].append(Acceptance(run, at, str(doc.get("run_id"))))
            elif kind == "notice":
                self.notices.append((f"notice: {doc.get('headline')}", None, at, run))
            else:
                self.notices.append((str(kind), doc.get("source"), at, run))

    def invocation(self, invocation: Invocation) -> None:
        self.invocations.append(invocation)
        for sample in (invocation.summary or {}).get("violations", []):
            if sample.get("task_id") in self.bad_records:
                self.bad_reported.add(sample["task_id"])

    # ---- the check --------------------------------------------------------------------------------
    def blind_windows(self, end: datetime) -> dict[str, list[tuple[datetime, datetime]]]:
        lead = self.blind_after * RUN_EVERY
        windows: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
        open_since: dict[str, datetime] = {}
        for kind, source, at, _run in sorted(self.notices, key=lambda n: n[2]):
            if source is None:
                continue
            if kind == "blind" and source not in open_since:
                open_since[source] = at - lead
            elif kind == "recovered" and source in open_since:
                windows[source].append((open_since.pop(source), at))
        for source, since in open_since.items():
            windows[source].append((since, end))
        return windows

    def classify(self, end: datetime) -> dict[str, list[Failure]]:
        windows = self.blind_windows(end)
        errors = sorted(i.at for i in self.invocations if i.raised)
        reach = self.blind_after * RUN_EVERY

        def signalled(failure: Failure, until: datetime) -> bool:
            blind = any(start <= until and failure.visible <= stop for start, stop in windows.get(failure.source, []))
            return blind or any(failure.visible <= t <= until for t in errors)

        out: dict[str, list[Failure]] = {name: [] for name in CLASSES}
        for failure in self.failures.values():
            accepted = self.accepted.get(failure.key)
            if accepted:
                first = min(a.run for a in accepted)
                waited = sum(1 for run in range(failure.run, first) if run not in self.smn_down_runs)
                if waited <= self.blind_after + 1:
                    out["published"].append(failure)
                else:
                    late = signalled(failure, failure.visible + (first - failure.run) * RUN_EVERY)
                    out["published late, signalled" if late else "published late, silent"].append(failure)
            elif any(start <= failure.visible <= stop for start, stop in windows.get(failure.source, [])):
                out["covered by blind"].append(failure)
            elif any(failure.visible <= t <= failure.visible + reach for t in errors):
                out["covered by failed invocation"].append(failure)
            else:
                out["lost"].append(failure)
        return out

    def duplicates(self) -> Counter[str]:
        by_run_id = {str((i.summary or {}).get("run_id")): i for i in self.invocations if i.summary}
        resets = sorted(at for kind, _s, at, _r in self.notices if kind.startswith("notice: state was unreadable"))
        causes: Counter[str] = Counter()
        for acceptances in self.accepted.values():
            for earlier, later in itertools.pairwise(acceptances):
                invocation = by_run_id.get(earlier.run_id)
                if earlier.run in self.answer_lost_runs:
                    causes["smn answer lost"] += 1
                elif invocation is None or not invocation.saved:
                    causes["not saved"] += 1
                elif any(earlier.at <= t <= later.at for t in resets):
                    causes["unexplained (after state reset)"] += 1
                else:
                    causes["unexplained"] += 1
        return causes

    def problems(self, end: datetime) -> list[str]:
        """Every broken guarantee, one line each (empty when the month was clean)."""
        found: list[str] = []
        classes = self.classify(end)
        for failure in classes["lost"]:
            found.append(f"lost: {failure.key} (visible {failure.visible:%m-%d %H:%M}, run {failure.run})")
        for failure in classes["published late, silent"]:
            first = min(a.run for a in self.accepted[failure.key])
            found.append(f"silent delay: {failure.key} (visible run {failure.run}, published run {first}, "
                         "no blind notice and no raised invocation meanwhile)")
        for cause, count in self.duplicates().items():
            if cause not in DOCUMENTED_CAUSES:
                found.append(f"duplicates outside the documented windows: {count} {cause}")
        for key in sorted(set(self.accepted) & self.other_keys):
            found.append(f"alerted as failed but never failed: {key}")
        for task_id, run in sorted(self.bad_records.items(), key=lambda item: item[1]):
            if task_id not in self.bad_reported:
                found.append(f"bad record {task_id} (run {run}) never reported as a schema violation")
        return found

    def totals(self, end: datetime) -> dict[str, Any]:
        classes = self.classify(end)
        invocations = Counter(i.outcome for i in self.invocations)
        return {
            "runs": self.runs,
            "invocations": dict(sorted(invocations.items())),
            "failures produced": len(self.failures),
            "published": len(classes["published"]) + len(classes["published late, signalled"])
            + len(classes["published late, silent"]),
            "published late (signalled)": len(classes["published late, signalled"]),
            "published late (silent)": len(classes["published late, silent"]),
            "covered by blind": len(classes["covered by blind"]),
            "covered by failed invocation": len(classes["covered by failed invocation"]),
            "duplicates by cause": dict(sorted(self.duplicates().items())),
            "lost": len(classes["lost"]),
            "blind notices": sum(1 for n in self.notices if n[0] == "blind"),
            "bad records": f"{len(self.bad_reported)}/{len(self.bad_records)} reported",
            "faults drawn": dict(sorted(self.fault_counts.items())),
        }

