"""Folding queued mutations that make each other obsolete, before they are first sent.

Only mutations that were never sent may be folded: whatever went out once is resent unchanged
with the same id, so the server can dedupe it. A folded group keeps the id (and the queue
position) of its newest member, so it still comes after anything it may depend on (a mailbox
created in between, for instance); the older members are dropped from the queue.

Folding relies on the server base of the record being the one the mutations were made on: "read
then unread" cancels only because the server is known to say unread. When a pull (or the
answer to a push) brings a newer server version of a record while mutations of it are queued,
the replica marks them ``rebased`` (store/replica_views.py) and they travel exactly as queued:
each one is a barrier, never folded with anything before or after it. Mutations queued after
that pull were made on the new base and fold among themselves again. Mutations waiting behind
one in flight on a rebased record are not folded either (store/replica_outbox.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

FOLDABLE = ("email.keywords", "email.move", "draft.upsert")


@dataclass(frozen=True)
class Queued:
    mutation_id: int
    type: str
    args: dict[str, Any]
    # The record's server base changed after this was queued (see the module docstring).
    rebased: bool = False


@dataclass
class FoldPlan:
    rewrite: dict[int, dict[str, Any]] = field(default_factory=dict)  # mutation id -> new args
    drop: set[int] = field(default_factory=set)

    @property
    def empty(self) -> bool:
        return not self.rewrite and not self.drop


def record_key(type_: str, args: dict[str, Any]) -> tuple[str, str]:
    """Which record a mutation touches; mutations of other records never block a fold."""
    if type_.startswith("email."):
        # An import names its message by the provisional id it was filed under here.
        return ("email", str(args.get("emailId") or args.get("localId")))
    if type_.startswith("draft.") or type_ == "submission.create":
        return ("draft", str(args.get("draftId")))
    if type_.startswith("mailbox."):
        return ("mailbox", str(args.get("mailboxId")))
    return (type_, str(args.get("submissionId")))


def fold_keywords(group: Sequence[Queued]) -> dict[str, Any] | None:
    """A keyword chain: per keyword, the last action wins; an action undone later cancels.

    The store only queues a keyword change that flips the local state, so the state before the
    first action is the opposite of that action; when the last action restores it, nothing
    needs to be sent (a read then unread cancels).
    """
    first: dict[str, str] = {}
    last: dict[str, str] = {}
    for item in group:
        for keyword in item.args.get("remove", []):
            first.setdefault(keyword, "remove")
            last[keyword] = "remove"
        # A keyword both added and removed in one patch ends up added (protocol).
        for keyword in item.args.get("add", []):
            first.setdefault(keyword, "add")
            last[keyword] = "add"
    add = sorted(k for k, action in last.items() if action == "add" and first[k] == "add")
    remove = sorted(k for k, action in last.items() if action == "remove" and first[k] == "remove")
    if not add and not remove:
        return None
    return {"emailId": group[-1].args["emailId"], "add": add, "remove": remove}


def fold_moves(group: Sequence[Queued]) -> dict[str, Any] | None:
    old = group[0].args["mailboxId"]["old"]
    new = group[-1].args["mailboxId"]["new"]
    if old == new:
        return None
    return {"emailId": group[-1].args["emailId"], "mailboxId": {"old": old, "new": new}}


def fold_draft_saves(group: Sequence[Queued]) -> dict[str, Any] | None:
    olds: dict[str, Any] = {}
    news: dict[str, Any] = {}
    for item in group:
        for name, change in item.args.get("fields", {}).items():
            olds.setdefault(name, change.get("old"))
            news[name] = change.get("new")
    fields = {
        name: {"old": olds[name], "new": news[name]} for name in news if olds[name] != news[name]
    }
    if not fields:
        return None
    return {"draftId": group[-1].args["draftId"], "fields": fields}


_FOLDERS = {
    "email.keywords": fold_keywords,
    "email.move": fold_moves,
    "draft.upsert": fold_draft_saves,
}


def plan_fold(queue: Sequence[Queued]) -> FoldPlan:
    """What to rewrite and drop in ``queue`` (never-sent mutations, oldest first)."""
    # Per record, split the sequence at mutations that cannot be folded (destroy, send, ...):
    # a draft edited after it was queued for sending must stay after the send. A rebased
    # mutation splits it too: it was made on a server base that has changed since.
    groups: dict[tuple[tuple[str, str], str, int], list[Queued]] = defaultdict(list)
    segment: dict[tuple[str, str], int] = defaultdict(int)
    plan = FoldPlan()
    for item in queue:
        key = record_key(item.type, item.args)
        if _is_noop(item):
            plan.drop.add(item.mutation_id)  # changes nothing whatever the base
        elif item.type in FOLDABLE and not item.rebased:
            groups[(key, item.type, segment[key])].append(item)
        else:
            segment[key] += 1
    for (_key, type_, _segment), group in groups.items():
        if len(group) < 2:
            continue
        folded = _FOLDERS[type_](group)
        keep = group[-1]
        plan.drop.update(item.mutation_id for item in group[:-1])
        if folded is None:
            plan.drop.add(keep.mutation_id)
        elif folded != keep.args:
            plan.rewrite[keep.mutation_id] = folded
    return plan


def _is_noop(item: Queued) -> bool:
    return item.type == "draft.upsert" and not item.args.get("fields")
