"""The ARR and active-server marts, row by row, against rules_reference.py (a Python reading of the rules) on seeded
random Salesforce records and security checks plus the edge cases written out below: terms across 29 February 2000,
2020 and 2024 (and 2100, no leap year), terms ending or starting on a leap day, two-day and one-day terms, overlaps,
parents and grandchildren, churn and resurrection, contraction, implausible dates, release builds of every width,
dev builds, test runs, missing counts and duplicated lines. The expected rows come from the raw rows as stored, the
fixture rows of raw_data.py included."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from tasks.extract.sources import LoadSecurityCheckLogs
from tests.dbt import raw_data as raw
from tests.dbt import rules_reference as ref
from tests.dbt.conftest import DbtProject, assert_same, make_project

D = dt.date
RUN_DATE = D(2024, 3, 2)  # checks of 29 February and 1 March 2024 are complete days, those of 2 March are not
HORIZON_YEARS = 90  # var('arr_horizon_years'), set below its default: the setting is honoured
HORIZON_END, HORIZON_START = D(2114, 3, 2), D(1934, 3, 2)  # 90 years after and before the run date
EXCLUDED_IP = "203.0.113.66"
SEED = 20240229
MARTS = (
    "+account_daily_arr_deltas", "+account_monthly_arr_deltas", "+master_account_daily_arr_deltas",
    "+master_account_monthly_arr_deltas", "+master_account_month_to_date_arr_deltas", "+server_security_details",
    "+salesforce_data_errors",
)  # fmt: skip

# --- Salesforce edge cases: (account, parent, deleted: True, False or "history") and line items ------------------

EDGE_ACCOUNTS = [
    ("XLEAP", None, False),
    ("XSHORT", None, False),
    ("XSEQ", None, False),
    ("XPAR", None, False),
    ("XPAR-C1", "XPAR", False),
    ("XPAR-C2", "XPAR", False),
    ("XPAR-G1", "XPAR-C1", False),  # a grandchild: its master is its own parent
    ("XGONE", None, True),
    ("XGONE-C1", "XGONE", False),  # a deleted parent: the account is its own master
    ("XNOPARENT", "XMISSING", False),  # a parent that is not in Salesforce: the same
    ("XHIST", None, "history"),  # deleted, recorded only in delete_history__c
    ("XHIST-C1", "XHIST", False),
    ("XZERO", None, False),
    ("XBAD", None, False),
    ("XHOR-END", None, False),
    ("XHOR-START", None, False),
    ("XHOR-OUT", None, False),
    ("XSKIP", None, False),
]
# kind: ok, lost (opportunity not won), opp-deleted, item-deleted (delete_history__c), undeleted (its
# delete_history__c record is itself deleted), one-time / lowercase (product type)
EDGE_ITEMS = [
    # line item, account, price, start, end, kind
    ("XLEAP-1", "XLEAP", "6000.00", D(2019, 7, 1), D(2020, 6, 30), "ok"),  # a year across 29 Feb 2020
    ("XLEAP-2", "XLEAP", "7300.00", D(2023, 3, 1), D(2024, 2, 29), "ok"),  # a year ending on 29 Feb
    ("XLEAP-3", "XLEAP", "3650.00", D(2024, 2, 29), D(2025, 2, 27), "ok"),  # starts on 29 Feb: 365 days, one a leap day
    ("XLEAP-4", "XLEAP", "50000.00", D(2019, 3, 1), D(2024, 3, 1), "ok"),  # two leap days
    ("XLEAP-5", "XLEAP", "1200.00", D(2099, 6, 1), D(2100, 5, 31), "ok"),  # 2100 is no leap year
    ("XLEAP-6", "XLEAP", "1200.00", D(1999, 6, 1), D(2000, 5, 31), "ok"),  # 2000 is one
    ("XLEAP-7", "XLEAP", "1200.00", D(1999, 3, 1), D(2000, 2, 29), "ok"),
    ("XLEAP-8", "XLEAP", "-1.00", D(2020, 2, 28), D(2020, 3, 1), "ok"),  # a credit: -182.5 a day, rounded to -183
    ("XSHORT-1", "XSHORT", "1.00", D(2021, 5, 10), D(2021, 5, 11), "ok"),  # 182.5 a day
    ("XSHORT-2", "XSHORT", "999.00", D(2021, 5, 10), D(2021, 5, 10), "ok"),  # a one-day term earns nothing
    ("XSHORT-3", "XSHORT", "1600.00", D(2021, 8, 5), D(2021, 8, 20), "ok"),  # inside a later month
    ("XSHORT-4", "XSHORT", "0.10", D(2022, 1, 1), D(2022, 3, 14), "ok"),  # 73 days: exactly 0.5 a day
    ("XSEQ-1", "XSEQ", "12000.00", D(2020, 1, 1), D(2020, 12, 31), "ok"),
    ("XSEQ-2", "XSEQ", "6000.00", D(2020, 1, 15), D(2020, 6, 30), "ok"),  # expansion inside the first month
    ("XSEQ-3", "XSEQ", "9000.00", D(2021, 1, 1), D(2021, 6, 29), "ok"),  # back after a gap
    ("XSEQ-4", "XSEQ", "9000.00", D(2021, 7, 1), D(2021, 12, 30), "ok"),  # a zero day on 30 June
    ("XSEQ-5", "XSEQ", "4000.00", D(2021, 12, 31), D(2022, 12, 30), "ok"),  # renewed the next day, for less
    ("XPAR-1", "XPAR", "1000.00", D(2022, 1, 1), D(2022, 12, 31), "ok"),
    ("XPAR-C1-1", "XPAR-C1", "2000.00", D(2021, 6, 1), D(2022, 5, 31), "ok"),
    ("XPAR-C2-1", "XPAR-C2", "3000.00", D(2022, 6, 1), D(2023, 5, 31), "ok"),
    ("XPAR-G1-1", "XPAR-G1", "4000.00", D(2022, 3, 1), D(2023, 2, 28), "ok"),
    ("XGONE-1", "XGONE", "5000.00", D(2022, 1, 1), D(2022, 12, 31), "ok"),  # a deleted account's
    ("XGONE-C1-1", "XGONE-C1", "5000.00", D(2022, 1, 1), D(2022, 12, 31), "ok"),
    ("XNOPARENT-1", "XNOPARENT", "5000.00", D(2022, 1, 1), D(2022, 12, 31), "ok"),
    ("XHIST-1", "XHIST", "5000.00", D(2022, 1, 1), D(2022, 12, 31), "ok"),
    ("XHIST-C1-1", "XHIST-C1", "5000.00", D(2022, 1, 1), D(2022, 12, 31), "ok"),
    ("XZERO-1", "XZERO", "0.00", D(2022, 1, 1), D(2022, 12, 31), "ok"),  # ARR 0: never a customer
    ("XBAD-1", "XBAD", "1000.00", D(2022, 1, 1), D(2022, 12, 31), "ok"),
    ("XBAD-2", "XBAD", "1000.00", D(2022, 5, 1), D(2022, 4, 1), "ok"),  # ends before it starts
    ("XBAD-3", "XBAD", "1000.00", D(2024, 1, 1), D(2204, 1, 1), "ok"),  # 2204 for 2024
    ("XBAD-4", "XBAD", "1000.00", D(1900, 1, 1), D(2022, 6, 1), "ok"),  # too far back
    ("XBAD-5", "XBAD", "1000.00", D(2022, 1, 1), None, "ok"),
    ("XBAD-6", "XBAD", "1000.00", None, D(2022, 1, 1), "ok"),
    ("XBAD-7", "XBAD", "1000.00", D(2022, 1, 1), D(9999, 12, 31), "ok"),
    ("XHOR-END-1", "XHOR-END", "1000.00", D(2113, 3, 3), HORIZON_END, "ok"),  # ends on the horizon
    ("XHOR-START-1", "XHOR-START", "1000.00", HORIZON_START, D(1935, 3, 1), "ok"),  # starts on it
    ("XHOR-OUT-1", "XHOR-OUT", "1000.00", D(2113, 3, 4), HORIZON_END + ref.DAY, "ok"),  # a day past it
    ("XHOR-OUT-2", "XHOR-OUT", "1000.00", HORIZON_START - ref.DAY, D(1935, 3, 1), "ok"),
    ("XSKIP-1", "XSKIP", "1000.00", D(2022, 1, 1), D(2022, 12, 31), "lost"),
    ("XSKIP-2", "XSKIP", "1000.00", D(2022, 1, 1), D(2022, 12, 31), "opp-deleted"),
    ("XSKIP-3", "XSKIP", "1000.00", D(2022, 1, 1), D(2022, 12, 31), "item-deleted"),
    ("XSKIP-4", "XSKIP", "1000.00", D(2022, 1, 1), D(2022, 12, 31), "one-time"),
    ("XSKIP-5", "XSKIP", "1000.00", D(2022, 1, 1), D(2022, 12, 31), "lowercase"),
    ("XSKIP-6", "XSKIP", "700.00", D(2023, 1, 1), D(2023, 12, 31), "undeleted"),
]

LEAP_STARTS = [D(2020, 2, 28), D(2020, 2, 29), D(2020, 3, 1), D(2024, 2, 29), D(2023, 3, 1), D(2019, 3, 1)]
TERM_DAYS = [1, 2, 3, 15, 28, 29, 30, 31, 45, 90, 181, 365, 366, 730, 731, 1096, 1827]


def random_salesforce(rng: random.Random) -> tuple[list, list]:
    """Random accounts (a third with a parent among eight masters) and line items (account, price, start, end,
    kind): mostly plausible won recurring terms around the leap days, some lost, deleted, one-time or implausible."""
    masters = [f"XRM{i}" for i in range(8)]
    accounts = [(m, None, False) for m in masters]
    accounts += [(f"XR{i:02d}", rng.choice(masters) if rng.random() < 0.35 else None, False) for i in range(40)]
    items = []
    for account, _, _ in accounts:
        for n in range(rng.randint(0 if account in masters else 1, 6)):
            if rng.random() < 0.3:
                start = rng.choice(LEAP_STARTS) + dt.timedelta(days=rng.choice([0, 0, -1, 1, -365]))
            else:
                start = D(2018, 1, 1) + dt.timedelta(days=rng.randrange(9 * 365))
            end = start + dt.timedelta(days=rng.choice(TERM_DAYS) - 1)
            if rng.random() < 0.04:
                end = rng.choice([start - dt.timedelta(days=rng.randint(1, 400)), end.replace(year=2204)])
            price = Decimal(rng.choice([rng.randint(0, 12_000_000), rng.randint(1, 400) * 1000 + 50, 36500])) / 100
            kind = rng.choices(["ok", "lost", "opp-deleted", "item-deleted", "one-time"], [88, 5, 2, 2, 3])[0]
            items.append((f"{account}-{n}", account, f"{price:.2f}", start, end, kind))
    return accounts, items


def salesforce_tables(accounts: list, items: list) -> dict[str, list[dict]]:
    """The raw.orgm rows of the accounts and line items (one opportunity per line item)."""
    tables: dict[str, list[dict]] = {
        "account": [],
        "opportunity": [],
        "opportunitylineitem": [],
        "delete_history__c": [],
    }
    for sfid, parent, deleted in accounts:
        tables["account"].append({**raw.salesforce_row(sfid, deleted is True), "name": sfid, "parentid": parent})
        if deleted == "history":
            tables["delete_history__c"].append({**raw.salesforce_row(f"DH-{sfid}"), "object_id__c": sfid})
    for sfid, account, price, start, end, kind in items:
        opportunity = f"O-{sfid}"
        tables["opportunity"].append(
            {**raw.salesforce_row(opportunity, kind == "opp-deleted"), "accountid": account, "iswon": kind != "lost",
             "isclosed": True}
        )  # fmt: skip
        product = {"one-time": "One-time", "lowercase": "recurring"}.get(kind, "Recurring")
        tables["opportunitylineitem"].append(
            {**raw.salesforce_row(sfid), "opportunityid": opportunity, "product_type__c": product,
             "totalprice": Decimal(price), "start_date__c": start, "end_date__c": end}
        )  # fmt: skip
        if kind in ("item-deleted", "undeleted"):
            record = raw.salesforce_row(f"DH-{sfid}", kind == "undeleted")
            tables["delete_history__c"].append({**record, "object_id__c": sfid})
    return tables


# --- security checks ----------------------------------------------------------------------------------------

RELEASES = ["4.10.10.4.10.10", "10.0.1.10.0.1", "11.2.0.11.2.0", "5.9.0.5.9.0", "5.19.0.5.19.0",
            "123.45.678.123.45.678", "5.19.0.5.19.0.1"]  # fmt: skip
NOT_RELEASES = ["10.0.1", "5.20.0.dev._BUILD_NUMBER_", "5.20.0._BUILD_NUMBER_", "9.11.10.12345",
                "10.5.2.10.5.2-rc1", "v10.5.2.10.5.2", "5..19.0.5.19.0", "5.19.0.5.19.0.",
                "10.5 .2.10.5.2"]  # fmt: skip
CHECK_DAYS = [D(2020, 2, 28), D(2020, 2, 29), D(2020, 3, 1), D(2024, 2, 28), D(2024, 2, 29), D(2024, 3, 1), RUN_DATE]
IPS = ["10.0.0.9", "10.0.0.10", "198.51.100.23", "2001:db8::1", EXCLUDED_IP]
EDGES = ["FRA2-C1", "IAD89-C2", "NRT57-P3", "GRU1-C1"]


EDGE_QUERIES = [  # as logged: CloudFront writes a request's '%' as %25
    "auc=5&b=5.19.0.5.19.0&id=xq1&os=lin%25zzux&uc=9&ut=0",  # not an escape: kept as it is
    "auc=5&b=5.19.0.5.19.0&id=xq2&os=caf%25C3%25A9&uc=9&ut=0",  # UTF-8
    "auc=5&b=5.19.0.5.19.0&id=xq3&os=100%25&uc=9&ut=0",  # a lone '%'
    "auc=5&b=5.19.0.5.19.0&id=xq4&os=a+b%252Bc&uc=9&ut=0",  # '+' is a space, %2B a plus
    "AUC=5&b=5.19.0.5.19.0&ID=xq5&uc=9&ut=0",  # keys are exact: no id
    "uc=9&ut=0&id=xq6&b=10.0.1.10.0.1&auc=5&tc=3",  # keys in any order
    "auc=5&b=5.19.0.5.19.0&id=xq7&uc=9&ut",  # a key without '='
    "auc=5&b=5.19.0.5.19.0&id=xq8&xauc=7&uc=9&auc2=8",  # keys containing others
]


def random_checks(rng: random.Random) -> list[dict[str, str]]:
    """Raw CloudFront lines of security checks: servers on release and other builds, some with more active users
    than users, no auc, a malformed or 11-digit count, ut=1, no id, an excluded IP, and lines logged twice."""
    lines = []
    for n in range(40):
        server = f"xsrv{n:02d}" + "z" * 20
        builds = RELEASES if rng.random() < 0.8 else NOT_RELEASES
        for day in rng.sample(CHECK_DAYS, rng.randint(1, 4)):
            for _ in range(rng.randint(1, 4)):
                users = rng.randint(0, 500)
                params = {"b": rng.choice(builds), "be": rng.choice(["true", "false"]), "db": "postgres",
                          "os": rng.choice(["linux", "windows", "darwin"]), "tc": str(rng.randint(0, 9)),
                          "ut": rng.choices(["0", "1", ""], [90, 5, 5])[0], "id": server, "uc": str(users),
                          "auc": str(rng.randint(0, users))}  # fmt: skip
                oddity = rng.random()
                if oddity < 0.05:
                    params["auc"] = str(users + rng.randint(1, 5))
                elif oddity < 0.10:
                    del params["auc"]
                elif oddity < 0.13:
                    params["auc"] = rng.choice(["x7", "-3", "12345678901", " 5"])
                elif oddity < 0.15:
                    params["id"] = ""
                time = rng.choice(
                    ["00:00:00", "11:59:59", "12:00:00", f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:07"]
                )
                line = raw.cloudfront(day.isoformat(), time, "/security", raw.security_query(**params),
                                      cip=rng.choice(IPS), edge=rng.choice(EDGES))  # fmt: skip
                if rng.random() < 0.1:  # logged twice: the same line, or by the other distribution
                    lines.append(rng.choice([dict(line), {**line, "x_edge_request_id": f"copy-{len(lines)}"}]))
                lines.append(line)
    return lines + [raw.cloudfront("2024-02-29", "10:00:00", "/security", query) for query in EDGE_QUERIES]


# --- the build and the expected rows ------------------------------------------------------------------------


def day_file(day: str) -> str:
    return f"differential/E2EXAMPLE.{day}-10.check.gz"


def load_checks(con: duckdb.DuckDBPyConnection, lines: list[dict[str, str]]) -> None:
    """The lines as the loader leaves them: one file per day."""
    for day in sorted({line["logdate"] for line in lines}):
        day_lines = [(line, dt.datetime(2024, 3, 2, 3)) for line in lines if line["logdate"] == day]
        raw.insert_load(con, "diagnostics.log_entries", day_lines, day_file(day))


def build(project: DbtProject, *selection: str) -> None:
    settings = {
        "run_date": RUN_DATE.isoformat(),
        "excluded_security_ips": [EXCLUDED_IP],
        "arr_horizon_years": HORIZON_YEARS,
    }
    project.run("build", "--select", *selection, "--exclude-resource-type", "test", "unit_test", vars=settings)


def expected_server_days(project: DbtProject) -> dict[tuple[str, dt.date], dict[str, object]]:
    seed = (project.project_dir / "seeds" / "excludable_servers.csv").read_text().splitlines()[1:]
    return ref.server_days(
        project.raw_rows("diagnostics.log_entries", ", ".join(raw.CLOUDFRONT_COLUMNS)),
        RUN_DATE,
        {line.split(",")[1] for line in seed if line},
        {EXCLUDED_IP},
    )


class Expected:
    """The reference's rows for everything in RAW (the fixture's rows and this module's)."""

    def __init__(self, project: DbtProject) -> None:
        self.counted, self.masters, self.implausible = ref.arr_line_items(
            project.raw_rows("orgm.account", "sfid, parentid, isdeleted"),
            project.raw_rows("orgm.opportunity", "sfid, accountid, iswon, isdeleted"),
            project.raw_rows(
                "orgm.opportunitylineitem",
                "sfid, opportunityid, product_type__c, totalprice, start_date__c, end_date__c, isdeleted",
            ),
            project.raw_rows("orgm.delete_history__c", "object_id__c, isdeleted"),
            RUN_DATE,
            HORIZON_YEARS,
        )
        self.accounts = ref.arr_by_key(self.counted, {a: a for a in self.masters})
        self.master_accounts = ref.arr_by_key(self.counted, self.masters)
        self.server_days = expected_server_days(project)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[duckdb.DuckDBPyConnection, Expected]]:
    project = make_project(Path(tmp_path_factory.mktemp("differential")))
    rng = random.Random(SEED)
    accounts, items = random_salesforce(rng)
    con = project.raw()
    try:
        for table, table_rows in salesforce_tables(EDGE_ACCOUNTS + accounts, EDGE_ITEMS + items).items():
            raw.insert(con, f"orgm.{table}", table_rows)
        load_checks(con, random_checks(rng))
    finally:
        con.close()
    build(project, *MARTS)
    expected = Expected(project)
    analytics = project.analytics()
    yield analytics, expected
    analytics.close()


