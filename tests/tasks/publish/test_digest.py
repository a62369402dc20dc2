"""The metrics digest (tasks.publish.digest) and its report (tasks.publish.report: metrics, charts, HTML), end to
end on real components: an embedded warehouse built through Luigi (loads and dbt) from the generator's data, a
real HTTP server on 127.0.0.1 as Mattermost's incoming webhook, moto's S3 server over HTTP as the bucket the
reports are published to, and the report rendered by a real headless Chromium.

Expected values are computed here from the generated data by the marts' rules (ARR from the
Salesforce rows, active servers from the security-check lines, downloads and pushes from the log files),
never read back from the warehouse. The module's tests share one warehouse and run in file order; the last
one makes sources stale.
"""

from __future__ import annotations

import calendar
import contextlib
import dataclasses
import gzip
import json
import re
import shutil
import statistics
import struct
import subprocess
import threading
import time
import zlib
from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote

import boto3
import luigi
import pytest

from devdata.generate import Dataset
from ops import commands
from targets.markers.snapshots import SNAPSHOTS
from targets.markers.target import MarkerTarget
from targets.warehouse.connect import connect
from tasks.extract.sources import LoadSecurityCheckLogs
from tasks.publish.digest import POSTED, DigestError, PostMetricsDigest
from tasks.publish.report import html, metrics
from tasks.transform import dbt as dbt_tasks
from tests.conftest import build, missing, sample_warehouse

END = date.today() - timedelta(days=3)  # settled days: no provisional loads
DAYS = 14  # two weeks, so the 7-day figures have a previous week
SERVERS = 150  # 15 customers
SEED = 7
MONTH = END.replace(day=1)


# -- the webhook ---------------------------------------------------------------------------------------------


class Webhook(ThreadingHTTPServer):
    """Mattermost's incoming webhook as far as a client sees it: JSON in, 200 "ok" out (or ``status``)."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Hook)
        self.status = 200
        self.delay = 0.0  # seconds between receiving a post and answering it (a slow server)
        self.requests: list[tuple[int, dict]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}/hooks/digest"

    def digests(self) -> list[str]:
        """Texts of the digests it accepted."""
        return [body["text"] for status, body in self.requests if status == 200 and "Metrics digest" in body["text"]]


class _Hook(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append((self.server.status, body))
        time.sleep(self.server.delay)
        with contextlib.suppress(OSError):  # a client that timed out has closed the connection
            self.send_response(self.server.status)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


# -- the warehouse -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory, pg_db):
    """Two weeks of settled days loaded and every dbt node built through Luigi; a webhook server running."""
    tmp = tmp_path_factory.mktemp("report")
    options = {"report.folder": tmp / "reports", "alerts.retries": 0}
    with sample_warehouse(tmp, pg_db, END - timedelta(days=DAYS - 1), DAYS, SERVERS, SEED, **options) as ds:
        result = build(dbt_tasks.DbtBuild(selection="all", end=END, days=DAYS), detailed_summary=True)
        assert result.status.name == "SUCCESS", result.summary_text
        hook = Webhook()
        threading.Thread(target=hook.serve_forever, daemon=True).start()
        yield {"dataset": ds, "dir": tmp, "hook": hook}
        hook.shutdown()
        hook.server_close()


def run_digest(day: date = END, days: int = DAYS) -> luigi.execution_summary.LuigiRunResult:
    luigi.task_register.Register.clear_instance_cache()
    return build(PostMetricsDigest(date=day, days=days), detailed_summary=True)


def table(text: str) -> dict[str, list[str]]:
    """Metric -> [value, previous period, change] from the digest's Markdown table."""
    rows = [line.strip("|").split(" | ") for line in text.splitlines() if line.startswith("| ")]
    return {cells[0].strip(): [c.strip() for c in cells[1:]] for cells in rows[1:]}


def money(value: int, signed: bool = False) -> str:
    return f"{'-' if value < 0 else '+' if signed and value > 0 else ''}${abs(value):,}"


def short(d: date) -> str:
    return f"{d:%b} {d.day}"


