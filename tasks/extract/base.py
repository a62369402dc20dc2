"""Template of a daily load from the landing zone: a source declares where its files land and how they
are named; the template lists the day's files, copies the new ones (file by file, replayable), fails
loudly on too many rejects and writes the day's marker.

A day over its reject threshold is not loaded: its rows, committed file by file before the day could be checked,
are withdrawn from the raw table again, so no mart ever reads them (incremental models rebuild any day whose raw
rows are newer than their last build, and drop a day that a failure marker says was withdrawn after they built it);
its files are marked for the next run to load again, and a failure marker tells ``ops status`` why.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import ClassVar

import luigi

from config.settings import landing, loading
from targets import landing as landing_zone
from targets.formats import META_COLUMNS, CopySpec, FileFormat
from targets.markers.target import delete_markers
from targets.warehouse import ledger
from targets.warehouse.connect import available_profile, connect
from targets.warehouse.ledger import REJECTS
from targets.warehouse.session import Session
from tasks.base import PartlyBuiltError, WarehouseTask
from tasks.params import DayBatchParameter

logger = logging.getLogger("bizops.extract")


class RejectThresholdError(RuntimeError):
    def __init__(self, message: str, rejected: int):
        super().__init__(message)
        self.rejected = rejected  # lines rejected over the day's files


@dataclass(frozen=True)
class DailySource:
    """Where a daily source lands and how its files for a day are recognised."""

    table: str
    stage: str  # Snowflake external stage name
    stage_path: str  # folder under the landing url
    file_format: FileFormat
    late_files: bool  # files for a day can land after the day (CloudFront: up to 24 h)

    def locations(self) -> Sequence[str]:
        """Sub-folders of the stage holding the source (e.g. one per CloudFront distribution)."""
        return ("",)

    def pattern(self, location: str, day: date) -> str:
        """Regex over the stage-relative path of the day's files at a location."""
        raise NotImplementedError

    def listing_path(self, location: str, day: date) -> str:
        """Where to list the day's files: a folder, or a folder and the start of the file names."""
        return location

    def columns(self) -> list[tuple[str, str]]:
        """The raw table's columns: every field kept, as text, and where each row came from."""
        return [(c, "VARCHAR") for c in self.file_format.columns] + list(META_COLUMNS)

    def stage_url(self) -> str:
        """Where the stage points: the source's folder of the landing zone."""
        return landing_zone.join(landing().url, self.stage_path)

    def specs(self, day: date) -> list[CopySpec]:
        return [
            CopySpec(
                self.table, self.stage, self.stage_url(), self.listing_path(loc, day), self.pattern(loc, day),
                self.file_format,
            )
            for loc in self.locations()
        ]  # fmt: skip

    def files(self, day: date) -> list[tuple[CopySpec, landing_zone.Listing]]:
        return [(spec, landing_zone.list_files(spec)) for spec in self.specs(day)]


class LandingFiles(luigi.ExternalTask):
    """The day's files of a source have landed (at least one). Until then the load waits for data."""

    source_task = luigi.Parameter(description="Family of the load task whose files these are.")
    date = luigi.DateParameter()
    region = luigi.Parameter(default="", significant=True)

    def output(self) -> luigi.Target:
        return _FilesLanded(self._load_task().source(), self.date)

    def _load_task(self) -> LoadDailyFiles:
        cls = luigi.task_register.Register.get_task_cls(self.source_task)
        return cls(date=self.date, **({"region": self.region} if self.region else {}))


class _FilesLanded(luigi.Target):
    def __init__(self, source: DailySource, day: date):
        self.source, self.day = source, day

    def exists(self) -> bool:
        return any(files for _, files in self.source.files(self.day))


