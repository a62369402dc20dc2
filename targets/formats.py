"""File formats and copy specifications: what a raw table is loaded from, independent of the backend."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

CLOUDFRONT_COLUMNS = (
    "logdate", "logtime", "edge", "bytessent", "cip", "method", "host", "uri", "status", "creferrer",
    "useragent", "cs_uri_query", "cookie", "x_edge_result_type", "x_edge_request_id", "x_host_header",
    "protocol", "cs_bytes", "time_taken", "x_forwarded_for", "ssl_protocol", "ssl_cipher",
    "x_edge_response_result_type", "cs_protocol_version", "file_status", "file_encrypted_fields",
)  # fmt: skip
ALB_COLUMNS = (
    "type", "requesttime", "elb", "client_and_port", "target_and_port", "request_processing_time",
    "target_processing_time", "response_processing_time", "elb_status_code", "target_status_code",
    "received_bytes", "sent_bytes", "request", "user_agent", "ssl_cipher", "ssl_protocol", "target_group_arn",
    "trace_id", "domain_name", "chosen_cert_arn", "matched_rule_priority", "request_creation_time",
    "actions_executed", "dash1", "dash2",
)  # fmt: skip
LICENSE_COLUMNS = ("customerid", "company", "number", "email", "stripeid", "licenseid", "issuedat", "expiresat")
# The name CloudFront's '#Fields:' header gives each field the raw table keeps, in the columns' order (the
# legacy format's first 26 fields: a file without a header is read in this order).
CLOUDFRONT_FIELDS = (
    "date", "time", "x-edge-location", "sc-bytes", "c-ip", "cs-method", "cs(Host)", "cs-uri-stem", "sc-status",
    "cs(Referer)", "cs(User-Agent)", "cs-uri-query", "cs(Cookie)", "x-edge-result-type", "x-edge-request-id",
    "x-host-header", "cs-protocol", "cs-bytes", "time-taken", "x-forwarded-for", "ssl-protocol", "ssl-cipher",
    "x-edge-response-result-type", "cs-protocol-version", "fle-status", "fle-encrypted-fields",
)  # fmt: skip

META_COLUMNS = (("_file", "VARCHAR"), ("_row", "BIGINT"), ("_loaded_at", "TIMESTAMP"))
PLACEHOLDER = "-"  # what AWS writes for a value it does not have


class HeaderError(ValueError):
    """A file's '#Fields:' header lacks fields the raw table keeps (e.g. CloudFront's 19-field format of 2015);
    ``positions``: the field index of each column the header does name, None for each one it lacks."""

    def __init__(self, message: str, positions: tuple[int | None, ...]):
        super().__init__(message)
        self.positions = positions


@dataclass(frozen=True)
class FileFormat:
    """A delimited text format: the first ``len(columns)`` fields of a line are kept (or, with a '#Fields:' header
    and ``header_fields``, the fields that header names), trailing ones are ignored; fewer is a reject."""

    name: str  # Snowflake named file format (database.schema.name)
    columns: tuple[str, ...]
    delimiter: str
    quote: str = ""  # "" = no quoting
    skip_header: int = 0  # header lines (CloudFront: '#Version' and '#Fields')
    comment: str = ""  # lines starting with it are not data (DuckDB; Snowflake uses skip_header)
    compression: Literal["gzip", "none"] = "gzip"
    typed: tuple[tuple[str, str], ...] = ()  # (column, SQL type) every value must cast to, e.g. dates
    placeholders: tuple[str, ...] = ()  # typed columns where PLACEHOLDER stands for no value
    header_fields: tuple[str, ...] = ()  # each column's name in a '#Fields:' header, when files carry one
    records: Literal["lines", "csv"] = "lines"  # a record per line (logs), or RFC 4180 (quoted line breaks)

    def positions(self, header: str | None) -> tuple[int, ...]:
        """The field index of each column in a file whose '#Fields:' header line is ``header`` (None: none)."""
        if header is None or not self.header_fields:
            return tuple(range(len(self.columns)))
        names = header.removeprefix(f"{self.comment}Fields:").split()
        lacking = [field for field in self.header_fields if field not in names]
        if lacking:
            raise HeaderError(
                f"HEADER: the file's #Fields header has {len(names)} fields and lacks {', '.join(lacking)} "
                f"(an older format: expected every one of the {len(self.header_fields)} fields kept)",
                tuple(names.index(field) if field in names else None for field in self.header_fields),
            )
        return tuple(names.index(field) for field in self.header_fields)

    def header_line(self, lines: Iterable[str]) -> str | None:
        """The '#Fields:' header line among the comment lines a file's ``lines`` start with (None: it has none)."""
        if not self.comment:
            return None
        for line in lines:
            if not line.startswith(self.comment):
                return None
            if line.startswith(f"{self.comment}Fields:"):
                return line.rstrip("\r\n")
        return None

    def _cast_fails(self, column: str, sql_type: str) -> str:
        # ALB writes ISO 8601 with 'T' and 'Z': read as the marts cast it (a plain TIMESTAMP on both backends).
        value = f"REPLACE(REPLACE({column}, 'T', ' '), 'Z', '')" if sql_type == "TIMESTAMP" else column
        fails = f"TRY_CAST({value} AS {sql_type}) IS NULL"
        return f"({column} <> '{PLACEHOLDER}' AND {fails})" if column in self.placeholders else fails

    def bad_row(self) -> str:
        """SQL condition (both backends) of a loaded row that is a reject: a missing field, or a value of a
        typed column that does not cast (the raw table keeps text; the marts would fail on it)."""
        return " OR ".join([f"{self.columns[-1]} IS NULL", *(self._cast_fails(c, t) for c, t in self.typed)])

    def bad_row_reason(self) -> str:
        """SQL expression naming what is wrong with a row that matches ``bad_row``."""
        structure = f"expected {len(self.columns)} fields" + (", every quote closed" if self.quote else "")
        whens = [f"WHEN {self.columns[-1]} IS NULL THEN 'MISSING FIELDS: {structure}'"]
        whens += [f"WHEN {self._cast_fails(c, t)} THEN 'BAD VALUE: {c} is not a {t}'" for c, t in self.typed]
        return f"CASE {' '.join(whens)} END"