# -- expected values, from the generated data ----------------------------------------------------------------


def lines(ds: Dataset, prefix: str) -> list[str]:
    out = []
    for f in ds.files:
        if f.key.startswith(prefix):
            out += [line for line in gzip.decompress(f.data).decode().splitlines() if not line.startswith("#")]
    return out


def arr_by_master(ds: Dataset) -> dict[str, list[tuple[date, date, int]]]:
    """won Recurring line items with end > start; each day of the term earns
    round(365 * totalprice / (term days - crosses 29 Feb)); accounts roll up to their parent (master)."""
    rows = {t.name: [dict(zip(t.column_names, r, strict=True)) for r in t.rows] for t in ds.orgm}
    gone = {r["object_id__c"] for r in rows["delete_history__c"] if not r["isdeleted"]}

    def live(r: dict) -> bool:
        return not r["isdeleted"] and r["sfid"] not in gone

    accounts = {r["sfid"]: r for r in rows["account"] if live(r)}
    won = {r["sfid"]: r for r in rows["opportunity"] if live(r) and r["iswon"] and r["accountid"] in accounts}
    terms: dict[str, list[tuple[date, date, int]]] = defaultdict(list)
    for item in rows["opportunitylineitem"]:
        start, end = item["start_date__c"], item["end_date__c"]
        if not (live(item) and item["opportunityid"] in won and item["product_type__c"] == "Recurring" and end > start):
            continue
        account = accounts[won[item["opportunityid"]]["accountid"]]
        master = account["parentid"] if account["parentid"] in accounts else account["sfid"]
        leap = any(calendar.isleap(y) and start <= date(y, 2, 29) <= end for y in range(start.year, end.year + 1))
        daily = (365 * item["totalprice"] / ((end - start).days + 1 - leap)).quantize(Decimal(1), ROUND_HALF_UP)
        terms[master].append((start, end, int(daily)))
    return terms


def arr_on(items: list[tuple[date, date, int]], day: date) -> int:
    return sum(arr for start, end, arr in items if start <= day <= end)


def expected_movement(ds: Dataset, first: date, last: date) -> dict[str, tuple[int, int]]:
    """over [first, last] (first = a month's first day): New when it holds the account's first day with ARR,
    whatever the change; otherwise the class of the change."""
    terms = arr_by_master(ds)
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for items in terms.values():
        starting, ending = arr_on(items, first - timedelta(days=1)), arr_on(items, last)
        delta = ending - starting
        first_arr_day = min((start for start, _, arr in items if arr), default=None)
        if first_arr_day is not None and first <= first_arr_day <= last:
            kind = "New"
        elif delta > 0:
            kind = "Expansion" if starting else "Resurrection"
        elif delta < 0:
            kind = "Contraction" if ending else "Churn"
        else:
            continue
        out[kind][0] += delta
        out[kind][1] += 1
    return {k: (v[0], v[1]) for k, v in out.items()}


RELEASE_VERSION = re.compile(r"[0-9]+(\.[0-9]+){5,}")  # a release's build in server_security_details


def expected_active(ds: Dataset, last: date) -> tuple[int, int]:
    """filters on each check; servers with a check in the 7 days to ``last``, and the sum of each one's
    highest daily active-user count in them."""
    users: dict[str, int] = {}
    for line in lines(ds, "diagnostics/"):
        fields = line.split("\t")
        if len(fields) < 26 or fields[7] != "/security":
            continue  # a malformed line is rejected by the load
        day = date.fromisoformat(fields[0])
        query = {k: v[0] for k, v in parse_qs(unquote(fields[11])).items()}  # decoded once, then parsed
        auc, uc = int(query.get("auc", 0)), int(query.get("uc", 0))
        if (
            not query.get("id")
            or "_BUILD_NUMBER_" in query["b"]
            or query["ut"] == "1"
            or not RELEASE_VERSION.fullmatch(query["b"])
            or uc < auc
            or not last - timedelta(days=6) <= day <= last
        ):
            continue  # fmt: skip
        users[query["id"]] = max(users.get(query["id"], 0), auc)
    return len(users), sum(users.values())


