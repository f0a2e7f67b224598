"""Conversions between Python values and what the store's columns and the wire format hold."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from mailapp.core.addresses import Address

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_micros(value: datetime) -> int:
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: the store only accepts timezone-aware times")
    return (value - _EPOCH) // timedelta(microseconds=1)


def from_micros(value: int) -> datetime:
    return _EPOCH + timedelta(microseconds=value)


def now_micros() -> int:
    return to_micros(datetime.now(UTC))


def iso_utc(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z suffix, as the protocol's sendAt expects."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: give a timezone-aware time")
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def address_to_wire(address: Address) -> dict[str, str | None]:
    return {"name": address.name or None, "email": address.email}


def addresses_to_wire(addresses: Iterable[Address]) -> list[dict[str, str | None]]:
    return [address_to_wire(a) for a in addresses]


def addresses_from_wire(items: Iterable[dict[str, Any]]) -> list[Address]:
    return [Address(item.get("name"), item["email"]) for item in items]


def address_text(addresses: Iterable[Address]) -> str:
    """Names and addresses as one string, for the search index."""
    return " ".join(f"{a.name} {a.email}" if a.name else a.email for a in addresses)


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def loads(value: str | None) -> Any:
    return None if value is None else json.loads(value)
