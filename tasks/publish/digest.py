"""PostMetricsDigest: after the marts are built, write the day's HTML report, publish it and post the digest to
Mattermost, once per day.

- The report is written to ``[report] folder`` and uploaded to ``[report] s3_url`` (without it, the file is the
  report). In a pod that folder goes with the pod, so the uploaded object is the report: the upload comes
  before the post, and a failed one fails the task naming its bucket and key - nothing posted links nowhere.
- The marker ``report.metrics_digest/<date>/v1`` records the outcome: row_count 1 = posted, 0 = not posted
  because MATTERMOST_WEBHOOK_URL was not set. The task is complete when the report is published and the
  digest was posted - or posting is off. So a run without the URL publishes the report and records "not
  posted", and a later run with the URL set posts that day's digest.
- The crash window between Mattermost accepting the post and the marker's commit is closed by a claim: a
  second marker, ``.../<date>/posting/v1``, committed before posting. A run that finds a claim without an
  outcome does not post (the claiming run may have posted) and fails, saying how to post it if it is missing.
  At most one digest a day: a crash at the wrong moment costs a failure alert, never a duplicate post.
- A post Mattermost refuses, or that never reached it after the alerts module's retries, drops the claim and
  fails the task: the next run posts it. A post that may have reached it (a timeout or a dropped connection after
  sending) is not sent again, neither by the webhook's retries nor by a later run: the claim stays and the task
  fails asking to check the channel, as after a crash between Mattermost's `ok` and the marker.
- A rerun after the post (the published report is missing, or its upload failed) publishes the report again
  and posts nothing.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import ClassVar

import luigi
from botocore.exceptions import BotoCoreError, ClientError

from config import secrets
from config.settings import report
from services.alerts import webhook
from services.alerts.webhook import Delivery
from targets.landing import join, s3_client, split_s3
from targets.markers.stores import marker_table
from targets.markers.target import MarkerTarget, delete_markers
from targets.warehouse.connect import connect
from targets.warehouse.session import Profile, Session
from tasks.base import WarehouseTask
from tasks.params import PastDayParameter, WindowDaysParameter
from tasks.publish.report import html, message, metrics
from tasks.transform.dbt import DbtBuild

logger = logging.getLogger("bizops.report")

POSTED, NOT_POSTED = 1, 0  # the marker's row_count
# With the charset, a browser opening the object decodes it as the page says even before reading its <meta>.
CONTENT_TYPE = "text/html; charset=utf-8"


class DigestError(RuntimeError):
    pass


def webhook_configured() -> bool:
    return secrets.get_optional("MATTERMOST_WEBHOOK_URL") is not None


class PostMetricsDigest(WarehouseTask):
    """The day's metrics digest to Mattermost and the HTML report (see the module docstring for "once").

    ``run()`` is this task's own: posting cannot happen inside a warehouse transaction, so the claim, the post
    and the outcome are three steps that WarehouseTask's work/marker template does not express."""

    date = PastDayParameter(default=None, description="The day reported (default: yesterday, UTC).")
    days = WindowDaysParameter(
        default=None, description="Window of loads the marts are built over (default: [loading] catchup_days)."
    )
    target_table = "report.metrics_digest"
    profile: ClassVar[Profile] = "transformer"

    def partition(self) -> str:
        return self.date.isoformat()

    def requires(self) -> luigi.Task:
        # Every mart it reads, built over the loads of the window ending the day: the nightly models (activity,
        # downloads, push) and the ARR models, which are in the frequent selection - "all" is both.
        return DbtBuild(selection="all", end=self.date, days=self.days)

    def report_path(self) -> Path:
        return html.report_path(self.date)

    def report_url(self) -> str | None:
        """The S3 URL the report is published to; None: the file at ``report_path()`` is the report."""
        root = report().s3_url
        if root is None:
            return None
        if not root.startswith("s3://"):
            raise DigestError(f"[report] s3_url must be s3://bucket/prefix, not {root!r}")
        return join(root, self.report_path().name)

    def complete(self) -> bool:
        marker = self.output().marker()
        done = marker is not None and (marker.row_count == POSTED or not webhook_configured())
        return done and self._published()

    def invalidate(self, session: Session) -> None:
        """``ops invalidate`` (to post a day's digest again): the claim goes with the marker."""
        delete_markers(session, [self._claim_id()])

    def run(self) -> None:
        self.check_environment()
        with connect(self.query_tag(), self.profile) as session:
            self.prepare_markers(session)
            found = metrics.collect(session, self.date)
            path = html.write(found, self.report_path())
            where = self._publish(path)
            logger.info("%s: report published: %s", self.task_id, where)
            self.report(f"report: {where}")
            recorded = {
                uid: (rows, at)
                for uid, rows, at in session.execute(
                    f"SELECT update_id, row_count, inserted FROM {marker_table()} WHERE update_id IN (?, ?)",
                    (self.update_id(), self._claim_id()),
                )
            }
            if recorded.get(self.update_id(), (None,))[0] == POSTED:
                return  # posted by an earlier run: only the published report was missing
            if self._claim_id() in recorded:
                raise DigestError(
                    f"the digest for {self.date} may already be posted: a run claimed it at "
                    f"{recorded[self._claim_id()][1]:%Y-%m-%d %H:%M} UTC and did not record whether Mattermost "
                    f"posted it, so this run does not post it again. {self._if_missing()}"
                )
            payload = message.payload(found, self._link(where))
            if not webhook_configured():
                webhook.post(payload)  # posts nothing: the alerts module's one warning that the URL is not set
                self._record(session, NOT_POSTED)
                return
            with session.transaction():
                MarkerTarget(self._claim_id(), self.target_table).write(session, None)
            delivery = webhook.deliver(payload, at_most_once=True)
            if delivery is Delivery.UNKNOWN:  # the claim stays: no run posts it again by itself
                raise DigestError(
                    f"the digest for {self.date} was sent but Mattermost did not answer (see the log): it may be "
                    f"posted, so no run posts it again. {self._if_missing()}"
                )
            if delivery is not Delivery.ACCEPTED:
                with session.transaction():
                    delete_markers(session, [self._claim_id()])
                raise DigestError(
                    f"Mattermost did not accept the digest for {self.date} (see the log); the next run posts it"
                )
            self._record(session, POSTED)

    def _claim_id(self) -> str:
        return f"{self.target_table}/{self.partition()}/posting/v{self.version}"

    def _if_missing(self) -> str:
        return (
            f"Check the channel; if the digest is missing: python -m ops invalidate {self.task_family} "
            f"--start {self.date} --end {self.date} --yes, then rerun."
        )

    def _record(self, session: Session, outcome: int) -> None:
        with session.transaction():
            delete_markers(session, [self._claim_id()])
            self.write_markers(session, {self.update_id(): outcome})
        posted = "posted" if outcome == POSTED else "not posted (no webhook URL)"
        logger.info("%s: digest %s", self.task_id, posted)
        self.report(f"{self.last_status_message}; digest {posted}")

    def _publish(self, path: Path) -> str:
        """Upload the written report to its S3 URL, if it has one; returns where the report is."""
        url = self.report_url()
        if url is None:
            return str(path)
        bucket, key = split_s3(url)
        try:
            s3_client().put_object(Bucket=bucket, Key=key, Body=path.read_bytes(), ContentType=CONTENT_TYPE)
        except (BotoCoreError, ClientError) as e:
            raise DigestError(
                f"the report for {self.date} could not be uploaded to bucket {bucket}, key {key}: {e}. Nothing was "
                f"posted by this run; the next run uploads it (and posts the digest if it was not posted)"
            ) from e
        return url

    def _published(self) -> bool:
        url = self.report_url()
        if url is None:
            return self.report_path().exists()
        bucket, key = split_s3(url)
        try:
            s3_client().head_object(Bucket=bucket, Key=key)
        except (BotoCoreError, ClientError):
            # Not known to be there: missing (404, or 403 for a role without s3:ListBucket), or S3 not answering.
            # Either way the run uploads it, and fails naming the bucket and key if S3 refuses.
            return False
        return True

    def _link(self, where: str) -> str:
        """The report in the digest: a link under ``[report] url``, else where it is (S3 URLs are not clickable)."""
        name = self.report_path().name
        url = report().url
        return f"[{name}]({join(url, name)})" if url else f"`{where}`"
