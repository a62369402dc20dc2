"""The daily sources: where each lands its files and how a day's files are recognised."""

from __future__ import annotations

from datetime import date

import pytest

from devdata.generate import generate
from tasks.extract.sources import SECURITY_CHECK, LoadPushProxyLogs
from tests.conftest import build
from tests.conftest import wh as query
from tests.tasks.conftest import SETTLED, land


def test_the_security_check_source_builds_one_spec_per_distribution(env):
    specs = SECURITY_CHECK.specs(date(2026, 11, 25))
    # Listed by the day's name prefix: one day of a distribution, not its whole history.
    assert [s.path for s in specs] == [f"{d}/{d}.2026-11-25-" for d in ("ESECCHECKONE01", "ESECCHECKTWO02")]
    assert specs[0].matches("ESECCHECKONE01/ESECCHECKONE01.2026-11-25-07.XYZ123.gz")
    assert not specs[0].matches("ESECCHECKONE01/ESECCHECKONE01.2026-11-26-07.XYZ123.gz")
    assert not specs[0].matches("ESECCHECKTWO02/ESECCHECKTWO02.2026-11-25-07.XYZ123.gz")


@pytest.mark.usefixtures("small_days_tolerate_their_dirt")
def test_push_proxy_regions_are_independent(env):
    ds = generate(SETTLED, 1, 20, seed=5)
    land([f for f in ds.files if not f.key.startswith("push_proxy/de/")], env / "landing")
    us, de = LoadPushProxyLogs(date=SETTLED, region="us"), LoadPushProxyLogs(date=SETTLED, region="de")
    build(us, de, detailed_summary=True)
    assert us.complete() and not de.complete()
    assert query("SELECT count(*) FROM raw.push_proxy.logs")[0][0] > 0
