"""mail thread keys: Outlook's Thread-Index head and the subject without reply prefixes, per message

Revision ID: 0141_mail_thread_keys
Revises: 0160_user_language
Create Date: 2026-12-07 21:45:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0141_mail_thread_keys'
down_revision = '0160_user_language'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('message') as batch:
        batch.add_column(sa.Column('thread_key', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('subject_key', sa.String(length=200), nullable=True))
        batch.create_index(batch.f('ix_message_thread_key'), ['thread_key'], unique=False)
        batch.create_index(batch.f('ix_message_subject_key'), ['subject_key'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('message') as batch:
        batch.drop_index(batch.f('ix_message_subject_key'))
        batch.drop_index(batch.f('ix_message_thread_key'))
        batch.drop_column('subject_key')
        batch.drop_column('thread_key')
