"""The log marts (releases.downloads, push_proxy.notifications_hourly, mattermost.nps_data and
nps_user_monthly_score), row by row, against log_rules_reference.py (a Python reading of their rules) on seeded random
release downloads, push-proxy requests and NPS answers plus the edge cases written out below: version directories of
one to four digits, 0.x and 10.x, every OS spelling, statuses around 2xx, exactly 1,000,000 bytes, a URI downloaded
once, outliers, referrers with and without a host; request lines of two and four parts, GET, status 500, hour
boundaries in the three regions; scores 0 to 10, several a day, feedback without a score and the other way round.
The expected rows come from the raw rows as stored, the fixture rows of raw_data.py included."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from tests.dbt import log_rules_reference as ref
from tests.dbt import raw_data as raw
from tests.dbt.conftest import DbtProject, assert_same, make_project, rows

RUN_DATE = dt.date(2024, 3, 2)  # NPS answers of 1 March are a complete day, those of 2 March are not
SEED = 20240302
MARTS = ("+downloads", "+notifications_hourly", "+nps_data", "+nps_user_monthly_score")

# --- downloads ----------------------------------------------------------------------------------------------

FULL = 100_000_000
MAC_TAR_GZ, IPV6_REFERRER = "mac-tar-gz", "ipv6-referrer"
EDGE_URIS = [
    "/1.0.0/mattermost-team-1.0.0-linux-amd64.tar.gz",
    "/9.11.10/mattermost-9.11.10-linux-amd64.tar.gz",
    "/10.0.0/mattermost-10.0.0-linux-arm64.tar.gz",
    "/10.5.2/mattermost-team-10.5.2-linux-amd64.tar.gz",
    "/100.200.300/mattermost-100.200.300-linux-amd64.tar.gz",
    "/1000.1.1/mattermost-1000.1.1-linux-amd64.tar.gz",  # four digits: not a version directory
    "/0.9.0/mattermost-team-0.9.0-linux-amd64.tar.gz",  # 0.x: no release
    "/05.20.1/mattermost-05.20.1-linux-amd64.tar.gz",
    "/5.20/mattermost-5.20-linux-amd64.tar.gz",
    "/5.2000.1/mattermost-5.2000.1-linux-amd64.tar.gz",
    "/v5.20.1/mattermost-5.20.1-linux-amd64.tar.gz",
    "/5.20.1-rc1/mattermost-5.20.1-rc1-linux-amd64.tar.gz",
    "/desktop/4.4.0/mattermost-desktop-setup-4.4.0-win.exe",
    "/desktop/4.4.0/mattermost-desktop-4.4.0-x64.msi",
    "/desktop/4.4.0/mattermost-desktop-4.4.0-win64.zip",
    "/desktop/4.4.0/mattermost-desktop-4.4.0-win32.zip",
    "/desktop/4.4.0/mattermost-desktop-4.4.0-win-x64.zip",
    "/desktop/4.4.0/mattermost-desktop-4.4.0-mac.dmg",
    "/desktop/4.4.0/mattermost-desktop-4.4.0-mac.zip",
    "/desktop/3.7.1/mattermost-desktop-3.7.1-osx.tar.gz",
    "/desktop/4.4.0/mattermost-desktop-4.4.0-linux-x64.tar.gz",
    "/desktop/4.4.0/mattermost-desktop-4.4.0-linux-x86_64.rpm",
    "/desktop/4.4.0/mattermost-desktop_4.4.0-1_amd64.deb",  # no OS named
    "/desktop/5.6.0/mattermost-desktop-5.6.0-mac-universal.dmg",  # the rule names mac.<ext> only: other
    "/desktop/5.6.0/mattermost-desktop-5.6.0-mac-m1.dmg",
    "/desktop/3.7.1/mattermost-setup-3.7.1-win64.exe",
    "/desktop/5.6.0/mattermost-desktop-5.6.0-linux-arm64.AppImage",
    "/desktop/3.7.1/mattermost-desktop-3.7.1-linux-x64.deb",
    "/desktop/10.12.100/mattermost-desktop-10.12.100-win-arm64.msi",
    "/desktop/4.4/mattermost-desktop-4.4-mac.dmg",  # not x.y.z
    "/desktop/latest/mattermost-desktop-mac.dmg",
    "/index.html",
]
RANDOM_URIS = [
    f"/{v}/mattermost-{e}{v}-linux-{a}.tar.gz"
    for v in ("5.20.1", "7.8.15", "9.11.3", "10.5.2", "11.0.0")
    for e in ("team-", "")
    for a in ("amd64", "arm64")
] + [
    f"/desktop/{v}/mattermost-desktop-{f}"
    for v in ("4.4.0", "5.10.2")
    for f in (f"setup-{v}-win.exe", f"{v}-x64.msi", f"{v}-mac.dmg", f"{v}-linux-x64.tar.gz", f"{v}-win64.zip")
]
REFERRERS = [
    "-",
    "https://mattermost.com/download/",
    "https://Docs.Mattermost.com:443/install/install-tar.html?x=1#y",
    "http://www.google.com/search?q=mattermost%2520download",
    "android-app://com.google.android.gm/",
    "https://mattermost.com?utm_source=x",
    "mattermost.com/download",  # no scheme: no host
    "file:///C:/Users/me/downloads.html",  # an empty host
    "about:blank",
]
STATUSES = ["199", "200", "200", "200", "206", "299", "300", "304", "404", "500", "000"]


def random_downloads(rng: random.Random) -> list[dict[str, str]]:
    """Raw CloudFront lines of release downloads: mostly complete ones a few hundred bytes apart, partial ones,
    small and failed requests, lines loaded twice, and every edge URI."""
    lines = []
    days = [dt.date(2024, 2, 27) + dt.timedelta(days=n) for n in range(5)]
    for uri in RANDOM_URIS:
        size = rng.randint(60, 140) * 1_000_000
        for _ in range(rng.randint(1, 25)):
            kind = rng.random()
            sent = size + rng.randint(-300, 300)
            if kind < 0.12:
                sent = rng.randint(1_000_001, size)  # partial
            elif kind < 0.17:
                sent = rng.choice([rng.randint(0, 1_000_000), 1_000_000, 1_000_001])
            status = rng.choice(STATUSES) if rng.random() < 0.2 else "200"
            line = raw.cloudfront(
                rng.choice(days).isoformat(),
                f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}",
                uri,
                bytessent=str(sent),
                status=status,
                creferrer=rng.choice(REFERRERS),
            )
            lines.append(line)
            if rng.random() < 0.05:
                lines.append(dict(line))  # loaded twice: the same request id
    for n, uri in enumerate(EDGE_URIS):
        for status in STATUSES:
            lines.append(raw.cloudfront("2024-02-28", f"12:00:{n:02d}", uri, bytessent=str(FULL), status=status))
    lines += [
        raw.cloudfront("2024-02-28", "13:00:00", "/8.1.1/mattermost-8.1.1-linux-amd64.tar.gz", bytessent="55000000"),
        # exactly 1,000,000 bytes is not more than 1 MB; the next byte is
        raw.cloudfront("2024-02-28", "13:00:01", "/8.1.2/mattermost-8.1.2-linux-amd64.tar.gz", bytessent="1000000"),
        raw.cloudfront("2024-02-28", "13:00:02", "/8.1.3/mattermost-8.1.3-linux-amd64.tar.gz", bytessent="1000001"),
        # two sizes: each half a difference from the mean, within the deviation
        raw.cloudfront("2024-02-28", "13:00:03", "/8.1.4/mattermost-8.1.4-linux-amd64.tar.gz", bytessent="2000000"),
        raw.cloudfront("2024-02-28", "13:00:04", "/8.1.4/mattermost-8.1.4-linux-amd64.tar.gz", bytessent="90000000"),
        # the mac build of the 3.x desktop releases, and a page served at an IPv6 address linking to a download
        raw.cloudfront(
            "2024-02-28",
            "13:00:05",
            "/desktop/3.7.0/mattermost-desktop-3.7.0-mac.tar.gz",
            bytessent="90000000",
            x_edge_request_id=MAC_TAR_GZ,
        ),
        raw.cloudfront(
            "2024-02-28",
            "13:00:06",
            "/desktop/5.0.0/mattermost-desktop-5.0.0-linux-x64.tar.gz",
            bytessent="90000000",
            creferrer="https://[2001:db8::1]:8065/x",
            x_edge_request_id=IPV6_REFERRER,
        ),
    ]
    # outliers: one huge and a few partial downloads among many complete ones
    outlier_uri = "/9.0.0/mattermost-9.0.0-linux-amd64.tar.gz"
    sizes = [FULL + d for d in range(0, 4000, 200)] + [10 * FULL, 3_000_000, FULL // 2, FULL - 100_000]
    lines += [raw.cloudfront("2024-02-29", "23:59:59", outlier_uri, bytessent=str(s)) for s in sizes]
    return lines


# --- push proxy ---------------------------------------------------------------------------------------------

URL = "https://push.mattermost.com:443/api/v1/"
REQUESTS = [
    f"POST {URL}send_push HTTP/1.1",
    f"POST {URL}ack HTTP/1.1",
    f"POST {URL}send_push HTTP/2.0",
    f"POST {URL}ack HTTP/1.0 ",  # a client's trailing space
    f" POST {URL}send_push HTTP/1.1",
    f"GET {URL}send_push HTTP/1.1",
    f"post {URL}ack HTTP/1.1",
    f"POST {URL}send_push",  # two parts
    f"POST  {URL}send_push",  # three parts, one of them empty
    f"POST {URL}send_push HTTP/1.1 extra",  # four parts
    f"POST {URL}send_push?x=1 HTTP/1.1",
    f"POST {URL}send_push/ HTTP/1.1",
    f"POST {URL}version HTTP/1.1",
    "POST https://push.mattermost.com:443/api/v2/ack HTTP/1.1",
    "- - -",
    "-",
]
ALB_STATUSES = ["200", "200", "200", "200", "500", "502", "400", "201"]


def random_requests(rng: random.Random) -> dict[str, list[dict[str, str]]]:
    """Raw ALB lines per table: requests of every kind over two days, many at hour boundaries."""
    tables: dict[str, list[dict[str, str]]] = {table: [] for table in ref.REGIONS}
    start = dt.datetime(2024, 2, 28, 22)
    for table in tables:
        for _ in range(400):
            hour = start + dt.timedelta(hours=rng.randint(0, 30))
            offset = rng.choice(
                [
                    dt.timedelta(microseconds=1),
                    dt.timedelta(hours=1, microseconds=-1),
                    dt.timedelta(seconds=rng.randint(0, 3599), microseconds=rng.randint(0, 999_999)),
                ]
            )
            stamp = (hour + offset).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            request = rng.choice(REQUESTS[:3] * 6 + REQUESTS[3:])
            tables[table].append(raw.alb(stamp, request, rng.choice(ALB_STATUSES)))
        tables[table].append(raw.alb("2024-02-29T23:59:59.999999Z", REQUESTS[0]))  # the last hour of a day
        tables[table].append(raw.alb("2024-03-01T00:00:00.000001Z", REQUESTS[1]))  # the first of the next
        # an hour with neither a send nor an ack, and one with only a request line with an empty part
        tables[table].append(raw.alb("2024-03-01T05:30:00.000000Z", f"POST {URL}version HTTP/1.1"))
        tables[table].append(raw.alb("2024-03-01T07:15:00.000000Z", f"POST  {URL}send_push"))
    return tables


# --- NPS ----------------------------------------------------------------------------------------------------

SERVERS = [f"npsserver{n:02d}" + "x" * 15 for n in range(4)]
NO_SCORE_USER = "npsnoscore"
FEEDBACK = ["great", "slow search", "", "   ", None, "needs dark mode", "ok"]


def random_nps(rng: random.Random) -> tuple[list[dict], list[dict]]:
    """Scores and feedback of users on four servers from late January to the run date: several a day, days with
    only a score or only feedback, empty feedback, every score of the buckets' edges."""
    scores, feedback, used = [], [], set()

    def stamp(day: dt.date) -> str:
        while True:
            moment = dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=rng.randint(0, 86_399))
            if moment not in used:
                used.add(moment)
                return moment.isoformat()

    days = [dt.date(2024, 1, 29) + dt.timedelta(days=n) for n in range((RUN_DATE - dt.date(2024, 1, 29)).days + 1)]
    for n in range(40):
        server, user = rng.choice(SERVERS), f"npsuser{n:02d}"
        for day in rng.sample(days, rng.randint(1, 6)):
            for _ in range(rng.randint(0, 3)):
                scores.append(
                    raw.segment(server, stamp(day), server_id=server, user_actual_id=user, score=rng.randint(0, 10))
                )
            for _ in range(rng.randint(0, 2)):
                feedback.append(
                    raw.segment(
                        server, stamp(day), server_id=server, user_actual_id=user, feedback=rng.choice(FEEDBACK)
                    )
                )
    s = SERVERS[0]
    scores += [
        raw.segment(s, f"2024-02-{10 + score:02d} 12:00:00", server_id=s, user_actual_id="npsedge", score=score)
        for score in (0, 6, 7, 8, 9, 10)
    ]
    scores += [
        # the day's latest score is a 9 however the answers arrived; the month's latest is the 1 March one
        raw.segment(s, "2024-02-29 23:59:59", server_id=s, user_actual_id="npsday", score=9),
        raw.segment(s, "2024-02-29 00:00:00", server_id=s, user_actual_id="npsday", score=2),
        raw.segment(s, "2024-02-29 12:00:00", server_id=s, user_actual_id="npsday", score=7),
        raw.segment(s, "2024-03-01 00:00:01", server_id=s, user_actual_id="npsday", score=8),
        raw.segment(s, "2024-03-02 00:00:01", server_id=s, user_actual_id="npsday", score=0),  # not a complete day
        raw.segment(s, "2024-02-20 09:00:00", server_id=s, user_actual_id="npsscoreonly", score=10),
        raw.segment(s, "2024-02-20 09:00:00", server_id=s, user_actual_id=None, score=3),  # no user
        # an answer without a score after the day's score
        raw.segment(s, "2024-02-15 10:00:00", server_id=s, user_actual_id=NO_SCORE_USER, score=8),
        raw.segment(s, "2024-02-15 11:00:00", server_id=s, user_actual_id=NO_SCORE_USER, score=None),
    ]
    feedback += [
        raw.segment(s, "2024-02-21 09:00:00", server_id=s, user_actual_id="npsfeedbackonly", feedback="why"),
        raw.segment(s, "2024-02-29 23:00:00", server_id=s, user_actual_id="npsday", feedback="first"),
        raw.segment(s, "2024-02-29 23:30:00", server_id=s, user_actual_id="npsday", feedback="second"),
        raw.segment(s, "2024-02-29 23:45:00", server_id=s, user_actual_id="npsday", feedback=" "),  # empty
    ]
    return scores, feedback


