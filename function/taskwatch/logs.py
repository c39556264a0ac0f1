"""Logging: readable one-line messages, one JSON line per run summary, and no secret in any of them."""

from __future__ import annotations

import json
import logging
import re
import sys
from typing import Any

from .secrets_scrub import SCRUBBER

LOGGER_NAME = "taskwatch"
_LINE_BREAKING = re.compile("[\x7f-\x9f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


class SecretFilter(logging.Filter):
    """Scrubs every record's final text, its traceback and stack (secrets_scrub.SCRUBBER knows the secrets
    once credentials are resolved)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not SCRUBBER.active:
            return True
        text = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg, record.args = SCRUBBER(text), ()
        record.exc_info = None  # the formatter would format it again from the raw exception
        if record.exc_text:
            record.exc_text = SCRUBBER(record.exc_text)
        if record.stack_info:
            record.stack_info = SCRUBBER(record.stack_info)
        return True


SECRET_FILTER = SecretFilter()


def get_logger() -> logging.Logger:
    logger = logging.getLogger(LOGGER_NAME)
    if not getattr(logger, "_taskwatch_ready", False):
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(levelname)s taskwatch %(message)s"))
        handler.addFilter(SECRET_FILTER)
        logger.addHandler(handler)
        logger.addFilter(SECRET_FILTER)
        logger.propagate = False
        logger.setLevel(logging.INFO)
        logger._taskwatch_ready = True  # type: ignore[attr-defined]
    # Other libraries' records (urllib3, requests) reach the platform through the root logger's handlers:
    # scrub there too. Every invocation, since the runtime may add its handlers after the first.
    for root_handler in logging.getLogger().handlers:
        root_handler.addFilter(SECRET_FILTER)
    return logger


def log_summary(logger: logging.Logger, summary: dict[str, Any]) -> None:
    """The run summary as exactly one JSON line, for LTS queries and dashboards."""
    document = {"taskwatch_summary": SCRUBBER.data(summary)}
    text = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    # JSON leaves these unescaped without ensure_ascii; a log viewer may break the line at them (or read a
    # C1 CSI): escaped, the line stays one line and the same JSON.
    logger.info("%s", _LINE_BREAKING.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text))
