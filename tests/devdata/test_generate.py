"""The deterministic sample data generator (devdata.generate): the same seed gives the same bytes, every source
is there, dirt can be turned off, and its command line."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from devdata import DIAGNOSTIC_LOCATION_ONE, DIAGNOSTIC_LOCATION_TWO, RELEASE_LOCATION, DirtOptions
from devdata.generate import Dataset, generate, main
from tests.devdata.conftest import DAYS, SEED, SERVERS, START, files_under


def test_same_seed_gives_identical_bytes_and_rows(dataset: Dataset) -> None:
    again = generate(START, DAYS, SERVERS, SEED)
    assert [(f.key, f.data, f.late) for f in again.files] == [(f.key, f.data, f.late) for f in dataset.files]
    assert [t.rows for t in again.segment + again.orgm] == [t.rows for t in dataset.segment + dataset.orgm]
    assert again.dirt == dataset.dirt
    other = generate(START, DAYS, SERVERS, SEED + 1)
    assert [f.data for f in other.files] != [f.data for f in dataset.files]


def test_every_source_is_present(dataset: Dataset) -> None:
    prefixes = {"/".join(f.key.split("/")[:2]) for f in dataset.files}
    assert {f"diagnostics/{DIAGNOSTIC_LOCATION_ONE}", f"diagnostics/{DIAGNOSTIC_LOCATION_TWO}",
            f"releases/{RELEASE_LOCATION}", "push_proxy/us", "push_proxy/test", "push_proxy/de"} <= prefixes
    assert {f.key for f in files_under(dataset, "licenses/")} == {
        f"licenses/{d}/licenses-{d}.csv" for d in (START + timedelta(days=i) for i in range(DAYS))}
    assert {f"{t.schema}.{t.name}" for t in dataset.segment} == {
        "mattermost2.server", "mattermost2.license", "mattermost2.activity", "mattermost_nps.nps_score",
        "mattermost_nps.nps_feedback"}
    assert {t.name for t in dataset.orgm} == {"account", "opportunity", "opportunitylineitem", "contact", "user",
                                              "task", "delete_history__c", "_trigger_log"}
    assert all(t.rows for t in dataset.segment + dataset.orgm)


def test_clean_data_has_no_dirt() -> None:
    clean = generate(START, 2, 30, SEED, DirtOptions.clean())
    dirt = clean.dirt
    assert not (dirt.dev_servers or dirt.test_servers or dirt.uc_below_auc_servers or dirt.duplicate_pings
                or dirt.malformed_lines or dirt.wide_lines or dirt.double_encoded_lines or dirt.late_files
                or dirt.partial_downloads or dirt.segment_duplicates)
    assert not any(f.late for f in clean.files)


def test_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse"
    main(["--landing", str(landing), "--start", "2026-11-18", "--days", "2", "--servers", "20", "--seed", "3",
          "--duckdb-dir", str(warehouse), "--skip-late"])
    out = capsys.readouterr().out
    assert "diagnostics:" in out and "orgm.opportunity:" in out
    expected = generate(date(2026, 11, 18), 2, 20, 3)
    assert {p.relative_to(landing).as_posix() for p in landing.rglob("*") if p.is_file()} == {
        f.key for f in expected.files if not f.late}
    with duckdb.connect(str(warehouse / "raw.duckdb")) as con:
        assert con.execute("SELECT count(*) FROM mattermost2.activity").fetchone()[0] == len(
            next(t for t in expected.segment if t.name == "activity").rows)
