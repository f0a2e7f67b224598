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


# One encoder for every call: json.dumps with options builds a new one each time, which an
# import of 100,000 messages (three documents each) notices.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def dumps(value: Any) -> str:
    return _ENCODER.encode(value)


# The same text as `dumps` for a value whose every dict already has its keys in sorted order
# (written so by the caller, as the sync path's rows are): sorting each dict's items again was
# two thirds of encoding a message's headers, and a sync page encodes three documents a message.
# Columns compared as text (messages.base in a trigger, store migration 0012) need the same
# bytes, so a dict built in any other order must go through `dumps`.
_ENCODER_AS_BUILT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def dumps_presorted(value: Any) -> str:
    return _ENCODER_AS_BUILT.encode(value)


def loads(value: str | None) -> Any:
    return None if value is None else json.loads(value)
