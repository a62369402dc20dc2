"""The reliability suite's harness.

One generated world (landing files, a Postgres template database with the orgm tables, the Segment tables, a
parsed dbt project with ``run_date`` pinned) and workspaces that run the pipeline as cron does: ``python -m tasks
...`` subprocesses with a luigi.cfg of their own (LUIGI_CONFIG_PATH, read after the project's). A workspace's
state - every table and view of the warehouse and of its Postgres database - is compared row for row with the
clean run's.
"""

from __future__ import annotations

import collections
import contextlib
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import duckdb
import psutil
import psycopg2
import psycopg2.extensions

import devdata
from devdata.generate import Dataset, generate
from devdata.writers import write_duckdb, write_files, write_postgres
from tests.conftest import pg_query

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
SEED = 2026
DAYS = 3
SERVERS = 30
END = date.today() - timedelta(days=3)  # settled: late files can no longer land (late_arrival_hours = 24)
SLOT = "2026-11-25T1300"  # replication and write-back slot (explicit: markers must not depend on the clock)
SCRIPT_SLOT = "2026-11-25T13"
# `python -m tasks` for modules the tasks package does not import (the Postgres jobs): the same runner.
RUNNER = "import sys; from services.alerts.run import run_with_retcodes; sys.exit(run_with_retcodes(sys.argv[1:]))"
_RUNNING = re.compile(r"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3}) .*Worker\(.*\) running ", re.MULTILINE)
_EXCEPTION = re.compile(r"^[\w.]*(?:Error|Exception): .*$", re.MULTILINE)
_DONE = re.compile(r"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3}) .*Worker\(.*\) done ", re.MULTILINE)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not within {timeout} s")
        time.sleep(0.05)


# -- stages of the pipeline ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stage:
    name: str
    module: str  # what `--module` loads
    task: str
    args: tuple[str, ...]


STAGES = (
    Stage("replication", "tasks.extract.replication", "ReplicateOrgm", ("--slot", SLOT)),
    Stage("loads", "tasks", "CatchUpLoads", ("--end", END.isoformat(), "--days", str(DAYS))),
    Stage("dbt", "tasks", "DbtBuild", ("--end", END.isoformat(), "--days", str(DAYS))),
    Stage("write_back", "tasks.publish.write_back", "DrainWriteBackQueue", ("--slot", SLOT)),
    Stage("scripts", "tasks.publish.scripts", "RunPostgresScripts", ("--slot", SCRIPT_SLOT)),
)
STAGE = {s.name: s for s in STAGES}


def command(stage: Stage, *extra: str) -> list[str]:
    """The cron command of a stage: `python -m tasks <Task> ...` (its runner for other modules)."""
    if stage.module == "tasks":
        return [PYTHON, "-m", "tasks", stage.task, *stage.args, *extra]
    return [PYTHON, "-c", RUNNER, "--module", stage.module, stage.task, *stage.args, *extra]


# -- Postgres ----------------------------------------------------------------------------------------------------


