"""One `dbt build` on the hand-made RAW warehouse, then every mart checked against values this module derives
itself, in Python, from the fixture rows of raw_data.py."""

from __future__ import annotations

import datetime as dt
import re
import statistics
from collections import Counter, defaultdict
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import parse_qsl, unquote

import pytest
import yaml

from tests.dbt import raw_data as raw
from tests.dbt.conftest import DBT_DIR, DbtProject, make_project, rows

DAY = dt.timedelta(days=1)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> DbtProject:
    project = make_project(tmp_path_factory.mktemp("marts"))
    project.run("build")
    return project


@pytest.fixture(scope="module")
def analytics(built: DbtProject):
    con = built.analytics()
    yield con
    con.close()


def test_build_succeeds_and_only_the_hygiene_check_warns(built: DbtProject) -> None:
    statuses = {r["unique_id"]: r["status"] for r in built.last_results["results"]}
    not_ok = {uid: status for uid, status in statuses.items() if status not in ("success", "pass")}
    assert not_ok == {"test.bizops.assert_no_salesforce_data_errors": "warn"}
    assert len(statuses) > 100


# --- security checks --------------------------------------------------------------------------------------


def parse_check(row: dict[str, str]) -> tuple | None:
    """The expected events.security row of a raw line: decode once, then parse as a query string."""
    if row["uri"] != "/security":
        return None
    query = "" if row["cs_uri_query"] == "-" else unquote(row["cs_uri_query"])
    params: dict[str, str] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        params.setdefault(key, value)
    value = {key: params.get(key) or None for key in ("id", "b", "db", "os", "ut", "be", "auc", "uc", "tc")}

    def count(key: str) -> int:
        v = value[key]
        return int(v) if v is not None and re.fullmatch(r"[0-9]{1,10}", v) else 0

    logtime = row["logtime"]
    return (
        value["id"],
        value["b"],
        value["b"] is not None and "_BUILD_NUMBER_" in value["b"],
        value["ut"] == "1",
        value["db"],
        value["os"],
        count("auc"),
        count("uc"),
        count("tc"),
        (value["be"] or "").lower() == "true",
        int(logtime[:2]),
        "A" if logtime < "12:00" else "B",
        row["edge"][:3],
        row["cip"],
        dt.date.fromisoformat(row["logdate"]),
        dt.datetime.fromisoformat(f"{row['logdate']} {logtime}"),
    )


SECURITY_COLUMNS = (
    "id, version, dev_build, ran_tests, db, os, active_user_count, user_count, team_count, enterprise_ready, "
    "hour, grouping, location, ip_address, logdate, timestamp"
)


def expected_checks(raw_rows: list[dict[str, str]]) -> set[tuple]:
    return {check for check in map(parse_check, raw_rows) if check is not None}


def test_security_has_one_row_per_distinct_check(analytics) -> None:
    got = analytics.execute(f"select {SECURITY_COLUMNS} from events.security").fetchall()
    assert len(got) == len(set(got)), "duplicates left"
    assert set(got) == expected_checks([row for row, _ in raw.security_rows()])


def test_security_decodes_once_then_parses_by_exact_key(analytics) -> None:
    ((os_value, team_count),) = analytics.execute(
        "select os, team_count from events.security where id = ?", [raw.S3]
    ).fetchall()
    assert os_value == "linux&arm=64"  # %2526 / %253D in the log
    assert team_count == 0  # tc=x9 is not a number
    auc_uc = analytics.execute(
        "select active_user_count, user_count from events.security where id = ? and logdate = '2020-02-04'", [raw.S3]
    ).fetchall()
    assert auc_uc == [(7, 9)]  # uc is not read from inside auc


def release_version(version: str | None) -> bool:
    """A release's build: its version twice, six or more dot-separated numbers of any width."""
    return version is not None and re.fullmatch(r"[0-9]+(\.[0-9]+){5,}", version) is not None


def expected_server_days(checks: set[tuple], run_date: dt.date) -> dict[tuple, tuple]:
    by_day: dict[tuple, list[tuple]] = defaultdict(list)
    for c in checks:
        server, version, dev, tests, auc, uc, ip, day, ts = c[0], c[1], c[2], c[3], c[6], c[7], c[13], c[14], c[15]
        if dev or tests or not release_version(version) or uc < auc or not server:
            continue
        if day > run_date - DAY or server == raw.EXCLUDED_SERVER:
            continue
        by_day[(server, day)].append((auc, ip, ts))
    return {
        key: (max(a for a, _, _ in day), len(day), len({ip for _, ip, _ in day}), max((ts, ip) for _, ip, ts in day)[1])
        for key, day in by_day.items()
    }


