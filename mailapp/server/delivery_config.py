"""The delivery pipeline's timings: Settings attributes when present, else MAILAPP_* variables."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DeliveryConfig:
    poll_interval: float = 1.0
    lease_seconds: float = 600.0
    smtp_timeout: float = 60.0
    backoff_base: float = 30.0
    backoff_cap: float = 3600.0
    max_attempts: int = 15  # about two days with the defaults
    batch: int = 20

    @classmethod
    def from_settings(cls, settings: Any) -> DeliveryConfig:
        """Settings attributes (``delivery_poll`` …) when present, else MAILAPP_* variables."""
        from mailapp.server.events import setting

        defaults = cls()

        def number(key: str, env: str, default: float) -> float:
            return setting(settings, key, env, default)

        return cls(
            poll_interval=number("delivery_poll", "MAILAPP_DELIVERY_POLL", defaults.poll_interval),
            lease_seconds=number(
                "delivery_lease", "MAILAPP_DELIVERY_LEASE", defaults.lease_seconds
            ),
            smtp_timeout=number("smtp_timeout", "MAILAPP_SMTP_TIMEOUT", defaults.smtp_timeout),
            backoff_base=number("relay_backoff", "MAILAPP_RELAY_BACKOFF", defaults.backoff_base),
            backoff_cap=number(
                "relay_backoff_cap", "MAILAPP_RELAY_BACKOFF_CAP", defaults.backoff_cap
            ),
            max_attempts=int(
                number("relay_max_attempts", "MAILAPP_RELAY_MAX_ATTEMPTS", defaults.max_attempts)
            ),
        )
