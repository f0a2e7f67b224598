"""Replying and forwarding: subjects, threading headers and the quoted text."""

from __future__ import annotations

import re

from mailapp.mime.headers import MAX_REFERENCES
from mailapp.mime.parse import ParsedMessage
from mailapp.mime.text import html_to_text

_REPLY_PREFIX = re.compile(r"^\s*((re|aw|sv|antw|vs|ref)\s*(\[\d+\])?\s*[:：]\s*)+", re.IGNORECASE)
_FORWARD_PREFIX = re.compile(r"^\s*((fwd?|wg|tr|rv|vl)\s*(\[\d+\])?\s*[:：]\s*)+", re.IGNORECASE)

def reply_headers(parent: ParsedMessage) -> tuple[str | None, list[str]]:
    """In-Reply-To and References for a reply to ``parent`` (RFC 5322 section 3.6.4)."""
    references = list(parent.references)
    if not references and parent.in_reply_to:
        references = [parent.in_reply_to]
    if parent.message_id:
        references.append(parent.message_id)
    if len(references) > MAX_REFERENCES:
        # Keep the thread root and the most recent ancestors, as RFC 5322 suggests.
        references = references[:1] + references[-(MAX_REFERENCES - 1):]
    return parent.message_id, references


def reply_subject(subject: str) -> str:
    """``Re: <subject>`` without stacking prefixes (``Re: Re:``, ``AW:``, ``Re[2]:`` ...)."""
    subject = " ".join(subject.split())
    stripped = _REPLY_PREFIX.sub("", subject).strip()
    return f"Re: {stripped}"


def forward_subject(subject: str) -> str:
    """``Fwd: <subject>`` without stacking forward prefixes."""
    subject = " ".join(subject.split())
    stripped = _FORWARD_PREFIX.sub("", subject).strip()
    return f"Fwd: {stripped}"


def quote_for_reply(parent: ParsedMessage) -> str:
    """An attribution line and the parent's text quoted with "> "."""
    text = parent.text_body if parent.text_body is not None else html_to_text(
        parent.html_body or "")
    who = str(parent.sender) if parent.sender else "someone"
    if parent.date:
        when = parent.date.strftime("%a, %d %b %Y at %H:%M")
        attribution = f"On {when}, {who} wrote:"
    else:
        attribution = f"{who} wrote:"
    quoted = "\n".join(f">{line}" if line.startswith(">") else f"> {line}" if line else ">"
                       for line in text.rstrip("\n").split("\n"))
    return f"{attribution}\n{quoted}\n"