def mart(analytics: duckdb.DuckDBPyConnection, sql: str) -> dict:
    """The rows of `sql` keyed by every column but the last."""
    return {tuple(r[:-1]): r[-1] for r in analytics.execute(sql).fetchall()}


def test_the_data_hits_every_edge_case(built) -> None:
    _, expected = built
    classes = {row[3] for arr in expected.accounts.values() for row in ref.monthly(arr).values()}
    assert classes == {"New", "Expansion", "Resurrection", "Contraction", "Churn", None}
    terms = [(i.start, i.end) for i in expected.counted]
    for leap_day in (D(2000, 2, 29), D(2020, 2, 29), D(2024, 2, 29)):
        assert any(start < leap_day < end for start, end in terms)
        assert any(leap_day in (start, end) for start, end in terms)
    assert any((end - start).days == 1 for start, end in terms)
    assert {m for a, m in expected.masters.items() if a != m} >= {"XPAR", "XPAR-C1"}
    assert len(expected.implausible) >= 8
    builds = {latest[3] for day in expected.server_days.values() for latest in day["latest"]}
    assert builds >= {"4.10.10.4.10.10", "10.0.1.10.0.1", "11.2.0.11.2.0", "5.9.0.5.9.0"}
    assert sum(len(arr) for arr in expected.master_accounts.values()) > 50_000


