"""Parameters the tasks share, and the one window rule.

Days: a load's day, or a Luigi batch of days (``DayBatchParameter``); a reported day, by default yesterday
(``PastDayParameter``). The window of days a run covers ends ``end`` (default yesterday) and is ``days`` long
(default ``[loading] catchup_days``).

Run slots: a task that runs "once per hour" (or per N minutes) takes the slot as a parameter, so its
marker says which slot is done. The default is the slot holding the current UTC time, fixed when the task
is instantiated (so ``requires()`` is deterministic within a run, even across the hour)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import luigi

from config.settings import loading
from targets.markers.target import utcnow


class _CurrentSlot:
    def __repr__(self) -> str:
        return "<the current slot>"


CURRENT = _CurrentSlot()


def floor_to_slot(value: datetime, minutes: int) -> datetime:
    """The start of the slot of ``minutes`` minutes (slots start at midnight UTC) that holds ``value``."""
    if minutes <= 0 or 1440 % minutes:
        raise ValueError(f"a slot of {minutes} minutes does not divide a day")
    value = value.replace(second=0, microsecond=0)
    return value - timedelta(minutes=(value.hour * 60 + value.minute) % minutes)


class _SlotMixin:
    def __init__(self, slot_minutes: Callable[[], int], **kwargs: Any):
        kwargs.setdefault("default", CURRENT)
        super().__init__(**kwargs)
        self._slot_minutes = slot_minutes

    def normalize(self, dt: Any) -> datetime | None:
        if dt is None:
            return None
        if dt is CURRENT:
            dt = utcnow()
        if not isinstance(dt, datetime):
            dt = datetime.combine(dt, datetime.min.time())
        return floor_to_slot(dt, self._slot_minutes())


class HourSlotParameter(_SlotMixin, luigi.DateHourParameter):
    """A slot of whole hours (``2026-11-25T13``); defaults to the current one."""


class MinuteSlotParameter(_SlotMixin, luigi.DateMinuteParameter):
    """A slot of minutes (``2026-11-25T1330``); defaults to the current one."""


def yesterday() -> date:
    return date.today() - timedelta(days=1)


def window(end: date | None, days: int | None) -> tuple[date, date]:
    """(first day, last day) of the ``days`` days ending ``end`` (defaults: yesterday, [loading] catchup_days)."""
    last = end or yesterday()
    return last - timedelta(days=(days or loading().catchup_days) - 1), last


class DayBatchParameter(luigi.DateParameter):
    """A day. Luigi hands a worker the ready days of one load as one batch (``batch_method``): the batch's task
    holds them all, as a tuple serialized comma-joined, so its id is none of the days' ids."""

    def __init__(self, **kwargs: Any):
        super().__init__(batch_method=tuple, **kwargs)

    def parse(self, s: str) -> date | tuple[date, ...]:
        return self.normalize(tuple(luigi.DateParameter.parse(self, day) for day in s.split(",")))

    def normalize(self, x: Any) -> date | tuple[date, ...]:
        if not isinstance(x, tuple):
            return super().normalize(x)
        days = tuple(sorted({luigi.DateParameter.normalize(self, day) for day in x}))
        return days[0] if len(days) == 1 else days

    def next_in_enumeration(self, value: Any) -> date | None:
        return None if isinstance(value, tuple) else super().next_in_enumeration(value)

    def serialize(self, x: Any) -> str:
        if isinstance(x, tuple):
            return ",".join(luigi.DateParameter.serialize(self, day) for day in x)
        return super().serialize(x)


class PastDayParameter(luigi.DateParameter):
    """A day; None (the default) is yesterday (UTC), fixed when the task is instantiated so its id names the day."""

    def normalize(self, value: Any) -> date:
        return yesterday() if value is None else super().normalize(value)


class WindowDaysParameter(luigi.IntParameter):
    """A window's length in days; None (the default) is [loading] catchup_days, fixed when the task is instantiated
    so its id names the window (and Luigi's summary, which ranges over ids, never meets a None)."""

    def normalize(self, value: Any) -> int:
        return loading().catchup_days if value is None else super().normalize(value)