CLOUDFRONT = FileFormat(
    "raw.pipeline.cloudfront_log", CLOUDFRONT_COLUMNS, "\t", skip_header=2, comment="#",
    typed=(("logdate", "DATE"), ("logtime", "TIME"), ("bytessent", "BIGINT"), ("status", "BIGINT"),
           ("cs_bytes", "BIGINT"), ("time_taken", "DOUBLE")),
    header_fields=CLOUDFRONT_FIELDS,
)  # fmt: skip
ALB = FileFormat(
    "raw.pipeline.alb_log",
    ALB_COLUMNS,
    " ",
    quote='"',
    typed=(
        ("requesttime", "TIMESTAMP"), ("request_processing_time", "DOUBLE"), ("target_processing_time", "DOUBLE"),
        ("response_processing_time", "DOUBLE"), ("elb_status_code", "BIGINT"), ("target_status_code", "BIGINT"),
        ("received_bytes", "BIGINT"), ("sent_bytes", "BIGINT"), ("request_creation_time", "TIMESTAMP"),
    ),
    placeholders=("elb_status_code", "target_status_code", "received_bytes", "sent_bytes"),
)  # fmt: skip
LICENSE_CSV = FileFormat(
    "raw.pipeline.license_csv",
    LICENSE_COLUMNS,
    ",",
    quote='"',
    compression="none",
    typed=(("issuedat", "BIGINT"), ("expiresat", "BIGINT")),
    records="csv",
)


@dataclass(frozen=True)
class CopySpec:
    """Load the files under ``stage_url``/``path`` whose path matches ``pattern`` into ``table``.

    ``stage`` is the Snowflake external stage over ``stage_url``; the DuckDB backend lists ``stage_url``
    itself (a local folder or s3://). ``pattern`` is matched against the path relative to the stage.
    """

    table: str
    stage: str
    stage_url: str
    path: str
    pattern: str
    file_format: FileFormat
    rejects_allowed: float = field(default=0.0)

    def matches(self, relative_path: str) -> bool:
        return re.fullmatch(self.pattern, relative_path) is not None


@dataclass(frozen=True)
class StagedFile:
    path: str  # relative to the stage root; what raw rows carry in _file
    url: str  # absolute: s3://bucket/key or a local path
    size: int


@dataclass
class FileResult:
    """One file's COPY outcome, as Snowflake reports it."""

    file: str
    status: str  # LOADED, LOAD_SKIPPED, PARTIALLY_LOADED, LOAD_FAILED
    rows_parsed: int = 0
    rows_loaded: int = 0
    errors_seen: int = 0
    first_error: str | None = None
    first_error_line: int | None = None

    @property
    def loaded(self) -> bool:
        return self.status in ("LOADED", "PARTIALLY_LOADED")


@dataclass(frozen=True)
class Reject:
    file: str
    line: int | None
    raw_text: str | None
    error: str
