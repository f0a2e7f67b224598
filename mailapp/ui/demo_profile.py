"""Filling a profile with generated demo mail."""

from __future__ import annotations

from mailapp.core.demo import generate_demo
from mailapp.store import MailStore

DEMO_EMAIL = "me@example.org"
DEMO_NAME = "Demo User"
DEMO_MESSAGES = 400


def fill_demo(store: MailStore, messages: int = DEMO_MESSAGES, *, seed: int = 0) -> str:
    """Creates the demo account, imports `messages` generated messages, returns the account id."""
    account_id = store.create_account(DEMO_EMAIL, display_name=DEMO_NAME)
    store.import_messages(account_id, generate_demo(messages, seed=seed, account_email=DEMO_EMAIL))
    return account_id
