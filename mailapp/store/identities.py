"""An account's identities: the From addresses it may send as, each with a name and a signature.

The addresses come from the sync server (``GET /v1/session``: ``email``, the address mail goes
out as, and ``addresses``, every From the server accepts); the sync engine records them here on
each cycle, so a profile signed in before its account was linked to a provider picks up the new
address. What the user chooses for each address (the display name, the signature) is kept in
the ``meta`` table as JSON, per account, and survives the server's list changing. A local
account (no server) has one identity, its own address.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from mailapp.core.addresses import Address
from mailapp.store.schema import accounts, meta
from mailapp.store.store import MailStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Identity:
    email: str
    name: str = ""
    signature: str = ""

    @property
    def address(self) -> Address:
        return Address(self.name or None, self.email)


def _allowed_key(account_id: str) -> str:
    return f"identities.allowed:{account_id}"


def _chosen_key(account_id: str) -> str:
    return f"identities.chosen:{account_id}"


def _json(conn: Connection, key: str) -> Any:
    raw = conn.execute(select(meta.c.value).where(meta.c.key == key)).scalar()
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        log.warning("%s is not JSON; ignored", key)
        return None


def _put(conn: Connection, key: str, document: Any) -> None:
    value = json.dumps(document, sort_keys=True)
    conn.execute(
        sqlite_insert(meta)
        .values(key=key, value=value)
        .on_conflict_do_update(index_elements=[meta.c.key], set_={"value": value})
    )


def record_session(store: MailStore, account_id: str, email: str, addresses: Sequence[str]) -> bool:
    """Remember what the server says the account sends as; True when anything changed."""
    allowed = [email, *(a for a in addresses if a.lower() != email.lower())]
    changed = False
    with store._write() as conn:
        current = conn.execute(select(accounts.c.email).where(accounts.c.id == account_id)).scalar()
        if current is None:
            return False
        taken = conn.execute(
            select(accounts.c.id).where(accounts.c.email == email, accounts.c.id != account_id)
        ).first()
        # Two accounts of one profile cannot hold one address (a unique column): the first
        # keeps it, and this one keeps its old address rather than failing the sync.
        if current != email and taken is None:
            conn.execute(update(accounts).where(accounts.c.id == account_id).values(email=email))
            changed = True
        if _json(conn, _allowed_key(account_id)) != allowed:
            _put(conn, _allowed_key(account_id), allowed)
            changed = True
    if changed:
        log.info("account %s now sends as %s", account_id, ", ".join(allowed))
    return changed


def identities(store: MailStore, account_id: str) -> list[Identity]:
    """The account's identities, its main address first."""
    with store._read() as conn:
        row = conn.execute(
            select(accounts.c.email, accounts.c.display_name).where(accounts.c.id == account_id)
        ).one()
        allowed = _json(conn, _allowed_key(account_id))
        chosen = _json(conn, _chosen_key(account_id))
    if not isinstance(allowed, list) or not allowed:
        allowed = [row.email]
    chosen = chosen if isinstance(chosen, dict) else {}
    found: list[Identity] = []
    for email in allowed:
        mine = chosen.get(str(email).lower())
        mine = mine if isinstance(mine, dict) else {}
        found.append(
            Identity(
                email=str(email),
                name=str(mine.get("name", row.display_name or "")),
                signature=str(mine.get("signature", "")),
            )
        )
    return found


def identity_for(store: MailStore, account_id: str, email: str | None) -> Identity:
    """The identity with ``email`` (compared without case), else the account's main one."""
    found = identities(store, account_id)
    for identity in found:
        if email and identity.email.lower() == email.lower():
            return identity
    return found[0]


def save_identity(store: MailStore, account_id: str, identity: Identity) -> None:
    """Keep the user's display name and signature for one of the account's addresses."""
    with store._write() as conn:
        chosen = _json(conn, _chosen_key(account_id))
        chosen = chosen if isinstance(chosen, dict) else {}
        chosen[identity.email.lower()] = {"name": identity.name, "signature": identity.signature}
        _put(conn, _chosen_key(account_id), chosen)