# --- the build and the expected rows ------------------------------------------------------------------------


class Expected:
    """The reference's rows for everything in RAW (the fixture's rows and this module's)."""

    def __init__(self, project: DbtProject) -> None:
        release_rows = project.raw_rows("releases.log_entries", ", ".join(raw.CLOUDFRONT_COLUMNS))
        self.downloads = ref.downloads(release_rows)
        self.release_rows = release_rows
        self.notifications = ref.notifications_hourly(
            {
                table: project.raw_rows(f"push_proxy.{table}", "requesttime, request, elb_status_code")
                for table in ref.REGIONS
            }
        )
        segment = "server_id, user_id, user_actual_id, timestamp, received_at"
        scores = project.raw_rows("mattermost_nps.nps_score", f"{segment}, score")
        feedback = project.raw_rows("mattermost_nps.nps_feedback", f"{segment}, feedback")
        self.nps_data = ref.nps_data(scores, feedback, RUN_DATE)
        self.nps_monthly = ref.nps_monthly(scores, RUN_DATE)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[duckdb.DuckDBPyConnection, Expected]]:
    project = make_project(Path(tmp_path_factory.mktemp("log_differential")))
    rng = random.Random(SEED)
    con = project.raw()
    try:
        loaded_at = dt.datetime(2024, 3, 2, 3)
        downloads = random_downloads(rng)
        raw.insert_load(con, "releases.log_entries", [(line, loaded_at) for line in downloads], "differential")
        for table, table_rows in random_requests(rng).items():
            raw.insert_load(con, f"push_proxy.{table}", [(row, loaded_at) for row in table_rows], table)
        scores, feedback = random_nps(rng)
        raw.insert(con, "mattermost_nps.nps_score", scores)
        raw.insert(con, "mattermost_nps.nps_feedback", feedback)
    finally:
        con.close()
    project.run(
        "build", "--select", *MARTS, "--exclude-resource-type", "test", "unit_test", vars={"run_date": str(RUN_DATE)}
    )
    expected = Expected(project)
    analytics = project.analytics()
    yield analytics, expected
    analytics.close()


