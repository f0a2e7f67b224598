"""Mutation handlers for emails and mailboxes (`email.*`, `mailbox.*`); the merge decisions
themselves live in mailapp.server.merge.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, select

from mailapp.server import merge
from mailapp.server.models import Blob, Email, EmailBlob, Mailbox
from mailapp.server.routes.mutation_context import (
    PROTECTED_ROLES,
    Context,
    Rejected,
    destroyed_conflict,
    live_mailbox,
    queue_keywords,
    result,
)
from mailapp.server.upstream import imports as upstream_imports
from mailapp.wire import (
    EmailDestroyArgs,
    EmailImportArgs,
    EmailKeywordsArgs,
    EmailMoveArgs,
    MailboxCreateArgs,
    MailboxDestroyArgs,
    MailboxUpdateArgs,
    MutationResult,
)

# --- emails -----------------------------------------------------------------------------------


def email_keywords(ctx: Context, args: EmailKeywordsArgs) -> MutationResult:
    email = ctx.load(Email, args.email_id)
    if email is None:
        raise Rejected("notFound")
    if email.destroyed:
        return destroyed_conflict(ctx, email, ["keywords"])
    before = frozenset(email.keywords or [])
    after = merge.apply_keywords(before, args.add, args.remove)
    status = merge.keyword_status(before, after)
    if status == "applied":
        queue_keywords(ctx, email, sorted(after))
    return result(ctx, status, email)


def email_move(ctx: Context, args: EmailMoveArgs) -> MutationResult:
    email = ctx.load(Email, args.email_id)
    if email is None:
        raise Rejected("notFound")
    if email.destroyed:
        return destroyed_conflict(ctx, email, ["mailboxId"])
    live_mailbox(ctx, args.mailbox_id.new)
    outcome = merge.merge_value(email.mailbox_id, args.mailbox_id.old, args.mailbox_id.new)
    if outcome == "conflict":
        return result(ctx, "conflict", email, conflict_fields=["mailboxId"])
    if outcome == "applied":
        email.mailbox_id = args.mailbox_id.new
        ctx.touch(email)
    return result(ctx, outcome, email)


def email_destroy(ctx: Context, args: EmailDestroyArgs) -> MutationResult:
    email = ctx.load(Email, args.email_id)
    if email is not None and not email.destroyed:
        ctx.destroy(email)
        blob = ctx.session.get(EmailBlob, email.id)
        if blob is not None:
            ctx.session.delete(blob)
    return result(ctx, "applied")


def email_import(ctx: Context, args: EmailImportArgs) -> MutationResult:
    """File an uploaded raw message into a mailbox; the answer names the email's id.

    A retry with the same mutation id is answered from the stored result (mutations.py); the
    same bytes already in that mailbox (imported by another device, delivered, or a retry
    under a new mutation id) are that email, `merged`, never a second copy. The uploaded blob
    is used up: its bytes now live with the email.
    """
    from mailapp.mime.headers import not_a_message
    from mailapp.server.incoming import content_hash, store_incoming

    mailbox = live_mailbox(ctx, args.mailbox_id)
    blob = ctx.session.get(Blob, args.blob_id)
    if blob is None or blob.account_id != ctx.account_id:
        raise Rejected(
            "blobNotFound", "The uploaded message is no longer on the server.", shown=True
        )
    raw = bytes(blob.data)
    limit = ctx.settings.max_message_bytes
    if len(raw) > limit:
        raise Rejected(
            "messageTooLarge",
            f"The message is {len(raw) / 2**20:.1f} MB; the server takes at most "
            f"{limit / 2**20:.0f} MB.",
            shown=True,
        )
    problem = not_a_message(raw)
    if problem is not None:
        raise Rejected("invalidMessage", f"It cannot be imported: {problem}.", shown=True)
    digest = content_hash(raw)
    existing = ctx.session.scalars(
        select(Email).where(
            Email.mailbox_id == mailbox.id,
            Email.account_id == ctx.account_id,
            Email.content_sha256 == digest,
            Email.destroyed_modseq.is_(None),
        )
    ).first()
    ctx.session.delete(blob)
    if existing is not None:
        return result(ctx, "merged", server_record={"id": existing.id})
    keywords = sorted({keyword.lower() for keyword in args.keywords})
    email = store_incoming(
        ctx.session, ctx.account_id, mailbox.id, raw, keywords, modseq=ctx.modseqs.next()
    )
    # A linked account's provider gets its copy too, APPENDed by the account's sync.
    upstream_imports.queue(ctx.session, ctx.account_id, email.id)
    return result(ctx, "applied", server_record={"id": email.id})


# --- mailboxes --------------------------------------------------------------------------------


def _check_parent(ctx: Context, mailbox_id: str, parent_id: Any) -> None:
    seen = {mailbox_id}
    while parent_id is not None:
        if parent_id in seen:
            raise Rejected("invalidParent", "A mailbox cannot be inside itself.")
        seen.add(parent_id)
        parent = ctx.load(Mailbox, parent_id) if isinstance(parent_id, str) else None
        if parent is None or parent.destroyed:
            raise Rejected("parentNotFound", f"No mailbox {parent_id!r}.")
        parent_id = parent.parent_id


def _role_taken(ctx: Context, role: str) -> bool:
    return bool(
        ctx.session.scalar(
            select(
                exists().where(
                    Mailbox.account_id == ctx.account_id,
                    Mailbox.role == role,
                    Mailbox.destroyed_modseq.is_(None),
                )
            )
        )
    )


def mailbox_create(ctx: Context, args: MailboxCreateArgs) -> MutationResult:
    existing = ctx.load(Mailbox, args.mailbox_id)
    if existing is not None:
        if existing.destroyed:
            raise Rejected("idInUse", "That mailbox id belonged to a destroyed mailbox.")
        same = (existing.name, existing.parent_id, existing.role) == (
            args.name,
            args.parent_id,
            args.role,
        )
        if same:
            return result(ctx, "merged", existing)
        fields = [
            name
            for name, ours, theirs in (
                ("name", existing.name, args.name),
                ("parentId", existing.parent_id, args.parent_id),
                ("role", existing.role, args.role),
            )
            if ours != theirs
        ]
        return result(ctx, "conflict", existing, conflict_fields=fields)
    if args.parent_id is not None:
        _check_parent(ctx, args.mailbox_id, args.parent_id)
    if args.role is not None and _role_taken(ctx, args.role):
        raise Rejected("roleInUse", f"There already is a {args.role} mailbox.")
    mailbox = Mailbox(
        id=args.mailbox_id,
        account_id=ctx.account_id,
        name=args.name,
        parent_id=args.parent_id,
        role=args.role,
    )
    ctx.create(mailbox)
    return result(ctx, "applied", mailbox)


def mailbox_update(ctx: Context, args: MailboxUpdateArgs) -> MutationResult:
    mailbox = ctx.load(Mailbox, args.mailbox_id)
    if mailbox is None:
        raise Rejected("notFound")
    changes = {
        name: (change.old, change.new)
        for name, change in (("name", args.name), ("parentId", args.parent_id))
        if change is not None
    }
    if mailbox.destroyed:
        return destroyed_conflict(ctx, mailbox, list(changes))
    if "name" in changes and not (isinstance(changes["name"][1], str) and changes["name"][1]):
        raise Rejected("invalidArguments", "A mailbox name is a non-empty string.")
    if "parentId" in changes and changes["parentId"][1] is not None:
        _check_parent(ctx, mailbox.id, changes["parentId"][1])
    merged = merge.merge_fields({"name": mailbox.name, "parentId": mailbox.parent_id}, changes)
    if merged.updates:
        mailbox.name = merged.updates.get("name", mailbox.name)
        mailbox.parent_id = merged.updates.get("parentId", mailbox.parent_id)
        ctx.touch(mailbox)
    return result(ctx, merged.status, mailbox, conflict_fields=merged.conflicts or None)


def mailbox_destroy(ctx: Context, args: MailboxDestroyArgs) -> MutationResult:
    mailbox = ctx.load(Mailbox, args.mailbox_id)
    if mailbox is None or mailbox.destroyed:
        return result(ctx, "applied")
    if mailbox.role in PROTECTED_ROLES:
        raise Rejected("mailboxHasRole", f"The {mailbox.role} mailbox cannot be destroyed.")
    for model, column, reason in (
        (Email, Email.mailbox_id, "mailboxHasEmail"),
        (Mailbox, Mailbox.parent_id, "mailboxHasChild"),
    ):
        if ctx.session.scalar(
            select(
                exists().where(
                    column == mailbox.id,
                    model.account_id == ctx.account_id,
                    model.destroyed_modseq.is_(None),
                )
            )
        ):
            raise Rejected(reason)
    ctx.destroy(mailbox)
    return result(ctx, "applied")
