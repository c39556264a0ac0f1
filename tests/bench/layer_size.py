"""Scenario 6, sizes: the layer zip and the code zip (bytes, files, unzipped bytes, the largest packages).

Reported, no budget of its own beyond FunctionGraph's limits (a dependency: 30,000 files, 300 MB through OBS;
a code zip through the API: 50 MB), which layers/build_layer.py and layers/package_function.py enforce.
"""

from __future__ import annotations

import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

from .common import MB, Check, Outcome
from .prepared import Prepared


def describe(path: Path) -> dict[str, Any]:
    with zipfile.ZipFile(path) as archive:
        infos = [i for i in archive.infolist() if not i.is_dir()]
    tops: Counter[str] = Counter()
    for info in infos:
        top = info.filename.split("/", 1)[0]
        if top.endswith(".dist-info"):
            top = "(dist-info)"
        tops[top] += info.file_size
    return {"zip_bytes": path.stat().st_size, "files": len(infos), "unzipped_bytes": sum(i.file_size for i in infos),
            "py": sum(1 for i in infos if i.filename.endswith(".py")),
            "pyc": sum(1 for i in infos if i.filename.endswith(".pyc")),
            "largest": [(name, size) for name, size in tops.most_common(6)]}


def measure(prep: Prepared) -> Outcome:
    out = Outcome("sizes", "Sizes: the layer zip and the code zip")
    layer = describe(prep.layer.zip)
    out.data["layer"] = {"path": str(prep.layer.zip), "runtime": prep.layer.runtime, **layer}
    out.rows.append((f"layer {prep.layer.zip.name}",
                     f"{layer['zip_bytes'] / MB:.1f} MB zip, {layer['files']:,} files ({layer['py']:,} .py, "
                     f"{layer['pyc']:,} .pyc), {layer['unzipped_bytes'] / MB:.1f} MB unzipped"))
    out.rows.append(("  largest in the layer (unzipped)",
                     ", ".join(f"{name} {size / MB:.1f} MB" for name, size in layer["largest"])))
    out.checks.append(Check("sizes: layer files (FunctionGraph limit)", layer["files"], 30_000, "<=", "files"))
    if prep.code_zip is not None:
        code = describe(prep.code_zip)
        out.data["code"] = {"path": str(prep.code_zip), **code}
        out.rows.append(("code taskwatch-code.zip", f"{code['zip_bytes'] / 1024:.0f} KB zip, {code['files']} files, "
                                                    f"{code['unzipped_bytes'] / 1024:.0f} KB unzipped"))
    else:
        out.notes.append("the code zip could not be built (layers/package_function.py); function/ was copied")
    return out
