"""Sending through the provider for linked accounts: a submission of a user whose account is
linked to an upstream with an SMTP host goes by SMTP submission to that provider,
authenticated with the link's credentials, instead of through MAILAPP_SMTP_RELAY.

It is one more kind of relay job (`domain = PROVIDER_JOB`), so it inherits the delivery
pipeline's exactly-once rules (delivery.py): the job's `data` phase is committed before DATA,
the provider's answer is committed before the submission is acknowledged, and a worker killed
after DATA is never resent. The copy in the provider's Sent folder is the next step
(sent_copy.py). Such mail goes out as the account's address at the provider
(`sending_address`: the From header and the envelope sender), not its mailapp address.

TLS: port 465 is implicit TLS, any other port STARTTLS, both verified against the system's
trust store with the host name checked; plain SMTP only to a loopback host.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from mailapp.server.db import session_scope
from mailapp.server.models import Account
from mailapp.server.smtp_relay import Outcome, RelayResult, RelayTarget, relay_message
from mailapp.server.upstream import secrets
from mailapp.server.upstream.connection import is_loopback
from mailapp.server.upstream.links import sending_identity
from mailapp.server.upstream.models import UpstreamAccount

# RelayJob.domain of a job for the sender's provider ("@" is in no real domain name).
PROVIDER_JOB = "@provider"


def sends_through_provider(session: Session, account_id: str) -> bool:
    """True when the account is linked to an upstream that has an SMTP host."""
    host = session.execute(
        select(UpstreamAccount.smtp_host).where(UpstreamAccount.account_id == account_id)
    ).scalar_one_or_none()
    return bool(host)


def sending_address(session: Session, account: Account) -> str:
    """The From (and envelope sender) of the account's mail: its address at the provider when
    it sends through one (a provider refuses or bounces mail from an address that is not the
    account's), else its mailapp address."""
    row = session.execute(
        select(UpstreamAccount.smtp_host, UpstreamAccount.address, UpstreamAccount.username).where(
            UpstreamAccount.account_id == account.id
        )
    ).first()
    if row is None or not row.smtp_host:
        return account.email
    return row.address or sending_identity(row.username) or account.email


def allowed_senders(session: Session, account: Account) -> list[str]:
    """Every From address the account may send as: its sending address, then its aliases."""
    main = sending_address(session, account)
    extra = [a for a in account.aliases or [] if isinstance(a, str) and a.lower() != main.lower()]
    return [main, *extra]


def draft_sender(session: Session, account: Account, draft_from: Any) -> str | dict[str, Any]:
    """The From a draft goes out as: the identity it names when the account may send as that
    address, else the account's sending address. ValueError names an address not allowed."""
    main = sending_address(session, account)
    if not isinstance(draft_from, dict) or not draft_from.get("email"):
        return main
    email = str(draft_from["email"])
    if email.lower() not in {a.lower() for a in allowed_senders(session, account)}:
        raise ValueError(
            f"This account may not send as {email}: choose another From address "
            f"(allowed: {', '.join(allowed_senders(session, account))})."
        )
    return {"name": draft_from.get("name"), "email": email}


def provider_target(link: UpstreamAccount, password: str) -> RelayTarget:
    port = link.smtp_port or 587
    host = link.smtp_host or ""
    if port == 465:
        security = "tls"
    elif is_loopback(host):
        security = "none"  # only ever to this machine
    else:
        security = "starttls"
    return RelayTarget(host, port, security, username=link.username, password=password)


def submit_to_provider(
    engine: Engine,
    settings: Any,
    account_id: str,
    mail_from: str,
    recipients: list[str],
    mime: bytes,
    *,
    timeout: float,
    before_data: Callable[[], None],
) -> RelayResult:
    """One SMTP submission to the account's provider (blocking)."""
    with session_scope(engine, write=False) as session:
        link = session.execute(
            select(UpstreamAccount).where(UpstreamAccount.account_id == account_id)
        ).scalar_one_or_none()
        if link is not None:
            session.expunge(link)
    if link is None or not link.smtp_host:
        return RelayResult(
            Outcome.PERMANENT,
            "the account is no longer linked to a provider with an SMTP host; send it again",
        )
    try:
        key = secrets.load_key(secrets.key_path(settings))
        password = secrets.decrypt(key, link.password_enc)
    except secrets.ServerKeyError as exc:
        # The key may come back (a restored file): try again later, never lose the message.
        return RelayResult(Outcome.TEMPORARY, f"the server key cannot decrypt the password: {exc}")
    target = provider_target(link, password)
    # The provider wants the envelope sender to be the account it authenticated (a job queued
    # before the link had its address still goes out as that address).
    sender = link.address or sending_identity(link.username) or mail_from
    result = relay_message(
        target, sender, recipients, mime, timeout=timeout, before_data=before_data
    )
    if result.outcome is not Outcome.ACCEPTED and "535" in result.detail:
        result.detail = (
            f"{link.smtp_host} refused the username or password of {link.username}: "
            f"link the account again with the right password ({result.detail})"
        )
    return result
