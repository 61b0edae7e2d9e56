"""platform tables: outbox, inbox, job_schedule

Revision ID: directory_0001
Revises:
"""
from shared.migrations import platform_tables_migration

revision = "directory_0001"
down_revision = None
upgrade, downgrade = platform_tables_migration()
