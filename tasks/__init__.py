"""Luigi tasks by domain. `luigi --module tasks ...` registers every task and the failure alerts."""

from config.secrets import install_log_redaction
from services.alerts import handlers
from tasks.extract.catchup import CatchUpLoads
from tasks.extract.replication import ReplicateOrgm, ReplicateOrgmTable
from tasks.extract.sources import LoadLicenses, LoadPushProxyLogs, LoadReleaseLogs, LoadSecurityCheckLogs
from tasks.permissions import ApplyPermissions
from tasks.pipeline import Pipeline
from tasks.publish.digest import PostMetricsDigest
from tasks.publish.scripts import RunPostgresScript, RunPostgresScripts
from tasks.publish.write_back import DrainWriteBackQueue
from tasks.transform.dbt import DbtBuild, DbtNode

install_log_redaction()
handlers.register()

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
