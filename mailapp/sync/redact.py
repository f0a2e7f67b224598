"""A logging filter that blanks secrets (bearer tokens, passwords) out of every record."""

from __future__ import annotations

import logging
import re

_PATTERNS = (
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"),
    re.compile(r'(?i)("?(?:password|token|authorization)"?\s*[:=]\s*"?)(?!bearer\s)[^"\s,}]+'),
)
REDACTED = "[redacted]"


def redact(text: str) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
    return text


class SecretFilter(logging.Filter):
    """Attach to handlers (or loggers); rewrites the message so no secret reaches any sink."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def install(logger: logging.Logger | None = None) -> SecretFilter:
    """Add the filter to ``logger`` (default: the root logger) and its handlers."""
    target = logger or logging.getLogger()
    secret_filter = SecretFilter()
    target.addFilter(secret_filter)
    for handler in target.handlers:
        handler.addFilter(secret_filter)
    return secret_filter
