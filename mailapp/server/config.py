"""Server settings, read once from the environment (no in-process state shared between workers)."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import platformdirs

DEFAULT_DATA_DIR = platformdirs.user_data_path("mailapp-server")


@dataclass(frozen=True)
class Settings:
    data_dir: Path = DEFAULT_DATA_DIR
    # Empty means "SQLite file inside data_dir"; resolved in __post_init__.
    database_url: str = ""
    smtp_relay_url: str | None = None
    local_domain: str = "example.org"
    # Largest request body for JSON endpoints (POST /v1/sync, drafts, ...).
    max_body_bytes: int = 10 * 1024 * 1024
    # Largest uploaded blob (attachment); POST /v1/blobs gets this limit instead.
    max_attachment_bytes: int = 25 * 1024 * 1024
    max_mutations_per_sync: int = 5000
    max_changes_per_page: int = 1000
    # How many modseqs of tombstones are kept before prune_old_tombstones may drop them.
    tombstone_retention: int = 100_000
    # Seconds between two housekeeping runs (tombstone pruning) in each worker process.
    housekeeping_interval: float = 3600.0

    # --- sign-in and tokens (server/auth.py, server/throttle.py) ---
    # Failed logins per (user name, client address) that may come back to back (per address:
    # x5); then the pair waits login_base_delay seconds, doubling up to login_max_delay.
    # A pair (or address) quiet for login_rate_window seconds after its wait is forgotten.
    login_rate_limit: int = 10
    login_rate_window: int = 300
    login_base_delay: float = 1.0
    login_max_delay: float = 300.0
    # A token lives this long; using it when less than half is left renews it (sliding expiry).
    token_ttl_days: float = 90.0
    # Seconds a worker trusts a token it checked without asking the database again (0: never).
    # A revocation in the same worker applies at once; in another worker within this bound.
    token_cache_seconds: float = 5.0
    # --- end of sign-in and tokens ---

    # The key that encrypts upstream IMAP passwords (default: upstream.key in data_dir).
    upstream_key_file: str = ""
    # Seconds between two checks of each upstream IMAP account when IDLE has nothing to say.
    upstream_poll_interval: float = 60.0
    # Seconds a draft must rest before its copy is saved in the upstream Drafts folder.
    upstream_draft_delay: float = 10.0
    # Folders of each upstream account watched with IDLE, one connection each (Inbox, Sent,
    # Drafts, ... in that order; 0: none); the rest are polled.
    upstream_idle_folders: int = 3

    # -- what one account may make the server do (issue 13: one user must not stall the rest) --
    # Distinct To+Cc+Bcc addresses of one message; submission.create refuses more.
    max_recipients_per_message: int = 500
    # Messages one account may send (or have scheduled) within a rolling hour.
    max_sends_per_hour: int = 200
    # Attachments of one message, and its size: texts plus every attachment as uploaded.
    max_attachments_per_message: int = 100
    max_message_bytes: int = 35 * 1024 * 1024
    # Per-account storage: stored mail plus uploaded blobs.
    storage_quota_bytes: int = 5 * 1024**3
    # Uploaded blobs no live draft refers to yet ("awaiting use"): bytes and count.
    pending_blob_quota_bytes: int = 128 * 1024 * 1024
    pending_blob_quota_count: int = 1000
    # Unreferenced blobs older than this many seconds are deleted by housekeeping; the grace
    # covers the gap between uploading an attachment and pushing the draft that names it.
    blob_grace_seconds: float = 86400.0
    # How long a SQLite write waits for the write lock before answering 503 (seconds).
    sqlite_busy_timeout: float = 30.0

    # --- inbound delivery over LMTP (server/lmtp.py; `serve --lmtp`) ---
    # Where the LMTP listener listens: "127.0.0.1:2424", "[::1]:2424" or "unix:/path"; "" = off.
    lmtp_listen: str = ""
    # Largest message accepted (advertised with SIZE; larger ones get 552).
    lmtp_max_bytes: int = 35 * 1024 * 1024
    # Recipients of one LMTP transaction (more get 452, and the MTA sends them again).
    lmtp_max_recipients: int = 100
    # --- end of LMTP ---

    def __post_init__(self) -> None:
        if not self.database_url:
            object.__setattr__(
                self, "database_url", f"sqlite:///{Path(self.data_dir) / 'server.sqlite3'}"
            )

    @property
    def ip_rate_limit(self) -> int:
        return self.login_rate_limit * 5

    @property
    def token_ttl(self) -> timedelta:
        return timedelta(days=self.token_ttl_days)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        # Absolute: a relative folder would make the SQLite URL depend on the working directory
        # of each process (and print as "sqlite:///data/…", which reads as an absolute path).
        data_dir = (
            Path(env.get("MAILAPP_SERVER_DATA", str(DEFAULT_DATA_DIR))).expanduser().resolve()
        )

        def number(name: str, default: int) -> int:
            raw = env.get(name)
            return int(raw) if raw else default

        def real(name: str, default: float) -> float:
            raw = env.get(name)
            return float(raw) if raw else default

        defaults = cls(data_dir=data_dir)
        return cls(
            data_dir=data_dir,
            database_url=env.get("MAILAPP_DATABASE_URL", ""),
            smtp_relay_url=env.get("MAILAPP_SMTP_RELAY") or None,
            local_domain=env.get("MAILAPP_LOCAL_DOMAIN", defaults.local_domain),
            max_body_bytes=number("MAILAPP_MAX_BODY_BYTES", defaults.max_body_bytes),
            max_attachment_bytes=number(
                "MAILAPP_MAX_ATTACHMENT_BYTES", defaults.max_attachment_bytes
            ),
            max_mutations_per_sync=number(
                "MAILAPP_MAX_MUTATIONS_PER_SYNC", defaults.max_mutations_per_sync
            ),
            tombstone_retention=number("MAILAPP_TOMBSTONE_RETENTION", defaults.tombstone_retention),
            housekeeping_interval=float(
                env.get("MAILAPP_HOUSEKEEPING_INTERVAL") or defaults.housekeeping_interval
            ),
            login_rate_limit=number("MAILAPP_LOGIN_RATE_LIMIT", defaults.login_rate_limit),
            login_rate_window=number("MAILAPP_LOGIN_RATE_WINDOW", defaults.login_rate_window),
            upstream_key_file=env.get("MAILAPP_UPSTREAM_KEY_FILE", ""),
            upstream_poll_interval=float(
                env.get("MAILAPP_UPSTREAM_POLL") or defaults.upstream_poll_interval
            ),
            upstream_draft_delay=float(
                env.get("MAILAPP_UPSTREAM_DRAFT_DELAY") or defaults.upstream_draft_delay
            ),
            upstream_idle_folders=max(
                0, number("MAILAPP_UPSTREAM_IDLE_FOLDERS", defaults.upstream_idle_folders)
            ),
            **_auth_settings(env, defaults),
            **_lmtp_settings(env, defaults),
            max_recipients_per_message=number(
                "MAILAPP_MAX_RECIPIENTS", defaults.max_recipients_per_message
            ),
            max_sends_per_hour=number("MAILAPP_MAX_SENDS_PER_HOUR", defaults.max_sends_per_hour),
            max_attachments_per_message=number(
                "MAILAPP_MAX_ATTACHMENTS", defaults.max_attachments_per_message
            ),
            max_message_bytes=number("MAILAPP_MAX_MESSAGE_BYTES", defaults.max_message_bytes),
            storage_quota_bytes=number("MAILAPP_STORAGE_QUOTA_BYTES", defaults.storage_quota_bytes),
            pending_blob_quota_bytes=number(
                "MAILAPP_PENDING_BLOB_QUOTA_BYTES", defaults.pending_blob_quota_bytes
            ),
            pending_blob_quota_count=number(
                "MAILAPP_PENDING_BLOB_QUOTA_COUNT", defaults.pending_blob_quota_count
            ),
            blob_grace_seconds=real("MAILAPP_BLOB_GRACE_SECONDS", defaults.blob_grace_seconds),
            sqlite_busy_timeout=real("MAILAPP_SQLITE_BUSY_TIMEOUT", defaults.sqlite_busy_timeout),
        )


def _auth_settings(env: Any, defaults: Settings) -> dict[str, float]:
    """The sign-in and token settings from MAILAPP_* variables (kept apart to ease merging)."""

    def at_most_a_minute(name: str, default: float) -> float:
        raw = env.get(name)
        if not raw:
            return default
        value = float(raw)
        if not (0 <= value <= 60):
            raise ValueError(f"{name} must be between 0 and 60 seconds, got {raw!r}")
        return value

    def positive(name: str, default: float) -> float:
        raw = env.get(name)
        if not raw:
            return default
        value = float(raw)
        if not (value > 0 and math.isfinite(value)):
            raise ValueError(f"{name} must be a positive number, got {raw!r}")
        return value

    return {
        "login_base_delay": positive("MAILAPP_LOGIN_BASE_DELAY", defaults.login_base_delay),
        "login_max_delay": positive("MAILAPP_LOGIN_MAX_DELAY", defaults.login_max_delay),
        "token_ttl_days": positive("MAILAPP_TOKEN_TTL_DAYS", defaults.token_ttl_days),
        "token_cache_seconds": at_most_a_minute(
            "MAILAPP_TOKEN_CACHE_SECONDS", defaults.token_cache_seconds
        ),
    }


def _lmtp_settings(env: Any, defaults: Settings) -> dict[str, Any]:
    """The LMTP listener's settings from MAILAPP_* variables (kept apart to ease merging)."""

    def count(name: str, default: int) -> int:
        raw = env.get(name)
        if not raw:
            return default
        value = int(raw)
        if value < 1:
            raise ValueError(f"{name} must be a positive whole number, got {raw!r}")
        return value

    return {
        "lmtp_listen": env.get("MAILAPP_LMTP", defaults.lmtp_listen),
        "lmtp_max_bytes": count("MAILAPP_LMTP_MAX_BYTES", defaults.lmtp_max_bytes),
        "lmtp_max_recipients": count("MAILAPP_LMTP_MAX_RECIPIENTS", defaults.lmtp_max_recipients),
    }