def test_line_item_daily_arr(built) -> None:
    analytics, expected = built
    want = {}
    for item in expected.counted:
        arr = ref.daily_arr(item.price, item.start, item.end)
        day = item.start
        while day <= item.end:
            want[(item.sfid, item.account, expected.masters[item.account], day)] = arr
            day += ref.DAY
    got = mart(
        analytics,
        "select opportunitylineitem_sfid, account_sfid, master_account_sfid, day, won_arr "
        "from finance.opportunitylineitem_daily_arr",
    )
    assert_same(want, got)


def test_account_daily_arr(built) -> None:
    analytics, expected = built
    want = {(a, expected.masters[a], day): v for a, arr in expected.accounts.items() for day, v in arr.items()}
    got = mart(analytics, "select account_sfid, master_account_sfid, day, total_arr from finance.account_daily_arr")
    assert_same(want, got)


@pytest.mark.parametrize(
    ("grain", "model", "flag"),
    [("accounts", "account_daily_arr_deltas", "account_new_arr"),
     ("master_accounts", "master_account_daily_arr_deltas", "master_account_new_arr")],
)  # fmt: skip
def test_daily_arr_deltas(built, grain: str, model: str, flag: str) -> None:
    analytics, expected = built
    key = "account_sfid" if grain == "accounts" else "master_account_sfid"
    want = {(k, day): v for k, arr in getattr(expected, grain).items() for day, v in ref.daily_deltas(arr).items()}
    got = {
        (r[0], r[1]): tuple(r[2:])
        for r in analytics.execute(
            f"select {key}, day, total_arr, previous_day_arr, total_arr_delta, {flag} from finance.{model}"
        ).fetchall()
    }
    assert_same(want, got)


