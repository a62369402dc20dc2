"""The key marts against rows worked out by hand from the fixture rows of raw_data.py (the comments say how), beside
test_marts.py's rule-based checks: a rule misread the same way in the SQL and in a Python re-derivation passes
there, not here."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.dbt import raw_data as raw
from tests.dbt.conftest import DbtProject, make_project

D = dt.date
S1, S2, S3, S4 = raw.S1, raw.S2, raw.S3, raw.S4
S5 = "s5telemetryonlyyyyyyyyyyyy"


@pytest.fixture(scope="module")
def analytics(tmp_path_factory: pytest.TempPathFactory):
    project: DbtProject = make_project(tmp_path_factory.mktemp("by_hand"))
    marts = ("+server_daily_details", "+downloads", "+account_monthly_arr_deltas")
    project.run("build", "--select", *marts, "--indirect-selection", "cautious")  # their own tests only
    con = project.analytics()
    yield con
    con.close()


# --- active servers ---------------------------------------------------------------------------------------
# security_rows(): S1 checked twice on 3 Feb (41 of 88 users at 04:27 from FRA, the line loaded twice; 45 of 90 at
# 15:02 from another address in IAD: the day's most active users, its latest check's user count and place) and
# once on 4 Feb; S3 on 4 Feb with tc=x9 (0 teams); S2 on 4 Feb has more active than all users (dropped), on 5 Feb
# 3 of 20; S4 on 5 Feb without auc (0 active), its two lines one check. Dev builds, test runs, a bad version, no id,
# the excluded server and the run date (6 Feb) are not there.
SERVER_SECURITY_DETAILS = [
    # server, date, active users, users, teams, occurrences, addresses, location
    (S1, D(2020, 2, 3), 45, 90, 2, 2, 2, "IAD"),
    (S1, D(2020, 2, 4), 40, 90, 2, 1, 1, "FRA"),
    (S3, D(2020, 2, 4), 7, 9, 0, 1, 1, "FRA"),
    (S2, D(2020, 2, 5), 3, 20, 2, 1, 1, "FRA"),
    (S4, D(2020, 2, 5), 0, 5, 2, 1, 1, "FRA"),
]

# With Segment's server telemetry (S1 on 3 Feb, last at 09:00 on 5.19.1 with 2 admins; S5 on 4 Feb only): a server
# the security check saw without telemetry has tracking disabled.
SERVER_DAILY_DETAILS = [
    # server, date, in security, in telemetry, tracking disabled, active users, version, system admins
    (S1, D(2020, 2, 3), True, True, False, 45, "5.19.1", 2),
    (S1, D(2020, 2, 4), True, False, True, 40, "5.19.0.5.19.0", None),
    (S3, D(2020, 2, 4), True, False, True, 7, "5.19.0.5.19.0", None),
    (S5, D(2020, 2, 4), False, True, False, None, "5.18.0", None),
    (S2, D(2020, 2, 5), True, False, True, 3, "5.19.0.5.19.0", None),
    (S4, D(2020, 2, 5), True, False, True, 0, "5.19.0.5.19.0", None),
]


def test_server_security_details_by_hand(analytics) -> None:
    got = analytics.execute(
        "select server_id, date, active_user_count, user_count, team_count, occurrences, ip_count, location "
        "from mattermost.server_security_details order by date, server_id"
    ).fetchall()
    assert sorted(got) == sorted(SERVER_SECURITY_DETAILS)


def test_active_servers_by_hand(analytics) -> None:
    got = analytics.execute(
        "select server_id, date, in_security, in_mm2_server, tracking_disabled, active_user_count, version, "
        "system_admins from mattermost.server_daily_details"
    ).fetchall()
    assert sorted(got) == sorted(SERVER_DAILY_DETAILS)


# --- downloads --------------------------------------------------------------------------------------------
# release_rows(): the team tarball 5.20.1 on 3 Feb: nine full downloads and one loaded twice (10 at 100 MB), one
# of 10 MB (81.8 MB under the URI's mean of 91.8 MB, beyond its standard deviation of 27.1 MB: partial), one under
# 1 MB and a 404 (dropped). The enterprise tarball: three of 120 MB (no deviation), one on 3 Feb. 10.1.0 once.
# Desktop 4.4.0: setup-win.exe twice, .msi, mac.dmg, linux tar.gz. /index.html is no download.
DOWNLOADS = [
    # day, type, version, edition, os, downloads
    (D(2020, 2, 3), "server", "5.20.1", "team", None, 10),
    (D(2020, 2, 3), "server", "5.20.1", "enterprise", None, 1),
    (D(2020, 2, 4), "server", "5.20.1", "enterprise", None, 2),
    (D(2020, 2, 4), "server", "10.1.0", "team", None, 1),
    (D(2020, 2, 4), "desktop", "4.4.0", None, "windows", 3),
    (D(2020, 2, 4), "desktop", "4.4.0", None, "mac", 1),
    (D(2020, 2, 4), "desktop", "4.4.0", None, "linux", 1),
]


def test_downloads_by_hand(analytics) -> None:
    got = analytics.execute(
        "select logdate, download_type, version, edition, os, count(*) from releases.downloads group by all"
    ).fetchall()
    assert sorted(got, key=str) == sorted(DOWNLOADS, key=str)


# --- ARR --------------------------------------------------------------------------------------------------
# Won recurring line items with a plausible term, by account:
#   A1 (master M1): LI1 12,000 over 2020 (366 days, one leap day: 12,000 a day); LI3 15,000 over 2021.
#                   LI2 is one-time, LI11 deleted.
#   A2 (master M1): LI4 6,000 from 1 Jul 2019 to 30 Jun 2020 (across 29 Feb: 6,000); LI9 3,000 from 10 Mar to
#                   9 Sep 2020 (184 days: round(365 * 3000 / 184) = 5,951). LI8 ends the day it starts, LI12 before.
#   A3 (its own master): LI5 20,000 from 15 Mar 2019 to 14 Mar 2021 (731 days less a leap day: 10,000);
#                   LI6 8,000 from 1 Jun 2021 to 31 May 2022. O5 was lost.
#   A5's account is deleted: no ARR.
# Each account's days run from the day before its first term to two days after its last.
ACCOUNT_DAILY_ARR = [
    # account, master, day, ARR
    ("A1", "M1", D(2019, 12, 31), 0),
    ("A1", "M1", D(2020, 1, 1), 12000),
    ("A1", "M1", D(2020, 12, 31), 12000),
    ("A1", "M1", D(2021, 1, 1), 15000),
    ("A1", "M1", D(2022, 1, 2), 0),
    ("A2", "M1", D(2019, 6, 30), 0),
    ("A2", "M1", D(2019, 7, 1), 6000),
    ("A2", "M1", D(2020, 2, 29), 6000),
    ("A2", "M1", D(2020, 3, 9), 6000),
    ("A2", "M1", D(2020, 3, 10), 11951),
    ("A2", "M1", D(2020, 6, 30), 11951),
    ("A2", "M1", D(2020, 7, 1), 5951),
    ("A2", "M1", D(2020, 9, 9), 5951),
    ("A2", "M1", D(2020, 9, 10), 0),
    ("A2", "M1", D(2020, 9, 11), 0),
    ("A3", "A3", D(2019, 3, 14), 0),
    ("A3", "A3", D(2019, 3, 15), 10000),
    ("A3", "A3", D(2021, 3, 14), 10000),
    ("A3", "A3", D(2021, 3, 15), 0),
    ("A3", "A3", D(2021, 6, 1), 8000),
    ("A3", "A3", D(2022, 6, 2), 0),
]
SPANS = {"A1": (D(2019, 12, 31), D(2022, 1, 2)), "A2": (D(2019, 6, 30), D(2020, 9, 11)),
         "A3": (D(2019, 3, 14), D(2022, 6, 2))}  # fmt: skip

# Every month with a change, and its class (the other months of each span: the same ARR at both ends, no class).
ACCOUNT_MONTHLY_CHANGES = [
    # account, master, month, starting ARR, ending ARR, delta, class
    ("A1", "M1", "2020-01", 0, 12000, 12000, "New"),
    ("A1", "M1", "2021-01", 12000, 15000, 3000, "Expansion"),
    ("A1", "M1", "2022-01", 15000, 0, -15000, "Churn"),
    ("A2", "M1", "2019-07", 0, 6000, 6000, "New"),
    ("A2", "M1", "2020-03", 6000, 11951, 5951, "Expansion"),
    ("A2", "M1", "2020-07", 11951, 5951, -6000, "Contraction"),
    ("A2", "M1", "2020-09", 5951, 0, -5951, "Churn"),
    ("A3", "A3", "2019-03", 0, 10000, 10000, "New"),
    ("A3", "A3", "2021-03", 10000, 0, -10000, "Churn"),
    ("A3", "A3", "2021-06", 0, 8000, 8000, "Resurrection"),
    ("A3", "A3", "2022-06", 8000, 0, -8000, "Churn"),
]
MONTHS = {"A1": 26, "A2": 16, "A3": 40}  # Dec 2019 - Jan 2022, Jun 2019 - Sep 2020, Mar 2019 - Jun 2022


def test_account_daily_arr_by_hand(analytics) -> None:
    got = {
        (account, master, day): arr
        for account, master, day, arr in analytics.execute(
            "select account_sfid, master_account_sfid, day, total_arr from finance.account_daily_arr"
        ).fetchall()
    }
    assert {(a, m, d): got.get((a, m, d)) for a, m, d, _ in ACCOUNT_DAILY_ARR} == {
        (a, m, d): arr for a, m, d, arr in ACCOUNT_DAILY_ARR
    }
    spans = analytics.execute(
        "select account_sfid, min(day), max(day), count(*) from finance.account_daily_arr group by all"
    ).fetchall()
    assert sorted(spans) == [(a, first, last, (last - first).days + 1) for a, (first, last) in sorted(SPANS.items())]


def test_account_monthly_arr_by_hand(analytics) -> None:
    got = analytics.execute(
        "select account_sfid, master_account_sfid, month_label, month_starting_arr, month_ending_arr, "
        "total_arr_delta, arr_change_type from finance.account_monthly_arr_deltas"
    ).fetchall()
    assert sorted(row for row in got if row[-1] is not None) == sorted(ACCOUNT_MONTHLY_CHANGES)
    unchanged = [row for row in got if row[-1] is None]
    assert all(start == end and delta == 0 for *_, start, end, delta, _ in unchanged)
    months = {account: sum(1 for row in got if row[0] == account) for account in MONTHS}
    assert months == MONTHS