class PgServer:
    """A PostgreSQL of the suite's own (pgserver), so restarting it disturbs no other test module."""

    def __init__(self, data_dir: Path):
        import pgserver

        self._server = pgserver.get_server(data_dir, cleanup_mode=None)
        self.data_dir = data_dir
        self.dsn = self._server.get_uri()

    def db_dsn(self, database: str) -> str:
        return psycopg2.extensions.make_dsn(self.dsn, dbname=database)

    def admin(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple]:
        return pg_query(self.dsn, sql, params)

    def create_database(self, name: str, template: str | None = None) -> str:
        self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.admin(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return self.db_dsn(name)

    def _pg_ctl(self, *args: str) -> None:
        from pgserver import _commands

        _commands.pg_ctl(["-w", *args], pgdata=self.data_dir, user=self._server.system_user, timeout=60)

    @property
    def log(self) -> Path:
        return self.data_dir / "log"

    def restart(self) -> None:
        """A fast restart on the same data folder and socket (pg_ctl reuses the server options of the last start,
        not its own: the log file is named again)."""
        self._pg_ctl("-m", "fast", "-l", str(self.log), "restart")

    def set_system(self, setting: str, value: str | None) -> None:
        """ALTER SYSTEM SET (or RESET, for None) and reload; returns once new sessions see it."""
        if value is None:
            self.admin(f"ALTER SYSTEM RESET {setting}")
        else:
            self.admin(f"ALTER SYSTEM SET {setting} = %s", (value,))
        self.admin("SELECT pg_reload_conf()")
        default = self.admin("SELECT boot_val FROM pg_settings WHERE name = %s", (setting,))[0][0]
        wait_for(lambda: self.admin(f"SHOW {setting}")[0][0] == (value or default), 10, f"{setting} reloaded")

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._pg_ctl("-m", "fast", "stop")


# -- the world ---------------------------------------------------------------------------------------------------


@dataclass
class World:
    root: Path
    dataset: Dataset
    landing: Path  # the pristine landing zone (a local folder)
    dbt_dir: Path  # the dbt project, run_date pinned, parsed once
    segment_warehouse: Path  # a warehouse folder holding only the Segment tables (they are not loaded here)
    pg: PgServer
    template: str  # database with the generated orgm tables

    @property
    def first(self) -> date:
        return END - timedelta(days=DAYS - 1)


def build_world(root: Path, pg: PgServer) -> World:
    dataset = generate(END - timedelta(days=DAYS - 1), DAYS, SERVERS, seed=SEED)
    landing = root / "landing"
    write_files(dataset.files, str(landing))
    segment = root / "segment-warehouse"
    segment.mkdir(parents=True)
    with duckdb.connect() as con:
        con.execute("ATTACH ? AS raw", [str(segment / "raw.duckdb")])
        write_duckdb(dataset.segment, con)
    template = "reliability_orgm"
    write_postgres(dataset.orgm, pg.create_database(template))
    dbt_dir = root / "dbt"
    shutil.copytree(ROOT / "dbt", dbt_dir, ignore=shutil.ignore_patterns("target", "logs"))
    project = dbt_dir / "dbt_project.yml"
    # "today" of the marts, pinned: a run crossing midnight must still compare equal to the clean run.
    pinned = project.read_text().replace('run_date: ""', f'run_date: "{date.today() + timedelta(days=1)}"')
    if pinned == project.read_text():
        raise RuntimeError('dbt_project.yml has no `run_date: ""` var to pin')
    project.write_text(pinned)
    env = dict(os.environ, BIZOPS_WAREHOUSE_DIR=str(segment))
    subprocess.run(
        [str(Path(PYTHON).parent / "dbt"), "parse", "--project-dir", str(dbt_dir), "--profiles-dir", str(dbt_dir),
         "--target", "duckdb", "--quiet"],
        env=env, check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    return World(root, dataset, landing, dbt_dir, segment, pg, template)


# -- runs --------------------------------------------------------------------------------------------------------


@dataclass
class Run:
    argv: list[str]
    code: int | None  # None: killed
    log: str  # stdout and stderr
    seconds: float
    started_at: float  # wall clock (time.time()) of the start
    killed_after: float | None = None

    def working(self) -> tuple[float, float]:
        """Seconds from the start to the first task's start and to the last task's end (from luigi's log)."""
        starts, ends = _RUNNING.findall(self.log), _DONE.findall(self.log)
        if not starts or not ends:
            raise ValueError(f"no task ran:\n{self.tail()}")
        return _log_time(starts[0]) - self.started_at, _log_time(ends[-1]) - self.started_at

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.splitlines()[-lines:])

    def first_error(self) -> str:
        """The first exception line of the log (``SomeError: message``), else its tail."""
        match = _EXCEPTION.search(self.log)
        return match.group(0) if match else self.tail(10)


def _log_time(stamp: str) -> float:
    return datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f").timestamp()


def kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL the process and its children (dbt), as when a pod is killed; returns once none of them lives (an
    orphaned dbt still holds the warehouse's file lock while it exits)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(30)
    wait_for(lambda: not _alive_in_group(proc.pid), 30, f"the killed process group {proc.pid} to exit")


def _alive_in_group(pgid: int) -> bool:
    for p in psutil.process_iter(["status"]):
        with contextlib.suppress(psutil.Error, ProcessLookupError):
            if os.getpgid(p.pid) == pgid and p.info["status"] != psutil.STATUS_ZOMBIE:
                return True
    return False


@dataclass
class Workspace:
    """One run's warehouse folder, dbt project, Postgres database and luigi.cfg."""

    world: World
    dir: Path
    database: str
    landing: str
    config: dict[str, dict[str, Any]] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)

    @property
    def warehouse(self) -> Path:
        return self.dir / "warehouse"

    @property
    def dbt_dir(self) -> Path:
        return self.dir / "dbt"

    @property
    def dsn(self) -> str:
        return self.world.pg.db_dsn(self.database)

    def settings(self) -> dict[str, dict[str, Any]]:
        base: dict[str, dict[str, Any]] = {
            # Luigi's pid lock refuses a command already running on the host: a workspace is a host of its own.
            "core": {"lock_pid_dir": self.dir / "pids"},
            "warehouse": {"duckdb_dir": self.warehouse},
            "landing": {"url": self.landing},
            # A sample day of a few dozen lines carries malformed ones on purpose: above the default 1 %.
            "loading": {"max_reject_share": 0.2},
            "dbt": {"project_dir": self.dbt_dir},
            "write_back": {"min_rows": 1},  # the sample has a handful of accounts with a health score
            "alerts": {"timeout_seconds": 2, "retries": 1, "backoff_seconds": 0.1},
        }
        # The window and the slots, pinned for every task however it is required: runs never depend on the clock.
        for family in ("CatchUpLoads", "DbtBuild", "Pipeline", "DrainWriteBackQueue"):
            base[family] = {"end": END, "days": DAYS}
        for family in ("ReplicateOrgm", "ReplicateOrgmTable", "DrainWriteBackQueue"):
            base.setdefault(family, {})["slot"] = SLOT
        for family in ("RunPostgresScripts", "RunPostgresScript"):
            base[family] = {"slot": SCRIPT_SLOT}
        for section, values in self.config.items():
            base.setdefault(section, {}).update(values)
        return base

    def write_config(self) -> Path:
        path = self.dir / "luigi.cfg"
        path.write_text(
            "".join(
                f"[{section}]\n" + "".join(f"{key} = {value}\n" for key, value in values.items()) + "\n"
                for section, values in self.settings().items()
            )
        )
        return path

    def environment(self) -> dict[str, str]:
        # Nothing of the test process's own settings: only what the workspace says.
        env = {k: v for k, v in os.environ.items() if not k.startswith(("LUIGI_", "BIZOPS_", "MATTERMOST_", "AWS_"))}
        env.update(devdata.LOCATIONS)
        env.update(
            PYTHONPATH=str(ROOT),
            LUIGI_CONFIG_PATH=str(self.write_config()),
            HEROKU_POSTGRESQL_URL=self.dsn,
            BIZOPS_CODE_VERSION="reliability",  # no `git rev-parse` per process
            PYTHONUNBUFFERED="1",
        )
        env.update(self.env)
        return env

    def start(self, stage: Stage, *extra: str, scheduler: int | None = None) -> tuple[subprocess.Popen, Path, float]:
        where = ("--scheduler-host", "127.0.0.1", "--scheduler-port", str(scheduler)) if scheduler else (
            "--local-scheduler",)  # fmt: skip
        argv = command(stage, *where, *extra)
        log = self.dir / f"run-{time.monotonic_ns()}.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen(argv, cwd=ROOT, env=self.environment(), stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True)  # fmt: skip
        return proc, log, time.time()

    def finish(self, proc: subprocess.Popen, log: Path, started: float, timeout: float = 240) -> Run:
        try:
            code = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            kill_group(proc)
            raise
        return Run(proc.args, code, log.read_text(errors="replace"), time.time() - started, started)

    def run(self, stage: Stage | str, *extra: str, scheduler: int | None = None, timeout: float = 240) -> Run:
        stage = STAGE[stage] if isinstance(stage, str) else stage
        return self.finish(*self.start(stage, *extra, scheduler=scheduler), timeout=timeout)

    def run_killed(self, stage: Stage | str, after: float) -> Run:
        """Start the stage and SIGKILL its process group after ``after`` seconds (if still running)."""
        stage = STAGE[stage] if isinstance(stage, str) else stage
        proc, log, started = self.start(stage)
        try:
            code = proc.wait(after)
            killed = None
        except subprocess.TimeoutExpired:
            kill_group(proc)
            code, killed = None, after
        return Run(proc.args, code, log.read_text(errors="replace"), time.time() - started, started, killed)

    def state(self) -> State:
        return read_state(self.warehouse, self.dsn)


def workspace(
    world: World,
    name: str,
    *,
    warehouse_from: Path | None = None,
    database_from: str | None = None,
    landing: str | None = None,
) -> Workspace:
    """A fresh workspace: a copy of a warehouse folder (default: only the Segment tables), a Postgres database
    copied from a template (default: the generated orgm), a copy of the parsed dbt project."""
    ws_dir = world.root / "workspaces" / name
    if ws_dir.exists():
        shutil.rmtree(ws_dir)
    ws_dir.mkdir(parents=True)
    shutil.copytree(warehouse_from or world.segment_warehouse, ws_dir / "warehouse")
    shutil.copytree(world.dbt_dir, ws_dir / "dbt", ignore=shutil.ignore_patterns("run", "compiled", "logs"))
    database = re.sub(r"[^a-z0-9_]", "_", name.lower())[:60]
    world.pg.create_database(database, database_from or world.template)
    return Workspace(world, ws_dir, database, landing or str(world.landing))


# -- state and its comparison -------------------------------------------------------------------------------------

# Columns that differ between two correct runs on the same data: load and build times, run ids.
VOLATILE = {"_loaded_at", "loaded_at"}
VOLATILE_BY_TABLE = {
    "raw.pipeline.markers": {"inserted", "run_id", "code_version"},
    "raw.pipeline.replication_state": {"full_load_at", "updated_at"},
    "analytics.util.pg_imports": {"created_at", "processed_at"},
    "pg:staging.table_updates": {"inserted", "run_id", "code_version"},
}


@dataclass
class Relation:
    columns: tuple[str, ...]
    rows: collections.Counter[tuple]

    def count(self) -> int:
        return sum(self.rows.values())

    def column(self, name: str) -> int:
        return self.columns.index(name)


State = dict[str, Relation]


def _normal(value: Any) -> Any:
    """Comparable and hashable: floats to 12 significant digits (parallel aggregation may reorder sums)."""
    if isinstance(value, float):
        return float(f"{value:.12g}")
    if isinstance(value, Decimal):
        return value.normalize()
    if isinstance(value, list | tuple):
        return tuple(_normal(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _normal(v)) for k, v in value.items()))
    return value


