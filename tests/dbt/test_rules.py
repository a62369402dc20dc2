"""The rules of the marts on small hand-made cases, each expected row written out here by hand: release versions of
every width, leap years (a century that is one and one that is not), terms past the old end of the calendar, dates
that are typos, and "New" meaning the same day by day and month by month - at the grain of accounts and of parent
(master) accounts, through expansion, contraction, churn and resurrection.

The rows are added to the fixture warehouse of raw_data.py; each test looks only at its own servers and accounts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.dbt import raw_data as raw
from tests.dbt.conftest import DbtProject, make_project

D = dt.date

# --- security checks: which builds are releases -------------------------------------------------------------

BUILDS = {
    # server id: (b, ut)
    "v4-10-10": ("4.10.10.4.10.10", "0"),
    "v10-5-2": ("10.5.2.10.5.2", "0"),
    "v11-0-0": ("11.0.0.11.0.0", "0"),
    "v5-9-0": ("5.9.0.5.9.0", "0"),
    "v-wide": ("123.45.678.123.45.678", "0"),
    "v-seven-parts": ("5.19.0.5.19.0.1", "0"),
    "v-short": ("10.5.2", "0"),
    "v-dev-named": ("10.5.2.dev", "0"),
    "v-dev-build": ("10.5.2._BUILD_NUMBER_", "0"),
    "v-test-run": ("11.0.0.11.0.0", "1"),
    "v-letter": ("v10.5.2.10.5.2", "0"),
    "v-rc": ("10.5.2.10.5.2-rc1", "0"),
}
CHECK_DAY = D(2020, 2, 4)

# --- Salesforce: accounts, each won line item in its own opportunity ----------------------------------------

ACCOUNTS = [
    # sfid, parentid
    ("NEW1", None),  # a 16-day term inside May, then a term from August
    ("PAR", None),  # the parent (master) of PAR-C1 and PAR-C2, without line items of its own
    ("PAR-C1", "PAR"),
    ("PAR-C2", "PAR"),
    ("LEAP", None),
    ("FAR", None),
    ("TYPO", None),
]
LINE_ITEMS = [
    # sfid, account, totalprice, start, end
    ("NEW1-a", "NEW1", "1600.00", D(2020, 5, 5), D(2020, 5, 20)),  # 16 days: 365 * 1600 / 16 = 36,500 a day
    ("NEW1-b", "NEW1", "12000.00", D(2020, 8, 1), D(2021, 7, 31)),
    ("PAR-C1-a", "PAR-C1", "12000.00", D(2021, 1, 1), D(2021, 12, 31)),
    ("PAR-C1-b", "PAR-C1", "6000.00", D(2022, 1, 1), D(2022, 12, 31)),  # renewed at half the price
    ("PAR-C2-a", "PAR-C2", "3650.00", D(2021, 3, 15), D(2022, 3, 14)),
    ("LEAP-a", "LEAP", "7300.00", D(2023, 3, 1), D(2024, 2, 29)),  # a year ending on 29 February
    ("LEAP-b", "LEAP", "3650.00", D(2024, 2, 29), D(2025, 2, 28)),  # a year starting on 29 February
    ("LEAP-c", "LEAP", "20000.00", D(2023, 1, 1), D(2024, 12, 31)),  # two years, one leap day
    ("LEAP-d", "LEAP", "5000.00", D(1999, 6, 1), D(2000, 5, 31)),  # 2000 is a leap year (divisible by 400)
    ("LEAP-e", "LEAP", "7300.00", D(2099, 7, 1), D(2100, 6, 30)),  # 2100 is not (divisible by 100 only)
    ("FAR-a", "FAR", "24000.00", D(2039, 7, 1), D(2040, 6, 30)),  # across 29 February 2040
    ("FAR-b", "FAR", "10000.00", D(2040, 1, 1), D(2041, 12, 31)),  # two years past 2039, one leap day
    ("TYPO-a", "TYPO", "12000.00", D(2024, 7, 1), D(2204, 6, 30)),  # 2204 for 2024
    ("TYPO-b", "TYPO", "12000.00", D(202, 1, 1), D(2021, 1, 1)),  # 0202 for 2020
    ("TYPO-c", "TYPO", "12000.00", D(2020, 3, 1), D(2021, 2, 28)),
]


def add_rows(project: DbtProject) -> None:
    with project.raw() as con:
        checks = [
            raw.cloudfront(
                CHECK_DAY.isoformat(),
                f"10:{i:02d}:00",
                "/security",
                raw.security_query(**{**raw.PROD, "b": b, "ut": ut}, id=server, auc="5", uc="9"),
            )
            for i, (server, (b, ut)) in enumerate(BUILDS.items())
        ]
        raw.insert_load(con, "diagnostics.log_entries", [(c, raw.loaded(5)) for c in checks], "rules-file")
        raw.insert(
            con, "orgm.account", [{**raw.salesforce_row(sfid), "name": sfid, "parentid": p} for sfid, p in ACCOUNTS]
        )
        raw.insert(
            con,
            "orgm.opportunity",
            [
                {**raw.salesforce_row(f"O-{sfid}"), "accountid": account, "iswon": True, "isclosed": True}
                for sfid, account, *_ in LINE_ITEMS
            ],
        )
        raw.insert(
            con,
            "orgm.opportunitylineitem",
            [
                {
                    **raw.salesforce_row(sfid),
                    "opportunityid": f"O-{sfid}",
                    "product_type__c": "Recurring",
                    "totalprice": Decimal(price),
                    "start_date__c": start,
                    "end_date__c": end,
                }
                for sfid, _, price, start, end in LINE_ITEMS
            ],
        )


@pytest.fixture(scope="module")
def analytics(tmp_path_factory: pytest.TempPathFactory):
    project = make_project(tmp_path_factory.mktemp("rules"))
    add_rows(project)
    project.run("build")
    con = project.analytics()
    yield con
    con.close()


def test_release_builds_of_every_width_count_and_other_builds_do_not(analytics) -> None:
    got = analytics.execute(
        "select server_id, date, version from mattermost.server_security_details where server_id like 'v%'"
    ).fetchall()
    assert sorted(got) == [
        ("v-seven-parts", CHECK_DAY, "5.19.0.5.19.0.1"),
        ("v-wide", CHECK_DAY, "123.45.678.123.45.678"),
        ("v10-5-2", CHECK_DAY, "10.5.2.10.5.2"),
        ("v11-0-0", CHECK_DAY, "11.0.0.11.0.0"),
        ("v4-10-10", CHECK_DAY, "4.10.10.4.10.10"),
        ("v5-9-0", CHECK_DAY, "5.9.0.5.9.0"),
    ]


def test_each_term_day_earns_its_price_over_a_year_less_its_leap_day(analytics) -> None:
    got = {
        sfid: rest
        for sfid, *rest in analytics.execute(
            "select opportunitylineitem_sfid, count(*), min(day), max(day), min(won_arr), max(won_arr) "
            "from finance.opportunitylineitem_daily_arr where account_sfid in ('LEAP', 'FAR', 'TYPO') group by 1"
        ).fetchall()
    }
    assert got == {
        "LEAP-a": [366, D(2023, 3, 1), D(2024, 2, 29), 7300, 7300],
        "LEAP-b": [366, D(2024, 2, 29), D(2025, 2, 28), 3650, 3650],
        "LEAP-c": [731, D(2023, 1, 1), D(2024, 12, 31), 10000, 10000],  # 365 * 20000 / 730
        "LEAP-d": [366, D(1999, 6, 1), D(2000, 5, 31), 5000, 5000],
        "LEAP-e": [365, D(2099, 7, 1), D(2100, 6, 30), 7300, 7300],
        "FAR-a": [366, D(2039, 7, 1), D(2040, 6, 30), 24000, 24000],
        "FAR-b": [731, D(2040, 1, 1), D(2041, 12, 31), 5000, 5000],  # 365 * 10000 / 730
        "TYPO-c": [365, D(2020, 3, 1), D(2021, 2, 28), 12000, 12000],
    }


def test_the_calendar_reaches_every_term_and_the_spines_around_it(analytics) -> None:
    got = analytics.execute("select min(date_day), max(date_day), count(*) from util.dates").fetchone()
    assert got == (D(1999, 1, 1), D(2100, 12, 31), (D(2100, 12, 31) - D(1999, 1, 1)).days + 1)
    spine = analytics.execute(
        "select min(day), max(day), count(*), sum(total_arr) from finance.account_daily_arr where account_sfid = 'FAR'"
    ).fetchone()
    assert spine == (D(2039, 6, 30), D(2042, 1, 2), 918, 366 * 24000 + 731 * 5000)


def test_dates_that_are_typos_are_data_errors_and_out_of_arr(analytics) -> None:
    errors = analytics.execute(
        "select error_type, sfid from qa.salesforce_data_errors where sfid like 'TYPO%' order by sfid"
    ).fetchall()
    assert errors == [("line item ends past the horizon", "TYPO-a"), ("line item starts before the horizon", "TYPO-b")]
    arr = analytics.execute(
        "select distinct opportunitylineitem_sfid from finance.opportunitylineitem_daily_arr "
        "where account_sfid = 'TYPO'"
    ).fetchall()
    assert arr == [("TYPO-c",)]


def test_new_arr_is_the_first_day_with_arr(analytics) -> None:
    accounts = analytics.execute(
        "select account_sfid, day from finance.account_daily_arr_deltas "
        "where account_new_arr and account_sfid in ('NEW1', 'PAR-C1', 'PAR-C2') order by 1"
    ).fetchall()
    assert accounts == [("NEW1", D(2020, 5, 5)), ("PAR-C1", D(2021, 1, 1)), ("PAR-C2", D(2021, 3, 15))]
    masters = analytics.execute(
        "select master_account_sfid, day from finance.master_account_daily_arr_deltas "
        "where master_account_new_arr and master_account_sfid in ('NEW1', 'PAR') order by 1"
    ).fetchall()
    assert masters == [("NEW1", D(2020, 5, 5)), ("PAR", D(2021, 1, 1))]


def movements(analytics, model: str, key: str, keys: tuple[str, ...]) -> dict[tuple[str, dt.date], tuple]:
    """The key's months with a class; every other month of its spine must be quiet (no change, no class)."""
    rows = analytics.execute(
        f"select {key}, month, month_starting_arr, month_ending_arr, total_arr_delta, arr_change_type "
        f"from finance.{model} where {key} in ({', '.join('?' for _ in keys)})",
        list(keys),
    ).fetchall()
    quiet = [r for r in rows if r[5] is None]
    assert quiet and all(r[4] == 0 for r in quiet)
    return {(r[0], r[1]): r[2:] for r in rows if r[5] is not None}