def test_server_security_details_counts_active_users_per_server_and_day(analytics) -> None:
    got = {
        (r[0], r[1]): r[2:]
        for r in analytics.execute(
            "select server_id, date, active_user_count, occurrences, ip_count, ip_address "
            "from mattermost.server_security_details"
        ).fetchall()
    }
    expected = expected_server_days(expected_checks([row for row, _ in raw.security_rows()]), raw.RUN_DATE)
    assert got == expected
    assert got[(raw.S1, dt.date(2020, 2, 3))] == (45, 2, 2, "198.51.100.99")


def test_server_daily_details_and_fact(analytics) -> None:
    daily = {(r["server_id"], r["date"]): r for r in rows(analytics, "select * from mattermost.server_daily_details")}
    s1_day = daily[(raw.S1, dt.date(2020, 2, 3))]
    assert (s1_day["in_security"], s1_day["in_mm2_server"], s1_day["has_dupes"], s1_day["has_multi_ips"]) == (
        True,
        True,
        True,
        True,
    )
    assert s1_day["version"] == "5.19.1"  # the day's latest telemetry row
    assert daily[(raw.S1, dt.date(2020, 2, 4))]["tracking_disabled"] is True
    telemetry_only = daily[("s5telemetryonlyyyyyyyyyyyy", dt.date(2020, 2, 4))]
    assert (telemetry_only["in_security"], telemetry_only["in_mm2_server"]) == (False, True)

    fact = {r["server_id"]: r for r in rows(analytics, "select * from mattermost.server_fact")}
    assert (fact[raw.S1]["first_active_date"], fact[raw.S1]["last_active_date"]) == (
        dt.date(2020, 2, 3),
        dt.date(2020, 2, 4),
    )
    assert fact[raw.S1]["max_active_user_count"] == 45
    assert set(fact) == {server for server, _ in daily}


# --- downloads --------------------------------------------------------------------------------------------


def classify_download(uri: str) -> tuple[str, str | None, str | None] | None:
    lower = uri.lower()
    if re.match(r"/[1-9][0-9]{0,2}\.[0-9]{1,3}\.[0-9]{1,3}/", uri):
        return "server", "team" if "team" in lower else "enterprise", None
    if re.match(r"/desktop/[0-9]+\.[0-9]+\.[0-9]+/", uri):
        if lower.endswith(".msi") or re.search(r"win[0-9]{2}|-win-|-win\.[a-z0-9]+$", lower):
            os_name = "windows"
        elif re.search(r"mac\.[a-z0-9]+$|-osx\.", lower):
            os_name = "mac"
        else:
            os_name = "linux" if "linux" in lower else "other"
        return "desktop", None, os_name
    return None


def test_downloads_are_classified_and_partial_downloads_dropped(analytics) -> None:
    unique = {row["x_edge_request_id"]: row for row, _ in raw.release_rows()}.values()
    candidates = [
        row
        for row in unique
        if re.fullmatch(r"2[0-9][0-9]", row["status"])
        and int(row["bytessent"]) > 1_000_000
        and classify_download(row["uri"])
    ]
    sizes: dict[str, list[int]] = defaultdict(list)
    for row in candidates:
        sizes[row["uri"]].append(int(row["bytessent"]))
    expected: Counter = Counter()
    for row in candidates:
        uri_sizes = sizes[row["uri"]]
        if len(uri_sizes) > 1 and abs(int(row["bytessent"]) - statistics.mean(uri_sizes)) > statistics.stdev(uri_sizes):
            continue
        expected[(dt.date.fromisoformat(row["logdate"]), *classify_download(row["uri"]))] += 1

    got = Counter(
        dict(
            ((d, t, e, o), n)
            for d, t, e, o, n in analytics.execute(
                "select logdate, download_type, edition, os, count(*) from releases.downloads group by all"
            ).fetchall()
        )
    )
    assert got == expected
    assert expected[(dt.date(2020, 2, 3), "server", "team", None)] == 10  # 9 + one line loaded twice
    assert analytics.execute(
        "select server_source from releases.downloads where request_id = 'enterprise-1'"
    ).fetchall() == [("mattermost.com",)]


# --- push proxy -------------------------------------------------------------------------------------------


