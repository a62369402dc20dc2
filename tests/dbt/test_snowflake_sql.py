"""The snowflake target's SQL, checked without a Snowflake account. The project is compiled for the snowflake
target inside fakesnow, which only answers dbt's metadata queries (the incremental tables are created first, so
the incremental branches compile too). Every compiled statement must parse as Snowflake SQL, no DuckDB-only
function may leak into it, and the JavaScript of the url_decode UDF must decode exactly like the DuckDB macro."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import sqlglot
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tasks.transform.command import dbt_env
from tests.conftest import Settings, missing
from tests.dbt.conftest import DBT_DIR

COMPILE = """
import json
import sys
import fakesnow
import snowflake.connector
from dbt.cli.main import dbtRunner

project, logins = sys.argv[1], []
with fakesnow.patch():
    fake = snowflake.connector.connect

    def connect(**arguments):  # what dbt signs in with, never the credentials themselves
        logins.append({"role": arguments.get("role"), "key pair": arguments.get("private_key") is not None,
                       "password": bool(arguments.get("password"))})
        return fake(**arguments)

    snowflake.connector.connect = connect
    con = fake(database="ANALYTICS")
    for schema, table, day in [
        ("events", "security", "logdate"), ("mattermost", "server_security_details", "date"),
        ("mattermost", "server_daily_details", "date"), ("releases", "downloads", "logdate"),
        ("push_proxy", "notifications_hourly", "date"),
    ]:
        con.cursor().execute(f"create schema if not exists analytics.{schema}")
        con.cursor().execute(f"create table analytics.{schema}.{table} ({day} date, loaded_at timestamp)")
    # A day withdrawn by its failed load: the incremental models built on its table drop and rebuild it.
    con.cursor().execute("create database if not exists raw")
    con.cursor().execute("create schema if not exists raw.pipeline")
    con.cursor().execute("create table raw.pipeline.markers (update_id varchar, target_table varchar, "
                         "inserted timestamp, run_id varchar, row_count bigint, code_version varchar)")
    con.cursor().execute("insert into raw.pipeline.markers values ('raw.diagnostics.log_entries/2020-02-03/failed/v1', "
                         "'raw.diagnostics.log_entries', current_timestamp, 'run', 100, 'code')")
    result = dbtRunner().invoke([
        "compile", "--project-dir", project, "--profiles-dir", project, "--target", "snowflake", "--threads", "1",
        "--vars", "{google_analytics_integrations: [docs, mattermost_com]}",
    ])
with open(sys.argv[2], "w") as out:
    json.dump(logins, out)
sys.exit(0 if result.success else 1)
"""
ROLE = "TRANSFORMER_OF_THE_SETTINGS"
DUCKDB_ONLY = [
    r"\bregexp_matches\(", r"\bregexp_extract\(", r"\bstrftime\(", r"\bepoch_ms\(", r"\btry\(", r"\btimezone\(",
    r"(?<!util\.)\burl_decode\(", r"\binterval\b", r"\bstring_split\(",
]  # fmt: skip


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project compiled for Snowflake, signing in with a passphrase-protected key file and no password, the
    role from [snowflake] transform_role."""
    tmp = tmp_path_factory.mktemp("snowflake")
    project_dir = tmp / "dbt"
    shutil.copytree(DBT_DIR, project_dir, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    key = tmp / "transformer.p8"
    key.write_bytes(rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"key passphrase")))  # fmt: skip
    settings = Settings()
    settings.set("snowflake", "transform_role", ROLE)
    try:
        env = {k: v for k, v in dbt_env().items() if not k.startswith("SNOWFLAKE_TRANSFORM_P")} | {
            "SNOWFLAKE_ACCOUNT": "test_account",
            "SNOWFLAKE_TRANSFORM_USER": "transformer",
            "SNOWFLAKE_TRANSFORM_PRIVATE_KEY_PATH": str(key),
            "SNOWFLAKE_TRANSFORM_PRIVATE_KEY_PASSPHRASE": "key passphrase",
            "DO_NOT_TRACK": "1",
        }
    finally:
        settings.restore()
    done = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", COMPILE, str(project_dir), str(tmp / "logins.json")],
        cwd=project_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-3000:]
    return project_dir / "target" / "compiled" / "bizops"


