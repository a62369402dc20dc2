"""Data classes shared by the generators and writers, and small deterministic helpers."""

from __future__ import annotations

import gzip
import random
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

# Mattermost ids (model.NewId) are 26 characters of this base32 alphabet.
_MM_ALPHABET = "ybndrfg8ejkmcpqxot1uwisza345h769"
_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_UPPER_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_EPOCH = datetime(1970, 1, 1)


@dataclass
class Table:
    """A typed table; column types are valid in both DuckDB and PostgreSQL."""

    schema: str
    name: str
    columns: list[tuple[str, str]]
    rows: list[tuple]
    serial: str | None = None  # column that is `serial primary key` in Postgres (values are given)
    unique: tuple[str, ...] = ()  # columns with a UNIQUE constraint in Postgres

    @property
    def column_names(self) -> list[str]:
        return [name for name, _ in self.columns]


@dataclass(frozen=True)
class LandingFile:
    key: str  # relative to the landing root
    data: bytes  # exactly as landed (gzip where the real source is gzip)
    late: bool = False  # lands after its day was first loaded
    lines: int = 0  # data lines, header lines excluded, malformed lines included


@dataclass(frozen=True)
class LinePos:
    key: str
    line: int  # 1-based physical line in the decompressed file, header lines included (the warehouse's `_row`)
    row: int  # 1-based data line, header lines excluded


@dataclass(frozen=True)
class DirtOptions:
    """How much of each kind of dirt to inject; counts are clipped to what the data allows."""

    duplicate_pings: int = 3  # (server, day) pairs with a second security ping
    dev_servers: int = 2  # `_BUILD_NUMBER_` in b
    test_servers: int = 2  # ut=1
    uc_below_auc_servers: int = 2
    malformed_lines: int = 2  # per log source: diagnostics, releases, push_proxy
    wide_files: int = 2  # per CloudFront source: files in the newer 33-field format
    double_encoded_lines: int = 3  # security lines whose query is percent-encoded once more
    late_files_per_day: int = 1  # per CloudFront distribution and day
    partial_downloads: int = 4  # per day: 206 ranges and aborted 200s below the full size
    segment_duplicates: int = 3  # (server, day) pairs with two mattermost2.server rows

    @classmethod
    def clean(cls) -> DirtOptions:
        return cls(**{name: 0 for name in cls.__dataclass_fields__})


@dataclass
class DirtRecord:
    """Where each injected defect is, so tests can assert on it."""

    dev_servers: list[str] = field(default_factory=list)
    test_servers: list[str] = field(default_factory=list)
    uc_below_auc_servers: list[str] = field(default_factory=list)
    tracking_disabled_servers: list[str] = field(default_factory=list)
    duplicate_pings: list[tuple[str, date]] = field(default_factory=list)
    segment_duplicates: list[tuple[str, date]] = field(default_factory=list)
    malformed_lines: list[LinePos] = field(default_factory=list)
    wide_lines: list[LinePos] = field(default_factory=list)
    double_encoded_lines: list[LinePos] = field(default_factory=list)
    partial_downloads: list[LinePos] = field(default_factory=list)
    late_files: list[str] = field(default_factory=list)
    # Salesforce
    marketo_user_sfid: str = ""
    deleted_rows: list[tuple[str, str]] = field(default_factory=list)  # (table, sfid) with isdeleted = true
    delete_history: list[str] = field(default_factory=list)  # object_id__c values in delete_history__c
    leap_line_items: list[str] = field(default_factory=list)  # line item sfids whose term crosses 29 February
    lock_failures: list[int] = field(default_factory=list)  # _trigger_log ids FAILED on a row lock


def seeded(seed: int, part: str) -> random.Random:
    """A generator per part, so adding data to one source never shifts another."""
    return random.Random(f"{seed}:{part}")


def mm_id(rng: random.Random) -> str:
    return "".join(rng.choices(_MM_ALPHABET, k=26))


def sf_id(rng: random.Random, prefix: str) -> str:
    """An 18-character Salesforce id with the object's key prefix."""
    return prefix + "3600000" + "".join(rng.choices(_ALNUM, k=8))


def stripe_id(rng: random.Random) -> str:
    return "cus_" + "".join(rng.choices(_ALNUM, k=14))


def upper_id(rng: random.Random, k: int) -> str:
    return "".join(rng.choices(_UPPER_ALNUM, k=k))


def hex_id(rng: random.Random, k: int) -> str:
    return f"{rng.getrandbits(4 * k):0{k}x}"


def uuid4(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def epoch_ms(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def at(day: date, seconds: float) -> datetime:
    """The moment `seconds` after midnight of `day`."""
    return datetime.combine(day, time()) + timedelta(seconds=seconds)


def add_years(day: date, years: int) -> date:
    """Same calendar day `years` later (28 February for a 29 February start)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def gz(text: str) -> bytes:
    """Gzip with a fixed mtime so the same text always gives the same bytes."""
    return gzip.compress(text.encode(), compresslevel=6, mtime=0)
