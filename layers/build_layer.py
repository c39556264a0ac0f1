"""`make layer`: build/layer/taskwatch-deps-<runtime>.zip, the FunctionGraph dependency for template.yaml's runtime.

    python layers/build_layer.py [--runtime Python3.12] [--requirements FILE] [--out DIR] [--force]

Steps: resolve the lock layers/requirements.txt for the target Python (markers evaluated for it, every line
pinned and hashed); download the manylinux2014_x86_64 cp3X wheels into a cache under build/ with pip in
--require-hashes mode (skipped when the pins did not change); check EVERY wheel in the cache against the lock's
sha256 digests (a cached wheel is never trusted because it is there); install them with pip --target
(--require-hashes again) into a staging directory; prune what the runtime does not need; precompile bytecode
with CPython of exactly the release pinned for the runtime (ship/runtimes.py COMPILERS); write a reproducible
zip; check FunctionGraph's limits. An unchanged build is skipped only when the zip still has the sha256 the
last build recorded.

One layer per lock, whatever the machine: without that release (`pyenv install 3.10.13`, or
TASKWATCH_LAYER_PYTHON=/path/to/python3.10) the build stops before doing anything (exit 3) and says so. It
never falls back to another interpreter or to a layer without bytecode: two machines would then deploy two
different dependency versions for the same lock, and the function would flip between them.

Layout: the packages sit at the zip ROOT (yaml/, jsonschema/, ... and their *.dist-info). Huawei's "How Do
I Create Function Dependencies?" (FunctionGraph FAQ, functiongraph_03_0343) builds a Python dependency by
installing with pip, going into the site-packages directory and running `zip -rq pkg.zip *` there: the
contents of site-packages, no python/ folder. FunctionGraph puts that root on the function's sys.path.

Bytecode: FunctionGraph mounts the code and the dependencies read-only, so a .pyc the runtime rejects is
recompiled in memory on EVERY cold start and never saved. Timestamp pycs compare the source's mtime and
size with what the pyc recorded; after the zip is extracted at deploy time the mtimes are whatever the
extraction sets, so they would be rejected. checked-hash pycs stay valid but make every import read and
hash its source. unchecked-hash pycs are trusted as they are: right for an immutable layer whose sources
never change without a new dependency version (the pyc and its source ship together, content-addressed by
the zip's hash). Hash-based pycs also carry no timestamp, which keeps the zip reproducible. Two more things
do: PYTHONHASHSEED is fixed (frozenset constants are marshalled in hash order) and ship/compile_tree.py
compiles in ONE process, one file after another from the same process state: marshal flags a string as
shared when its reference count is above one, which depends on what else the compiling process holds
(parallel workers, or garbage left by earlier files, give different bytes from run to run and from one
checkout directory to another).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ship import paths, requirements, runtimes
from ship.template import TemplateError, function_runtime
from ship.zipfile_det import MB, ZipReport, sha256_file, tree_entries, write_zip

MAX_FILES = 30_000  # FunctionGraph: files in one dependency
MAX_BYTES = 300 * MB  # FunctionGraph: a dependency uploaded through OBS
DIRECT_BYTES = 10 * MB  # above this the zip must go through OBS
COMPILE_TREE = paths.LAYERS / "ship" / "compile_tree.py"  # run by the runtime's interpreter
COMPILER_MISSING = 3  # exit status: no interpreter of the pinned release (the message says how to get one)
DIST_INFO_DROP = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}  # METADATA stays (importlib.metadata)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runtime", help="FunctionGraph runtime (default: template.yaml's Runtime)")
    parser.add_argument("--template", type=Path, default=paths.TEMPLATE)
    parser.add_argument("--requirements", type=Path, default=paths.REQUIREMENTS)
    parser.add_argument("--out", type=Path, default=paths.LAYER_DIR, help="output directory (default build/layer)")
    parser.add_argument("--force", action="store_true", help="rebuild even when the inputs did not change")
    args = parser.parse_args(argv)
    try:
        runtime = args.runtime or function_runtime(args.template)
        version = runtimes.python_version(runtime)
        pins = requirements.resolve(args.requirements, version)
    except (TemplateError, ValueError, OSError) as exc:
        print(f"layer: {exc}", file=sys.stderr)
        return 2
    return build(runtime, version, pins, args.out, args.force)


def build(runtime: str, version: str, pins: list[requirements.Pin], out: Path, force: bool = False) -> int:
    tag = runtime.lower()
    destination = out / paths.layer_zip_name(runtime)
    try:
        interpreter = runtimes.layer_compiler(version)
    except runtimes.CompilerMissing as exc:
        print(f"layer: {exc}", file=sys.stderr)
        return COMPILER_MISSING
    inputs = _inputs(runtime, pins, interpreter)
    stamp = destination.with_name(destination.name + ".inputs.json")
    if not force and destination.is_file() and _up_to_date(stamp, inputs, destination):
        print(f"layer {runtime}: up to date (inputs unchanged; --force rebuilds)")
        return _report(runtime, ZipReport(destination, destination.stat().st_size, *_count(destination),
                                          sha256_file(destination)), inputs["bytecode"])
    wheels = out / "wheels" / tag
    if not _download(pins, version, wheels):
        return 1
    try:
        requirements.check_wheels(wheels.glob("*.whl"), pins)
    except requirements.WheelCheckError as exc:
        print(f"layer: {exc}\nlayer: nothing was built; remove {wheels} to download the wheels again",
              file=sys.stderr)
        return 1
    staging = out / f"staging-{tag}"
    shutil.rmtree(staging, ignore_errors=True)
    if not _pip(["install", "--no-index", "--find-links", str(wheels), "--target", str(staging), "--no-compile",
                 "--require-hashes", *_platform_args(version), "-r", str(wheels / "requirements.txt")]):
        return 1
    _prune(staging)
    if not _compile(interpreter, staging):
        return 1
    report = write_zip(destination, tree_entries(staging))
    shutil.rmtree(staging, ignore_errors=True)
    stamp.write_text(json.dumps({**inputs, "zip_sha256": report.sha256}, indent=1, sort_keys=True) + "\n")
    return _report(runtime, report, inputs["bytecode"])


def _up_to_date(stamp: Path, inputs: dict[str, object], destination: Path) -> bool:
    """Same inputs as the last build, and the zip is still the one that build wrote (not replaced since)."""
    if not stamp.is_file():
        return False
    try:
        recorded = json.loads(stamp.read_text())
    except ValueError:
        return False
    return recorded.pop("zip_sha256", None) == sha256_file(destination) and recorded == inputs


def _inputs(runtime: str, pins: list[requirements.Pin], interpreter: Path) -> dict[str, object]:
    """Everything the zip's bytes depend on; an unchanged set means the existing zip is still right."""
    from pip import __version__ as pip_version

    tools = [Path(__file__), paths.LAYERS / "ship" / "zipfile_det.py", COMPILE_TREE]
    return {
        "runtime": runtime,
        "pins": [pin.hashed_line for pin in pins],
        "platform": requirements.PLATFORM,
        "bytecode": f"{runtimes.cache_tag(runtimes.python_version(runtime))} unchecked-hash",
        "compiler": runtimes.full_version(interpreter),
        "pip": pip_version,
        "tools": {tool.name: sha256_file(tool) for tool in tools},
    }


