"""Tests of the deterministic sample data generator (devdata)."""

from __future__ import annotations

import csv
import gzip
import io
import re
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, unquote

import boto3
import duckdb
import psycopg2
import pytest

from devdata import (
    AWS_ACCOUNT_ID,
    DIAGNOSTIC_LOCATION_ONE,
    DIAGNOSTIC_LOCATION_TWO,
    RELEASE_LOCATION,
    DirtOptions,
    LandingFile,
    LinePos,
    write_duckdb,
    write_files,
    write_postgres,
)
from devdata.bulk import bulk_logs
from devdata.generate import Dataset, generate, main

START, DAYS, SERVERS, SEED = date(2026, 11, 18), 3, 60, 7
CLOUDFRONT_NAME = re.compile(
    r"^(?:.*/)?(?P<dist>[A-Z0-9]+)\.(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})-(?P<h>\d{2})\.(?P<uid>[^.]+)\.gz$")
ALB_NAME = re.compile(
    r"^push_proxy/(?P<lb_prefix>us|test|de)/AWSLogs/(?P<acct>\d{12})/elasticloadbalancing/(?P<region>[a-z0-9-]+)/"
    r"(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/(?P=acct)_elasticloadbalancing_(?P=region)_app\.(?P<lb>[a-z0-9-]+)\."
    r"(?P<lbid>[0-9a-f]+)_(?P=y)(?P=m)(?P=d)T\d{4}Z_(?P<ip>[\d.]+)_(?P<random>[a-z0-9]+)\.log\.gz$")
ALB_TOKEN = re.compile(r'"[^"]*"|\S+')
SECURITY_KEYS = ["auc", "b", "be", "db", "id", "os", "tc", "uc", "ut"]


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return generate(START, DAYS, SERVERS, SEED)


def text(f: LandingFile) -> str:
    return (gzip.decompress(f.data) if f.key.endswith(".gz") else f.data).decode()


def files_under(ds: Dataset, prefix: str) -> list[LandingFile]:
    return [f for f in ds.files if f.key.startswith(prefix)]


def cloudfront_rows(ds: Dataset, prefix: str) -> list[tuple[LandingFile, int, list[str]]]:
    """(file, physical line number, fields) of every data line."""
    return [(f, n, line.split("\t")) for f in files_under(ds, prefix)
            for n, line in enumerate(text(f).splitlines(), start=1) if not line.startswith("#")]


def positions(items: list[LinePos]) -> set[tuple[str, int]]:
    return {(p.key, p.line) for p in items}


def test_same_seed_gives_identical_bytes_and_rows(dataset: Dataset) -> None:
    again = generate(START, DAYS, SERVERS, SEED)
    assert [(f.key, f.data, f.late) for f in again.files] == [(f.key, f.data, f.late) for f in dataset.files]
    assert [t.rows for t in again.segment + again.orgm] == [t.rows for t in dataset.segment + dataset.orgm]
    assert again.dirt == dataset.dirt
    other = generate(START, DAYS, SERVERS, SEED + 1)
    assert [f.data for f in other.files] != [f.data for f in dataset.files]


def test_every_source_is_present(dataset: Dataset) -> None:
    prefixes = {"/".join(f.key.split("/")[:2]) for f in dataset.files}
    assert {f"diagnostics/{DIAGNOSTIC_LOCATION_ONE}", f"diagnostics/{DIAGNOSTIC_LOCATION_TWO}",
            f"releases/{RELEASE_LOCATION}", "push_proxy/us", "push_proxy/test", "push_proxy/de"} <= prefixes
    assert {f.key for f in files_under(dataset, "licenses/")} == {
        f"licenses/{d}/licenses-{d}.csv" for d in (START + timedelta(days=i) for i in range(DAYS))}
    assert {f"{t.schema}.{t.name}" for t in dataset.segment} == {
        "mattermost2.server", "mattermost2.license", "mattermost2.activity", "mattermost_nps.nps_score",
        "mattermost_nps.nps_feedback"}
    assert {t.name for t in dataset.orgm} == {"account", "opportunity", "opportunitylineitem", "contact", "user",
                                              "task", "delete_history__c", "_trigger_log"}
    assert all(t.rows for t in dataset.segment + dataset.orgm)


