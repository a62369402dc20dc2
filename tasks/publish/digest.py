"""PostMetricsDigest: after the marts are built, write the day's HTML report and post the digest to Mattermost,
once per day.

- The marker ``report.metrics_digest/<date>/v1`` records the outcome: row_count 1 = posted, 0 = not posted
  because MATTERMOST_WEBHOOK_URL was not set. The task is complete when the report file exists and the
  digest was posted - or posting is off. So a run without the URL writes the report and records "not
  posted", and a later run with the URL set posts that day's digest.
- The crash window between Mattermost accepting the post and the marker's commit is closed by a claim: a
  second marker, ``.../<date>/posting/v1``, committed before posting. A run that finds a claim without an
  outcome does not post (the claiming run may have posted) and fails, saying how to post it if it is missing.
  At most one digest a day: a crash at the wrong moment costs a failure alert, never a duplicate post.
- A post Mattermost refuses, or that still fails after the alerts module's retries, drops the claim and
  fails the task: the next run posts it.
- A rerun after the post (the report file was deleted) rewrites the report and posts nothing.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import ClassVar

import luigi

from config import secrets
from config.settings import report
from services.alerts import webhook
from targets.markers.stores import marker_table
from targets.markers.target import MarkerTarget, delete_markers
from targets.warehouse.connect import connect
from targets.warehouse.session import Profile, Session
from tasks.base import WarehouseTask
from tasks.params import PastDayParameter
from tasks.publish.report import html, message, metrics
from tasks.transform.dbt import DbtBuild

logger = logging.getLogger("bizops.report")

POSTED, NOT_POSTED = 1, 0  # the marker's row_count


class DigestError(RuntimeError):
    pass


def webhook_configured() -> bool:
    return secrets.get_optional("MATTERMOST_WEBHOOK_URL") is not None


class PostMetricsDigest(WarehouseTask):
    """The day's metrics digest to Mattermost and the HTML report (see the module docstring for "once").

    ``run()`` is this task's own: posting cannot happen inside a warehouse transaction, so the claim, the post
    and the outcome are three steps that WarehouseTask's work/marker template does not express."""

    date = PastDayParameter(default=None, description="The day reported (default: yesterday, UTC).")
    days = luigi.IntParameter(
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

    def complete(self) -> bool:
        marker = self.output().marker()
        done = marker is not None and (marker.row_count == POSTED or not webhook_configured())
        return done and self.report_path().exists()

    def invalidate(self, session: Session) -> None:
        """``ops invalidate`` (to post a day's digest again): the claim goes with the marker."""
        delete_markers(session, [self._claim_id()])

    def run(self) -> None:
        self.check_environment()
        with connect(self.query_tag(), self.profile) as session:
            self.prepare_markers(session)
            found = metrics.collect(session, self.date)
            path = html.write(found, self.report_path())
            logger.info("%s: report written to %s", self.task_id, path)
            recorded = {
                uid: (rows, at)
                for uid, rows, at in session.execute(
                    f"SELECT update_id, row_count, inserted FROM {marker_table()} WHERE update_id IN (?, ?)",
                    (self.update_id(), self._claim_id()),
                )
            }
            if recorded.get(self.update_id(), (None,))[0] == POSTED:
                return  # posted by an earlier run: only the report was missing
            if self._claim_id() in recorded:
                raise DigestError(
                    f"the digest for {self.date} may already be posted: a run claimed it at "
                    f"{recorded[self._claim_id()][1]:%Y-%m-%d %H:%M} UTC and stopped before recording the outcome, "
                    f"so this run does not post it again. If it is missing from the channel: python -m ops "
                    f"invalidate {self.task_family} --start {self.date} --end {self.date} --yes, then rerun."
                )
            payload = message.payload(found, self._link(path))
            if not webhook_configured():
                webhook.post(payload)  # posts nothing: the alerts module's one warning that the URL is not set
                self._record(session, NOT_POSTED)
                return
            with session.transaction():
                MarkerTarget(self._claim_id(), self.target_table).write(session, None)
            if not webhook.post(payload):
                with session.transaction():
                    delete_markers(session, [self._claim_id()])
                raise DigestError(
                    f"Mattermost did not accept the digest for {self.date} (see the log); the next run posts it"
                )
            self._record(session, POSTED)

    def _claim_id(self) -> str:
        return f"{self.target_table}/{self.partition()}/posting/v{self.version}"

    def _record(self, session: Session, outcome: int) -> None:
        with session.transaction():
            delete_markers(session, [self._claim_id()])
            self.write_markers(session, {self.update_id(): outcome})
        logger.info("%s: digest %s", self.task_id, "posted" if outcome == POSTED else "not posted (no webhook URL)")

    @staticmethod
    def _link(path: Path) -> str:
        url = report().url
        return f"[{path.name}]({url.rstrip('/')}/{path.name})" if url else f"`{path}`"
