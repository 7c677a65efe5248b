"""admin: live configuration revisions; departments' numbers, hours, SLA target and active flag

Revision ID: 0200_admin_config
Revises: 0141_mail_thread_keys
Create Date: 2026-12-07 21:15:00
"""

from alembic import op
import sqlalchemy as sa
import contact_center.store.tables


revision = '0200_admin_config'
down_revision = '0141_mail_thread_keys'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('config_revision',
    sa.Column('version', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('document', sa.JSON(), nullable=False),
    sa.Column('sections', sa.JSON(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('author', sa.String(length=64), nullable=True),
    sa.Column('created_at', contact_center.store.tables.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('version')
    )
    with op.batch_alter_table('department') as batch:
        batch.add_column(sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch.add_column(sa.Column('numbers', sa.JSON(), server_default='[]', nullable=False))
        batch.add_column(sa.Column('service_level_target', sa.Double(), nullable=True))
        batch.add_column(sa.Column('hours', sa.JSON(), server_default='{}', nullable=False))
    with op.batch_alter_table('user_account') as batch:
        batch.add_column(sa.Column('phone', sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('user_account') as batch:
        batch.drop_column('phone')
    with op.batch_alter_table('department') as batch:
        batch.drop_column('hours')
        batch.drop_column('service_level_target')
        batch.drop_column('numbers')
        batch.drop_column('active')
    op.drop_table('config_revision')
