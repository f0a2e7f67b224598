"""Initial schema: accounts, tokens, login attempts, mailboxes, emails, blobs, drafts,
submissions and stored mutation results.

Revision ID: 0001
Revises: 
Create Date: 2026-11-26 06:56:49.253476
"""

from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('account',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=320), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('modseq', sa.BigInteger(), nullable=False),
    sa.Column('pruned_modseq', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account')),
    sa.UniqueConstraint('email', name=op.f('uq_account_email')),
    sa.UniqueConstraint('name', name=op.f('uq_account_name'))
    )
    op.create_table('login_attempt',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('username', sa.String(length=320), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('succeeded', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_attempt'))
    )
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.create_index('ix_login_attempt_ip_at', ['ip', 'at'], unique=False)
        batch_op.create_index('ix_login_attempt_name_at', ['username', 'at'], unique=False)

    op.create_table('blob',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('account_id', sa.String(length=36), nullable=False),
    sa.Column('content_type', sa.String(length=255), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_blob_account_id_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_blob'))
    )
    with op.batch_alter_table('blob', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_blob_account_id'), ['account_id'], unique=False)

    op.create_table('client_mutation',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('account_id', sa.String(length=36), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('mutation_id', sa.BigInteger(), nullable=False),
    sa.Column('result', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_client_mutation_account_id_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_client_mutation')),
    sa.UniqueConstraint('account_id', 'client_id', 'mutation_id', name=op.f('uq_client_mutation_account_id'))
    )
    op.create_table('draft',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('account_id', sa.String(length=36), nullable=False),
    sa.Column('subject', sa.Text(), nullable=True),
    sa.Column('to', sa.JSON(), nullable=True),
    sa.Column('cc', sa.JSON(), nullable=True),
    sa.Column('bcc', sa.JSON(), nullable=True),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('html_body', sa.Text(), nullable=True),
    sa.Column('in_reply_to', sa.Text(), nullable=True),
    sa.Column('references', sa.JSON(), nullable=True),
    sa.Column('attachments', sa.JSON(), nullable=True),
    sa.Column('created_modseq', sa.BigInteger(), nullable=False),
    sa.Column('updated_modseq', sa.BigInteger(), nullable=False),
    sa.Column('destroyed_modseq', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_draft_account_id_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_draft'))
    )
    with op.batch_alter_table('draft', schema=None) as batch_op:
        batch_op.create_index('ix_draft_feed', ['account_id', 'updated_modseq'], unique=False)

    op.create_table('email',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('account_id', sa.String(length=36), nullable=False),
    sa.Column('mailbox_id', sa.String(length=36), nullable=False),
    sa.Column('keywords', sa.JSON(), nullable=False),
    sa.Column('message_id', sa.String(length=998), nullable=True),
    sa.Column('in_reply_to', sa.JSON(), nullable=False),
    sa.Column('references', sa.JSON(), nullable=False),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('from', sa.JSON(), nullable=False),
    sa.Column('sender', sa.JSON(), nullable=False),
    sa.Column('to', sa.JSON(), nullable=False),
    sa.Column('cc', sa.JSON(), nullable=False),
    sa.Column('bcc', sa.JSON(), nullable=False),
    sa.Column('reply_to', sa.JSON(), nullable=False),
    sa.Column('date', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('preview', sa.String(length=256), nullable=False),
    sa.Column('attachments', sa.JSON(), nullable=False),
    sa.Column('created_modseq', sa.BigInteger(), nullable=False),
    sa.Column('updated_modseq', sa.BigInteger(), nullable=False),
    sa.Column('destroyed_modseq', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_email_account_id_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_email'))
    )
    with op.batch_alter_table('email', schema=None) as batch_op:
        batch_op.create_index('ix_email_feed', ['account_id', 'updated_modseq'], unique=False)
        batch_op.create_index('ix_email_listing', ['mailbox_id', 'date', 'id'], unique=False)

    op.create_table('mailbox',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('account_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('parent_id', sa.String(length=36), nullable=True),
    sa.Column('role', sa.String(length=32), nullable=True),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('created_modseq', sa.BigInteger(), nullable=False),
    sa.Column('updated_modseq', sa.BigInteger(), nullable=False),
    sa.Column('destroyed_modseq', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_mailbox_account_id_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mailbox'))
    )
    with op.batch_alter_table('mailbox', schema=None) as batch_op:
        batch_op.create_index('ix_mailbox_feed', ['account_id', 'updated_modseq'], unique=False)

    op.create_table('submission',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('account_id', sa.String(length=36), nullable=False),
    sa.Column('draft_id', sa.String(length=36), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=True),
    sa.Column('mutation_id', sa.BigInteger(), nullable=True),
    sa.Column('send_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state', sa.Enum('scheduled', 'sending', 'sent', 'cancelled', 'failed', name='submission_state', native_enum=False, length=16), nullable=False),
    sa.Column('envelope_rcpts', sa.JSON(), nullable=False),
    sa.Column('mime', sa.LargeBinary(), nullable=True),
    sa.Column('sent_email_id', sa.String(length=36), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_modseq', sa.BigInteger(), nullable=False),
    sa.Column('updated_modseq', sa.BigInteger(), nullable=False),
    sa.Column('destroyed_modseq', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_submission_account_id_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_submission'))
    )
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.create_index('ix_submission_due', ['state', 'send_at'], unique=False)
        batch_op.create_index('ix_submission_feed', ['account_id', 'updated_modseq'], unique=False)

    op.create_table('token',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('account_id', sa.String(length=36), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_token_account_id_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_token_token_hash'))
    )
    with op.batch_alter_table('token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_token_account_id'), ['account_id'], unique=False)

    op.create_table('email_blob',
    sa.Column('email_id', sa.String(length=36), nullable=False),
    sa.Column('raw', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['email_id'], ['email.id'], name=op.f('fk_email_blob_email_id_email'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('email_id', name=op.f('pk_email_blob'))
    )


def downgrade() -> None:
    op.drop_table('email_blob')
    with op.batch_alter_table('token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_token_account_id'))

    op.drop_table('token')
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.drop_index('ix_submission_feed')
        batch_op.drop_index('ix_submission_due')

    op.drop_table('submission')
    with op.batch_alter_table('mailbox', schema=None) as batch_op:
        batch_op.drop_index('ix_mailbox_feed')

    op.drop_table('mailbox')
    with op.batch_alter_table('email', schema=None) as batch_op:
        batch_op.drop_index('ix_email_listing')
        batch_op.drop_index('ix_email_feed')

    op.drop_table('email')
    with op.batch_alter_table('draft', schema=None) as batch_op:
        batch_op.drop_index('ix_draft_feed')

    op.drop_table('draft')
    op.drop_table('client_mutation')
    with op.batch_alter_table('blob', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_blob_account_id'))

    op.drop_table('blob')
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.drop_index('ix_login_attempt_name_at')
        batch_op.drop_index('ix_login_attempt_ip_at')

    op.drop_table('login_attempt')
    op.drop_table('account')
