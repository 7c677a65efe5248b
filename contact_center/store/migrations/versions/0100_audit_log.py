"""audit log: address, object, before and after

Revision ID: 0100_audit_log
Revises: 0001
"""

from alembic import op
import sqlalchemy as sa


revision = '0100_audit_log'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('audit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ip', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('object_type', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('object_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('before', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('after', sa.JSON(), nullable=True))
        batch_op.create_index('ix_audit_at', ['at'], unique=False)
        batch_op.create_index('ix_audit_user_at', ['user_id', 'at'], unique=False)
        batch_op.create_index('ix_audit_object', ['object_type', 'object_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('audit', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_object')
        batch_op.drop_index('ix_audit_user_at')
        batch_op.drop_index('ix_audit_at')
        batch_op.drop_column('after')
        batch_op.drop_column('before')
        batch_op.drop_column('object_id')
        batch_op.drop_column('object_type')
        batch_op.drop_column('ip')
