"""Links to each service's task center in the console, so a reader goes straight to the task.

The console's fragment routes are not part of any API document; these are the task center pages as the
console names them today. They are a convenience: the message always carries the task ID too.
"""

from __future__ import annotations

from urllib.parse import quote

_PAGES = {
    "taurusdb": "https://console.huaweicloud.com/taurusdb/?region={region}#/taurusdb/taskCenter",
    "gaussdb": "https://console.huaweicloud.com/gaussdb/?region={region}#/gaussdb/taskCenter",
    "dds": "https://console.huaweicloud.com/dds/?region={region}#/dds/taskCenter",
    # RDS: the console's base and its "#/rds/..." routes are those of public links to it (e.g.
    # #/rds/management/list); no public source names the task center's route, so it follows the others.
    "rds": "https://console.huaweicloud.com/rds/?region={region}#/rds/taskCenter",
}


def task_center_url(service: str, region: str) -> str:
    return _PAGES[service].replace("{region}", quote(region, safe=""))