@pytest.mark.parametrize("prefix", ["diagnostics/", "releases/"])
def test_cloudfront_names_headers_and_field_counts(dataset: Dataset, prefix: str) -> None:
    for f in files_under(dataset, prefix):
        name = CLOUDFRONT_NAME.match(f.key)
        assert name and f.key.split("/")[1] == name["dist"], f.key
        lines = text(f).splitlines()
        assert lines[0] == "#Version: 1.0" and lines[1].startswith("#Fields: date time x-edge-location ")
        assert len(lines[1].split()) - 1 in (26, 33)
    malformed, wide = positions(dataset.dirt.malformed_lines), positions(dataset.dirt.wide_lines)
    rows = cloudfront_rows(dataset, prefix)
    for f, n, fields in rows:
        name = CLOUDFRONT_NAME.match(f.key)
        assert fields[0] == f"{name['y']}-{name['m']}-{name['d']}" and fields[1][:2] == name["h"]
        expected = 33 if (f.key, n) in wide else 26
        assert (len(fields) == expected) != ((f.key, n) in malformed), (f.key, n, len(fields))
    assert {p for p in malformed if p[0].startswith(prefix)} and {p for p in wide if p[0].startswith(prefix)}


def test_security_checks(dataset: Dataset) -> None:
    dirt = dataset.dirt
    malformed, double = positions(dirt.malformed_lines), positions(dirt.double_encoded_lines)
    checks: Counter[tuple[str, str]] = Counter()
    for f, n, fields in cloudfront_rows(dataset, "diagnostics/"):
        if (f.key, n) in malformed:
            continue
        assert fields[7] == "/security" and fields[10] == "Go-http-client/1.1" and fields[12] == "-"
        query = fields[11]
        if (f.key, n) in double:
            assert "%253D" in query and "=" not in query
            query = unquote(unquote(query))
        params = dict(parse_qsl(query))
        assert list(params) == SECURITY_KEYS
        checks[(params["id"], fields[0])] += 1
        server = params["id"]
        assert ("_BUILD_NUMBER_" in params["b"]) == (server in dirt.dev_servers)
        assert (params["ut"] == "1") == (server in dirt.test_servers)
        assert (int(params["uc"]) < int(params["auc"])) == (server in dirt.uc_below_auc_servers)
    assert len(double) == 3 and len(dirt.dev_servers) == len(dirt.test_servers) == 2
    twice = {(s, d.isoformat()) for s, d in dirt.duplicate_pings}
    assert twice and {k for k, v in checks.items() if v == 2} == twice and max(checks.values()) == 2
    expected = sum(DAYS - s.first_day for s in dataset.world.servers) + len(twice)
    assert sum(checks.values()) == expected  # every server once a day from its first day, late files included


def test_release_downloads(dataset: Dataset) -> None:
    malformed, partial = positions(dataset.dirt.malformed_lines), positions(dataset.dirt.partial_downloads)
    statuses = Counter()
    for f, n, fields in cloudfront_rows(dataset, "releases/"):
        if (f.key, n) in malformed:
            continue
        uri, status, sent = fields[7], fields[8], int(fields[3])
        statuses[status] += 1
        assert re.match(r"^/(\d+\.\d+\.\d+/mattermost-|desktop/\d+\.\d+\.\d+/mattermost-desktop)", uri), uri
        if (f.key, n) in partial:
            assert status == "206" or fields[13] == "Error"
        elif status == "200":
            assert sent > 1_000_000
    assert statuses["200"] > statuses["206"] > 0 and statuses["404"] > 0
    assert len(partial) == 4 * DAYS


