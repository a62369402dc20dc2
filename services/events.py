"""The guard every Luigi event handler of ours wears: a failing handler logs its traceback, redacted, and never
raises. Luigi would swallow the exception too, but log it unredacted, secrets included."""

from __future__ import annotations

import functools
import logging
import traceback
from collections.abc import Callable
from typing import Any

from config.secrets import redact

Handler = Callable[..., None]


def never_raises(logger: str, failed: str) -> Callable[[Handler], Handler]:
    """``failed`` says what did not happen, for the warning on ``logger``."""

    def guard(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def wrapper(*args: Any) -> None:
            try:
                handler(*args)
            except Exception:
                logging.getLogger(logger).warning("%s:\n%s", failed, redact(traceback.format_exc()))

        return wrapper

    return guard
