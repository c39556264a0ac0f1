"""Local cloud emulator for taskwatch tests: real HTTP, real signatures, behaviour from the API documents.

    from tests.emulator import CloudEmulator, Fault

    with CloudEmulator() as emu:
        emu.endpoints  # {"taurusdb": "http://127.0.0.1:p1", "gaussdb": ..., "smn": ..., "obs": ...}
        emu.faults.add(Fault(call="taurusdb.list", kind="429", times=2))

Six listeners on 127.0.0.1 (one port per cloud host): TaurusDB, GaussDB (openGauss), DDS, RDS, SMN, OBS;
a seventh, FunctionGraph (the calls `make deploy` makes; functiongraph.py), with CloudEmulator(functiongraph=True):
its endpoint is emu.endpoints["functiongraph"] / TASKWATCH_ENDPOINT_FUNCTIONGRAPH in emu.env(), and
emu.functiongraph.function(name) / .triggers(name) / .dependency_versions(name) show what deploy left;
an eighth, Cloud Eye alarm rules (ces.py), with ces=True: emu.ces.rules() shows them; a ninth, IAM's
agency exchange (iam.py), with iam=True: emu.add_account(domain, projects, {agency: trusted account}) makes a
member account whose projects answer only the temporary credentials IAM issued for its agencies.
The SDK services verify SDK-HMAC-SHA256 signatures with the emulator's own verifier; OBS verifies the
"OBS AK:signature" header against esdk-obs-python (a test-only dependency, imported only here).

Seeds: with seed_examples=True the documents' example tasks (seed_examples.json: TaurusDB 000, DDS 001 x3,
openGauss 004 x2) are loaded into the default project. Their 2018-2022 dates are older than the task
centers' one-month retention, so they are REBASED: each example task is shifted as a whole so its newest
time lands 5-10 minutes before now() (durations kept; each time keeps its original offset, e.g. TaurusDB's
created +0800 / ended +0000). The TaurusDB example has no fail_reason key and its detail keeps it absent.

Decisions where the documents are unclear:
- List `offset`: per service, offset_modes={"gaussdb": "page", ...} reads it as a page number from 1 or
  as items from 0 (defaults: TaurusDB page, openGauss, DDS and RDS item; taurusdb_offset_mode= still works);
  omit_total_count={"dds", ...} leaves total_count out of those list answers (see taskcenters.py);
  rds_time_unit="ms" | "s" | "s_lenient" reads RDS's "UTC timestamp" query times as milliseconds
  (documented) or seconds (a millisecond value refused with 400, or silently read as a far-future instant).
- Invalid list/detail parameters: 400 DBS.200001. Unknown/expired task id: 400 DBS.200022 "The job does not
  exist.". Unknown API path: 404 APIG.0101.
- Signature failures, wrong AK, missing/unexpected/wrong security token, X-Project-Id differing from the
  path project: 401 APIG.0301. A security token sent to an emulator configured without one is refused.
- Signature freshness (X-Sdk-Date, OBS Date) uses the real clock; now() only drives the task data.
- SMN errors use SMN's documented body {"request_id", "code", "message"} (see smn.py for the codes).
- Rendered times: TaurusDB and openGauss +0800, DDS and RDS +0000 (the examples' offsets); never "Z".
- Raw items (raw_item) are list-only, filtered on the fields they carry in usable form.
- Fault.call may be a glob ("dds.*", "*"); list-shaping kinds only match list calls.
- odd_error_400 / odd_error_500: error bodies whose error_code / error_msg are JSON of other shapes than
  the documented strings (faults.py); "answer" sends a test's own status, body and headers (3xx included).
"""

from .emulator import CloudEmulator
from .faults import Fault

__all__ = ["CloudEmulator", "Fault"]
