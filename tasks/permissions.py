"""The daily application of config/roles.yml to Snowflake (grants, revokes, missing users)."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

import luigi

from services import permifrost
from targets.warehouse.session import Profile, Session
from tasks.base import WarehouseTask


class ApplyPermissions(WarehouseTask):
    """Once a day: validate the spec, create missing users, run permifrost (marker after: it is not a
    transaction, and applying twice changes nothing). Snowflake only: DuckDB has no roles to grant."""

    date = luigi.DateParameter(default=None, description="The day of this application (default: today, UTC).")
    spec = luigi.Parameter(default=str(permifrost.DEFAULT_SPEC), description="The permifrost spec.")
    target_table = "snowflake.permissions"
    profile: ClassVar[Profile] = "permission_bot"
    atomic: ClassVar[bool] = False
    backends = ("snowflake",)
    backends_reason = (
        "it grants on Snowflake; DuckDB has no roles. Check the spec offline with `python -m ops.roles validate` "
        "and `plan`"
    )

    def partition(self) -> str:
        return (self.date or date.today()).isoformat()

    def work(self, session: Session) -> int:
        return len(permifrost.apply(self.spec))
