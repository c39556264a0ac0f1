"""The README's configuration table is generated from the configuration schema: they never disagree."""

from __future__ import annotations

from tests.docs import README, config_table


def test_readme_configuration_table_matches_the_schema() -> None:
    text = README.read_text(encoding="utf-8")
    assert config_table() in text, "README.md is stale: run `python -m tests.docs`"


def test_readme_names_the_two_commands() -> None:
    text = README.read_text(encoding="utf-8")
    assert "make run" in text and "make test" in text
