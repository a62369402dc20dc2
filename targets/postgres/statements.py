"""SQL scripts split into numbered statements, so that an error names the script, the statement and its
line. The splitter knows Postgres's quoting (strings, identifiers, dollar quotes, comments) and refuses
transaction control: a script is one transaction that the runner owns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# -- statements of a script ------------------------------------------------------------------------


class ScriptError(RuntimeError):
    """A script that cannot be parsed, or a statement of it that failed (nothing was committed)."""


@dataclass(frozen=True)
class Statement:
    number: int  # 1-based position in the script
    line: int  # file line of its first token
    text: str  # from its first token up to (not including) the terminating semicolon

    def line_at(self, position: int | None) -> int:
        """File line of a 1-based character position inside the statement (PostgreSQL's error position)."""
        if not position:
            return self.line
        return self.line + self.text.count("\n", 0, max(position - 1, 0))

    @property
    def keyword(self) -> str:
        match = re.match(r"[A-Za-z]+", self.text)
        return match.group(0).upper() if match else ""


_DOLLAR = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")
_TRANSACTION_CONTROL = {"BEGIN", "COMMIT", "ROLLBACK", "END", "ABORT", "START", "SAVEPOINT", "RELEASE", "PREPARE"}


def split_statements(sql: str, name: str = "<script>") -> list[Statement]:
    """Split on semicolons outside strings, quoted identifiers, dollar quotes and comments; keep each
    statement's number and first line. Transaction control and psql meta-commands are refused: the runner
    runs the whole script in one transaction of its own."""
    statements: list[Statement] = []
    i, n, start = 0, len(sql), None

    def line_of(pos: int) -> int:
        return sql.count("\n", 0, pos) + 1

    def finish(end: int) -> None:
        nonlocal start
        if start is not None:
            text = sql[start:end].rstrip()
            statements.append(Statement(len(statements) + 1, line_of(start), text))
        start = None

    while i < n:
        c = sql[i]
        if c == "-" and sql.startswith("--", i):
            j = sql.find("\n", i)
            i = n if j < 0 else j + 1
            continue
        if c == "/" and sql.startswith("/*", i):
            depth, j = 1, i + 2
            while depth and j < n:
                if sql.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif sql.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            if depth:
                raise ScriptError(f"{name}: unterminated /* comment starting at line {line_of(i)}")
            i = j
            continue
        if c.isspace():
            i += 1
            continue
        if start is None:
            if c == "\\":
                raise ScriptError(f"{name}: line {line_of(i)}: psql meta-commands are not supported")
            start = i
        if c == ";":
            finish(i)
            i += 1
        elif c in "'\"":
            escapes = c == "'" and i > 0 and sql[i - 1] in "eE" and (i < 2 or not _word_char(sql[i - 2]))
            i = _skip_quoted(sql, i, c, escapes, name, line_of)
        elif c == "$" and (i == 0 or not _word_char(sql[i - 1])) and (m := _DOLLAR.match(sql, i)):
            close = sql.find(m.group(0), m.end())
            if close < 0:
                raise ScriptError(f"{name}: unterminated dollar quote {m.group(0)} starting at line {line_of(i)}")
            i = close + len(m.group(0))
        else:
            i += 1
    finish(n)
    for s in statements:
        if s.keyword in _TRANSACTION_CONTROL:
            raise ScriptError(
                f"{name}: statement {s.number} (line {s.line}) is {s.keyword}: remove transaction control, "
                "the runner runs the whole script in one transaction"
            )
    return statements


def _word_char(c: str) -> bool:
    return c.isalnum() or c in "_$"


def _skip_quoted(sql: str, i: int, quote_char: str, escapes: bool, name: str, line_of: Any) -> int:
    j = i + 1
    while j < len(sql):
        c = sql[j]
        if escapes and c == "\\":
            j += 2
            continue
        if c == quote_char:
            if sql.startswith(quote_char * 2, j):
                j += 2
                continue
            return j + 1
        j += 1
    kind = "string" if quote_char == "'" else "quoted identifier"
    raise ScriptError(f"{name}: unterminated {kind} starting at line {line_of(i)}")
