"""The parameters the tasks share: a Luigi batch of days, run slots."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tasks.extract.sources import LoadReleaseLogs
from tasks.params import floor_to_slot, utcnow
from tasks.publish.scripts import RunPostgresScript, RunPostgresScripts
from tests.conftest import SLOT
from tests.tasks.conftest import SETTLED


@pytest.mark.usefixtures("small_days_tolerate_their_dirt")
def test_a_batch_of_days_is_one_task_id_and_round_trips():
    days = (SETTLED - timedelta(days=1), SETTLED)
    batch = LoadReleaseLogs(date=tuple(reversed(days)))
    assert batch.date == days and batch.days() == days
    assert batch.task_id not in {LoadReleaseLogs(date=d).task_id for d in days}
    assert LoadReleaseLogs.from_str_params(batch.to_str_params()) == batch
    assert [t.update_id() for t in batch.day_tasks()] == [LoadReleaseLogs(date=d).update_id() for d in days]
    assert LoadReleaseLogs(date=(SETTLED,)) == LoadReleaseLogs(date=SETTLED)


def test_the_slot_defaults_to_the_current_hour_and_is_floored_to_the_slot(settings):
    now = utcnow()
    slot = RunPostgresScripts().slot
    assert slot in {floor_to_slot(now, 60), floor_to_slot(now + timedelta(seconds=5), 60)}
    assert RunPostgresScript(script="account_arr", slot=datetime(2026, 11, 25, 13, 47)).slot == SLOT
    settings.set("postgres", "slot_hours", 6)
    assert RunPostgresScript(script="account_arr", slot=SLOT).slot == datetime(2026, 11, 25, 12)
    assert RunPostgresScript(script="account_arr", slot=SLOT).update_id() == "pg-account-arr/2026-11-25T12/v1"
