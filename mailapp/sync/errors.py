"""What can go wrong talking to the sync server, as types the scheduler and the UI act on.

Every error carries ``user_message``: one sentence a user can act on, never a traceback.
"""

from __future__ import annotations


class SyncError(Exception):
    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


class OfflineError(SyncError):
    """The server could not be reached (DNS, refused, timeout, connection cut)."""


class TransientError(SyncError):
    """The server is there but cannot answer now (5xx, 429); ``retry_after`` in seconds."""

    def __init__(self, user_message: str, retry_after: float | None = None) -> None:
        super().__init__(user_message)
        self.retry_after = retry_after


class AuthError(SyncError):
    """The token was refused (401): the user has to sign in again."""


class TlsError(SyncError):
    """The server's certificate could not be verified; never retried without the user."""


class ProtocolError(SyncError):
    """The server answered something that is not the protocol: bad JSON, wrong types, too big."""


class PermanentError(SyncError):
    """The server rejected the whole request (4xx); retrying the same request will not help."""

    def __init__(self, user_message: str, status: int = 400, problem_type: str = "") -> None:
        super().__init__(user_message)
        self.status = status
        self.problem_type = problem_type


class ResyncRequired(PermanentError):
    """410 cannotCalculateChanges: the local copy must be rebuilt from state 0."""