def test_master_account_daily_arr(built) -> None:
    analytics, expected = built
    want = {(m, day): v for m, arr in expected.master_accounts.items() for day, v in arr.items()}
    got = mart(analytics, "select master_account_sfid, day, total_arr from finance.master_account_daily_arr")
    assert_same(want, got)


@pytest.mark.parametrize(
    ("grain", "model"),
    [("accounts", "account_monthly_arr_deltas"), ("master_accounts", "master_account_monthly_arr_deltas")],
)
def test_monthly_arr_deltas(built, grain: str, model: str) -> None:
    analytics, expected = built
    key = "account_sfid" if grain == "accounts" else "master_account_sfid"
    want = {
        (k, month, month.strftime("%Y-%m")): v
        for k, arr in getattr(expected, grain).items()
        for month, v in ref.monthly(arr).items()
    }
    got = {
        (r[0], r[1], r[2]): tuple(r[3:])
        for r in analytics.execute(
            f"select {key}, month, month_label, month_starting_arr, month_ending_arr, total_arr_delta, "
            f"arr_change_type from finance.{model}"
        ).fetchall()
    }
    assert_same(want, got)


def test_master_account_month_to_date_arr_deltas(built) -> None:
    analytics, expected = built
    want = {
        (m, day): v for m, arr in expected.master_accounts.items() for day, v in ref.month_to_date_rows(arr).items()
    }
    got = {
        (r[0], r[1]): tuple(r[2:])
        for r in analytics.execute(
            "select master_account_sfid, day, month, month_starting_arr, month_ending_arr, total_arr_delta, "
            "arr_change_type from finance.master_account_month_to_date_arr_deltas"
        ).fetchall()
    }
    assert_same(want, got)


