"""The whole pipeline as one entry point: what `make demo` runs, and the root for ops --downstream."""

from __future__ import annotations

from collections.abc import Iterator

import luigi

from tasks.extract.catchup import CatchUpLoads
from tasks.extract.replication import ReplicateOrgm
from tasks.params import PastDayParameter, WindowDaysParameter
from tasks.publish.digest import PostMetricsDigest
from tasks.publish.scripts import RunPostgresScripts
from tasks.publish.write_back import DrainWriteBackQueue
from tasks.transform.dbt import DbtBuild


class Pipeline(luigi.WrapperTask):
    """Every load and the Salesforce replication, then the marts built on them, the write-back to Postgres and
    the Postgres scripts, then the last day's metrics digest and report."""

    end = PastDayParameter(default=None, description="Last day of the window (default: yesterday, UTC).")
    days = WindowDaysParameter(default=None, description="Window length (default: [loading] catchup_days).")

    def requires(self) -> Iterator[luigi.Task]:
        yield CatchUpLoads(end=self.end, days=self.days)
        yield ReplicateOrgm()
        yield DbtBuild(selection="all", end=self.end, days=self.days)
        yield DrainWriteBackQueue(end=self.end, days=self.days)
        yield RunPostgresScripts()
        yield PostMetricsDigest(date=self.end, days=self.days)
