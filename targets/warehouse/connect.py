"""The backend factory: the one place that reads ``[warehouse] backend`` to open a session."""

from __future__ import annotations

import os

from config.settings import warehouse
from targets.warehouse.session import Profile, Session


def available_profile() -> Profile:
    """The profile whose login this process has (a pod gets only its tasks' secrets): for reads that any of
    them may do, such as the marker table."""
    for profile, env in (("loader", "SNOWFLAKE_LOAD_USER"), ("transformer", "SNOWFLAKE_TRANSFORM_USER")):
        if os.environ.get(env):
            return profile
    return "permission_bot" if os.environ.get("PERMISSION_BOT_USER") else "loader"


def backend() -> str:
    """The configured warehouse backend: what every choice between the backends asks."""
    return warehouse().backend


def connect(query_tag: str, profile: Profile = "loader") -> Session:
    """Open a session on the configured backend."""
    if backend() == "snowflake":
        from targets.warehouse.snowflake_session import SnowflakeSession

        return SnowflakeSession(query_tag, profile)
    from targets.warehouse.duckdb_session import DuckDBSession

    return DuckDBSession(query_tag)