def test_push_proxy_hourly_counts(analytics) -> None:
    regions = {"logs": "us", "test_logs": "test", "de_logs": "de"}
    expected: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for table, table_rows in raw.PUSH_ROWS.items():
        for row in table_rows:
            parts = row["request"].strip().split(" ")  # a client's trailing space is not a fourth part
            if len(parts) != 3 or parts[0] != "POST" or row["elb_status_code"] != "200":
                continue
            hour = dt.datetime.fromisoformat(row["requesttime"][:13] + ":00:00")
            counts = expected[(regions[table], hour)]
            counts[0] += parts[1].endswith("/api/v1/send_push")
            counts[1] += parts[1].endswith("/api/v1/ack")
    got = {
        (region, hour): [send, ack]
        for region, hour, send, ack in analytics.execute(
            "select region, request_hour, send_push_count, ack_count from push_proxy.notifications_hourly"
        ).fetchall()
    }
    assert got == dict(expected)


# --- licenses and NPS -------------------------------------------------------------------------------------


def test_licenses_keep_latest_export(analytics) -> None:
    got = {r["license_id"]: r for r in rows(analytics, "select * from blp.licenses")}
    assert set(got) == {"l1llllllllllllllllllllllll", "l2llllllllllllllllllllllll"}
    l1 = got["l1llllllllllllllllllllllll"]
    assert (l1["company"], l1["license_type"]) == ("Example Corp Ltd", "production")
    assert (l1["first_snapshot_date"], l1["last_snapshot_date"]) == (dt.date(2020, 2, 4), dt.date(2020, 2, 5))
    assert (l1["issued_at"], l1["expires_at"]) == (dt.datetime(2020, 1, 1), dt.datetime(2020, 12, 31, 23, 59, 59))
    assert got["l2llllllllllllllllllllllll"]["license_type"] == "trial"

    overview = {r["license_id"]: r for r in rows(analytics, "select * from blp.license_overview")}
    assert overview["l1llllllllllllllllllllllll"]["is_active"] is True
    assert overview["l1llllllllllllllllllllllll"]["server_count"] == 1
    assert overview["l1llllllllllllllllllllllll"]["max_active_user_count"] == 45
    assert overview["l2llllllllllllllllllllllll"]["is_active"] is False


def test_nps_buckets(analytics) -> None:
    daily = analytics.execute(
        "select user_actual_id, date, score, promoter_type, feedback from mattermost.nps_data order by 1, 2"
    ).fetchall()
    assert daily == [
        ("u1", dt.date(2020, 2, 3), 9, "Promoter", "great"),  # the day's latest score
        ("u1", dt.date(2020, 2, 4), 3, "Detractor", None),
        ("u2", dt.date(2020, 2, 3), 7, "Passive", None),
    ]
    monthly = analytics.execute(
        "select user_actual_id, month, score, promoter_type from mattermost.nps_user_monthly_score order by 1"
    ).fetchall()
    assert monthly == [("u1", dt.date(2020, 2, 1), 3, "Detractor"), ("u2", dt.date(2020, 2, 1), 7, "Passive")]


def test_google_analytics_staging_when_enabled(analytics) -> None:
    got = analytics.execute("select integration, date, pageviews, daily_users from staging.stg_google_analytics__pages")
    assert sorted(got.fetchall()) == [("docs", d, v, u) for d, _, v, u in raw.GA_DOCS]


# --- ARR --------------------------------------------------------------------------------------------------


def within_horizon(day: dt.date) -> bool:
    """Within the dbt project's arr_horizon_years of the run date: a date further away is a typo."""
    years = yaml.safe_load((DBT_DIR / "dbt_project.yml").read_text())["vars"]["arr_horizon_years"]
    run = raw.RUN_DATE
    return run.replace(year=run.year - years) <= day <= run.replace(year=run.year + years)


