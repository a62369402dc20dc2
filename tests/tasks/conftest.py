"""Helpers of the tests of daily loads: the generator's files landed in the landing zone, days old enough to have
settled (no late files), the rows a load should keep."""

from __future__ import annotations

from datetime import date, timedelta

import luigi
import pytest

from devdata.writers import write_files
from tests.conftest import Settings

SETTLED = date.today() - timedelta(days=5)
YESTERDAY = date.today() - timedelta(days=1)


@pytest.fixture
def small_days_tolerate_their_dirt(settings: Settings) -> None:
    # A sample day of a few dozen lines carries 2 malformed ones on purpose: above the default 1%.
    settings.set("loading", "max_reject_share", 0.2)


def ok(result: luigi.execution_summary.LuigiRunResult) -> bool:
    return result.status.name in ("SUCCESS", "SUCCESS_WITH_RETRY")


def land(files, root) -> None:
    write_files(files, str(root))


def expected_rows(files, prefix: str, malformed: list) -> int:
    """Data lines of the source's files, less the malformed ones among them."""
    keys = {f.key for f in files if f.key.startswith(prefix)}
    return sum(f.lines for f in files if f.key in keys) - sum(1 for p in malformed if p.key in keys)


def diagnostics(ds):
    return [f for f in ds.files if f.key.startswith("diagnostics/")]
