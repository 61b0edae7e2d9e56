"""platform table revoked_subjects: users and sessions whose earlier access tokens are refused

Revision ID: notifications_0004
Revises: notifications_0003
"""
from shared.migrations import platform_tables_migration

revision = "notifications_0004"
down_revision = "notifications_0003"
upgrade, downgrade = platform_tables_migration(("revoked_subjects",))
