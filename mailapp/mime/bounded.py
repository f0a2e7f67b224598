"""The stdlib's MIME parse with its nesting bounded (MAX_DEPTH): a hostile message costs bounded
time and never exhausts the interpreter's stack (used by mailapp.mime.parse)."""

from __future__ import annotations

from email.feedparser import BytesFeedParser
from email.message import EmailMessage

from mailapp.mime import headers
from mailapp.mime.tree import message_tree

# Real mail nests a few levels (a forward of a signed reply with inline images is about 6);
# hundreds only come from hostile or broken mail, and the stdlib's parser recurses per level.
MAX_DEPTH = 50


class TooDeep(Exception):
    """The message nests deeper than MAX_DEPTH."""


class _BoundedParser(BytesFeedParser):
    """The stdlib's feed parser, stopped as soon as the nesting passes MAX_DEPTH.

    The stdlib recurses once per level while parsing (and again in walk()), so 5,000 levels end
    in RecursionError after seconds of work; here they stop at level MAX_DEPTH at once.
    """

    def _new_message(self) -> None:
        if len(self._msgstack) >= MAX_DEPTH:  # type: ignore[attr-defined]
            raise TooDeep
        super()._new_message()  # type: ignore[misc]


def parse_bounded(raw: bytes) -> EmailMessage:
    """The stdlib's parse of ``raw``; raises TooDeep past MAX_DEPTH levels of nesting.

    Plain messages get the same tree built without the stdlib's parser (tree.py), which is
    about three times faster."""
    tree = message_tree(raw)
    if tree is not None:
        return tree
    parser = _BoundedParser(policy=headers.PARSE_POLICY)
    parser.feed(raw)
    msg = parser.close()
    assert isinstance(msg, EmailMessage)  # the parse policy's message factory
    return msg
