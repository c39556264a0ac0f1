"""The huaweicloudsdk* classes a run uses, imported one by one instead of the whole SDK package.

Why: every huaweicloudsdk<service> package is generated with a `v<N>/__init__.py` and a `v<N>/model/__init__.py`
that import the client and EVERY model of the service up front (1,007 modules for huaweicloudsdkgaussdb).
`from huaweicloudsdkdds.v3.dds_client import DdsClient` runs both, and the client's constructor imports
`huaweicloudsdkdds.v3.model` again by name. For the four SDKs a run needs that is ~0.5 s of a cold start and
~60 MB of the function's 128 MB, for the handful of classes the run actually touches.

How: before the first class of `huaweicloudsdkX.vN` is imported, the three package levels `huaweicloudsdkX`,
`huaweicloudsdkX.vN` and `huaweicloudsdkX.vN.model` are registered in sys.modules as package modules WITHOUT
running their `__init__.py` (their `__path__` is the real directory, so `huaweicloudsdkX.vN.model.<module>`
and the client module import normally, bytecode included). Each has a module-level `__getattr__` (PEP 562)
that, on first access to a name, imports the module the SDK's own `__init__.py` imports that name from (read
from the file's `from <module> import <Name>` lines, never executed), then keeps the class on the package.
So the SDK keeps working unchanged: the client's `importlib.import_module("huaweicloudsdkX.vN.model")` gets
the light package, and the response deserializer (huaweicloudsdkcore Client.deserialize / _deserialize:
`hasattr(self.model_package, name)` / `getattr(self.model_package, name)`) finds every response and nested
model by name on first use. No SDK file is edited or copied; the classes are the SDK's own (same modules,
same identity), and a package someone already imported whole is used as it is.

How a service uses it (client, request models and anything else `huaweicloudsdkX.vN` exports):

    from ..sdk_loader import sdk_class

    RdsClient = sdk_class("huaweicloudsdkrds.v3", "RdsClient")
    ListTasksRequest = sdk_class("huaweicloudsdkrds.v3", "ListTasksRequest")

Call it where the class is needed (inside the function that builds the client or request), not at module
import time, so a run that skips a service never loads its SDK. A name the SDK does not export raises
ImportError naming the package; a name the deserializer asked for and did not find is listed by `misses()`
(tests/ship/test_sdk_loader.py runs every operation on the layer and asserts there are none).
"""

from __future__ import annotations

import importlib
import re
import sys
import threading
from collections.abc import Callable
from importlib.machinery import ModuleSpec
from importlib.util import find_spec, module_from_spec, resolve_name
from pathlib import Path
from types import ModuleType
from typing import Any

VERSION_PACKAGE = re.compile(r"(huaweicloudsdk(?!core\b)[a-z0-9_]+)\.(v\d+)")
# `from huaweicloudsdkdds.v3.model.list_tasks_request import ListTasksRequest`, one name per line, as generated
_EXPORT = re.compile(r"^from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]+(\w+)[ \t]*(?:#.*)?$", re.MULTILINE)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")

_install_lock = threading.Lock()
_misses: set[str] = set()


def sdk_class(package: str, name: str) -> Any:
    """`name` as `package` ("huaweicloudsdkX.vN") exports it, importing only its own module (and what that
    module imports). ImportError when the SDK is not installed or does not export the name."""
    module = version_package(package)
    try:
        return getattr(module, name)
    except AttributeError:
        raise ImportError(f"{package} exports no {name!r} (is the installed SDK too old or too new?)",
                          name=package) from None


def version_package(package: str) -> ModuleType:
    """`huaweicloudsdkX.vN` (with its parent and its `model` package) registered light, once; a package already
    imported (light or whole) is returned as it is."""
    match = VERSION_PACKAGE.fullmatch(package)
    if not match:
        raise ValueError(f"not an SDK version package: {package!r} (expected 'huaweicloudsdk<service>.v<N>')")
    with _install_lock:
        found = sys.modules.get(package)
        if found is not None:
            return found
        top_name = match.group(1)
        top = sys.modules.get(top_name)
        if top is None:
            spec = find_spec(top_name)  # a top-level name: located, nothing imported
            if spec is None or not spec.submodule_search_locations:
                raise ImportError(f"{top_name} is not installed", name=top_name)
            top = _register(top_name, Path(next(iter(spec.submodule_search_locations))))
        version = _register(package, Path(next(iter(top.__path__))) / match.group(2), top)
        model_dir = Path(next(iter(version.__path__))) / "model"
        if f"{package}.model" not in sys.modules and (model_dir / "__init__.py").is_file():
            _register(f"{package}.model", model_dir, version)
        return version