def test_the_data_hits_every_edge_case(built) -> None:
    _, expected = built
    kinds = {(kind[2], kind[4], kind[5]) for kind in expected.downloads.values()}
    assert {("server", "team", None), ("server", "enterprise", None)} <= kinds
    assert {os for *_, os in kinds} >= {"windows", "mac", "linux", "other"}
    versions = {row[3] for row in expected.downloads.values()}
    assert {"1.0.0", "10.0.0", "100.200.300", "9.11.10"} <= versions
    assert {"1000.1.1", "0.9.0", "5.20"}.isdisjoint(versions)
    assert {row[7] for row in expected.downloads.values()} >= {None, "mattermost.com", "docs.mattermost.com"}
    candidates = [r for r in expected.release_rows if r["status"] == "200" and int(r["bytessent"]) > 1_000_000]
    dropped = {r["x_edge_request_id"] for r in candidates if ref.download_kind(r["uri"])} - expected.downloads.keys()
    assert len(dropped) >= 10  # outside one deviation of their URI's mean
    assert len(expected.downloads) > 300
    assert {region for region, _ in expected.notifications} == {"us", "test", "de"}
    assert any(send == ack == 0 for _, send, ack in expected.notifications.values())
    assert len(expected.notifications) > 60
    assert {row[1] for row in expected.nps_data.values()} == {"Detractor", "Passive", "Promoter", None}
    assert any(row[0] is not None and row[2] is not None for row in expected.nps_data.values())
    assert any(row[0] is None for row in expected.nps_data.values())
    assert any(row[2] is None for row in expected.nps_data.values())
    assert {month for month, *_ in expected.nps_monthly} >= {dt.date(2024, m, 1) for m in (1, 2, 3)}


