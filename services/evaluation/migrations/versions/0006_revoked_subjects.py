"""platform table revoked_subjects: users and sessions whose earlier access tokens are refused

Revision ID: evaluation_0006
Revises: evaluation_0005
"""
from shared.migrations import platform_tables_migration

revision = "evaluation_0006"
down_revision = "evaluation_0005"
upgrade, downgrade = platform_tables_migration(("revoked_subjects",))
