"""What the arguments of an ops command select: the instances of one task family.

    --start D --end D   a daily family (a ``date`` parameter: the loads, the digest): one task per day of the
                        range (one day when only one of the two is given); a window (``end`` and ``days``:
                        CatchUpLoads, DbtBuild, DbtNode, Pipeline, DrainWriteBackQueue): its last and first day
    --node NAME         dbt models, seeds or snapshots by name or unique id (comma-separated): DbtNode
    --select SELECTOR   dbt nodes chosen with dbt's own selection syntax (``account_daily_arr+``, ``tag:nightly``)
    --NAME VALUE        any parameter of the family (``--table account``, ``--script account_arr``, ``--region de``,
                        ``--slot 2026-11-25T13``); a slotted task takes the current slot unless ``--slot`` is given

A family that needs a parameter that was not given, or that takes no dates when dates were given, is a
``SelectionError``: one line saying what to give.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import luigi
from luigi.task_register import Register, TaskClassException

import tasks
from config.settings import loading
from tasks.params import yesterday
from tasks.transform import manifest
from tasks.transform.command import dbt_command, dbt_env
from tasks.transform.dbt import DbtNode

DBT_OPTIONS = ("node", "select")


class SelectionError(ValueError):
    """The arguments select no task: the message says which to give."""


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def task_class(family: str) -> type[luigi.Task]:
    try:
        return Register.get_task_cls(family)
    except TaskClassException:
        raise SelectionError(f"no task family {family!r}; the pipeline's are {', '.join(tasks.__all__)}") from None


def options(cls: type[luigi.Task], argv: Sequence[str]) -> dict[str, str | bool]:
    """``--name value`` pairs (``--flag`` alone for a boolean parameter) as {name: text}."""
    params = dict(cls.get_params())
    found: dict[str, str | bool] = {}
    tokens = list(argv)
    while tokens:
        token = tokens.pop(0)
        key = token.removeprefix("--").replace("-", "_")
        dbt = issubclass(cls, DbtNode) and key in DBT_OPTIONS
        if not token.startswith("--") or not (key in params or dbt):
            takes = _flags([*params, *(DBT_OPTIONS if issubclass(cls, DbtNode) else ())])
            raise SelectionError(f"{cls.get_task_family()} takes no {token}; its parameters: {takes}")
        if isinstance(params.get(key), luigi.BoolParameter):
            found[key] = True
        elif not tokens:
            raise SelectionError(f"{token} needs a value")
        else:
            found[key] = tokens.pop(0)
    return found


def takes_dates(family: str) -> bool:
    params = dict(task_class(family).get_params())
    return "date" in params or "end" in params


def instances(family: str, start: date | None, end: date | None, argv: Sequence[str] = ()) -> list[luigi.Task]:
    """The tasks the arguments select (see the module docstring)."""
    cls = task_class(family)
    given = options(cls, argv)
    params = dict(cls.get_params())
    kwargs: dict[str, Any] = {}
    for key, text in given.items():
        if key in params:
            try:
                kwargs[key] = text if isinstance(text, bool) else params[key].parse(text)
            except ValueError as exc:
                raise SelectionError(f"--{key.replace('_', '-')} {text}: {exc}") from None
    if "date" in params:
        if not (start or end):
            if not params["date"].has_task_value(family, "date"):
                raise SelectionError(f"{family} is daily: give --start and --end (YYYY-MM-DD), or one of them")
            return [_make(cls, kwargs)]
        return [_make(cls, {**kwargs, "date": d}) for d in days(start or end, end or start)]
    if "end" in params:
        if start and not end:
            raise SelectionError(f"{family} covers a window of days ending --end: give --end with --start")
        if start and end:
            if "days" in kwargs:
                raise SelectionError("give --start or --days, not both: --start is the window's first day")
            kwargs["days"] = (end - start).days + 1
        kwargs.setdefault("end", end or yesterday())
        kwargs.setdefault("days", loading().catchup_days)
    elif start or end:
        raise SelectionError(f"{family} takes no dates: its parameters are {_flags(params)}")
    if issubclass(cls, DbtNode):
        return [_make(cls, {**kwargs, "node": uid}) for uid in dbt_nodes(given)]
    return [_make(cls, kwargs)]


def dbt_nodes(given: dict[str, str | bool]) -> list[str]:
    """Unique ids of the nodes ``--node`` names or ``--select`` selects (through `dbt ls`)."""
    if "select" in given:
        command = dbt_command("ls", "--select", str(given["select"]), "--resource-types", "model", "seed", "snapshot",
                              "--output", "json", "--output-keys", "unique_id", "--quiet")  # fmt: skip
        listed = subprocess.run(command, env=dbt_env(), capture_output=True, text=True)
        if listed.returncode:
            raise SelectionError(f"dbt ls --select {given['select']}: {(listed.stdout + listed.stderr).strip()}")
        found = [json.loads(line)["unique_id"] for line in listed.stdout.splitlines() if line.startswith("{")]
        if not found:
            raise SelectionError(f"--select {given['select']} selects no dbt model, seed or snapshot")
        return found
    if "node" not in given:
        raise SelectionError("DbtNode needs --node <model name> or --select <dbt selector> (e.g. account_daily_arr+)")
    graph = manifest.load()
    by_name = {n.name: uid for uid, n in graph.nodes.items()}
    found = []
    for wanted in str(given["node"]).split(","):
        uid = wanted if wanted in graph.nodes else by_name.get(wanted)
        if uid is None:
            raise SelectionError(f"--node {wanted}: no dbt model, seed or snapshot has that name or unique id")
        found.append(uid)
    return found


def _make(cls: type[luigi.Task], kwargs: dict[str, Any]) -> luigi.Task:
    params = dict(cls.get_params())
    missing = [n for n, p in params.items() if n not in kwargs and not p.has_task_value(cls.get_task_family(), n)]
    if missing:
        wanted = "; ".join(f"--{n.replace('_', '-')} ({params[n].description or 'no description'})" for n in missing)
        raise SelectionError(f"{cls.get_task_family()} needs {wanted}")
    return cls(**kwargs)


def _flags(names: Sequence[str]) -> str:
    return ", ".join(f"--{n.replace('_', '-')}" for n in names) or "none"
