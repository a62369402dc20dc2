"""Identifiers that reach SQL text are validated here, never interpolated raw."""

from __future__ import annotations

import re

_PART = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]{0,254}$")


def check(name: str, parts: int | None = None) -> str:
    """Return a dotted identifier (db.schema.table) after checking every part; raise naming it."""
    pieces = name.split(".")
    if (parts is not None and len(pieces) != parts) or not all(_PART.match(p) for p in pieces):
        want = f"{parts} dotted parts of " if parts else ""
        raise ValueError(f"invalid SQL identifier {name!r}: expected {want}letters, digits and underscores")
    return name


def split_table(name: str) -> tuple[str, str, str]:
    db, schema, table = check(name, 3).split(".")
    return db, schema, table
