"""users.status_facts: the facts behind an ejection (expired requests and their dates)

Revision ID: identity_0004
Revises: identity_0002
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = 'identity_0004'
down_revision = 'identity_0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('users', sa.Column('status_facts', postgresql.JSONB(astext_type=sa.Text()), nullable=True))


def downgrade() -> None:
    op.drop_column('users', 'status_facts')
