"""Which server addresses mailapp talks to: https, or plain http to this machine only.

Kept apart from the HTTP client (which imports requests) so that `mailapp sync --once` can apply
the same rule on its quick path (mailapp.sync.quiet).
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from mailapp.sync.errors import PermanentError


def is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_url(base_url: str, *, allow_insecure_http: bool = False) -> str:
    """The normalised base URL; plain http only for loopback unless explicitly allowed."""
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PermanentError(f"{base_url!r} is not a server address (expected https://host).")
    if parts.scheme == "http" and not allow_insecure_http and not is_loopback(parts.hostname):
        raise PermanentError(
            f"{base_url} uses plain http, which would send your password unencrypted. "
            "Use an https:// address."
        )
    return base_url.strip().rstrip("/")