def test_accounts_monthly_movement_new_in_the_month_of_the_first_day_with_arr(analytics) -> None:
    got = movements(analytics, "account_monthly_arr_deltas", "account_sfid", ("NEW1", "PAR-C1", "PAR-C2"))
    assert got == {
        # ARR came and went within May: New there, with no net change; August's rise from zero is a Resurrection.
        ("NEW1", D(2020, 5, 1)): (0, 0, 0, "New"),
        ("NEW1", D(2020, 8, 1)): (0, 12000, 12000, "Resurrection"),
        ("NEW1", D(2021, 8, 1)): (12000, 0, -12000, "Churn"),
        ("PAR-C1", D(2021, 1, 1)): (0, 12000, 12000, "New"),
        ("PAR-C1", D(2022, 1, 1)): (12000, 6000, -6000, "Contraction"),
        ("PAR-C1", D(2023, 1, 1)): (6000, 0, -6000, "Churn"),
        ("PAR-C2", D(2021, 3, 1)): (0, 3650, 3650, "New"),
        ("PAR-C2", D(2022, 3, 1)): (3650, 0, -3650, "Churn"),
    }


def test_master_accounts_monthly_movement_sums_their_accounts(analytics) -> None:
    got = movements(analytics, "master_account_monthly_arr_deltas", "master_account_sfid", ("NEW1", "PAR"))
    assert got == {
        ("NEW1", D(2020, 5, 1)): (0, 0, 0, "New"),
        ("NEW1", D(2020, 8, 1)): (0, 12000, 12000, "Resurrection"),
        ("NEW1", D(2021, 8, 1)): (12000, 0, -12000, "Churn"),
        ("PAR", D(2021, 1, 1)): (0, 12000, 12000, "New"),
        ("PAR", D(2021, 3, 1)): (12000, 15650, 3650, "Expansion"),  # the second child's term starts
        ("PAR", D(2022, 1, 1)): (15650, 9650, -6000, "Contraction"),
        ("PAR", D(2022, 3, 1)): (9650, 6000, -3650, "Contraction"),
        ("PAR", D(2023, 1, 1)): (6000, 0, -6000, "Churn"),
    }


def test_month_to_date_movement_is_new_from_the_first_day_with_arr(analytics) -> None:
    got = analytics.execute(
        "select day, month_starting_arr, month_ending_arr, total_arr_delta, arr_change_type "
        "from finance.master_account_month_to_date_arr_deltas where master_account_sfid = 'NEW1' "
        "and day in ('2020-05-04', '2020-05-05', '2020-05-20', '2020-05-21', '2020-05-31', '2020-07-31', "
        "'2020-08-01') order by day"
    ).fetchall()
    assert got == [
        (D(2020, 5, 4), 0, 0, 0, None),
        (D(2020, 5, 5), 0, 36500, 36500, "New"),
        (D(2020, 5, 20), 0, 36500, 36500, "New"),
        (D(2020, 5, 21), 0, 0, 0, "New"),
        (D(2020, 5, 31), 0, 0, 0, "New"),
        (D(2020, 7, 31), 0, 0, 0, None),
        (D(2020, 8, 1), 0, 12000, 12000, "Resurrection"),
    ]