SERVER_URI = re.compile(r"^/[1-9][0-9]{0,2}[.][0-9]{1,3}[.][0-9]{1,3}/")
DESKTOP_URI = re.compile(r"^/desktop/[0-9]+[.][0-9]+[.][0-9]+/")


def expected_downloads(ds: Dataset) -> dict[tuple[str, date], int]:
    """2xx, over 1 MB, a server or desktop URI, within one standard deviation of its URI's mean size."""
    found: dict[str, tuple[date, str, int]] = {}
    for line in lines(ds, "releases/"):
        fields = line.split("\t")
        if len(fields) < 26:
            continue
        uri, sent = fields[7], int(fields[3])
        if fields[8].startswith("2") and sent > 1_000_000 and (SERVER_URI.search(uri) or DESKTOP_URI.search(uri)):
            found[fields[14]] = (date.fromisoformat(fields[0]), uri, sent)  # one per request id
    sizes: dict[str, list[int]] = defaultdict(list)
    for _, uri, sent in found.values():
        sizes[uri].append(sent)
    counts: dict[tuple[str, date], int] = defaultdict(int)
    for day, uri, sent in found.values():
        spread = statistics.stdev(sizes[uri]) if len(sizes[uri]) > 1 else None
        if spread is None or abs(sent - statistics.mean(sizes[uri])) <= spread:
            product = ("team" if "team" in uri.lower() else "enterprise") if SERVER_URI.search(uri) else "desktop"
            counts[(product, day)] += 1
    return counts


def expected_pushes(ds: Dataset) -> dict[date, int]:
    """POSTs to .../api/v1/send_push answered 200 by the load balancer, every region."""
    counts: dict[date, int] = defaultdict(int)
    for line in lines(ds, "push_proxy/"):
        fields = re.findall(r'"[^"]*"|\S+', line)
        if len(fields) < 25:
            continue
        method, url, _ = fields[12].strip('"').split(" ")
        if method == "POST" and fields[8] == "200" and url.endswith("/api/v1/send_push"):
            counts[date.fromisoformat(fields[1][:10])] += 1
    return counts


# -- posting once ------------------------------------------------------------------------------------------


def test_without_a_webhook_url_the_report_is_written_and_not_posted_is_recorded(built, monkeypatch):
    monkeypatch.delenv("MATTERMOST_WEBHOOK_URL", raising=False)
    result = run_digest()
    assert result.status.name == "SUCCESS", result.summary_text
    task = PostMetricsDigest(date=END, days=DAYS)
    assert task.report_path().exists() and built["hook"].requests == []
    assert task.output().marker().row_count == 0  # recorded: not posted
    assert task.complete()  # posting is off: nothing left to do
    monkeypatch.setenv("MATTERMOST_WEBHOOK_URL", built["hook"].url)
    assert not task.complete()  # with a URL, the day's digest is still to be posted


