"""A plain-Python reading of the mart rules, written from their statement (docs/ and the models' own descriptions)
rather than from the SQL, for the differential test of the marts (test_marts_differential.py).

ARR: a won opportunity's live Recurring line item whose end is after its start, both dates within the horizon of the
run date, earns round(365 * price / (days - crosses_leap_day)) on each day of its term; accounts sum their line
items, master accounts (the live parent, else the account itself) sum their accounts; each key's spine runs from the
day before its first term to two days after its last. Active servers: the security checks of release builds, one
row per server and complete day."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from urllib.parse import unquote, unquote_plus

DAY = dt.timedelta(days=1)

# --- ARR ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineItem:
    sfid: str
    account: str
    price: Decimal | None
    start: dt.date | None
    end: dt.date | None


def add_years(day: dt.date, years: int) -> dt.date:
    """The same calendar day `years` later (28 February when 29 February does not exist then)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def plausible(item: LineItem, run_date: dt.date, horizon_years: int) -> bool:
    """Both dates set, the end not before the start, both within the horizon of the run date: anything else is a
    data error. (A term ending the day it starts is no error, but earns nothing.)"""
    if item.start is None or item.end is None or item.end < item.start:
        return False
    earliest, latest = add_years(run_date, -horizon_years), add_years(run_date, horizon_years)
    return earliest <= item.start and item.end <= latest


def crosses_leap_day(start: dt.date, end: dt.date) -> bool:
    return any(
        calendar.isleap(year) and start <= dt.date(year, 2, 29) <= end for year in range(start.year, end.year + 1)
    )


def daily_arr(price: Decimal, start: dt.date, end: dt.date) -> int:
    """365 * price / (days - crosses_leap_day), rounded half away from zero to a whole unit."""
    days = (end - start).days + 1 - crosses_leap_day(start, end)
    exact = Fraction(365) * Fraction(price) / days
    whole = int(abs(exact) + Fraction(1, 2))
    return whole if exact >= 0 else -whole


def live(rows: Iterable[dict], deleted_ids: set[str]) -> dict[str, dict]:
    return {r["sfid"]: r for r in rows if not r["isdeleted"] and r["sfid"] not in deleted_ids}


def arr_line_items(
    accounts: list[dict],
    opportunities: list[dict],
    line_items: list[dict],
    delete_history: list[dict],
    run_date: dt.date,
    horizon_years: int,
) -> tuple[list[LineItem], dict[str, str], list[LineItem]]:
    """(the line items ARR counts, each counted account's master, the implausible live won recurring items)."""
    deleted_ids = {r["object_id__c"] for r in delete_history if not r["isdeleted"]}
    live_accounts = live(accounts, deleted_ids)
    live_opportunities = live(opportunities, deleted_ids)
    counted, implausible = [], []
    for row in live(line_items, deleted_ids).values():
        opportunity = live_opportunities.get(row["opportunityid"])
        if opportunity is None or not opportunity["iswon"] or row["product_type__c"] != "Recurring":
            continue
        if opportunity["accountid"] not in live_accounts:
            continue
        item = LineItem(
            row["sfid"], opportunity["accountid"], row["totalprice"], row["start_date__c"], row["end_date__c"]
        )
        if not plausible(item, run_date, horizon_years):
            implausible.append(item)
        elif item.end > item.start:
            counted.append(item)
    masters = {}
    for item in counted:
        parent = live_accounts[item.account]["parentid"]
        masters[item.account] = parent if parent in live_accounts else item.account
    return counted, masters, implausible


def spine_arr(items: list[LineItem]) -> dict[dt.date, int]:
    """ARR on each day from the day before the first term to two days after the last (zero days included)."""
    first, last = min(i.start for i in items) - DAY, max(i.end for i in items) + 2 * DAY
    arr = {first + n * DAY: 0 for n in range((last - first).days + 1)}
    for item in items:
        value = daily_arr(item.price, item.start, item.end)
        day = item.start
        while day <= item.end:
            arr[day] += value
            day += DAY
    return arr


def arr_by_key(items: list[LineItem], key_of: dict[str, str]) -> dict[str, dict[dt.date, int]]:
    grouped: dict[str, list[LineItem]] = defaultdict(list)
    for item in items:
        grouped[key_of[item.account]].append(item)
    return {key: spine_arr(group) for key, group in grouped.items()}


def daily_deltas(arr: dict[dt.date, int]) -> dict[dt.date, tuple[int, int, int, bool]]:
    """Per day: (ARR, the previous day's ARR (0 before the spine), the change, whether it is the first ARR day)."""
    first = min((day for day, value in arr.items() if value != 0), default=None)
    return {
        day: (value, arr.get(day - DAY, 0), value - arr.get(day - DAY, 0), day == first) for day, value in arr.items()
    }


def first_arr_day(deltas: dict[dt.date, tuple[int, int, int, bool]]) -> dt.date | None:
    return next((day for day, (*_, new) in deltas.items() if new), None)


def classify(start: dt.date, end: dt.date, starting: int, ending: int, delta: int, first: dt.date | None) -> str | None:
    """The class of the movement over [start, end]: New when it holds the first ARR day, else by its change."""
    if first is not None and start <= first <= end:
        return "New"
    if delta > 0:
        return "Expansion" if starting != 0 else "Resurrection"
    if delta < 0:
        return "Contraction" if ending != 0 else "Churn"
    return None


