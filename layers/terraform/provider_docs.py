"""Record the huaweicloud provider's documented arguments (provider-arguments.json) from its own docs pages.

Why: Terraform cannot run in CI, so the generated .tf files are checked against the arguments the provider
documents (tests/terraform). This reads docs/resources/<name>.md (and docs/index.md for the provider block)
from a git checkout of huaweicloud/terraform-provider-huaweicloud at a release tag; the tag, its commit and
each page's path are written next to the arguments, so anyone can re-read the same pages.

    python layers/terraform/provider_docs.py --repo <checkout> --ref v1.97.1

A page's "Argument Reference" lists `* \\`name\\` - (Required|Optional, Type ...)`; nested blocks follow as
"The `name` block supports:" sections, tied to their argument by an anchor link or by name. "Attribute
Reference" gives what can be read back besides the arguments.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RESOURCES = ("fgs_function", "fgs_dependency_version", "fgs_function_trigger", "identity_agency", "identity_role",
             "smn_topic", "obs_bucket", "obs_bucket_object", "ces_alarmrule",
             "fgs_async_invoke_configuration")
OUTPUT = Path(__file__).resolve().parent / "provider-arguments.json"
_ARGUMENT = re.compile(r"^\* `([\w-]+)` - \((Required|Optional)(?:, ([^,)]+))?")
_SECTION = re.compile(r"^[Tt]he ((?:`[\w-]+`(?:,? and (?:the )?|, )?)+) ?(?:block|object|structure)s?"
                      r"(?: supports?| is documented)")
_SECTION_LIKE = re.compile(r"^[Tt]he `.*\bsupports?\b")
_ANCHOR = re.compile(r'^<a name="([^"]+)"></a>')
_LINK = re.compile(r"\]\(#([^)]+)\)")


@dataclass
class Section:
    names: tuple[str, ...]  # "The `on_success` and the `on_failure` blocks support:" names two
    anchor: str | None
    arguments: dict[str, dict[str, Any]] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)  # argument -> anchor it links to


def between(text: str, start: str, stops: tuple[str, ...]) -> list[str]:
    """The lines after the heading `start` up to the next heading in `stops`."""
    lines = text.splitlines()
    try:
        first = next(i for i, line in enumerate(lines) if line.strip() == start) + 1
    except StopIteration:
        raise SystemExit(f"no {start!r} heading") from None
    end = next((i for i in range(first, len(lines)) if lines[i].strip() in stops), len(lines))
    return lines[first:end]


def sections(lines: list[str]) -> list[Section]:
    """The top-level argument list (name "") and every "The `x` block supports:" section after it."""
    found = [Section(("",), None)]
    anchor = None
    current: str | None = None
    for line in lines:
        if match := _ANCHOR.match(line):
            anchor = match.group(1)
            continue
        if match := _SECTION.match(line):
            found.append(Section(tuple(re.findall(r"`([\w-]+)`", match.group(1))), anchor))
            anchor, current = None, None
            continue
        if _SECTION_LIKE.match(line):
            raise SystemExit(f"a block heading this reader does not know: {line!r}")
        if match := _ARGUMENT.match(line):
            name, kind, kind_type = match.groups()
            found[-1].arguments[name] = {"required": kind == "Required", "type": (kind_type or "").strip()}
            current = name
        elif line.strip() and not line.startswith((" ", "\t")) and not line.startswith("*"):
            current = None  # a paragraph of its own ends the argument's text
        if current and (link := _LINK.search(line)):
            found[-1].links.setdefault(current, link.group(1))
        if line.strip():
            anchor = None if not _ANCHOR.match(line) else anchor
    return found


def tree(found: list[Section]) -> dict[str, Any]:
    """Nest the sections under the arguments that name them (anchor link first, then the same name)."""
    by_anchor = {s.anchor: s for s in found[1:] if s.anchor}
    by_name: dict[str, Section] = {}
    for section in found[1:]:
        for name in section.names:
            by_name.setdefault(name, section)

    def build(section: Section, seen: frozenset[str]) -> dict[str, Any]:
        arguments, blocks = {}, {}
        for name, spec in section.arguments.items():
            nested = by_anchor.get(section.links.get(name, "")) or by_name.get(name)
            if nested is not None and name in nested.names and name not in seen and \
                    spec["type"].lower() in {"list", "set", "map", ""}:
                blocks[name] = {"required": spec["required"], **build(nested, seen | {name})}
            else:
                arguments[name] = spec
        return {"arguments": arguments, "blocks": blocks}

    return build(found[0], frozenset())


def attributes(lines: list[str]) -> list[str]:
    """The top-level exported attributes (the bullets before any nested-structure section)."""
    names = []
    for line in lines:
        if _SECTION.match(line) or _ANCHOR.match(line):
            break
        if match := re.match(r"^\* `([\w-]+)`", line):
            names.append(match.group(1))
    return names


def read(repo: Path, ref: str, path: str) -> str:
    return subprocess.run(["git", "-C", str(repo), "show", f"{ref}:{path}"], check=True, capture_output=True,
                          text=True).stdout


def record(repo: Path, ref: str) -> dict[str, Any]:
    commit = subprocess.run(["git", "-C", str(repo), "rev-parse", f"{ref}^{{commit}}"], check=True,
                            capture_output=True, text=True).stdout.strip()
    index = read(repo, ref, "docs/index.md")
    provider = tree(sections(between(index, "## Configuration Reference", ("## Testing and Development",))))
    resources = {}
    for name in RESOURCES:
        path = f"docs/resources/{name}.md"
        text = read(repo, ref, path)
        stops = ("## Attribute Reference", "## Attributes Reference")
        body = tree(sections(between(text, "## Argument Reference", stops)))
        start = next(stop for stop in stops if stop in text)
        exported = attributes(between(text, start, ("## Timeouts", "## Import")))
        resources[f"huaweicloud_{name}"] = {"source": path, **body, "attributes": exported}
    return {
        "provider": {"source": "huaweicloud/huaweicloud", "version": ref.lstrip("v"),
                     "repository": "huaweicloud/terraform-provider-huaweicloud", "ref": ref, "commit": commit},
        "provider_config": {"source": "docs/index.md", **provider},
        "resources": resources,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", type=Path, required=True, help="a git checkout of the provider")
    parser.add_argument("--ref", required=True, help="a release tag, e.g. v1.97.1")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    args.output.write_text(json.dumps(record(args.repo, args.ref), indent=1, sort_keys=True) + "\n",
                           encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
