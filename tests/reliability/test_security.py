"""Security: secrets stay out of the logs, the alerts and the SQL text of a whole failing run; identifiers read from
settings are validated before any SQL runs; the luigid visualiser is not exposed beyond the cluster."""

from __future__ import annotations

import secrets as token
import shutil
from pathlib import Path

import duckdb
import psycopg2.extensions
import pytest
import yaml

from tests.reliability import harness
from tests.reliability.harness import ROOT, Baseline, Ledger, Webhook, World
from tests.reliability.test_bad_input import HEADER_LINES, cloudfront, good_lines, land, pg_execute, with_field

SQL_LOG = Path(__file__).parent / "sqllog"  # its sitecustomize turns on DuckDB's query log


def postgres_statements(world: World, since: int) -> str:
    """What the server logged (log_statement = all) from byte ``since`` of its log file."""
    with open(world.pg.log, "rb") as f:
        f.seek(since)
        return f.read().decode(errors="replace")


def duckdb_statements(folder: Path) -> str:
    return "\n".join(p.read_text(errors="replace") for p in sorted(folder.glob("*/duckdb_log_entries.csv")))


def test_secrets_stay_out_of_logs_alerts_and_sql_text_of_a_failing_run(
    world: World, clean: Baseline, ledger: Ledger
) -> None:
    suffix = token.token_hex(6)
    password = f"pg-Pa55-{suffix}"
    hook = f"hookid{suffix}"
    values = {
        "SNOWFLAKE_TRANSFORM_PASSWORD": f"Tr4nsform-Pa55-{suffix}",
        "SNOWFLAKE_LOAD_PASSWORD": f"L0ad-Pa55-{suffix}",
        "PERMISSION_BOT_PASSWORD": f"Perm-Pa55-{suffix}",
        "AWS_SECRET_ACCESS_KEY": f"aws-S3cret-{suffix}",
    }
    # What fails: a replicated table (a timestamp that is no timestamp), a license day (a broken export), a mart
    # (a bad logdate), the write-back (refused: too few rows) and a script (a statement naming no real column).
    good = good_lines(world)[:20]
    landing = land(world, "security", cloudfront(world, "baddate", [
        *good[:10], with_field(good[10], 0, "2026-13-45"), *good[11:]], {HEADER_LINES + 11}))  # fmt: skip
    (landing / f"licenses/{world.first}/licenses-extra-{world.first}.csv").write_text(
        "".join(f"c{i},Company,1,a@example.com,l{i},1690731051088,1\n" for i in range(10))
    )
    warehouse, database = clean.before["replication"]
    ws = harness.workspace(world, "security", warehouse_from=warehouse, database_from=database, landing=str(landing))
    # The server trusts local connections: the password is never checked, only carried - where it must not leak.
    socket_dir = psycopg2.extensions.parse_dsn(ws.dsn)["host"]
    ws.env["HEROKU_POSTGRESQL_URL"] = f"postgresql://postgres:{password}@/{ws.database}?host={socket_dir}"
    ws.env.update(values)
    pg_execute(
        ws.dsn,
        "ALTER TABLE orgm.contact ALTER COLUMN systemmodstamp TYPE text USING systemmodstamp::text",
        "UPDATE orgm.contact SET systemmodstamp = 'last Tuesday' WHERE id = (SELECT min(id) FROM orgm.contact)",
    )
    scripts = ws.dir / "scripts"
    shutil.copytree(ROOT / "sql" / "postgres", scripts)
    (scripts / "account_type.sql").write_text("-- requires: account_arr\nUPDATE orgm.account SET no_such_column = 1;\n")
    ws.config["postgres"] = {"scripts_dir": scripts}
    ws.config["write_back"] = {"min_rows": 1_000_000}
    queries = ws.dir / "duckdb-queries"
    ws.env.update(PYTHONPATH=f"{ROOT}:{SQL_LOG}", RELIABILITY_DUCKDB_QUERY_LOG=str(queries))

    pg_log_start = world.pg.log.stat().st_size
    world.pg.set_system("log_statement", "all")
    stages = ("replication", "dbt", "write_back", "scripts")
    try:
        with Webhook() as webhook:
            ws.env["MATTERMOST_WEBHOOK_URL"] = f"{webhook.url}/hooks/{hook}"
            runs = [ws.run(stage) for stage in stages]
            alerts = webhook.bodies
    finally:
        world.pg.set_system("log_statement", None)
    pg_sql, duck_sql = postgres_statements(world, pg_log_start), duckdb_statements(queries)

    problems = [
        f"{stage} exited {run.code}, not 30 (a failed task)"
        for stage, run in zip(stages, runs, strict=True)
        if run.code != 30
    ]
    # The capture saw the run: alerts, the pipeline's and dbt's DuckDB statements, the scripts' Postgres ones.
    for what, text, needle in [
        ("alerts", "\n".join(alerts), "failed"), ("DuckDB query log", duck_sql, "INSERT INTO raw.pipeline.markers"),
        ("DuckDB query log (dbt)", duck_sql, "dbt_version"), ("Postgres statement log", pg_sql, "no_such_column"),
    ]:  # fmt: skip
        if needle not in text:
            problems.append(f"the {what} did not capture the run (no {needle!r}): the check below proves nothing")
    texts = {"process logs": "\n".join(run.log for run in runs), "alerts": "\n".join(alerts),
             "DuckDB SQL text": duck_sql, "Postgres SQL text": pg_sql}  # fmt: skip
    secrets = {**values, "the Postgres password": password, "the webhook's hook id": hook}
    for where, text in texts.items():
        problems += [f"{name} appears in the {where}" for name, value in secrets.items() if value in text]
    ledger.record(
        "security: secrets in logs, alerts, SQL text", not problems,
        "process stdout/stderr, webhook posts, DuckDB query log (pipeline and dbt), Postgres log_statement=all",
        f"{len(runs)} failing runs, {len(alerts)} alerts, {duck_sql.count(chr(10))} DuckDB and "
        f"{pg_sql.count('statement:')} Postgres statements scanned for {len(secrets)} secrets",
    )  # fmt: skip
    assert not problems, "\n".join(problems)