def test_the_digest_is_posted_once_with_the_values_of_the_data(built, monkeypatch):
    hook, ds = built["hook"], built["dataset"]
    monkeypatch.setenv("MATTERMOST_WEBHOOK_URL", hook.url)
    assert run_digest().status.name == "SUCCESS"
    assert run_digest().status.name == "SUCCESS"  # complete: nothing runs
    PostMetricsDigest(date=END, days=DAYS).run()  # even run directly, it only rewrites the report
    assert len(hook.digests()) == 1
    text = hook.digests()[0]
    assert text.startswith(f"**Metrics digest for {END:%a, %b} {END.day}, {END.year}**")
    assert set(re.findall(r"\*+", text)) == {"**"}  # Mattermost's bold, never Slack's single star
    rows = table(text)
    before, month_before, week_before = END - timedelta(days=1), MONTH - timedelta(days=1), END - timedelta(days=7)

    terms = arr_by_master(ds)
    arr = {d: sum(arr_on(items, d) for items in terms.values()) for d in (END, before, month_before)}
    assert rows["Total ARR (day)"][:2] == [money(arr[END]), f"{money(arr[before])} ({short(before)})"]
    assert rows["Total ARR (month)"][:2] == [money(arr[END]), f"{money(arr[month_before])} ({short(month_before)})"]
    this = expected_movement(ds, MONTH, END)
    for kind in metrics.MOVEMENTS:
        amount, count = this.get(kind, (0, 0))
        value = rows[f"{kind} ARR, {short(MONTH)}–{END.day}"][0]
        assert value == money(amount, signed=True) + (f" ({count} account{'s' * (count != 1)})" if count else "")

    (servers, users), previous = expected_active(ds, END), expected_active(ds, week_before)
    weeks = f"({short(week_before - timedelta(days=6))}–{week_before.day})"
    assert rows["Active servers (7-day)"][:2] == [str(servers), f"{previous[0]} {weeks}"]
    assert rows["Active users (7-day)"][:2] == [f"{users:,}", f"{previous[1]:,} {weeks}"]

    downloads = expected_downloads(ds)
    for product, label in metrics.PRODUCTS.items():
        now, then = downloads[(product, END)], downloads[(product, before)]
        assert rows[f"Downloads: {label}"][:2] == [str(now), f"{then} ({short(before)})"]
    pushes = expected_pushes(ds)
    assert rows["Push notifications sent"][:2] == [f"{pushes[END]:,}", f"{pushes[before]:,} ({short(before)})"]
    assert "stale" not in text
    assert f"metrics-{END}.html" in text


def test_monthly_arr_movement_in_the_report_follows_the_classification(built):
    with connect("test", "transformer") as s:
        found = metrics.collect(s, END)
        month = MONTH
        for _ in range(24):  # a month to its last day is the mart's month
            month = (month - timedelta(days=1)).replace(day=1)
            last = month.replace(day=calendar.monthrange(month.year, month.month)[1])
            assert metrics.movement(s, month, last) == expected_movement(built["dataset"], month, last), month
    for month, kinds in found.movement.items():
        last = min(END, month.replace(day=calendar.monthrange(month.year, month.month)[1]))
        assert kinds == {k: v for k, (v, _) in expected_movement(built["dataset"], month, last).items()}, month
    assert any(found.movement.values())


def test_the_month_to_date_movement_on_a_months_last_day_is_the_monthly_mart(built):
    columns = "master_account_sfid, month, month_starting_arr, month_ending_arr, total_arr_delta, arr_change_type"
    with connect("test", "transformer") as s:
        month_ends = s.execute(
            f"SELECT {columns} FROM {metrics.ARR_MONTH_TO_DATE} AS movement "
            f"JOIN {metrics.DATES} AS dates ON dates.date_day = movement.day WHERE dates.month_end = movement.day"
        )
        monthly = s.execute(f"SELECT {columns} FROM {metrics.ARR_MONTHLY}")
    assert len(month_ends) == len(monthly) > 0
    assert set(month_ends) == set(monthly)


def test_a_failed_post_is_retried_by_the_next_run(built, monkeypatch):
    hook = built["hook"]
    monkeypatch.setenv("MATTERMOST_WEBHOOK_URL", hook.url)
    day, task = END - timedelta(days=1), PostMetricsDigest(date=END - timedelta(days=1), days=DAYS - 1)
    hook.status = 503
    try:
        with pytest.raises(DigestError, match="did not accept"):
            task.run()
    finally:
        hook.status = 200
    assert run_digest(day, DAYS - 1).status.name == "SUCCESS"
    assert [t for t in hook.digests() if f"{day.day}, {day.year}**" in t.splitlines()[0]]
    SNAPSHOTS.clear()
    assert task.output().marker().row_count == POSTED


def test_a_run_that_stopped_between_post_and_record_never_posts_twice(built, monkeypatch):
    hook = built["hook"]
    monkeypatch.setenv("MATTERMOST_WEBHOOK_URL", hook.url)
    day = END - timedelta(days=2)
    task = PostMetricsDigest(date=day, days=DAYS - 2)
    claim = MarkerTarget(task._claim_id(), task.target_table)
    with connect("test") as s, s.transaction():  # what a run leaves when it dies right after posting
        claim.write(s, None)
    posted = len(hook.digests())
    with pytest.raises(DigestError, match=r"may already be posted.*ops invalidate PostMetricsDigest"):
        task.run()
    assert len(hook.digests()) == posted
    commands.invalidate([task], confirm=False)  # the digest is not in the channel: post it
    assert run_digest(day, DAYS - 2).status.name == "SUCCESS"
    assert len(hook.digests()) == posted + 1


