"""Luigi tasks by domain. `luigi --module tasks ...` registers every task and the failure alerts."""

from config.secrets import install_log_redaction
from ops import alerts
from tasks.extract.catchup import CatchUpLoads
from tasks.extract.sources import LoadLicenses, LoadPushProxyLogs, LoadReleaseLogs, LoadSecurityCheckLogs
from tasks.permissions import ApplyPermissions
from tasks.pipeline import Pipeline
from tasks.postgres.replication import ReplicateOrgm, ReplicateOrgmTable
from tasks.postgres.scripts import RunPostgresScript, RunPostgresScripts
from tasks.postgres.write_back import DrainWriteBackQueue
from tasks.report import PostMetricsDigest
from tasks.transform.dbt import DbtBuild, DbtNode

install_log_redaction()
alerts.register()

__all__ = [
    "ApplyPermissions",
    "CatchUpLoads",
    "DbtBuild",
    "DbtNode",
    "DrainWriteBackQueue",
    "LoadLicenses",
    "LoadPushProxyLogs",
    "LoadReleaseLogs",
    "LoadSecurityCheckLogs",
    "Pipeline",
    "PostMetricsDigest",
    "ReplicateOrgm",
    "ReplicateOrgmTable",
    "RunPostgresScript",
    "RunPostgresScripts",
]
