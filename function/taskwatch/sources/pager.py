"""Paging one listing without trusting any one reading of `offset`.

The sources disagree on what the list APIs mean by `offset`:
- TaurusDB: the SDK describes an item offset "default 1", while Huawei's Terraform provider
  (huaweicloud/services/gaussdb/data_source_huaweicloud_gaussdb_mysql_instant_tasks.go) sends offset=1, 2, 3...
  with limit=50: a page number from 1.
- openGauss: the documents and the SDK say an item offset from 0, while Terraform
  (data_source_huaweicloud_gaussdb_opengauss_tasks.go) and the document's own example (offset=1&limit=10)
  page by number from 1.
- DDS: the documents and the SDK say an item offset from 0, and Terraform
  (huaweicloud/services/dds/data_source_huaweicloud_dds_instant_tasks.go) advances by the number of items
  returned; it also notes that `total_count` is "actual not in return".

A wrong reading loses tasks silently, so the reading is inferred from the answers:
- The first page is always requested with offset=0: the first items under an item reading, and page 1 under
  a page reading (all three SDKs accept 0: "must be a number, not negative"; a page API takes 0 as page 1).
- When the first page is full, the second is requested under the current belief, and checked:
  * item reading: the request starts one item early (offset = size - 1), so under an item API its first item
    is one already seen; under a page API it is page size - 1, far away or empty.
  * page reading: offset=2. Under a page API that is page 2 (new tasks); under an item API it starts two
    items in, so most of it repeats page 1.
  If the check fails, the other reading's second page is requested and the same overlap test decides
  (`judge`); the answer given under the wrong reading is discarded, never counted.
- Under an item reading every later page also starts one item early, so pages meet without a gap.
- A listing is complete only when its last page was short and, where the API gives `total_count`, the
  distinct tasks read reach the smallest total_count any page reported (new tasks arriving while paging
  raise it, finished tasks leaving lower it). Otherwise it is reported incomplete (monitor blind counts it).
An empty answer to offset=0 is asked again at offset=1: a page API numbering from 1 may have no page 0.
Page numbers from 0 are not considered: no source describes them.
"""

from __future__ import annotations

from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .base import Listing, TaskCenter

ITEM = "item"  # offset counts items, from 0
PAGE = "page"  # offset is a page number, from 1
READINGS = (ITEM, PAGE)
MAX_PAGES = 400  # a month of tasks at 50-100 per page; more means the listing is not converging
PAGE_WORKERS = 4  # pages of one listing fetched together once total_count is known
PAGE_AHEAD = 2 * PAGE_WORKERS  # answers fetched ahead of the page being taken (each is let go once taken)


def request_offset(reading: str, index: int, size: int) -> int:
    """The `offset` that asks for page `index` (0-based) under a reading; page 0 is offset 0 for both."""
    if index == 0:
        return 0
    return index * size - 1 if reading == ITEM else index + 1


