"""Shared fixtures: real components only - a DuckDB warehouse in a temp folder, moto's S3 server over
HTTP, a real PostgreSQL (pgserver), with Luigi's configuration pointed at them per test.

Also the helpers that test modules of more than one folder use (a test module never imports another):
``build`` (run Luigi tasks as a cron invocation would), queries on the warehouse and on Postgres, marker rows,
the sample Salesforce org in Postgres (``orgm``) and its replication into the warehouse, a task that runs in
its own Kubernetes Job pod, the permifrost spec, and the external tools the image checks run.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, NoReturn
from unittest import mock

import duckdb
import luigi
import pytest

import devdata
from targets.markers.snapshots import SNAPSHOTS
from targets.markers.stores import MARKER_COLUMNS, marker_table
from targets.postgres.session import quote
from targets.warehouse.connect import connect
from targets.warehouse.session import STATS
from tasks.run_in_pod import RunInPod

# A developer's `make demo` leaves local settings that every entry point reads (config/local.py): not in the tests.
os.environ["BIZOPS_LOCAL_SETTINGS"] = ""
ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"  # recorded API responses, bad specs: tests/fixtures/<topic>/


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Settings:
    """Set luigi.cfg values for one test; everything is restored afterwards."""

    def __init__(self) -> None:
        self.config = luigi.configuration.get_config()
        self.saved: list[tuple[str, str, str | None]] = []

    def set(self, section: str, option: str, value: object) -> None:
        old = self.config.get(section, option, None)
        self.saved.append((section, option, old))
        self.config.set(section, option, str(value))

    def restore(self) -> None:
        for section, option, old in reversed(self.saved):
            if old is None:
                self.config.remove_option(section, option)
            else:
                self.config.set(section, option, old)


def wait_until_up(proc: subprocess.Popen, probe: Callable[[], object], what: str, timeout: float = 30) -> None:
    """Poll ``probe`` until it stops raising OSError; fail (killing the process) if it dies or times out."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            probe()
            return
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError(f"{what} did not start") from None
            time.sleep(0.1)


@pytest.fixture
def settings() -> Iterator[Settings]:
    s = Settings()
    yield s
    s.restore()


