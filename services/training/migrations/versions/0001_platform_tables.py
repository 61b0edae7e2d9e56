"""platform tables: outbox, inbox, job_schedule

Revision ID: training_0001
Revises:
"""
from shared.migrations import platform_tables_migration

revision = "training_0001"
down_revision = None
upgrade, downgrade = platform_tables_migration()