def test_push_proxy_logs(dataset: Dataset) -> None:
    malformed = positions(dataset.dirt.malformed_lines)
    statuses, paths = Counter(), Counter()
    for f in files_under(dataset, "push_proxy/"):
        name = ALB_NAME.match(f.key)
        assert name and name["acct"] == AWS_ACCOUNT_ID, f.key
        assert (name["lb_prefix"], name["region"], name["lb"]) in {
            ("us", "us-east-1", "push-proxy"), ("test", "us-east-1", "push-proxy-test"),
            ("de", "eu-central-1", "push-proxy-de")}
        for n, line in enumerate(text(f).splitlines(), start=1):
            fields = ALB_TOKEN.findall(line)
            assert (len(fields) == 25) != ((f.key, n) in malformed)
            assert fields[1].startswith(f"{name['y']}-{name['m']}-{name['d']}T")
            if len(fields) == 25:
                method, url, version = fields[12].strip('"').split(" ")
                assert method == "POST" and version == "HTTP/1.1"
                paths[url.rsplit(":443", 1)[1]] += 1
                statuses[fields[8][0]] += 1
                assert fields[13] == '"Go-http-client/1.1"' and fields[22:] == ['"forward"', '"-"', '"-"']
    assert set(paths) == {"/api/v1/send_push", "/api/v1/ack"}
    assert statuses["2"] > 5 * (statuses["4"] + statuses["5"]) > 0
    assert {p for p in malformed if p[0].startswith("push_proxy/")}


def test_license_exports(dataset: Dataset) -> None:
    previous: set[tuple[str, ...]] = set()
    for f in sorted(files_under(dataset, "licenses/"), key=lambda f: f.key):
        day = date.fromisoformat(f.key.split("/")[1])
        rows = {tuple(r) for r in csv.reader(io.StringIO(text(f)))}
        assert all(len(r) == 8 for r in rows) and previous <= rows
        end_ms = (datetime.combine(day + timedelta(days=1), datetime.min.time()) - datetime(1970, 1, 1)) \
            // timedelta(milliseconds=1)
        assert all(int(r[6]) < end_ms and int(r[6]) < int(r[7]) and len(r[5]) == 26 for r in rows)
        previous = rows
    assert any(r[1].endswith(" - Trial") for r in previous)
    licensed = {r[5] for r in previous}
    segment = next(t for t in dataset.segment if t.name == "license")
    assert {row[segment.column_names.index("license_id")] for row in segment.rows} <= licensed


def test_late_files(dataset: Dataset) -> None:
    late = [f for f in dataset.files if f.late]
    assert sorted(f.key for f in late) == sorted(dataset.dirt.late_files)
    per_location_day = Counter((m["dist"], m["d"]) for m in (CLOUDFRONT_NAME.match(f.key) for f in late))
    assert set(per_location_day.values()) == {1} and len(per_location_day) == 3 * DAYS


def test_segment_tables(dataset: Dataset) -> None:
    common = ["id", "user_id", "event", "event_text", "timestamp", "received_at", "sent_at", "original_timestamp",
              "context_library_version"]
    tables = {t.name: t for t in dataset.segment}
    for table in tables.values():
        assert table.column_names[:9] == common and len(set(table.column_names)) == len(table.columns)
        assert all(isinstance(row[4], datetime) and row[5] >= row[6] >= row[4] for row in table.rows)
    assert sum(c.startswith("feature_") for c in tables["license"].column_names) >= 5
    reporting = Counter((row[1], row[4].date()) for row in tables["server"].rows)
    assert not {s for s, _ in reporting} & set(dataset.dirt.tracking_disabled_servers)
    assert {k for k, v in reporting.items() if v == 2} == set(dataset.dirt.segment_duplicates)
    assert all(0 <= row[tables["nps_score"].column_names.index("score")] <= 10 for row in tables["nps_score"].rows)


