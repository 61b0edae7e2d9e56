"""platform table revoked_subjects: users and sessions whose earlier access tokens are refused

Revision ID: training_0005
Revises: training_0004
"""
from shared.migrations import platform_tables_migration

revision = "training_0005"
down_revision = "training_0004"
upgrade, downgrade = platform_tables_migration(("revoked_subjects",))
