"""dbt as Luigi tasks: one task per model, seed or snapshot, batched into one `dbt build` per run.

Dependencies come from dbt's manifest: a node needs the loads of every raw table it reads (through its
ancestors), over the run's window; no hand-kept list. Completeness is make-style: a node is up to date
when its marker is newer than its parents' markers (the loads' and the upstream nodes') and every
upstream node is up to date - so a reloaded day or an invalidated model rebuilds what depends on it.

Luigi hands the nodes that are ready together to one worker as one batch (``batch_method``): one dbt
invocation builds them in dependency order, each node's status still shows in the visualiser, and a marker
is written for each node dbt built. A node is one task whatever selection asks for it. With several workers on the
embedded warehouse, tasks that write it take turns (the Luigi resource of ``tasks.base.WarehouseTask``) and dbt
uses the workers as threads (``embedded_threads``).
"""

from __future__ import annotations

import json
import logging
import subprocess
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import ClassVar

import luigi
import luigi.interface

from config.secrets import redact
from config.settings import replication
from services.replication import target_of
from targets.markers.target import MarkerTarget, utcnow
from targets.warehouse.connect import backend
from targets.warehouse.session import Profile, Session
from tasks.base import PartlyBuiltError, PipelineTask, WarehouseTask
from tasks.extract.catchup import DAILY_LOADS
from tasks.extract.replication import ReplicateOrgmTable
from tasks.params import HourSlotParameter, PastDayParameter, WindowDaysParameter, window
from tasks.transform import manifest as dbt_manifest
from tasks.transform.command import artifacts_dir, dbt_command, dbt_env

logger = logging.getLogger("bizops.dbt")

SELECTIONS = ("frequent", "nightly", "all")
FAILED = ("error", "fail", "runtime error")  # dbt result statuses that fail a task


class DbtError(RuntimeError):
    pass


def node_marker(node: dbt_manifest.Node) -> MarkerTarget:
    return MarkerTarget(f"{node.relation}/v{DbtNode.version}", node.relation)


def producers(relation: str, first: date, last: date) -> list[luigi.Task]:
    """The tasks that load a raw table: the daily loads over the window, the replication of a Salesforce table
    for the current slot. Tables nobody loads here (Segment's) have none: dbt's source freshness watches them, and
    ``up_to_date`` counts them changed each day."""
    found: list[luigi.Task] = []
    for cls, params in DAILY_LOADS:
        if _load_table(cls, tuple(params.items())) == relation:
            found += [cls(date=first + timedelta(days=i), **params) for i in range((last - first).days + 1)]
    cfg = replication()
    found += [ReplicateOrgmTable(table=t) for t in cfg.tables if target_of(t, cfg.target_schema) == relation]
    return found


@lru_cache
def _load_table(cls: type[luigi.Task], params: tuple[tuple[str, str], ...]) -> str:
    """The raw table a daily load writes (its source's, whatever the day)."""
    return cls(date=date.min, **dict(params)).target_table


