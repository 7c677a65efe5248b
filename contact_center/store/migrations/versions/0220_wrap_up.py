"""wrap-up: departments' after-call work time, required outcome and outcome codes

Revision ID: 0220_wrap_up
Revises: 0210_callback_tasks
Create Date: 2026-12-08 00:20:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0220_wrap_up'
down_revision = '0210_callback_tasks'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('department') as batch:
        batch.add_column(sa.Column('after_call_work_seconds', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('outcome_required', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch.add_column(sa.Column('outcomes', sa.JSON(), server_default='[]', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('department') as batch:
        batch.drop_column('outcomes')
        batch.drop_column('outcome_required')
        batch.drop_column('after_call_work_seconds')