def test_a_post_that_may_have_arrived_is_never_sent_again(built, monkeypatch, settings):
    hook = built["hook"]
    monkeypatch.setenv("MATTERMOST_WEBHOOK_URL", hook.url)
    settings.set("alerts", "retries", 2)  # as in production: a failure alert is retried after a timeout
    settings.set("alerts", "timeout_seconds", 0.5)
    day, days = END - timedelta(days=5), DAYS - 5
    task = PostMetricsDigest(date=day, days=days)
    hook.delay = 2.0  # Mattermost receives the digest, and answers after the client gave up
    try:
        with pytest.raises(DigestError, match=r"did not answer .* ops invalidate PostMetricsDigest --start"):
            task.run()
    finally:
        hook.delay = 0.0
    assert len(digests_of(hook, day)) == 1  # received once, not once per retry
    assert run_digest(day, days).status.name == "FAILED"  # nor by the next run: it may be in the channel
    assert len(digests_of(hook, day)) == 1
    commands.invalidate([task], confirm=False)  # someone checked: it is not there
    assert run_digest(day, days).status.name == "SUCCESS"
    assert len(digests_of(hook, day)) == 2


# -- the report published to S3 (moto's server over HTTP) --------------------------------------------------


def digests_of(hook: Webhook, day: date) -> list[str]:
    return [t for t in hook.digests() if f"{day:%b} {day.day}, {day.year}**" in t.splitlines()[0]]


def published(s3_server: str, url: str) -> dict:
    """The object at an s3:// URL on the moto server (raises NoSuchKey/NoSuchBucket when it is not there)."""
    bucket, key = url.removeprefix("s3://").split("/", 1)
    return boto3.client("s3", endpoint_url=s3_server).get_object(Bucket=bucket, Key=key)


def test_the_report_is_published_to_s3_and_the_digest_links_there(
    built, s3, s3_server, settings, monkeypatch, tmp_path
):
    hook = built["hook"]
    monkeypatch.setenv("MATTERMOST_WEBHOOK_URL", hook.url)
    folder = tmp_path / "tmp" / "reports"  # a pod's /tmp volume starts empty
    settings.set("report", "folder", folder)
    settings.set("report", "s3_url", s3)
    settings.set("report", "url", "https://reports.example.com/metrics/")
    day, days = END - timedelta(days=3), DAYS - 3
    name, task = f"metrics-{day}.html", PostMetricsDigest(date=day, days=days)
    assert run_digest(day, days).status.name == "SUCCESS"
    report = published(s3_server, f"{s3}/{name}")
    assert report["ContentType"] == "text/html; charset=utf-8"
    assert report["Body"].read() == (folder / name).read_bytes()
    [digest] = digests_of(hook, day)
    assert digest.endswith(f"Charts: [{name}](https://reports.example.com/metrics/{name})")

    (folder / name).unlink()  # gone with the pod: the published report is what counts
    SNAPSHOTS.clear()
    assert task.complete()
    bucket, prefix = s3.removeprefix("s3://").split("/", 1)
    boto3.client("s3", endpoint_url=s3_server).delete_object(Bucket=bucket, Key=f"{prefix}/{name}")
    assert not task.complete()
    assert run_digest(day, days).status.name == "SUCCESS"  # published again, not posted again
    assert published(s3_server, f"{s3}/{name}")["Body"].read() == (folder / name).read_bytes()
    assert len(digests_of(hook, day)) == 1


