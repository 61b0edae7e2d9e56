"""platform table revoked_subjects: users and sessions whose earlier access tokens are refused

Revision ID: identity_0005
Revises: identity_0004
"""
from shared.migrations import platform_tables_migration

revision = "identity_0005"
down_revision = "identity_0004"
upgrade, downgrade = platform_tables_migration(("revoked_subjects",))
