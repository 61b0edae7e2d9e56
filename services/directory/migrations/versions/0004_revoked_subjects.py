"""platform table revoked_subjects: users and sessions whose earlier access tokens are refused

Revision ID: directory_0004
Revises: directory_0003
"""
from shared.migrations import platform_tables_migration

revision = "directory_0004"
down_revision = "directory_0003"
upgrade, downgrade = platform_tables_migration(("revoked_subjects",))