class DbtNode(WarehouseTask):
    """One dbt node (model, seed or snapshot): one task whatever selection asks for it, so two selections of a run
    never build it twice at once. Several ready nodes run as one batch, whose output is the markers of its nodes."""

    node = luigi.Parameter(description="dbt unique id; a batch joins several with commas.", batch_method=",".join)
    end = luigi.DateParameter(description="Last day of the loads' window.")
    days = luigi.IntParameter(description="Window length in days.")
    version: ClassVar[int] = 1
    profile: ClassVar[Profile] = "transformer"
    atomic: ClassVar[bool] = False  # dbt holds the warehouse while it runs; the markers are written after
    secrets_of = "DbtBuild"

    def nodes(self) -> list[dbt_manifest.Node]:
        graph = dbt_manifest.load()
        return [graph.nodes[uid] for uid in self.node.split(",")]

    def window(self) -> tuple[date, date]:
        return window(self.end, self.days)

    def requires(self) -> list[luigi.Task]:
        """The loads of every raw table the node reads, through its ancestors: a source still waiting for data
        holds back only what is built on it. (Ready nodes still run as one batch.)"""
        graph = dbt_manifest.load()
        relations = sorted({r for n in self.nodes() for r in graph.source_relations(n.unique_id)})
        first, last = self.window()
        return [t for relation in relations for t in producers(relation, first, last)]

    def output(self) -> list[MarkerTarget]:
        return [node_marker(n) for n in self.nodes()]

    def complete(self) -> bool:
        first, last = self.window()
        memo: NodeStates = {}
        return all(up_to_date(uid, first, last, memo) for uid in self.node.split(","))

    def query_tag(self) -> str:
        return f"luigi:{self.task_family}"

    def work(self, session: Session) -> dict[str, int | None]:
        first, last = self.window()
        # Make's rule again at run time: another invocation (a cron run at the same time) may have built some.
        memo: NodeStates = {}
        nodes = [n for n in self.nodes() if not up_to_date(n.unique_id, first, last, memo)]
        if not nodes:
            return {}
        # Only the tests whose every parent is in this batch: a relationship to a node another batch builds
        # would fail for a table that does not exist yet (DbtTest runs every test).
        command = ["build", "--indirect-selection", "cautious", "--select", *(n.name for n in nodes)]
        # The heavy log models of the nightly selection get its (large) virtual warehouse.
        results = run_dbt(command, self, nightly=any(n.nightly for n in nodes))
        built = {node_marker(n).update_id: None for n in nodes if results.get(n.unique_id, ("", ""))[0] == "success"}
        if len(built) < len(nodes) or failures(results):
            lines = failures(results, (*FAILED, "skipped"))
            error = DbtError(f"dbt built {len(built)} of {len(nodes)} node(s); failures:\n" + "\n".join(lines))
            raise PartlyBuiltError(built, error)
        tests = sum(uid.startswith("test.") for uid in results)
        self.report(f"dbt built {len(built)} node(s) and ran {tests} test(s)", 100)
        return built


NodeStates = dict[str, tuple[bool, datetime | None]]  # node or source -> (up to date, newest marker time)


def up_to_date(unique_id: str, first: date, last: date, memo: NodeStates | None = None) -> bool:
    """Make's rule over markers: built after every parent, and every upstream node up to date. Calls that share a
    ``memo`` (the nodes of one batch) look at each ancestor and source once."""
    graph = dbt_manifest.load()
    memo = {} if memo is None else memo

    def state(uid: str) -> tuple[bool, datetime | None]:
        """(up to date, newest marker time) of a node or source."""
        if uid in memo:
            return memo[uid]
        if uid in graph.sources:  # stale while a load of the window is still to (re)run
            loads = producers(graph.sources[uid], first, last)
            times = [m.inserted for t in loads if (m := t.output().marker())]
            # A table nobody loads here (Segment's) changes by itself: it counts as changed at each midnight, so
            # what is built on it is rebuilt once a day, by the first run after midnight.
            changed = max(times, default=None) if loads else datetime.combine(utcnow().date(), datetime.min.time())
            memo[uid] = (all(t.complete() for t in loads), changed)
            return memo[uid]
        node = graph.nodes.get(uid)
        if node is None:  # tests and other resources are not built here
            memo[uid] = (True, None)
            return memo[uid]
        own = node_marker(node).marker()
        ok = own is not None
        for parent in node.parents:
            parent_ok, parent_time = state(parent)
            ok = ok and parent_ok and (parent_time is None or own.inserted >= parent_time)
        memo[uid] = (ok, own.inserted if own else None)
        return memo[uid]

    return state(unique_id)[0]


def run_dbt(
    args: list[str], task: PipelineTask, nightly: bool = False, results_file: str = "run_results.json"
) -> dict[str, tuple[str, str]]:
    """Run dbt, streaming its output to the log and the visualiser; return unique_id -> (status, message)
    from the results file dbt writes (run_results.json, or sources.json for source freshness). Messages are as dbt
    wrote them: ``failures`` redacts those that leave the process."""
    command, env = dbt_command(*args, *embedded_threads()), dbt_env(nightly)
    results_path = artifacts_dir() / results_file
    results_path.unlink(missing_ok=True)
    with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
        for raw in proc.stdout or ():  # as it comes, not after exit: a long build is never silent
            line = raw.rstrip()
            logger.info("dbt: %s", line)  # every log record is redacted (the tasks package installs it)
            if any(word in line for word in (" OK ", " ERROR ", " PASS ", " FAIL ", " WARN ")):
                task.report(redact(line)[-300:])
        code = proc.wait()
    if not results_path.exists():
        raise DbtError(f"dbt {args[0]} exited {code} before running anything (see the log above)")
    results = json.loads(results_path.read_text())["results"]
    return {r["unique_id"]: (r["status"], _message(r)) for r in results}


