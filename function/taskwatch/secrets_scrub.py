"""One scrubber for every output: the secrets a run knows, found in any text (and any JSON-like value) and
replaced by ***.

Why one: an error page that echoes request headers carries the AK and the security token; its text then
flows into log lines, exception messages, the summary, the state object and SMN messages. Every one of those
outputs passes through SCRUBBER, and texts are scrubbed before anything cuts them.

What is matched, for every registered secret:
- the secret itself, and any run of at least PREFIX characters from its start (a secret cut by truncation);
- at the very end of a text (optionally followed by an ellipsis), any start of at least TAIL characters;
- its URL-encoded forms (quote, quote_plus, lower-case hex), its JSON-escaped forms (escaped slash too);
- its base64 forms, standard and URL-safe, at the three byte alignments it can have inside a longer encoded
  text (only the characters that depend on the secret alone), and those URL-encoded.
Secrets shorter than PREFIX are matched whole only.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus

MASK = "***"
PREFIX = 8  # a run of this many leading characters of a secret is scrubbed wherever it appears
TAIL = 6  # ... and this many at the very end of a text (a secret cut there)
MINIMUM = 4  # shorter values are never registered: they would mask ordinary words
# Secrets remembered (a warm process sees new temporary credentials every few hours): a run may hold its own
# three and three for each agency of up to 100 targets (agencies.py), so the oldest forgotten are never this
# run's. Registering rebuilds the index (~1 ms a secret); scrubbing a line costs about the same at any count.
KEEP = 320


def _base64_cores(data: bytes) -> list[str]:
    """The part of base64(x + data + y) that depends on `data` alone, for the 3 lengths of x modulo 3."""
    cores = []
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + data).decode("ascii")
        total = shift + len(data)
        start = (0, 2, 3)[shift]
        end = total // 3 * 4 + (0, 1, 2)[total % 3]
        cores.append(encoded[start:end])
    return cores


def forms_of(secret: str) -> list[str]:
    """Every spelling of a secret the scrubber looks for (longest first)."""
    raw = secret.encode("utf-8")
    forms = {secret, quote(secret, safe=""), quote(secret), quote_plus(secret), secret.replace("/", "\\/"),
             json.dumps(secret, ensure_ascii=False)[1:-1]}
    for core in _base64_cores(raw):
        urlsafe = core.replace("+", "-").replace("/", "_")
        forms.update({core, urlsafe, quote(core, safe=""), core.replace("/", "\\/")})
    forms |= {re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), f) for f in forms if "%" in f}
    return sorted((f for f in forms if len(f) >= MINIMUM), key=len, reverse=True)


class Scrubber:
    """A registry of secrets and the function that removes them from texts. Thread-safe; registering is
    idempotent, so every place that obtains credentials may register them."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self._lock = threading.Lock()
        self._secrets: list[str] = []
        # (what to search for: PREFIX-long heads, then short whole forms; head -> the forms it starts),
        # replaced as one tuple so a text scrubbed while another thread registers sees one consistent index
        self._index: tuple[tuple[str, ...], dict[str, list[str]]] = ((), {})
        self.register(*secrets)

    @property
    def active(self) -> bool:
        return bool(self._index[0])

    def register(self, *secrets: str | None) -> None:
        """Know these values from now on (None and values shorter than MINIMUM are ignored). A value known
        already becomes the most recent again: the KEEP forgotten first are never the ones a run re-registers
        (a warm process's own credentials stay known however many agency credentials come after them)."""
        new = list(dict.fromkeys(s for s in secrets if isinstance(s, str) and len(s) >= MINIMUM))
        with self._lock:
            fresh = [s for s in new if s not in self._secrets]
            ordered = ([s for s in self._secrets if s not in new] + new)[-KEEP:]
            if ordered == self._secrets:
                return
            dropped = len(self._secrets) + len(fresh) > len(ordered)
            self._secrets = ordered
            if fresh or dropped:  # the index depends on which secrets are known, not on their order
                self._rebuild()

    def clear(self) -> None:
        with self._lock:
            self._secrets = []
            self._rebuild()

    def _rebuild(self) -> None:
        forms: dict[str, list[str]] = {}
        short: set[str] = set()
        for secret in self._secrets:
            for form in forms_of(secret):
                if len(form) >= PREFIX:
                    forms.setdefault(form[:PREFIX], []).append(form)
                else:
                    short.add(form)
        heads = sorted(forms) + sorted(short, key=len, reverse=True)
        self._index = (tuple(heads), forms)

    def __call__(self, text: object) -> str:
        """The text with every registered secret (see the module docstring) replaced by ***."""
        value = "" if text is None else text if isinstance(text, str) else str(text)
        heads, forms = self._index
        if not heads:
            return value
        starts: set[tuple[int, str]] = set()
        for head in heads:  # str.find per head: far faster than one regex alternation over many literals
            found = value.find(head)
            while found >= 0:
                starts.add((found, head))
                found = value.find(head, found + 1)
        spans: list[tuple[int, int]] = []
        for start, head in sorted(starts):
            length = len(head)
            for form in forms.get(head, ()):
                length = max(length, _common_prefix(value, start, form))
            if spans and start <= spans[-1][1]:
                spans[-1] = (spans[-1][0], max(spans[-1][1], start + length))
            else:
                spans.append((start, start + length))
        out: list[str] = []
        position = 0
        for start, end in spans:
            out += [value[position:start], MASK]
            position = end
        out.append(value[position:])
        return _cut_tail("".join(out), forms)

    def found_in(self, text: str) -> bool:
        return self(text) != text

    def data(self, value: Any) -> Any:
        """A JSON-like value (dicts, lists, strings, numbers) with every string and key scrubbed.
        Cheap when there is nothing to scrub: one pass over its JSON text decides."""
        if not self._index[0]:
            return value
        try:
            text = json.dumps(value, ensure_ascii=False, default=str)
        except (TypeError, ValueError, RecursionError):
            return self._walk(value)
        return value if not self.found_in(text) else self._walk(value)

    def _walk(self, value: Any) -> Any:
        if isinstance(value, str):
            return self(value)
        if isinstance(value, dict):
            return {self(k) if isinstance(k, str) else k: self._walk(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self._walk(v) for v in value]
        if value is None or isinstance(value, (bool, int, float)):
            return value
        return self(str(value))

    def bytes(self, data: bytes) -> bytes:
        """Raw bytes (a stored object copied aside): other bytes stay exactly as they were."""
        if not self._index[0]:
            return data
        text = data.decode("latin-1")
        scrubbed = self(text)
        if scrubbed == text:
            return data
        # Secrets are ASCII; a non-ASCII form could not be written back as latin-1: fall back to UTF-8.
        try:
            return scrubbed.encode("latin-1")
        except UnicodeEncodeError:
            return self(data.decode("utf-8", "replace")).encode("utf-8")


def _cut_tail(text: str, forms: dict[str, list[str]]) -> str:
    """A secret cut at the end of a text: its first TAIL..PREFIX-1 characters end the text."""
    body = text.rstrip()
    end = len(body) - (1 if body.endswith("…") else 3 if body.endswith("...") else 0)
    for group in forms.values():
        for form in group:
            for size in range(PREFIX - 1, TAIL - 1, -1):
                if text.endswith(form[:size], 0, end):
                    return text[: end - size] + MASK + text[end:]
    return text


def _common_prefix(text: str, start: int, form: str) -> int:
    """How many characters of `form` text holds from `start` on."""
    length = 0
    limit = min(len(form), len(text) - start)
    while length < limit and text[start + length] == form[length]:
        length += 1
    return length


SCRUBBER = Scrubber()  # the process's registry: credentials register themselves as soon as they are resolved
