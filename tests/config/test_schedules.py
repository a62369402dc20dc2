"""The schedule table's own check: a schedule's name becomes a CronJob's, to which Kubernetes appends 11
characters of a 63-character DNS-1123 label."""

from __future__ import annotations

import pytest

from config.schedules import Schedule


def schedule(name: str) -> Schedule:
    return Schedule(name, "0 3 * * *", "CatchUpLoads", (), ())


def test_a_dns_name_of_at_most_52_characters_is_a_schedule_name() -> None:
    assert schedule("a" * 52).name == "a" * 52
    assert schedule("daily-loads-2").name == "daily-loads-2"


@pytest.mark.parametrize("name", ["a" * 53, "Daily-loads", "daily_loads", "-daily", "daily-", ""])
def test_any_other_name_is_refused_naming_it(name: str) -> None:
    with pytest.raises(ValueError, match=rf"schedule name '{name}' is not a DNS-1123 name of at most 52 characters"):
        schedule(name)