def embedded_threads() -> list[str]:
    """On the embedded warehouse, dbt's threads are the run's workers (--workers): the tasks that use its files take
    turns (EMBEDDED_WAREHOUSE), so the parallelism a run is given serves there as threads of the one dbt process,
    which share the files (DuckDB's lock is per process). On Snowflake the profile's threads apply."""
    return ["--threads", str(max(1, luigi.interface.core().workers))] if backend() == "duckdb" else []


def _message(result: dict) -> str:
    if "max_loaded_at_time_ago_in_s" in result:  # source freshness
        return f"last loaded {result['max_loaded_at']} ({result['max_loaded_at_time_ago_in_s'] / 3600:.0f} h ago)"
    return result.get("message") or result.get("error") or ""


def failures(results: dict[str, tuple[str, str]], statuses: tuple[str, ...] = FAILED) -> list[str]:
    """A line per result of those statuses, its message redacted."""
    return [
        f"{uid}: {status}: {redact(message)[:2000]}"
        for uid, (status, message) in sorted(results.items())
        if status in statuses
    ]


class DbtCheck(WarehouseTask):
    """A dbt command run as a check once per hour slot; its failures fail the task (and alert)."""

    # Never None: Luigi's run summary ranges a family's values of a date parameter, and fails on None.
    slot = HourSlotParameter(slot_minutes=lambda: 60, description="Hour slot (default: the current hour, UTC).")
    profile: ClassVar[Profile] = "transformer"
    atomic: ClassVar[bool] = False  # dbt holds the warehouse while it runs; the marker is written after

    def partition(self) -> str:
        return f"{self.slot:%Y-%m-%dT%H}"


class DbtTest(DbtCheck):
    """`dbt test` of a selection after it was built: every test, also on nodes this run did not rebuild."""

    selection = luigi.ChoiceParameter(choices=SELECTIONS, default="all", description="Whose tests to run.")
    end = PastDayParameter(default=None, description="Last day of the loads' window (default: yesterday).")
    days = WindowDaysParameter(default=None, description="Window length (default: [loading] catchup_days).")
    target_table = "dbt.test"

    def partition(self) -> str:
        return f"{self.selection}/{super().partition()}"

    def requires(self) -> luigi.Task:
        return DbtBuild(selection=self.selection, end=self.end, days=self.days)

    def work(self, session: Session) -> int:
        names = [n.name for n in dbt_manifest.load().select(self.selection)]
        results = run_dbt(["test", "--select", *names], self, nightly=self.selection == "nightly")
        if failed := failures(results):
            raise DbtError(f"dbt test: {len(failed)} of {len(results)} test(s) failed:\n" + "\n".join(failed))
        return len(results)


class DbtSourceFreshness(DbtCheck):
    """`dbt source freshness`: a source past its error threshold fails the task; warnings are logged."""

    target_table = "dbt.source_freshness"

    def work(self, session: Session) -> int:
        results = run_dbt(["source", "freshness"], self, results_file="sources.json")
        if warned := failures(results, ("warn",)):
            logger.warning("stale sources (warn):\n%s", "\n".join(warned))
        if stale := failures(results, ("error", "runtime error")):
            raise DbtError(f"dbt source freshness: {len(stale)} source(s) stale or failing:\n" + "\n".join(stale))
        return len(results)


class DbtBuild(luigi.WrapperTask):
    """Every node of a selection (frequent, nightly or all) over the loads of the window ending ``end``;
    with ``checks``, then `dbt test` of the selection and `dbt source freshness`."""

    selection = luigi.ChoiceParameter(choices=SELECTIONS, default="all", description="Which nodes to build.")
    end = PastDayParameter(default=None, description="Last day of the loads' window (default: yesterday).")
    days = WindowDaysParameter(default=None, description="Window length (default: [loading] catchup_days).")
    checks = luigi.BoolParameter(default=False, description="Also run dbt test and dbt source freshness.")

    def requires(self) -> Iterator[luigi.Task]:
        if self.checks:
            yield DbtTest(selection=self.selection, end=self.end, days=self.days)
            yield DbtSourceFreshness()
        first, last = window(self.end, self.days)
        days = (last - first).days + 1
        for node in dbt_manifest.load().select(self.selection):
            yield DbtNode(node=node.unique_id, end=last, days=days)
