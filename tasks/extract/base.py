"""Template of a daily load from the landing zone: a source declares where its files land and how they
are named; the template lists the day's files, copies the new ones (file by file, replayable), fails
loudly on too many rejects and writes the day's marker.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import ClassVar

import luigi

from config.settings import landing, loading
from targets import landing as landing_zone
from targets.formats import META_COLUMNS, CopySpec, FileFormat, StagedFile
from targets.warehouse import LOAD_HISTORY, REJECTS, Session
from tasks.base import WarehouseTask

logger = logging.getLogger("bizops.extract")


class RejectThresholdError(RuntimeError):
    pass


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
        return location

    def specs(self, day: date) -> list[CopySpec]:
        stage_url = landing_zone.join(landing().url, self.stage_path)
        return [
            CopySpec(
                self.table, self.stage, stage_url, self.listing_path(loc, day), self.pattern(loc, day), self.file_format
            )
            for loc in self.locations()
        ]

    def files(self, day: date) -> list[tuple[CopySpec, list[StagedFile]]]:
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
    """Concrete loads set ``source()``; ``date`` is the day the files describe."""

    date = luigi.DateParameter(description="The day whose files to load (UTC).")
    atomic: ClassVar[bool] = False  # files commit one by one with their load history: replayable
    # Extract before transform: while loads are runnable a worker takes them first, so the dbt nodes waiting
    # on them become ready together and run as one batch.
    priority = 10

    def source(self) -> DailySource:
        raise NotImplementedError

    @property
    def target_table(self) -> str:  # type: ignore[override]
        return self.source().table

    def partition(self) -> str:
        return self.date.isoformat()

    def settles_at(self) -> datetime | None:
        if not self.source().late_files:
            return None
        day_end = datetime(self.date.year, self.date.month, self.date.day) + timedelta(days=1)
        return day_end + timedelta(hours=loading().late_arrival_hours)

    def requires(self) -> luigi.Task:
        return LandingFiles(source_task=self.task_family, date=self.date, region=getattr(self, "region", ""))

    def prepare(self, session: Session) -> None:
        session.ensure_bookkeeping()
        columns = [(c, "VARCHAR") for c in self.source().file_format.columns] + list(META_COLUMNS)
        session.ensure_table(self.source().table, columns)

    def invalidate(self, session: Session) -> None:
        """The day's files are reloaded by the next run, replacing exactly their rows."""
        for spec in self.source().specs(self.date):
            session.invalidate_files(spec.table, spec.pattern)

    def work(self, session: Session) -> int:
        located = self.source().files(self.date)
        for i, (spec, files) in enumerate(located):
            outcome = session.copy(spec, files, progress=functools.partial(self._progress, i, len(located)))
            loaded = [r for r in outcome.results if r.status != "LOAD_SKIPPED"]
            logger.info(
                "%s %s: %d new file(s), %d rows loaded, %d rejected, %d already loaded",
                spec.table, self.date, len(loaded), outcome.rows_loaded, len(outcome.rejects),
                len(outcome.results) - len(loaded),
            )  # fmt: skip
        return self._check_partition(session, [f.path for _, files in located for f in files])

    def _progress(self, location: int, locations: int, batches_done: int, batches: int) -> None:
        """Shown in the luigid visualiser while a long load runs."""
        self.report(
            f"location {location + 1}/{locations}: {batches_done}/{batches} file batches loaded",
            round(100 * (location + batches_done / batches) / locations),
        )

    def _check_partition(self, session: Session, paths: list[str]) -> int:
        """Totals over every file of the day (earlier runs' included); fail above the reject share."""
        table = self.source().table
        marks = ", ".join("?" for _ in paths)
        parsed, loaded, errors = session.execute(
            f"SELECT coalesce(sum(rows_parsed), 0), coalesce(sum(rows_loaded), 0), coalesce(sum(errors_seen), 0) "
            f"FROM {LOAD_HISTORY} WHERE target_table = ? AND file IN ({marks})",
            (table, *paths),
        )[0]
        share = errors / parsed if parsed else 0.0
        self.report(f"{table} {self.date}: {loaded} rows from {len(paths)} files, {errors} rejected", 100)
        if share > loading().max_reject_share:
            worst = session.execute(
                f"SELECT file, count(*) AS n, min(line), any_value(error) FROM {REJECTS} "
                f"WHERE target_table = ? AND file IN ({marks}) GROUP BY file ORDER BY n DESC LIMIT 3",
                (table, *paths),
            )
            detail = "; ".join(f"{f}: {n} rejected, first at line {line}: {err}" for f, n, line, err in worst)
            raise RejectThresholdError(
                f"{table} {self.date}: {errors} of {parsed} lines rejected ({share:.2%}), over "
                f"[loading] max_reject_share={loading().max_reject_share:.2%}. Worst: {detail}. "
                f"The rejected lines are kept in {REJECTS}; after fixing or replacing the files, "
                f"invalidate the day to reload it."
            )
        return int(loaded)
