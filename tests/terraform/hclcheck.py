"""Checks of Terraform files without Terraform: parse with python-hcl2, then compare with the provider's
documented arguments (layers/terraform/provider-arguments.json) and resolve every reference.

python-hcl2 (8.x) returns blocks as dicts marked `__is_block__`, labels and string literals still quoted
('"x"'), and expressions as '${...}'. The few Terraform-language rules used here (meta-arguments, what a
variable/output/terraform block takes) come from Terraform's own language documentation, not the provider.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import hcl2

TOP_LEVEL = {"terraform", "provider", "variable", "locals", "resource", "output"}
META_ARGUMENTS = {"count", "for_each", "depends_on", "provider"}
META_BLOCKS = {"lifecycle"}
LANGUAGE = {  # Terraform language blocks: arguments and nested blocks they take
    "variable": ({"type", "description", "default", "sensitive", "nullable"}, {"validation"}),
    "validation": ({"condition", "error_message"}, set()),
    "output": ({"value", "description", "sensitive", "depends_on"}, set()),
    "terraform": ({"required_version"}, {"required_providers"}),
    "required_providers": ({"huaweicloud"}, set()),  # the one provider recorded
}
_INTERPOLATION = re.compile(r"(?<!\$)\$\{")
_RESOURCE_REF = re.compile(r"\b(huaweicloud_[a-z0-9_]+)\.([A-Za-z_][\w-]*)(\[[^\]]*\])?(?:\.([A-Za-z_]\w*))?")
_NAMED_REF = re.compile(r"(?<![\w.])(var|local|each|count|path|data|module|self)\.([A-Za-z_][\w-]*)")


def parse_folder(folder: Path) -> dict[str, dict[str, Any]]:
    return {path.name: parse_text(path.read_text(encoding="utf-8")) for path in sorted(folder.glob("*.tf"))}


@functools.lru_cache(maxsize=64)
def parse_text(text: str) -> dict[str, Any]:
    """Parsed once per text (python-hcl2 takes a while); callers never modify the result."""
    return hcl2.loads(text)


def unquote(text: str) -> str:
    """A label or key as written ('"name"' -> name)."""
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text


def body(item: Mapping[str, Any]) -> dict[str, Any]:
    return {unquote(k): v for k, v in item.items() if not k.startswith("__")}


def is_block_list(item: Any) -> bool:
    return isinstance(item, list) and bool(item) and all(isinstance(x, dict) and x.get("__is_block__") for x in item)


def blocks(files: Mapping[str, dict[str, Any]], kind: str) -> Iterator[tuple[list[str], dict[str, Any]]]:
    """(labels, body) of every top-level block of this kind in all files."""
    for parsed in files.values():
        for entry in parsed.get(kind, []):
            yield from _labelled(entry, [])


def _labelled(entry: dict[str, Any], labels: list[str]) -> Iterator[tuple[list[str], dict[str, Any]]]:
    if entry.get("__is_block__") or not any(k.startswith('"') for k in entry):
        yield labels, body(entry)
        return
    for key, inner in entry.items():
        if not key.startswith("__"):
            yield from _labelled(inner, [*labels, unquote(key)])


def resources(files: Mapping[str, dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(labels[0], labels[1]): content for labels, content in blocks(files, "resource")}


# ---- the provider's documented arguments --------------------------------------------------------------------
def check_arguments(files: Mapping[str, dict[str, Any]], record: Mapping[str, Any]) -> list[str]:
    """Every resource type, argument and nested block documented; every required one present."""
    problems = []
    for parsed_name, parsed in files.items():
        unknown = sorted(k for k in parsed if not k.startswith("__") and k not in TOP_LEVEL)
        problems += [f"{parsed_name}: top-level block {k!r} is not one of {sorted(TOP_LEVEL)}" for k in unknown]
    for (kind, name), content in resources(files).items():
        spec = record["resources"].get(kind)
        if spec is None:
            problems.append(f"resource {kind}.{name}: type not in provider-arguments.json")
            continue
        problems += _check_body(f"{kind}.{name}", content, spec, top=True)
    for labels, content in blocks(files, "provider"):
        if labels != ["huaweicloud"]:
            problems.append(f"provider {labels}: only huaweicloud is recorded")
            continue
        problems += _check_body("provider huaweicloud", content, record["provider_config"], top=False)
    for kind in ("variable", "output", "terraform"):
        for labels, content in blocks(files, kind):
            problems += _check_language(" ".join([kind, *labels]), kind, content)
    return problems


def _check_body(where: str, content: dict[str, Any], spec: Mapping[str, Any], top: bool) -> list[str]:
    problems = []
    for key, item in content.items():
        if top and key in META_ARGUMENTS | META_BLOCKS:
            continue
        if is_block_list(item):
            if key not in spec["blocks"]:
                problems.append(f"{where}: block {key!r} is not documented")
                continue
            for index, nested in enumerate(item):
                problems += _check_body(f"{where}.{key}[{index}]", body(nested), spec["blocks"][key], top=False)
        elif key not in spec["arguments"]:
            hint = " (documented as a block)" if key in spec["blocks"] else ""
            problems.append(f"{where}: argument {key!r} is not documented{hint}")
    for key, argument in spec["arguments"].items():
        if argument["required"] and key not in content:
            problems.append(f"{where}: required argument {key!r} is missing")
    for key, nested in spec["blocks"].items():
        if nested["required"] and key not in content:
            problems.append(f"{where}: required block {key!r} is missing")
    return problems


def _check_language(where: str, kind: str, content: dict[str, Any]) -> list[str]:
    arguments, nested_blocks = LANGUAGE[kind]
    problems = []
    for key, item in content.items():
        if is_block_list(item) and key in nested_blocks:
            for nested in item:
                problems += _check_language(f"{where}.{key}", key, body(nested))
        elif key not in arguments and key not in nested_blocks:
            problems.append(f"{where}: {key!r} is not a {kind} argument")
    return problems


# ---- references ---------------------------------------------------------------------------------------------
def strings(item: Any) -> Iterator[str]:
    if isinstance(item, str):
        yield item
    elif isinstance(item, Mapping):
        for key, value in item.items():
            if not key.startswith("__"):
                yield from strings(key)
                yield from strings(value)
    elif isinstance(item, list):
        for value in item:
            yield from strings(value)


def expressions(item: Any) -> Iterator[str]:
    """The expression text in every string: a whole '${...}' expression, or a literal's interpolations."""
    for text in strings(item):
        if text.startswith("${"):
            yield text[2:-1]
        elif text.startswith('"'):
            for match in _INTERPOLATION.finditer(text):
                yield text[match.end():closing(text, match.end())]


