"""the starter curriculum (data): five mentor and four mentee modules, published as version 1, and
curriculum version 1 of each track

Revision ID: training_0003
Revises: training_0002
"""
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from services.training.curriculum import starter_modules

revision = 'training_0003'
down_revision = 'training_0002'
branch_labels = None
depends_on = None

# The tables as this revision knows them (not the models, which may change later).
modules = sa.table('modules', sa.column('id', pg.UUID), sa.column('track', sa.Text), sa.column('slug', sa.Text),
                   sa.column('position', sa.Integer), sa.column('published_version', sa.Integer))
versions = sa.table('module_versions', sa.column('module_id', pg.UUID), sa.column('version', sa.Integer),
                    sa.column('title', sa.Text), sa.column('summary', sa.Text), sa.column('body_markdown', sa.Text),
                    sa.column('body_html', sa.Text), sa.column('estimated_minutes', sa.Integer),
                    sa.column('required', sa.Boolean), sa.column('cme_credit_hours', sa.Numeric(4, 2)),
                    sa.column('questions', pg.JSONB), sa.column('pass_mark', sa.Integer),
                    sa.column('published_at', sa.DateTime(timezone=True)))
curricula = sa.table('curricula', sa.column('track', sa.Text), sa.column('version', sa.Integer),
                     sa.column('required_module_ids', pg.JSONB))


def upgrade() -> None:
    at = datetime.now(timezone.utc)
    starter = sorted(starter_modules(), key=lambda m: (m['track'], m['position']))
    op.bulk_insert(modules, [{'id': m['id'], 'track': m['track'], 'slug': m['slug'], 'position': m['position'],
                              'published_version': 1} for m in starter])
    op.bulk_insert(versions, [{'module_id': m['id'], 'version': 1, 'title': m['title'], 'summary': m['summary'],
                               'body_markdown': m['body_markdown'], 'body_html': m['body_html'],
                               'estimated_minutes': m['estimated_minutes'], 'required': m['required'],
                               'cme_credit_hours': m['cme_credit_hours'], 'questions': m['questions'],
                               'pass_mark': m['pass_mark'], 'published_at': at} for m in starter])
    op.bulk_insert(curricula, [{'track': track, 'version': 1,
                                'required_module_ids': [str(m['id']) for m in starter
                                                        if m['track'] == track and m['required']]}
                               for track in ('mentor', 'mentee')])


def downgrade() -> None:
    op.execute("DELETE FROM curricula")
    op.execute("DELETE FROM module_versions WHERE module_id IN (SELECT id FROM modules WHERE slug IS NOT NULL)")
    op.execute("DELETE FROM modules WHERE slug IS NOT NULL")
