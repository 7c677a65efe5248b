"""cti field widths: callId and origCallId up to 250 characters (as Zammad keeps), numbers and causes up to 100

Revision ID: 0140_cti_field_widths
Revises: 0193_login_attempts
Create Date: 2026-12-07 21:30:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0140_cti_field_widths'
down_revision = '0193_login_attempts'
branch_labels = None
depends_on = None

# (column, old width, new width); the parser refuses longer values with a 422 naming the field.
_CALL = (('call_id', 128, 250), ('orig_call_id', 128, 250), ('from_raw', 64, 100), ('to_raw', 64, 100),
         ('queue', 64, 100), ('diversion', 64, 100), ('answering_number', 64, 100), ('cause', 32, 100))


def upgrade() -> None:
    with op.batch_alter_table('call') as batch:
        for name, old, new in _CALL:
            batch.alter_column(name, existing_type=sa.String(length=old), type_=sa.String(length=new),
                               existing_nullable=name != 'call_id')
    with op.batch_alter_table('cti_event') as batch:
        batch.alter_column('call_id', existing_type=sa.String(length=128), type_=sa.String(length=250),
                           existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('cti_event') as batch:
        batch.alter_column('call_id', existing_type=sa.String(length=250), type_=sa.String(length=128),
                           existing_nullable=False)
    with op.batch_alter_table('call') as batch:
        for name, old, new in _CALL:
            batch.alter_column(name, existing_type=sa.String(length=new), type_=sa.String(length=old),
                               existing_nullable=name != 'call_id')
