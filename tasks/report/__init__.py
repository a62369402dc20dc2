"""The daily metrics digest (Mattermost) and HTML report: metrics.py reads the marts, digest.py writes the post,
charts.py and html.py the report, tasks.py holds the Luigi task."""

from tasks.report.tasks import PostMetricsDigest

__all__ = ["PostMetricsDigest"]