def test_orgm_tables(dataset: Dataset) -> None:
    tables = {t.name: t for t in dataset.orgm}

    def rows(name: str) -> list[dict]:
        return [dict(zip(tables[name].column_names, row, strict=True)) for row in tables[name].rows]

    for name, table in tables.items():
        assert table.serial == "id" and [r["id"] for r in rows(name)] == list(range(1, len(table.rows) + 1))
        if name != "_trigger_log":
            assert {"sfid", "createddate", "systemmodstamp", "isdeleted", "_hc_lastop", "_hc_err"} <= set(
                table.column_names)
            sfids = [r["sfid"] for r in rows(name)]
            assert len(set(sfids)) == len(sfids) and all(len(s) == 18 for s in sfids)
    accounts = rows("account")
    assert any(a["parentid"] for a in accounts)
    opportunities = rows("opportunity")
    assert {(o["iswon"], o["isclosed"]) for o in opportunities} >= {(True, True), (False, True)}
    items = {i["sfid"]: i for i in rows("opportunitylineitem")}
    assert {i["product_type__c"] for i in items.values()} == {"Recurring", "Non-Recurring"}
    assert {"New", "Ren", "Expansion"} <= {i["product_line_type__c"] for i in items.values()}
    leap_days = {date(2024, 2, 29), date(2028, 2, 29)}
    crossing = [items[s] for s in dataset.dirt.leap_line_items]
    assert all(any(i["start_date__c"] <= d <= i["end_date__c"] for d in leap_days) for i in crossing)
    full_years = {d for i in crossing for d in leap_days
                  if i["start_date__c"] <= d <= i["end_date__c"] == i["start_date__c"] + timedelta(days=365)}
    assert full_years == leap_days  # one-year terms of 366 days across both leap days
    marketo = [t for t in rows("task") if t["createdbyid"] == dataset.dirt.marketo_user_sfid]
    assert marketo and len(marketo) < len(rows("task"))
    log = rows("_trigger_log")
    assert {r["state"] for r in log} >= {"NEW", "FAILED"}
    locked = [r["id"] for r in log if (r["sf_message"] or "").startswith("unable to obtain exclusive access")]
    assert locked == dataset.dirt.lock_failures and all(log[i - 1]["state"] == "FAILED" for i in locked)
    deleted = {(name, r["sfid"]) for name in tables if name != "_trigger_log" for r in rows(name) if r["isdeleted"]}
    assert deleted == set(dataset.dirt.deleted_rows) and deleted
    assert {s for _, s in deleted} < {r["object_id__c"] for r in rows("delete_history__c")}


def test_clean_data_has_no_dirt() -> None:
    clean = generate(START, 2, 30, SEED, DirtOptions.clean())
    dirt = clean.dirt
    assert not (dirt.dev_servers or dirt.test_servers or dirt.uc_below_auc_servers or dirt.duplicate_pings
                or dirt.malformed_lines or dirt.wide_lines or dirt.double_encoded_lines or dirt.late_files
                or dirt.partial_downloads or dirt.segment_duplicates)
    assert not any(f.late for f in clean.files)


def test_write_files_to_a_folder(dataset: Dataset, tmp_path: Path) -> None:
    on_time = [f for f in dataset.files if not f.late]
    assert write_files(on_time, str(tmp_path)) == len(on_time)
    landed = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()}
    assert landed == {f.key for f in on_time}
    late = [f for f in dataset.files if f.late]
    write_files(late, str(tmp_path))
    assert all((tmp_path / f.key).read_bytes() == f.data for f in dataset.files)


def test_write_files_to_s3(dataset: Dataset, s3_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"AWS_ENDPOINT_URL": s3_server, "AWS_ACCESS_KEY_ID": "testing",
                        "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="landing")
    chosen = [f for f in dataset.files if not f.late][:40] + [f for f in dataset.files if f.late][:5]
    write_files(chosen, "s3://landing/dev")
    keys = {o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket="landing")
            for o in page.get("Contents", [])}
    assert keys == {f"dev/{f.key}" for f in chosen}
    sample = chosen[-1]
    assert s3.get_object(Bucket="landing", Key=f"dev/{sample.key}")["Body"].read() == sample.data


