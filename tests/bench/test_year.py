"""bench/year.py: where it cuts a dataset into the history and the ordinary day, and its whole code path end to end
at a few days and servers (the real pipeline, warehouse and PostgreSQL), so the benchmark cannot rot."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date, timedelta

import pytest

from bench import year
from devdata.generate import generate


def test_the_day_brings_its_own_files_the_late_files_of_the_day_before_and_a_days_changes():
    day = date(2026, 11, 4)
    ds = generate(day - timedelta(days=3), 4, 8, 42, year.DIRT, 10, 10)
    cut = year.split(ds, day)
    before = day - timedelta(days=1)
    assert {f.key for f in cut.history_files} == {
        f.key for f in ds.files if year.file_day(f.key) < before or (year.file_day(f.key) == before and not f.late)
    }
    assert {f.key for f in cut.day_files} == {
        f.key for f in ds.files if (year.file_day(f.key) == day and not f.late)
        or (year.file_day(f.key) == before and f.late)
    }  # fmt: skip
    assert any(f.late for f in cut.day_files) and any(not f.late for f in cut.day_files)
    # Every row is in the history or the day's changes, once; the day's changes are few but not none.
    history = {f"{t.schema}.{t.name}": len(t.rows) for t in cut.history_tables + cut.segment}
    changes = {f"{t.schema}.{t.name}": len(t.rows) for t in cut.day_tables}
    for t in ds.segment + ds.orgm:
        name = f"{t.schema}.{t.name}"
        assert history[name] + changes.get(name, 0) == len(t.rows), name
    assert 0 < sum(changes.values()) < sum(history.values())
    assert all(r[4].date() == day for t in cut.day_tables if t.schema in year.SEGMENT_SCHEMAS for r in t.rows)


def test_a_landing_keys_day_is_its_first_date_whatever_the_sources_layout():
    assert year.file_day("diagnostics/E1/E1.2026-11-01-03.WV8RXYSDMMQ.gz") == date(2026, 11, 1)
    assert year.file_day(
        "push_proxy/us/AWSLogs/111122223333/elasticloadbalancing/us-east-1/2026/11/02/"
        "111122223333_elasticloadbalancing_us-east-1_app.push-proxy.8c1f_20261102T0055Z_3.4.1.2_p1.log.gz"
    ) == date(2026, 11, 2)
    with pytest.raises(ValueError, match=r"no date in landing key 'licenses/x\.csv'"):
        year.file_day("licenses/x.csv")


@pytest.mark.timeout(1800)
def test_a_stages_peak_memory_is_its_own_not_the_benchs(tmp_path):
    """The bench holds the generated year; a process it starts inherits its high-water mark across exec."""
    held = bytearray(400 << 20)
    held[:: 1 << 12] = b"x" * len(held[:: 1 << 12])  # touched, so resident
    peak = tmp_path / "peak"
    subprocess.run([sys.executable, "-c", year.MEASURE_PEAK, str(peak), sys.executable, "-c", "pass"], check=True)
    assert int(peak.read_text()) < 100 << 10  # KB: a bare interpreter, nowhere near the 400 MB held here
    del held


def test_the_benchmark_runs_end_to_end_at_a_few_days(capsys):
    year.main(["--days", "2", "--week", "1", "--servers", "6", "--downloads", "5", "--pushes", "5", "--rounds", "1"])
    out = capsys.readouterr().out
    backfill = re.search(r"Backfill of 2 days: (\d+) rows", out)
    assert backfill and int(backfill[1]) > 0
    for stage in ("loads", "replication", "dbt (every node)", "total"):
        assert re.search(rf"^{re.escape(stage)} +[\d.]+ +[\d.]+ +\d+$", out, re.M), stage
    for history, workers in (("year", 1), ("week", 1), ("year", 2)):
        # Each stage's time, the total, the scheduling, the rows the day added (some), the one round's time.
        found = re.search(rf"^{history}, {workers}(( +[\d.]+){{8}}) +(\d+) +[\d.]+$", out, re.M)
        assert found and int(found[3]) > 0, (history, workers)
    assert re.search(r"^day on a year / day on a week: [\d.]+ \(target <= 1.3\)$", out, re.M)
    assert re.search(r"^day on a year, --workers 2 / --workers 1: [\d.]+ \(target < 1\)$", out, re.M)
