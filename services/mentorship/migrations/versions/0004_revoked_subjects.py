"""platform table revoked_subjects: users and sessions whose earlier access tokens are refused

Revision ID: mentorship_0004
Revises: mentorship_0003
"""
from shared.migrations import platform_tables_migration

revision = "mentorship_0004"
down_revision = "mentorship_0003"
upgrade, downgrade = platform_tables_migration(("revoked_subjects",))