def misses() -> list[str]:
    """'package.Name' for every name asked of a light package that the SDK does not have (sorted)."""
    return sorted(_misses)


class _LightPackageLoader:
    """Creates the package module without executing its __init__.py; its exports are imported on first use."""

    def create_module(self, spec: ModuleSpec) -> None:
        return None  # the default module object

    def exec_module(self, module: ModuleType) -> None:
        module.__getattr__ = _exports_on_demand(module)  # type: ignore[attr-defined]
        module.__dir__ = lambda: sorted(set(module.__dict__) | set(_exports(module)))  # type: ignore[attr-defined]


_LOADER = _LightPackageLoader()


def _register(name: str, directory: Path, parent: ModuleType | None = None) -> ModuleType:
    init = directory / "__init__.py"
    if not init.is_file():
        raise ImportError(f"no package {name} at {directory}", name=name)
    spec = ModuleSpec(name, _LOADER, origin=str(init), is_package=True)
    spec.submodule_search_locations = [str(directory)]
    spec.has_location = True  # __file__ names the __init__.py this module stands in for
    module = module_from_spec(spec)
    _LOADER.exec_module(module)
    sys.modules[name] = module
    if parent is not None:
        setattr(parent, name.rpartition(".")[2], module)
    return module


def _exports(module: ModuleType) -> dict[str, str]:
    """Name -> module it comes from, as the package's own __init__.py imports it (read once, not executed)."""
    index = module.__dict__.get("_taskwatch_exports")
    if index is None:
        text = Path(module.__spec__.origin).read_text(encoding="utf-8")  # type: ignore[union-attr, arg-type]
        index = {}
        for source, name in _EXPORT.findall(text):
            if source != "__future__":
                index.setdefault(name, resolve_name(source, module.__name__) if source.startswith(".") else source)
        module.__dict__["_taskwatch_exports"] = index
    return index


def _export_source(module: ModuleType, name: str) -> str | None:
    """The module the package's own __init__.py imports `name` from: its first `from X import name` line,
    read as `_exports` reads every line, found by a plain text search (a generated __init__.py runs to 100 KB
    and a thousand lines, and a run asks each package for a handful of names before it would need them all)."""
    index = module.__dict__.get("_taskwatch_exports")
    if index is not None:
        return index.get(name)
    text = Path(module.__spec__.origin).read_text(encoding="utf-8")  # type: ignore[union-attr, arg-type]
    needle = f"import {name}"
    at = text.find(needle)
    while at >= 0:
        start = text.rfind("\n", 0, at) + 1
        end = text.find("\n", at)
        match = _EXPORT.fullmatch(text, start, len(text) if end < 0 else end)
        if match and match.group(2) == name and match.group(1) != "__future__":
            source = match.group(1)
            return resolve_name(source, module.__name__) if source.startswith(".") else source
        at = text.find(needle, at + len(needle))
    return None


def _exports_on_demand(module: ModuleType) -> Callable[[str], Any]:
    def __getattr__(name: str) -> Any:
        if name == "__all__":
            return sorted(_exports(module))
        if name.startswith("_"):
            raise AttributeError(f"module {module.__name__!r} has no attribute {name!r}")
        # The SDK's own index first; for a name it does not list, the generator's file naming
        # (ShowJobDetailResponse -> show_job_detail_response) here and in the model package, in case a
        # release writes its __init__ otherwise.
        source = _export_source(module, name)
        snake = _CAMEL.sub("_", name).lower()
        places = [source] if source else [f"{module.__name__}.{snake}", f"{module.__name__}.model.{snake}"]
        for place in places:
            try:
                value = getattr(importlib.import_module(place), name)
            except (ImportError, AttributeError):
                continue
            setattr(module, name, value)  # found once: later lookups do not come here
            return value
        _misses.add(f"{module.__name__}.{name}")
        raise AttributeError(f"module {module.__name__!r} has no attribute {name!r}")

    return __getattr__
