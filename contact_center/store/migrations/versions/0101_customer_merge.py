"""customer merges kept so they can be undone

Revision ID: 0101_customer_merge
Revises: 0100_audit_log
"""

from alembic import op
import sqlalchemy as sa
import contact_center.store.tables


revision = '0101_customer_merge'
down_revision = '0100_audit_log'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('customer_merge',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('merged_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('into_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('by_user_id', sa.Integer(), nullable=True),
    sa.Column('moved', sa.JSON(), nullable=False),
    sa.Column('at', contact_center.store.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('undone_at', contact_center.store.tables.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['merged_id'], ['customer.id'], ),
    sa.ForeignKeyConstraint(['into_id'], ['customer.id'], ),
    sa.ForeignKeyConstraint(['by_user_id'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('customer_merge', schema=None) as batch_op:
        batch_op.create_index('ix_customer_merge_merged_id', ['merged_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('customer_merge', schema=None) as batch_op:
        batch_op.drop_index('ix_customer_merge_merged_id')
    op.drop_table('customer_merge')
