"""Splitting a Postgres script into statements with their line numbers (targets.postgres.statements), and refusing
scripts that cannot run, before any connection."""

from __future__ import annotations

import pytest

from targets.postgres.statements import ScriptError, split_statements


def test_statements_are_split_outside_strings_comments_and_dollar_quotes():
    sql = """-- header; not a statement
CREATE TABLE t (a text);  /* a; block /* nested; */ comment */
INSERT INTO t VALUES ('it''s; fine'), (E'back\\\\'';slash'), ($$dollar; quoted$$), ($tag$ $$; $tag$);

UPDATE t
SET a = "weird;name"
WHERE a LIKE 'x%'
"""
    statements = split_statements(sql, "x.sql")
    assert [(s.number, s.line, s.keyword) for s in statements] == [(1, 2, "CREATE"), (2, 3, "INSERT"), (3, 5, "UPDATE")]
    assert statements[1].text.endswith("($tag$ $$; $tag$)")
    assert statements[2].line_at(statements[2].text.index("WHERE") + 1) == 7


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("BEGIN;\nSELECT 1;\nCOMMIT;", r"x.sql: statement 1 \(line 1\) is BEGIN: remove transaction control"),
        ("SELECT 1;\n\\set ON_ERROR_STOP 1\n", r"x.sql: line 2: psql meta-commands are not supported"),
        ("SELECT 'open;\n", r"x.sql: unterminated string starting at line 1"),
        ("SELECT 1; /* open\n", r"x.sql: unterminated /\* comment starting at line 1"),
    ],
)
def test_unrunnable_scripts_are_refused_before_any_connection(sql, message):
    with pytest.raises(ScriptError, match=message):
        split_statements(sql, "x.sql")