@pytest.fixture
def env(tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh embedded warehouse and local landing folder, with the source locations set."""
    settings.set("warehouse", "duckdb_dir", tmp_path / "warehouse")
    settings.set("landing", "url", tmp_path / "landing")
    for name, value in devdata.LOCATIONS.items():
        monkeypatch.setenv(name, value)
    SNAPSHOTS.clear()
    STATS.clear()
    yield tmp_path
    SNAPSHOTS.clear()


# Every Snowflake login, as production's pods have them (warehouses and roles as config/roles.yml names them).
SNOWFLAKE_LOGINS = {
    "SNOWFLAKE_ACCOUNT": "test_account", "SNOWFLAKE_LOAD_USER": "loader", "SNOWFLAKE_LOAD_PASSWORD": "load-pw",
    "SNOWFLAKE_TRANSFORM_USER": "transformer", "SNOWFLAKE_TRANSFORM_PASSWORD": "transform-pw",
    "PERMISSION_BOT_USER": "permission_bot", "PERMISSION_BOT_PASSWORD": "bot-pw",
    "PERMISSION_BOT_ACCOUNT": "test_account", "PERMISSION_BOT_DATABASE": "raw", "PERMISSION_BOT_ROLE": "securityadmin",
    "PERMISSION_BOT_WAREHOUSE": "analyst_xs",
}  # fmt: skip
SNOWFLAKE_LANDING = "s3://landing-bucket/bizops"  # stages must point at S3; tests that list files use the s3 fixture


@pytest.fixture
def snowflake(env: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The Snowflake backend through the real connector on fakesnow (patch mode) behind a recording account
    (tests/snowflake_account.py), bootstrapped as an administrator does it; every login set. Yields the account."""
    import fakesnow
    import snowflake.connector

    from ops.snowflake import bootstrap
    from tests.snowflake_account import Account

    settings.set("warehouse", "backend", "snowflake")
    if not str(luigi.configuration.get_config().get("landing", "url", "")).startswith("s3://"):
        settings.set("landing", "url", SNOWFLAKE_LANDING)
    for name, value in SNOWFLAKE_LOGINS.items():
        monkeypatch.setenv(name, value)
    with fakesnow.patch():
        account = Account(snowflake.connector.connect)
        with mock.patch.object(snowflake.connector, "connect", account.connect):  # undone before fakesnow's patch
            with connect("bootstrap", "admin") as s:
                bootstrap.apply(s)
            yield account


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    """moto's S3 server over HTTP on a free loopback port."""
    port = free_port()
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    wait_until_up(proc, lambda: socket.create_connection(("127.0.0.1", port), timeout=1).close(), "moto_server")
    yield url
    proc.terminate()
    proc.wait(10)


@pytest.fixture
def s3(s3_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh bucket on the moto server; returns its s3:// landing url."""
    import boto3

    from targets import landing

    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_server)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    landing._s3.cache_clear()
    bucket = f"landing-{os.getpid()}-{time.monotonic_ns()}"
    boto3.client("s3", endpoint_url=s3_server).create_bucket(Bucket=bucket)
    yield f"s3://{bucket}/bizops"
    landing._s3.cache_clear()


@pytest.fixture(scope="session")
def postgres_dsn() -> Iterator[str]:
    """A real PostgreSQL server (pgserver's bundled build), for the whole session. Its folder is not under
    pytest's tmp: as root, pgserver runs postgres as another user, and pytest resets its tmp to 0700."""
    import pgserver

    server = pgserver.get_server(tempfile.mkdtemp(prefix="bizops-pg-"), cleanup_mode="delete")
    yield server.get_uri()
    server.cleanup()


def pg_query(dsn: str, sql: str, params: Any = None) -> list[tuple]:
    """One statement on its own autocommit connection; its rows, if it returns any."""
    import psycopg2

    con = psycopg2.connect(dsn)
    con.autocommit = True
    try:
        with con.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall() if cur.description else []
    finally:
        con.close()


@pytest.fixture(scope="module")
def pg_db(postgres_dsn: str, request: pytest.FixtureRequest) -> str:
    """A fresh database for the test module, named after it (its package too: test modules share file names)."""
    from devdata.writers import new_database

    return new_database(postgres_dsn, request.module.__name__.removeprefix("tests.").replace(".", "_"))


@contextlib.contextmanager
def sample_warehouse(
    tmp: Path, pg_dsn: str, first: date, days: int, servers: int, seed: int, **options: object
) -> Iterator[Any]:
    """For module fixtures: a copy of the dbt project and a fresh warehouse under ``tmp``, luigi.cfg pointed at
    them (plus ``options``: {"section.option": value}), the generator's data landed, its Salesforce tables in
    the PostgreSQL at ``pg_dsn`` (replicated by the pipeline) and Segment's in the warehouse. Yields the Dataset."""
    from devdata.generate import generate
    from devdata.writers import write_duckdb, write_files, write_postgres
    from tasks.transform import manifest

    settings, env = Settings(), pytest.MonkeyPatch()
    shutil.copytree(ROOT / "dbt", tmp / "dbt", ignore=shutil.ignore_patterns("target", "logs"))
    values = {"warehouse.duckdb_dir": tmp / "warehouse", "landing.url": tmp / "landing", "dbt.project_dir": tmp / "dbt",
              "loading.max_reject_share": 0.2, **options}  # fmt: skip
    for key, value in values.items():
        settings.set(*key.split("."), value)
    for name, value in {**devdata.LOCATIONS, "HEROKU_POSTGRESQL_URL": pg_dsn}.items():
        env.setenv(name, value)
    env.delenv("MATTERMOST_WEBHOOK_URL", raising=False)
    manifest.load.cache_clear()
    SNAPSHOTS.clear()
    dataset = generate(first, days, servers, seed=seed)
    write_files(dataset.files, str(tmp / "landing"))
    write_postgres(dataset.orgm, pg_dsn)
    (tmp / "warehouse").mkdir()
    with duckdb.connect() as con:  # Segment writes into the warehouse itself
        con.execute("ATTACH ? AS raw", [str(tmp / "warehouse" / "raw.duckdb")])
        write_duckdb(dataset.segment, con)
    try:
        yield dataset
    finally:
        env.undo()
        settings.restore()
        manifest.load.cache_clear()
        SNAPSHOTS.clear()


# -- Luigi -------------------------------------------------------------------------------------------------


def build(*tasks: luigi.Task, detailed_summary: bool = False, requirements: bool = True, **options: Any) -> Any:
    """Run ``tasks`` as one cron invocation would: a local scheduler, marker snapshots read afresh.

    Returns True when Luigi scheduled and ran them without failure - or, with ``detailed_summary``, Luigi's
    LuigiRunResult. ``options`` go to ``luigi.build`` (e.g. ``workers``). With ``requirements=False`` only the
    tasks' own ``run()`` is called, in this process, not the tasks they require (e.g. a drain without its dbt
    build, which is tested elsewhere): True when each ran and is complete.
    """
    SNAPSHOTS.clear()
    if not requirements:
        try:
            for task in tasks:
                task.run()
        except Exception:
            return False
        return all(task.complete() for task in tasks)
    return luigi.build(list(tasks), local_scheduler=True, detailed_summary=detailed_summary, **options)


# -- the warehouse and its markers ------------------------------------------------------------------------

THOUSAND_DAYS = [date(2024, 1, 1) + timedelta(days=i) for i in range(1000)]


def wh(sql: str, params: tuple = ()) -> list[tuple]:
    """One statement on the warehouse (the loader profile); its rows."""
    with connect("test") as s:
        return s.execute(sql, params)


def write_markers(tasks: list[luigi.Task]) -> None:
    """The tasks' markers, as another process would write them: this process's snapshots and counts forgotten."""
    with connect("test") as s:
        s.ensure_table(marker_table(), MARKER_COLUMNS)
        with s.transaction():
            for t in tasks:
                t.output().write(s, 1)
    SNAPSHOTS.clear()
    STATS.clear()


# -- the sample org in Postgres (orgm) ---------------------------------------------------------------------
# The orgm tables (Salesforce's columns plus Heroku Connect's system columns) in the module's database, fresh per test.

_SYSTEM = [("id", "serial"), ("sfid", "varchar(18) UNIQUE")]
_TAIL = [("systemmodstamp", "timestamp"), ("createddate", "timestamp"), ("isdeleted", "boolean DEFAULT false"),
         ("_hc_lastop", "varchar(32)"), ("_hc_err", "text")]  # fmt: skip
MONEY = "numeric(18,2)"
ORGM: dict[str, list[tuple[str, str]]] = {
    "user": [("lastname", "varchar"), ("email", "varchar"), ("system_type__c", "varchar")],
    "account": [("name", "varchar"), ("parentid", "varchar(18)"), ("type", "varchar"), ("arr_current__c", MONEY),
                ("health_score__c", MONEY), ("ownerid", "varchar(18)"), ("company_type__c", "varchar"),
                ("csm_lookup__c", "varchar(18)"), ("zendesk__zendesk_organization_id__c", "varchar")],
    "opportunity": [("name", "varchar"), ("accountid", "varchar(18)"), ("iswon", "boolean"), ("isclosed", "boolean"),
                    ("closedate", "date"), ("type", "varchar"), ("stagename", "varchar"), ("amount", MONEY),
                    ("probability", MONEY), ("forecastcategoryname", "varchar"), ("expectedrevenue", MONEY),
                    ("ownerid", "varchar(18)"), ("license_key__c", "varchar"), ("arr_contributed__c", MONEY),
                    ("renewal_risk_status__c", "varchar"), ("csm_owner__c", "varchar(18)"),
                    ("status_wlo__c", "varchar")],
    "opportunitylineitem": [("name", "varchar"), ("opportunityid", "varchar(18)"), ("product2id", "varchar(18)"),
                            ("product_type__c", "varchar"), ("product_line_type__c", "varchar"),
                            ("revenue_type__c", "varchar"), ("description", "text"), ("listprice", MONEY),
                            ("unitprice", MONEY), ("discount", MONEY), ("quantity", MONEY), ("totalprice", MONEY),
                            ("start_date__c", "date"), ("end_date__c", "date"), ("arr_contributed__c", MONEY)],
    "contact": [("email", "varchar"), ("accountid", "varchar(18)")],
    "task": [("accountid", "varchar(18)"), ("whoid", "varchar(18)"), ("whatid", "varchar(18)"),
             ("ownerid", "varchar(18)"), ("createdbyid", "varchar(18)"), ("subject", "varchar"),
             ("status", "varchar"), ("priority", "varchar"), ("type", "varchar"), ("tasksubtype", "varchar"),
             ("activitydate", "date"), ("description", "text"), ("isclosed", "boolean")],
    "delete_history__c": [("name", "varchar"), ("object_id__c", "varchar(18)"), ("object_type__c", "varchar")],
}  # fmt: skip
TRIGGER_LOG = [("id", "serial PRIMARY KEY"), ("table_name", "varchar(128)"), ("record_id", "integer"),
               ("sfid", "varchar(18)"), ("action", "varchar(7)"), ("state", "varchar(8)"), ("sf_message", "text"),
               ("updated_at", "timestamp")]  # fmt: skip
LOCKED = "unable to obtain exclusive access to this record or 1 records: 0013600000AAAAAAAA"
_ids = itertools.count(1)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def today() -> date:
    return utcnow().date()


def sfid(prefix: str) -> str:
    return f"{prefix}{next(_ids):015d}"[:18]


def insert(cur: Any, table: str, **values: Any) -> dict[str, Any]:
    """One orgm row with Heroku Connect's defaults (sfid, stamps, isdeleted, _hc_lastop)."""
    if table != "_trigger_log":
        stamp = utcnow() - timedelta(days=2)
        values = {"sfid": sfid({"user": "005", "account": "001"}.get(table, "00x")), "systemmodstamp": stamp,
                  "createddate": stamp, "isdeleted": False, "_hc_lastop": "SYNCED", **values}  # fmt: skip
    cols = list(values)
    cur.execute(
        f"INSERT INTO orgm.{quote(table)} ({', '.join(quote(c) for c in cols)}) "
        f"VALUES ({', '.join(['%s'] * len(cols))})",
        [values[c] for c in cols],
    )
    return values


def create_orgm(cur: Any) -> None:
    cur.execute("DROP SCHEMA IF EXISTS orgm CASCADE; DROP SCHEMA IF EXISTS staging CASCADE; CREATE SCHEMA orgm")
    for table, columns in ORGM.items():
        cols = ", ".join(f"{quote(c)} {t}" for c, t in _SYSTEM + columns + _TAIL)
        cur.execute(f"CREATE TABLE orgm.{quote(table)} ({cols})")
    cur.execute(f"CREATE TABLE orgm._trigger_log ({', '.join(f'{quote(c)} {t}' for c, t in TRIGGER_LOG)})")


def sample_org(cur: Any) -> dict[str, str]:
    """A small org exercising every script's rules; returns the sfids the tests look at."""
    t = today()
    rep = insert(cur, "user", lastname="Lovelace", email="ada@example.com", system_type__c="Standard")["sfid"]
    marketo = insert(cur, "user", lastname="Marketo", email="marketo@example.com")["sfid"]
    ids = {"rep": rep, "marketo": marketo}
    for key, type_ in [("customer", "Prospect"), ("attrited", "Customer"), ("prospect", "Prospect"),
                       ("services", "Prospect"), ("lost", "Prospect")]:  # fmt: skip
        ids[key] = insert(cur, "account", name=f"Account {key}", type=type_, ownerid=rep)["sfid"]

    def deal(account: str, won: bool, *items: tuple[str, Decimal, date, date, bool]) -> None:
        opp = insert(cur, "opportunity", name=f"Deal {account}", accountid=ids[account], iswon=won, isclosed=True,
                     closedate=t - timedelta(days=40), type="New Business", stagename="6. Closed Won" if won else
                     "Closed Lost", amount=Decimal("1000.00"), ownerid=rep)["sfid"]  # fmt: skip
        for product_type, price, start, end, deleted in items:
            insert(cur, "opportunitylineitem", name=f"{product_type} {account}", opportunityid=opp,
                   product_type__c=product_type, product_line_type__c="New", totalprice=price, quantity=1,
                   unitprice=price, listprice=price, start_date__c=start, end_date__c=end, isdeleted=deleted,
                   description='multi\nline "quoted", text')  # fmt: skip

    # A 4-year term always holds one 29 February: 365 * 48000 / (1461 - 1) = 12000 a day (not 11992).
    deal("customer", True, ("Recurring", Decimal("48000.00"), t - timedelta(days=30), t + timedelta(days=1430), False),
         ("Non-Recurring", Decimal("5000.00"), t - timedelta(days=5), t + timedelta(days=5), False),
         ("Recurring", Decimal("99999.00"), t - timedelta(days=5), t + timedelta(days=360), True))  # fmt: skip
    deal("attrited", True, ("Recurring", Decimal("12000.00"), t - timedelta(days=500), t - timedelta(days=136), False))
    deal("services", True, ("Non-Recurring", Decimal("3000.00"), t - timedelta(days=5), t + timedelta(days=5), False))
    deal("lost", False, ("Recurring", Decimal("7000.00"), t - timedelta(days=5), t + timedelta(days=360), False))
    insert(cur, "task", accountid=ids["customer"], createdbyid=rep, ownerid=rep, subject="Call: follow-up", type="Call",
           status="Completed", activitydate=t - timedelta(days=3), isclosed=True)  # fmt: skip
    insert(cur, "task", accountid=ids["customer"], createdbyid=marketo, ownerid=rep, type="Email",
           subject="Marketo: Email Sent - Monthly Newsletter", status="Completed", isclosed=True)  # fmt: skip
    insert(cur, "task", accountid=ids["attrited"], createdbyid=rep, ownerid=rep, subject="Deleted call", type="Call",
           isdeleted=True)  # fmt: skip
    insert(cur, "contact", email="c@example.com", accountid=ids["customer"])
    for state, message in [("FAILED", LOCKED), ("FAILED", "CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY: OpportunityTrigger"),
                           ("NEW", None), ("SUCCESS", None)]:  # fmt: skip
        insert(cur, "_trigger_log", table_name="account", sfid=ids["customer"], action="UPDATE", state=state,
               sf_message=message, updated_at=utcnow())  # fmt: skip
    return ids


def contents(dsn: str, schemas: tuple[str, ...] = ("orgm", "staging")) -> dict[str, list[tuple]]:
    """Every row of every table of the schemas (but the marker table), sorted: to compare two states."""
    import psycopg2

    con = psycopg2.connect(dsn)
    try:
        with con.cursor() as cur:
            cur.execute(
                "SELECT table_schema || '.' || table_name FROM information_schema.tables "
                "WHERE table_schema = ANY(%s) AND table_type = 'BASE TABLE' AND table_name <> 'table_updates'",
                (list(schemas),),
            )
            out = {}
            for (table,) in sorted(cur.fetchall()):
                cur.execute(f"SELECT * FROM {quote(table)}")
                out[table] = sorted(cur.fetchall(), key=repr)
            return out
    finally:
        con.close()


@pytest.fixture
def orgm(pg_db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """The orgm tables with the sample org, fresh for the test; HEROKU_POSTGRESQL_URL points at them."""
    import psycopg2

    monkeypatch.setenv("HEROKU_POSTGRESQL_URL", pg_db)
    con = psycopg2.connect(pg_db)
    con.autocommit = True
    with con.cursor() as cur:
        create_orgm(cur)
        ids = sample_org(cur)
    con.close()
    SNAPSHOTS.clear()
    yield {"dsn": pg_db, **ids}
    SNAPSHOTS.clear()


# -- orgm replicated into the warehouse --------------------------------------------------------------------

SLOT = datetime(2026, 11, 25, 13, 0)  # the run slot the tests of slotted tasks use
ORGM_TABLES = ["account", "opportunity", "opportunitylineitem", "contact", "user", "task", "delete_history__c"]


@pytest.fixture
def db(env: Path, orgm: dict[str, Any]) -> dict[str, Any]:
    """The sample org in Postgres, an empty DuckDB warehouse."""
    return orgm


def pg(dsn: str, sql: str, params: tuple | None = None) -> None:
    pg_query(dsn, sql, params)


def bookmark(table: str) -> datetime:
    return wh("SELECT bookmark FROM raw.pipeline.replication_state WHERE table_name = ?", (table,))[0][0]


def live_rows(dsn: str, table: str) -> list[tuple]:
    return pg_query(dsn, f'SELECT sfid, systemmodstamp FROM orgm."{table}" WHERE NOT isdeleted ORDER BY sfid')


def replicated(table: str) -> list[tuple]:
    return wh(f"SELECT sfid, systemmodstamp FROM raw.orgm.{table} ORDER BY sfid")


# -- a task that runs in its own Kubernetes Job pod ---------------------------------------------------------

CRUNCH_JOB = "crunch-numbers-998824dbbd"  # job_name() of CrunchNumbers(day=2026-11-25, full=True)
CRUNCHED: list[str] = []  # task ids CrunchWork.run ran in this process


class CrunchWork(luigi.Task):
    """Stands in for a heavy task's own work (a WarehouseTask in the pipeline)."""

    day = luigi.DateParameter()
    full = luigi.BoolParameter(default=False)

    def run(self) -> None:
        CRUNCHED.append(self.task_id)


class CrunchNumbers(RunInPod, CrunchWork):
    pod_cpu = "2"
    pod_memory = "4Gi"


def crunch_numbers() -> CrunchNumbers:
    return CrunchNumbers(day=date(2026, 11, 25), full=True)


# -- the permifrost spec -----------------------------------------------------------------------------------

ROLES_SPEC = ROOT / "config" / "roles.yml"
# permifrost's spec schemas use cerberus's old rule name; not ours to fix
PERMIFROST_WARNINGS = pytest.mark.filterwarnings("ignore:The rule 'keyschema' was renamed:DeprecationWarning")


# -- tools the image and manifest checks run --------------------------------------------------------------

TOOLS = ROOT / ".venv-tools" / "bin"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false")


def missing(what: str, how: str) -> NoReturn:
    """A check whose tool is absent skips on a developer's machine, and fails in CI: CI installs every tool
    (.ci/run), and a check that can skip silently there is not a check."""
    if in_ci():
        pytest.fail(f"{what} is absent in CI ({how}): .ci/run installs it")
    pytest.skip(f"{what} is absent ({how})")


def tool(name: str) -> Path:
    path = TOOLS / name
    if not path.exists():
        missing(str(path), "`make tools` creates .venv-tools from requirements-tools.lock")
    return path


# -- a new user's checkout after `make demo` ---------------------------------------------------------------


class Checkout:
    """A copy of this working tree as a new user has it (tracked and new files, nothing git ignores; .venv linked),
    where each command runs in a new shell: bash with .venv on the PATH, none of this process's settings."""

    def __init__(self, root: Path):
        self.root = root
        self.output = ""  # of `make demo`

    def env(self) -> dict[str, str]:
        keep = {k: os.environ[k] for k in ("HOME", "LANG", "TMPDIR", "CI") if k in os.environ}
        return {**keep, "PATH": f"{self.root / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}"}

    def run(self, command: str, timeout: float = 600) -> subprocess.CompletedProcess:
        """The command through bash, stdin closed, stdout and stderr as a terminal interleaves them."""
        return subprocess.run(["bash", "-c", command], cwd=self.root, env=self.env(), stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout)  # fmt: skip

    def start(self, command: str) -> subprocess.Popen:
        """A command that serves until stopped (``stop``), in a process group of its own."""
        return subprocess.Popen(["bash", "-c", command], cwd=self.root, env=self.env(), stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                start_new_session=True)  # fmt: skip

    @staticmethod
    def stop(proc: subprocess.Popen) -> str:
        """Stop a started command and everything it started; its output."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, 15)
        return proc.communicate(timeout=30)[0]

    def stop_postgres(self) -> None:
        """Stop the demo's PostgreSQL (fast shutdown), as a reboot would; a later command must start it again."""
        pid_file = self.root / "data" / "postgres" / "postmaster.pid"
        if not pid_file.exists():
            return
        pid = int(pid_file.read_text().split()[0])
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, 2)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                os.kill(pid, 0)
                time.sleep(0.1)

    def luigid_port(self) -> int:
        return int(self.root.joinpath("data", "local.cfg").read_text().split("scheduler_port = ")[1].split()[0])


@pytest.fixture(scope="session")
def demo() -> Iterator[Checkout]:
    """A fresh copy of this tree after ``make demo`` (its output in ``demo.output``), with a local setting of its own
    added: the port of its luigid, so that it meets no other on 8082. Not under pytest's tmp (see postgres_dsn)."""
    root = Path(tempfile.mkdtemp(prefix="bizops-demo-")) / "bizops"
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--deduplicate"],
                            cwd=ROOT, capture_output=True, check=True).stdout.decode().split("\0")  # fmt: skip
    for name in filter(None, listed):
        if (ROOT / name).is_file():  # a tracked file deleted in the tree is not part of it
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, root / name)
    (root / ".venv").symlink_to(ROOT / ".venv")
    checkout = Checkout(root)
    made = checkout.run("make demo", timeout=900)
    checkout.output = made.stdout
    assert made.returncode == 0, made.stdout[-5000:]
    with (root / "data" / "local.cfg").open("a") as cfg:
        cfg.write(f"\n[core]\nscheduler_port = {free_port()}\n")
    yield checkout
    checkout.stop_postgres()
    shutil.rmtree(root.parent, ignore_errors=True)
