"""The Salesforce replication as Luigi tasks: one task per orgm table and run slot (the work is
``services.replication``).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import ClassVar

import luigi

from config.settings import replication
from services.replication import forget_bookmark, replicate_table, target_of
from targets.postgres.session import PgSession
from targets.warehouse.connect import connect
from targets.warehouse.session import Session
from tasks.base import WarehouseTask
from tasks.params import MinuteSlotParameter
from tasks.run_in_pod import RunInPod

# -- tasks -----------------------------------------------------------------------------------------


class ReplicateOrgmTable(RunInPod, WarehouseTask):
    """Replicate one orgm table for one slot: its data, deletes, bookmark and marker in one warehouse
    transaction. Tables other than delete_history__c run after it, so deletes it lists apply at once.

    ``run()`` is this template's own: a replication has three phases (DDL; extract and stage outside any
    transaction; one data transaction), which WarehouseTask's prepare/work hooks do not express."""

    table = luigi.Parameter(description="The orgm table, e.g. opportunitylineitem.")
    slot = MinuteSlotParameter(
        lambda: replication().slot_minutes,
        description="Run slot (UTC, floored to [replication] slot_minutes); default: the current one.",
    )

    priority = 10  # extract before transform (see LoadDailyFiles)
    # In production ([kubernetes] run_in_pods) each table replicates in a Job pod of its own: a full reload of a
    # million-row table streams through this process.
    pod_cpu: ClassVar[str] = "1"
    pod_memory: ClassVar[str] = "2Gi"

    @functools.cached_property
    def target_table(self) -> str:  # type: ignore[override]
        return target_of(self.table)

    def partition(self) -> str:
        return f"{self.slot:%Y-%m-%dT%H%M}"

    def requires(self) -> Iterator[ReplicateOrgmTable]:
        history = replication().delete_history_table
        if self.table != history:
            yield ReplicateOrgmTable(table=history, slot=self.slot)

    def invalidate(self, session: Session) -> None:
        """``ops invalidate``: the next run reloads the table in full (a marker alone would replicate only changes)."""
        forget_bookmark(session, self.table)

    def run(self) -> None:
        self.check_environment()
        with connect(self.query_tag(), self.profile) as session, PgSession(f"replicate-{self.table}") as pg:
            outcome = replicate_table(session, pg, self.table, marker=self.output(), progress=self.report)
        self.report(str(outcome))


class ReplicateOrgm(luigi.WrapperTask):
    """Every table of [replication] tables for one slot."""

    slot = MinuteSlotParameter(
        lambda: replication().slot_minutes,
        description="Run slot (UTC, floored to [replication] slot_minutes); default: the current one.",
    )

    def requires(self) -> list[ReplicateOrgmTable]:
        return [ReplicateOrgmTable(table=t, slot=self.slot) for t in replication().tables]
