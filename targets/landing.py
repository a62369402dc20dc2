"""The landing zone: list and fetch source files from S3 (boto3) or a local folder.

DuckDB's httpfs extension cannot be installed offline, so S3 is read through boto3 and files are
handed to DuckDB's readers locally.
"""

from __future__ import annotations

import glob
import logging
import os
import shutil
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlparse

from config.settings import landing
from targets.formats import CopySpec, FileFormat, StagedFile

logger = logging.getLogger("bizops.landing")
HEAD_READ_BYTES = 64 * 1024  # compressed bytes read at a time from the start of a file for its header lines
MAX_HEAD_LINE_BYTES = 1 << 20  # a first line longer than this is no header line: reading stops there


def join(root: str, *parts: str) -> str:
    return "/".join([root.rstrip("/"), *(p.strip("/") for p in parts if p.strip("/"))])


@lru_cache(maxsize=4)
def _s3(endpoint_url: str | None):
    import boto3
    from botocore.config import Config

    # Bounded waits and standard retries (5xx, throttling, resets): a stuck S3 call fails in minutes, not hours.
    config = Config(connect_timeout=10, read_timeout=60, retries={"mode": "standard", "max_attempts": 5})
    return boto3.client("s3", endpoint_url=endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or None, config=config)


def s3_client():
    """The one S3 client of the pipeline (the landing zone, the published reports), on [landing] s3_endpoint_url."""
    return _s3(landing().s3_endpoint_url)


def split_s3(url: str) -> tuple[str, str]:
    parsed = urlparse(url)
    return parsed.netloc, parsed.path.lstrip("/")


class Listing(list[StagedFile]):
    """The files of a listing the spec's pattern matches, sorted; ``skipped``: the other files found where it
    listed (e.g. ALB connection logs beside the access logs), never loaded."""

    def __init__(self, files: list[StagedFile], skipped: list[str]):
        super().__init__(sorted(files, key=lambda f: f.path))
        self.skipped = sorted(skipped)


def list_files(spec: CopySpec) -> Listing:
    """Files under the spec's stage path (a folder, or a folder and the start of the file names: a listing of
    one day rather than of a distribution's whole history) whose stage-relative path matches its pattern."""
    base = join(spec.stage_url, spec.path)
    found: list[StagedFile] = []
    skipped: list[str] = []
    if spec.stage_url.startswith("s3://"):
        bucket, prefix = split_s3(base)
        root = split_s3(spec.stage_url)[1].strip("/")
        paginator = s3_client().get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                key = obj["Key"]
                if root and not key.startswith(root + "/"):
                    continue  # a sibling folder whose name starts like the stage's
                rel = key[len(root) + 1 :] if root else key
                if spec.matches(rel):
                    found.append(StagedFile(rel, f"s3://{bucket}/{key}", obj["Size"]))
                elif not key.endswith("/"):
                    skipped.append(rel)
    else:
        root = Path(spec.stage_url)
        start = Path(base)
        candidates = start.rglob("*") if start.is_dir() else start.parent.glob(glob.escape(start.name) + "*")
        for p in candidates:
            rel = p.relative_to(root).as_posix()
            if p.is_file() and spec.matches(rel):
                found.append(StagedFile(rel, str(p), p.stat().st_size))
            elif p.is_file():
                skipped.append(rel)
    if skipped:
        logger.info("%s: %d file(s) not matching %s skipped: %s", base, len(skipped), spec.pattern, ", ".join(skipped))
    return Listing(found, skipped)


@contextmanager
def local_copy(file: StagedFile) -> Iterator[str]:
    """A local path for the file: itself when local, else a temporary download removed afterwards."""
    if not file.url.startswith("s3://"):
        yield file.url
        return
    bucket, key = split_s3(file.url)
    tmpdir = tempfile.mkdtemp(prefix="bizops-fetch-")
    try:
        target = os.path.join(tmpdir, os.path.basename(key))
        s3_client().download_file(bucket, key, target)
        yield target
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


def _head_chunks(file: StagedFile) -> Iterator[bytes]:
    """The file's bytes from its start, a chunk at a time, each read only when asked for (ranged GETs on S3)."""
    if not file.url.startswith("s3://"):
        with open(file.url, "rb") as src:
            while chunk := src.read(HEAD_READ_BYTES):
                yield chunk
        return
    bucket, key = split_s3(file.url)
    for start in range(0, file.size, HEAD_READ_BYTES):
        end = min(start + HEAD_READ_BYTES, file.size) - 1
        yield s3_client().get_object(Bucket=bucket, Key=key, Range=f"bytes={start}-{end}")["Body"].read()


def _head_lines(file: StagedFile, gzip: bool) -> Iterator[str]:
    """The file's lines from its start, inflated as its chunks come (raises zlib.error on a corrupt stream)."""
    inflate = zlib.decompressobj(wbits=31) if gzip else None
    pending = b""
    for chunk in _head_chunks(file):
        pending += inflate.decompress(chunk) if inflate else chunk
        *lines, pending = pending.split(b"\n")
        yield from (line.decode("utf-8", errors="replace") for line in lines)
        if len(pending) > MAX_HEAD_LINE_BYTES or (inflate and inflate.eof):
            break
    if pending:
        yield pending.decode("utf-8", errors="replace")


def read_header(file: StagedFile, fmt: FileFormat) -> str | None:
    """The file's '#Fields:' header line (None: it has none), read from its first bytes only, never the whole
    file. Raises zlib.error when the compressed stream is corrupt before the header ends."""
    return fmt.header_line(_head_lines(file, fmt.compression == "gzip"))