def test_dbt_signs_in_with_the_key_pair_as_the_role_of_the_settings(compiled: Path) -> None:
    logins = json.loads((compiled.parents[3] / "logins.json").read_text())
    assert logins and all(login == {"role": ROLE, "key pair": True, "password": False} for login in logins)


def compiled_sql(compiled: Path) -> dict[str, str]:
    files = {str(p.relative_to(compiled)): p.read_text() for p in compiled.rglob("*.sql")}
    return {name: sql for name, sql in files.items() if name != "analyses/udfs.sql"}


def test_every_compiled_statement_parses_as_snowflake(compiled: Path) -> None:
    files = compiled_sql(compiled)
    assert len(files) > 100  # models, the incremental branches, tests
    for name, sql in files.items():
        sqlglot.parse(sql, read="snowflake", error_level=sqlglot.ErrorLevel.RAISE)  # raises with the file's error
        assert "is_incremental" not in sql, name


def test_no_duckdb_only_function_reaches_snowflake(compiled: Path) -> None:
    for name, sql in compiled_sql(compiled).items():
        for pattern in DUCKDB_ONLY:
            assert not re.search(pattern, sql, re.I), f"{pattern} in {name}"


def test_dialect_macros_render_snowflake_forms(compiled: Path) -> None:
    models = compiled / "models"
    security = (models / "events" / "security.sql").read_text()
    assert "ANALYTICS.util.url_decode(nullif(cs_uri_query, '-'))" in security
    assert "regexp_substr(query, '(^|&)auc=([^&]*)', 1, 1, 'e', 2)" in security
    assert "regexp_instr(" in security
    assert (
        "to_timestamp_ntz(cast(try_cast(issuedat as bigint) as number(38, 0)), 3)"
        in (models / "staging" / "stg_licenses__snapshots.sql").read_text()
    )
    assert "to_varchar(month, 'YYYY-MM')" in (models / "finance" / "account_monthly_arr_deltas.sql").read_text()
    incremental = (models / "mattermost" / "server_security_details.sql").read_text()
    assert "from ANALYTICS.mattermost.server_security_details" in incremental  # the rebuild-days filter
    assert "convert_timezone('UTC', current_timestamp())" in incremental


URL_DECODE_CASES = [
    "a%253Db", "%E2%82%AC", "%e2%82%ac", "%FF", "a%2", "a%zz", "plain+text", "%41%42", "%C3%A9%41",
    "mixed %E2%82%AC and %FF", "%E2%82", "", "id=q8pz&os=linux%26arm%3D64",
]  # fmt: skip


def test_snowflake_url_decode_udf_matches_duckdb(compiled: Path) -> None:
    node = shutil.which("node") or missing("node", "it runs the Snowflake UDF's JavaScript")
    ddl = (compiled / "analyses" / "udfs.sql").read_text()
    body = re.search(r"\$\$(.*)\$\$", ddl, re.S).group(1)
    script = (
        f"function url_decode(S) {{{body}}}\nconsole.log(JSON.stringify(JSON.parse(process.argv[1]).map(url_decode)));"
    )
    done = subprocess.run(
        [node, "-e", script, json.dumps(URL_DECODE_CASES)], capture_output=True, text=True, timeout=60, check=True
    )
    with duckdb.connect() as con:
        expected = [
            con.execute("select coalesce(try(url_decode(?)), ?)", [case, case]).fetchone()[0]
            for case in URL_DECODE_CASES
        ]
    assert json.loads(done.stdout) == expected


def test_the_models_built_on_a_withdrawn_day_build_it_again(compiled: Path) -> None:
    withdrawn = "cast('2020-02-02' as date), cast('2020-02-03' as date), cast('2020-02-04' as date)"
    sql = compiled_sql(compiled)
    built_on_it = {"models/events/security.sql", "models/mattermost/server_security_details.sql",
                   "models/mattermost/server_daily_details.sql"}  # fmt: skip
    assert {name for name, text in sql.items() if withdrawn in text} == built_on_it
