"""A small HCL writer: blocks, attributes and values, formatted the way `terraform fmt` lays them out.

Why our own: the generated files must be stable text (they are committed and compared byte for byte), and
the values are few kinds (strings, numbers, booleans, lists, objects, expressions). Parsing back is done by
python-hcl2 in the tests, so what this writes is checked by an independent parser.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Expr:
    """An HCL expression written as is, e.g. `var.region` or `jsonencode({...})`."""

    text: str


@dataclass(frozen=True)
class Template:
    """A quoted string whose ${...} are meant as interpolations (a plain str has them escaped)."""

    text: str


@dataclass
class Block:
    type: str
    labels: tuple[str, ...] = ()
    body: list[tuple[str, Any] | Block | Comment] = field(default_factory=list)

    def set(self, name: str, value: Any) -> Block:
        self.body.append((name, value))
        return self

    def add(self, block: Block | Comment) -> Block:
        self.body.append(block)
        return self


@dataclass(frozen=True)
class Comment:
    text: str


_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def quoted(text: str) -> str:
    """A quoted HCL string with HCL's escapes only (\\n \\r \\t \\" \\\\ and \\uNNNN for other controls)."""
    return '"' + "".join(_ESCAPES.get(ch) or (f"\\u{ord(ch):04x}" if ord(ch) < 0x20 or ord(ch) == 0x7f else ch)
                         for ch in text) + '"'


def string(text: str) -> str:
    """A quoted HCL string literal: escapes, and ${ / %{ doubled so nothing is interpolated. Text that already
    holds $${ or %%{ is refused: its escaped form ($$${) is read differently by different HCL parsers."""
    if "$${" in text or "%%{" in text:
        raise ValueError(f"{text!r}: '$${{' or '%%{{' has no escaped form every HCL parser reads alike")
    return quoted(text).replace("${", "$${").replace("%{", "%%{")


def value(item: Any, indent: int = 0) -> str:
    pad = "  " * indent
    if isinstance(item, Expr):
        return item.text
    if isinstance(item, Template):
        return quoted(item.text)
    if isinstance(item, bool):
        return "true" if item else "false"
    if item is None:
        return "null"
    if isinstance(item, int | float):
        return json.dumps(item)
    if isinstance(item, str):
        return string(item)
    if isinstance(item, list | tuple):
        if not item:
            return "[]"
        inner = [value(element, indent + 1) for element in item]
        if all("\n" not in text for text in inner) and sum(len(text) + 2 for text in inner) < 80:
            return "[" + ", ".join(inner) + "]"
        return "[\n" + "".join(f"{pad}  {text},\n" for text in inner) + f"{pad}]"
    if isinstance(item, dict):
        if not item:
            return "{}"
        keys = [key if _IDENTIFIER.match(key) else string(key) for key in item]
        pairs = [(key, value(element, indent + 1)) for key, element in zip(keys, item.values(), strict=True)]
        return "{\n" + assignments(pairs, indent + 1) + f"{pad}}}"
    raise TypeError(f"no HCL form for {type(item).__name__}")


def assignments(pairs: list[tuple[str, str]], indent: int) -> str:
    """`name = value` lines, the equals signs aligned as terraform fmt does: over consecutive single-line
    values; a value that spans lines is not aligned and ends the group."""
    pad = "  " * indent
    lines: list[str] = []
    group: list[tuple[str, str]] = []

    def flush() -> None:
        width = max((len(name) for name, _ in group), default=0)
        lines.extend(f"{pad}{name.ljust(width)} = {text}\n" for name, text in group)
        group.clear()

    for name, text in pairs:
        if "\n" in text:
            flush()
            lines.append(f"{pad}{name} = {text}\n")
        else:
            group.append((name, text))
    flush()
    return "".join(lines)


def render(block: Block, indent: int = 0) -> str:
    pad = "  " * indent
    head = " ".join([block.type, *(string(label) for label in block.labels)])
    out = [f"{pad}{head} {{\n"]
    run: list[tuple[str, Any]] = []

    def flush() -> None:
        if run:
            out.append(assignments([(name, value(item, indent + 1)) for name, item in run], indent + 1))
            run.clear()

    previous = None
    for entry in block.body:
        if isinstance(entry, tuple):
            if not run and previous is not None and isinstance(previous, Block):
                out.append("\n")
            run.append(entry)
        else:
            flush()
            if previous is not None and not isinstance(previous, Comment):
                out.append("\n")
            out.append(f"{pad}  # {entry.text}\n" if isinstance(entry, Comment) else render(entry, indent + 1))
        previous = entry
    flush()
    out.append(f"{pad}}}\n")
    return "".join(out)


def document(header: str, blocks: list[Block]) -> str:
    lines = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())
    return lines + "".join("\n" + render(block) for block in blocks)
