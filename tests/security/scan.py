"""The secret scan shared by the no-secret tests: it looks for any 10-character piece of the AK, SK or token in
every output of consecutive runs, as is, percent-decoded and base64-decoded at any offset (it does not reuse
the scrubber it checks)."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote, unquote_plus

import pytest
from index import handler
from taskwatch.errors import RunFailed

from tests.emulator import CloudEmulator
from tests.faults.observe import RunOutput, capture_logs
from tests.fixtures import AK, SK, TOKEN, FakeContext, timer_event

SECRETS = {"AK": AK, "SK": SK, "security token": TOKEN}
PIECE = 10  # any run of this many characters of a secret is a leak


def _pieces() -> dict[str, str]:
    pieces = {}
    for name, secret in SECRETS.items():
        for start in range(0, len(secret) - PIECE + 1):
            piece = secret[start:start + PIECE]
            if len(set(piece)) >= 4:  # "0000000000" is no evidence of anything
                pieces[piece] = f"{name}[{start}:{start + PIECE}]"
    return pieces


_BASE64_RUN = re.compile(r"[A-Za-z0-9+/_\-]{12,}")


def _decodings(text: str) -> Iterator[tuple[str, str]]:
    yield "as is", text
    yield "percent-decoded", unquote(text)
    yield "form-decoded", unquote_plus(text)
    yield "JSON slashes", text.replace("\\/", "/")
    for run in _BASE64_RUN.findall(text):
        for alphabet in (run, run.replace("-", "+").replace("_", "/")):
            for skip in range(4):
                chunk = alphabet[skip:]
                chunk = chunk[: len(chunk) // 4 * 4]
                try:
                    decoded = base64.b64decode(chunk, validate=True).decode("latin-1")
                except (binascii.Error, ValueError):
                    continue
                yield "base64-decoded", decoded


def leaks(outputs: dict[str, str]) -> list[str]:
    pieces = _pieces()
    found = []
    for where, text in outputs.items():
        for how, decoded in _decodings(text):
            for piece, name in pieces.items():
                if piece in decoded:
                    found.append(f"{name} in {where} ({how})")
                    break
    return sorted(set(found))


def agency() -> FakeContext:
    return FakeContext(ak=AK, sk=SK, token=TOKEN)


class Runs:
    """The outputs of consecutive runs: logs, summaries, and the OBS objects as each run left them."""

    def __init__(self, cloud: CloudEmulator) -> None:
        self.cloud = cloud
        self.outputs: list[RunOutput] = []
        self.summaries: list[dict[str, Any]] = []
        self.objects: list[dict[tuple[str, str], bytes]] = []
        self.raised: list[str] = []

    def run(self) -> dict[str, Any]:
        with capture_logs() as output:
            try:
                summary = handler(timer_event(), agency())
            except RunFailed as failed:  # what FunctionGraph shows for a failed invocation: scanned too
                summary = failed.summary
                self.raised.append(f"{type(failed).__name__}: {failed}")
        self.outputs.append(output)
        self.summaries.append(summary)
        self.objects.append(dict(self.cloud.obs_objects))
        return summary


def everything(runs: Runs, capfd: pytest.CaptureFixture[str]) -> dict[str, str]:
    cloud = runs.cloud
    captured = capfd.readouterr()
    texts = {"stdout": captured.out, "stderr": captured.err}
    for number, (output, summary, objects) in enumerate(zip(runs.outputs, runs.summaries, runs.objects,
                                                            strict=True), 1):
        texts[f"run {number} function log"] = output.function_text
        texts[f"run {number} other loggers"] = "\n".join(output.others.lines)
        texts[f"run {number} summary"] = json.dumps(summary, ensure_ascii=False)
        for (bucket, key), data in objects.items():
            texts[f"run {number} OBS object {bucket}/{key}"] = data.decode("utf-8", "replace")
    for number, text in enumerate(runs.raised, 1):
        texts[f"raised #{number}"] = text
    for index, message in enumerate(cloud.smn_messages):
        body = message["body"]
        texts[f"SMN #{index} subject"] = str(body.get("subject"))
        texts[f"SMN #{index} body"] = json.dumps(body, ensure_ascii=False)
        structure = json.loads(body["message_structure"])
        for protocol, text in structure.items():
            texts[f"SMN #{index} {protocol}"] = text
    return texts
