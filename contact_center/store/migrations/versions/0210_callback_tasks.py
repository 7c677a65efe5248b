"""tasks: callbacks, follow-ups, missed-call notices

Revision ID: 0210_callback_tasks
Revises: 0200_admin_config
Create Date: 2026-12-07 23:56:43.741335
"""

from alembic import op
import sqlalchemy as sa
import contact_center.store.tables


revision = '0210_callback_tasks'
down_revision = '0200_admin_config'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('missed_call_notice',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.String(length=250), nullable=False),
    sa.Column('conversation_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('number', sa.String(length=64), nullable=True),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('at', contact_center.store.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('seen_at', contact_center.store.tables.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversation.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'call_id', name='uq_missed_call_notice_user_call')
    )
    with op.batch_alter_table('missed_call_notice', schema=None) as batch_op:
        batch_op.create_index('ix_missed_call_notice_user_seen', ['user_id', 'seen_at'], unique=False)

    op.create_table('task',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('open_key', sa.String(length=100), nullable=True),
    sa.Column('conversation_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('source_conversation_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_by_user_id', sa.Integer(), nullable=True),
    sa.Column('number', sa.String(length=64), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('outcome', sa.String(length=32), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('missed_calls', sa.Integer(), nullable=False),
    sa.Column('due_at', contact_center.store.tables.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', contact_center.store.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', contact_center.store.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', contact_center.store.tables.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversation.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['user_account.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['source_conversation_id'], ['conversation.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('open_key')
    )
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_conversation_id'), ['conversation_id'], unique=False)
        batch_op.create_index('ix_task_customer_created', ['customer_id', 'created_at'], unique=False)
        batch_op.create_index('ix_task_due', ['due_at'], unique=False)

    op.create_table('task_call',
    sa.Column('call_id', sa.String(length=250), nullable=False),
    sa.Column('task_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('role', sa.String(length=8), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('at', contact_center.store.tables.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['task_id'], ['task.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('call_id')
    )
    with op.batch_alter_table('task_call', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_call_task_id'), ['task_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('task_call', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_call_task_id'))

    op.drop_table('task_call')
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_index('ix_task_due')
        batch_op.drop_index('ix_task_customer_created')
        batch_op.drop_index(batch_op.f('ix_task_conversation_id'))

    op.drop_table('task')
    with op.batch_alter_table('missed_call_notice', schema=None) as batch_op:
        batch_op.drop_index('ix_missed_call_notice_user_seen')

    op.drop_table('missed_call_notice')