def _relation(name: str, columns: Sequence[str], rows: Sequence[tuple]) -> Relation:
    dropped = VOLATILE | VOLATILE_BY_TABLE.get(name, set())
    keep = [i for i, c in enumerate(columns) if c.lower() not in dropped]
    return Relation(
        tuple(columns[i].lower() for i in keep), collections.Counter(tuple(_normal(r[i]) for i in keep) for r in rows)
    )


def read_warehouse(folder: Path) -> State:
    state: State = {}
    with duckdb.connect() as con:
        for f in sorted(folder.glob("*.duckdb")):
            con.execute(f"ATTACH '{f}' AS {f.stem} (READ_ONLY)")
        relations = con.execute(
            "SELECT database_name, schema_name, table_name FROM duckdb_tables() WHERE NOT temporary "
            "UNION ALL SELECT database_name, schema_name, view_name FROM duckdb_views() "
            "WHERE NOT internal AND NOT temporary AND database_name NOT IN ('system', 'temp')"
        ).fetchall()
        for db, schema, table in relations:
            name = f"{db}.{schema}.{table}".lower()
            cur = con.execute(f'SELECT * FROM "{db}"."{schema}"."{table}"')
            state[name] = _relation(name, [d[0] for d in cur.description], cur.fetchall())
    return state


