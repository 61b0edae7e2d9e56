"""emails: the template context kept until the mail is rendered for sending

Revision ID: notifications_0003
Revises: notifications_0002
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = 'notifications_0003'
down_revision = 'notifications_0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('emails', sa.Column('context', postgresql.JSONB(astext_type=sa.Text()), nullable=True))
    op.alter_column('emails', 'text_body', existing_type=sa.Text(), nullable=True)
    op.alter_column('emails', 'html_body', existing_type=sa.Text(), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM emails WHERE text_body IS NULL OR html_body IS NULL")
    op.alter_column('emails', 'html_body', existing_type=sa.Text(), nullable=False)
    op.alter_column('emails', 'text_body', existing_type=sa.Text(), nullable=False)
    op.drop_column('emails', 'context')
