"""The digest's figures and the report's series, read from the dbt marts (analytics.*) on either backend.

Each figure is a value for the digest's day D (or the period ending D) beside the value of the previous
period. Whether a value can be shown depends on its source:

- a log source (security checks, release downloads, each push-proxy region) is *stale* when the newest day
  that is both loaded (a load marker in the marker table) and present in the mart the figure reads is
  before D - [report] stale_after_days: a missing day would otherwise read as zero;
- ARR is stale when the newest Salesforce change replicated (max systemmodstamp of account, opportunity and
  line item: the signal dbt's orgm source freshness uses) is older than [report] salesforce_stale_hours at
  the end of D.

A stale figure carries a note instead of a value. A previous period that starts before the first day of
its source's data has no value (n/a) rather than a false zero or a false rise.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from config.settings import report
from targets.markers.stores import marker_table
from targets.warehouse.session import Session
from tasks.extract.sources import PUSH_PROXY, RELEASES, SECURITY_CHECK

ARR_DAILY = "analytics.finance.master_account_daily_arr"
ARR_MONTH_TO_DATE = "analytics.finance.master_account_month_to_date_arr_deltas"
ARR_MONTHLY = "analytics.finance.master_account_monthly_arr_deltas"
DATES = "analytics.util.dates"
SECURITY = "analytics.mattermost.server_security_details"
DOWNLOADS = "analytics.releases.downloads"
PUSH = "analytics.push_proxy.notifications_hourly"
SALESFORCE = ("raw.orgm.account", "raw.orgm.opportunity", "raw.orgm.opportunitylineitem")
MOVEMENTS = ("New", "Expansion", "Resurrection", "Contraction", "Churn")
PRODUCTS = {"team": "server (team)", "enterprise": "server (enterprise)", "desktop": "desktop"}
WEEK = 7

Points = list[tuple[date, int]]


@dataclass(frozen=True)
class Source:
    """A log source: the raw table its daily loads fill, and the mart (one region of it) the figures read."""

    name: str
    load_table: str
    mart: str
    day_column: str
    region: str | None = None


SECURITY_SOURCE = Source("security-check logs", SECURITY_CHECK.table, SECURITY, "date")
RELEASES_SOURCE = Source("release-download logs", RELEASES.table, DOWNLOADS, "logdate")
PUSH_SOURCES = tuple(Source(f"{r} push-proxy logs", s.table, PUSH, "date", r) for r, s in PUSH_PROXY.items())


@dataclass(frozen=True)
class Freshness:
    stale: str | None  # the note shown instead of a value; None when the source is fresh
    first_day: date | None = None  # oldest day of the source's data: earlier periods have no value


@dataclass(frozen=True)
class Figure:
    """One row of the digest."""

    label: str
    value: int | None  # None: see note
    previous: int | None  # None: no data for the previous period
    period: str  # the previous period, e.g. "Nov 23"
    money: bool = False
    movement: bool = False  # an ARR movement: a signed amount
    count: int | None = None  # accounts behind a movement
    note: str | None = None  # replaces the value (stale source, incomplete window)


@dataclass
class Metrics:
    day: date
    figures: list[Figure]
    notes: dict[str, str]  # report section (arr, active, downloads, push) -> why its figures are not shown
    arr: Points  # total ARR per day
    movement: dict[date, dict[str, int]]  # month -> movement type -> ARR (the current month up to the day)
    servers: dict[str, Points]  # "daily", "7-day" -> active servers
    users: dict[str, Points]  # "daily", "7-day" -> active users
    downloads: dict[str, Points]  # edition (server) or OS (desktop) -> downloads
    push: dict[str, Points]  # region -> push notifications sent


def collect(session: Session, day: date) -> Metrics:
    start = day - timedelta(days=report().history_days - 1)
    figures: list[Figure] = []
    notes: dict[str, str] = {}
    arr, months = _arr(session, day, start, figures, notes)
    servers, users = _active(session, day, start, figures, notes)
    downloads = _downloads(session, day, start, figures, notes)
    push = _push(session, day, start, figures, notes)
    return Metrics(day, figures, notes, arr, months, servers, users, downloads, push)


# -- freshness ---------------------------------------------------------------------------------------


def log_freshness(session: Session, source: Source, day: date) -> Freshness:
    loaded = _newest_marker_day(session, source.load_table, day)
    region, params = (" AND region = ?", (day, source.region)) if source.region else ("", (day,))
    first, last = session.execute(
        f"SELECT min({source.day_column}), max({source.day_column}) FROM {source.mart} "
        f"WHERE {source.day_column} <= ?{region}",
        params,
    )[0]
    newest = min(loaded, last) if loaded and last else None
    if newest is not None and newest >= day - timedelta(days=report().stale_after_days):
        return Freshness(None, first)
    return Freshness(f"stale — {source.name} " + (f"last loaded {newest}" if newest else "never loaded"), first)


def _newest_marker_day(session: Session, table: str, day: date) -> date | None:
    """Loads' update_ids are <table>/<YYYY-MM-DD>/v<n> (a day that failed has <table>/<YYYY-MM-DD>/failed/v<n>)."""
    days = []
    for (update_id,) in session.execute(f"SELECT update_id FROM {marker_table()} WHERE target_table = ?", (table,)):
        partition, *rest = update_id[len(table) + 1 :].split("/")
        with contextlib.suppress(ValueError):
            if len(rest) == 1:
                days.append(date.fromisoformat(partition))
    return max((d for d in days if d <= day), default=None)