def read_postgres(dsn: str) -> State:
    state: State = {}
    con = psycopg2.connect(dsn)
    try:
        with con.cursor() as cur:
            cur.execute(
                "SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
                "AND table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2"
            )
            for schema, table in cur.fetchall():
                name = f"pg:{schema}.{table}"
                cur.execute(f'SELECT * FROM "{schema}"."{table}"')
                state[name] = _relation(name, [d[0] for d in cur.description], cur.fetchall())
    finally:
        con.close()
    return state


def read_state(warehouse: Path, dsn: str) -> State:
    return read_warehouse(warehouse) | read_postgres(dsn)


def diff(expected: State, actual: State, only: Callable[[str], bool] = lambda _name: True) -> list[str]:
    """What differs, table by table: missing and unexpected tables, rows missing, rows extra (and how many of
    those extra rows duplicate an expected row)."""
    problems = []
    for name in sorted(n for n in set(expected) | set(actual) if only(n)):
        if name not in actual:
            problems.append(f"{name}: missing ({expected[name].count()} rows expected)")
            continue
        if name not in expected:
            problems.append(f"{name}: unexpected relation ({actual[name].count()} rows)")
            continue
        want, got = expected[name], actual[name]
        if want.columns != got.columns:
            problems.append(f"{name}: columns {got.columns} instead of {want.columns}")
            continue
        missing, extra = want.rows - got.rows, got.rows - want.rows
        if missing or extra:
            duplicates = sum(n for row, n in extra.items() if row in want.rows)
            sample = next(iter(missing or extra))
            problems.append(
                f"{name}: {sum(missing.values())} row(s) missing, {sum(extra.values())} extra "
                f"({duplicates} duplicates) of {want.count()}; e.g. {'missing' if missing else 'extra'} "
                f"{dict(zip(want.columns, sample, strict=True))!r:.300}"
            )
    return problems


