"""The daily S3 sources and their load tasks (file layouts and raw columns: docs/warehouse-layout.md)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import luigi

from config import secrets
from targets.formats import ALB, CLOUDFRONT, LICENSE_CSV
from tasks.extract.base import DailySource, LoadDailyFiles


@dataclass(frozen=True)
class CloudFrontSource(DailySource):
    """<stage>/<location>/<distribution>.YYYY-MM-DD-HH.<id>.gz, the location being the distribution id."""

    location_envs: tuple[str, ...] = ()

    def locations(self) -> Sequence[str]:
        return [secrets.get(env) for env in self.location_envs]

    def listing_path(self, location: str, day: date) -> str:
        return f"{location}/{location}.{day.isoformat()}-"

    def pattern(self, location: str, day: date) -> str:
        loc = re.escape(location)
        return rf"{loc}/{loc}\.{day.isoformat()}-\d{{2}}\.[^./]+\.gz"


@dataclass(frozen=True)
class AlbSource(DailySource):
    """<stage>/AWSLogs/<account>/elasticloadbalancing/<region>/YYYY/MM/DD/
    <account>_elasticloadbalancing_<region>_app.<lb-name>.<lb-id>_<YYYYMMDDTHHMMZ>_<ip>_<random>.log.gz, the access
    logs; the connection logs AWS writes into the same folder (conn_log...) are not."""

    aws_region: str = "us-east-1"

    def listing_path(self, location: str, day: date) -> str:
        account = secrets.get("AWS_ACCOUNT_ID")
        return f"AWSLogs/{account}/elasticloadbalancing/{self.aws_region}/{day:%Y/%m/%d}"

    def pattern(self, location: str, day: date) -> str:
        name = re.escape(f"{secrets.get('AWS_ACCOUNT_ID')}_elasticloadbalancing_{self.aws_region}_app.")
        return re.escape(self.listing_path(location, day)) + rf"/{name}[^/_]+_\d{{8}}T\d{{4}}Z_[^/_]+_[^/_]+\.log\.gz"


@dataclass(frozen=True)
class LicenseExportSource(DailySource):
    """<stage>/YYYY-MM-DD/<name>YYYY-MM-DD.csv: the full license list as of that day."""

    def listing_path(self, location: str, day: date) -> str:
        return day.isoformat()

    def pattern(self, location: str, day: date) -> str:
        return rf"{day.isoformat()}/[^/]*{day.isoformat()}\.csv"


SECURITY_CHECK = CloudFrontSource(
    "raw.diagnostics.log_entries", "raw.diagnostics.diagnostics_stage", "diagnostics", CLOUDFRONT, True,
    location_envs=("DIAGNOSTIC_LOCATION_ONE", "DIAGNOSTIC_LOCATION_TWO"),
)  # fmt: skip
RELEASES = CloudFrontSource(
    "raw.releases.log_entries", "raw.releases.releases_stage", "releases", CLOUDFRONT, True,
    location_envs=("RELEASE_LOCATION",),
)  # fmt: skip
PUSH_PROXY = {
    "us": AlbSource("raw.push_proxy.logs", "raw.push_proxy.push_proxy_stage", "push_proxy/us", ALB, True),
    "test": AlbSource("raw.push_proxy.test_logs", "raw.push_proxy.push_proxy_test_stage", "push_proxy/test", ALB, True),
    "de": AlbSource(
        "raw.push_proxy.de_logs", "raw.push_proxy.push_proxy_de_stage", "push_proxy/de", ALB, True,
        aws_region="eu-central-1",
    ),
}  # fmt: skip
# The export made in the night after day D lists the licenses as of D and is filed under D: a partition is
# named by the day its file describes, not by the day it is loaded (D+1).
LICENSES = LicenseExportSource("raw.licenses.licenses", "raw.licenses.licenses_stage", "licenses", LICENSE_CSV, False)


class LoadSecurityCheckLogs(LoadDailyFiles):
    """Security-update-check CloudFront logs of both distributions -> raw.diagnostics.log_entries."""

    def source(self) -> DailySource:
        return SECURITY_CHECK


class LoadReleaseLogs(LoadDailyFiles):
    """Release-download CloudFront logs -> raw.releases.log_entries."""

    def source(self) -> DailySource:
        return RELEASES


class LoadPushProxyLogs(LoadDailyFiles):
    """Push-proxy ALB logs of one load balancer; regions are independent tasks."""

    region = luigi.ChoiceParameter(choices=tuple(PUSH_PROXY), description="Load balancer: us, test or de.")

    def source(self) -> DailySource:
        return PUSH_PROXY[self.region]


class LoadLicenses(LoadDailyFiles):
    """Nightly license export -> raw.licenses.licenses."""

    def source(self) -> DailySource:
        return LICENSES
