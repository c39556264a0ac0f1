"""The SDK's own CPU floor: the task-center requests a run made, made again with the bare SDK clients (the
service client's operation, the SDK's invoker, signing and model deserialisation) and no taskwatch code.

Loaded BY PATH in the child (child.py "floor" mode), so it imports only the standard library and the layer.
The input lists each request as [service, "list" | "detail", query] (from the emulator's request log); the
clients are built before the clock starts, and the requests are made by `concurrency` threads, as a run
makes them. Returns the CPU seconds (user + system, the whole process) the requests took.
"""

from __future__ import annotations

import resource
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any


def _client(service: str, endpoint: str, project: str, ak: str, sk: str) -> Any:
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkcore.http.http_config import HttpConfig

    if service == "taurusdb":
        from huaweicloudsdkgaussdb.v3.gaussdb_client import GaussDBClient as Client
    elif service == "gaussdb":
        from huaweicloudsdkgaussdbforopengauss.v3.gaussdbforopengauss_client import (
            GaussDBforopenGaussClient as Client,
        )
    else:
        from huaweicloudsdkdds.v3.dds_client import DdsClient as Client
    config = HttpConfig.get_default_config()
    config.retry_times = 0
    config.pool_maxsize = config.pool_connections = 10
    return (Client.new_builder().with_credentials(BasicCredentials(ak, sk, project)).with_endpoints([endpoint])
            .with_http_config(config).build())


def _request(service: str, kind: str, query: dict[str, str]) -> tuple[str, Any]:
    if kind == "detail":
        if service == "taurusdb":
            from huaweicloudsdkgaussdb.v3.model.show_gauss_my_sql_job_info_request import (
                ShowGaussMySqlJobInfoRequest,
            )
            return "show_gauss_my_sql_job_info", ShowGaussMySqlJobInfoRequest(id=query["id"])
        if service == "gaussdb":
            from huaweicloudsdkgaussdbforopengauss.v3.model.show_job_detail_request import ShowJobDetailRequest
        else:
            from huaweicloudsdkdds.v3.model.show_job_detail_request import ShowJobDetailRequest
        return "show_job_detail", ShowJobDetailRequest(id=query["id"])
    if service == "taurusdb":
        from huaweicloudsdkgaussdb.v3.model.list_immediate_jobs_request import ListImmediateJobsRequest
        return "list_immediate_jobs", ListImmediateJobsRequest(
            status=query.get("status"), offset=query.get("offset"), limit=query.get("limit"),
            start_time=query.get("start_time"), end_time=query.get("end_time"))
    if service == "gaussdb":
        from huaweicloudsdkgaussdbforopengauss.v3.model.list_tasks_request import ListTasksRequest
    else:
        from huaweicloudsdkdds.v3.model.list_tasks_request import ListTasksRequest
    return "list_tasks", ListTasksRequest(status=query.get("status"), start_time=query.get("start_time"),
                                          end_time=query.get("end_time"), offset=int(query.get("offset", 0)),
                                          limit=int(query.get("limit", 100)))


def run(spec: dict[str, Any]) -> dict[str, Any]:
    calls = spec["calls"]
    clients = {(service, project): _client(service, spec["endpoints"][service], project, spec["ak"], spec["sk"])
               for service, project, _kind, _query in calls}
    for service, _project, kind, query in calls[:1]:
        _request(service, kind, query)  # the request models imported before the clock starts

    def one(call: list[Any]) -> bool:
        service, project, kind, query = call
        operation, request = _request(service, kind, query)
        try:
            getattr(clients[(service, project)], operation)(request)
            return True
        except Exception:  # counted: the floor is only a floor when the same requests succeeded
            return False

    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=int(spec.get("concurrency", 8))) as pool:
        ok = sum(1 for done in pool.map(one, calls) if done)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return {"cpu_s": cpu, "wall_s": wall, "requests": len(calls), "ok": ok}
