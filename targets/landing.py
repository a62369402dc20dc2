"""The landing zone: list and fetch source files from S3 (boto3) or a local folder.

DuckDB's httpfs extension cannot be installed offline, so S3 is read through boto3 and files are
handed to DuckDB's readers locally.
"""

from __future__ import annotations

import glob
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlparse

from config.settings import landing
from targets.formats import CopySpec, StagedFile


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


def list_files(spec: CopySpec) -> list[StagedFile]:
    """Files under the spec's stage path (a folder, or a folder and the start of the file names: a listing of
    one day rather than of a distribution's whole history) whose stage-relative path matches its pattern, sorted."""
    base = join(spec.stage_url, spec.path)
    found: list[StagedFile] = []
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
    else:
        root = Path(spec.stage_url)
        start = Path(base)
        candidates = start.rglob("*") if start.is_dir() else start.parent.glob(glob.escape(start.name) + "*")
        for p in candidates:
            rel = p.relative_to(root).as_posix()
            if p.is_file() and spec.matches(rel):
                found.append(StagedFile(rel, str(p), p.stat().st_size))
    return sorted(found, key=lambda f: f.path)


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
