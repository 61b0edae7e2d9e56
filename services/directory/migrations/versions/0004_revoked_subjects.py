"""platform table revoked_subjects: users and sessions whose earlier access tokens are refused

Revision ID: directory_0004
Revises: directory_0003
"""
from shared.migrations import create_platform_tables, drop_platform_tables

revision = "directory_0004"
down_revision = "directory_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_platform_tables(("revoked_subjects",))


def downgrade() -> None:
    drop_platform_tables(("revoked_subjects",))