INJECTION = "; drop table "
IDENTIFIERS = {
    "[warehouse] marker_table": ("warehouse", "marker_table", "raw.pipeline.markers", "loads"),
    "[replication] state_table": ("replication", "state_table", "raw.pipeline.replication_state", "replication"),
    "[write_back] queue_table": ("write_back", "queue_table", "analytics.util.pg_imports", "write_back"),
    "[postgres] marker_table": ("postgres", "marker_table", "staging.table_updates", "scripts"),
}


@pytest.mark.parametrize("setting", IDENTIFIERS)
def test_an_identifier_from_settings_is_validated_before_any_sql(
    world: World, clean: Baseline, ledger: Ledger, setting: str
) -> None:
    section, option, value, stage = IDENTIFIERS[setting]
    warehouse, database = clean.before[stage]
    ws = harness.workspace(world, f"identifier-{section}", warehouse_from=warehouse, database_from=database)
    postgres = section == "postgres"
    canary = "orgm.canary" if postgres else "raw.pipeline.canary"
    if postgres:
        pg_execute(ws.dsn, f"CREATE TABLE {canary} AS SELECT 1 AS alive")
    else:
        with duckdb.connect(str(ws.warehouse / "raw.duckdb")) as con:
            con.execute("CREATE SCHEMA IF NOT EXISTS pipeline")
            con.execute("CREATE TABLE pipeline.canary AS SELECT 1 AS alive")
    before = ws.state()
    ws.config[section] = {option: f"{value}{INJECTION}{canary}"}
    run = ws.run(stage)
    problems = []
    if run.code == 0:
        problems.append("the run succeeded with an injected identifier")
    injected = f"{value}{INJECTION}{canary}"
    said = [line for line in run.log.splitlines() if line.startswith("ValueError: invalid") and injected in line]
    if not said:
        problems.append(f"exit {run.code} without an error naming the invalid identifier:\n{run.tail(15)}")
    # Refused before any work: no row changed, the canary lives (scheduling may create an empty marker table).
    after = {name: relation for name, relation in ws.state().items() if name in before or relation.count()}
    problems += harness.diff(before, after)
    ledger.record(
        "security: identifiers from settings validated", not problems, "the error; every table (a canary table)",
        f"{setting}: exit {run.code}, {said[0].removeprefix('ValueError: ') if said else 'no error'}",
    )  # fmt: skip
    assert not problems, "\n".join(problems)


