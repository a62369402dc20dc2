"""The local settings file (config/local.py) as the entry points read it, each in a process of its own: the
environment wins over it, a secret in it is refused, the luigi settings it names are read, and the local PostgreSQL
it names is found running or started again (after a reboot) - its address becomes HEROKU_POSTGRESQL_URL."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest

from config import local
from config.secrets import MissingSecretError
from tests.conftest import ROOT

PROBE = """
import json, os
from config import local
from config.settings import loading
taken = local.apply()
print(json.dumps({"taken": sorted(taken), "env": {k: os.environ.get(k) for k in %s}, "days": loading().catchup_days}))
"""


def entry_point(settings: Path, *names: str, **env: str) -> dict:
    """What a fresh process sees after reading ``settings``, as `python -m tasks` does first."""
    clean = {k: v for k, v in os.environ.items() if k not in names and k != local.DSN}
    done = subprocess.run([sys.executable, "-c", PROBE % (list(names),)], cwd=ROOT, capture_output=True, text=True,
                          env={**clean, "BIZOPS_LOCAL_SETTINGS": str(settings), **env}, timeout=120)  # fmt: skip
    if done.returncode:
        return {"error": done.stderr.strip().splitlines()[-1]}
    return json.loads(done.stdout)


def test_the_file_sets_what_the_environment_does_not_and_names_the_local_luigi_settings(tmp_path: Path):
    cfg = tmp_path / "local.cfg"
    cfg.write_text("[loading]\ncatchup_days = 3\n")
    settings = tmp_path / "local.env"
    settings.write_text(f"# a comment\nDIAGNOSTIC_LOCATION_ONE=FROMFILE\nRELEASE_LOCATION=FROMFILE\n"
                        f"LUIGI_CONFIG_PATH={cfg}\n")  # fmt: skip
    seen = entry_point(settings, "DIAGNOSTIC_LOCATION_ONE", "RELEASE_LOCATION", RELEASE_LOCATION="FROMSHELL")
    assert seen["env"] == {"DIAGNOSTIC_LOCATION_ONE": "FROMFILE", "RELEASE_LOCATION": "FROMSHELL"}
    assert seen["taken"] == ["DIAGNOSTIC_LOCATION_ONE", "LUIGI_CONFIG_PATH"]
    assert seen["days"] == 3  # luigi.cfg says 7
    assert entry_point(tmp_path / "absent.env", "DIAGNOSTIC_LOCATION_ONE")["taken"] == []


@pytest.mark.parametrize("line", ["HEROKU_POSTGRESQL_URL=postgresql://u:pw@host/db", "SNOWFLAKE_LOAD_PASSWORD=pw",
                                  "GITHUB_TOKEN=ghp_x", "AWS_SECRET_ACCESS_KEY=abc"])  # fmt: skip
def test_a_secret_in_the_file_is_refused_naming_it(tmp_path: Path, line: str):
    settings = tmp_path / "local.env"
    settings.write_text(f"RELEASE_LOCATION=X\n{line}\n")
    name = line.split("=")[0]
    assert entry_point(settings, "RELEASE_LOCATION")["error"] == (
        f"config.local.LocalSettingsError: {settings} sets {name}, a secret: secrets come only from the environment "
        f"(export {name}=...)"
    )


@pytest.fixture
def pg_folder() -> Iterator[Path]:
    """A folder for a local PostgreSQL, outside pytest's tmp (see postgres_dsn); the server stopped afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="bizops-local-pg-")) / "postgres"
    yield folder
    stop(folder)
    shutil.rmtree(folder.parent, ignore_errors=True)


def stop(folder: Path) -> None:
    """Stop the server as a reboot would (fast shutdown of the postmaster) and wait until it is gone."""
    pid_file = folder / "postmaster.pid"
    if pid_file.exists():
        pid = int(pid_file.read_text().split()[0])
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, 2)
            for _ in range(300):
                os.kill(pid, 0)
                time.sleep(0.1)


def query(dsn: str) -> int:
    with contextlib.closing(psycopg2.connect(dsn)) as con, con.cursor() as cur:
        cur.execute("SELECT 1")
        return cur.fetchone()[0]


def test_the_local_postgres_is_reachable_after_the_command_and_started_again_after_a_reboot(tmp_path, pg_folder):
    settings = tmp_path / "local.env"
    settings.write_text(f"{local.POSTGRES}={pg_folder}\n")
    first = entry_point(settings, local.DSN)["env"][local.DSN]
    assert query(first) == 1  # still running after the command that started it: a later shell reaches it
    stop(pg_folder)
    with pytest.raises(psycopg2.OperationalError):
        query(first)
    again = entry_point(settings, local.DSN)["env"][local.DSN]
    assert again == first and query(again) == 1
    shell = entry_point(settings, local.DSN, **{local.DSN: "postgresql://elsewhere/db"})
    assert shell["env"][local.DSN] == "postgresql://elsewhere/db"  # the environment wins here too


def test_a_missing_variable_is_explained_with_where_to_set_it_here():
    error = MissingSecretError("LoadSecurityCheckLogs", ["DIAGNOSTIC_LOCATION_ONE", "HEROKU_POSTGRESQL_URL"])
    text = local.explain(error)
    assert text.startswith(f"{error}. Locally: ")
    assert f"put DIAGNOSTIC_LOCATION_ONE=... in {local.DEFAULT} (make demo writes one)" in text
    assert "export HEROKU_POSTGRESQL_URL=... (secrets come only from the environment)" in text