def test_implausible_line_items_are_data_errors_and_out_of_arr(built) -> None:
    analytics, expected = built
    listed = {
        sfid
        for (sfid,) in analytics.execute(
            "select sfid from qa.salesforce_data_errors where object_name = 'opportunitylineitem'"
        ).fetchall()
    }
    implausible = {item.sfid for item in expected.implausible}
    assert implausible - listed == set()
    in_arr = {
        sfid
        for (sfid,) in analytics.execute(
            "select distinct opportunitylineitem_sfid from finance.opportunitylineitem_daily_arr"
        ).fetchall()
    }
    assert implausible & in_arr == set()


def assert_same_server_days(analytics: duckdb.DuckDBPyConnection, expected: dict) -> None:
    got = {
        (r[0], r[1]): r[2:]
        for r in analytics.execute(
            "select server_id, date, active_user_count, occurrences, ip_count, user_count, team_count, ip_address, "
            "version, db, os, enterprise_ready, location from mattermost.server_security_details"
        ).fetchall()
    }
    want = {key: (v["active_user_count"], v["occurrences"], v["ip_count"]) for key, v in expected.items()}
    assert_same(want, {k: v[:3] for k, v in got.items()})
    latest = {k: v[3:] for k, v in got.items() if v[3:] not in expected[k]["latest"]}
    assert latest == {}, {k: (v, expected[k]["latest"]) for k, v in latest.items()}