def test_write_postgres(dataset: Dataset, postgres_dsn: str) -> None:
    write_postgres(dataset.orgm, postgres_dsn)
    write_postgres(dataset.orgm, postgres_dsn)  # drops and recreates: rerunnable
    with psycopg2.connect(postgres_dsn) as conn, conn.cursor() as cur:
        for table in dataset.orgm:
            cur.execute(f'SELECT count(*) FROM orgm."{table.name}"')
            assert cur.fetchone()[0] == len(table.rows)
        cur.execute("""SELECT table_name, column_name, data_type, numeric_precision, numeric_scale,
                              character_maximum_length
                       FROM information_schema.columns WHERE table_schema = 'orgm'""")
        types = {(t, c): rest for t, c, *rest in cur.fetchall()}
        assert types[("opportunitylineitem", "totalprice")] == ["numeric", 18, 2, None]
        assert types[("opportunity", "closedate")][0] == "date"
        assert types[("account", "systemmodstamp")][0] == "timestamp without time zone"
        assert types[("account", "sfid")] == ["character varying", None, None, 18]
        assert types[("contact", "isdeleted")][0] == "boolean"
        cur.execute("""INSERT INTO orgm."user" (sfid, lastname) VALUES ('005360000NEWUSER01', 'New')
                       RETURNING id""")
        assert cur.fetchone()[0] == len(next(t for t in dataset.orgm if t.name == "user").rows) + 1
        with pytest.raises(psycopg2.errors.UniqueViolation):
            cur.execute("""INSERT INTO orgm.account (sfid, name) SELECT sfid, 'copy' FROM orgm.account LIMIT 1""")
        conn.rollback()
        cur.execute("""SELECT count(*) FROM orgm._trigger_log
                       WHERE state = 'FAILED' AND sf_message LIKE 'unable to obtain exclusive access%'""")
        assert cur.fetchone()[0] == len(dataset.dirt.lock_failures)
    conn.close()


def test_write_duckdb(dataset: Dataset) -> None:
    with duckdb.connect() as con:
        con.execute("ATTACH ':memory:' AS raw")
        write_duckdb(dataset.segment + dataset.orgm, con)
        for table in dataset.segment + dataset.orgm:
            assert con.execute(f'SELECT count(*) FROM raw.{table.schema}."{table.name}"').fetchone()[0] == len(
                table.rows)
        types = dict(con.execute("SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = 'raw' "
                                 "AND schema_name = 'orgm' AND table_name = 'opportunitylineitem'").fetchall())
        assert types["totalprice"] == "DECIMAL(18,2)" and types["start_date__c"] == "DATE"
        server = next(t for t in dataset.segment if t.name == "server")
        first = con.execute('SELECT user_id, "timestamp" FROM raw.mattermost2.server ORDER BY rowid LIMIT 1').fetchone()
        assert first == (server.rows[0][1], server.rows[0][4])


def test_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse"
    main(["--landing", str(landing), "--start", "2026-11-18", "--days", "2", "--servers", "20", "--seed", "3",
          "--duckdb-dir", str(warehouse), "--skip-late"])
    out = capsys.readouterr().out
    assert "diagnostics:" in out and "orgm.opportunity:" in out
    expected = generate(date(2026, 11, 18), 2, 20, 3)
    assert {p.relative_to(landing).as_posix() for p in landing.rglob("*") if p.is_file()} == {
        f.key for f in expected.files if not f.late}
    with duckdb.connect(str(warehouse / "raw.duckdb")) as con:
        assert con.execute("SELECT count(*) FROM mattermost2.activity").fetchone()[0] == len(
            next(t for t in expected.segment if t.name == "activity").rows)


def test_bulk_logs(tmp_path: Path) -> None:
    stats = bulk_logs(str(tmp_path), 3_000_000, START, days=2, file_bytes=400_000, pool_lines=100)
    assert stats.raw_bytes >= 3_000_000 and stats.files == len(list(tmp_path.rglob("*.gz")))
    for path in tmp_path.rglob("*.gz"):
        key = path.relative_to(tmp_path).as_posix()
        lines = gzip.decompress(path.read_bytes()).decode().splitlines()
        if key.startswith("push_proxy/"):
            assert ALB_NAME.match(key) and all(len(ALB_TOKEN.findall(line)) == 25 for line in lines)
        else:
            name = CLOUDFRONT_NAME.match(key)
            assert name and lines[0] == "#Version: 1.0"
            assert all(len(f) == 26 and f[0] == f"{name['y']}-{name['m']}-{name['d']}" and f[1][:2] == name["h"]
                       for f in (line.split("\t") for line in lines[2:]))

