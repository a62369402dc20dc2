"""Shared fixtures: real components only - a DuckDB warehouse in a temp folder, moto's S3 server over
HTTP, a real PostgreSQL (pgserver), with Luigi's configuration pointed at them per test."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import luigi
import pytest

from config import secrets
from targets import markers, warehouse

ROOT = Path(__file__).resolve().parents[1]
LOCATIONS = {
    "DIAGNOSTIC_LOCATION_ONE": "ESECCHECKONE01",
    "DIAGNOSTIC_LOCATION_TWO": "ESECCHECKTWO02",
    "RELEASE_LOCATION": "ERELEASES00001",
    "AWS_ACCOUNT_ID": "111122223333",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Settings:
    """Set luigi.cfg values for one test; everything is restored afterwards."""

    def __init__(self) -> None:
        self.config = luigi.configuration.get_config()
        self.saved: list[tuple[str, str, str | None]] = []

    def set(self, section: str, option: str, value: object) -> None:
        old = self.config.get(section, option, None)
        self.saved.append((section, option, old))
        self.config.set(section, option, str(value))

    def restore(self) -> None:
        for section, option, old in reversed(self.saved):
            if old is None:
                self.config.remove_option(section, option)
            else:
                self.config.set(section, option, old)


def wait_until_up(proc: subprocess.Popen, probe: Callable[[], object], what: str, timeout: float = 30) -> None:
    """Poll ``probe`` until it stops raising OSError; fail (killing the process) if it dies or times out."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            probe()
            return
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError(f"{what} did not start") from None
            time.sleep(0.1)


@pytest.fixture
def settings() -> Iterator[Settings]:
    s = Settings()
    yield s
    s.restore()


@pytest.fixture
def env(tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh embedded warehouse and local landing folder, with the source locations set."""
    settings.set("warehouse", "duckdb_dir", tmp_path / "warehouse")
    settings.set("landing", "url", tmp_path / "landing")
    for name, value in LOCATIONS.items():
        monkeypatch.setenv(name, value)
    markers.forget_snapshots()
    warehouse.STATS.clear()
    yield tmp_path
    markers.forget_snapshots()


@pytest.fixture
def snowflake(env: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The Snowflake backend through the real connector on fakesnow (patch mode), database RAW created."""
    import fakesnow

    settings.set("warehouse", "backend", "snowflake")
    for name in ("SNOWFLAKE_ACCOUNT", "SNOWFLAKE_LOAD_USER", "SNOWFLAKE_LOAD_PASSWORD", "SNOWFLAKE_TRANSFORM_USER",
                 "SNOWFLAKE_TRANSFORM_PASSWORD", *(s.env for s in secrets.needed("ApplyPermissions", "snowflake"))):
        monkeypatch.setenv(name, f"dummy-{name.lower()}")
    with fakesnow.patch():
        with warehouse.connect("setup") as s:
            s.execute("CREATE DATABASE IF NOT EXISTS raw")
        yield


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    """moto's S3 server over HTTP on a free loopback port."""
    port = free_port()
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    wait_until_up(proc, lambda: socket.create_connection(("127.0.0.1", port), timeout=1).close(), "moto_server")
    yield url
    proc.terminate()
    proc.wait(10)


@pytest.fixture
def s3(s3_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh bucket on the moto server; returns its s3:// landing url."""
    import boto3

    from targets import landing

    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_server)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    landing._s3.cache_clear()
    bucket = f"landing-{os.getpid()}-{time.monotonic_ns()}"
    boto3.client("s3", endpoint_url=s3_server).create_bucket(Bucket=bucket)
    yield f"s3://{bucket}/bizops"
    landing._s3.cache_clear()


@pytest.fixture(scope="session")
def postgres_dsn() -> Iterator[str]:
    """A real PostgreSQL server (pgserver's bundled build), for the whole session. Its folder is not under
    pytest's tmp: as root, pgserver runs postgres as another user, and pytest resets its tmp to 0700."""
    import pgserver

    server = pgserver.get_server(tempfile.mkdtemp(prefix="bizops-pg-"), cleanup_mode="delete")
    yield server.get_uri()
    server.cleanup()


def pg_query(dsn: str, sql: str, params: Any = None) -> list[tuple]:
    """One statement on its own autocommit connection; its rows, if it returns any."""
    import psycopg2

    con = psycopg2.connect(dsn)
    con.autocommit = True
    try:
        with con.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall() if cur.description else []
    finally:
        con.close()


def create_database(server_dsn: str, dbname: str) -> str:
    """A fresh, empty database on the server; returns its DSN."""
    import psycopg2

    pg_query(server_dsn, f'DROP DATABASE IF EXISTS "{dbname}"')
    pg_query(server_dsn, f'CREATE DATABASE "{dbname}"')
    return psycopg2.extensions.make_dsn(server_dsn, dbname=dbname)


@pytest.fixture(scope="module")
def pg_db(postgres_dsn: str, request: pytest.FixtureRequest) -> str:
    """A fresh database for the test module."""
    return create_database(postgres_dsn, request.module.__name__.rsplit(".", 1)[-1])


@contextlib.contextmanager
def sample_warehouse(
    tmp: Path, pg_dsn: str, first: date, days: int, servers: int, seed: int, **options: object
) -> Iterator[Any]:
    """For module fixtures: a copy of the dbt project and a fresh warehouse under ``tmp``, luigi.cfg pointed at
    them (plus ``options``: {"section.option": value}), the generator's data landed, its Salesforce tables in
    the PostgreSQL at ``pg_dsn`` (replicated by the pipeline) and Segment's in the warehouse. Yields the Dataset."""
    from devdata.generate import generate
    from devdata.writers import write_duckdb, write_files, write_postgres
    from tasks.transform import manifest

    settings, env = Settings(), pytest.MonkeyPatch()
    shutil.copytree(ROOT / "dbt", tmp / "dbt", ignore=shutil.ignore_patterns("target", "logs"))
    values = {"warehouse.duckdb_dir": tmp / "warehouse", "landing.url": tmp / "landing", "dbt.project_dir": tmp / "dbt",
              "loading.max_reject_share": 0.2, **options}  # fmt: skip
    for key, value in values.items():
        settings.set(*key.split("."), value)
    for name, value in {**LOCATIONS, "HEROKU_POSTGRESQL_URL": pg_dsn}.items():
        env.setenv(name, value)
    env.delenv("MATTERMOST_WEBHOOK_URL", raising=False)
    manifest.load.cache_clear()
    markers.forget_snapshots()
    dataset = generate(first, days, servers, seed=seed)
    write_files(dataset.files, str(tmp / "landing"))
    write_postgres(dataset.orgm, pg_dsn)
    (tmp / "warehouse").mkdir()
    with duckdb.connect() as con:  # Segment writes into the warehouse itself
        con.execute("ATTACH ? AS raw", [str(tmp / "warehouse" / "raw.duckdb")])
        write_duckdb(dataset.segment, con)
    try:
        yield dataset
    finally:
        env.undo()
        settings.restore()
        manifest.load.cache_clear()
        markers.forget_snapshots()
