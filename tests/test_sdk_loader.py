"""taskwatch.sdk_loader on a small SDK laid out like the generated ones, whose package-wide __init__ files fail
if they are ever executed; and its errors. (tests/ship/test_sdk_loader.py runs the real SDKs on the layer.)"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from taskwatch import sdk_loader
from taskwatch.sdk_loader import sdk_class, version_package

FAKE = "huaweicloudsdktaskwatchfake"
MODEL = '''class {name}:
    openapi_types = {{}}
'''


@pytest.fixture
def fake_sdk(tmp_path: Path) -> Iterator[Path]:
    """huaweicloudsdktaskwatchfake/v9: a client, three models; v9/__init__ imports with relative names, model/
    __init__ lists only two of the three models; both raise after their imports, as a tripwire."""
    root = tmp_path / FAKE
    model = root / "v9" / "model"
    model.mkdir(parents=True)
    (root / "__init__.py").write_text("raise RuntimeError('top-level __init__ ran')\n")
    (root / "v9" / "__init__.py").write_text(
        "from __future__ import absolute_import\n\n"
        "from .fake_client import FakeClient\n"
        f"from {FAKE}.v9.model.list_things_request import ListThingsRequest\n"
        "from .model.show_thing_response import ShowThingResponse  # relative, with a comment\n\n"
        "raise RuntimeError('package-wide import ran')\n")
    (model / "__init__.py").write_text(
        f"from {FAKE}.v9.model.list_things_request import ListThingsRequest\n"
        f"from {FAKE}.v9.model.show_thing_response import ShowThingResponse\n"
        "raise RuntimeError('package-wide model import ran')\n")
    (root / "v9" / "fake_client.py").write_text(
        f"import importlib\n\nclass FakeClient:\n    def __init__(self):\n"
        f"        self.model_package = importlib.import_module('{FAKE}.v9.model')\n")
    for module, name in [("list_things_request", "ListThingsRequest"), ("show_thing_response", "ShowThingResponse"),
                         ("show_gauss_my_sql_job_info_response", "ShowGaussMySqlJobInfoResponse")]:
        (model / f"{module}.py").write_text(MODEL.format(name=name))
    sys.path.insert(0, str(tmp_path))
    try:
        yield root
    finally:
        sys.path.remove(str(tmp_path))
        for name in [n for n in sys.modules if n.split(".")[0] == FAKE]:
            del sys.modules[name]


def test_only_the_classes_asked_for_are_imported_and_no_init_runs(fake_sdk: Path) -> None:
    client = sdk_class(f"{FAKE}.v9", "FakeClient")
    assert client.__module__ == f"{FAKE}.v9.fake_client"
    models = client().model_package  # what the SDK's deserializer looks names up on
    assert models is sys.modules[f"{FAKE}.v9.model"] and models.__path__ == [str(fake_sdk / "v9" / "model")]
    assert not [n for n in sys.modules if n.startswith(f"{FAKE}.v9.model.")]
    assert hasattr(models, "ShowThingResponse")  # the deserializer's hasattr/getattr
    assert models.ShowThingResponse.__module__ == f"{FAKE}.v9.model.show_thing_response"
    assert [n for n in sys.modules if n.startswith(f"{FAKE}.v9.model.")] == [f"{FAKE}.v9.model.show_thing_response"]
    # the same class whichever way it is reached: by the version package, the model package, or its module
    assert sdk_class(f"{FAKE}.v9", "ShowThingResponse") is models.ShowThingResponse
    from huaweicloudsdktaskwatchfake.v9.model.list_things_request import ListThingsRequest

    assert sdk_class(f"{FAKE}.v9", "ListThingsRequest") is ListThingsRequest
    assert sys.modules[FAKE].__file__ == str(fake_sdk / "__init__.py")
    assert {"FakeClient", "ListThingsRequest", "ShowThingResponse"} <= set(dir(sys.modules[f"{FAKE}.v9"]))
    assert sorted(models.__all__) == ["ListThingsRequest", "ShowThingResponse"]


def test_a_name_the_index_does_not_list_is_found_by_the_generators_file_naming(fake_sdk: Path) -> None:
    found = sdk_class(f"{FAKE}.v9", "ShowGaussMySqlJobInfoResponse")  # not in either __init__
    assert found.__module__ == f"{FAKE}.v9.model.show_gauss_my_sql_job_info_response"
    assert version_package(f"{FAKE}.v9").model.ShowGaussMySqlJobInfoResponse is found


def test_a_missing_name_is_an_import_error_and_a_miss(fake_sdk: Path) -> None:
    with pytest.raises(ImportError, match=rf"{FAKE}\.v9 exports no 'NoSuchThing'"):
        sdk_class(f"{FAKE}.v9", "NoSuchThing")
    models = version_package(f"{FAKE}.v9").model
    assert not hasattr(models, "AlsoMissing")  # AttributeError, as the deserializer expects of a lookup
    assert {f"{FAKE}.v9.NoSuchThing", f"{FAKE}.v9.model.AlsoMissing"} <= set(sdk_loader.misses())
    assert not hasattr(models, "__wrapped__")  # dunder probes are not SDK names and are not misses
    assert not [m for m in sdk_loader.misses() if "__" in m]


def test_bad_package_names_and_missing_sdks() -> None:
    for wrong in ("huaweicloudsdkcore.v3", "requests.v1", "huaweicloudsdkdds", "huaweicloudsdkdds.v3.model"):
        with pytest.raises(ValueError, match=re.escape("huaweicloudsdk<service>.v<N>")):
            sdk_class(wrong, "X")
    with pytest.raises(ImportError, match="huaweicloudsdknotinstalledanywhere is not installed"):
        sdk_class("huaweicloudsdknotinstalledanywhere.v3", "Client")


@pytest.mark.parametrize("package", ["huaweicloudsdksmn.v2", "huaweicloudsdkdds.v3"])
def test_the_name_search_finds_what_the_whole_index_lists(package: str) -> None:
    """A name's source is found by searching its import line; it must be the module the full index (every
    `from X import Name` line, first one kept) gives, for every name of a real generated __init__.py."""
    import types

    for light in (version_package(package), version_package(package).model):
        whole, searched = types.ModuleType(light.__name__), types.ModuleType(light.__name__)
        whole.__spec__ = searched.__spec__ = light.__spec__  # stand-ins: neither has an index yet
        index = sdk_loader._exports(whole)
        assert len(index) > 100
        assert {name: sdk_loader._export_source(searched, name) for name in index} == index
        assert sdk_loader._export_source(searched, "NoSuchThing") is None
        assert "_taskwatch_exports" not in searched.__dict__  # nothing indexed on the way
