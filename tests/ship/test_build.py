"""`make package` and `make layer`: layout, pruning, reproducibility, limits, requirement markers."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from ship.template import function_runtime
from ship.zipfile_det import sha256_file

from .conftest import LAYERS, REPO, interpreter_or_skip, load_tool, paths
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
    assert not [n for n in names if "/tests/" in n or n.startswith(".") or "test_" in n]
    assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}
    # bytecode for the template's runtime, one pyc per module and nothing else (no source-tree leftovers)
    tag = rt.cache_tag(rt.python_version(function_runtime(paths.TEMPLATE)))
    sources = sorted(n for n in names if n.endswith(".py"))
    pycs = sorted(n for n in names if n.endswith(".pyc"))
    assert pycs == sorted(_pyc_name(n, tag) for n in sources)
    assert f"bytecode {tag} checked-hash" in printed


def _pyc_name(source: str, tag: str) -> str:
    folder, _, name = source.rpartition("/")
    return f"{folder + '/' if folder else ''}__pycache__/{name[:-3]}.{tag}.pyc"


def test_code_zip_bytecode_is_checked_hash_and_an_edit_wins(code_zip: Path, tmp_path: Path) -> None:
    """Checked-hash pycs (flags 0b11 in the header): the runtime hashes the source and uses the pyc only while
    they match, so a module edited in place after the upload runs as edited. Seen in the runtime itself."""
    with zipfile.ZipFile(code_zip) as archive:
        archive.extractall(tmp_path / "code")
        pycs = [n for n in archive.namelist() if n.endswith(".pyc")]
        flags = {int.from_bytes(archive.read(n)[4:8], "little") for n in pycs}
    assert flags == {0b11}
    interpreter = interpreter_or_skip(function_runtime(paths.TEMPLATE))
    probe = ("import sys; sys.path.insert(0, sys.argv[1]); import taskwatch.tasks as t; "
             "print(getattr(t, 'EDITED', None))")
    run = [str(interpreter), "-v", "-I", "-S", "-B", "-c", probe, str(tmp_path / "code")]
    pyc = str(tmp_path / "code" / "taskwatch" / "__pycache__" / "tasks.") + rt.cache_tag(rt.python_version(
        function_runtime(paths.TEMPLATE))) + ".pyc"
    first = subprocess.run(run, capture_output=True, text=True, check=True)
    assert first.stdout.strip() == "None" and f"code object from '{pyc}'" in first.stderr  # the pyc ran
    with (tmp_path / "code" / "taskwatch" / "tasks.py").open("a") as source:
        source.write("\nEDITED = 'yes'\n")
    edited = subprocess.run(run, capture_output=True, text=True, check=True)
    assert edited.stdout.strip() == "yes" and f"code object from '{pyc}'" not in edited.stderr


def test_code_zip_records_the_schemas_it_checked(code_zip: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(code_zip) as archive:
        record = json.loads(archive.read("taskwatch/schemas/checked.json"))
        schemas = {n.rsplit("/", 1)[1]: archive.read(n) for n in archive.namelist()
                   if n.startswith("taskwatch/schemas/") and n.endswith(".schema.json")}
    assert record["metaschema"] == "https://json-schema.org/draft/2020-12/schema"
    assert record["sha256"] == {name: hashlib.sha256(data).hexdigest() for name, data in schemas.items()}
    assert len(schemas) >= 10


def test_an_invalid_schema_stops_the_package_build(tmp_path: Path, capsys) -> None:
    source = tmp_path / "function"
    shutil.copytree(paths.FUNCTION, source, ignore=shutil.ignore_patterns("__pycache__"))
    (source / "taskwatch" / "schemas" / "state.schema.json").write_text('{"type": "objekt"}')
    out = tmp_path / "code.zip"
    assert package_tool.main(["--source", str(source), "--out", str(out)]) == 1
    assert "state.schema.json: not a valid Draft 2020-12 schema" in capsys.readouterr().err
    assert not out.exists()


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
    first = sha256_file(build_layer("Python3.10"))
    result = subprocess.run([sys.executable, str(LAYERS / "build_layer.py"), "--runtime", "Python3.10", "--force"],
                            capture_output=True, text=True, cwd=REPO, timeout=600)
    assert result.returncode == 0, result.stderr
    assert sha256_file(paths.LAYER_DIR / paths.layer_zip_name("Python3.10")) == first
    assert f"sha256 {first}" in result.stdout
    assert "bytecode cpython-310 unchecked-hash" in result.stdout
    assert "over 10 MB" in result.stdout  # and so deploy sends it through OBS


def test_a_fresh_clone_builds_the_same_layer(build_layer, tmp_path: Path) -> None:
    """Another checkout in another directory (another machine, as far as the build can tell) gives the same
    sha256 for the same lock: the zip records no path, time, owner or umask of the build. The clone starts
    from a copy of the wheel cache only to spare the download; every wheel is checked against the lock again."""
    if subprocess.run(["git", "-C", str(REPO), "rev-parse", "--git-dir"], capture_output=True).returncode != 0:
        pytest.skip(f"{REPO} is not a git checkout")
    ours = sha256_file(build_layer("Python3.10"))
    clone = tmp_path / "elsewhere" / "taskwatch"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True, timeout=120)
    changed = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--", "layers/"],
                             capture_output=True, text=True).stdout
    cache = Path("build", "layer", "wheels", "python3.10")
    shutil.copytree(REPO / cache, clone / cache)
    result = subprocess.run([sys.executable, str(clone / "layers" / "build_layer.py"), "--runtime", "Python3.10"],
                            capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    theirs = sha256_file(clone / "build" / "layer" / paths.layer_zip_name("Python3.10"))
    assert theirs == ours, f"the clone built another layer (uncommitted changes under layers/: {changed!r})"


def test_without_the_pinned_compiler_nothing_is_built(tmp_path: Path) -> None:
    """Another release, or no interpreter at all: exit 3 with how to get the right one, and no zip, no download."""
    wanted = rt.COMPILERS["3.10"]
    for given, says in [(sys.executable, f"is CPython {platform.python_version()}"),
                        (str(tmp_path / "missing" / "python3.10"), "does not run")]:
        out = tmp_path / "out"
        result = subprocess.run([sys.executable, str(LAYERS / "build_layer.py"), "--runtime", "Python3.10",
                                 "--out", str(out)], capture_output=True, text=True, timeout=120,
                                env={**os.environ, rt.LAYER_PYTHON_VARIABLE: given})
        assert result.returncode == 3, result.stdout + result.stderr
        assert says in result.stderr and f"pyenv install {wanted}" in result.stderr
        assert rt.LAYER_PYTHON_VARIABLE in result.stderr and "Nothing was built" in result.stderr
        assert not out.exists()
    bare = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path / "home")}  # no pyenv, no python3.10 of ours
    if rt.release(Path("/usr/bin/python3.10")) == wanted:
        pytest.skip(f"/usr/bin/python3.10 is {wanted} itself")
    result = subprocess.run([sys.executable, str(LAYERS / "build_layer.py"), "--runtime", "Python3.10",
                             "--out", str(tmp_path / "bare")], capture_output=True, text=True, timeout=120, env=bare)
    assert result.returncode == 3 and f"no CPython {wanted} found" in result.stderr, result.stderr
    assert not (tmp_path / "bare").exists()


def test_limits_are_enforced(tmp_path: Path, capsys) -> None:
    report = build_layer_tool.ZipReport(tmp_path / "x.zip", 301 * 1024 * 1024, 30_001, 0, "0" * 64)
    assert build_layer_tool._report("Python3.10", report, "none") == 1
    err = capsys.readouterr().err
    assert "30000" in err and "300 MB" in err
    small = build_layer_tool.ZipReport(tmp_path / "x.zip", 1024, 10, 2048, "0" * 64)
    assert build_layer_tool._report("Python3.10", small, "none") == 0


H1, H2, H3 = "1" * 64, "2" * 64, "3" * 64


def test_requirement_markers_are_evaluated_for_the_target_python(tmp_path: Path) -> None:
    from ship import requirements

    pins = tmp_path / "requirements.txt"
    pins.write_text(f"# comment\nrequests==2.34.2 \\\n    --hash=sha256:{H1}  # inline\n"
                    f'dnspython==2.9.2; python_version >= "3.11" --hash=sha256:{H2}\n'
                    f'dnspython==2.8.0 ; python_full_version < \'3.11\' \\\n    --hash=sha256:{H3} \\\n'
                    f"    --hash=sha256:{H1}\n    # via foo\n")
    assert [p.line for p in requirements.resolve(pins, "3.10")] == ["dnspython==2.8.0", "requests==2.34.2"]
    assert [p.line for p in requirements.resolve(pins, "3.12")] == ["dnspython==2.9.2", "requests==2.34.2"]
    (old_dns, _) = requirements.resolve(pins, "3.10")
    assert old_dns.hashes == {H1, H3} and old_dns.hashed_line.endswith(f"--hash=sha256:{H3}")
    pins.write_text(f"requests>=2 --hash=sha256:{H1}\n")
    with pytest.raises(ValueError, match="pinned"):
        requirements.resolve(pins, "3.10")
    pins.write_text(f"six==1.17.0 --hash=sha256:{H1}\nsix==1.16.0 --hash=sha256:{H2}\n")
    with pytest.raises(ValueError, match="more than one pin"):
        requirements.resolve(pins, "3.10")
    pins.write_text("six==1.17.0\n")
    with pytest.raises(ValueError, match=r"no --hash for six.*make lock"):
        requirements.resolve(pins, "3.10")


def test_the_locks_hold_exactly_the_pins_with_hashes() -> None:
    """layers/requirements.txt is layers/requirements.in with hashes (`make lock` was run after every edit), for
    every runtime; requirements-dev.txt hashes every line, so `make venv` can install with --require-hashes."""
    from ship import requirements

    source = paths.LAYERS / "requirements.in"
    for runtime in ("Python3.10", "Python3.12"):
        version = rt.python_version(runtime)
        locked = requirements.resolve(paths.REQUIREMENTS, version)
        wanted = requirements.resolve(source, version, require_hashes=False)
        assert {p.key: p.version for p in locked} == {p.key: p.version for p in wanted}, runtime
        assert all(len(p.hashes) >= 1 for p in locked)
    dev = requirements.resolve(REPO / "requirements-dev.txt", "3.11")
    assert {"pytest", "ruff", "uv", "pip-audit", "jsonschema"} <= {p.key for p in dev}


def test_a_tampered_cached_wheel_never_reaches_the_layer(build_layer, tmp_path: Path, capsys) -> None:
    """A wheel in the cache whose bytes differ from every hash the lock lists is refused, and no zip is written."""
    build_layer("Python3.10")  # fills build/layer/wheels/python3.10 from the lock
    out = tmp_path / "layer"
    cache = out / "wheels" / "python3.10"
    shutil.copytree(paths.LAYER_DIR / "wheels" / "python3.10", cache)
    (victim,) = cache.glob("six-*.whl")
    with zipfile.ZipFile(victim, "a") as archive:  # still a valid wheel, with one more module in it
        archive.writestr("six_backdoor.py", "import os\n")
    assert build_layer_tool.main(["--runtime", "Python3.10", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert victim.name in err and "refused" in err and "six==1.17.0" in err
    assert not (out / paths.layer_zip_name("Python3.10")).exists()
    assert not list(out.glob("staging-*/six_backdoor.py"))


def test_a_zip_changed_after_the_build_is_not_taken_as_up_to_date(tmp_path: Path) -> None:
    stamp, zip_path = tmp_path / "x.zip.inputs.json", tmp_path / "x.zip"
    zip_path.write_bytes(b"built")
    inputs = {"runtime": "Python3.10"}
    stamp.write_text(json.dumps({**inputs, "zip_sha256": hashlib.sha256(b"built").hexdigest()}))
    assert build_layer_tool._up_to_date(stamp, inputs, zip_path)
    zip_path.write_bytes(b"replaced")
    assert not build_layer_tool._up_to_date(stamp, inputs, zip_path)


def test_runtimes_and_interpreters() -> None:
    assert rt.python_version("Python3.10") == "3.10" and rt.cache_tag("3.12") == "cpython-312"
    with pytest.raises(ValueError, match="unsupported runtime"):
        rt.python_version("Python2.7")
    assert rt.find_interpreter("3.99") is None
    assert set(rt.COMPILERS) == set(rt.RUNTIMES.values())  # every runtime has its one bytecode compiler
    assert all(release.startswith(version + ".") for version, release in rt.COMPILERS.items())