def test_server_security_details(built) -> None:
    analytics, expected = built
    assert_same_server_days(analytics, expected.server_days)


# A day whose reload fails after the marts built it (a late file pushes it over the reject threshold): the loader
# withdraws the rows of the day's files from the raw table and writes the day's failure marker, as
# LoadDailyFiles._withdraw does, and the next build runs.
WITHDRAWN = ["2024-03-01", "2024-02-28", "2020-02-29"]  # the newest built day, one in the lookback window, an older


def test_a_failed_day_leaves_the_marts_built_on_its_table(tmp_path_factory: pytest.TempPathFactory) -> None:
    project = make_project(Path(tmp_path_factory.mktemp("withdrawn")))
    with project.raw() as con:
        load_checks(con, random_checks(random.Random(SEED)))
    build(project, "+server_daily_details")
    with project.analytics() as analytics:
        built = set(analytics.execute("select distinct date from mattermost.server_daily_details").fetchall())
    assert {(dt.date.fromisoformat(day),) for day in WITHDRAWN} <= built
    with project.raw() as con:
        con.execute(
            f"delete from diagnostics.log_entries where _file in ({', '.join('?' for _ in WITHDRAWN)})",
            [day_file(day) for day in WITHDRAWN],
        )
    project.fail_loads([LoadSecurityCheckLogs(date=dt.date.fromisoformat(day)) for day in WITHDRAWN])
    build(project, "+server_daily_details")
    expected = expected_server_days(project)
    with project.analytics() as analytics:
        assert_same_server_days(analytics, expected)
        for model, day in (("events.security", "logdate"), ("mattermost.server_daily_details", "date")):
            left = analytics.execute(
                f"select distinct {day} from {model} where {day} in ({', '.join('?' for _ in WITHDRAWN)})"
                + (" and in_security" if model.endswith("details") else ""),
                WITHDRAWN,
            ).fetchall()
            assert left == [], f"{model} still shows withdrawn days {left}"


