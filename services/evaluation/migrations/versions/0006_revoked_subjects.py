"""platform table revoked_subjects: users and sessions whose earlier access tokens are refused

Revision ID: evaluation_0006
Revises: evaluation_0005
"""
from shared.migrations import create_platform_tables, drop_platform_tables

revision = "evaluation_0006"
down_revision = "evaluation_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_platform_tables(("revoked_subjects",))


def downgrade() -> None:
    drop_platform_tables(("revoked_subjects",))
