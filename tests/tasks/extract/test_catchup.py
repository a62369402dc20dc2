"""The daily catch-up: missing days of a load found in bulk and filled in one run."""

from __future__ import annotations

from datetime import timedelta

import pytest

from devdata.generate import generate
from targets.markers.snapshots import SNAPSHOTS
from targets.markers.stores import WAREHOUSE
from tasks.extract.catchup import CatchUpLoads
from tasks.extract.sources import LoadSecurityCheckLogs
from tests.conftest import build
from tests.tasks.conftest import SETTLED, land, ok

pytestmark = pytest.mark.usefixtures("small_days_tolerate_their_dirt")


def test_catch_up_fills_two_missing_days_in_one_run(env):
    first = SETTLED - timedelta(days=3)
    ds = generate(first, 4, 20, seed=9)
    land(ds.files, env / "landing")
    days = [first + timedelta(days=i) for i in range(4)]
    assert ok(build(LoadSecurityCheckLogs(date=days[0]), LoadSecurityCheckLogs(date=days[3]), detailed_summary=True))
    before = {d: SNAPSHOTS.of(WAREHOUSE).get(LoadSecurityCheckLogs(date=d).update_id()) for d in days}
    assert before[days[1]] is None and before[days[2]] is None
    result = build(CatchUpLoads(end=days[3], days=4, sources=["LoadSecurityCheckLogs"]), detailed_summary=True)
    assert ok(result) and f"2 LoadSecurityCheckLogs(date={days[1]},{days[2]})" in result.summary_text
    after = {d: SNAPSHOTS.of(WAREHOUSE).get(LoadSecurityCheckLogs(date=d).update_id()) for d in days}
    assert all(after.values())
    assert after[days[0]] == before[days[0]] and after[days[3]] == before[days[3]]
