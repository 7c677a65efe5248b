"""sessions: last activity, for the idle timeout

Revision ID: 0192_session_idle
Revises: 0190_channel_instances
"""

from alembic import op
import sqlalchemy as sa
import contact_center.store.tables


revision = '0192_session_idle'
down_revision = '0190_channel_instances'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('auth_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_seen_at', contact_center.store.tables.UTCDateTime(timezone=True),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('auth_session', schema=None) as batch_op:
        batch_op.drop_column('last_seen_at')