def line_item_arr() -> dict[str, tuple[str, str, dict[dt.date, int]]]:
    """Daily ARR per line item: {sfid: (account, master, {day: arr})}, from the fixture rows."""
    accounts = {
        sfid: parent for sfid, parent, _, deleted in raw.ACCOUNTS if not deleted and sfid not in raw.DELETED_IDS
    }
    opportunities = {sfid: (account, won) for sfid, account, won, _, _ in raw.OPPORTUNITIES}
    result = {}
    for sfid, opportunity, product, price, start, end in raw.LINE_ITEMS:
        account, won = opportunities[opportunity]
        if sfid in raw.DELETED_IDS or not won or account not in accounts or product != "Recurring" or end <= start:
            continue
        if not (within_horizon(start) and within_horizon(end)):
            continue
        days = [start + i * DAY for i in range((end - start).days + 1)]
        leap = any(d.month == 2 and d.day == 29 for d in days)
        arr = int((365 * Decimal(price) / (len(days) - leap)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        master = accounts[account] if accounts[account] in accounts else account
        result[sfid] = (account, master, dict.fromkeys(days, arr))
    return result


def rollup(by: int) -> dict[str, dict[dt.date, int]]:
    totals: dict[str, dict[dt.date, int]] = defaultdict(lambda: defaultdict(int))
    for item in line_item_arr().values():
        for day, arr in item[2].items():
            totals[item[by]][day] += arr
    return totals


def spine(arr_by_day: dict[dt.date, int]) -> dict[dt.date, int]:
    first, last = min(arr_by_day) - DAY, max(arr_by_day) + 2 * DAY
    return {first + i * DAY: arr_by_day.get(first + i * DAY, 0) for i in range((last - first).days + 1)}


def test_one_year_terms_give_their_price_every_day(analytics) -> None:
    for sfid, price in (("LI1", 12000), ("LI4", 6000)):  # both contain 29 February 2020
        got = analytics.execute(
            "select count(*), min(won_arr), max(won_arr) from finance.opportunitylineitem_daily_arr "
            "where opportunitylineitem_sfid = ?",
            [sfid],
        ).fetchone()
        assert got == (366, price, price)


@pytest.mark.parametrize(
    ("model", "key", "by"),
    [("account_daily_arr", "account_sfid", 0), ("master_account_daily_arr", "master_account_sfid", 1)],
)
def test_daily_arr_per_account_and_master(analytics, model: str, key: str, by: int) -> None:
    got: dict[str, dict[dt.date, int]] = defaultdict(dict)
    for sfid, day, arr in analytics.execute(f"select {key}, day, total_arr from finance.{model}").fetchall():
        got[sfid][day] = arr
    expected = {sfid: spine(days) for sfid, days in rollup(by).items()}
    assert dict(got) == expected


def first_arr_day(arr_by_day: dict[dt.date, int]) -> dt.date | None:
    return min((d for d, arr in arr_by_day.items() if arr), default=None)


def classify(month: dt.date, last: dt.date, starting: int, ending: int, first: dt.date | None) -> str | None:
    """New: [month, last] holds the first day with ARR, whatever the change; otherwise the change's class."""
    delta = ending - starting
    if first is not None and month <= first <= last:
        return "New"
    if delta > 0:
        return "Expansion" if starting else "Resurrection"
    if delta < 0:
        return "Contraction" if ending else "Churn"
    return None


def classify_months(arr_by_day: dict[dt.date, int]) -> dict[dt.date, tuple]:
    days = spine(arr_by_day)
    months = sorted({d.replace(day=1) for d in days})
    result = {}
    for month in months:
        last = (month + 32 * DAY).replace(day=1) - DAY
        starting, ending = arr_by_day.get(month - DAY, 0), arr_by_day.get(last, 0)
        kind = classify(month, last, starting, ending, first_arr_day(arr_by_day))
        result[month] = (starting, ending, ending - starting, kind)
    return result


@pytest.mark.parametrize(
    ("model", "key", "by"),
    [
        ("account_monthly_arr_deltas", "account_sfid", 0),
        ("master_account_monthly_arr_deltas", "master_account_sfid", 1),
    ],
)
def test_monthly_arr_classification(analytics, model: str, key: str, by: int) -> None:
    got = {
        (r[0], r[1]): r[2:]
        for r in analytics.execute(
            f"select {key}, month, month_starting_arr, month_ending_arr, total_arr_delta, arr_change_type "
            f"from finance.{model}"
        ).fetchall()
    }
    expected = {
        (sfid, month): value for sfid, days in rollup(by).items() for month, value in classify_months(days).items()
    }
    assert got == expected
    if key == "account_sfid":  # the fixture exercises every class
        assert {v[3] for v in expected.values()} - {None} == {
            "New",
            "Expansion",
            "Resurrection",
            "Contraction",
            "Churn",
        }


def classify_months_to_date(arr_by_day: dict[dt.date, int]) -> dict[dt.date, tuple]:
    """Per day, from the spine's first to the end of its last month: the month so far as (month, starting, ending,
    delta, class), New once the month so far holds the first day with ARR."""
    days = spine(arr_by_day)
    last = (max(days).replace(day=1) + 32 * DAY).replace(day=1) - DAY
    result = {}
    for day in (min(days) + i * DAY for i in range((last - min(days)).days + 1)):
        month = day.replace(day=1)
        starting, ending = arr_by_day.get(month - DAY, 0), arr_by_day.get(day, 0)
        kind = classify(month, day, starting, ending, first_arr_day(arr_by_day))
        result[day] = (month, starting, ending, ending - starting, kind)
    return result


MOVEMENT_COLUMNS = "master_account_sfid, month, month_starting_arr, month_ending_arr, total_arr_delta, arr_change_type"


def test_month_to_date_arr_movement_per_day(analytics) -> None:
    got = {
        (r[0], r[1]): r[2:]
        for r in analytics.execute(
            "select master_account_sfid, day, month, month_starting_arr, month_ending_arr, total_arr_delta, "
            "arr_change_type from finance.master_account_month_to_date_arr_deltas"
        ).fetchall()
    }
    expected = {(sfid, day): v for sfid, days in rollup(1).items() for day, v in classify_months_to_date(days).items()}
    assert got == expected


def test_month_to_date_arr_movement_on_a_months_last_day_is_the_monthly_mart(analytics) -> None:
    month_ends = analytics.execute(
        f"select {MOVEMENT_COLUMNS} from finance.master_account_month_to_date_arr_deltas where day = last_day(day)"
    ).fetchall()
    monthly = analytics.execute(f"select {MOVEMENT_COLUMNS} from finance.master_account_monthly_arr_deltas").fetchall()
    assert len(month_ends) == len(monthly) > 0
    assert set(month_ends) == set(monthly)


def test_account_health_score(analytics) -> None:
    arr = rollup(0)
    got = {r["account_sfid"]: r for r in rows(analytics, "select * from cs.account_health_score")}
    assert set(got) == {sfid for sfid, days in arr.items() if days.get(raw.RUN_DATE, 0) > 0}
    last_task = {"A1": dt.date(2020, 1, 20), "A3": dt.date(2019, 10, 1)}  # A2's only task is Marketo's
    for sfid, row in got.items():
        active = [d for d, v in arr[sfid].items() if v > 0]
        tenure = (raw.RUN_DATE - min(active)).days / 365
        to_end = (max(active) - raw.RUN_DATE).days
        since_task = (raw.RUN_DATE - last_task[sfid]).days if sfid in last_task else None
        factors = (
            0.25 if tenure <= 0.5 else 0.5 if tenure <= 1 else 0.75 if tenure <= 2 else 0.9,
            0.1 if to_end <= 15 else 0.25 if to_end <= 30 else 0.75 if to_end <= 60 else 0.9 if to_end <= 90 else 1.0,
            0.25
            if since_task is None or since_task >= 90
            else 0.5
            if since_task >= 60
            else 0.75
            if since_task >= 30
            else 1.0,
        )
        score = round(100 * sum(factors) / 3)
        assert row["health_score_no_override"] == score, sfid
        assert row["health_score"] == (min(score, 25) if sfid == "A3" else score), sfid  # O9 is At Risk


def test_health_score_is_queued_for_write_back(analytics) -> None:
    queued = analytics.execute(
        "select source_table, destination_table, post_process_file, processed_at from util.pg_imports"
    ).fetchall()
    assert queued == [
        (
            "analytics.cs.account_health_score",
            "staging.account_health_score",
            "pg_update_account_health_score.sql",
            None,
        ),
    ]


def test_salesforce_data_errors(analytics) -> None:
    got = set(analytics.execute("select error_type, sfid from qa.salesforce_data_errors").fetchall())
    assert got == {
        ("line item ends before it starts", "LI12"),
        ("won opportunity without line items", "O8"),
        ("opportunity without account", "O7"),
        ("contact without valid email", "C2"),
    }


# --- idempotence (runs last: it rebuilds the warehouse the tests above read) ------------------------------


def snapshot(project: DbtProject) -> dict[str, list]:
    with project.analytics() as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables where table_catalog = 'analytics'"
        ).fetchall()
        return {f"{s}.{t}": sorted(map(repr, con.execute(f'select * from "{s}"."{t}"').fetchall())) for s, t in tables}


def test_a_second_build_changes_nothing(built: DbtProject, analytics) -> None:
    analytics.close()  # the module's reader would hold the lock dbt needs
    before = snapshot(built)
    built.run("run")  # every incremental model now takes its incremental branch
    assert snapshot(built) == before
