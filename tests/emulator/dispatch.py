"""One pipeline for every host: latency, route, authenticate, fault, handle, record.

Why: faults, latency and request records must behave identically on all five services, and the
order matters (faults apply after authentication, before normal handling).
"""

from __future__ import annotations

import threading
import traceback
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from .faults import ODD_ERROR_400, ODD_ERROR_500, Fault
from .service import Route, Service
from .wire import Request, Response, api_error, dump_json, json_response

if TYPE_CHECKING:
    from .emulator import CloudEmulator

_STATUS_FAULTS = frozenset({"429", "500", "503", "401", "403"})


class Dispatcher:
    """Runs requests through a service and keeps the request records (thread-safe)."""

    def __init__(self, emu: CloudEmulator) -> None:
        self.emu = emu
        self._lock = threading.Lock()
        self.records: list[dict[str, Any]] = []
        self.errors: list[str] = []
        self._last_page: dict[str, list[Any]] = {}

    def dispatch(self, service: Service, req: Request) -> Response:
        request_id = uuid.uuid4().hex
        route: Route | None = None
        fault: Fault | None = None
        try:
            self.emu.wait(self.emu.latency)
            route = service.route(req)
            if route is None:
                response = service.unknown_api(req)
            else:
                denied = service.authenticate(req, route)
                if denied is not None:
                    response = denied
                else:
                    hook = getattr(self.emu, "before_answer", None)
                    if hook is not None:  # tests change the data mid-run (e.g. tasks arriving while paging)
                        hook(route.call, {k: v[-1] for k, v in parse_qs(req.raw_query).items()})
                    fault = self.emu.faults.take(route.call, service.is_list(route.call))
                    response = self._answer(service, req, route, fault)
        except Exception:  # an emulator bug must be loud in tests, never a hang
            detail = traceback.format_exc()
            self.record_error(detail)
            response = api_error(500, "EMULATOR.BUG", detail.strip().splitlines()[-1])
        service.decorate(response, request_id)
        self._record(service, req, route, fault, response)
        return response

    def record_error(self, detail: str) -> None:
        """Keep the traceback of an emulator bug (`CloudEmulator.errors`)."""
        with self._lock:
            self.errors.append(detail)

    def reset(self) -> None:
        with self._lock:
            self.records.clear()
            self._last_page.clear()

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(r) for r in self.records]

    # ---- internals ------------------------------------------------------------------------------
    def _answer(self, service: Service, req: Request, route: Route, fault: Fault | None) -> Response:
        if fault is None:
            return self._normal(service, req, route)
        kind = fault.kind
        if kind in _STATUS_FAULTS:
            return service.fault_error(kind)
        if kind == "timeout":
            self.emu.wait(fault.delay)
            return self._normal(service, req, route)
        if kind == "reset":
            return Response(status=0, action="reset")
        if kind == "malformed_json":
            return Response(
                status=200,
                body=service.malformed_body(route),
                headers=[("Content-Type", "application/json;charset=UTF-8")],
            )
        if kind == "html200":
            return service.html_error()
        if kind == "odd_error_400":
            return json_response(400, ODD_ERROR_400)
        if kind == "odd_error_500":
            shape = ODD_ERROR_500[(fault.fired - 1) % len(ODD_ERROR_500)]
            return Response(status=500, body=dump_json(shape),
                            headers=[("Content-Type", "application/json;charset=UTF-8")])
        if kind == "answer":
            body = fault.body(req) if callable(fault.body) else fault.body
            return Response(status=fault.status, body=body, headers=list(fault.headers))
        if kind == "truncated":
            full = service.handle(req, route)
            return Response(status=200, body=full.body, headers=full.headers, action="truncate")
        return self._reshape(service, req, route, fault)

    def _normal(self, service: Service, req: Request, route: Route) -> Response:
        response = service.handle(req, route)
        self._remember(route.call, response)
        return response

    def _reshape(self, service: Service, req: Request, route: Route, fault: Fault) -> Response:
        """The list-shaping kinds: empty_page, total_changes, total_of_page, repeat_page."""
        response = service.handle(req, route)
        key = response.array_key
        if response.status != 200 or response.payload is None or key is None:
            return response
        payload = dict(response.payload)
        if fault.kind == "empty_page":
            payload[key] = []
        elif fault.kind == "total_changes":
            payload["total_count"] = int(payload.get("total_count", 0)) + (fault.fired - 1) % 5 + 1
        elif fault.kind == "total_of_page":  # an API that counts only the items of this answer
            payload["total_count"] = len(payload[key])
        elif fault.kind == "repeat_page":
            with self._lock:
                previous = self._last_page.get(route.call)
            if previous is not None:
                payload[key] = previous
        response.set_payload(payload)
        self._remember(route.call, response)
        return response

    def _remember(self, call: str, response: Response) -> None:
        if response.status == 200 and response.payload is not None and response.array_key:
            with self._lock:
                self._last_page[call] = list(response.payload.get(response.array_key, []))

    def _record(
        self, service: Service, req: Request, route: Route | None, fault: Fault | None, response: Response
    ) -> None:
        record = {
            "call": route.call if route else None,
            "service": service.name,
            "method": req.method,
            "path": req.path,
            "raw_path": req.raw_path,
            "query": req.query(),
            "status": None if response.action == "reset" else response.status,
            "fault": fault.kind if fault else None,
            "content_md5": req.header("Content-MD5"),
        }
        with self._lock:
            self.records.append(record)
