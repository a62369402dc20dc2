"""Recorded statements as committed golden files (tests/ops/snowflake/statements/<scenario>.sql), and the checks every
one of them passes: it parses as Snowflake SQL, and stays within Snowflake's limits.

A golden file is blocks separated by a blank line: a login (``-- connect <profile>: <arguments>``), or a statement
headed ``-- <profile> <role> <warehouse> [xN] (<parameter types>)``. What differs between runs (temporary paths,
random suffixes, the test bucket) is normalised, so a diff shows only what the code sends differently.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import sqlglot
from sqlglot import exp

from tests.snowflake_account import Login, Sent

GOLDEN = Path(__file__).parent / "statements"
UPDATE_ENV = "UPDATE_GOLDEN"  # UPDATE_GOLDEN=1 pytest tests/ops/snowflake rewrites the golden files
MAX_IN_LIST = 16_384  # expressions in one IN list
MAX_FILES = 1_000  # names in COPY's FILES=(...)
MAX_QUERY_TAG = 2_000  # characters of QUERY_TAG
MAX_VALUES_ROWS = 16_384  # rows of one VALUES clause

_VOLATILE = [
    (re.compile(r"'file://[^']*/([^/']+)'"), r"'file:///TMP/\1'"),  # a local file's temporary folder
    (re.compile(r"\b(_scratch_\w+?_|load_|smoke_)[0-9a-f]{8,12}\b"), r"\1TOKEN"),  # random suffixes
    (re.compile(r"/tmp[a-z0-9_]{8}\.csv'"), "/tmpTOKEN.csv'"),  # a temporary file's name
    (re.compile(r"\blanding-\d+-\d+\b"), "landing-bucket"),  # the test bucket of the s3 fixture
]


@dataclass(frozen=True)
class Statement:
    profile: str
    role: str
    warehouse: str
    sql: str
    types: tuple[str, ...]


def normalise(text: str) -> str:
    for pattern, replacement in _VOLATILE:
        text = pattern.sub(replacement, text)
    return text


def render(sent: Sequence[Sent | Login]) -> str:
    """Logins and statements, in order; a statement repeated at once is one block with its count."""
    blocks: list[tuple[str, str]] = []  # (header, sql)
    for item in sent:
        if isinstance(item, Login):
            arguments = dict(item.arguments)
            parameters = arguments.pop("session_parameters", {})
            shown = ", ".join(f"{k} {v}" for k, v in sorted({**arguments, **parameters}.items()))
            blocks.append((normalise(f"-- connect {item.profile}: {shown}"), ""))
            continue
        header = f"-- {item.profile} {item.role} {item.warehouse} ({', '.join(item.types)})"
        sql = normalise(item.sql.strip())
        if blocks and blocks[-1][1] == sql and _base(blocks[-1][0]) == header:
            count = int(m[1]) if (m := re.search(r" x(\d+) \(", blocks[-1][0])) else 1
            header = header.replace(" (", f" x{count + 1} (", 1)
            blocks[-1] = (header, sql)
        else:
            blocks.append((header, sql))
    return "\n\n".join(f"{header}\n{sql};" if sql else header for header, sql in blocks) + "\n"


def _base(header: str) -> str:
    return re.sub(r" x\d+ \(", " (", header, count=1)


_HEADER = re.compile(r"^-- (\w+) (\S+) (\S+)(?: x\d+)? \((.*)\)$")


def statements(golden: str) -> list[Statement]:
    """The statements of a golden file (logins left out)."""
    found = []
    for block in golden.strip().split("\n\n"):
        header, _, sql = block.partition("\n")
        if match := _HEADER.match(header):
            types = tuple(t for t in match[4].split(", ") if t)
            found.append(Statement(match[1], match[2], match[3], sql.removesuffix(";"), types))
    return found


def logins(golden: str) -> list[str]:
    return [block for block in golden.strip().split("\n\n") if block.startswith("-- connect ")]


def problems(statement: Statement) -> list[str]:
    """Why Snowflake would refuse the statement: a parse error (sqlglot's Snowflake dialect), a limit passed, or
    a bind count that does not match its parameters."""
    try:
        tree = sqlglot.parse_one(statement.sql, read="snowflake", error_level=sqlglot.ErrorLevel.RAISE)
    except sqlglot.errors.ParseError as error:
        return [f"does not parse as Snowflake SQL: {error}"]
    found = []
    for in_list in tree.find_all(exp.In):
        if len(in_list.expressions) > MAX_IN_LIST:
            found.append(f"an IN list of {len(in_list.expressions)} expressions (Snowflake takes {MAX_IN_LIST})")
    for values in tree.find_all(exp.Values):
        if len(values.expressions) > MAX_VALUES_ROWS:
            found.append(f"VALUES of {len(values.expressions)} rows (Snowflake takes {MAX_VALUES_ROWS})")
    if isinstance(tree, exp.Copy):
        for param in tree.args.get("params") or []:
            if param.this.name.upper() == "FILES" and len(list(param.find_all(exp.Literal))) > MAX_FILES:
                found.append(f"FILES names more than {MAX_FILES} files")
    binds = len(list(tree.find_all(exp.Placeholder)))
    if binds != len(statement.types):
        found.append(f"{binds} bind marks for {len(statement.types)} parameters")
    return found


def login_problems(login: Login) -> list[str]:
    tag = str(login.arguments.get("session_parameters", {}).get("QUERY_TAG", ""))
    return [f"QUERY_TAG of {len(tag)} characters (Snowflake takes {MAX_QUERY_TAG})"] if len(tag) > MAX_QUERY_TAG else []
