"""Merge rules for pushed mutations: pure functions, no database, so they are property-testable.

- Keyword patches (add/remove sets) never conflict; patches that do not contradict each other
  (one adding what the other removes) commute, and applying one twice equals applying it once.
- A single-valued field merges three-way: with the client's `old`/`new` and the server's `cur`,
  `cur == new` -> nothing to do (merged), `cur == old` -> becomes `new` (applied), otherwise
  that field alone is a conflict and keeps the server's value. Other fields still merge.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["applied", "merged", "conflict"]
FieldOutcome = Literal["applied", "merged", "conflict"]


def merge_value(cur: Any, old: Any, new: Any) -> FieldOutcome:
    if cur == new:
        return "merged"
    if cur == old:
        return "applied"
    return "conflict"


@dataclass(frozen=True)
class FieldMerge:
    """What a three-way merge of several fields of one record decided."""

    # Fields whose server value becomes the client's new value.
    updates: dict[str, Any] = field(default_factory=dict)
    conflicts: tuple[str, ...] = ()

    @property
    def status(self) -> Status:
        if self.conflicts:
            return "conflict"
        return "applied" if self.updates else "merged"


def merge_fields(current: Mapping[str, Any], changes: Mapping[str, tuple[Any, Any]]) -> FieldMerge:
    """Three-way merge of `changes` ({field: (old, new)}) into `current` ({field: value})."""
    updates: dict[str, Any] = {}
    conflicts: list[str] = []
    for name, (old, new) in changes.items():
        outcome = merge_value(current.get(name), old, new)
        if outcome == "applied":
            updates[name] = new
        elif outcome == "conflict":
            conflicts.append(name)
    return FieldMerge(updates=updates, conflicts=tuple(conflicts))


def apply_merge(current: Mapping[str, Any], merge: FieldMerge) -> dict[str, Any]:
    return {**current, **merge.updates}


def apply_keywords(
    current: Iterable[str], add: Iterable[str], remove: Iterable[str]
) -> frozenset[str]:
    """Keywords after a patch. A keyword both added and removed in one patch ends up added."""
    return (frozenset(current) - frozenset(remove)) | frozenset(add)


def keyword_status(before: Iterable[str], after: Iterable[str]) -> Status:
    return "merged" if frozenset(before) == frozenset(after) else "applied"