def test_a_failed_upload_fails_naming_the_key_and_the_next_run_uploads_without_posting_again(
    built, s3, s3_server, settings, monkeypatch
):
    hook = built["hook"]
    monkeypatch.setenv("MATTERMOST_WEBHOOK_URL", hook.url)
    client = boto3.client("s3", endpoint_url=s3_server)
    bucket = s3.removeprefix("s3://").split("/")[0] + "-reports"  # not there yet: every upload fails
    settings.set("report", "s3_url", f"s3://{bucket}/daily")
    day, days = END - timedelta(days=4), DAYS - 4
    key, task = f"daily/metrics-{day}.html", PostMetricsDigest(date=day, days=days)
    refused = re.escape(f"bucket {bucket}, key {key}")
    with pytest.raises(DigestError, match=refused):
        task.run()
    assert digests_of(hook, day) == []  # its link would point nowhere
    client.create_bucket(Bucket=bucket)
    assert run_digest(day, days).status.name == "SUCCESS"
    [digest] = digests_of(hook, day)
    assert digest.endswith(f"Charts: `s3://{bucket}/{key}`")  # no public URL set: the S3 URL
    assert published(s3_server, f"s3://{bucket}/{key}")["Body"].read() == task.report_path().read_bytes()

    client.delete_object(Bucket=bucket, Key=key)  # posted, then the report is lost and the bucket is gone
    client.delete_bucket(Bucket=bucket)
    SNAPSHOTS.clear()
    assert not task.complete()
    with pytest.raises(DigestError, match=refused):
        task.run()
    client.create_bucket(Bucket=bucket)
    assert run_digest(day, days).status.name == "SUCCESS"
    assert published(s3_server, f"s3://{bucket}/{key}")["Body"].read() == task.report_path().read_bytes()
    assert len(digests_of(hook, day)) == 1


# -- the report in a browser -------------------------------------------------------------------------------


def chromium() -> str:
    return shutil.which("chromium") or missing("chromium", "apt-get install -y chromium")


def browse(page: Path, tmp: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp / 'chromium-profile'}", "--hide-scrollbars", *args, page.as_uri()],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip


def read_png(path: Path) -> tuple[int, int, list[bytes]]:
    """(width, height, rows of RGB bytes) of an 8-bit RGB/RGBA, non-interlaced PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat = 8, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        chunk = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunk)
            assert depth == 8 and colour in (2, 6) and interlace == 0
        elif kind == b"IDAT":
            idat += chunk
    bpp = 3 if colour == 2 else 4
    raw, stride = zlib.decompress(idat), width * bpp
    rows, previous = [], bytes(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        if kind == 1:  # sub
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif kind == 2:  # up
            line = bytearray((a + b) & 255 for a, b in zip(line, previous, strict=True))
        elif kind == 3:  # average
            for i in range(stride):
                line[i] = (line[i] + ((line[i - bpp] if i >= bpp else 0) + previous[i]) // 2) & 255
        elif kind == 4:  # paeth
            for i in range(stride):
                a, b, c = (line[i - bpp], previous[i], previous[i - bpp]) if i >= bpp else (0, previous[i], 0)
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        previous = bytes(line)
        rows.append(previous if bpp == 3 else bytes(b for j, b in enumerate(previous) if j % 4 != 3))
    return width, height, rows


def missing_series(report: str, expected: dict[str, list[tuple[str, str]]], tmp: Path) -> list[str]:
    """Render each chart's SVG, as the report has it, alone in Chromium; return "<chart>: <series>" for every
    expected series whose colour has (almost) no pixels in its chart's area."""
    svgs = {chart: svg for svg, chart in re.findall(r'(<svg id="(chart-[^"]+)".*?</svg>)', report, re.DOTALL)}
    height = int(re.search(r'<svg id="chart-[^"]+"[^>]* height="(\d+)"', report).group(1))
    ids = list(expected)
    page = tmp / "charts.html"
    page.write_text("<!DOCTYPE html><html><body style='margin:0;background:#fff'>" + "".join(
        f"<div style='position:absolute;left:0;top:{i * height}px'>{svgs[chart]}</div>" for i, chart in enumerate(ids)
    ) + "</body></html>")  # fmt: skip
    shot = tmp / "charts.png"
    browse(page, tmp, f"--screenshot={shot}", f"--window-size=900,{height * len(ids)}")
    _, _, rows = read_png(shot)
    missing = []
    for i, chart in enumerate(ids):
        area = rows[i * height : (i + 1) * height]
        for name, colour in expected[chart]:
            rgb = bytes.fromhex(colour.lstrip("#"))
            hits = sum(
                1 for row in area for x in range(0, len(row), 3)
                if all(abs(row[x + c] - rgb[c]) <= 16 for c in range(3))
            )  # fmt: skip
            if hits < 10:
                missing.append(f"{chart}: {name}")
    return missing


