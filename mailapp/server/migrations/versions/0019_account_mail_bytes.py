"""account.mail_bytes: the bytes of the account's live mail, kept by triggers on `email`

Revision ID: 0019
Revises: 0018

The storage quota used to be a SUM over every email of the account, read by GET /v1/session on
each call and by every delivery: linear in the mailbox (40 ms at 50,000 messages). The sum is
now a column kept up to date by the database itself, so every write path counts, also the Core
bulk inserts of the importer and of the upstream sync, and any added later.

SQLite: row triggers (an UPDATE of the account row is an in-place write there). PostgreSQL:
inserts and deletes are counted by statement triggers over their transition tables, one UPDATE
of the account per statement: a row trigger would update the account row once per inserted row,
and each such update in one transaction walks the row's whole chain of versions (quadratic in a
bulk import). Updates are counted by a row trigger whose WHEN clause lets only a change of
size or of destroyed_modseq through (a keyword change, most updates, costs nothing).

Note for later migrations: on SQLite, a batch_alter_table on `email` that recreates the table
drops these triggers; create them again (tests/server/test_usage_counter.py catches it).
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

# What one email row counts for: live rows their size, tombstones nothing.
_SQLITE = [
    """
    CREATE TRIGGER email_mail_bytes_insert AFTER INSERT ON email
    WHEN NEW.destroyed_modseq IS NULL
    BEGIN
        UPDATE account SET mail_bytes = mail_bytes + NEW.size WHERE id = NEW.account_id;
    END
    """,
    """
    CREATE TRIGGER email_mail_bytes_delete AFTER DELETE ON email
    WHEN OLD.destroyed_modseq IS NULL
    BEGIN
        UPDATE account SET mail_bytes = mail_bytes - OLD.size WHERE id = OLD.account_id;
    END
    """,
    """
    CREATE TRIGGER email_mail_bytes_update
    AFTER UPDATE OF size, destroyed_modseq, account_id ON email
    WHEN (OLD.destroyed_modseq IS NULL) <> (NEW.destroyed_modseq IS NULL)
        OR OLD.size <> NEW.size OR OLD.account_id <> NEW.account_id
    BEGIN
        UPDATE account SET mail_bytes = mail_bytes
            - CASE WHEN OLD.destroyed_modseq IS NULL THEN OLD.size ELSE 0 END
            WHERE id = OLD.account_id;
        UPDATE account SET mail_bytes = mail_bytes
            + CASE WHEN NEW.destroyed_modseq IS NULL THEN NEW.size ELSE 0 END
            WHERE id = NEW.account_id;
    END
    """,
]

_POSTGRESQL = [
    """
    CREATE FUNCTION email_mail_bytes_insert() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE account SET mail_bytes = account.mail_bytes + added.bytes
        FROM (
            SELECT account_id, SUM(size) AS bytes FROM new_rows
            WHERE destroyed_modseq IS NULL GROUP BY account_id
        ) AS added
        WHERE account.id = added.account_id;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER email_mail_bytes_insert AFTER INSERT ON email
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION email_mail_bytes_insert()
    """,
    """
    CREATE FUNCTION email_mail_bytes_delete() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE account SET mail_bytes = account.mail_bytes - removed.bytes
        FROM (
            SELECT account_id, SUM(size) AS bytes FROM old_rows
            WHERE destroyed_modseq IS NULL GROUP BY account_id
        ) AS removed
        WHERE account.id = removed.account_id;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER email_mail_bytes_delete AFTER DELETE ON email
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION email_mail_bytes_delete()
    """,
    """
    CREATE FUNCTION email_mail_bytes_update() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE account SET mail_bytes = mail_bytes
            - CASE WHEN OLD.destroyed_modseq IS NULL THEN OLD.size ELSE 0 END
            WHERE id = OLD.account_id;
        UPDATE account SET mail_bytes = mail_bytes
            + CASE WHEN NEW.destroyed_modseq IS NULL THEN NEW.size ELSE 0 END
            WHERE id = NEW.account_id;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER email_mail_bytes_update
    AFTER UPDATE OF size, destroyed_modseq, account_id ON email
    FOR EACH ROW
    WHEN ((OLD.destroyed_modseq IS NULL) <> (NEW.destroyed_modseq IS NULL)
        OR OLD.size <> NEW.size OR OLD.account_id <> NEW.account_id)
    EXECUTE FUNCTION email_mail_bytes_update()
    """,
]

_BACKFILL = """
    UPDATE account SET mail_bytes = COALESCE((
        SELECT SUM(email.size) FROM email
        WHERE email.account_id = account.id AND email.destroyed_modseq IS NULL
    ), 0)
"""


def upgrade() -> None:
    with op.batch_alter_table("account") as batch_op:
        batch_op.add_column(
            sa.Column("mail_bytes", sa.BigInteger(), nullable=False, server_default="0")
        )
    statements = _SQLITE if op.get_bind().dialect.name == "sqlite" else _POSTGRESQL
    # Triggers first, then the sum, in one transaction: on PostgreSQL CREATE TRIGGER holds
    # writes to `email` off until commit, so no write falls between the two.
    for statement in statements:
        op.execute(statement)
    op.execute(_BACKFILL)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for name in ("insert", "delete", "update"):
        op.execute(
            f"DROP TRIGGER IF EXISTS email_mail_bytes_{name}" + ("" if sqlite else " ON email")
        )
        if not sqlite:
            op.execute(f"DROP FUNCTION IF EXISTS email_mail_bytes_{name}()")
    with op.batch_alter_table("account") as batch_op:
        batch_op.drop_column("mail_bytes")
