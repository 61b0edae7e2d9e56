"""platform table revoked_subjects: users and sessions whose earlier access tokens are refused

Revision ID: training_0005
Revises: training_0004
"""
from shared.migrations import create_platform_tables, drop_platform_tables

revision = "training_0005"
down_revision = "training_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_platform_tables(("revoked_subjects",))


def downgrade() -> None:
    drop_platform_tables(("revoked_subjects",))
