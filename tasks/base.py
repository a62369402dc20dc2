"""Templates of the pipeline's tasks.

``PipelineTask``: what every task has - its status in the visualiser, and one check before any work that it
can run here (its warehouse backend, its secrets). ``WarehouseTask``: a task whose output is a row in the
warehouse's marker table. A concrete task declares its target table and partition, and implements ``work``;
``run`` is not overridden. ``work`` runs inside the transaction that writes the marker (``atomic = True``), or,
for loads that commit file by file and are replayable, before it (``atomic = False``). A task whose work does
not fit those two shapes writes its own ``run()`` from the same hooks: ``check_environment``, ``write_markers``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, ClassVar

import luigi

from config import secrets
from config.settings import BACKENDS
from targets.markers.target import MarkerTarget, utcnow
from targets.warehouse.connect import backend, connect
from targets.warehouse.session import Profile, Session

logger = logging.getLogger("bizops.tasks")


class UnsupportedBackendError(RuntimeError):
    pass


class PipelineTask(luigi.Task):
    """Status and progress shown in the luigid visualiser; the backend and secrets checked before any work."""

    backends: ClassVar[tuple[str, ...]] = BACKENDS  # the warehouse backends the task exists on
    backends_reason: ClassVar[str] = ""  # why it exists on those only
    secrets_of: ClassVar[str | None] = None  # the task family whose secrets it needs (default: its own)

    def check_environment(self) -> None:
        """Fail before any work, naming what is missing: a backend the task does not exist on, or a secret."""
        current = backend()
        if current not in self.backends:
            raise UnsupportedBackendError(
                f"{self.task_family} runs on {' and '.join(self.backends)} only ({self.backends_reason}); "
                f"[warehouse] backend is {current}"
            )
        secrets.require(self.secrets_of or self.task_family, current)

    last_status_message: str | None = None  # the console's line for the finished task ends with it

    def report(self, message: str, percent: int | None = None) -> None:
        """The status message and progress in the visualiser: a no-op there when the task runs outside a Luigi
        worker (the worker installs the callbacks)."""
        self.last_status_message = message
        if callable(self.set_status_message):
            self.set_status_message(message)
        if percent is not None and callable(self.set_progress_percentage):
            self.set_progress_percentage(percent)


class PartlyBuiltError(Exception):
    """A batch's ``work`` built some partitions and failed others: the built ones' markers are written, then
    ``error`` is raised."""

    def __init__(self, rows: dict[str, int | None], error: Exception):
        super().__init__(str(error))
        self.rows = rows
        self.error = error


EMBEDDED_WAREHOUSE = "embedded_warehouse"  # a Luigi resource: the scheduler's default capacity is 1


class WarehouseTask(PipelineTask):
    target_table: ClassVar[str]  # what the task builds, e.g. raw.diagnostics.log_entries
    version: ClassVar[int] = 1  # bump to redo every partition (it is part of the update_id)
    profile: ClassVar[Profile] = "loader"  # Snowflake role/warehouse/credentials the task uses
    atomic: ClassVar[bool] = True

    @property
    def resources(self) -> dict[str, int]:  # type: ignore[override]
        """Luigi's resources of the task. The embedded warehouse's files take one process at a time, and dbt fails
        on a lock where our sessions wait for it: so every task that writes them (each writes its markers there)
        holds EMBEDDED_WAREHOUSE, of which the scheduler has one, and concurrent workers queue for it. Snowflake
        takes concurrent sessions."""
        return {EMBEDDED_WAREHOUSE: 1} if backend() == "duckdb" else {}

    def partition(self) -> str:
        """The partition this instance builds, as it appears in the update_id (e.g. a date)."""
        raise NotImplementedError

    def update_id(self) -> str:
        """Explicit and versioned; never Luigi's task_id (renames would orphan every marker)."""
        return f"{self.target_table}/{self.partition()}/v{self.version}"

    def settles_at(self) -> datetime | None:
        """Until this moment the partition can still change (late files): a marker written before it is provisional
        (``MarkerTarget``), complete while ``has_new_input`` is False and until this moment only. None: complete as
        soon as the marker exists."""
        return None

    def has_new_input(self) -> bool:
        """Whether the partition's sources hold anything its last build did not take in (a load: a landed file its
        load history lacks); asked of a provisional marker. True unless the task can tell: each run builds it again."""
        return True

    def output(self) -> MarkerTarget:
        return MarkerTarget(self.update_id(), self.target_table, self.settles_at(), changed=self.has_new_input)

    def failure_marker(self) -> MarkerTarget:
        """Written when the partition fails a check of its own (a load day over its reject threshold) and deleted
        when it is built, row_count saying how bad: what ``ops status`` reports as failed. It completes nothing."""
        return MarkerTarget(f"{self.target_table}/{self.partition()}/failed/v{self.version}", self.target_table)

    @classmethod
    def bulk_complete(cls, parameter_tuples: Iterable[Any]) -> list[Any]:
        """For Luigi's Range tools: answered from the process's one marker snapshot. ``cls`` may be a
        functools.partial carrying fixed parameters; each item is a dict, a tuple or one positional value."""
        done = []
        for params in parameter_tuples:
            if isinstance(params, dict):
                task = cls(**params)
            else:
                task = cls(*params) if isinstance(params, tuple) else cls(params)
            if task.complete():
                done.append(params)
        return done

    def query_tag(self) -> str:
        return f"luigi:{self.task_family}:{self.partition()}"

    # -- hooks -----------------------------------------------------------------------------------------
    def prepare(self, session: Session) -> None:
        """Tables the task needs (``Session.ensure_tables``); runs outside any transaction."""

    def invalidate(self, session: Session) -> None:
        """ops invalidate calls this in its transaction before deleting the marker: undo whatever would make
        the rerun skip work (a load's file history). Nothing by default."""

    def work(self, session: Session) -> int | dict[str, int] | None:
        """Do the task's work; return the row count recorded on the marker - for a Luigi batch whose output is
        its members' markers, the row count of each by update_id (raise PartlyBuiltError when some failed)."""
        raise NotImplementedError

    def prepare_markers(self, session: Session) -> None:
        """The table the task's markers need; outside any transaction."""
        for marker in luigi.task.flatten(self.output()):
            marker.prepare(session)

    def write_markers(self, session: Session, built: Mapping[str, int | None]) -> None:
        """Record the partitions built (row count by update_id) inside the open transaction. Markers written
        together share one time, so none looks older than another of the same batch."""
        at = utcnow()
        for marker in luigi.task.flatten(self.output()):
            if marker.update_id in built:
                marker.write(session, built[marker.update_id], at=at)
        for update_id, count in built.items():
            logger.info("%s: %s rows, marker %s", self.task_id, count, update_id)

    # -- template --------------------------------------------------------------------------------------
    def run(self) -> None:
        self.check_environment()
        update_id = luigi.task.flatten(self.output())[0].update_id
        error: Exception | None = None
        with connect(self.query_tag(), self.profile) as session:
            if self.atomic:
                self.prepare_markers(session)
                self.prepare(session)
                with session.transaction():
                    rows = self.work(session)
                    self.write_markers(session, {update_id: rows})
            else:
                self.prepare(session)
                try:
                    rows = self.work(session)
                except PartlyBuiltError as exc:
                    rows, error = exc.rows, exc.error
                built = rows if isinstance(rows, dict) else {update_id: rows}
                if built:
                    # Only now: a task that runs another program on the warehouse (dbt) holds no connection meanwhile.
                    self.prepare_markers(session)
                    with session.transaction():
                        self.write_markers(session, built)
        if error is not None:
            raise error