def manifests() -> list[tuple[str, dict]]:
    """Every resource of the base and the overlays' patches, with the file it is in."""
    found = []
    for path in sorted((ROOT / "k8s").rglob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if isinstance(doc, dict):
                found.append((str(path.relative_to(ROOT)), doc))
                for patch in doc.get("patches", []):
                    found += [(f"{path.relative_to(ROOT)} (patch)", p) for p in _patch_docs(patch)]
    return found


def _patch_docs(patch: dict) -> list[dict]:
    text = patch.get("patch", "") if isinstance(patch, dict) else ""
    loaded = yaml.safe_load(text) if text else None
    if isinstance(loaded, list):  # JSON 6902 operations
        return [{"op": op} for op in loaded if isinstance(op, dict)]
    return [loaded] if isinstance(loaded, dict) else []


def test_the_visualiser_is_not_exposed_beyond_the_cluster(ledger: Ledger) -> None:
    resources = manifests()
    problems = []
    for where, doc in resources:
        kind, name = doc.get("kind"), doc.get("metadata", {}).get("name")
        spec = doc.get("spec") or {}
        if kind == "Service" and spec.get("type", "ClusterIP") != "ClusterIP":
            problems.append(f"{where}: Service {name} is {spec['type']}")
        if kind == "Service" and spec.get("externalIPs"):
            problems.append(f"{where}: Service {name} has externalIPs")
        if kind in ("Ingress", "Gateway", "HTTPRoute"):
            problems.append(f"{where}: {kind} {name} exposes a service outside the cluster")
        pod = (spec.get("template") or {}).get("spec") or {}
        ports = [port for c in pod.get("containers", []) for port in c.get("ports", [])]
        if pod.get("hostNetwork") or any(port.get("hostPort") for port in ports):
            problems.append(f"{where}: {kind} {name} binds the host's network")
        op = doc.get("op") or {}
        if "/spec/type" in str(op.get("path", "")) or "LoadBalancer" in str(op) or "NodePort" in str(op):
            problems.append(f"{where}: a patch changes a Service type: {op}")
    policies = [doc for _, doc in resources if doc.get("kind") == "NetworkPolicy"]
    guarding = [p for p in policies if p["spec"].get("podSelector", {}).get("matchLabels", {}).get(
        "app.kubernetes.io/name") == "luigid"]  # fmt: skip
    if not guarding:
        problems.append("no NetworkPolicy selects the luigid pods")
    for policy in guarding:
        if "Ingress" not in policy["spec"].get("policyTypes", []):
            problems.append("the luigid NetworkPolicy does not restrict ingress")
        for rule in policy["spec"].get("ingress", []):
            sources = rule.get("from") or [{}]  # a rule without `from` admits everyone
            if any(set(source) != {"podSelector"} or not source["podSelector"] for source in sources):
                problems.append(f"the luigid NetworkPolicy admits more than the pipeline's pods: {sources}")
            if [p.get("port") for p in rule.get("ports", [])] != [8082]:
                problems.append(f"the luigid NetworkPolicy opens ports {rule.get('ports')}")
    ledger.record("security: visualiser not exposed beyond the cluster", not problems,
                  f"{len(resources)} resources of k8s/ (base and overlays): Services, Ingresses, host network, "
                  "the luigid NetworkPolicy")  # fmt: skip
    assert not problems, "\n".join(problems)
