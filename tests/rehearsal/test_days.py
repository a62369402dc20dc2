"""The rehearsed days' data: which landed file is which day's, what lands before each day's runs, and the day's
Salesforce activity."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest

from config.settings import replication
from devdata.generate import generate
from rehearsal import standins
from rehearsal.days import Days, day_of, salesforce_edits
from tests.conftest import pg_query

DAYS = Days(date(2026, 12, 4), window=3)


def test_the_window_of_day_1_is_full_and_day_2_follows() -> None:
    assert (DAYS.first, DAYS.day1, DAYS.day2, DAYS.count) == (date(2026, 12, 2), date(2026, 12, 4),
                                                             date(2026, 12, 5), 4)  # fmt: skip


def test_every_landed_file_names_its_day() -> None:
    dataset = generate(DAYS.first, DAYS.count, 20, seed=3)
    days = {day_of(f.key) for f in dataset.files}
    assert days == {date(2026, 12, d) for d in range(2, 6)}
    with pytest.raises(ValueError, match="no day"):
        day_of("licenses/latest.csv")


def test_files_land_as_production_receives_them() -> None:
    files = generate(DAYS.first, DAYS.count, 20, seed=3).files
    before_day1, before_day2 = DAYS.landings(files)
    assert not {f.key for f in before_day1} & {f.key for f in before_day2}
    assert {day_of(f.key) for f in before_day1} == {date(2026, 12, 2), date(2026, 12, 3), date(2026, 12, 4)}
    assert not [f for f in before_day1 if day_of(f.key) == DAYS.day1 and f.late], "day 1's late files come later"
    assert {(day_of(f.key), f.late) for f in before_day2} == {(DAYS.day1, True), (DAYS.day2, False)}
    never = [f for f in files if f.key not in {g.key for g in before_day1 + before_day2}]
    assert never and all(day_of(f.key) == DAYS.day2 and f.late for f in never), "only day 2's late files wait"


def test_a_days_salesforce_activity_reaches_the_replication_through_heroku_connect(orgm: dict[str, Any]) -> None:
    """A day's edit is dated at the day's end (or after its table's newest change), and the write-back's post-process
    (an UPDATE that leaves the modstamp alone) gives the row a modstamp newer than any other of its table, as Heroku
    Connect's round trip to Salesforce does."""
    cfg, dsn = replication(), orgm["dsn"]
    standins.heroku_connect(dsn)

    def state(table: str) -> tuple[list[tuple], datetime | None]:
        return (pg_query(dsn, f'SELECT * FROM orgm."{table}" ORDER BY sfid'),
                pg_query(dsn, f'SELECT max(systemmodstamp) FROM orgm."{table}"')[0][0])  # fmt: skip

    before = {t: state(t) for t in cfg.tables}
    salesforce_edits(dsn, DAYS.day1)
    for table in cfg.tables:
        (rows, newest), (old_rows, old_newest) = state(table), before[table]
        changed = sum(a != b for a, b in zip(rows, old_rows, strict=True))
        live = pg_query(dsn, f'SELECT count(*) FROM orgm."{table}" WHERE NOT isdeleted')[0][0]
        edited = max(old_newest + timedelta(seconds=1), datetime(2026, 12, 4, 23, 59)) if live else old_newest
        assert (changed, newest) == (int(bool(live)), edited), table
    newest = state("account")[1]
    pg_query(dsn, "UPDATE orgm.account SET health_score__c = 1 WHERE sfid = (SELECT max(sfid) FROM orgm.account)")
    stamped = pg_query(dsn, "SELECT systemmodstamp FROM orgm.account ORDER BY sfid DESC LIMIT 1")[0][0]
    assert stamped == newest + timedelta(seconds=1), "the write-back's update reaches the replication too"
