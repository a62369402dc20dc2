"""Luigi tasks by domain. `luigi --module tasks ...` registers every task and the failure alerts."""

from tasks.extract.catchup import CatchUpLoads
from tasks.extract.sources import LoadLicenses, LoadPushProxyLogs, LoadReleaseLogs, LoadSecurityCheckLogs

__all__ = [
    "CatchUpLoads",
    "LoadLicenses",
    "LoadPushProxyLogs",
    "LoadReleaseLogs",
    "LoadSecurityCheckLogs",
]
