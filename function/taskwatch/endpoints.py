"""Default endpoints: each service's host in a region, as the official SDK packages' own region tables say.

The hosts differ by region in ways no single template expresses (TaurusDB is gaussdbformysql.* in some
regions and gaussdb-mysql.* in others; DDS, RDS and SMN live under myhuaweicloud.eu in eu-west-101, SMN under
myhuaweicloud.cn in cn-north-2), so the tables the SDKs ship (`<Service>Region.static_fields`) are read.

Reading them cheaply: `from huaweicloudsdkgaussdb.v3.region.gaussdb_region import GaussDBRegion` first runs
the package's `v3/__init__.py`, which imports the client and every model (~0.3-0.9 s and ~60 MB per SDK).
The region module itself only imports huaweicloudsdkcore's Region and RegionProviderChain, so it is loaded
by file path instead (`spec_from_file_location`), without its parent packages and without registering it
in sys.modules. Only the static table is read: the SDK's region provider chain (HUAWEICLOUD_SDK_REGION_*
variables, ~/.huaweicloud/regions.yaml), which `value_of` consults first, is never asked, so neither the
environment nor a file can steer the function's hosts; TASKWATCH_ENDPOINT_* is the one way to override.

OBS has no SDK table at run time: its documents give obs.{region}.myhuaweicloud.com for every region, with
eu-west-101 under myhuaweicloud.eu (OBS "Obtaining Endpoints", EU-Dublin).

A region no table lists gets the old template (`FALLBACK`), and one log line per service and region says so.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import NamedTuple

from .logs import get_logger


class RegionTable(NamedTuple):
    """Where one SDK keeps its region table: package, file inside it, class name."""

    package: str
    path: str
    class_name: str


REGION_TABLES: Mapping[str, RegionTable] = {
    "taurusdb": RegionTable("huaweicloudsdkgaussdb", "v3/region/gaussdb_region.py", "GaussDBRegion"),
    "gaussdb": RegionTable("huaweicloudsdkgaussdbforopengauss", "v3/region/gaussdbforopengauss_region.py",
                           "GaussDBforopenGaussRegion"),
    "dds": RegionTable("huaweicloudsdkdds", "v3/region/dds_region.py", "DdsRegion"),
    "rds": RegionTable("huaweicloudsdkrds", "v3/region/rds_region.py", "RdsRegion"),
    "smn": RegionTable("huaweicloudsdksmn", "v2/region/smn_region.py", "SmnRegion"),
    "iam": RegionTable("huaweicloudsdkiam", "v3/region/iam_region.py", "IamRegion"),
}
OBS_TEMPLATE = "https://{bucket}.obs.{region}.myhuaweicloud.com"
OBS_REGIONS: Mapping[str, str] = {"eu-west-101": "https://{bucket}.obs.eu-west-101.myhuaweicloud.eu"}
FALLBACK: Mapping[str, str] = {
    "taurusdb": "https://gaussdb.{region}.myhuaweicloud.com",
    "gaussdb": "https://gaussdb-opengauss.{region}.myhuaweicloud.com",
    "dds": "https://dds.{region}.myhuaweicloud.com",
    "rds": "https://rds.{region}.myhuaweicloud.com",
    "smn": "https://smn.{region}.myhuaweicloud.com",
    "iam": "https://iam.{region}.myhuaweicloud.com",
}

_warned: set[tuple[str, str]] = set()
_warned_lock = threading.Lock()


def _load_by_path(table: RegionTable) -> ModuleType:
    """Execute the region module alone (its package __init__ files, which import every model, are skipped)."""
    spec = importlib.util.find_spec(table.package)  # a top-level name: found, not imported
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(f"{table.package} is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / table.path
    module_spec = importlib.util.spec_from_file_location(f"taskwatch._region_table.{table.package}", path)
    if module_spec is None or module_spec.loader is None:
        raise ImportError(f"no region table at {path}")
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


@cache
def region_table(service: str) -> Mapping[str, str]:
    """region ID -> base URL (scheme and host) from the SDK's static table; the first endpoint wins, as in
    the SDK's own clients."""
    table = REGION_TABLES[service]
    region_class = getattr(_load_by_path(table), table.class_name)
    return {region_id: region.endpoints[0] for region_id, region in region_class.static_fields.items()}


def default_endpoint(service: str, region: str) -> str:
    """The base URL of `service` in `region` when no TASKWATCH_ENDPOINT_* override is set. For OBS it keeps
    {bucket} in the host (virtual-host style)."""
    if service == "obs":
        return OBS_REGIONS.get(region, OBS_TEMPLATE).replace("{region}", region)
    try:
        listed = region_table(service).get(region)
        reason = f"the {REGION_TABLES[service].package} region table does not list {region}"
    except (ImportError, OSError, AttributeError, SyntaxError) as exc:
        listed = None
        reason = f"the {REGION_TABLES[service].package} region table could not be read ({type(exc).__name__})"
    if listed:
        return listed
    fallback = FALLBACK[service].replace("{region}", region)
    _warn_once(service, region, f"{reason}: {service} endpoint defaults to {fallback} "
                                f"(set TASKWATCH_ENDPOINT_{service.upper()} if that is wrong)")
    return fallback


def _warn_once(service: str, region: str, text: str) -> None:
    with _warned_lock:
        if (service, region) in _warned:
            return
        _warned.add((service, region))
    get_logger().warning("%s", text)