def pages_for(reading: str, total: int, size: int) -> int:
    """How many pages hold `total` tasks under a reading (item pages after the first overlap by one)."""
    if total <= size:
        return 1
    extra = total + 1 if reading == ITEM else total
    return -(-extra // size)


def judge(probe_ids: list[str], first_page: set[str]) -> str:
    """Which reading the answer to offset=2 shows, after a full first page.

    An item API returns the first page shifted by two (mostly repeats); a page API returns page 2 (new
    tasks, or nothing when there is exactly one page). Tasks arriving or leaving meanwhile shift either
    answer by a few items only, far from the half-way threshold."""
    if not probe_ids:
        return PAGE
    repeated = sum(1 for task_id in probe_ids if task_id in first_page)
    return ITEM if repeated * 2 > len(probe_ids) else PAGE


@dataclass
class Page:
    """One answer: its offset, how many items it had and how many were new."""

    offset: int
    items: int
    fresh: int


class Pager:
    """Reads one (status, window) listing of one task center, page by page."""

    def __init__(self, center: TaskCenter, request: Any, reading: str, listing: Listing) -> None:
        self.center = center
        self.request = request  # offset -> SDK request
        self.reading = reading
        self.listing = listing
        self.size = center.spec.page_size
        self.seen: set[str] = set()
        self.smallest_total: int | None = None
        self.last_total: int | None = None

    # -- one page ----------------------------------------------------------------------------------------
    def fetch(self, offset: int) -> Any:
        return self.center.fetch_list(self.request(offset))

    def take(self, offset: int, document: Any) -> Page:
        """Count the page into the listing (tasks kept once, however often they are listed)."""
        items, fresh = self.center.absorb(document, self.listing, self.seen)
        total = document.get("total_count")
        if isinstance(total, int) and not isinstance(total, bool):
            self.last_total = total
            self.smallest_total = total if self.smallest_total is None else min(self.smallest_total, total)
        return Page(offset, items, fresh)

    def more(self, page: Page) -> bool:
        """Whether to read on after this page: a full page may be followed by more, whatever total_count
        says (an API that counts only the answer's own items, or a total that shrank, would otherwise end
        the listing early and call it complete). Only a short page ends a listing."""
        if page.items < self.size:
            return False
        if page.fresh == 0:
            self.incomplete(f"page at offset {page.offset} repeated earlier tasks only")
            return False
        return True

    def incomplete(self, why: str) -> None:
        self.listing.complete = False
        self.listing.anomalies.append(why)

    # -- the listing -------------------------------------------------------------------------------------
    def read(self) -> Listing:
        page = self.take(0, self.fetch(0))
        if page.items == 0 and self.last_total != 0:
            # total_count 0 says nothing matches, whatever offset means; otherwise ask once more at offset 1.
            page = self.first_page_again(page)
        go_on = self.more(page)
        if go_on:
            go_on = self.more(self.settle())
            index = 2
            if go_on and self.last_total is not None:
                index, go_on = self.read_ahead(index)
            while go_on:
                if index >= MAX_PAGES:
                    self.incomplete(f"stopped after {MAX_PAGES} pages")
                    break
                offset = request_offset(self.reading, index, self.size)
                go_on = self.more(self.take(offset, self.fetch(offset)))
                index += 1
        self.check_count()
        return self.listing

    def first_page_again(self, empty: Page) -> Page:
        """offset=0 answered nothing: under a page API that numbers from 1 and has no page 0, offset=1 is the
        first page. One call per empty listing; an item API answers offset=1 with nothing too."""
        document = self.fetch(1)
        if not self.center.peek_ids(document, self.listing):
            return empty
        return self.confirm(PAGE, 1, document)

    def settle(self) -> Page:
        """Read the second page under the reading the answers confirm (see the module docstring)."""
        early = request_offset(ITEM, 1, self.size)
        if self.reading == ITEM:
            document = self.fetch(early)
            ids = self.center.peek_ids(document, self.listing)
            if not any(task_id in self.seen for task_id in ids):
                probe = self.fetch(request_offset(PAGE, 1, self.size))
                if judge(self.center.peek_ids(probe, self.listing), self.seen) == PAGE:
                    return self.confirm(PAGE, request_offset(PAGE, 1, self.size), probe)
            return self.confirm(ITEM, early, document)
        offset = request_offset(PAGE, 1, self.size)
        probe = self.fetch(offset)
        if judge(self.center.peek_ids(probe, self.listing), self.seen) == PAGE:
            return self.confirm(PAGE, offset, probe)
        return self.confirm(ITEM, early, self.fetch(early))

    def confirm(self, reading: str, offset: int, document: Any) -> Page:
        self.reading = reading
        self.listing.reading = reading
        return self.take(offset, document)

    def read_ahead(self, index: int) -> tuple[int, bool]:
        """total_count is known: the pages it implies are fetched a few at a time, taken in order, and let go
        once taken: at most PAGE_AHEAD answers wait to be taken, however many pages the listing has.
        Returns the next page index and whether to read on."""
        assert self.last_total is not None
        planned = min(pages_for(self.reading, self.last_total, self.size), MAX_PAGES)
        offsets = iter([request_offset(self.reading, i, self.size) for i in range(index, planned)])
        go_on = True
        with ThreadPoolExecutor(max_workers=PAGE_WORKERS, thread_name_prefix="page") as pool:
            waiting: deque[tuple[int, Future[Any]]] = deque(
                (offset, pool.submit(self.fetch, offset)) for offset in islice(offsets, PAGE_AHEAD))
            try:
                while waiting:
                    offset, future = waiting.popleft()
                    page = self.take(offset, future.result())
                    del future
                    index += 1
                    go_on = self.more(page)
                    if not go_on:
                        break
                    following = next(offsets, None)
                    if following is not None:
                        waiting.append((following, pool.submit(self.fetch, following)))
            finally:
                for _offset, left in waiting:
                    left.cancel()
        return index, go_on

    def check_count(self) -> None:
        """Distinct tasks against total_count: a listing that does not add up is not complete."""
        if self.smallest_total is not None and len(self.seen) < self.smallest_total:
            self.incomplete(f"read {len(self.seen)} distinct tasks while total_count is {self.smallest_total}")