def _platform_args(version: str) -> list[str]:
    return ["--platform", requirements.PLATFORM, "--implementation", "cp", "--python-version", version,
            "--only-binary=:all:"]


def _pip(arguments: list[str]) -> bool:
    command = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input", *arguments]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        noise = "is ignored: it is neither a file nor a directory"
        lines = [line for line in (result.stdout + result.stderr).splitlines() if noise not in line]
        print("\n".join(lines[-25:]), file=sys.stderr)
        print(f"layer: pip {arguments[0]} failed (exit {result.returncode})", file=sys.stderr)
    return result.returncode == 0


def _download(pins: list[requirements.Pin], version: str, wheels: Path) -> bool:
    """Fill the wheel cache (pip checks each download against the lock's hashes); nothing is fetched when the
    cache was filled for exactly these pins. The caller checks the cached wheels themselves."""
    wanted = "\n".join(pin.hashed_line for pin in pins) + "\n"
    listing = wheels / "requirements.txt"
    if listing.is_file() and listing.read_text() == wanted and any(wheels.glob("*.whl")):
        return True
    shutil.rmtree(wheels, ignore_errors=True)
    wheels.mkdir(parents=True)
    (wheels / "pins.tmp").write_text(wanted)
    if not _pip(["download", "--dest", str(wheels), "--require-hashes", *_platform_args(version),
                 "-r", str(wheels / "pins.tmp")]):
        print(f"layer: a pinned release may not exist for Python {version} on x86_64 Linux; pin another release "
              f"for it with a marker in layers/requirements.in, e.g. 'name==X; python_version < \"3.11\"', then "
              "run `make lock`", file=sys.stderr)
        shutil.rmtree(wheels, ignore_errors=True)
        return False
    pinned = {pin.key for pin in pins}
    fetched = {requirements.canonical(w.name.split("-")[0]) for w in wheels.glob("*.whl")}
    if fetched - pinned:
        print(f"layer: unpinned dependencies pulled in: {', '.join(sorted(fetched - pinned))}; pin them in "
              "layers/requirements.in and run `make lock`", file=sys.stderr)
        shutil.rmtree(wheels, ignore_errors=True)
        return False
    (wheels / "pins.tmp").rename(listing)
    return True


