"""A logging filter that blanks secrets (bearer tokens, passwords) out of every record."""

from __future__ import annotations

import logging
import re

REDACTED = "[redacted]"
_KEY = r"(?:password|passwd|token|secret|authorization)"
# (pattern, replacement of the secret part); applied in order.
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?i)(\b(?:bearer|basic)\s+)[A-Za-z0-9._~+/=-]+"), REDACTED),
    # A quoted value ends at its closing quote, whatever it holds (spaces, commas, braces).
    (
        re.compile(rf"""(?i)(["']?{_KEY}["']?\s*[:=]\s*)("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')"""),
        f'"{REDACTED}"',
    ),
    # An unquoted one at the next space or separator; "Bearer …" was handled above.
    (re.compile(rf"(?i)(\b{_KEY}\s*[:=]\s*)(?![\"'])(?!(?:bearer|basic)\s)[^\s&,;}}]+"), REDACTED),
    # userinfo in a URL: everything up to the last @ of the word (a password may hold / # ? @).
    (re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://[^\s:/@]*:)\S*(?=@)"), REDACTED),
)


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(lambda m, r=replacement: m.group(1) + r, text)
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
