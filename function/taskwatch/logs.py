"""Logging: readable one-line messages, one JSON line per run summary, and no secret in any of them."""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

from .sanitize import scrub

LOGGER_NAME = "taskwatch"


class SecretFilter(logging.Filter):
    """Replaces any known secret value in a record's final text; installed once credentials are known."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: tuple[str, ...] = ()

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            record.msg = scrub(record.getMessage(), self.secrets)
            record.args = ()
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
    return logger


def log_summary(logger: logging.Logger, summary: dict[str, Any]) -> None:
    """The run summary as exactly one JSON line, for LTS queries and dashboards."""
    logger.info("%s", json.dumps({"taskwatch_summary": summary}, ensure_ascii=False, sort_keys=True,
                                 separators=(",", ":"), default=str))