def month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def month_to_date(
    arr: dict[dt.date, int],
    deltas: dict[dt.date, tuple],
    first: dt.date | None,
    first_day_of_month: dt.date,
    day: dt.date,
) -> tuple[int, int, int, str | None]:
    """(starting ARR, ARR of `day`, the summed daily changes from the month's first day to `day`, the class)."""
    starting, ending = arr.get(first_day_of_month - DAY, 0), arr.get(day, 0)
    delta, d = 0, first_day_of_month
    while d <= day:
        delta += deltas[d][2] if d in deltas else 0
        d += DAY
    return starting, ending, delta, classify(first_day_of_month, day, starting, ending, delta, first)


def months(arr: dict[dt.date, int]) -> list[dt.date]:
    month, last = min(arr).replace(day=1), max(arr)
    found = []
    while month <= last:
        found.append(month)
        month = month_end(month) + DAY
    return found


def monthly(arr: dict[dt.date, int]) -> dict[dt.date, tuple[int, int, int, str | None]]:
    """Per month of the spine: (starting ARR, ending ARR, the summed daily changes, the class)."""
    deltas = daily_deltas(arr)
    first = first_arr_day(deltas)
    return {month: month_to_date(arr, deltas, first, month, month_end(month)) for month in months(arr)}


def month_to_date_rows(arr: dict[dt.date, int]) -> dict[dt.date, tuple]:
    """Per day of the spine and the rest of its last month: (month, starting, ending, delta, class)."""
    deltas = daily_deltas(arr)
    first = first_arr_day(deltas)
    rows, day, last = {}, min(arr), month_end(max(arr))
    while day <= last:
        rows[day] = (day.replace(day=1), *month_to_date(arr, deltas, first, day.replace(day=1), day))
        day += DAY
    return rows


# --- active servers -----------------------------------------------------------------------------------------

COUNT = re.compile(r"[0-9]{1,10}")
RELEASE_BUILD = re.compile(r"[0-9]+(\.[0-9]+){5,}")  # version.build number, the build number a version again


@dataclass(frozen=True)
class Check:
    server: str | None
    version: str | None
    dev_build: bool
    ran_tests: bool
    db: str | None
    os: str | None
    active_users: int
    users: int
    teams: int
    enterprise_ready: bool
    location: str
    ip: str
    day: dt.date
    timestamp: dt.datetime


def query_values(logged_query: str) -> dict[str, str]:
    """Percent-decode once (CloudFront encodes again), then split into exact keys with form-decoded values."""
    query = "" if logged_query == "-" else unquote(logged_query)
    values = {}
    for pair in query.split("&"):
        key, _, value = pair.partition("=")
        values[unquote_plus(key)] = unquote_plus(value)
    return values


def parse_check(row: dict[str, str]) -> Check | None:
    if row["uri"] != "/security":
        return None
    values = query_values(row["cs_uri_query"])

    def text(key: str) -> str | None:
        return values.get(key) or None

    def count(key: str) -> int:
        value = values.get(key, "")
        return int(value) if COUNT.fullmatch(value) else 0

    version = text("b")
    return Check(
        server=text("id"),
        version=version,
        dev_build=version is not None and "_BUILD_NUMBER_" in version,
        ran_tests=text("ut") == "1",
        db=text("db"),
        os=text("os"),
        active_users=count("auc"),
        users=count("uc"),
        teams=count("tc"),
        enterprise_ready=text("be") == "true",
        location=row["edge"][:3],
        ip=row["cip"],
        day=dt.date.fromisoformat(row["logdate"]),
        timestamp=dt.datetime.fromisoformat(f"{row['logdate']} {row['logtime']}"),
    )


def counts_as_active(check: Check, run_date: dt.date, excluded_servers: set[str], excluded_ips: set[str]) -> bool:
    return (
        not check.dev_build
        and not check.ran_tests
        and check.version is not None
        and RELEASE_BUILD.fullmatch(check.version) is not None
        and check.ip not in excluded_ips
        and check.users >= check.active_users
        and check.server is not None
        and check.day <= run_date - DAY
        and check.server not in excluded_servers
    )


def server_days(
    raw_rows: Iterable[dict[str, str]], run_date: dt.date, excluded_servers: set[str], excluded_ips: set[str]
) -> dict[tuple[str, dt.date], dict[str, object]]:
    """server_security_details per (server, day). `latest` holds the candidate values of the columns taken from
    the day's latest check (highest IP on ties); more than one only when checks tie on both."""
    checks = {check for check in map(parse_check, raw_rows) if check is not None}  # identical checks are one
    by_day: dict[tuple[str, dt.date], list[Check]] = defaultdict(list)
    for check in checks:
        if counts_as_active(check, run_date, excluded_servers, excluded_ips):
            by_day[(check.server, check.day)].append(check)
    result = {}
    for key, day_checks in by_day.items():
        latest = max((c.timestamp, c.ip) for c in day_checks)
        result[key] = {
            "active_user_count": max(c.active_users for c in day_checks),
            "occurrences": len(day_checks),
            "ip_count": len({c.ip for c in day_checks}),
            "latest": {
                (c.users, c.teams, c.ip, c.version, c.db, c.os, c.enterprise_ready, c.location)
                for c in day_checks
                if (c.timestamp, c.ip) == latest
            },
        }
    return result