def salesforce_freshness(session: Session, day: date) -> Freshness:
    tables = " UNION ALL ".join(f"SELECT max(systemmodstamp) AS changed FROM {t}" for t in SALESFORCE)
    newest = session.execute(f"SELECT max(changed) FROM ({tables}) AS salesforce")[0][0]
    deadline = datetime.combine(day + timedelta(days=1), time()) - timedelta(hours=report().salesforce_stale_hours)
    if newest is not None and newest >= deadline:
        return Freshness(None)
    return Freshness("stale — Salesforce data " + (f"last changed {newest:%Y-%m-%d %H:%M} UTC" if newest else "empty"))


# -- ARR ---------------------------------------------------------------------------------------------


def _arr(
    session: Session, day: date, start: date, figures: list[Figure], notes: dict[str, str]
) -> tuple[Points, dict[date, dict[str, int]]]:
    fresh = salesforce_freshness(session, day)
    month = day.replace(day=1)
    month_before = month - timedelta(days=1)
    rows = session.execute(
        f"SELECT day, sum(total_arr) FROM {ARR_DAILY} WHERE day BETWEEN ? AND ? GROUP BY day",
        (min(start, month_before), day),
    )
    totals = dict(rows)

    def arr_on(d: date) -> int:
        return int(totals.get(d, 0))  # no account has ARR rows that day: zero

    before = day - timedelta(days=1)
    figures += [
        Figure("Total ARR (day)", arr_on(day), arr_on(before), short(before), money=True, note=fresh.stale),
        Figure(
            "Total ARR (month)", arr_on(day), arr_on(month_before), short(month_before), money=True, note=fresh.stale
        ),
    ]
    # The same days of the previous month (capped at its end), so a month to date compares with its like.
    last_start = month_before.replace(day=1)
    last_end = min(last_start + timedelta(days=day.day - 1), month_before)
    this, last = movement(session, month, day), movement(session, last_start, last_end)
    for kind in MOVEMENTS:
        amount, count = this.get(kind, (0, 0))
        label, previous = f"{kind} ARR, {span(month, day)}", last.get(kind, (0, 0))[0]
        period = span(last_start, last_end)
        figures.append(
            Figure(label, amount, previous, period, money=True, movement=True, count=count, note=fresh.stale)
        )
    if fresh.stale:
        notes["arr"] = fresh.stale
    months: dict[date, dict[str, int]] = {m: {} for m in _months(start, day)}
    for m, kind, amount in session.execute(
        f"SELECT month, arr_change_type, sum(total_arr_delta) FROM {ARR_MONTHLY} "
        "WHERE month >= ? AND month < ? AND arr_change_type IS NOT NULL GROUP BY month, arr_change_type",
        (start.replace(day=1), month),
    ):
        months[m][kind] = int(amount)
    months[month] = {kind: amount for kind, (amount, _) in this.items()}
    series = [(start + timedelta(days=i), arr_on(start + timedelta(days=i))) for i in range((day - start).days + 1)]
    return series, months


def movement(session: Session, first: date, last: date) -> dict[str, tuple[int, int]]:
    """ARR movement of master accounts from ``first`` (a month's first day) to ``last``, by type -> (ARR, accounts),
    as master_account_month_to_date_arr_deltas classifies it; on a month's last day it is the monthly mart's."""
    rows = session.execute(
        f"SELECT arr_change_type, sum(total_arr_delta), count(*) FROM {ARR_MONTH_TO_DATE} "
        "WHERE month = ? AND day = ? AND arr_change_type IS NOT NULL GROUP BY arr_change_type",
        (first, last),
    )
    return {kind: (int(amount), int(count)) for kind, amount, count in rows}


# -- active servers and users ------------------------------------------------------------------------


