"""platform tables: outbox, inbox, job_schedule

Revision ID: training_0001
Revises:
"""
from shared.migrations import create_platform_tables, drop_platform_tables

revision = "training_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_platform_tables()


def downgrade() -> None:
    drop_platform_tables()