class LoadDailyFiles(WarehouseTask):
    """Concrete loads set ``source()``; ``date`` is the day the files describe.

    Several ready days of a source (a catch-up, a backfill) run as one Luigi batch: their new files load
    together, in units big enough for DuckDB to write whole row groups, and each day is then checked and
    marked on its own - a day over the reject threshold fails alone."""

    date = DayBatchParameter(description="The day whose files to load (UTC); a batch holds several, comma-joined.")
    atomic: ClassVar[bool] = False  # files commit unit by unit with their load history: replayable
    # Extract before transform: while loads are runnable a worker takes them first, so the dbt nodes waiting
    # on them become ready together and run as one batch.
    priority = 10

    def source(self) -> DailySource:
        raise NotImplementedError

    @property
    def target_table(self) -> str:  # type: ignore[override]
        return self.source().table

    def days(self) -> tuple[date, ...]:
        return self.date if isinstance(self.date, tuple) else (self.date,)

    def day_tasks(self) -> list[LoadDailyFiles]:
        """The task of each day: the batch's members, or this task itself."""
        return [self.clone(date=day) for day in self.days()] if isinstance(self.date, tuple) else [self]

    def partition(self) -> str:
        days = self.days()
        return days[0].isoformat() if len(days) == 1 else f"{days[0]}..{days[-1]}"

    def settles_at(self) -> datetime | None:
        if not self.source().late_files:
            return None
        day_end = datetime(self.date.year, self.date.month, self.date.day) + timedelta(days=1)
        return day_end + timedelta(hours=loading().late_arrival_hours)

    def has_new_input(self) -> bool:
        """A file of the day is in the landing zone that its load history lacks (or marks for reloading)."""
        files = [f.path for _, found in self.source().files(self.date) for f in found]
        if not files:
            return False
        with connect(f"{self.query_tag()}:landed", available_profile()) as session:
            return bool(ledger.unloaded(session, self.source().table, files))

    def output(self) -> luigi.Target | list[luigi.Target]:
        return [t.output() for t in self.day_tasks()] if isinstance(self.date, tuple) else super().output()

    def requires(self) -> list[luigi.Task]:
        region = getattr(self, "region", "")
        return [LandingFiles(source_task=self.task_family, date=day, region=region) for day in self.days()]

    def prepare(self, session: Session) -> None:
        session.ensure_tables({**ledger.BOOKKEEPING, self.source().table: self.source().columns()})

    def invalidate(self, session: Session) -> None:
        """The day's files are reloaded by the next run, replacing exactly their rows."""
        for day in self.days():
            for spec in self.source().specs(day):
                ledger.invalidate_files(session, spec.table, spec.pattern)

    def work(self, session: Session) -> dict[str, int]:
        """Copy every new file of the days at once (the copy names its files: any spec of the source serves),
        then check each day; days over the reject threshold fail after the others are marked."""
        located = {day: self.source().files(day) for day in self.days()}
        spec = next(spec for found in located.values() for spec, _ in found)
        files = [f for found in located.values() for _, fs in found for f in fs]
        outcome = ledger.copy(session, spec, files, progress=self._progress)
        results = {r.file: r for r in outcome.results}
        rows: dict[str, int] = {}
        failed: list[RejectThresholdError] = []
        for task in self.day_tasks():
            paths = [f.path for _, fs in located[task.date] for f in fs]
            done = [results[p] for p in paths if results[p].status != "LOAD_SKIPPED"]
            logger.info(
                "%s %s: %d new file(s), %d rows loaded, %d rejected, %d already loaded",
                spec.table, task.date, len(done), sum(r.rows_loaded for r in done),
                sum(r.errors_seen for r in done), len(paths) - len(done),
            )  # fmt: skip
            try:
                rows[task.update_id()] = task._check_partition(session, paths)
            except RejectThresholdError as exc:
                task._withdraw(session, paths, exc.rejected)
                failed.append(exc)
        skipped = sum(len(fs.skipped) for found in located.values() for _, fs in found)
        self.report(f"{spec.table} {self.partition()}: {sum(rows.values())} rows, {len(failed)} day(s) failed"
                    + (f", {skipped} other file(s) in the prefix skipped" if skipped else ""), 100)  # fmt: skip
        if failed:
            error = (
                failed[0]
                if len(failed) == 1
                else RejectThresholdError("; ".join(map(str, failed)), sum(e.rejected for e in failed))
            )
            raise PartlyBuiltError(rows, error)
        return rows

    def _progress(self, units_done: int, units: int) -> None:
        """Shown in the luigid visualiser while a long load runs."""
        self.report(f"{units_done}/{units} file batches loaded", round(100 * units_done / units))

    def _check_partition(self, session: Session, paths: list[str]) -> int:
        """Totals over every file of the day (earlier runs' included); fail above the reject share."""
        table = self.source().table
        found = ledger.totals(session, table, paths)
        parsed, errors = found.rows_parsed, found.errors_seen
        share = errors / parsed if parsed else 0.0
        if share > loading().max_reject_share:
            worst = ledger.most_rejected(session, table, paths)
            detail = "; ".join(f"{f}: {n} rejected, first at line {line}: {err}" for f, n, line, err in worst)
            raise RejectThresholdError(
                f"{table} {self.date}: {errors} of {parsed} lines rejected ({share:.2%}), over "
                f"[loading] max_reject_share={loading().max_reject_share:.2%}. Worst: {detail}. "
                f"The rejected lines are kept in {REJECTS}; the day's rows are withdrawn until it passes, and each "
                f"run loads its files again: fix or replace them.",
                errors,
            )
        return found.rows_loaded

    def _withdraw(self, session: Session, paths: list[str], rejected: int) -> None:
        """Take a failed day out of the raw table (module docstring): its rows go, its files are marked for
        reloading, its marker goes (a provisional one of an earlier run too) and its failure marker is written,
        in one transaction."""
        failure = self.failure_marker()
        failure.prepare(session)
        with session.transaction():
            ledger.delete_rows(session, self.source().table, self.source().stage_url(), paths)
            self.invalidate(session)
            delete_markers(session, [self.update_id()])
            failure.write(session, rejected)

    def write_markers(self, session: Session, built: Mapping[str, int | None]) -> None:
        """The days built, and no failure left on record for them."""
        super().write_markers(session, built)
        passed = [t.failure_marker().update_id for t in self.day_tasks() if t.update_id() in built]
        delete_markers(session, passed)