# Two terms starting on 29 February 2024. One year from that day ends on 28 February 2025, where the anniversary
# falls: 366 days with a leap day, its price every day, and one of the one-year terms the project's data test checks.
# One ending a day earlier is 365 days with a leap day: 365 * 3650 / 364 = 3,660 a day, and no one-year term. The
# pipeline builds with the data tests of each batch (dbt build --indirect-selection cautious), where a failing test
# would skip every ARR mart built after it.
FEB_29_TERMS = [
    ("XLEAPYEAR", "3650.00", D(2024, 2, 29), D(2025, 2, 28)),
    ("XLEAPSHORT", "3650.00", D(2024, 2, 29), D(2025, 2, 27)),
]


def test_the_arr_marts_build_with_terms_starting_on_29_february(tmp_path_factory: pytest.TempPathFactory) -> None:
    project = make_project(Path(tmp_path_factory.mktemp("leap_start")))
    accounts = [(account, None, False) for account, *_ in FEB_29_TERMS]
    items = [(f"{account}-1", account, price, start, end, "ok") for account, price, start, end in FEB_29_TERMS]
    with project.raw() as con:
        for table, table_rows in salesforce_tables(accounts, items).items():
            raw.insert(con, f"orgm.{table}", table_rows)
    project.run(
        "build",
        "--select",
        "+account_daily_arr",
        "--indirect-selection",
        "cautious",
        vars={"run_date": RUN_DATE.isoformat()},
    )
    assert [ref.daily_arr(Decimal(price), start, end) for _, price, start, end in FEB_29_TERMS] == [3650, 3660]
    with project.analytics() as analytics:
        for account, price, start, end in FEB_29_TERMS:
            got = analytics.execute(
                "select day, total_arr from finance.account_daily_arr where account_sfid = ?", [account]
            )
            assert dict(got.fetchall()) == ref.spine_arr(
                [ref.LineItem(f"{account}-1", account, Decimal(price), start, end)]
            )
