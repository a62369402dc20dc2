"""The one table of schedules: what runs when, with what resources and which secrets.

Kubernetes CronJobs are generated from it (``k8s/``), and so is each pod's list of secrets (from the
task families a schedule runs, through config.secrets). Every command catches up over a window rather
than doing only "today": a run after an outage fills the gap by itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from config import secrets

DNS1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


@dataclass(frozen=True)
class Schedule:
    name: str  # DNS-1123, at most 52 characters (the CronJob controller appends 11)
    cron: str  # five-field cron expression, UTC
    task: str  # the Luigi entry-point task family
    params: tuple[str, ...]  # its command-line parameters
    # Task families the run may execute, which decide the secrets: every family its root task's graph reaches,
    # loads included (dbt nodes need the days still provisional at the schedule's time). A test walks the graph.
    families: tuple[str, ...]
    cpu: str = "500m"
    memory: str = "1Gi"
    description: str = ""

    def __post_init__(self) -> None:
        if len(self.name) > 52 or not DNS1123.match(self.name):
            raise ValueError(f"schedule name {self.name!r} is not a DNS-1123 name of at most 52 characters")

    def command(self) -> list[str]:
        """The container command (luigi with exit codes and a run summary alert; see tasks/__main__.py).
        The scheduler's address comes from the luigi.cfg of the image's ConfigMap."""
        return ["python", "-m", "tasks", self.task, *self.params]

    def secrets(self, backend: str = "snowflake") -> list[secrets.Secret]:
        """Registered secrets this schedule's tasks need (every task's alerts included), by env name."""
        needed = {s.env: s for family in (*self.families, "*") for s in secrets.needed(family, backend)}
        return [needed[k] for k in sorted(needed)]


SCHEDULES: tuple[Schedule, ...] = (
    Schedule(
        "daily-loads", "0 3 * * *", "CatchUpLoads", (), secrets.LOADS, cpu="1", memory="2Gi",
        description="Every S3 source over the last [loading] catchup_days days; missing and unsettled days.",
    ),
    Schedule(
        "replicate-orgm", "10,40 * * * *", "ReplicateOrgm", (), ("ReplicateOrgmTable",),
        description="Incremental replication of the Salesforce tables from Heroku Connect Postgres.",
    ),
    Schedule(
        "dbt-frequent", "*/30 * * * *", "DrainWriteBackQueue", (),
        secrets.DBT + ("DrainWriteBackQueue", "ReplicateOrgmTable", "LoadLicenses", "LoadPushProxyLogs"),
        cpu="1", memory="2Gi", description="dbt build of every model not tagged nightly, then the write-back queue.",
    ),
    Schedule(
        "dbt-nightly", "0 7 * * *", "DbtBuild", ("--selection", "nightly", "--checks"), secrets.DBT + secrets.LOADS,
        cpu="2", memory="4Gi",
        description="Seeds, then the models tagged nightly on the large warehouse; tests and source freshness.",
    ),
    Schedule(
        "postgres-scripts", "20 * * * *", "RunPostgresScripts", (), ("RunPostgresScript",),
        description="The SQL scripts of sql/postgres, each after the data it needs.",
    ),
    Schedule(
        "permissions", "0 0 * * *", "ApplyPermissions", (), secrets.PERMISSIONS,
        description="Apply config/roles.yml to Snowflake (grants, revokes, missing users).",
    ),
    Schedule(
        "metrics-digest", "30 8 * * *", "PostMetricsDigest", (),
        secrets.REPORTS + secrets.DBT + secrets.LOADS + ("ReplicateOrgmTable",),
        description="The daily metrics digest to Mattermost and the HTML report, after the nightly models.",
    ),
)  # fmt: skip