def check_references(files: Mapping[str, dict[str, Any]], record: Mapping[str, Any]) -> list[str]:
    """var/local/resource references resolve; each/count only where they exist; attributes documented;
    counted resources indexed; every variable used."""
    problems = []
    variables = {labels[0] for labels, _ in blocks(files, "variable")}
    locals_ = {key for _, content in blocks(files, "locals") for key in content}
    declared = resources(files)
    used: set[str] = set()

    def scan(where: str, item: Any, iteration: str | None, whole: bool = False) -> None:
        """whole: depends_on, which names a counted resource as a whole."""
        if isinstance(item, Mapping) and "depends_on" in item:
            scan(where, item["depends_on"], iteration, whole=True)
            item = {key: value for key, value in item.items() if key != "depends_on"}
        for text in expressions(item):
            for kind, name in _NAMED_REF.findall(text):
                if kind == "var":
                    used.add(name)
                    if name not in variables:
                        problems.append(f"{where}: var.{name} is not declared")
                elif kind == "local" and name not in locals_:
                    problems.append(f"{where}: local.{name} is not declared")
                elif kind in ("each", "count") and kind != iteration:
                    problems.append(f"{where}: {kind}.{name} outside a resource with {kind} "
                                    f"{'for_each' if kind == 'each' else 'count'}")
                elif kind == "each" and name not in ("key", "value"):
                    problems.append(f"{where}: each.{name} (only each.key, each.value)")
                elif kind in ("data", "module", "self"):
                    problems.append(f"{where}: {kind}.{name}: nothing of that kind is declared")
                elif kind == "path" and name not in ("module", "root", "cwd"):
                    problems.append(f"{where}: path.{name}")
            for kind, name, index, attribute in _RESOURCE_REF.findall(text):
                target = declared.get((kind, name))
                if target is None:
                    problems.append(f"{where}: {kind}.{name} is not declared")
                    continue
                counted = "count" in target or "for_each" in target
                if counted and not index and not whole:
                    problems.append(f"{where}: {kind}.{name} has count/for_each; refer to an instance")
                if index and not counted:
                    problems.append(f"{where}: {kind}.{name}{index}: not a counted resource")
                spec = record["resources"].get(kind)
                if attribute and spec is not None and attribute not in {*spec["arguments"], *spec["blocks"],
                                                                        *spec["attributes"]}:
                    problems.append(f"{where}: {kind}.{name}.{attribute} is not a documented argument or attribute")

    for (kind, name), content in declared.items():
        iteration = "each" if "for_each" in content else "count" if "count" in content else None
        scan(f"{kind}.{name}", content, iteration)
    for kind in ("locals", "output", "provider", "variable"):
        for labels, content in blocks(files, kind):
            scan(" ".join([kind, *labels]), content, None)
    problems += [f"variable {name} is declared but never used" for name in sorted(variables - used)]
    return problems


