"""Each CronJob gets every secret its run can need, found from the task graph itself: the schedule's root task
is walked through ``requires()`` over its window as at its cron time, on an empty warehouse (so every day is still
to load, provisional days included), and each task family reached must find its production secrets in the
CronJob's environment in k8s/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import luigi
import pytest
import yaml
from luigi.cmdline_parser import CmdlineParser

import tasks  # noqa: F401 - registers every task family, as `python -m tasks` does
from config import secrets
from config.schedules import SCHEDULES, Schedule
from tests.conftest import ROOT


def reachable(root: luigi.Task) -> Iterator[luigi.Task]:
    """The root and every task its requires() reaches, each once."""
    seen: set[str] = set()
    stack = [root]
    while stack:
        task = stack.pop()
        if task.task_id in seen:
            continue
        seen.add(task.task_id)
        yield task
        stack.extend(luigi.task.flatten(task.requires()))


def cronjob_env(name: str) -> set[str]:
    """The names of the environment variables the generated CronJob's container gets from the Secret."""
    docs = yaml.safe_load_all((ROOT / "k8s" / "base" / "cronjobs.yaml").read_text())
    job = next(d for d in docs if d and d["kind"] == "CronJob" and d["metadata"]["name"] == name)
    container = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    return {e["name"] for e in container.get("env", []) if "secretKeyRef" in e.get("valueFrom", {})}


@pytest.mark.parametrize("schedule", SCHEDULES, ids=lambda s: s.name)
def test_each_cronjob_gets_the_secrets_of_every_task_its_graph_reaches(env: Path, schedule: Schedule) -> None:
    with CmdlineParser.global_instance([schedule.task, *schedule.params]) as parser:
        root = parser.get_task_obj()
    families = {t.task_family for t in reachable(root)}
    needed = {s.env for family in families for s in secrets.needed(family, "snowflake") if not s.optional}
    missing = needed - cronjob_env(schedule.name)
    assert not missing, f"{schedule.name} runs {sorted(families)} but lacks {sorted(missing)}"
