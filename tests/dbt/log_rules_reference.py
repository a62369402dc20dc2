"""A plain-Python reading of the log marts' rules (downloads, push-proxy hourly counts, NPS), written from their
statement in docs/ and the models' descriptions rather than from the SQL, for test_log_marts_differential.py.

Downloads: a server tarball (`/x.y.z/...`, a major version of one to three digits that is not 0) or desktop app
(`/desktop/x.y.z/...`) with status 2xx and more than 1,000,000 bytes sent, each request id once, within one (sample)
standard deviation of its URI's mean size; the edition, OS and the referrer's host. Push proxy: per region and hour,
the successful (ELB 200) POSTs whose request line splits into exactly three parts, sends and acks counted apart.
NPS: each server, user and complete day's latest score and latest non-empty feedback; Detractor 0-6, Passive 7-8,
Promoter 9-10; each user's latest score of the month."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable
from fractions import Fraction
from urllib.parse import urlsplit

# --- downloads ----------------------------------------------------------------------------------------------

SERVER_TARBALL = re.compile(r"/([1-9][0-9]{0,2}\.[0-9]{1,3}\.[0-9]{1,3})/")
DESKTOP_APP = re.compile(r"/desktop/([0-9]+\.[0-9]+\.[0-9]+)/")


def download_kind(uri: str) -> tuple[str, str, str | None, str | None] | None:
    """(download_type, version, edition, os) of a release URI, None when it is neither kind."""
    if match := SERVER_TARBALL.match(uri):
        return "server", match[1], "team" if "team" in uri else "enterprise", None
    if match := DESKTOP_APP.match(uri):
        return "desktop", match[1], None, desktop_os(uri)
    return None


def desktop_os(uri: str) -> str:
    """windows for .msi, winNN, -win- or -win.<ext>; mac for mac.<ext> or -osx.; linux when named; else other.
    The extension is everything after the dot of the file name (tar.gz included)."""
    name = uri.rsplit("/", 1)[1]
    if name.endswith(".msi") or re.search(r"win[0-9]{2}", name) or "-win-" in name or "-win." in name:
        return "windows"
    if "mac." in name or "-osx." in name:
        return "mac"
    return "linux" if "linux" in name else "other"


def referrer_host(referrer: str) -> str | None:
    """The host of the referrer URL (lower case, without port or IPv6 brackets), None when it has none (CloudFront
    writes "-" for no referrer)."""
    return urlsplit(referrer).hostname or None


def downloads(raw_rows: Iterable[dict[str, str]]) -> dict[str, tuple]:
    """releases.downloads per request id: (logdate, uri, download_type, version, edition, os, bytes_sent,
    server_source)."""
    candidates = {}
    for row in raw_rows:
        sent = int(row["bytessent"])
        if re.fullmatch(r"2[0-9][0-9]", row["status"]) and sent > 1_000_000 and download_kind(row["uri"]):
            candidates[row["x_edge_request_id"]] = row  # a line loaded twice is one request
    sizes: dict[str, list[int]] = defaultdict(list)
    for row in candidates.values():
        sizes[row["uri"]].append(int(row["bytessent"]))
    result = {}
    for request_id, row in candidates.items():
        sent = int(row["bytessent"])
        if not within_one_deviation(sent, sizes[row["uri"]]):
            continue
        result[request_id] = (
            dt.date.fromisoformat(row["logdate"]),
            row["uri"],
            *download_kind(row["uri"]),
            sent,
            referrer_host(row["creferrer"]),
        )
    return result


def within_one_deviation(value: int, values: list[int]) -> bool:
    """|value - mean| <= the sample standard deviation, exactly; a single value has no deviation to exceed."""
    n = len(values)
    if n == 1:
        return True
    mean = Fraction(sum(values), n)
    variance = sum((v - mean) ** 2 for v in values) / (n - 1)
    return (value - mean) ** 2 <= variance


# --- push proxy ---------------------------------------------------------------------------------------------

REGIONS = {"logs": "us", "test_logs": "test", "de_logs": "de"}


def request_hour(requesttime: str) -> dt.datetime:
    stamp = dt.datetime.fromisoformat(requesttime.removesuffix("Z"))
    return stamp.replace(minute=0, second=0, microsecond=0)


def notifications_hourly(rows_by_table: dict[str, Iterable[dict[str, str]]]) -> dict[tuple, tuple]:
    """(region, hour) -> (date, send_push_count, ack_count) for each hour with a successful POST."""
    counts: dict[tuple, list[int]] = {}
    for table, table_rows in rows_by_table.items():
        for row in table_rows:
            # Spaces around the request line are not parts; one inside it separates two.
            parts = row["request"].strip(" ").split(" ")
            if len(parts) != 3 or "" in parts or parts[0] != "POST" or row["elb_status_code"] != "200":
                continue
            hour = request_hour(row["requesttime"])
            count = counts.setdefault((REGIONS[table], hour), [0, 0])
            count[0] += parts[1].endswith("/api/v1/send_push")
            count[1] += parts[1].endswith("/api/v1/ack")
    return {(region, hour): (hour.date(), *c) for (region, hour), c in counts.items()}


# --- NPS ----------------------------------------------------------------------------------------------------


def promoter_type(score: int | None) -> str | None:
    if score is None:
        return None
    return "Detractor" if score <= 6 else "Passive" if score <= 8 else "Promoter"


def latest_per_day(rows: Iterable[dict], value: str, run_date: dt.date) -> dict[tuple, dict]:
    """(server, user, day) -> the day's latest row that has a value, complete days only (before the run date)."""
    latest: dict[tuple, dict] = {}
    for row in rows:
        day = row["timestamp"].date()
        if row["user_actual_id"] is None or row[value] is None or day >= run_date:
            continue
        key = (row["server_id"] or row["user_id"], row["user_actual_id"], day)
        if key not in latest or (row["timestamp"], row["received_at"]) > (
            latest[key]["timestamp"],
            latest[key]["received_at"],
        ):
            latest[key] = row
    return latest


def nps_data(scores: list[dict], feedback: list[dict], run_date: dt.date) -> dict[tuple, tuple]:
    """(server, user, day) -> (score, promoter_type, feedback, score_timestamp, feedback_timestamp)."""
    day_scores = latest_per_day(scores, "score", run_date)
    said = [{**row, "feedback": row["feedback"] if (row["feedback"] or "").strip() else None} for row in feedback]
    day_feedback = latest_per_day(said, "feedback", run_date)
    result = {}
    for key in day_scores.keys() | day_feedback.keys():
        score, words = day_scores.get(key), day_feedback.get(key)
        result[key] = (
            score and score["score"],
            promoter_type(score and score["score"]),
            words and words["feedback"],
            score and score["timestamp"],
            words and words["timestamp"],
        )
    return result


def nps_monthly(scores: list[dict], run_date: dt.date) -> dict[tuple, tuple]:
    """(month, server, user) -> (score, promoter_type, score_timestamp) of the month's latest score."""
    result: dict[tuple, tuple] = {}
    for (server, user, day), row in latest_per_day(scores, "score", run_date).items():
        key = (day.replace(day=1), server, user)
        if key not in result or row["timestamp"] > result[key][2]:
            result[key] = (row["score"], promoter_type(row["score"]), row["timestamp"])
    return result
