"""The whole pipeline as one entry point: what `make demo` runs, and the root for ops --downstream."""

from __future__ import annotations

from collections.abc import Iterator

import luigi

from tasks.extract.catchup import CatchUpLoads
from tasks.report import PostMetricsDigest
from tasks.transform.dbt import DbtBuild


class Pipeline(luigi.WrapperTask):
    """Every load over the window, then the marts built on them, then the last day's metrics digest and report."""

    end = luigi.DateParameter(default=None, description="Last day of the window (default: yesterday, UTC).")
    days = luigi.IntParameter(default=None, description="Window length (default: [loading] catchup_days).")

    def requires(self) -> Iterator[luigi.Task]:
        yield CatchUpLoads(end=self.end, days=self.days)
        yield DbtBuild(selection="all", end=self.end, days=self.days)
        yield PostMetricsDigest(date=self.end, days=self.days)
