"""How dbt is run: the one place that hands dbt every setting its profile reads (dbt/profiles.yml keeps no
defaults of its own), so a run through Luigi and a `dbt` command built here use the same role, database,
virtual warehouse and warehouse folder; and the one place that decides where dbt writes its artifacts and logs,
which is where the pipeline reads them (the image's project folder is read-only: see [dbt] target_path)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from config.settings import dbt as dbt_settings
from config.settings import snowflake as snowflake_settings
from config.settings import warehouse
from targets.warehouse.connect import backend


def project_dir() -> Path:
    return Path(dbt_settings().project_dir)


def artifacts_dir() -> Path:
    """Where dbt writes run_results.json, sources.json and a fresh manifest, and where the pipeline reads them."""
    return Path(dbt_settings().target_path or project_dir() / "target").resolve()


def logs_dir() -> Path:
    return Path(dbt_settings().log_path or project_dir() / "logs").resolve()


def dbt_target() -> str:
    return dbt_settings().target or backend()


def dbt_env(nightly: bool = False) -> dict[str, str]:
    """The environment of a dbt process: this one's (secrets included), every setting of the profile, and the marker
    table, where the incremental models find the days a failed load withdrew (macro withdrawn_days)."""
    sf = snowflake_settings()
    return dict(
        os.environ,
        BIZOPS_WAREHOUSE_DIR=str(Path(warehouse().duckdb_dir).resolve()),
        BIZOPS_MARKER_TABLE=warehouse().marker_table,
        SNOWFLAKE_TRANSFORM_ROLE=sf.transform_role,
        SNOWFLAKE_TRANSFORM_WAREHOUSE=dbt_settings().nightly_warehouse if nightly else sf.transform_warehouse,
        SNOWFLAKE_TRANSFORM_DATABASE=sf.transform_database,
        SNOWFLAKE_TRANSFORM_SCHEMA=sf.transform_schema,
    )


def dbt_command(*args: str) -> list[str]:
    """A dbt command line on this project, its profiles and the configured target, writing where
    ``artifacts_dir()`` and ``logs_dir()`` say (the flags win over dbt's environment variables and the project)."""
    project = str(project_dir())
    dbt = str(Path(sys.executable).parent / "dbt")
    return [
        dbt, *args, "--project-dir", project, "--profiles-dir", project, "--target", dbt_target(),
        "--target-path", str(artifacts_dir()), "--log-path", str(logs_dir()),
    ]  # fmt: skip
