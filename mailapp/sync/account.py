"""Signing a profile in to a sync server, and building the client for a signed-in account."""

from __future__ import annotations

from dataclasses import dataclass

import requests

from mailapp.store import MailStore
from mailapp.store.replica import SyncAccount, create_synced_account, sync_account
from mailapp.sync.client import ApiClient
from mailapp.sync.credentials import account_key, load_token, store_token
from mailapp.sync.errors import AuthError


@dataclass(frozen=True)
class SignIn:
    account_id: str
    email: str
    token_saved: bool  # False: no keyring, the sign-in lasts only this process


def add_account(
    store: MailStore,
    server_url: str,
    username: str,
    password: str,
    *,
    allow_insecure_http: bool = False,
    session: requests.Session | None = None,
) -> SignIn:
    """Log in, create the local account with the server's mailboxes, keep the token.

    Raises SyncError subtypes (AuthError for a wrong password) and ValueError when the
    account is already in this profile. The password is never stored.
    """
    with ApiClient(server_url, allow_insecure_http=allow_insecure_http, session=session) as client:
        login = client.login(username, password)
        mailbox_list = client.mailboxes()
        account_id = create_synced_account(
            store,
            session=login,
            server_url=client.base_url,
            username=username,
            mailbox_records=mailbox_list.items,
        )
        saved = store_token(account_key(client.base_url, username), login.token)
    return SignIn(account_id, login.email, saved)


def client_for(
    store: MailStore,
    account_id: str,
    *,
    allow_insecure_http: bool = False,
    session: requests.Session | None = None,
) -> ApiClient:
    """An authenticated client for a signed-in account; AuthError when its token is gone."""
    account: SyncAccount = sync_account(store, account_id)
    token = load_token(account_key(account.server_url, account.username))
    if token is None:
        raise AuthError(
            f"mailapp has no saved sign-in for {account.email}; sign in again "
            "(mailapp account add)."
        )
    return ApiClient(
        account.server_url,
        token=token,
        allow_insecure_http=allow_insecure_http,
        session=session,
    )