# --- the marts against the reference --------------------------------------------------------------------------
# Every row, and on their own the rows of cases a mart once misread.

NO_SCORE_DAY = (SERVERS[0], NO_SCORE_USER, dt.date(2024, 2, 15))
NO_SCORE_MONTH = (dt.date(2024, 2, 1), SERVERS[0], NO_SCORE_USER)


def only(table: dict, keys: set) -> dict:
    return {key: value for key, value in table.items() if key in keys}


def mart_downloads(analytics: duckdb.DuckDBPyConnection) -> dict:
    return {
        r[0]: tuple(r[1:])
        for r in analytics.execute(
            "select request_id, logdate, uri, download_type, version, edition, os, bytes_sent, server_source "
            "from releases.downloads"
        ).fetchall()
    }


def mart_nps_data(analytics: duckdb.DuckDBPyConnection) -> dict:
    return {
        (r[0], r[1], r[2]): tuple(r[3:])
        for r in analytics.execute(
            "select server_id, user_actual_id, date, score, promoter_type, feedback, score_timestamp, "
            "feedback_timestamp from mattermost.nps_data"
        ).fetchall()
    }


def mart_nps_monthly(analytics: duckdb.DuckDBPyConnection) -> dict:
    got = rows(
        analytics,
        "select id, month, server_id, user_actual_id, score, promoter_type, score_timestamp "
        "from mattermost.nps_user_monthly_score",
    )
    assert len({r["id"] for r in got}) == len(got)  # the surrogate key tells the rows apart
    return {
        (r["month"], r["server_id"], r["user_actual_id"]): (r["score"], r["promoter_type"], r["score_timestamp"])
        for r in got
    }


