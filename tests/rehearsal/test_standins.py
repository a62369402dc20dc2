"""The stand-ins for production's services, reached as the containers reach them: over TCP on 127.0.0.1."""

from __future__ import annotations

import tempfile
from pathlib import Path

import boto3
import psycopg2
import requests

from config import secrets
from rehearsal import secret, standins
from tests.conftest import pg_query


def test_postgres_listens_on_tcp_as_herokus_does() -> None:
    folder = Path(tempfile.mkdtemp(prefix="bizops-rehearsal-pg-")) / "pg"  # pytest's tmp is 0700: see conftest
    with standins.postgres(folder) as dsn:
        params = psycopg2.extensions.parse_dsn(dsn)
        assert params["host"] == "127.0.0.1" and int(params["port"]) > 0
        assert pg_query(dsn, "SELECT inet_server_addr()::text")[0][0] == "127.0.0.1/32"


def test_s3_has_the_buckets_and_the_webhook_tells_digests_from_alerts() -> None:
    with standins.s3(["bizops-landing", "bizops-reports"]) as url:
        client = boto3.client("s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id="x",
                              aws_secret_access_key="x")  # fmt: skip
        assert {b["Name"] for b in client.list_buckets()["Buckets"]} == {"bizops-landing", "bizops-reports"}
    with standins.webhook() as hook:
        for text in ("**Metrics digest for Sat, Dec 5, 2026** (UTC)\nTotal ARR", ":red_circle: **Luigi run** failed"):
            answer = requests.post(hook.url, json={"text": text}, timeout=10)
            assert answer.status_code == 200 and answer.text == "ok"
        assert len(hook.posts) == 2 and hook.digests() == [hook.posts[0]["text"]]


def test_the_secret_file_has_a_value_for_every_key_a_pod_requires(tmp_path: Path) -> None:
    path = tmp_path / "secret.yaml"
    secret.write(path, secret.values("postgresql://postgres@127.0.0.1:5432/postgres", "http://127.0.0.1:1/hooks/x"))
    assert path.stat().st_mode & 0o777 == 0o600
    (data,) = secret.read(path).values()
    assert {s.key for s in secrets.REGISTRY if not s.optional} <= set(data)
    assert data["heroku-postgresql-url"].startswith("postgresql://postgres@127.0.0.1")
