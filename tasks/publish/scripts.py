"""The SQL job runner: every ``sql/postgres/<name>.sql`` is a job, run once per slot in ONE Postgres
transaction that also writes its marker, stopping at the first failing statement.

A failing statement fails the task naming the script, the statement's number and its line, and nothing of the
script is committed. (``psql -f`` without ON_ERROR_STOP would instead carry on: the failure turns the closing
COMMIT into a rollback, and the job succeeds having done nothing.)

Names: the file stem is the only spelling anyone writes. The job name (Kubernetes, luigid, Postgres
application_name, marker) is derived from it - ``account_arr`` -> ``pg-account-arr`` - and validated as
a DNS-1123 name; a file whose stem cannot become one is an error naming the file.

Order: a script names the scripts it runs after in a header comment, ``-- requires: <stem>[, <stem>]``
(the only place the order is written). The shipped scripts chain in this order:
tasks_filtered -> account_arr -> account_type -> opportunity_snapshot -> opportunitylineitem_snapshot ->
connect_retry (account_type reads what account_arr wrote; connect_retry re-queues what the writers
before it failed to push).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import luigi
import psycopg2

from config.schedules import DNS1123
from config.settings import postgres
from targets.markers.stores import POSTGRES_MARKERS
from targets.markers.target import MarkerTarget
from targets.postgres.session import PgSession
from targets.postgres.statements import ScriptError, Statement, split_statements
from tasks.base import PipelineTask
from tasks.params import HourSlotParameter

logger = logging.getLogger("bizops.postgres")

JOB_PREFIX = "pg-"
MAX_JOB_NAME = 52  # a CronJob's name takes 11 more characters in its Jobs' names, which must stay <= 63
_STEM = re.compile(r"^[a-z0-9]+(?:_[a-z0-9]+)*$")
_REQUIRES = re.compile(r"^\s*--\s*requires\s*:(.*)$", re.IGNORECASE)
_DML = {"INSERT", "UPDATE", "DELETE", "MERGE"}


class ScriptNameError(ValueError):
    """A script file whose name cannot become a job name."""


def job_name(stem: str) -> str:
    """``account_arr`` -> ``pg-account-arr``: the one spelling derived from the other, validated."""
    if not _STEM.match(stem):
        raise ScriptNameError(
            f"script name {stem!r}: a file stem must be lowercase letters and digits in words joined by single "
            "underscores (e.g. account_arr), so that its job name is a valid DNS-1123 name"
        )
    name = JOB_PREFIX + stem.replace("_", "-")
    if len(name) > MAX_JOB_NAME or not DNS1123.match(name):
        raise ScriptNameError(
            f"script name {stem!r}: its job name {name!r} is not a DNS-1123 name of at most {MAX_JOB_NAME} characters"
        )
    return name


def stem_of(job: str) -> str:
    """``pg-account-arr`` -> ``account_arr`` (the inverse, for names read from Kubernetes or luigid)."""
    if not job.startswith(JOB_PREFIX):
        raise ScriptNameError(f"job name {job!r} does not start with {JOB_PREFIX!r}")
    stem = job[len(JOB_PREFIX) :].replace("-", "_")
    job_name(stem)
    return stem


@dataclass(frozen=True)
class Script:
    stem: str
    path: Path
    requires: tuple[str, ...]

    @property
    def job_name(self) -> str:
        return job_name(self.stem)

    def statements(self) -> list[Statement]:
        return split_statements(self.path.read_text(encoding="utf-8"), self.path.name)


def header_requires(text: str) -> tuple[str, ...]:
    """Stems named by ``-- requires:`` lines in the comment block at the top of a script."""
    found: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("--"):
            break
        if m := _REQUIRES.match(line):
            found += [s.strip() for s in m.group(1).split(",") if s.strip()]
    return tuple(found)


def discover(folder: str | Path | None = None) -> dict[str, Script]:
    """Every script of the folder ([postgres] scripts_dir), in run order (each after those it requires,
    otherwise by name). Raises for a bad file name, an unknown requirement or a cycle."""
    root = Path(folder or postgres().scripts_dir)
    if not root.is_dir():
        raise FileNotFoundError(f"[postgres] scripts_dir {str(root)!r} is not a folder")
    scripts: dict[str, Script] = {}
    for path in sorted(root.glob("*.sql")):
        try:
            job_name(path.stem)
        except ScriptNameError as exc:
            raise ScriptNameError(f"{path}: {exc}") from None
        scripts[path.stem] = Script(path.stem, path, header_requires(path.read_text(encoding="utf-8")))
    for script in scripts.values():
        unknown = [r for r in script.requires if r not in scripts]
        if unknown:
            raise ScriptError(f"{script.path}: requires unknown script(s) {', '.join(unknown)}")
    ordered: dict[str, Script] = {}
    visiting: list[str] = []

    def visit(stem: str) -> None:
        if stem in ordered:
            return
        if stem in visiting:
            cycle = " -> ".join([*visiting[visiting.index(stem) :], stem])
            raise ScriptError(f"scripts in {root} require each other in a cycle: {cycle}")
        visiting.append(stem)
        for dep in scripts[stem].requires:
            visit(dep)
        visiting.pop()
        ordered[stem] = scripts[stem]

    for stem in scripts:
        visit(stem)
    return ordered


def run_statements(pg: PgSession, name: str, statements: list[Statement]) -> int:
    """Execute the statements in the open transaction, stopping at the first error; rows written by DML."""
    written = 0
    with pg.cursor() as cur:
        for st in statements:
            try:
                cur.execute(st.text)
            except psycopg2.Error as exc:
                raise ScriptError(_describe(name, st, exc)) from exc
            words = (cur.statusmessage or "").split()
            if words and words[0] in _DML and words[-1].isdigit():
                written += int(words[-1])
    return written


def _describe(name: str, st: Statement, exc: psycopg2.Error) -> str:
    diag: Any = exc.diag
    position = int(diag.statement_position) if diag.statement_position else None
    message = diag.message_primary or (exc.pgerror or str(exc)).strip().splitlines()[0]
    first = st.text.splitlines()[0][:100]
    code = f" [{exc.pgcode}]" if exc.pgcode else ""
    return (
        f"{name}: statement {st.number} (line {st.line_at(position)}) failed{code}: {message} - in: {first}; "
        "the script was rolled back, nothing of it is committed"
    )


class RunPostgresScript(PipelineTask):
    """Run one SQL script for one slot: all its statements and its marker in one Postgres transaction."""

    script = luigi.Parameter(description="File stem of the script in [postgres] scripts_dir, e.g. account_arr.")
    slot = HourSlotParameter(
        lambda: postgres().slot_hours * 60,
        description="Run slot (UTC hour, floored to [postgres] slot_hours); default: the current one.",
    )
    version: ClassVar[int] = 1  # bump to rerun every slot of every script

    def definition(self) -> Script:
        """Read from the folder on every call (never kept on the task object)."""
        scripts = discover()
        if self.script not in scripts:
            raise ScriptError(
                f"no script {self.script!r} in {postgres().scripts_dir}; known: {', '.join(scripts) or 'none'}"
            )
        return scripts[self.script]

    @property
    def job_name(self) -> str:
        return job_name(self.script)

    def update_id(self) -> str:
        return f"{self.job_name}/{self.slot:%Y-%m-%dT%H}/v{self.version}"

    def output(self) -> MarkerTarget:
        return MarkerTarget(self.update_id(), self.job_name, store=POSTGRES_MARKERS)

    def requires(self) -> Iterator[RunPostgresScript]:
        for dep in self.definition().requires:
            yield RunPostgresScript(script=dep, slot=self.slot)

    def run(self) -> None:
        self.check_environment()
        script = self.definition()
        statements = script.statements()  # unparseable text fails before any connection
        marker = self.output()
        with PgSession(script.job_name) as pg:
            marker.prepare(pg)
            with pg.transaction():
                rows = run_statements(pg, script.path.name, statements)
                marker.write(pg, rows)
        logger.info("%s: %d statements, %d rows written, marker %s", script.job_name, len(statements), rows,
                    marker.update_id)  # fmt: skip
        self.report(f"{script.path.name}: {len(statements)} statements, {rows} rows written")


class RunPostgresScripts(luigi.WrapperTask):
    """Every script of [postgres] scripts_dir for one slot, each after the scripts it requires."""

    slot = HourSlotParameter(
        lambda: postgres().slot_hours * 60,
        description="Run slot (UTC hour, floored to [postgres] slot_hours); default: the current one.",
    )

    def requires(self) -> list[RunPostgresScript]:
        return [RunPostgresScript(script=stem, slot=self.slot) for stem in discover()]