def marker_ids(state: State) -> set[str]:
    markers = state.get("raw.pipeline.markers")
    return {row[markers.column("update_id")] for row in markers.rows} if markers else set()


def rows_by_file(relation: Relation) -> dict[str, collections.Counter[tuple]]:
    i = relation.column("_file")
    out: dict[str, collections.Counter[tuple]] = collections.defaultdict(collections.Counter)
    for row, n in relation.rows.items():
        out[row[i]][row] += n
    return out


# -- test doubles: a webhook, a fault-injecting proxy, luigid -----------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, handler: type[BaseHTTPRequestHandler]):
        super().__init__(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> _Server:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}"


class Webhook(_Server):
    """Stands in for Mattermost: records every post; answers 200, slowly, or 500."""

    def __init__(self, mode: str = "ok", delay: float = 0.0):
        super().__init__(_WebhookHandler)
        self.mode, self.delay = mode, delay
        self.bodies: list[str] = []
        self.lock = threading.Lock()

    def payloads(self) -> list[dict]:
        with self.lock:
            return [json.loads(body) for body in self.bodies]


class _WebhookHandler(BaseHTTPRequestHandler):
    server: Webhook
    disable_nagle_algorithm = True

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        with self.server.lock:
            self.server.bodies.append(body)
        time.sleep(self.server.delay)
        status = 500 if self.server.mode == "error" else 200
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: Any) -> None:
        pass


class Faults:
    """A seeded decision per request: which requests fail and how."""

    def __init__(self, seed: str, share: float, kinds: Sequence[str]):
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self.share, self.kinds = share, tuple(kinds)
        self.counts: collections.Counter[str] = collections.Counter()

    def draw(self) -> str:
        with self._lock:
            kind = self._rng.choice(self.kinds) if self._rng.random() < self.share else "ok"
            self.counts[kind] += 1
            return kind


