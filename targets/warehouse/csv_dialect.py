"""The CSV dialect of ``Session.load_csv`` and ``unload_csv`` on every backend: RFC 4180, no header, NULL as an
empty unquoted field and an empty string as ``""``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any


def csv_field(value: Any) -> str:
    """One value in the CSV dialect of load_csv/unload_csv (RFC 4180; NULL = empty unquoted field, text
    always quoted, so an empty string is two quotes; timestamps as ISO text in UTC)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return '"' + value.replace('"', '""') + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
