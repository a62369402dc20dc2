"""What the benchmarks that run the pipeline as `python -m tasks` processes share: a copy of the dbt project parsed
once, a PostgreSQL server, the processes' environment, and a luigi.cfg per run."""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

import pgserver

import devdata

ROOT = Path(__file__).resolve().parents[1]


def parsed_dbt_project(work: Path, warehouse: Path) -> Path:
    """The dbt project copied into ``work`` and parsed for the warehouse at ``warehouse``, the path every run keeps:
    dbt's profile names it, and a new path would cost every run a full parse of the project."""
    project = work / "dbt"
    shutil.copytree(ROOT / "dbt", project, ignore=shutil.ignore_patterns("target", "logs"))
    dbt = [str(Path(sys.executable).parent / "dbt"), "parse", "--project-dir", str(project),
           "--profiles-dir", str(project), "--target", "duckdb", "--quiet"]  # fmt: skip
    subprocess.run(dbt, env=dict(os.environ, BIZOPS_WAREHOUSE_DIR=str(warehouse)), check=True)
    return project


def postgres_server(name: str) -> pgserver.PostgresServer:
    return pgserver.get_server(tempfile.mkdtemp(prefix=f"bench-{name}-pg-"), cleanup_mode="delete")


def pipeline_env() -> dict[str, str]:
    """The environment of the runs: the sample's landing locations, and no webhook (nothing is posted)."""
    env = dict(os.environ, **devdata.LOCATIONS)
    env.pop("MATTERMOST_WEBHOOK_URL", None)
    return env


def write_config(here: Path, sections: Mapping[str, Mapping[str, str]]) -> Path:
    """A run's luigi.cfg in ``here``, for LUIGI_CONFIG_PATH."""
    config = configparser.ConfigParser()
    config.read_dict(sections)
    path = here / "luigi.cfg"
    with path.open("w") as out:
        config.write(out)
    return path
