"""layers/ship/hcl.py writes what an independent HCL parser (python-hcl2) reads back as the same values: string
escapes, ${ and %{ kept literal, nested objects and lists, blocks with labels, alignment that survives parsing."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ship.hcl import Block, Expr, Template, render, string

from .hclcheck import evaluate, literal, parse_text

AWKWARD = ['plain', 'quote " and backslash \\', 'line\nbreak\ttab\r', 'interpolation ${var.x} and %{ if x }',
           'bell \x07 and \x7f', 'unicode é 漢字 ✓', '', '}{']


@pytest.mark.parametrize("text", AWKWARD)
def test_string_literals_read_back_unchanged(text: str) -> None:
    parsed = parse_text(f"x = {string(text)}\n")["x"]
    assert literal(parsed) == text


@pytest.mark.parametrize("text", ["money $${ already doubled", "percent %%{ too"])
def test_text_with_an_escape_already_in_it_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="no escaped form"):
        string(text)


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
       .filter(lambda text: "$${" not in text and "%%{" not in text))
def test_any_text_reads_back_unchanged(text: str) -> None:
    assert literal(parse_text(f"x = {string(text)}\n")["x"]) == text


def test_blocks_values_and_templates_read_back() -> None:
    block = (Block("resource", ("huaweicloud_example", "one"))
             .set("name", "a ${literal}").set("count", 2).set("enabled", False).set("ratio", 0.5)
             .set("nothing", None).set("list", ["x", 1, True])
             .set("object", {"simple": "v", "needs-quotes": {"nested": ["a", "b"]}})
             .set("template", Template("https://${var.host}/${local.key}"))
             .set("expression", Expr("var.flag ? 1 : 0"))
             .add(Block("inner").set("key", "value").add(Block("deeper").set("n", 3))))
    parsed = parse_text(render(block))["resource"][0]['"huaweicloud_example"']['"one"']
    values = evaluate({key: value for key, value in parsed.items() if key not in ("inner", "expression")},
                      {"var.host": "h.example", "local.key": "k"})
    assert values == {"name": "a ${literal}", "count": 2, "enabled": False, "ratio": 0.5, "nothing": None,
                      "list": ["x", 1, True], "object": {"simple": "v", "needs-quotes": {"nested": ["a", "b"]}},
                      "template": "https://h.example/k"}
    assert parsed["expression"] == "${var.flag ? 1 : 0}"
    (inner,) = parsed["inner"]
    assert evaluate(inner, {}) == {"key": "value", "deeper": [{"n": 3}]}


def test_a_value_that_spans_lines_is_not_aligned_and_ends_the_group() -> None:
    """terraform fmt aligns `=` over consecutive single-line attributes only."""
    block = (Block("b").set("a", 1).set("longer", 2).set("multi", {"x": 1, "yy": [{"k": 1}]})
             .set("z", 3).set("zzzz", 4))
    assert render(block) == ('b {\n  a      = 1\n  longer = 2\n  multi = {\n    x = 1\n    yy = [\n      {\n'
                             '        k = 1\n      },\n    ]\n  }\n  z    = 3\n  zzzz = 4\n}\n')
