"""The webhook transport: one JSON post to MATTERMOST_WEBHOOK_URL, retried on rate limits, server errors and
connection failures with backoff (obeying a short Retry-After). Without the URL, posting is off (one warning).
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import time
import traceback

import requests

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


def _send(url: str, body: bytes, cfg: settings.alerts) -> tuple[bool, str, int]:
    """(accepted, outcome, attempts); retries 429, 5xx, connection errors and timeouts, nothing else."""
    outcome, attempt = "not sent", 0
    for attempt in range(1, cfg.retries + 2):
        retry_after = None
        try:
            response = requests.post(url, data=body, headers=_HEADERS, timeout=cfg.timeout_seconds)
        except (requests.ConnectionError, requests.Timeout) as exc:
            outcome = type(exc).__name__  # not str(exc): it names the URL, which is a secret
        else:
            outcome = f"HTTP {response.status_code}"
            if response.ok:
                return True, outcome, attempt
            if response.status_code != 429 and response.status_code < 500:
                return False, outcome, attempt  # the request itself is refused: a retry gets the same answer
            retry_after = response.headers.get("Retry-After")
        if attempt <= cfg.retries:
            time.sleep(_backoff(cfg.backoff_seconds, attempt, retry_after))
    return False, outcome, attempt


def post(payload: Payload) -> bool:
    """Post one message to MATTERMOST_WEBHOOK_URL (redacted, within limits); True if Mattermost accepted it.

    Never raises. Without a URL: one warning per process, nothing posted. The URL is never logged.
    """
    url = get_optional("MATTERMOST_WEBHOOK_URL")
    if url is None:
        _warn_alerts_off()
        return False
    try:
        cfg = settings.alerts()
        accepted, outcome, attempts = _send(url, json.dumps(_finish(payload)).encode(), cfg)
    except Exception:
        logger.warning("Mattermost alert not sent, the alert code failed:\n%s", redact(traceback.format_exc()))
        return False
    if accepted:
        logger.info("Mattermost alert posted: %s after %d attempt(s)", outcome, attempts)
    else:
        logger.warning("Mattermost alert not posted: %s after %d attempt(s)", outcome, attempts)
    return accepted
