"""E-mail addresses: parsing what users type and what headers carry, formatting for display."""

from __future__ import annotations

import re

from mailapp.mime.addresses import (
    Address,
    address_problem,
    header_text_problem,
    split_address_items,
)

__all__ = ["Address", "AddressError", "email_problem", "format_address_list", "is_valid_email",
           "parse_address", "parse_address_list", "reply_addresses", "split_address_items"]

# RFC 5322 "atext" for an unquoted local part; quoted local parts are legal but so rare (and so
# often a sign of a typo or phishing) that the composer refuses them.
_ATEXT = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+")
_LDH_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")
_ANGLE_FORM = re.compile(
    r"\s*(?P<name>.*?)\s*<(?P<email>[^<>]*)>\s*(?:\((?P<comment>[^()]*)\))?\s*"
)
_COMMENT_FORM = re.compile(r"\s*(?P<email>[^\s()<>]+)\s*\((?P<comment>[^()]*)\)\s*")


class AddressError(ValueError):
    """Text that cannot be understood as e-mail addresses; the message names the bad part."""


def email_problem(email: str) -> str | None:
    """Why ``email`` is not an address the composer should send to, or None if it is fine."""
    if not email:
        return "it is empty"
    if any(ch.isspace() for ch in email):
        return "it contains a space"
    if problem := header_text_problem(email):
        return problem
    if email.count("@") != 1:
        return "it needs exactly one @" if "@" in email else "it has no @"
    local, domain = email.split("@")
    if not local:
        return "the part before @ is empty"
    if len(local) > 64:
        return "the part before @ is longer than 64 characters"
    for atom in local.split("."):
        if not atom:
            return "the part before @ has a misplaced dot"
        # Non-ASCII letters are allowed (RFC 6531); ASCII must be plain atext.
        if not all(ch.isalnum() if ord(ch) > 127 else _ATEXT.fullmatch(ch) for ch in atom):
            return f"the part before @ contains an invalid character in “{atom}”"
    if not domain:
        return "the part after @ is empty"
    return _domain_problem(domain) or (None if len(email) <= 254 else "it is too long")


def _domain_problem(domain: str) -> str | None:
    try:
        # The stdlib codec implements IDNA 2003: internationalised domains are accepted, while
        # strings it cannot map (e.g. with forbidden characters) are refused rather than guessed.
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return f"the domain “{domain}” is not a valid internet domain"
    labels = ascii_domain.split(".")
    if len(labels) < 2:
        return f"the domain “{domain}” has no dot"
    for label in labels:
        if not _LDH_LABEL.fullmatch(label):
            return f"the domain “{domain}” is not a valid internet domain"
    if labels[-1].isdigit():
        return f"the domain “{domain}” ends in a number"
    return None


def is_valid_email(email: str) -> bool:
    """True when ``email`` is a plain ``local@domain.tld`` address the composer may send to."""
    return email_problem(email) is None


def _unquote_name(name: str) -> str | None:
    name = name.strip()
    if len(name) >= 2 and name[0] == name[-1] == '"':
        name = re.sub(r"\\(.)", r"\1", name[1:-1])
    elif len(name) >= 2 and name[0] == name[-1] == "'":
        name = name[1:-1]
    name = " ".join(name.split())
    return name or None


def parse_address(item: str) -> Address:
    """One address as typed.

    Accepts ``a@b.org``, ``Name <a@b.org>``, ``"Doe, J" <a@b.org>`` and ``a@b.org (Name)``.
    """
    name: str | None = None
    if match := _ANGLE_FORM.fullmatch(item):
        name = _unquote_name(match["name"]) or _unquote_name(match["comment"] or "")
        email = match["email"].strip()
    elif match := _COMMENT_FORM.fullmatch(item):
        name = _unquote_name(match["comment"])
        email = match["email"]
    else:
        email = item.strip()
    if email.lower().startswith("mailto:"):
        email = email[len("mailto:") :]
    problem = email_problem(email)
    if problem:
        raise AddressError(f"“{item}” is not a valid e-mail address: {problem}.")
    if name and (problem := header_text_problem(name)):
        # Written into a header, a line break in a name would start a header of its own.
        raise AddressError(f"The name in “{item}” cannot be used: {problem}.")
    return Address(name, email)


def parse_address_list(text: str) -> list[Address]:
    """Addresses separated by commas, semicolons or line breaks; an empty text gives []."""
    return [parse_address(item) for item in split_address_items(text)]


def format_address_list(addresses: list[Address]) -> str:
    return ", ".join(str(address) for address in addresses)


def reply_addresses(addresses: list[Address]) -> list[Address]:
    """Addresses of a received message, safe to put in a reply.

    A display name hiding a line break (say an encoded word that decodes to CR/LF and a forged
    Reply-To) is dropped and the address kept; an address that is itself unsafe is left out, so
    a reply never carries a sender's header injection.
    """
    safe: list[Address] = []
    for address in addresses:
        if address_problem(Address(None, address.email)) is not None:
            continue
        safe.append(address if address_problem(address) is None else Address(None, address.email))
    return safe