_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}
_S3_ERROR = b"<Error><Code>InternalError</Code><Message>injected by the reliability suite</Message></Error>"


class FaultProxy(_Server):
    """A real HTTP server between boto3 and moto (AWS_ENDPOINT_URL points here): forwards every request and fails
    a seeded share of the GETs (listings and downloads) with a 500, a connection reset, a body cut in half, or a
    slow answer."""

    def __init__(self, upstream: str, faults: Faults):
        super().__init__(_ProxyHandler)
        parsed = urlparse(upstream)
        self.upstream = (parsed.hostname or "127.0.0.1", parsed.port or 80)
        self.faults = faults


class _ProxyHandler(BaseHTTPRequestHandler):
    server: FaultProxy
    protocol_version = "HTTP/1.1"  # keep-alive, as S3
    disable_nagle_algorithm = True  # headers and body go out in separate writes: no delayed-ACK stalls

    def do_GET(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        fault = self.server.faults.draw() if self.command == "GET" else "ok"
        if fault == "reset":  # RST, no answer
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            return
        if fault == "500":
            self._answer(500, {"Content-Type": "application/xml"}, _S3_ERROR)
            return
        if fault == "slow":
            time.sleep(0.5)
        upstream = http.client.HTTPConnection(*self.server.upstream, timeout=30)
        try:
            upstream.connect()
            upstream.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
            upstream.request(self.command, self.path, body, headers)
            response = upstream.getresponse()
            data = response.read()
            headers = {k: v for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP | {"content-length"}}
        finally:
            upstream.close()
        if fault == "truncate" and len(data) > 1:  # the full length announced, half the body sent, then closed
            self._answer(response.status, headers, data, send=len(data) // 2)
            self.close_connection = True
            return
        self._answer(response.status, headers, data)

    def do_HEAD(self) -> None:
        self.do_GET()

    def _answer(self, status: int, headers: dict[str, str], data: bytes, send: int | None = None) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data[:send])
        self.wfile.flush()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class LuigidProcess:
    port: int
    state_path: Path
    log_dir: Path
    proc: subprocess.Popen | None = None

    def start(self, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [str(Path(PYTHON).parent / "luigid"), "--port", str(self.port), "--address", "127.0.0.1",
             "--state-path", str(self.state_path), "--logdir", str(self.log_dir)],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        wait_for(self.up, 30, "luigid")

    def up(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
            return True
        except OSError:
            return False

    def stop(self) -> None:
        """SIGTERM: luigid saves its state on a clean shutdown."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(30)
        self.proc = None


@contextlib.contextmanager
def luigid(dir: Path, env: dict[str, str]) -> Iterator[LuigidProcess]:
    dir.mkdir(parents=True, exist_ok=True)
    server = LuigidProcess(free_port(), dir / "state.pickle", dir)
    server.start(env)
    try:
        yield server
    finally:
        server.stop()


# -- the clean run and the results table --------------------------------------------------------------------------


@dataclass
class Baseline:
    """The clean run: each stage's run, the warehouse folder and Postgres database (a template) before it, and
    the state after it."""

    runs: dict[str, Run]
    before: dict[str, tuple[Path, str]]
    after: dict[str, State]

    def stage_markers(self, stage: str) -> set[str]:
        """The markers a stage writes: those after it less those before it."""
        names = [s.name for s in STAGES]
        earlier = names[names.index(stage) - 1] if names.index(stage) else None
        return marker_ids(self.after[stage]) - (marker_ids(self.after[earlier]) if earlier else set())


@dataclass
class CaseResult:
    trials: int = 0
    passed: int = 0
    compared: str = ""
    notes: list[str] = field(default_factory=list)


RESULTS: dict[str, CaseResult] = {}


class Ledger:
    """What each case tried and what it compared, for the table at the end of the session."""

    def record(self, case: str, passed: bool, compared: str, note: str = "") -> None:
        result = RESULTS.setdefault(case, CaseResult())
        result.trials += 1
        result.passed += passed
        result.compared = compared
        if note:
            result.notes.append(" ".join(note.split())[:240])