def _active(
    session: Session, day: date, start: date, figures: list[Figure], notes: dict[str, str]
) -> tuple[dict[str, Points], dict[str, Points]]:
    """Telemetry-enabled active servers: servers whose security-update check passed the filters of
    server_security_details, over the 7 days ending a day (a missed check does not drop a server); their
    active users: the sum of each such server's highest daily active-user count in those days."""
    fresh = log_freshness(session, SECURITY_SOURCE, day)
    daily = session.execute(
        f"SELECT date, count(*), sum(active_user_count) FROM {SECURITY} WHERE date BETWEEN ? AND ? "
        "GROUP BY date ORDER BY date",
        (start, day),
    )
    week = {
        d: (int(servers), int(users))
        for d, servers, users in session.execute(
            f"""
            WITH days AS (
                SELECT date_day AS day FROM {DATES} WHERE date_day BETWEEN ? AND ?
            ),
            per_server AS (
                SELECT days.day, details.server_id, max(details.active_user_count) AS users
                FROM days
                JOIN {SECURITY} AS details ON details.date BETWEEN days.day - {WEEK - 1} AND days.day
                GROUP BY days.day, details.server_id
            )
            SELECT day, count(*), sum(users) FROM per_server GROUP BY day
            """,
            (min(start, day - timedelta(days=WEEK)), day),
        )
        # Only whole windows: one starting before the data would undercount.
        if fresh.first_day and d - timedelta(days=WEEK - 1) >= fresh.first_day
    }
    previous = day - timedelta(days=WEEK)
    note = fresh.stale or (None if day in week else f"n/a — {SECURITY_SOURCE.name} cover less than {WEEK} days")
    period = span(previous - timedelta(days=WEEK - 1), previous)
    (servers_now, users_now), (servers_then, users_then) = week.get(day, (None, None)), week.get(previous, (None, None))
    figures += [
        Figure("Active servers (7-day)", servers_now, servers_then, period, note=note),
        Figure("Active users (7-day)", users_now, users_then, period, note=note),
    ]
    if note:
        notes["active"] = note
    in_chart = sorted((d, v) for d, v in week.items() if d >= start)
    servers = {"daily": [(d, int(s)) for d, s, _ in daily], "7-day": [(d, v[0]) for d, v in in_chart]}
    users = {"daily": [(d, int(u)) for d, _, u in daily], "7-day": [(d, v[1]) for d, v in in_chart]}
    return servers, users


# -- downloads and push notifications ----------------------------------------------------------------


def _downloads(
    session: Session, day: date, start: date, figures: list[Figure], notes: dict[str, str]
) -> dict[str, Points]:
    fresh = log_freshness(session, RELEASES_SOURCE, day)
    by_product: dict[tuple[str, date], int] = defaultdict(int)
    by_kind: dict[str, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for d, kind, edition, os, n in session.execute(
        f"SELECT logdate, download_type, edition, os, count(*) FROM {DOWNLOADS} WHERE logdate BETWEEN ? AND ? "
        "GROUP BY logdate, download_type, edition, os",
        (min(start, day - timedelta(days=1)), day),
    ):
        by_product[(edition if kind == "server" else "desktop", d)] += int(n)
        if d >= start:
            by_kind[edition if kind == "server" else os][d] += int(n)
    before = day - timedelta(days=1)
    has_before = fresh.first_day is not None and fresh.first_day <= before
    for key, label in PRODUCTS.items():
        previous = by_product[(key, before)] if has_before else None
        figures.append(Figure(f"Downloads: {label}", by_product[(key, day)], previous, short(before), note=fresh.stale))
    if fresh.stale:
        notes["downloads"] = fresh.stale
    return {kind: sorted(points.items()) for kind, points in sorted(by_kind.items())}


def _push(session: Session, day: date, start: date, figures: list[Figure], notes: dict[str, str]) -> dict[str, Points]:
    fresh = [log_freshness(session, source, day) for source in PUSH_SOURCES]
    stale = "; ".join(f.stale for f in fresh if f.stale) or None
    totals: dict[date, int] = defaultdict(int)
    regions: dict[str, Points] = {source.region: [] for source in PUSH_SOURCES}
    for d, region, sent in session.execute(
        f"SELECT date, region, sum(send_push_count) FROM {PUSH} WHERE date BETWEEN ? AND ? "
        "GROUP BY date, region ORDER BY date",
        (min(start, day - timedelta(days=1)), day),
    ):
        totals[d] += int(sent)
        if d >= start:
            regions.setdefault(region, []).append((d, int(sent)))
    before = day - timedelta(days=1)
    has_before = all(f.first_day is not None and f.first_day <= before for f in fresh)
    previous = totals[before] if has_before else None
    figures.append(Figure("Push notifications sent", totals[day], previous, short(before), note=stale))
    if stale:
        notes["push"] = stale
    return regions


def _months(first: date, last: date) -> list[date]:
    """The first day of every month from ``first``'s to ``last``'s."""
    months = [first.replace(day=1)]
    while months[-1] < last.replace(day=1):
        months.append((months[-1] + timedelta(days=31)).replace(day=1))
    return months


# -- labels ------------------------------------------------------------------------------------------


def short(d: date) -> str:
    return f"{d:%b} {d.day}"


def span(first: date, last: date) -> str:
    """ "Nov 1-24" (with an en dash), or "Oct 28-Nov 3" across months."""
    end = str(last.day) if (first.year, first.month) == (last.year, last.month) else short(last)
    return f"{short(first)}–{end}"
