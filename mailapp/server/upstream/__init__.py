"""Upstream IMAP accounts: the server fronts a mailbox the user already has.

- `models`: the link, its folders and the UID of every message seen upstream.
- `secrets`: the server key (its own 0600 file) that encrypts upstream passwords at rest.
- `connection`: connecting and logging in with imapclient; failures classified for the user.
- `links`: link, unlink and status (the `mailapp-server` commands and the REST resource).
- `folders`, `fetch`, `records`: the initial import (headers first, bodies after) and the
  incremental sync, resumable by UIDVALIDITY and UID.
- `worker`: the background loop of each server process; a lease makes exactly one process
  sync an account at a time.
"""
