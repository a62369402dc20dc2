"""The webhook transport: one JSON post to MATTERMOST_WEBHOOK_URL, retried on rate limits, server errors and
connection failures with backoff (obeying a short Retry-After). Without the URL, posting is off (one warning).

A failure alert may be posted twice (a duplicate is harmless), so a timeout is retried too. A post that must appear
at most once (the daily digest) is not sent again once it may have reached Mattermost - a timeout or a dropped
connection after sending: its outcome is then unknown, and the caller decides.
"""

from __future__ import annotations

import contextlib
import enum
import functools
import json
import logging
import time
import traceback

import requests
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError

from config import settings
from config.secrets import get_optional, redact
from services.alerts.messages import Payload, _finish

logger = logging.getLogger("bizops.alerts")
MAX_RETRY_AFTER = 30.0  # seconds; a handler blocks its worker, so a longer Retry-After is not obeyed
_HEADERS = {"Content-Type": "application/json"}


# --- posting --------------------------------------------------------------------------------------------------


@functools.cache
def _warn_alerts_off() -> None:
    logger.warning("MATTERMOST_WEBHOOK_URL is not set: alerts are off")


def _backoff(base: float, attempt: int, retry_after: str | None) -> float:
    if retry_after is not None:
        with contextlib.suppress(ValueError):  # an HTTP date: fall back to the backoff
            return min(float(retry_after), MAX_RETRY_AFTER)
    return base * 2 ** (attempt - 1)


class Delivery(enum.Enum):
    ACCEPTED = "accepted"
    NOT_POSTED = "not posted"  # refused, never sent, or posting is off: posting it again is safe
    UNKNOWN = "unknown"  # sent, then no answer: Mattermost may have posted it


def _never_reached(exc: requests.RequestException) -> bool:
    """The connection failed before the request was sent (refused, unresolvable host, connect timeout). Any other
    failure - a read timeout, a connection dropped while waiting for the answer - may follow a post Mattermost
    received."""
    cause = exc.args[0] if exc.args else None
    return isinstance(exc, requests.ConnectTimeout) or (
        isinstance(cause, MaxRetryError) and isinstance(cause.reason, ConnectTimeoutError)
    )


def _send(url: str, body: bytes, cfg: settings.alerts, at_most_once: bool) -> tuple[Delivery, str, int]:
    """(delivery, outcome, attempts); retries 429, 5xx, connection errors and timeouts, nothing else - and with
    ``at_most_once`` nothing that may have reached Mattermost."""
    outcome, attempt = "not sent", 0
    for attempt in range(1, cfg.retries + 2):
        retry_after = None
        try:
            response = requests.post(url, data=body, headers=_HEADERS, timeout=cfg.timeout_seconds)
        except (requests.ConnectionError, requests.Timeout) as exc:
            outcome = type(exc).__name__  # not str(exc): it names the URL, which is a secret
            if at_most_once and not _never_reached(exc):
                return Delivery.UNKNOWN, outcome, attempt
        else:
            outcome = f"HTTP {response.status_code}"
            if response.ok:
                return Delivery.ACCEPTED, outcome, attempt
            if response.status_code != 429 and response.status_code < 500:
                return Delivery.NOT_POSTED, outcome, attempt  # the request itself is refused: a retry gets the same
            retry_after = response.headers.get("Retry-After")
        if attempt <= cfg.retries:
            time.sleep(_backoff(cfg.backoff_seconds, attempt, retry_after))
    return Delivery.NOT_POSTED, outcome, attempt


def deliver(payload: Payload, at_most_once: bool = False) -> Delivery:
    """Post one message to MATTERMOST_WEBHOOK_URL (redacted, within limits). With ``at_most_once``, a post that
    may have reached Mattermost is never sent again: UNKNOWN.

    Never raises. Without a URL: one warning per process, nothing posted. The URL is never logged.
    """
    url = get_optional("MATTERMOST_WEBHOOK_URL")
    if url is None:
        _warn_alerts_off()
        return Delivery.NOT_POSTED
    try:
        cfg = settings.alerts()
        delivery, outcome, attempts = _send(url, json.dumps(_finish(payload)).encode(), cfg, at_most_once)
    except Exception:
        logger.warning("Mattermost alert not sent, the alert code failed:\n%s", redact(traceback.format_exc()))
        return Delivery.NOT_POSTED
    if delivery is Delivery.ACCEPTED:
        logger.info("Mattermost alert posted: %s after %d attempt(s)", outcome, attempts)
    elif delivery is Delivery.UNKNOWN:
        logger.warning("Mattermost post sent without an answer (%s, attempt %d): it may be posted", outcome, attempts)
    else:
        logger.warning("Mattermost alert not posted: %s after %d attempt(s)", outcome, attempts)
    return delivery


def post(payload: Payload) -> bool:
    """Post a failure alert or a run summary (``deliver``, retried whatever the failure); True if accepted."""
    return deliver(payload) is Delivery.ACCEPTED
