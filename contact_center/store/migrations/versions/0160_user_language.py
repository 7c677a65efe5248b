"""user language: each user's preferred UI language (null: negotiate from the browser)

Revision ID: 0160_user_language
Revises: 0140_cti_field_widths
Create Date: 2026-12-07 21:15:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0160_user_language'
down_revision = '0140_cti_field_widths'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('user_account') as batch:
        batch.add_column(sa.Column('language', sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('user_account') as batch:
        batch.drop_column('language')
