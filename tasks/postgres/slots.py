"""Run slots: a task that runs "once per hour" (or per N minutes) takes the slot as a parameter, so its
marker says which slot is done. The default is the slot holding the current UTC time, fixed when the task
is instantiated (so ``requires()`` is deterministic within a run, even across the hour)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import luigi


class _CurrentSlot:
    def __repr__(self) -> str:
        return "<the current slot>"


CURRENT = _CurrentSlot()


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


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
