"""The operator's README stays short and true: its configuration table and the full one in
docs/configuration.md are generated from the configuration schema, and every document it links exists."""

from __future__ import annotations

import re

from tests.docs import CONFIG_DOC, ESSENTIAL_KEYS, README, README_LIMIT, ROOT, config_table, essential_table

MAKEFILE = ROOT / "Makefile"


def test_readme_is_under_its_size_limit() -> None:
    size = len(README.read_bytes())
    assert size < README_LIMIT, f"README.md is {size} bytes; move detail to a linked document"


def test_readme_configuration_table_matches_the_schema() -> None:
    text = README.read_text(encoding="utf-8")
    assert essential_table() in text, "README.md is stale: run `python -m tests.docs`"


def test_full_configuration_table_matches_the_schema_and_is_linked() -> None:
    assert config_table() in CONFIG_DOC.read_text(encoding="utf-8"), \
        "docs/configuration.md is stale: run `python -m tests.docs`"
    assert "(docs/configuration.md)" in README.read_text(encoding="utf-8")


def test_every_essential_key_is_in_the_full_table() -> None:
    full = config_table()
    assert all(f"| `{key}` |" in full for key in ESSENTIAL_KEYS)


def test_readme_names_the_two_commands() -> None:
    text = README.read_text(encoding="utf-8")
    assert "make run" in text and "make test" in text


def test_every_relative_link_of_the_readme_exists() -> None:
    links = re.findall(r"\]\(([^)#:]+)\)", README.read_text(encoding="utf-8"))
    assert links, "the README links its detail documents"
    missing = [link for link in links if not (ROOT / link).exists()]
    assert not missing, missing


def test_moved_sections_are_linked_from_the_readme() -> None:
    """The detail that left the README lives in these documents; the README points to each."""
    text = README.read_text(encoding="utf-8")
    for document, heading in (("tests/guarantees/README.md", "## Silence audit"),
                              ("tests/faults/README.md", "<!-- fault-table:start -->"),
                              ("tests/bench/README.md", "## Measured results"),
                              ("layers/README.md", "## Preflight: `make doctor`"),
                              ("docs/design.md", "## Decisions where the documents are unclear")):
        assert f"({document})" in text, document
        assert heading in (ROOT / document).read_text(encoding="utf-8"), (document, heading)


def test_the_state_tools_the_readme_names_are_make_targets() -> None:
    makefile = MAKEFILE.read_text(encoding="utf-8")
    phony = next(line for line in makefile.splitlines() if line.startswith(".PHONY:")).split()
    for target in ("state", "state-forget", "state-reset"):
        assert f"make {target}" in README.read_text(encoding="utf-8")
        assert target in phony and f"\n{target}: venv\n" in makefile, target
        comment = makefile.split(f"\n{target}: venv\n")[0].splitlines()[-1]
        assert comment.startswith("## "), f"{target} has no comment line"
