"""File formats and copy specifications: what a raw table is loaded from, independent of the backend."""

from __future__ import annotations

import re
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

META_COLUMNS = (("_file", "VARCHAR"), ("_row", "BIGINT"), ("_loaded_at", "TIMESTAMP"))


@dataclass(frozen=True)
class FileFormat:
    """A delimited text format. Lines may carry up to ``extra_fields`` trailing fields the raw table does
    not keep (CloudFront: 7 newer fields, plus a trailing tab); fewer fields than ``columns`` is a reject."""

    name: str  # Snowflake named file format (database.schema.name)
    columns: tuple[str, ...]
    delimiter: str
    quote: str = ""  # "" = no quoting
    skip_header: int = 0  # header lines (CloudFront: '#Version' and '#Fields')
    comment: str = ""  # lines starting with it are skipped (DuckDB; Snowflake uses skip_header)
    compression: Literal["gzip", "none"] = "gzip"
    extra_fields: int = 0
    typed: tuple[tuple[str, str], ...] = ()  # (column, SQL type) every value must cast to, e.g. dates

    def bad_row(self) -> str:
        """SQL condition (both backends) of a loaded row that is a reject: a missing field, or a value of a
        typed column that does not cast (the raw table keeps text; the marts would fail on it)."""
        return " OR ".join([f"{self.columns[-1]} IS NULL", *(f"TRY_CAST({c} AS {t}) IS NULL" for c, t in self.typed)])

    def bad_row_reason(self) -> str:
        """SQL expression naming what is wrong with a row that matches ``bad_row``."""
        whens = [f"WHEN {self.columns[-1]} IS NULL THEN 'MISSING FIELDS: expected {len(self.columns)} fields'"]
        whens += [f"WHEN TRY_CAST({c} AS {t}) IS NULL THEN 'BAD VALUE: {c} is not a {t}'" for c, t in self.typed]
        return f"CASE {' '.join(whens)} END"


CLOUDFRONT = FileFormat(
    "raw.pipeline.cloudfront_log",
    CLOUDFRONT_COLUMNS,
    "\t",
    skip_header=2,
    comment="#",
    extra_fields=8,
    typed=(("logdate", "DATE"), ("logtime", "TIME")),
)
ALB = FileFormat("raw.pipeline.alb_log", ALB_COLUMNS, " ", quote='"', extra_fields=10)
LICENSE_CSV = FileFormat(
    "raw.pipeline.license_csv",
    LICENSE_COLUMNS,
    ",",
    quote='"',
    compression="none",
    typed=(("issuedat", "BIGINT"), ("expiresat", "BIGINT")),
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
