"""Every contested reading of the list APIs as an emulator variant, for the guarantee tests to run under.

The documents disagree on what `offset` means (items from 0, or a page number from 1) and on whether list
answers carry `total_count` (see function/taskwatch/sources/pager.py). Each (service, reading, total_count)
combination is one variant; a guarantee holds only if it holds under all of them. The state bucket's
encryption (none, SSE-KMS, SSE-OBS: the ETag is then not the MD5) is spread over the variants so each
service meets each kind, without multiplying the matrix. The same way, RDS's variants spread the readings of
its query times (CloudEmulator(rds_time_unit=): milliseconds, seconds refusing milliseconds with 400,
seconds taking them silently as the far future; see function/taskwatch/sources/time_units.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from tests.conftest import emulator_with
from tests.emulator import CloudEmulator
from tests.fixtures import PROJECT

# The counts: over two pages of TaurusDB and RDS (50 a page), of openGauss and DDS (100 a page).
FAILURES = {"taurusdb": 120, "gaussdb": 250, "dds": 250, "rds": 120}
# Just over one page: enough to page (and to test the reading) where several runs are needed.
OVER_ONE_PAGE = {"taurusdb": 60, "gaussdb": 110, "dds": 110, "rds": 60}


@dataclass(frozen=True)
class Variant:
    service: str
    offset_mode: str  # "item": offset counts items from 0; "page": a page number from 1
    total_count: bool  # whether list answers carry total_count
    encryption: str | None = None  # the state bucket's default encryption: None, "kms" or "obs"
    rds_time_unit: str = "ms"  # how the RDS emulator reads start_time/end_time ("ms", "s", "s_lenient")

    @property
    def id(self) -> str:
        unit = f"-{self.rds_time_unit}" if self.service == "rds" else ""
        return (f"{self.service}-{self.offset_mode}-{'total' if self.total_count else 'no_total'}"
                f"-{self.encryption or 'plain'}{unit}")


_ENCRYPTION = {("item", True): None, ("item", False): "kms", ("page", True): "obs", ("page", False): "kms"}
_RDS_TIME_UNIT = {("item", True): "ms", ("item", False): "s", ("page", True): "s_lenient", ("page", False): "s"}
VARIANTS = [pytest.param(v, id=v.id) for v in (
    Variant(service, mode, total, _ENCRYPTION[mode, total],
            _RDS_TIME_UNIT[mode, total] if service == "rds" else "ms")
    for service in FAILURES for mode in ("item", "page") for total in (True, False))]


@contextmanager
def variant_emulator(monkeypatch: pytest.MonkeyPatch, variant: Variant) -> Iterator[CloudEmulator]:
    """An emulator answering as the variant says, the function watching only the variant's service, every
    failure in the task center alerted on the first run and all of them published in one run."""
    monkeypatch.setenv("TASKWATCH_SERVICES", variant.service)
    monkeypatch.setenv("TASKWATCH_BACKFILL", "30d")
    monkeypatch.setenv("TASKWATCH_STUCK_AFTER", "0")  # Failed listings only: the matrix stays fast
    monkeypatch.setenv("TASKWATCH_MAX_MESSAGES_PER_RUN", "100")
    with emulator_with(monkeypatch, seed_examples=False, offset_modes={variant.service: variant.offset_mode},
                       omit_total_count=() if variant.total_count else (variant.service,),
                       obs_encryption=variant.encryption, rds_time_unit=variant.rds_time_unit) as emu:
        yield emu


def add_failures(emu: CloudEmulator, service: str, count: int, seed: int = 0) -> set[str]:
    """`count` failed tasks spread over the last month; their dedup keys."""
    ids = emu.generate(service, count, failure_rate=1.0, seed=seed)
    return {f"{service}:{PROJECT}:{task_id}" for task_id in ids}
