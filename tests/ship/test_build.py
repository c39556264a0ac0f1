"""`make package` and `make layer`: layout, pruning, reproducibility, limits, requirement markers."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from .conftest import LAYERS, REPO, load_tool, paths
from .conftest import runtimes as rt

build_layer_tool = load_tool("build_layer")
package_tool = load_tool("package_function")


def test_code_zip_is_function_at_the_root_and_reproducible(code_zip: Path, tmp_path: Path, capsys) -> None:
    again = tmp_path / "again.zip"
    assert package_tool.main(["--out", str(again)]) == 0
    assert again.read_bytes() == code_zip.read_bytes()
    printed = capsys.readouterr().out
    assert "files" in printed and "MB" in printed
    with zipfile.ZipFile(code_zip) as archive:
        infos = archive.infolist()
    names = [info.filename for info in infos]
    assert "index.py" in names and "taskwatch/schemas/config.schema.json" in names
    assert names == sorted(names)
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc") or "/tests/" in n or n.startswith(".")]
    assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}


def test_layer_zip_layout_and_pruning(build_layer) -> None:
    with zipfile.ZipFile(build_layer("Python3.10")) as archive:
        infos = archive.infolist()
    names = [info.filename for info in infos]
    assert names == sorted(names)
    assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}
    # packages at the zip root (FunctionGraph puts the root on sys.path), not under python/
    assert "yaml/__init__.py" in names and "jsonschema/__init__.py" in names and "six.py" in names
    assert not any(n.startswith(("python/", "bin/")) for n in names)
    assert any(n.startswith("rpds/") and n.endswith(".so") for n in names)  # compiled, manylinux x86_64
    assert any(n.endswith(".dist-info/METADATA") for n in names)  # importlib.metadata keeps working
    assert not any(n.endswith(".dist-info/RECORD") or "/tests/" in n or n.endswith(".pyi") for n in names)
    assert len(names) < build_layer_tool.MAX_FILES


def test_layer_rebuild_gives_the_same_bytes(build_layer) -> None:
    first = build_layer("Python3.10").read_bytes()
    result = subprocess.run([sys.executable, str(LAYERS / "build_layer.py"), "--runtime", "Python3.10", "--force"],
                            capture_output=True, text=True, cwd=REPO, timeout=600)
    assert result.returncode == 0, result.stderr
    assert (paths.LAYER_DIR / paths.layer_zip_name("Python3.10")).read_bytes() == first
    assert "bytecode cpython-310 unchecked-hash" in result.stdout
    assert "over 10 MB" in result.stdout  # and so deploy sends it through OBS


def test_limits_are_enforced(tmp_path: Path, capsys) -> None:
    report = build_layer_tool.ZipReport(tmp_path / "x.zip", 301 * 1024 * 1024, 30_001, 0, "0" * 64)
    assert build_layer_tool._report("Python3.10", report, "none") == 1
    err = capsys.readouterr().err
    assert "30000" in err and "300 MB" in err
    small = build_layer_tool.ZipReport(tmp_path / "x.zip", 1024, 10, 2048, "0" * 64)
    assert build_layer_tool._report("Python3.10", small, "none") == 0


def test_requirement_markers_are_evaluated_for_the_target_python(tmp_path: Path) -> None:
    from ship import requirements

    pins = tmp_path / "requirements.txt"
    pins.write_text('# comment\nrequests==2.34.2  # inline\ndnspython==2.9.2; python_version >= "3.11"\n'
                    'dnspython==2.8.0; python_version < "3.11"\n')
    assert requirements.resolve(pins, "3.10") == ["dnspython==2.8.0", "requests==2.34.2"]
    assert requirements.resolve(pins, "3.12") == ["dnspython==2.9.2", "requests==2.34.2"]
    pins.write_text("requests>=2\n")
    with pytest.raises(ValueError, match="pinned"):
        requirements.resolve(pins, "3.10")
    pins.write_text("six==1.17.0\nsix==1.16.0\n")
    with pytest.raises(ValueError, match="more than one pin"):
        requirements.resolve(pins, "3.10")


def test_repository_pins_resolve_for_every_supported_runtime() -> None:
    """Each runtime the template may name gets exactly one pin per package (markers where needed)."""
    from ship import requirements

    for runtime in ("Python3.10", "Python3.12"):
        pins = requirements.resolve(paths.REQUIREMENTS, rt.python_version(runtime))
        assert any(p.startswith("jsonschema==") for p in pins) and any(p.startswith("rpds-py==") for p in pins)


def test_runtimes_and_interpreters() -> None:
    assert rt.python_version("Python3.10") == "3.10" and rt.cache_tag("3.12") == "cpython-312"
    with pytest.raises(ValueError, match="unsupported runtime"):
        rt.python_version("Python2.7")
    assert rt.find_interpreter("3.99") is None
