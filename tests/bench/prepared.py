"""What the scenarios that run the function need, prepared once per bench run: the layer (with and without
its bytecode), the function code, an interpreter of the layer's runtime, and a scratch directory."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from . import common
from .common import Layer


@dataclass
class Prepared:
    layer: Layer
    layer_dir: Path  # the layer zip unpacked, bytecode as built
    nopyc_dir: Path  # the same without any __pycache__ (the naive baseline)
    code_dir: Path  # the function code zip unpacked (or function/ copied)
    code_zip: Path | None
    work: Path  # scratch: state files, child logs
    quick: bool = False

    def cleanup(self) -> None:
        shutil.rmtree(self.work, ignore_errors=True)


def prepare(layer_zip: Path | None, quick: bool) -> Prepared:
    layer = common.find_layer(layer_zip)
    common.log(f"layer {layer.zip.relative_to(common.REPO) if layer.zip.is_relative_to(common.REPO) else layer.zip}"
               f" ({layer.runtime}), interpreter {layer.interpreter}")
    if layer.note:
        common.log(layer.note)
    common.OUT.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="taskwatch-bench-"))
    layer_dir = common.unpack(layer.zip, work / "layer")
    nopyc_dir = common.without_bytecode(layer_dir, work / "layer-nopyc")
    built = common.code_zip(common.OUT / "taskwatch-code.zip")
    code_dir = common.unpack(built, work / "code") if built else common.copy_code(work / "code")
    return Prepared(layer, layer_dir, nopyc_dir, code_dir, built, work, quick)