# ---- evaluation of the simple expressions the files use -----------------------------------------------------
def literal(text: str) -> str:
    """A quoted HCL string literal without interpolations, as its value."""
    assert text.startswith('"') and not _INTERPOLATION.search(text), text
    return json.loads(text).replace("$${", "${").replace("%%{", "%{")


def evaluate(item: Any, bindings: Mapping[str, Any]) -> Any:
    """Strings, numbers, lists and objects with references from `bindings` (expression text -> value);
    string templates are filled in. Anything else is an error: the test then names what it cannot read."""
    if isinstance(item, bool | int | float) or item is None:
        return item
    if isinstance(item, list):
        return [evaluate(x, bindings) for x in item]
    if isinstance(item, Mapping):
        return {unquote(k): evaluate(v, bindings) for k, v in item.items() if not k.startswith("__")}
    text = str(item)
    if text.startswith("${") and text.endswith("}"):
        inner = text[2:-1]
        if inner in bindings:
            return bindings[inner]
        if inner.startswith("jsonencode(") and inner.endswith(")"):
            return evaluate(parse_text("x = " + inner[len("jsonencode("):-1])["x"], bindings)
        raise KeyError(f"cannot evaluate {text!r}")
    if text.startswith('"') and text.endswith('"'):
        raw, out, position = text[1:-1], [], 0
        for match in _INTERPOLATION.finditer(raw):
            end = closing(raw, match.end())
            out.append(_decode(raw[position:match.start()]))
            out.append(str(evaluate("${" + raw[match.end():end] + "}", bindings)))
            position = end + 1
        out.append(_decode(raw[position:]))
        return "".join(out)
    raise KeyError(f"cannot evaluate {text!r}")


def closing(text: str, start: int) -> int:
    """The index of the } that closes an interpolation whose body starts at `start`."""
    depth = 1
    for index in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[index], 0)
        if depth == 0:
            return index
    raise ValueError(f"unclosed interpolation in {text!r}")


def _decode(segment: str) -> str:
    return json.loads('"' + segment + '"').replace("$${", "${").replace("%%{", "%{")


# ---- Resource Formation Service's template constraints ("Template Constraints and Limitations") -------------
RFS_PROHIBITED_RESOURCES = {
    "huaweicloud_vod_watermark_template", "huaweicloud_compute_keypair", "huaweicloud_identity_access_key",
    "huaweicloud_images_image_v2", "huaweicloud_kps_keypair", "huaweicloud_obs_bucket_object",
    "huaweicloud_iotda_batchtask", "huaweicloud_cce_chart", "huaweicloud_iotda_batchtask_file",
    "huaweicloud_cse_microservice"}
RFS_PROHIBITED_FUNCTIONS = {
    "abspath", "basename", "dirname", "file", "filebase64", "filebase64sha256", "filebase64sha512", "fileexists",
    "fileset", "filemd5", "filesha1", "filesha256", "filesha512", "pathexpand", "templatefile"}
_CALL = re.compile(r"\b([a-z][a-z0-9_]*)\s*\(")


def check_rfs(files: Mapping[str, dict[str, Any]]) -> list[str]:
    """What RFS refuses in a template: some resource types and the file functions."""
    problems = [f"resource {kind}.{name}: RFS does not allow this type"
                for kind, name in resources(files) if kind in RFS_PROHIBITED_RESOURCES]
    for parsed_name, parsed in files.items():
        for text in expressions(parsed):
            problems += [f"{parsed_name}: {call}() is not allowed in RFS" for call in _CALL.findall(text)
                         if call in RFS_PROHIBITED_FUNCTIONS]
    return problems