def test_downloads(built) -> None:
    analytics, expected = built
    assert_same(expected.downloads, mart_downloads(analytics))


# A desktop app's OS is mac for mac.<extension>, the extension as long as it runs (the 3.x releases' mac.tar.gz);
# server_source is the referrer's host, an IPv6 address without its brackets and port.
@pytest.mark.parametrize("request_id", [MAC_TAR_GZ, IPV6_REFERRER])
def test_downloads_of_a_mac_tar_gz_and_from_an_ipv6_referrer(built, request_id: str) -> None:
    analytics, expected = built
    assert request_id in expected.downloads
    assert_same(only(expected.downloads, {request_id}), only(mart_downloads(analytics), {request_id}))


def test_notifications_hourly(built) -> None:
    analytics, expected = built
    got = {
        (r[0], r[1]): tuple(r[2:])
        for r in analytics.execute(
            "select region, request_hour, date, send_push_count, ack_count from push_proxy.notifications_hourly"
        ).fetchall()
    }
    assert_same(expected.notifications, got)


def test_nps_data(built) -> None:
    analytics, expected = built
    assert_same(expected.nps_data, mart_nps_data(analytics))


def test_nps_user_monthly_score(built) -> None:
    analytics, expected = built
    assert_same(expected.nps_monthly, mart_nps_monthly(analytics))


# The day's latest score is the latest answer that has one: a later answer without a score does not hide it.
def test_nps_data_answer_without_a_score(built) -> None:
    analytics, expected = built
    assert expected.nps_data[NO_SCORE_DAY][:2] == (8, "Passive")
    assert_same(only(expected.nps_data, {NO_SCORE_DAY}), only(mart_nps_data(analytics), {NO_SCORE_DAY}))


def test_nps_user_monthly_score_answer_without_a_score(built) -> None:
    analytics, expected = built
    assert expected.nps_monthly[NO_SCORE_MONTH][:2] == (8, "Passive")
    assert_same(only(expected.nps_monthly, {NO_SCORE_MONTH}), only(mart_nps_monthly(analytics), {NO_SCORE_MONTH}))