def _prune(root: Path) -> None:
    """Drop what the runtime never reads: console scripts, test suites, stubs, bytecode, install records."""
    shutil.rmtree(root / "bin", ignore_errors=True)
    for directory in sorted(root.rglob("*"), reverse=True):
        if directory.is_dir() and (directory.name == "__pycache__" or
                                   (directory.name == "tests" and directory.parent != root)):
            shutil.rmtree(directory)
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        in_dist_info = path.parent.name.endswith(".dist-info")
        if path.suffix in {".pyc", ".pyo", ".pyi"} or (in_dist_info and path.name in DIST_INFO_DROP):
            path.unlink()


def _compile(interpreter: Path, root: Path) -> bool:
    # -S -s: neither site nor user site (nothing of the compiler's own installation in the process); PYTHON*
    # variables cleared but a fixed hash seed. ship/compile_tree.py says why not `-m compileall`.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONHASHSEED"] = "0"
    command = [str(interpreter), "-S", "-s", str(COMPILE_TREE), str(root)]
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=root)
    if result.returncode != 0:
        print((result.stdout + result.stderr)[-4000:], file=sys.stderr)
        print(f"layer: compiling the bytecode with {interpreter} failed", file=sys.stderr)
        return False
    return True


def _count(path: Path) -> tuple[int, int]:
    import zipfile

    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
    return len(infos), sum(info.file_size for info in infos)


def _report(runtime: str, report: ZipReport, bytecode: str) -> int:
    print(f"layer {runtime}: {report.describe()}")
    print(f"layer {runtime}: bytecode {bytecode}")
    status = 0
    if report.files > MAX_FILES:
        print(f"layer: ERROR {report.files} files, over FunctionGraph's limit of {MAX_FILES}", file=sys.stderr)
        status = 1
    if report.size > MAX_BYTES:
        print(f"layer: ERROR {report.size / MB:.1f} MB, over FunctionGraph's limit of {MAX_BYTES // MB} MB",
              file=sys.stderr)
        status = 1
    if report.size > DIRECT_BYTES:
        print(f"layer {runtime}: over {DIRECT_BYTES // MB} MB, so deploy uploads it through the state bucket (OBS) "
              "and creates the dependency version from its URL")
    return status


if __name__ == "__main__":
    sys.exit(main())