def expectations(found: metrics.Metrics) -> dict[str, list[tuple[str, str]]]:
    """Each chart's series that have data, with their colours."""
    return {c.id: [(s.name, s.colour) for s in c.series if any(v for _, v in s.points)] for c in html.charts(found)}


@pytest.fixture(scope="module")
def collected(built) -> metrics.Metrics:
    """What the report of END shows, the report written by the task (run now, posting off, unless it ran)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("MATTERMOST_WEBHOOK_URL", raising=False)
        assert run_digest().status.name == "SUCCESS"
    with connect("test", "transformer") as s:
        return metrics.collect(s, END)


def test_every_chart_of_the_report_shows_its_data_in_a_browser(built, collected, tmp_path):
    report = PostMetricsDigest(date=END, days=DAYS).report_path()
    expected = expectations(collected)
    assert set(expected) == {"chart-arr", "chart-arr-movement", "chart-active-servers", "chart-active-users",
                             "chart-downloads", "chart-push"}  # fmt: skip
    assert all(expected.values())
    text = report.read_text()
    assert not re.search(r"<script|<link|<img|src=|href=|url\(|@import", text)  # self-contained: nothing fetched
    dom = browse(report, tmp_path, "--dump-dom").stdout
    for chart in expected:  # as the browser parsed it: every chart drew something
        svg = re.search(rf'<svg id="{chart}".*?</svg>', dom, re.DOTALL).group(0)
        assert "No data" not in svg and re.search(r"<(path|rect) ", svg), chart
    assert missing_series(text, expected, tmp_path) == []


def test_the_browser_check_fails_on_an_empty_series(built, collected, tmp_path):
    empty = dataclasses.replace(collected, push={**collected.push, "de": []}, downloads={})
    page = html.page(empty)
    missing = missing_series(page, expectations(collected), tmp_path)
    assert "chart-push: de" in missing and "chart-push: us" not in missing
    assert {m for m in missing if m.startswith("chart-downloads")} == {
        f"chart-downloads: {name}" for name, _ in expectations(collected)["chart-downloads"]
    }


# -- stale sources (last: it removes data) -----------------------------------------------------------------


def test_a_stale_source_is_named_instead_of_a_number(built, monkeypatch):
    hook = built["hook"]
    monkeypatch.setenv("MATTERMOST_WEBHOOK_URL", hook.url)
    with connect("test") as s:  # the de balancer's last day is gone
        s.execute("DELETE FROM raw.push_proxy.de_logs WHERE requesttime LIKE ?", (f"{END}%",))
        s.execute("DELETE FROM analytics.push_proxy.notifications_hourly WHERE region = 'de' AND date = ?", (END,))
    commands.invalidate([PostMetricsDigest(date=END, days=DAYS)], confirm=False)  # post that day's digest again
    assert run_digest().status.name == "SUCCESS"
    rows = table(hook.digests()[-1])
    assert rows["Push notifications sent"][0] == f"stale — de push-proxy logs last loaded {END - timedelta(days=1)}"
    assert rows["Push notifications sent"][2] == "—"
    assert rows["Downloads: desktop"][0].isdigit()  # the other sources are fresh
    assert ":warning:" in hook.digests()[-1]

    commands.invalidate([LoadSecurityCheckLogs(date=END)], confirm=False)  # no marker for the day: not loaded
    with connect("test", "transformer") as s:
        found = {f.label: f for f in metrics.collect(s, END).figures}
    note = f"stale — security-check logs last loaded {END - timedelta(days=1)}"
    assert found["Active servers (7-day)"].note == note and found["Active users (7-day)"].note == note
