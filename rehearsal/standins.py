"""The services production has around the pipeline, stood in for on this machine, each on 127.0.0.1 where the
containers (host network) reach it: moto's S3 server, a real PostgreSQL on TCP (Heroku Connect's database, with a
trigger for Heroku Connect's round trip to Salesforce), and an HTTP receiver for the Mattermost webhook. Each service
is a context manager that stops what it started."""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pgserver
import psycopg2

from config.settings import replication
from tasks.publish.report.message import TITLE

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, proc: subprocess.Popen, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection((HOST, port), timeout=1).close()
            return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not start on {HOST}:{port}") from None
            time.sleep(0.1)


@contextlib.contextmanager
def s3(buckets: list[str]) -> Iterator[str]:
    """moto's S3 server with the buckets created; yields its endpoint URL."""
    port = free_port()
    server = Path(sys.executable).parent / "moto_server"
    with subprocess.Popen([server, "-H", HOST, "-p", str(port)], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL) as proc:  # fmt: skip
        try:
            _wait_for_port(port, proc, "moto's S3 server")
            url = f"http://{HOST}:{port}"
            client = boto3.client("s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id="rehearsal",
                                  aws_secret_access_key="rehearsal")  # fmt: skip
            for bucket in buckets:
                client.create_bucket(Bucket=bucket)
            yield url
        finally:
            proc.terminate()


@contextlib.contextmanager
def postgres(folder: Path) -> Iterator[str]:
    """pgserver's bundled PostgreSQL, restarted to listen on a TCP port as Heroku's does (pgserver alone listens
    on a socket in its data folder, which the containers' user may not enter); yields its DSN."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.parent.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(folder, cleanup_mode=None)
    port = free_port()
    options = ["-w", "-o", f"-h {HOST} -p {port} -k ''", "-l", str(folder / "log"), "restart"]
    pgserver.pg_ctl(options, pgdata=folder, user=server.system_user)
    try:
        yield f"postgresql://postgres@{HOST}:{port}/postgres"
    finally:
        pgserver.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=folder, user=server.system_user)


def heroku_connect(dsn: str) -> None:
    """What Heroku Connect does to a row updated in its database (the write-back's post-process, a user's edit): it
    sends the change to Salesforce and writes back Salesforce's new SystemModstamp, so the replication copies the
    row at its next run. A trigger stands in for the round trip: the row's modstamp becomes newer than any other of
    its table (the sample's clock, not this machine's)."""
    cfg = replication()
    con = psycopg2.connect(dsn)
    try:
        with con, con.cursor() as cur:
            cur.execute(f"""
                CREATE OR REPLACE FUNCTION {cfg.source_schema}.rehearsal_salesforce_round_trip() RETURNS trigger AS $$
                BEGIN
                    IF NEW.{cfg.replication_key} IS NOT DISTINCT FROM OLD.{cfg.replication_key} THEN
                        EXECUTE format('SELECT max({cfg.replication_key}) + interval ''1 second'' FROM %I.%I',
                                       TG_TABLE_SCHEMA, TG_TABLE_NAME) INTO NEW.{cfg.replication_key};
                    END IF;
                    RETURN NEW;
                END $$ LANGUAGE plpgsql""")  # fmt: skip
            function = f"{cfg.source_schema}.rehearsal_salesforce_round_trip"
            for table in cfg.tables:
                cur.execute(
                    f"CREATE TRIGGER rehearsal_salesforce_round_trip BEFORE UPDATE ON "
                    f'{cfg.source_schema}."{table}" FOR EACH ROW EXECUTE FUNCTION {function}()'
                )
    finally:
        con.close()


@dataclass
class Webhook:
    """The posts the receiver got: JSON bodies, in order."""

    url: str
    posts: list[dict[str, Any]] = field(default_factory=list)

    def digests(self) -> list[str]:
        """The metrics digests among the posts (alerts are the others)."""
        return [p["text"] for p in self.posts if p.get("text", "").startswith(f"**{TITLE} for ")]


@contextlib.contextmanager
def webhook() -> Iterator[Webhook]:
    """An incoming-webhook receiver answering as Mattermost does (200, body "ok")."""
    received = Webhook("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.posts.append(json.loads(body))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:  # the rehearsal prints its own summary
            pass

    server = ThreadingHTTPServer((HOST, 0), Handler)
    received.url = f"http://{HOST}:{server.server_address[1]}/hooks/rehearsal"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield received
    finally:
        server.shutdown()
        server.server_close()
