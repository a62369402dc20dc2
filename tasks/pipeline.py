"""The whole pipeline as one entry point: what `make demo` runs, and the root for ops --downstream."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import luigi

from tasks.extract.catchup import CatchUpLoads
from tasks.extract.replication import ReplicateOrgm
from tasks.params import PastDayParameter, WindowDaysParameter
from tasks.publish.digest import PostMetricsDigest
from tasks.publish.scripts import RunPostgresScripts
from tasks.publish.write_back import DrainWriteBackQueue
from tasks.transform.dbt import DbtBuild


class Pipeline(luigi.WrapperTask):
    """Every load and the Salesforce replication, then the marts built on them, the write-back to Postgres and the
    last day's metrics digest and report, then the Postgres scripts.

    The scripts write Salesforce's tables in Postgres (orgm.account) that the replication reads, so they run after
    everything else (a dynamic dependency of ``run``): with any number of workers the run replicates the same rows
    and builds the same marts."""

    end = PastDayParameter(default=None, description="Last day of the window (default: yesterday, UTC).")
    days = WindowDaysParameter(default=None, description="Window length (default: [loading] catchup_days).")

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.scripts = RunPostgresScripts()  # its slot (the current hour) fixed with the run's other slots

    def requires(self) -> Iterator[luigi.Task]:
        yield CatchUpLoads(end=self.end, days=self.days)
        yield ReplicateOrgm()
        yield DbtBuild(selection="all", end=self.end, days=self.days)
        yield DrainWriteBackQueue(end=self.end, days=self.days)
        yield PostMetricsDigest(date=self.end, days=self.days)

    def complete(self) -> bool:
        return super().complete() and self.scripts.complete()

    def run(self) -> Iterator[luigi.Task]:
        yield self.scripts
